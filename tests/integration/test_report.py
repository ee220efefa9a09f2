"""`status-sidecar report` as a monitoring system runs it: against a running sidecar (with its
token) and straight at Logstash, exit codes of the monitoring-plugin convention."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import SidecarProcess, sidecar_process
from tests.support.servers import free_port, wait_for

pytestmark = pytest.mark.slow
TOKEN = "report-token-0123456789abcdef"
LOG = (
    "[2026-12-02T10:00:00,000][INFO ][logstash.agent           ] Pipelines running\n"
    "[2026-12-02T10:00:01,000][WARN ][logstash.outputs.http    ][main] retrying failed bulk\n"
    "[2026-12-02T10:00:02,000][ERROR][logstash.outputs.http    ][main] could not send batch\n"
)


def report(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "status_sidecar", "report", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def logstash() -> Iterator[HostileLogstash]:
    with HostileLogstash() as server:
        yield server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("report")
    (work / "tokens").write_text(f"oncall:{TOKEN}\n")
    (work / "client-token").write_text(f"oncall:{TOKEN}\n")  # the same format works
    (work / "logstash-plain.log").write_text(LOG)
    return work


@pytest.fixture(scope="module")
def sidecar(workdir: Path, logstash: HostileLogstash) -> Iterator[SidecarProcess]:
    args = ("--auth-token-file", str(workdir / "tokens"), "--unreachable-after", "2")
    with sidecar_process(
        workdir / "run", logstash.url, args=args, log_path=workdir / "logstash-plain.log"
    ) as process:
        wait_for(lambda: process.health()[1]["status"] == "healthy", 10)
        wait_for(
            lambda: (
                process.get("/api/stats", headers={"Authorization": f"Bearer {TOKEN}"}).json()[
                    "events"
                ]["input_eps"]
                is not None
            ),
            10,
        )
        yield process


def test_a_healthy_sidecar_should_report_ok_with_every_section(
    sidecar: SidecarProcess, workdir: Path
) -> None:
    done = report("--url", sidecar.url, "--token-file", str(workdir / "client-token"))
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout
    assert text.startswith("health: HEALTHY")
    for section in ("logstash: ", "pipeline ", "log type", "history (1 h): ", "log (last 3 lines)"):
        assert section in text, section
    assert "could not send batch" in text and "retrying failed bulk" in text


def test_json_should_hold_the_whole_document(sidecar: SidecarProcess, workdir: Path) -> None:
    env = {"STASHKIT_SIDECAR_TOKEN_FILE": str(workdir / "client-token"), "PATH": "/usr/bin"}
    done = report("--url", sidecar.url, "--json", env=env)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["health"]["status"] == "healthy"
    assert document["pipelines"] and document["log_types"]
    assert [p["level"] for p in document["log_summary"]["recent_problems"]] == ["WARN", "ERROR"]
    assert document["history_1h"]["points"] >= 1


def test_a_refused_or_missing_token_should_be_unknown(
    sidecar: SidecarProcess, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token-000000000000\n")
    for args in (("--token-file", str(wrong)), ()):
        done = report("--url", sidecar.url, *args, env={"PATH": "/usr/bin"})
        assert done.returncode == 3
        assert done.stdout.startswith("UNKNOWN: the sidecar refused the request (401)")
        assert "not-the-token" not in done.stdout + done.stderr


def test_an_unreachable_sidecar_should_be_unknown() -> None:
    done = report("--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 3
    assert done.stdout.startswith("UNKNOWN: cannot reach the sidecar")
    assert len(done.stdout.strip().splitlines()) == 1


def test_logstash_straight_should_report_ok(logstash: HostileLogstash, workdir: Path) -> None:
    done = report(
        "--logstash-url", logstash.url,
        "--log-path", str(workdir / "logstash-plain.log"),
        "--sample-seconds", "0.5",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("health: HEALTHY")


def test_an_unreachable_logstash_should_be_unknown() -> None:
    done = report("--logstash-url", f"http://127.0.0.1:{free_port()}", "--request-timeout", "1")
    assert done.returncode == 3
    assert done.stdout.startswith("UNKNOWN: Logstash at http://127.0.0.1:")


def test_only_the_flags_of_report_should_be_accepted() -> None:
    for args in (("--port", "3000"), ("--pushgateway-url", "http://x"), ("--bogus",)):
        done = report(*args)
        assert done.returncode == 3, args
        assert "unrecognized arguments" in done.stderr and "Traceback" not in done.stderr
    assert report("--url", "ftp://x").returncode == 3
    help_text = report("--help").stdout
    assert "--url" in help_text and "--token-file" in help_text and "--port" not in help_text


def test_degraded_and_unhealthy_should_give_1_and_2(workdir: Path, tmp_path: Path) -> None:
    token = ("--token-file", str(workdir / "client-token"))
    with HostileLogstash() as logstash:
        args = ("--auth-token-file", str(workdir / "tokens"), "--unreachable-after", "2")
        with sidecar_process(tmp_path, logstash.url, args=args) as sidecar:
            wait_for(lambda: sidecar.health()[1]["status"] == "healthy", 10)
            logstash.fake.mode = "heap_high"
            wait_for(lambda: sidecar.health()[1]["status"] == "degraded", 10)
            done = report("--url", sidecar.url, *token)
            assert done.returncode == 1, done.stdout
            assert done.stdout.startswith("health: DEGRADED") and "heap" in done.stdout
            logstash.mode = "reset"
            wait_for(lambda: sidecar.health()[1]["status"] == "unhealthy", 15)
            done = report("--url", sidecar.url, *token)
            assert done.returncode == 2, done.stdout
            assert done.stdout.startswith("health: UNHEALTHY")
