"""``stashkit discover``: moto for the ASG path, the fake ARM endpoint for ACI, a subprocess for
SIGTERM. The real-Prometheus test is in test_discover_prometheus.py."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stashkit import cloud
from stashkit.cli import build_parser
from stashkit.cloud import Backoff
from stashkit.discover import DiscoveryLoop, write_if_changed
from stashkit.inventory import AciWalker, AsgWalker, SidecarAddress, read_file_sd, render_file_sd
from tests.cli.conftest import AwsWorld, unique
from tests.cli.support import REGION, cli
from tests.fakes.fake_arm import ArmEndpoint, stashkit_group
from tests.support.servers import wait_until

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A sleep that returns at once and remembers what it was asked; a log that keeps lines."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.lines: list[str] = []

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(round(seconds, 3))
        return True

    def log(self, line: str) -> None:
        self.lines.append(line)


def no_jitter() -> float:
    return 0.5


def loop_for(source: Any, out: Path, recorder: Recorder) -> DiscoveryLoop:
    return DiscoveryLoop(
        [source],
        out,
        interval=30,
        backoff=Backoff(attempts=4, base=1.0, factor=2.0, cap=30.0),
        sleep=recorder.sleep,
        log=recorder.log,
        rand=no_jitter,
    )


# ---- file_sd ------------------------------------------------------------------------------


def test_file_sd_should_render_canonically_and_read_back(tmp_path: Path) -> None:
    targets = [
        SidecarAddress.at("10.0.1.5:3000", {"job": "stashkit", "instance_id": "i-b"}),
        SidecarAddress.at("10.0.1.4:3000", {"job": "stashkit", "instance_id": "i-a"}),
    ]
    text = render_file_sd(targets)
    assert text == render_file_sd(list(reversed(targets)))
    path = tmp_path / "t.json"
    path.write_text(text)
    assert sorted(read_file_sd(path)) == sorted(targets)
    assert [t.name for t in read_file_sd(path)] == ["i-a", "i-b"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not a readable file_sd JSON document"),
        ('{"targets": []}', "a JSON list of target groups"),
        ('[{"targets": "10.0.0.1:3000"}]', "target group 0 needs"),
    ],
)
def test_read_file_sd_should_name_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = cli("fleet", "--targets", str(path))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_write_should_be_atomic_for_a_reader_polling_the_file(tmp_path: Path) -> None:
    """A reader polling as fast as it can never sees a partial document while big documents of
    different sizes replace each other."""
    path = tmp_path / "targets.json"
    documents = [
        render_file_sd(
            SidecarAddress.at(f"10.{n}.{i // 250}.{i % 250}:3000", {"job": "stashkit", "n": str(n)})
            for i in range(400 + 150 * n)
        )
        for n in range(6)
    ]
    write_if_changed(path, documents[0])
    stop = threading.Event()
    reads = {"ok": 0}
    torn: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            text = path.read_text()
            try:
                json.loads(text)
                reads["ok"] += 1
            except ValueError:
                torn.append(text[-80:])

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    for round_ in range(60):
        assert write_if_changed(path, documents[round_ % len(documents) or 1])
        assert not write_if_changed(path, documents[round_ % len(documents) or 1])
        write_if_changed(path, documents[0])
    stop.set()
    thread.join(5)
    assert not torn, f"reader saw {len(torn)} partial documents"
    assert reads["ok"] > 10
    assert not list(tmp_path.glob(".targets.json.*")), "temporary files left behind"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


# ---- AWS (moto) ---------------------------------------------------------------------------


def test_should_write_running_asg_instances_as_file_sd(aws: AwsWorld, tmp_path: Path) -> None:
    group = unique("stashkit-logstash")
    ids = aws.asg(group, 3, {"stashkit:deployment": "prod"})
    aws.client("ec2").stop_instances(InstanceIds=[ids[2]])
    ips = aws.private_ips(ids)
    out = tmp_path / "targets.json"

    result = cli("discover", "--aws-asg", group, "--region", REGION, "--out", str(out), "--once")

    assert result.code == 0, result.err
    document = json.loads(out.read_text())
    assert document == sorted(
        [
            {
                "targets": [f"{ips[i]}:3000"],
                "labels": {
                    "job": "stashkit",
                    "deployment": "prod",
                    "cloud": "aws",
                    "region": REGION,
                    "instance_id": i,
                    "asg": group,
                    "__metrics_path__": "/metrics",
                },
            }
            for i in ids[:2]
        ],
        key=lambda g: g["labels"]["instance_id"],
    )
    assert f"aws asg {group} (eu-west-1): 2 targets" in result.err
    assert "wrote" in result.err


def test_should_label_with_flags_and_skip_detached_instances(aws: AwsWorld, tmp_path: Path) -> None:
    group = unique("web")
    ids = aws.asg(group, 2)
    aws.client("autoscaling").detach_instances(
        InstanceIds=[ids[0]], AutoScalingGroupName=group, ShouldDecrementDesiredCapacity=True
    )
    out = tmp_path / "targets.json"
    result = cli(
        "discover", "--aws-asg", group, "--out", str(out), "--once", "--port", "3100",
        "--deployment", "blue", "--job", "logstash-sidecars",
    )  # fmt: skip
    assert result.code == 0, result.err
    (target,) = read_file_sd(out)
    labels = target.label_map
    assert target.address.endswith(":3100")
    assert labels["instance_id"] == ids[1]
    assert (labels["deployment"], labels["job"]) == ("blue", "logstash-sidecars")


def test_should_not_rewrite_an_unchanged_file_and_rewrite_a_changed_one(
    aws: AwsWorld, tmp_path: Path
) -> None:
    group = unique("web")
    aws.asg(group, 2)
    out = tmp_path / "targets.json"
    argv = ("discover", "--aws-asg", group, "--out", str(out), "--once")
    assert cli(*argv).code == 0
    before = out.stat()
    time.sleep(0.02)
    again = cli(*argv)
    assert again.code == 0
    after = out.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert "unchanged (2 targets)" in again.err

    aws.client("autoscaling").set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=3)
    changed = cli(*argv)
    assert changed.code == 0
    assert out.stat().st_ino != before.st_ino
    assert len(read_file_sd(out)) == 3


def test_missing_asg_should_fail_once_with_one_line(aws: AwsWorld, tmp_path: Path) -> None:
    out = tmp_path / "targets.json"
    result = cli("discover", "--aws-asg", "nope", "--out", str(out), "--once")
    assert result.code == 1
    last = result.err.strip().splitlines()[-1]
    assert last == ("stashkit: discover failed: no Auto Scaling group named 'nope' in eu-west-1")
    assert out.read_text() == "[]\n"


def test_transient_aws_errors_should_be_retried_with_backoff(aws: AwsWorld, tmp_path: Path) -> None:
    group = unique("web")
    aws.asg(group, 1)
    session = boto3.session.Session(region_name=REGION)
    failures = {"left": 2}

    def throttle(**kwargs: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            from botocore.exceptions import ClientError

            raise ClientError(
                {
                    "Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "DescribeAutoScalingGroups",
            )

    source = AsgWalker(lambda region: session, group, region=REGION)
    source._autoscaling.meta.events.register("before-call.auto-scaling.*", throttle)
    recorder = Recorder()
    report = loop_for(source, tmp_path / "t.json", recorder).cycle()
    assert report.ok
    assert recorder.sleeps == [1.0, 2.0]
    assert "Throttling (HTTP 400): Rate exceeded; retry 1/3 in 1.0 s" in recorder.lines[0]
    assert len(read_file_sd(tmp_path / "t.json")) == 1


# ---- Azure (fake ARM) ---------------------------------------------------------------------


def test_should_write_running_container_groups_with_a_sidecar(
    arm: ArmEndpoint, arm_factories: cloud.Factories, tmp_path: Path
) -> None:
    arm.fake.add(
        "stashkit-rg",
        stashkit_group("alpha-logstash", ip="10.1.0.4", deployment="alpha"),
        stashkit_group("beta-logstash", ip="10.1.0.5", sidecar_port=3300),
        stashkit_group("no-sidecar", ip="10.1.0.6", sidecar_port=None),
        stashkit_group("stopped", ip="10.1.0.7", state="Stopped"),
        stashkit_group("pending", ip=None, state="Pending"),
        stashkit_group("inside-only", ip="10.1.0.8", sidecar_published=False),
    )
    out = tmp_path / "targets.json"
    result = cli("discover", "--azure-resource-group", "stashkit-rg", "--out", str(out), "--once")
    assert result.code == 0, result.err
    assert json.loads(out.read_text()) == [
        {
            "targets": ["10.1.0.4:3000"],
            "labels": {
                "job": "stashkit",
                "deployment": "alpha",
                "cloud": "azure",
                "location": "westeurope",
                "container_group": "alpha-logstash",
                "resource_group": "stashkit-rg",
                "__metrics_path__": "/metrics",
            },
        },
        {
            "targets": ["10.1.0.5:3300"],
            "labels": {
                "job": "stashkit",
                "deployment": "stashkit-rg",
                "cloud": "azure",
                "location": "westeurope",
                "container_group": "beta-logstash",
                "resource_group": "stashkit-rg",
                "__metrics_path__": "/metrics",
            },
        },
    ]
    # six groups over three pages, then one GET per group for its instance view
    lists = [r for r in arm.fake.requests if r.split("?")[0].endswith("containerGroups")]
    assert len(lists) == 3
    assert sum("/containerGroups/" in r for r in arm.fake.requests) == 6
    # an unpublished sidecar is no target (nothing outside its group can scrape it)
    assert "10.1.0.8" not in out.read_text()


def test_the_aci_rule_should_take_the_dns_name_without_an_ip_and_say_why_it_skips(
    arm: ArmEndpoint,
) -> None:
    """One rule for discover and verify: a Running group's sidecar container with a declared TCP
    port, at the group's IP address, else its DNS name; every other group is skipped with why."""
    named = stashkit_group("named", ip=None)
    named.fqdn = "stashkit-named.westeurope.azurecontainer.io"
    arm.fake.add(
        "rg",
        named,
        stashkit_group("no-sidecar", sidecar_port=None),
        stashkit_group("stopped", state="Stopped"),
        stashkit_group("inside-only", sidecar_published=False),
    )
    client = arm.client()
    walker = AciWalker(lambda sub: client, arm.fake.subscription, "rg")
    found = walker.sidecars()
    client.close()
    assert [(s.name, s.address) for s in found] == [
        ("named", "stashkit-named.westeurope.azurecontainer.io:3000")
    ]
    assert walker.skipped == {
        "no-sidecar": "no status-sidecar container",
        "stopped": "state Stopped",
        "inside-only": "sidecar not published (publish_sidecar = false)",
    }


