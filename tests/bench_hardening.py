"""`make bench` rows for the hostile cases: memory and health latency under heavy clients, slow
clients, recovery after a trickling Logstash, /api/stats vs /api/health, the 24 h history.

Each row runs the real sidecar process against the hostile Logstash of tests/chaos.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from status_sidecar.sinks.history import record
from status_sidecar.store import Point
from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import percentile, probe, sidecar_process
from tests.support.servers import wait_for

Row = tuple[str, str, str]
LINE = b"[2026-12-02T10:00:00,000][INFO ][logstash.outputs.http    ][main] " + b"a" * 6000 + b"\n"


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stashkit-bench-") as tmp:
        yield Path(tmp)


def _health_p99(url: str, count: int, pause: float = 0.01) -> tuple[float, float]:
    port = int(url.rsplit(":", 1)[1])
    times = []
    for _ in range(count):
        times.append(probe(port)[0])
        time.sleep(pause)
    return percentile(times, 0.99) * 1000, max(times) * 1000


class _Peak:
    """Samples a process's RSS in the background, keeping the highest."""

    def __init__(self, read: Callable[[], float]) -> None:
        self.read = read
        self.value = read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.value = max(self.value, self.read())
            time.sleep(0.05)

    def __enter__(self) -> _Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bench_tails(log_mb: int = 300) -> list[Row]:
    with _workdir() as tmp, HostileLogstash() as logstash:
        log = tmp / "logstash-plain.log"
        block = LINE * 1000
        with log.open("wb") as out:
            for _ in range(max(1, (log_mb << 20) // len(block))):
                out.write(block)
        with sidecar_process(
            tmp / "run", logstash.url, log_path=log, args=("--heavy-requests-max", "8")
        ) as sidecar:
            before = sidecar.rss_mb()

            def tail() -> int:
                with httpx.stream("GET", f"{sidecar.url}/api/logs?lines=50000", timeout=120) as r:
                    return sum(len(c) for c in r.iter_raw())

            with _Peak(sidecar.rss_mb) as peak, concurrent.futures.ThreadPoolExecutor(8) as pool:
                futures = [pool.submit(tail) for _ in range(8)]
                p99, worst = _health_p99(sidecar.url, 200)
                sizes = [f.result() for f in futures]
    return [
        (
            f"8 concurrent lines=50000 tails of a {log_mb} MB log of 6 KB lines",
            f"RSS +{peak.value - before:.0f} MB, /api/health p99 {p99:.1f} ms (max "
            f"{worst:.0f}), each answer {max(sizes) / (1 << 20):.1f} MiB",
            "growth < 150 MB, p99 < 50 ms",
        )
    ]


def bench_slow_clients(count: int = 300) -> list[Row]:
    with (
        _workdir() as tmp,
        HostileLogstash() as logstash,
        sidecar_process(tmp, logstash.url) as sidecar,
    ):
        slow = []
        for _ in range(count):
            with contextlib.suppress(OSError):
                sock = socket.create_connection(("127.0.0.1", sidecar.port), timeout=5)
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
                slow.append(sock)
        try:
            p99, worst = _health_p99(sidecar.url, 300)
        finally:
            for sock in slow:
                sock.close()
    return [
        (
            f"/api/health with {count} slow clients (half a request each)",
            f"p99 {p99:.1f} ms (max {worst:.0f} ms)",
            "p99 < 100 ms",
        )
    ]


def bench_recovery(poll: float = 2.0, timeout: float = 2.0) -> list[Row]:
    with _workdir() as tmp, HostileLogstash(trickle_every=0.5) as logstash:
        args = ("--unreachable-after", "5")
        with sidecar_process(
            tmp, logstash.url, args=args, poll_interval=poll, request_timeout=timeout
        ) as sidecar:
            wait_for(lambda: sidecar.health()[1]["status"] == "healthy", 20)
            logstash.mode = "trickle"
            wait_for(lambda: sidecar.health()[1]["status"] == "unhealthy", 30)
            logstash.mode = "ok"
            recovered = wait_for(lambda: sidecar.health()[0] == 200, 30, interval=0.01)
    return [
        (
            f"recovery to healthy after a trickle (poll {poll:g} s, timeout {timeout:g} s)",
            f"{recovered:.2f} s",
            f"< {poll + timeout:g} s (poll interval + timeout)",
        )
    ]


def _wrk(url: str, seconds: int) -> float:
    import subprocess

    out = subprocess.run(
        ["wrk", "-t2", "-c20", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise AssertionError(out)


def bench_stats_ratio(seconds: int) -> list[Row]:
    if shutil.which("wrk") is None:
        return [("/api/stats vs /api/health", "skipped: wrk not installed", "")]
    with (
        _workdir() as tmp,
        HostileLogstash() as logstash,
        sidecar_process(tmp, logstash.url, poll_interval=10) as sidecar,
    ):
        wait_for(lambda: sidecar.get("/api/stats").json()["events"]["input_eps"] is not None, 30)
        health = _wrk(f"{sidecar.url}/api/health", seconds)
        stats = _wrk(f"{sidecar.url}/api/stats", seconds)
    return [
        (
            "/api/stats vs /api/health, wrk -t2 -c20, same run",
            f"{stats:,.0f} vs {health:,.0f} req/s (ratio {stats / health:.2f})",
            "ratio >= 0.6",
        )
    ]


def _full_day_history(path: Path, now: float) -> None:
    lines = []
    for i in range(8640):
        t = now - 86400 + (i + 1) * 10
        point = Point(t, 10.0, 1200 + i % 50, 1200, 1190, False)
        lines.append(
            record(
                point,
                reason=None,
                health="healthy",
                restarts=0,
                totals={"in": i * 1200, "filtered": i * 1200, "out": i * 1190},
                log_types={"microseg": [i, i, 0, 0]},
            )
        )
    path.write_text("\n".join(lines) + "\n")


def bench_history(clients: int = 4) -> list[Row]:
    with _workdir() as tmp, HostileLogstash() as logstash:
        history = tmp / "history.jsonl"
        _full_day_history(history, time.time())
        with sidecar_process(
            tmp / "run", logstash.url, history_file=history, poll_interval=10
        ) as sidecar:
            size = len(sidecar.get("/api/history?range=24h").content)
            points = len(sidecar.get("/api/history?range=24h").json()["points"])
            stop = threading.Event()
            fetched = [0]

            def fetch() -> None:
                while not stop.is_set():
                    httpx.get(f"{sidecar.url}/api/history?range=24h", timeout=10)
                    fetched[0] += 1

            threads = [threading.Thread(target=fetch, daemon=True) for _ in range(clients)]
            for thread in threads:
                thread.start()
            started = time.monotonic()
            p99, worst = _health_p99(sidecar.url, 300)
            rate = fetched[0] / (time.monotonic() - started)
            stop.set()
            for thread in threads:
                thread.join(10)
    return [
        (
            f"24 h history (8,640 polls restored), {clients} clients fetching range=24h",
            f"{size / 1024:.0f} KB, {points} points, {rate:.0f} answers/s; /api/health p99 "
            f"{p99:.1f} ms (max {worst:.0f} ms)",
            "< 200 KB, p99 < 50 ms",
        )
    ]


def bench_redaction() -> list[Row]:
    from status_sidecar.redact import Redactor

    redactor = Redactor([f"secret-value-{i:04d}" for i in range(50)])
    line = (
        "[2026-12-02T10:00:00,000][WARN ][logstash.outputs.http    ][main] retrying "
        "url=https://siem:8088/services/collector token_count=5 batch=125\n"
    )
    text = line * ((16 << 20) // len(line))
    started = time.perf_counter()
    redactor.text(text)
    seconds = time.perf_counter() - started
    return [
        (
            "redaction of a 16 MiB log answer (every line holds a URL and a key word)",
            f"{seconds:.2f} s ({len(text) / seconds / (1 << 20):.0f} MiB/s), in a heavy thread",
            "",
        )
    ]


def rows(wrk_seconds: int, log_mb: int) -> list[Row]:
    return [
        *bench_redaction(),
        *bench_tails(log_mb),
        *bench_slow_clients(),
        *bench_recovery(),
        *bench_stats_ratio(wrk_seconds),
        *bench_history(),
    ]


if __name__ == "__main__":
    from tests.bench import print_table

    print_table(rows(10, 300))
