"""Benchmark of the test grok engine and of the pipeline verification (not collected by pytest).

    python -m tests.bench_grok [--seconds 1.0] [--no-pytest]

* per pattern set (each grok filter of the rendered pipeline: its ``match`` patterns and
  ``pattern_definitions``): messages per second over the samples of its log type (real ones
  when ``../shared/fixtures`` is present, the project's own and the shipped ones), first-match
  semantics like grok's ``break_on_match``; the hostile 60 KB lines are measured apart;
* the whole filter + output sections (tests/pipelines/interpreter.py) per message;
* how long ``pytest tests/pipelines`` (the pipeline verification of ``make test``) takes.

Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.pipelines.grok import Grok
from tests.pipelines.support import (
    OWN_SAMPLES,
    PACKAGE_SAMPLES,
    Sample,
    pipeline,
    read_samples,
    shared_samples,
)
from tests.templates.support import CATALOG

Row = tuple[str, str, str]
ROOT = Path(__file__).resolve().parents[1]
LONG = 10_000  # a sample line longer than this counts as "hostile long"


def all_samples() -> list[Sample]:
    samples: list[Sample] = []
    for directory, label in ((OWN_SAMPLES, "own"), (PACKAGE_SAMPLES, "package")):
        for path in sorted(directory.glob("*.log")):
            samples.extend(read_samples(path, label))
    root = shared_samples()
    if root is not None:
        for path in sorted(root.glob("*.log")):
            log_type = "suricata" if path.stem.startswith("suricata") else path.stem
            samples.extend(read_samples(path, "real", log_type))
    return samples


def rate(work: Callable[[], int], seconds: float) -> float:
    """Items per second of ``work`` (which returns how many items it did), over ``seconds``."""
    work()  # warm-up: compiles the patterns
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += work()
    return done / elapsed


def bench_patterns(samples: list[Sample], seconds: float) -> list[Row]:
    flow = pipeline("splunk-hec")
    first_grok = {key: CATALOG.classifiers(key) for key in CATALOG.log_type_keys}
    rows: list[Row] = []
    for plugin, library, matches in flow.groks():
        grok_id = str(plugin.id)
        log_type = next(k for k, ids in first_grok.items() if grok_id in ids or grok_id == k)
        patterns = [library.compile(p) for p in matches["message"]]
        marker = "AviatrixAPI" if grok_id == "cmd-v2" else None
        texts = [
            s.text
            for s in samples
            if s.expected_type == log_type and (marker is None or marker in s.text)
        ]
        if grok_id == "cmd-v1":
            texts = [t for t in texts if "AviatrixCMD" in t]
        for label, group in (
            ("", [t for t in texts if len(t) <= LONG]),
            (" (60 KB lines)", [t for t in texts if len(t) > LONG]),
        ):
            if not group:
                continue

            def work(group: list[str] = group, patterns: list[Grok] = patterns) -> int:
                for text in group:
                    for grok in patterns:
                        if grok.match(text) is not None:
                            break
                return len(group)

            per_s = rate(work, seconds)
            rows.append(
                (
                    f"grok {grok_id}{label}: {len(patterns)} pattern(s), {len(group)} message(s)",
                    f"{per_s:,.0f} msg/s",
                    f"{1e6 / per_s:,.1f} us/msg",
                )
            )
    return rows


def bench_pipeline(samples: list[Sample], seconds: float) -> list[Row]:
    flow = pipeline("splunk-hec")
    short = [s.text for s in samples if len(s.text) <= LONG]

    def work() -> int:
        for text in short:
            flow.run(text)
        return len(short)

    per_s = rate(work, seconds)
    return [
        (
            f"whole filter+output sections (interpreter), {len(short)} messages",
            f"{per_s:,.0f} msg/s",
            f"{1e6 / per_s:,.1f} us/msg",
        ),
    ]


def bench_pytest() -> list[Row]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/pipelines"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "?"
    return [("pytest tests/pipelines (wall, incl. start-up)", f"{wall:.1f} s", summary)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--no-pytest", action="store_true", help="skip the pytest timing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples = all_samples()
    rows = bench_patterns(samples, args.seconds) + bench_pipeline(samples, args.seconds)
    if not args.no_pytest:
        rows += bench_pytest()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>16}  {note}")


if __name__ == "__main__":
    main()
