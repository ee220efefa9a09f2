"""``stashkit verify --send-samples``: real sidecars on loopback, each polling a fake Logstash
that counts what a local syslog listener really received.

The listener (UDP on 127.0.0.1) runs every datagram through the rendered pipeline's filters
(tests/pipelines/interpreter.py) and adds one event to each plugin id it passed in the fake
(``FakeLogstash.add_events``), spreading messages over the fakes like a load balancer. The
fakes model no other traffic (``event_rate=0``), so a sidecar's ``received`` grows exactly by
what arrived. A listener can be told to lose one log type.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stashkit.inventory import SidecarAddress
from stashkit.replay import Target
from stashkit.verify import syslog_target
from status_sidecar.catalog import LOG_TYPE_KEYS
from tests.cli.support import cli, health
from tests.fakes.fake_logstash import FakeLogstash, FakeLogstashServer, LogWriter
from tests.pipelines.support import pipeline
from tests.support.servers import fast_settings, run_sidecar, wait_until

FAST = ("--timeout", "5", "--interval", "0.2", "--http-timeout", "2")
ACI_ENDPOINTS = {
    "tcp": "tcp.example:1514",
    "udp": "logs.westeurope.azurecontainer.io:1514",
    "tls": "logs.westeurope.azurecontainer.io:10514",
}
NETWORKING = ("gw_net_stats", "gw_sys_stats", "tunnel_status")


@dataclass
class SyslogListener:
    """A UDP syslog listener feeding fake Logstashes in turn, like an NLB."""

    fakes: list[FakeLogstash]
    lose: set[str] = field(default_factory=set)
    received: list[bytes] = field(default_factory=list)
    port: int = 0

    def serve(self, sock: socket.socket, stop: threading.Event) -> None:
        flow = pipeline("splunk-hec")
        turn = 0
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(70000)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received.append(data)
            run = flow.run(data.decode("utf-8", errors="replace"))
            if run.log_type in self.lose:
                continue
            fake = self.fakes[turn % len(self.fakes)]
            turn += 1
            fake.add_events(["udp-5000", *run.filters, *run.outputs])


@contextlib.contextmanager
def syslog_listener(fakes: list[FakeLogstash]) -> Iterator[SyslogListener]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    listener = SyslogListener(fakes, port=sock.getsockname()[1])
    stop = threading.Event()
    thread = threading.Thread(target=listener.serve, args=(sock, stop), daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        stop.set()
        thread.join(5)
        sock.close()


@contextlib.contextmanager
def quiet_sidecars(
    workdir: Path, count: int, profile: str = "all"
) -> Iterator[tuple[list[str], list[FakeLogstash]]]:
    """``count`` healthy sidecars, each on a fake Logstash with no modelled traffic."""
    with contextlib.ExitStack() as stack:
        urls, fakes = [], []
        for index in range(count):
            fake = FakeLogstash(event_rate=0.0, started_seconds_ago=900)
            server = FakeLogstashServer(fake)
            server.start()
            stack.callback(server.stop)
            log = workdir / f"logstash-{index}.log"
            LogWriter(log).write_some(5)
            settings = fast_settings(server.url, log, log_profile=profile)
            urls.append(stack.enter_context(run_sidecar(settings)))
            fakes.append(fake)
        for url in urls:
            wait_until(lambda u=url: health(u)["status"] == "healthy", 10, f"{url} not healthy")  # type: ignore[misc]
        yield urls, fakes


def _verify(urls: list[str], port: int, *extra: str) -> tuple[int, str, str]:
    sidecars = [arg for url in urls for arg in ("--sidecar-url", url)]
    result = cli(
        "verify", "aws-ec2-single-instance", "--no-terraform", *FAST, *sidecars,
        "--send-samples", "--syslog", f"127.0.0.1:{port}", "--samples-timeout", "15", *extra,
    )  # fmt: skip
    return result.code, result.out, result.err


def test_should_count_every_sample_across_the_sidecars(tmp_path: Path) -> None:
    with (
        quiet_sidecars(tmp_path, 2) as (urls, fakes),
        syslog_listener(fakes) as listener,
    ):
        code, out, err = _verify(urls, listener.port)
    assert code == 0, err + out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    for key in LOG_TYPE_KEYS:
        assert lines[key][1:] == ["3", "3", "-"], lines[key]
    assert "every sample counted" in out
    assert len(listener.received) == 3 * len(LOG_TYPE_KEYS)
    # both sidecars counted some: the sum over sidecars is what matters
    assert all(f.plugin_ids() for f in fakes)


def test_should_report_a_lost_type_and_exit_1(tmp_path: Path) -> None:
    with (
        quiet_sidecars(tmp_path, 1) as (urls, fakes),
        syslog_listener(fakes) as listener,
    ):
        listener.lose = {"fqdn"}
        code, out, err = _verify(urls, listener.port, "--samples-timeout", "2", "--json")
    assert code == 1
    assert "samples not all counted: missing: fqdn 3 of 3" in err
    document = json.loads(out)
    assert document["healthy"] is True
    rows = {r["type"]: r for r in document["samples"]["log_types"]}
    assert rows["fqdn"] == {"type": "fqdn", "sent": 3, "seen": 0, "missing": 3}
    assert rows["microseg"] == {"type": "microseg", "sent": 3, "seen": 3, "missing": 0}
    assert document["samples"]["ok"] is False


def test_should_send_only_the_types_the_profile_forwards(tmp_path: Path) -> None:
    with (
        quiet_sidecars(tmp_path, 1, profile="networking") as (urls, fakes),
        syslog_listener(fakes) as listener,
    ):
        code, out, err = _verify(urls, listener.port, "--samples-per-type", "2")
    assert code == 0, err + out
    table_types = [line.split()[0] for line in out.splitlines() if line[:1].islower()]
    assert [t for t in table_types if t in LOG_TYPE_KEYS] == list(NETWORKING)
    assert len(listener.received) == 2 * len(NETWORKING)


def test_should_not_send_when_the_deployment_is_not_serving(tmp_path: Path) -> None:
    with (
        quiet_sidecars(tmp_path, 1) as (urls, fakes),
        syslog_listener(fakes) as listener,
    ):
        fakes[0].mode = "red"
        wait_until(lambda: health(urls[0])["status"] == "unhealthy", 10, "not unhealthy")
        code, out, _err = _verify(urls, listener.port, "--timeout", "0.5")
    assert code == 1
    assert listener.received == []
    assert "SENT" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tcp"], "go with --send-samples"),
        (["--send-samples", "--syslog", "nohost"], "HOST:PORT"),
        (["--send-samples", "--samples-per-type", "0"], "--samples-per-type must be 1"),
    ],
)
def test_should_refuse_bad_sample_options(argv: list[str], message: str) -> None:
    result = cli(
        "verify", "aws-ec2-single-instance", "--no-terraform", "--sidecar-url", "http://x:1", *argv
    )
    assert result.code == 2
    assert message in result.err


@pytest.mark.parametrize(
    ("flags", "outputs", "sidecars", "expected"),
    [
        (["--syslog", "10.0.0.5:5514"], {}, [], Target("10.0.0.5", 5514)),
        ([], {"syslog_endpoints": ["nlb.example:5000", "nlb.example:6514"]}, [],
         Target("nlb.example", 5000)),
        (["--tls"], {"syslog_endpoints": ["nlb.example:5000", "nlb.example:6514"]}, [],
         Target("nlb.example", 6514)),
        ([], {"syslog_endpoints": ["TCP/5000", "UDP/5000"]},
         [SidecarAddress("group", "http://20.1.2.3:3000")], Target("20.1.2.3", 5000)),
        (["--syslog-port", "5514"], {}, [SidecarAddress("i-1", "http://10.1.1.1:3000/")],
         Target("10.1.1.1", 5514)),
        # Outputs keyed by protocol: the ACI group's DNS name wins over its IP (the fallback).
        ([], {"syslog_endpoints": ACI_ENDPOINTS}, [SidecarAddress("group", "http://20.1.2.3:3000")],
         Target("logs.westeurope.azurecontainer.io", 1514)),
        (["--tcp"], {"syslog_endpoints": ACI_ENDPOINTS}, [], Target("tcp.example", 1514)),
        (["--tls"], {"syslog_endpoints": ACI_ENDPOINTS}, [],
         Target("logs.westeurope.azurecontainer.io", 10514)),
        (["--tls", "--syslog-port", "16514"], {"syslog_endpoints": ACI_ENDPOINTS}, [],
         Target("logs.westeurope.azurecontainer.io", 16514)),
        # No state (or not applied yet): the container group's address from the sidecar.
        (["--tls"], {"syslog_endpoints": {}}, [SidecarAddress("group", "http://20.1.2.3:3000")],
         Target("20.1.2.3", 6514)),
    ],
)  # fmt: skip
def test_should_find_the_syslog_endpoint(
    flags: list[str], outputs: dict[str, object], sidecars: list[SidecarAddress], expected: Target
) -> None:
    from stashkit.cli import build_parser

    args = build_parser().parse_args(["verify", "azure-aci", "--send-samples", *flags])
    assert syslog_target(args, outputs, sidecars) == expected


def test_should_refuse_tls_when_the_deployment_has_no_tls_endpoint() -> None:
    from stashkit.cli import build_parser
    from stashkit.errors import UsageError

    args = build_parser().parse_args(["verify", "azure-aci", "--send-samples", "--tls"])
    outputs = {"syslog_endpoints": {"tcp": "20.1.2.3:5000", "udp": "20.1.2.3:5000"}}
    with pytest.raises(UsageError, match=r"no tls syslog endpoint .*tcp 20\.1\.2\.3:5000"):
        syslog_target(args, outputs, [SidecarAddress("group", "http://20.1.2.3:3000")])


def test_should_send_to_the_endpoint_terraform_outputs_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --syslog: the udp entry of `terraform output syslog_endpoints` is used. The fallback
    (the sidecar's host on 5000) reaches no listener, so only that endpoint can get every
    sample counted."""
    from stashkit.cli import build_parser
    from stashkit.commands import verify as verify_command

    with (
        quiet_sidecars(tmp_path, 1) as (urls, fakes),
        syslog_listener(fakes) as listener,
    ):
        endpoint = f"127.0.0.1:{listener.port}"

        def outputs(deployment: str) -> dict[str, object]:
            assert deployment == "aws-ec2-single-instance"
            return {"syslog_endpoints": {"tcp": "192.0.2.1:1", "udp": endpoint}}

        argv = ["verify", "aws-ec2-single-instance", *FAST, "--send-samples",
                "--samples-timeout", "15", *("--sidecar-url", urls[0])]  # fmt: skip
        code = verify_command.run(build_parser().parse_args(argv), outputs_reader=outputs)
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"samples to {endpoint} over UDP: every sample counted" in out
    assert len(listener.received) == 3 * len(LOG_TYPE_KEYS)
