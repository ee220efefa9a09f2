"""Fixtures of the CLI tests: moto in-process, the fake ARM endpoint, factories pointing at them."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from azure.mgmt.containerinstance import ContainerInstanceManagementClient
from moto import mock_aws

from stashkit import cloud
from tests.cli.support import REGION, Sidecar, running_sidecars
from tests.fakes.fake_arm import ArmEndpoint, FakeArm, serve_fake_arm

AWS_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
)


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Dummy credentials and no endpoint override: nothing may reach a real AWS account."""
    empty = tmp_path_factory.mktemp("aws-config")
    with pytest.MonkeyPatch.context() as patch:
        for name in AWS_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        yield


@dataclasses.dataclass
class AwsWorld:
    """A moto account with a VPC and a subnet, and helpers to build what stashkit looks at."""

    session: boto3.session.Session
    vpc_id: str
    subnet_id: str

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION)

    def asg(self, name: str, size: int, tags: dict[str, str] | None = None) -> list[str]:
        ec2, autoscaling = self.client("ec2"), self.client("autoscaling")
        template = f"{name}-template"
        ec2.create_launch_template(
            LaunchTemplateName=template,
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
        )
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": template},
            MinSize=0,
            MaxSize=10,
            DesiredCapacity=size,
            VPCZoneIdentifier=self.subnet_id,
            Tags=[
                {"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in (tags or {}).items()
            ],
        )
        return self.instances(name)

    def instances(self, group: str) -> list[str]:
        found = self.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[group]
        )["AutoScalingGroups"][0]["Instances"]
        return sorted(i["InstanceId"] for i in found)

    def private_ips(self, instance_ids: list[str]) -> dict[str, str]:
        reservations = self.client("ec2").describe_instances(InstanceIds=instance_ids)
        return {
            i["InstanceId"]: i["PrivateIpAddress"]
            for r in reservations["Reservations"]
            for i in r["Instances"]
        }

    def target_group(self, name: str, tags: dict[str, str] | None = None) -> str:
        extra: dict[str, Any] = {}
        if tags:
            extra["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        arn: str = self.client("elbv2").create_target_group(
            Name=name, Protocol="TCP", Port=5514, VpcId=self.vpc_id, TargetType="instance", **extra
        )["TargetGroups"][0]["TargetGroupArn"]
        return arn


@pytest.fixture(scope="module")
def aws(aws_env: None) -> Iterator[AwsWorld]:
    """One moto account per test module (resetting moto costs ~1.5 s a test): tests name
    their resources uniquely with :func:`unique`."""
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        yield AwsWorld(session, vpc, subnet)


_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[ArmEndpoint]:
    with serve_fake_arm(FakeArm(), tmp_path) as endpoint:
        yield endpoint


@pytest.fixture
def arm_factories(arm: ArmEndpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[cloud.Factories]:
    """The CLI's factories with the Azure client pointed at the fake ARM endpoint (the clients
    made are closed afterwards, so the server shuts down without waiting on keep-alives)."""
    made: list[ContainerInstanceManagementClient] = []

    def aci_client(subscription: str) -> ContainerInstanceManagementClient:
        client = arm.client(subscription)
        made.append(client)
        return client

    factories = dataclasses.replace(cloud.DEFAULT_FACTORIES, aci_client=aci_client)
    monkeypatch.setattr(cloud, "DEFAULT_FACTORIES", factories)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", arm.fake.subscription)
    yield factories
    for client in made:
        client.close()


@pytest.fixture(scope="session")
def sidecars(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Sidecar]]:
    """Three real sidecars on loopback, each against its own fake Logstash: two healthy, the
    third with its pipeline terminated (status red: ``unhealthy``). Shared by the discover,
    verify and fleet tests, which only read from them."""
    workdir = tmp_path_factory.mktemp("sidecars")
    with running_sidecars(workdir, ["healthy", "healthy", "red"]) as started:
        yield started
