"""Benchmarks for /metrics and the history file (not collected by pytest).

    python -m tests.bench_metrics [--plugins 500] [--repeat 20] [--poll-interval 10]

* ``bench_render``: collect + render of /metrics from a Logstash node with N plugins (text
  format and OpenMetrics), the body size, a full in-process ``GET /metrics``, and what one
  remote_write push costs (protobuf encode + Snappy through cramjam, sizes before and after).
* ``bench_history_size``: bytes of history file per 24 h at the poll interval (one line per
  poll, with the catalog's ten log-type rows and 24-hour-sized numbers), and the bound the
  compaction keeps it under.
* ``bench_restore``: time to restore a full 24 h file into the store at sidecar start.

Each returns a dict of figures; ``main`` prints them as a table and as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cramjam

from status_sidecar.catalog import default_catalog
from status_sidecar.exposition import (
    MetricsInput,
    collect,
    render_openmetrics,
    render_text,
)
from status_sidecar.logtype_totals import LogTypeTotals
from status_sidecar.model import NodeStats
from status_sidecar.settings import Settings
from status_sidecar.sinks.history import HistoryFile, record
from status_sidecar.sinks.remote_write import write_request
from status_sidecar.store import Point, PollTimings, Store
from tests.fakes.fake_logstash import FakeLogstash
from tests.support.clocks import ManualClock

T0 = 1_767_225_600.0


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median milliseconds of ``repeat`` calls (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def metrics_input_for(plugins: int) -> MetricsInput:
    """A snapshot after two polls of a fake node with ``plugins`` plugins in ``main``."""
    clock = ManualClock(T0)
    fake = FakeLogstash(clock=clock, plugin_count=plugins, event_rate=500.0)
    store = Store(history_points=8641, recent_window_s=900, started_at=T0)
    log_types = LogTypeTotals(default_catalog(), "all")
    for _ in range(2):
        clock.advance(10)
        stats = NodeStats.parse(fake.node_stats())
        delta = store.record_stats(clock(), stats)
        log_types.update(stats, delta)
    timings = PollTimings()
    timings.observe(0.004, ok=True)
    return MetricsInput(
        now=clock(),
        sidecar_version="bench",
        started_at=T0,
        latest=store.latest,
        reachable=True,
        health_status="healthy",
        totals=dict(store.totals),
        restart_count=0,
        last_success_at=clock(),
        history_points=len(store.history),
        timings=timings,
        log_types=log_types.snapshot(),
    )


def bench_render(plugins: int = 500, repeat: int = 20) -> dict[str, float]:
    inp = metrics_input_for(plugins)
    families = collect(inp)
    plugin_count = sum(len(p.plugins) for p in (inp.latest.pipelines if inp.latest else ()))
    text_ms, text = _timed(lambda: render_text(collect(inp)), repeat)
    om_ms, om = _timed(lambda: render_openmetrics(collect(inp)), repeat)
    collect_ms, _ = _timed(lambda: collect(inp), repeat)
    assert isinstance(text, str) and isinstance(om, str)
    encode_ms, raw = _timed(lambda: write_request(families, 0, (("job", "j"),)), repeat)
    assert isinstance(raw, bytes)
    snappy_ms, packed = _timed(lambda: bytes(cramjam.snappy.compress_raw(raw)), repeat)
    assert isinstance(packed, bytes)
    http_ms = _http_render_ms(plugins, repeat)
    return {
        "plugins": float(plugin_count),
        "series": float(sum(len(f.samples) for f in families)),
        "collect_ms": collect_ms,
        "text_ms": text_ms,
        "openmetrics_ms": om_ms,
        "text_kb": len(text.encode()) / 1000,
        "http_get_ms": http_ms,
        "remote_write_encode_ms": encode_ms,
        "remote_write_snappy_ms": snappy_ms,
        "remote_write_raw_kb": len(raw) / 1000,
        "remote_write_snappy_kb": len(packed) / 1000,
    }


def _http_render_ms(plugins: int, repeat: int) -> float:
    """Median of ``GET /metrics`` through the real app in-process (routing, snapshot copy)."""
    from tests.support.inproc import sidecar_with_fake

    with sidecar_with_fake(Settings(history_file=""), plugin_count=plugins) as h:
        h.poll()
        h.poll()
        ms, _ = _timed(lambda: h.client.get("/metrics"), repeat)
    return ms


def _day_of_lines(poll_interval: float) -> list[str]:
    """One line per poll for 24 h, numbers as large as a busy day makes them."""
    rate = 2000.0  # events/s
    keys = [t.key for t in default_catalog().log_types] + ["other"]
    lines = []
    n = int(86400 / poll_interval)
    for i in range(n):
        t = T0 + i * poll_interval
        moved = int(rate * poll_interval)
        total = 40_000_000 + moved * i
        point = Point(t, poll_interval + 0.000123, moved, moved - 3, moved - 5, i % 2000 == 1999)
        lines.append(
            record(
                point,
                reason="Logstash restarted (new ephemeral id)" if point.restart else None,
                health="healthy",
                restarts=i // 2000,
                totals={"in": total, "filtered": total - 1234, "out": total - 2345},
                log_types={k: [total // 10, total // 10 - 17, 1234, 5] for k in keys},
            )
        )
    return lines


def bench_history_size(poll_interval: float = 10.0) -> dict[str, float]:
    lines = _day_of_lines(poll_interval)
    size = sum(len(line) + 1 for line in lines)
    return {
        "poll_interval_s": poll_interval,
        "lines_per_24h": float(len(lines)),
        "bytes_per_line": size / len(lines),
        "mb_per_24h": size / 1e6,
        "mb_max_before_compaction": 2 * size / 1e6,
    }


def bench_restore(poll_interval: float = 10.0, repeat: int = 5) -> dict[str, float]:
    lines = _day_of_lines(poll_interval)
    now = T0 + 86400
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        points = int(86400 / poll_interval) + 1
        HistoryFile(path, points).append(lines)

        def restore() -> int:
            store = Store(history_points=points, recent_window_s=900, started_at=now)
            restored = HistoryFile(path, points).restore(now)
            for point in restored.points:
                store.restore_point(point)
            return len(store.history)

        ms, count = _timed(restore, repeat)
        size = path.stat().st_size
    assert isinstance(count, int)
    return {"points": float(count), "file_mb": size / 1e6, "restore_ms": ms}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--plugins", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=10.0)
    args = parser.parse_args(argv)
    figures = {
        "metrics_render": bench_render(args.plugins, args.repeat),
        "history_size": bench_history_size(args.poll_interval),
        "history_restore": bench_restore(args.poll_interval),
    }
    for group, values in figures.items():
        for name, value in values.items():
            print(f"{group:16} {name:28} {value:12.2f}")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
