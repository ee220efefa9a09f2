"""`make bench`: the sidecar's speed and memory figures, printed as one table.

    python -m tests.bench [--rss-seconds 600] [--wrk-seconds 15] [--quick]

Each figure is measured here, on this machine, against the fake Logstash; goals come
from the issues. Nothing here asserts: figures are reported, not tested.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from status_sidecar.model import NodeStats
from status_sidecar.store import Store
from tests import bench_hardening, bench_metrics
from tests.bench_logs import bench_tail
from tests.fakes.fake_logstash import FakeLogstash, generate_big_log
from tests.support.servers import free_port, wait_until

Row = tuple[str, str, str]


@contextlib.contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def fake_and_sidecar(
    log: Path, poll_interval: float, plugin_count: int = 0
) -> Iterator[tuple[str, int]]:
    ls_port, sc_port = free_port(), free_port()
    fake = [
        sys.executable,
        "-m",
        "tests.fakes.fake_logstash",
        "--port",
        str(ls_port),
        "--event-rate",
        "500",
        "--plugin-count",
        str(plugin_count),
    ]
    sidecar = [
        sys.executable,
        "-m",
        "status_sidecar",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(sc_port),
        "--logstash-url",
        f"http://127.0.0.1:{ls_port}",
        "--log-path",
        str(log),
        "--poll-interval",
        str(poll_interval),
    ]
    with process(fake), process(sidecar) as proc:
        url = f"http://127.0.0.1:{sc_port}"
        wait_until(lambda: _ok(f"{url}/api/health"), 20, "sidecar not healthy")
        yield url, proc.pid


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_rss(log: Path, seconds: float) -> list[Row]:
    with fake_and_sidecar(log, poll_interval=1.0) as (url, pid):
        start = rss_mb(pid)
        deadline = time.monotonic() + seconds
        samples = []
        while time.monotonic() < deadline:
            httpx.get(f"{url}/api/stats", timeout=5)
            samples.append(rss_mb(pid))
            time.sleep(min(5.0, max(deadline - time.monotonic(), 0)))
        end = rss_mb(pid)
    return [
        (
            f"sidecar RSS after {seconds / 60:.0f} min of polling (1 s interval)",
            f"{end:.1f} MB (start {start:.1f}, max {max(samples, default=end):.1f})",
            "< 60 MB",
        ),
    ]


def wrk(url: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c20", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    value, unit = float(p99.group(1)), p99.group(2)
    return rps, value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def bench_health(log: Path, big_log: Path, seconds: int) -> list[Row]:
    if shutil.which("wrk") is None:
        return [("/api/health under wrk", "skipped: wrk not installed", "")]
    rows: list[Row] = []
    with fake_and_sidecar(log, poll_interval=10.0) as (url, _):
        rps, p99 = wrk(f"{url}/api/health", seconds)
        rows.append(
            (
                "/api/health, wrk -t2 -c20",
                f"{rps:,.0f} req/s, p99 {p99:.1f} ms",
                ">= 2,000 req/s, p99 < 20 ms",
            )
        )
    with fake_and_sidecar(big_log, poll_interval=10.0) as (url, _):
        stop = threading.Event()
        bundles = []

        def download() -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                with httpx.stream("GET", f"{url}/api/support-bundle", timeout=60) as response:
                    for _ in response.iter_bytes():
                        pass
                bundles.append(time.perf_counter() - t0)

        worker = threading.Thread(target=download, daemon=True)
        worker.start()
        rps, p99 = wrk(f"{url}/api/health", seconds)
        stop.set()
        worker.join(timeout=60)
        rows.append(
            (
                f"/api/health while bundles of a {big_log.stat().st_size >> 20} MB log stream",
                f"{rps:,.0f} req/s, p99 {p99:.1f} ms ({len(bundles)} bundles)",
                "p99 < 50 ms",
            )
        )
    return rows


def bench_tail_big(big_log: Path) -> list[Row]:
    figures = bench_tail(big_log, 1000, 20)
    return [
        (
            f"tail 1000 lines of a {figures['file_mb']:,.0f} MB log",
            f"{figures['median_ms']:.2f} ms median, {figures['peak_mb']:.2f} MB peak",
            "< 50 ms, < 10 MB",
        )
    ]


def _timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def bench_parse_store() -> list[Row]:
    fake = FakeLogstash(plugin_count=500, started_seconds_ago=600)
    document = json.loads(json.dumps(fake.node_stats()))
    plugins = sum(len(p.plugins) for p in NodeStats.parse(document).pipelines)
    store = Store(history_points=8641, recent_window_s=420, started_at=0)
    t = [0.0]

    def parse_and_store() -> None:
        t[0] += 10
        store.record_stats(t[0], NodeStats.parse(document))

    ms = _timed(parse_and_store, 200)
    raw = json.dumps(document).encode()
    json_ms = _timed(lambda: json.loads(raw), 200)
    return [
        (
            f"parse+store one /_node/stats ({plugins} plugins, {len(raw) >> 10} KB)",
            f"{ms:.2f} ms median (+ {json_ms:.2f} ms json.loads)",
            "< 5 ms",
        )
    ]


def metrics_rows() -> list[Row]:
    render = bench_metrics.bench_render(plugins=500, repeat=20)
    size = bench_metrics.bench_history_size(10.0)
    restore = bench_metrics.bench_restore(10.0)
    return [
        (
            f"/metrics with {render['plugins']:.0f} plugins ({render['series']:,.0f} series)",
            f"render {render['text_ms']:.1f} ms, GET {render['http_get_ms']:.1f} ms, "
            f"{render['text_kb']:,.0f} KB",
            "",
        ),
        (
            "remote_write push, 500 plugins",
            f"encode {render['remote_write_encode_ms']:.0f} ms + snappy (cramjam) "
            f"{render['remote_write_snappy_ms']:.2f} ms, {render['remote_write_raw_kb']:,.0f} -> "
            f"{render['remote_write_snappy_kb']:,.0f} KB",
            "snappy < 5 ms (pure Python took 50 ms); off the event loop",
        ),
        (
            "history file per 24 h at 10 s",
            f"{size['mb_per_24h']:.1f} MB ({size['bytes_per_line']:.0f} B/line, "
            f"<= {size['mb_max_before_compaction']:.1f} MB before compaction)",
            "",
        ),
        (
            "restore of a full 24 h history file",
            f"{restore['restore_ms']:.0f} ms ({restore['points']:,.0f} points)",
            "off the event loop",
        ),
    ]


def install_rows() -> list[Row]:
    """The sidecar's runtime install alone, from the lock, into a temporary venv (what the
    image's /opt/venv holds), and the CLI without and with the bundled Terraform."""
    from tests.ci.installs import install_from_lock

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="stashkit-install-") as tmp:
        for label, package, extras, goal in (
            ("sidecar runtime install (from uv.lock)", "status-sidecar", (), "< 20 MB"),
            ("stashkit CLI install", "stashkit", (), ""),
            ("stashkit[bundled-terraform] install", "stashkit", ("bundled-terraform",), ""),
        ):
            venv = Path(tmp) / f"{package}-{len(extras)}"
            t0 = time.perf_counter()
            install = install_from_lock(venv, package, *extras)
            seconds = time.perf_counter() - t0
            size = install.size_bytes() / 1e6
            count = len(install.distributions())
            rows.append(
                (label, f"{size:.1f} MB, {count} distributions, installed in {seconds:.1f} s", goal)
            )
    return rows


def print_table(rows: list[Row]) -> None:
    widths = [max(len(r[i]) for r in [*rows, ("figure", "measured", "goal")]) for i in range(3)]
    header = ("figure", "measured", "goal")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rss-seconds", type=float, default=600)
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--big-log-mb", type=int, default=1024)
    parser.add_argument("--quick", action="store_true", help="short runs for a smoke check")
    args = parser.parse_args()
    if args.quick:
        args.rss_seconds, args.wrk_seconds, args.big_log_mb = 20, 3, 64
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="stashkit-bench-") as tmp:
        log = Path(tmp) / "logstash-plain.log"
        generate_big_log(log, 1 << 20)
        big = Path(tmp) / "big.log"
        generate_big_log(big, args.big_log_mb << 20)
        rows += install_rows()
        rows += bench_parse_store()
        rows += bench_tail_big(big)
        rows += bench_health(log, big, args.wrk_seconds)
        rows += metrics_rows()
        rows += bench_hardening.rows(args.wrk_seconds, 64 if args.quick else 300)
        rows += bench_rss(log, args.rss_seconds)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
