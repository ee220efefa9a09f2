"""``stashkit fleet``: three real sidecars on loopback (one of them unhealthy), one closed port
and one port that accepts but never answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from stashkit.fleet import (
    FleetMonitor,
    FleetRow,
    FleetTotals,
    parse_stats,
    render_fleet,
)
from stashkit.inventory import SidecarAddress, render_file_sd
from stashkit.textui import CLEAR_HOME
from tests.cli.support import Sidecar, cli, health
from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def closed_port() -> str:
    """A loopback port nothing listens on: connection refused."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def urls(sidecars: list[Sidecar], *extra: str) -> list[str]:
    args = []
    for url in [*(s.url for s in sidecars), *extra]:
        args += ["--url", url]
    return args


def netloc(url: str) -> str:
    return url.split("://", 1)[1]


def test_table_should_show_every_sidecar_the_unhealthy_and_the_unreachable(
    sidecars: list[Sidecar], closed_port: str
) -> None:
    reason = health(sidecars[2].url)["reasons"][0]
    result = cli("fleet", *urls(sidecars, closed_port))
    assert result.code == 1
    assert result.err == "stashkit: fleet: 2 healthy, 1 unhealthy, 1 unreachable\n"
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "INSTANCE", "HEALTH", "VERSION", "UPTIME", "IN/S", "OUT/S", "QUEUE", "HEAP",
        "RESTARTS", "FAILURES", "REASONS",
    ]  # fmt: skip
    rows = {line.split()[0]: line for line in lines[1:5]}
    for sidecar in sidecars[:2]:
        row = rows[netloc(sidecar.url)]
        assert row.split()[1:3] == ["healthy", "8.19.3"]
        assert row.rstrip().endswith(" 0         0")  # restarts, failures; no reasons
    red = rows[netloc(sidecars[2].url)]
    assert red.split()[1] == "unhealthy"
    assert red.endswith(reason)
    down = lines[4]
    assert down.split()[:3] == [netloc(closed_port), "unreachable", "-"]
    assert "ConnectError" in down
    assert set(lines[5]) == {"-"}
    total = lines[6]
    assert total.startswith("TOTAL (4)")
    assert "2/4 ok" in total
    assert total.endswith("2 healthy, 1 unhealthy, 1 unreachable")


def test_totals_row_should_add_up_the_rows(sidecars: list[Sidecar], closed_port: str) -> None:
    result = cli("fleet", "--json", *urls(sidecars, closed_port))
    assert result.code == 1
    document = result.json()
    instances = document["instances"]
    assert [i["name"] for i in instances] == [
        netloc(u) for u in [*(s.url for s in sidecars), closed_port]
    ]
    assert [i["health"] for i in instances] == ["healthy", "healthy", "unhealthy", "unreachable"]
    assert [i["reachable"] for i in instances] == [True, True, True, False]
    totals = document["totals"]
    assert totals["instances"] == 4
    assert totals["by_health"] == {"healthy": 2, "unhealthy": 1, "unreachable": 1}
    assert totals["input_eps"] == pytest.approx(sum(i["input_eps"] or 0 for i in instances[:3]))
    assert totals["restarts"] == sum(i["restarts"] for i in instances[:3])
    healthy = instances[0]
    assert healthy["version"] == "8.19.3"
    assert healthy["uptime_s"] > 800  # the fake Logstash started 900 s before the test
    assert healthy["heap_percent"] is not None and healthy["queue_events"] is not None
    assert healthy["failures"] == 0
    assert instances[2]["reasons"] and "red" in instances[2]["reasons"][0]
    down = instances[3]
    assert down["version"] is None and down["input_eps"] is None
    assert down["error"].startswith("ConnectError")


def test_all_serving_should_exit_0(sidecars: list[Sidecar]) -> None:
    result = cli("fleet", *urls(sidecars[:2]))
    assert result.code == 0, result.err
    assert result.err == ""
    assert "TOTAL (2)" in result.out and "2/2 ok" in result.out


def test_targets_file_should_name_rows_by_their_labels(
    sidecars: list[Sidecar], tmp_path: Path
) -> None:
    targets = tmp_path / "targets.json"
    targets.write_text(
        render_file_sd(
            [
                SidecarAddress.at(
                    netloc(s.url), {"container_group": f"group-{n}", "job": "stashkit"}
                )
                for n, s in enumerate(sidecars[:2])
            ]
        )
    )
    result = cli("fleet", "--targets", str(targets), "--json")
    assert result.code == 0, result.err
    assert [i["name"] for i in result.json()["instances"]] == ["group-0", "group-1"]


