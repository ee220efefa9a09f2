"""Hostile clients: a huge header, hundreds of slow clients, many large tails and bundles."""

from __future__ import annotations

import concurrent.futures
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import percentile, sidecar_process, timed_get
from tests.support.servers import wait_for

pytestmark = pytest.mark.slow
LINE = b"[2026-12-02T10:00:00,000][INFO ][logstash.outputs.http    ][main] " + b"a" * 6000 + b"\n"


@pytest.fixture(scope="module")
def logstash() -> Iterator[HostileLogstash]:
    with HostileLogstash() as server:
        yield server


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """64 MB of 6 KB lines with one 20 MB line in the middle."""
    path = tmp_path_factory.mktemp("logs") / "logstash-plain.log"
    block = LINE * 1000
    with path.open("wb") as out:
        for _ in range(5):
            out.write(block)
        out.write(
            b"[2026-12-02T10:00:01,000][WARN ][logstash.filters.grok    ] " + b"z" * (20 << 20)
        )
        out.write(b"\n")
        for _ in range(5):
            out.write(block)
    return path


def _health_times(url: str, count: int, pause: float = 0.02) -> list[float]:
    times = []
    for _ in range(count):
        elapsed, status = timed_get(f"{url}/api/health", timeout=5)
        assert status in (200, 503), status
        times.append(elapsed)
        time.sleep(pause)
    return times


def test_should_refuse_a_huge_header_without_growing(
    tmp_path: Path, logstash: HostileLogstash
) -> None:
    with sidecar_process(tmp_path, logstash.url) as sidecar:
        before = sidecar.rss_mb()
        sock = socket.create_connection(("127.0.0.1", sidecar.port), timeout=10)
        answer = b""
        with contextlib.suppress(OSError):
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
            piece = b"b" * (1 << 20)
            for _ in range(64):
                sock.sendall(piece)
        with contextlib.suppress(OSError):
            answer = sock.recv(200)
        sock.close()
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer
        assert sidecar.rss_mb() - before < 20
        assert sidecar.get("/api/health").status_code in (200, 503)


def test_should_answer_health_with_hundreds_of_slow_clients(
    tmp_path: Path, logstash: HostileLogstash
) -> None:
    with sidecar_process(tmp_path, logstash.url, nofile=256) as sidecar:
        wait_for(lambda: sidecar.health()[0] == 200, 10)
        slow: list[socket.socket] = []
        for _ in range(300):
            with contextlib.suppress(OSError):
                sock = socket.create_connection(("127.0.0.1", sidecar.port), timeout=5)
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
                slow.append(sock)
        try:
            times = _health_times(sidecar.url, 100)
        finally:
            for sock in slow:
                sock.close()
        assert max(times) < 1.0, f"slowest /api/health took {max(times):.3f} s"
        assert percentile(times, 0.99) < 0.5
        log = sidecar.output()
        assert len(log) < 50_000, log[-2000:]
        assert "Too many open files" not in log


def test_should_bound_memory_under_many_large_tails_and_bundles(
    tmp_path: Path, logstash: HostileLogstash, big_log: Path
) -> None:
    with sidecar_process(tmp_path, logstash.url, log_path=big_log) as sidecar:
        before = sidecar.rss_mb()
        peak = [before]
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], sidecar.rss_mb())
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        def fetch(path: str) -> tuple[int, int, str]:
            with httpx.stream("GET", f"{sidecar.url}{path}", timeout=60) as response:
                size = sum(len(chunk) for chunk in response.iter_raw())
                return response.status_code, size, response.headers.get("retry-after", "")

        paths = ["/api/logs?lines=50000"] * 8 + ["/api/support-bundle"] * 4
        with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
            futures = [pool.submit(fetch, p) for p in paths]
            health = _health_times(sidecar.url, 40, pause=0.05)
            results = [f.result() for f in futures]
        stop.set()
        watcher.join()
        served = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] == 429]
        assert served and len(served) + len(refused) == len(results)
        assert all(r[2] for r in refused), "429 without Retry-After"
        assert all(size <= 16 * 1024 * 1024 + 4096 for status, size, _ in served if status == 200)
        assert peak[0] - before < 150, f"RSS grew from {before:.0f} to {peak[0]:.0f} MB"
        assert percentile(health, 0.99) < 0.5, max(health)


def test_should_cut_a_long_last_line_and_say_so(tmp_path: Path, logstash: HostileLogstash) -> None:
    log = tmp_path / "logstash-plain.log"
    last = b"[2026-12-02T10:00:02,000][ERROR][x] " + b"q" * (5 << 20)
    log.write_bytes(LINE * 3 + last + b"\n")
    with sidecar_process(tmp_path, logstash.url, log_path=log) as sidecar:
        response = sidecar.get("/api/logs?lines=1")
        assert response.status_code == 200
        assert response.headers["x-log-truncated"] == "long-lines"
        assert len(response.content) < 64 * 1024 + 1024
        first, line = response.text.splitlines()
        assert first.startswith("[stashkit] this answer was cut") and "LOG_MAX_LINE_BYTES" in first
        assert line.startswith("[2026-12-02T10:00:02,000][ERROR]")
        assert line.endswith(f"[line cut by stashkit: {len(last):,} bytes in all]")
