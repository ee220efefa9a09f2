"""Shared helpers for the observability tests: paths, the metric-name contract, a PromQL name
extractor, promtool, and a recorder that turns a real sidecar's scrapes into promtool series."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deployments" / "observability"
RULES_DIR = OBSERVABILITY / "prometheus"
RULES_FILE = RULES_DIR / "stashkit-rules.yml"
RULE_TESTS_DIR = RULES_DIR / "tests"
DASHBOARD_FILE = OBSERVABILITY / "grafana" / "stashkit-fleet.json"
DEV = REPO / "deployments" / "dev"
METRIC_NAMES_FILE = REPO / "tests" / "unit" / "data" / "metric_names.txt"

PROMETHEUS_SERIES = frozenset({"up"})
"""Series Prometheus itself writes for every target (not in the sidecar's exposition)."""


def promtool() -> str:
    """The promtool binary, or a clean skip saying how to get it."""
    path = shutil.which("promtool")
    if path is None:
        pytest.skip(
            "promtool is not installed (Debian package prometheus; ci/install-system-deps.sh "
            "installs it)"
        )
    return path


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


# --------------------------------------------------------------------------------------------
# The metric-name contract and the rules
# --------------------------------------------------------------------------------------------


def contract_names() -> frozenset[str]:
    """Metric families /metrics exposes (tests/unit/data/metric_names.txt)."""
    lines = METRIC_NAMES_FILE.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def load_rules() -> dict[str, Any]:
    document = yaml.safe_load(RULES_FILE.read_text())
    assert isinstance(document, dict)
    return document


def rules(kind: str) -> list[dict[str, Any]]:
    """Every rule of one kind (``alert`` or ``record``), in file order."""
    return [r for g in load_rules()["groups"] for r in g["rules"] if kind in r]


def recorded_names() -> frozenset[str]:
    return frozenset(r["record"] for r in rules("record"))


def known_series_names() -> frozenset[str]:
    """Names a query may use: the contract, the recording rules, Prometheus' own ``up``."""
    return contract_names() | recorded_names() | PROMETHEUS_SERIES


_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def family_of(name: str, families: Iterable[str]) -> str | None:
    """The family a series name belongs to (``x_bucket`` -> ``x``), if any."""
    known = set(families)
    if name in known:
        return name
    for suffix in _HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in known:
            return name[: -len(suffix)]
    return None


# --------------------------------------------------------------------------------------------
# PromQL: the metric names an expression selects
# --------------------------------------------------------------------------------------------

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENT = re.compile(r"(?<![\w:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}
)


def selected_names(expr: str) -> set[str]:
    """Metric names an expression selects (functions, aggregations, keywords and labels left
    out). Strings, label matchers, ranges and grouping clauses are removed first, so what
    remains as a bare identifier not followed by ``(`` is a metric name."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names: set[str] = set()
    for match in _IDENT.finditer(text):
        word = match.group(1)
        rest = text[match.end() :].lstrip()
        if word.lower() in _KEYWORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


def unknown_names(expr: str) -> set[str]:
    known = known_series_names()
    return {n for n in selected_names(expr) if family_of(n, known) is None}


# --------------------------------------------------------------------------------------------
# promtool test files
# --------------------------------------------------------------------------------------------


def write_rules_and_tests(
    directory: Path, tests: Sequence[Mapping[str, Any]], *, rule_files: Sequence[Path] = ()
) -> Path:
    """A promtool unit-test file in ``directory`` that loads ``rule_files`` (default: the shipped
    rules, copied beside it). Returns its path."""
    files = list(rule_files) or [RULES_FILE]
    names = []
    for path in files:
        target = directory / path.name
        if path.resolve() != target.resolve():
            shutil.copyfile(path, target)
        names.append(path.name)
    test_file = directory / "generated.test.yml"
    document = {"rule_files": names, "evaluation_interval": "1m", "tests": list(tests)}
    test_file.write_text(yaml.safe_dump(document, sort_keys=False, width=1000))
    return test_file


def assert_promtool_tests_pass(test_file: Path) -> None:
    result = run_promtool("test", "rules", test_file.name, cwd=test_file.parent)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]


# --------------------------------------------------------------------------------------------
# Real scrapes of a sidecar (against the project's fake Logstash), as promtool input series
# --------------------------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$")


def parse_exposition(text: str) -> dict[tuple[str, str], float]:
    """``{(name, labels text): value}`` of a text-format exposition."""
    samples: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match is not None, f"unparsable exposition line: {line!r}"
        name, labels, raw = match.groups()
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            continue
        samples[(name, labels or "")] = value
    return samples


@dataclass
class Recording:
    """One sidecar's scrapes, one a minute, as promtool ``input_series``."""

    target_labels: Mapping[str, str]
    scrapes: list[dict[tuple[str, str], float] | None] = field(default_factory=list)

    def add(self, text: str | None) -> None:
        """A scrape (``None``: the scrape failed, ``up`` is 0 and nothing else is stored)."""
        self.scrapes.append(parse_exposition(text) if text is not None else None)

    def input_series(self) -> list[dict[str, str]]:
        keys: dict[tuple[str, str], None] = {}
        for scrape in self.scrapes:
            for key in scrape or {}:
                keys.setdefault(key, None)
        target = ", ".join(f'{k}="{v}"' for k, v in self.target_labels.items())
        series = [
            {
                "series": f"up{{{target}}}",
                "values": " ".join("0" if s is None else "1" for s in self.scrapes),
            }
        ]
        for name, labels in keys:
            values = []
            for scrape in self.scrapes:
                value = None if scrape is None else scrape.get((name, labels))
                values.append("_" if value is None else _number(value))
            selector = ", ".join(part for part in (target, labels) if part)
            series.append({"series": f"{name}{{{selector}}}", "values": " ".join(values)})
        return series


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def firing_alerts_test(
    name: str, series: list[dict[str, str]], expected: Mapping[int, Iterable[str]]
) -> dict[str, Any]:
    """A promtool test asserting exactly which alerts fire at each minute in ``expected``."""
    checks = []
    for minute, alertnames in expected.items():
        names = sorted(set(alertnames))
        checks.append(
            {
                "expr": 'max by (alertname) (ALERTS{alertstate="firing"})',
                "eval_time": f"{minute}m",
                "exp_samples": [{"labels": f'{{alertname="{n}"}}', "value": 1} for n in names],
            }
        )
    return {"name": name, "interval": "1m", "input_series": series, "promql_expr_test": checks}


def minutes(start: int, stop: int, step: int) -> Iterator[int]:
    return iter(range(start, stop + 1, step))