def test_azure_500s_should_be_retried_with_exponential_backoff(
    arm: ArmEndpoint, tmp_path: Path
) -> None:
    arm.fake.add("rg", stashkit_group("g1"))
    arm.fake.fail_next(3, status=500)
    recorder = Recorder()
    client = arm.client()
    source = AciWalker(lambda sub: client, arm.fake.subscription, "rg")
    report = loop_for(source, tmp_path / "t.json", recorder).cycle()
    client.close()
    assert report.ok, report.failures
    assert recorder.sleeps == [1.0, 2.0, 4.0]
    assert [line.split(";")[0] for line in recorder.lines[:3]] == [
        "azure resource group rg: Azure: InternalServerError (HTTP 500): injected failure"
    ] * 3
    assert len(read_file_sd(tmp_path / "t.json")) == 1


def test_backoff_should_be_capped_and_jittered() -> None:
    backoff = Backoff(attempts=8, base=1.0, factor=2.0, cap=10.0, jitter=0.2)
    assert [backoff.delay(n, lambda: 0.5) for n in range(6)] == [1, 2, 4, 8, 10, 10]
    assert backoff.delay(0, lambda: 0.0) == pytest.approx(0.8)
    assert backoff.delay(0, lambda: 1.0) == pytest.approx(1.2)


