"""A hostile Logstash: trickles, endless and huge bodies, slow headers, resets, odd Unicode.

Each case runs the real sidecar process against the hostile server and checks what the load
balancer and the operator see: the health status and code, how long every answer took, how
fast health recovers, and how much the process's memory grew.
"""

from __future__ import annotations

import io
import socket
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import SidecarProcess, sidecar_process, stop, timed_get
from tests.support.servers import wait_for

pytestmark = pytest.mark.slow

POLL = 0.5
TIMEOUT = 1.5
FAST_HEALTH_ARGS = ("--unreachable-after", "3", "--startup-grace", "5")


@pytest.fixture
def logstash() -> Iterator[HostileLogstash]:
    with HostileLogstash(trickle_every=0.5) as server:
        yield server


@pytest.fixture
def sidecar(tmp_path: Path, logstash: HostileLogstash) -> Iterator[SidecarProcess]:
    with sidecar_process(
        tmp_path,
        logstash.url,
        args=FAST_HEALTH_ARGS,
        poll_interval=POLL,
        request_timeout=TIMEOUT,
        history_file=tmp_path / "history.jsonl",
    ) as process:
        wait_for(lambda: process.health()[1]["status"] == "healthy", 10)
        yield process


def test_should_stay_responsive_and_recover_after_a_trickling_logstash(
    sidecar: SidecarProcess, logstash: HostileLogstash
) -> None:
    logstash.mode = "trickle"
    # Polls now fail at their deadline: degraded, then unhealthy, never a stalled answer.
    wait_for(lambda: sidecar.health()[1]["status"] == "unhealthy", 10)
    code, document = sidecar.health()
    assert code == 503
    reasons = " ".join(str(r) for r in document["reasons"])  # type: ignore[union-attr]
    assert "within 1.5 s" in reasons and "last good poll" in reasons

    elapsed, status = timed_get(f"{sidecar.url}/api/hot-threads")
    assert status == 502
    assert elapsed < TIMEOUT + 1

    started = time.monotonic()
    bundle = sidecar.get("/api/support-bundle", timeout=20)
    bundle_s = time.monotonic() - started
    assert bundle.status_code == 200
    assert bundle_s < 2 * TIMEOUT + 2  # node info and hot threads each wait one deadline
    members = _members(bundle.content)
    assert "within 1.5 s" in members["hot-threads.txt"]
    assert "node info unavailable" in members["node-info.json"]

    for _ in range(20):
        elapsed, status = timed_get(f"{sidecar.url}/api/health")
        assert status == 503
        assert elapsed < 0.5

    logstash.mode = "ok"
    recovered_s = wait_for(lambda: sidecar.health()[0] == 200, 10, interval=0.02)
    assert recovered_s < POLL + TIMEOUT + 0.5
    assert sidecar.health()[1]["status"] == "healthy"


def test_should_cap_a_huge_answer_without_growing(
    sidecar: SidecarProcess, logstash: HostileLogstash
) -> None:
    before = sidecar.rss_mb()
    logstash.huge_bytes = 200 * 1024 * 1024
    logstash.mode = "huge"
    wait_for(lambda: "more than" in _reasons(sidecar), 15)
    assert "LOGSTASH_MAX_RESPONSE_BYTES" in _reasons(sidecar)
    peak = max(sidecar.rss_mb() for _ in range(20) if time.sleep(0.1) is None)
    assert peak - before < 120, f"RSS grew from {before:.0f} to {peak:.0f} MB"
    logstash.mode = "ok"
    wait_for(lambda: sidecar.health()[1]["status"] == "healthy", POLL + TIMEOUT + 3)


def test_should_abandon_an_endless_chunked_answer_at_its_deadline(
    sidecar: SidecarProcess, logstash: HostileLogstash
) -> None:
    before = sidecar.rss_mb()
    logstash.mode = "endless_chunked"
    wait_for(lambda: "within 1.5 s" in _reasons(sidecar), 10)
    time.sleep(3 * (POLL + TIMEOUT))
    assert sidecar.rss_mb() - before < 50
    elapsed, status = timed_get(f"{sidecar.url}/api/health")
    assert elapsed < 0.5 and status in (200, 503)


def test_should_time_out_slow_headers_and_a_reset_mid_body(
    sidecar: SidecarProcess, logstash: HostileLogstash
) -> None:
    logstash.mode = "slow_headers"
    wait_for(lambda: "within 1.5 s" in _reasons(sidecar), 10)
    logstash.mode = "reset"
    wait_for(lambda: "failed" in _reasons(sidecar) and "within" not in _reasons(sidecar), 10)
    assert sidecar.health()[1]["status"] in ("degraded", "unhealthy")
    logstash.mode = "ok"
    wait_for(lambda: sidecar.health()[1]["status"] == "healthy", POLL + TIMEOUT + 3)


def test_should_serve_a_lone_surrogate_pipeline_id_everywhere(
    sidecar: SidecarProcess, logstash: HostileLogstash
) -> None:
    logstash.mode = "lone_surrogate"
    wait_for(lambda: b"\xef\xbf\xbdmain" in sidecar.get("/api/stats").content, 10)
    for path in ("/metrics", "/api/stats", "/", "/api/support-bundle", "/api/history"):
        response = sidecar.get(path, timeout=20)
        assert response.status_code == 200, (path, response.text[:300])
    assert '\ufffdmain"' in sidecar.get("/metrics").text


def test_should_end_within_ten_seconds_on_sigterm_while_everything_hangs(
    tmp_path: Path, sidecar: SidecarProcess, logstash: HostileLogstash
) -> None:
    history = tmp_path / "history.jsonl"
    wait_for(lambda: history.exists() and history.stat().st_size > 0, 10)
    logstash.trickle_every = 1.0  # under any per-read timeout: only a deadline ends it
    logstash.mode = "trickle"
    # Clients in flight: a bundle waiting on Logstash and slow half-requests.
    pending = [_start_request(sidecar.port, "/api/support-bundle") for _ in range(2)]
    slow = [_half_request(sidecar.port) for _ in range(20)]
    time.sleep(0.5)
    lines_before = history.read_text().count("\n")
    seconds = stop(sidecar)
    assert seconds < 10, sidecar.output()[-2000:]
    assert history.read_text().count("\n") >= lines_before
    for sock in [*pending, *slow]:
        sock.close()


def _reasons(sidecar: SidecarProcess) -> str:
    return " ".join(str(r) for r in sidecar.health()[1]["reasons"])  # type: ignore[union-attr]


def _members(data: bytes) -> dict[str, str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {
            m.name: archive.extractfile(m).read().decode()  # type: ignore[union-attr]
            for m in archive.getmembers()
        }


def _start_request(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def _half_request(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
    return sock
