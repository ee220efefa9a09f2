"""Benchmark for status_sidecar.logs.tail_lines (not collected by pytest).

    python -m tests.bench_logs [--size-mb 1024] [--lines 1000] [--repeat 20]

``bench_tail`` is the piece meant for ``make bench``; ``write_realistic_log``
(tests/support/logfiles.py) makes a file of the requested size from 1 MB blocks of log lines
in the real layout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from status_sidecar.logs import tail_lines
from tests.support.logfiles import write_realistic_log


def bench_tail(path: Path, n: int, repeat: int) -> dict[str, float]:
    """Time ``tail_lines(path, n)`` ``repeat`` times; measure its peak traced memory once.

    Returns median/min/max milliseconds (after one warm-up call: a live log is in the
    page cache), the tracemalloc peak in MB of one extra call, the number of lines
    returned and the file size in MB.
    """
    if repeat < 1:
        raise ValueError("repeat must be >= 1")
    tail_lines(path, n)
    times_ms: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        tail_lines(path, n)
        times_ms.append((time.perf_counter() - t0) * 1000)
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        lines = tail_lines(path, n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return {
        "median_ms": statistics.median(times_ms),
        "min_ms": min(times_ms),
        "max_ms": max(times_ms),
        "peak_mb": (peak - base) / 1e6,
        "lines": float(len(lines)),
        "file_mb": path.stat().st_size / 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--file", type=Path, help="benchmark this file instead of a made one")
    args = parser.parse_args(argv)
    if args.file is not None:
        result = bench_tail(args.file, args.lines, args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_realistic_log(Path(tmp) / "logstash-plain.log", args.size_mb)
            result = bench_tail(path, args.lines, args.repeat)
    print(json.dumps({"tail_lines": result}, indent=2))


if __name__ == "__main__":
    main()