def test_a_failing_cycle_should_keep_the_last_targets_and_the_loop_going(
    arm: ArmEndpoint, tmp_path: Path
) -> None:
    arm.fake.add("rg", stashkit_group("g1", ip="10.1.0.4"), stashkit_group("g2", ip="10.1.0.5"))
    out = tmp_path / "t.json"
    recorder = Recorder()
    client = arm.client()
    loop = loop_for(AciWalker(lambda sub: client, arm.fake.subscription, "rg"), out, recorder)
    first = loop.cycle()
    assert first.ok and first.written
    good = out.read_text()

    arm.fake.fail_next(4, status=503)  # more than the 4 attempts allow
    second = loop.cycle()
    assert not second.ok
    assert "HTTP 503" in second.failures["azure resource group rg"]
    assert out.read_text() == good, "a failed cycle must not drop the targets"
    assert "FAILED" in recorder.lines[-1]
    assert recorder.lines[-1].endswith("keeping the last good targets of azure resource group rg")
    assert second.kept == ["azure resource group rg"]

    arm.fake.add("rg", stashkit_group("g3", ip="10.1.0.6"))
    third = loop.cycle()
    client.close()
    assert third.ok and third.written
    assert len(read_file_sd(out)) == 3
    assert recorder.lines[-1].startswith("cycle 3: azure resource group rg: 3 targets; wrote")