def test_requests_should_be_concurrent_and_bounded_by_the_timeout(
    sidecars: list[Sidecar], black_hole: str
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second:
        second.bind(("127.0.0.1", 0))
        second.listen(8)
        other = f"http://127.0.0.1:{second.getsockname()[1]}"
        started = time.monotonic()
        result = cli("fleet", "--json", "--timeout", "1.0", *urls(sidecars[:1], black_hole, other))
        took = time.monotonic() - started
    assert result.code == 1
    rows = result.json()["instances"]
    assert [r["health"] for r in rows] == ["healthy", "unreachable", "unreachable"]
    assert all(r["error"].startswith("ReadTimeout") for r in rows[1:])
    assert took < 1.9, f"two 1 s timeouts took {took:.1f} s: not concurrent"


def test_missing_fields_should_show_as_unknown_not_zero() -> None:
    row = parse_stats(
        SidecarAddress("i-1", "http://10.0.0.1:3000"),
        {"health": {"status": "starting", "reasons": ["waiting for Logstash"]}, "restarts": 0},
    )
    assert (row.version, row.input_eps, row.queue_events, row.failures) == (None,) * 4
    assert row.restarts == 0
    text = render_fleet([row], FleetTotals.of([row]))
    cells = text.splitlines()[1].split()
    assert cells[:9] == ["i-1", "starting", "-", "-", "-", "-", "-", "-", "0"]
    assert not FleetTotals.of([row]).all_serving
    garbage = parse_stats(SidecarAddress("x", "http://x"), ["not", "a", "dict"])
    assert garbage.health == "invalid"


def test_watch_monitor_should_refresh_and_reread_the_endpoints(sidecars: list[Sidecar]) -> None:
    calls: list[int] = []
    shown: list[list[FleetRow]] = []

    def endpoints() -> list[SidecarAddress]:
        calls.append(1)
        return [SidecarAddress("a", sidecars[0].url)][: len(calls)] + (
            [SidecarAddress("b", sidecars[1].url)] if len(calls) > 1 else []
        )

    monitor = FleetMonitor(endpoints, lambda: httpx.AsyncClient(timeout=2))
    count = monitor.watch(lambda rows, totals: shown.append(rows), interval=0.05, refreshes=2)
    assert count == 2
    assert [len(rows) for rows in shown] == [1, 2]


def watch_until(argv: list[str], enough: Callable[[bytes], bool]) -> tuple[int, str, bytes]:
    """Run ``stashkit ARGV`` until its stdout satisfies ``enough``, then Ctrl-C (SIGINT) it."""
    chunks: list[bytes] = []
    with subprocess.Popen(
        [sys.executable, "-m", "stashkit.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
    ) as process:

        def read() -> None:
            assert process.stdout is not None
            while chunk := process.stdout.read1(65536):
                chunks.append(chunk)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            wait_until(lambda: enough(b"".join(chunks)), 20, f"not enough output: {chunks[-1:]}")
            process.send_signal(signal.SIGINT)
            process.wait(10)
            assert process.stderr is not None
            err = process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            reader.join(5)
    return process.returncode, b"".join(chunks).decode(), err


def test_watch_should_redraw_in_place_and_exit_cleanly_on_ctrl_c(sidecars: list[Sidecar]) -> None:
    code, out, err = watch_until(
        ["fleet", "--watch", "--interval", "0.2", *urls(sidecars[:2])],
        lambda out: out.count(CLEAR_HOME.encode()) >= 3,
    )
    assert code == 0, err
    assert b"Traceback" not in err
    frames = out.split(CLEAR_HOME)[1:]
    assert len(frames) >= 3
    assert all("TOTAL (2)" in f and "Ctrl-C quits" in f for f in frames[:3])


def test_watch_json_should_print_one_document_per_refresh(sidecars: list[Sidecar]) -> None:
    code, out, err = watch_until(
        ["fleet", "--watch", "--json", "--interval", "0.2", *urls(sidecars[:1])],
        lambda out: out.count(b"\n") >= 2,
    )
    assert code == 0, err
    documents = [json.loads(line) for line in out.splitlines()]
    assert len(documents) >= 2
    assert all(d["totals"]["instances"] == 1 for d in documents)
    assert CLEAR_HOME not in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        ([], 2, "one of the arguments --targets --url is required"),
        (["--targets", "/nonexistent/targets.json"], 2, "no such targets file"),
        (["--url", "http://x", "--timeout", "0"], 2, "must be more than 0"),
    ],
)
def test_fleet_usage_errors(argv: list[str], code: int, message: str) -> None:
    result = cli("fleet", *argv)
    assert result.code == code
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_an_empty_targets_file_is_an_error(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    targets.write_text("[]\n")
    result = cli("fleet", "--targets", str(targets))
    assert result.code == 2
    assert "no sidecars to ask" in result.err