def test_run_should_cycle_until_sleep_reports_a_stop(arm: ArmEndpoint, tmp_path: Path) -> None:
    arm.fake.add("rg", stashkit_group("g1"))
    arm.fake.fail_next(4)
    sleeps: list[float] = []

    def sleep(seconds: float) -> bool:
        sleeps.append(seconds)
        return len(sleeps) < 6  # stop during the third cycle's wait

    client = arm.client()
    loop = DiscoveryLoop(
        [AciWalker(lambda sub: client, arm.fake.subscription, "rg")],
        tmp_path / "t.json",
        interval=30,
        sleep=sleep,
        log=lambda line: None,
        rand=no_jitter,
        clock=lambda: 0.0,
    )
    report = loop.run()
    client.close()
    # cycle 1: three retry waits and a failure, then the 30 s wait; cycle 2 succeeds, wait, stop
    assert sleeps == [1.0, 2.0, 4.0, 30.0, 30.0, 30.0]
    assert loop.cycles == 3
    assert report.ok


def test_a_non_transient_azure_error_should_not_be_retried(
    arm: ArmEndpoint, arm_factories: cloud.Factories, tmp_path: Path
) -> None:
    result = cli(
        "discover", "--azure-resource-group", "missing-rg", "--out", str(tmp_path / "t"), "--once"
    )
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        "stashkit: discover failed: Azure: ResourceGroupNotFound (HTTP 404): "
        "Resource group 'missing-rg' could not be found."
    )
    assert len(arm.fake.requests) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--out", "t.json"],
            "discover needs --aws-asg NAME, --azure-resource-group RG or --kubernetes",
        ),
        (["--aws-asg", "x", "--out", "/nonexistent/dir/t.json"], "does not exist"),
        (["--aws-asg", "x", "--out", "t.json", "--interval", "0"], "must be more than 0"),
        (["--aws-asg", "x", "--out", "t.json", "--port", "70000"], "is not a port"),
    ],
)
def test_usage_errors_should_exit_2_with_one_line(
    aws_env: None, argv: list[str], message: str
) -> None:
    result = cli("discover", *argv)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_azure_without_a_subscription_should_say_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    result = cli("discover", "--azure-resource-group", "rg", "--out", str(tmp_path / "t"))
    assert result.code == 2
    assert "pass --subscription or set AZURE_SUBSCRIPTION_ID" in result.err


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("discover", "file_sd_configs"),
        ("verify", "Exit status: 0 once everything passes"),
        ("fleet", "--watch"),
    ],
)
def test_help_should_show_examples(command: str, expected: str) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = subparsers.choices[command].format_help()
    assert "examples:" in text
    assert f"stashkit {command} " in text
    assert expected in text


# ---- SIGTERM (subprocess against a moto server) --------------------------------------------


@pytest.fixture
def moto_server(aws_env: None) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_sigterm_should_stop_a_running_discover_cleanly(moto_server: str, tmp_path: Path) -> None:
    session = boto3.session.Session(region_name=REGION)
    ec2 = session.client("ec2", endpoint_url=moto_server)
    subnet = ec2.create_subnet(
        VpcId=ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"], CidrBlock="10.0.1.0/24"
    )["Subnet"]["SubnetId"]
    autoscaling = session.client("autoscaling", endpoint_url=moto_server)
    ec2.create_launch_template(
        LaunchTemplateName="sigterm-template",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="sigterm-web",
        LaunchTemplate={"LaunchTemplateName": "sigterm-template"},
        MinSize=2,
        MaxSize=2,
        VPCZoneIdentifier=subnet,
    )
    out = tmp_path / "targets.json"
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_server, "PYTHONUNBUFFERED": "1"}
    argv = ["discover", "--aws-asg", "sigterm-web", "--out", str(out), "--interval", "30"]
    process = subprocess.Popen(
        [sys.executable, "-m", "stashkit.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until(out.exists, 20, "discover wrote no file")
        assert len(read_file_sd(out)) == 2
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert took < 3, "the 30 s wait must be interrupted"
    assert "stopped by SIGTERM after 1 cycle(s)" in err
    assert "Traceback" not in err


def test_errors_should_be_described_in_one_bounded_line() -> None:
    from azure.core.exceptions import ClientAuthenticationError

    from stashkit.cloud import describe_error

    long = ClientAuthenticationError(
        "DefaultAzureCredential failed to retrieve a token.\n" + "Attempted credential X.\n" * 50
    )
    text = describe_error(long)
    assert "\n" not in text and len(text) <= 400 and text.endswith("…")
    assert text.startswith("Azure: ClientAuthenticationError: DefaultAzureCredential failed")
