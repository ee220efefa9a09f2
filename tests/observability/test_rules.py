"""The Prometheus rules in deployments/observability/prometheus: promtool accepts them, their unit
tests pass and cover every alert firing and not firing, they use only metrics the sidecar
exposes, and, fed with a real sidecar's scrapes of the fake Logstash in each failure mode, they
fire exactly the alerts an operator expects (and none on a fresh start or a Logstash restart)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from status_sidecar.settings import Settings
from tests.fakes.fake_logstash import FakeLogstash
from tests.observability.support import (
    RULE_TESTS_DIR,
    RULES_FILE,
    Recording,
    assert_promtool_tests_pass,
    firing_alerts_test,
    promtool,
    recorded_names,
    rules,
    run_promtool,
    selected_names,
    unknown_names,
    write_rules_and_tests,
)
from tests.support.inproc import sidecar_with_fake

RULE_TEST_FILES = sorted(RULE_TESTS_DIR.glob("*.yml"))
SEVERITIES = {"critical", "warning", "info"}
ANNOTATIONS = {"summary", "description", "runbook"}
DURATION = re.compile(r"^(\d+)([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> int:
    match = DURATION.match(duration)
    assert match, f"not a simple duration: {duration!r}"
    return int(match.group(1)) * SECONDS[match.group(2)]


def alert_names() -> list[str]:
    return [r["alert"] for r in rules("alert")]


# --------------------------------------------------------------------------------------------
# Static checks (no promtool needed)
# --------------------------------------------------------------------------------------------


def test_rules_should_cover_every_alert_the_issue_asks_for() -> None:
    names = set(alert_names())
    asked = {
        "StashkitLogstashDown",  # Logstash down or unreachable
        "StashkitSidecarTargetsMissing",  # the scrape job has no target
        "StashkitSidecarDown",  # a target with up == 0
        "StashkitUnhealthy",
        "StashkitPipelineStuck",
        "StashkitOutputFailures",
        "StashkitDeadLetterQueueGrowing",
        "StashkitHeapHigh",
        "StashkitPersistedQueueFilling",
        "StashkitWorkersSaturated",
        "StashkitUnclassifiedEventsRising",
        "StashkitLogstashRestarting",
    }
    assert asked <= names, asked - names
    assert len(names) == len(alert_names()), "alert names must be unique"


@pytest.mark.parametrize("alert", rules("alert"), ids=lambda r: r["alert"])
def test_every_alert_should_carry_a_severity_and_a_runbook(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in SEVERITIES
    annotations = alert["annotations"]
    assert set(annotations) >= ANNOTATIONS, ANNOTATIONS - set(annotations)
    for key in ANNOTATIONS:
        assert len(annotations[key].strip()) > 20, f"{key} says too little"
    # a runbook says where to look: the sidecar API, its dashboard, or Prometheus/stashkit
    assert re.search(r"/api/|dashboard|Prometheus UI|stashkit ", annotations["runbook"])
    if alert["alert"] != "StashkitSidecarTargetsMissing":
        # per-instance alerts link the sidecar's own dashboard
        assert annotations["dashboard"] == "http://{{ $labels.instance }}/"


@pytest.mark.parametrize("alert", rules("alert"), ids=lambda r: r["alert"])
def test_alerts_should_wait_longer_than_their_rate_windows(alert: dict[str, Any]) -> None:
    """A condition must hold for a while before it pages: 10 minutes or more counting its rate
    window. A counter increase over a window (restarts, failed reloads) is already sustained."""
    if re.fullmatch(r"\s*increase\([^()]*\)\s*(>=|>)\s*\d+\s*", alert["expr"]):
        return
    waited = seconds(alert.get("for", "0s"))
    assert waited >= 120, "wait at least two evaluations (for: 2m)"
    windows = [seconds(w) for w in re.findall(r"\[(\d+[smhd])\]", alert["expr"])]
    if windows:
        assert waited + max(windows) >= 600, "the condition should hold for 10 minutes or more"


def test_rules_should_select_only_metrics_the_sidecar_exposes() -> None:
    for rule in rules("alert") + rules("record"):
        assert selected_names(rule["expr"]), rule
        unknown = unknown_names(rule["expr"])
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: {sorted(unknown)}"


def test_name_extraction_should_find_names_and_skip_the_rest() -> None:
    expr = (
        'sum without (plugin) (rate(a_total{x="b_total", y=~"$job"}[5m])) / on (job) '
        "(b_bytes > 0) and histogram_quantile(0.95, c_bucket) offset 5m or vector(1)"
    )
    assert selected_names(expr) == {"a_total", "b_bytes", "c_bucket"}


def test_recording_rules_should_follow_the_naming_convention() -> None:
    """``level:metric:operation`` (Prometheus' convention), ``_total`` dropped after rate()."""
    for name in recorded_names():
        level, metric, operation = name.split(":")
        assert re.fullmatch(r"[a-z_]+", level), name
        assert re.fullmatch(r"(stashkit|logstash_stats)_[a-z_]+", metric), name
        assert not metric.endswith("_total"), name
        assert operation in {"rate5m", "ratio", "count"}, name


@pytest.mark.parametrize("path", RULE_TEST_FILES, ids=lambda p: p.name)
def test_rule_test_files_should_load_the_shipped_rules(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert [(path.parent / f).resolve() for f in document["rule_files"]] == [RULES_FILE]


def _alert_cases() -> dict[str, dict[str, int]]:
    cases: dict[str, dict[str, int]] = {n: {"firing": 0, "quiet": 0} for n in alert_names()}
    for path in RULE_TEST_FILES:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                kind = "firing" if case["exp_alerts"] else "quiet"
                cases[case["alertname"]][kind] += 1
    return cases


@pytest.mark.parametrize("alert", alert_names())
def test_every_alert_should_be_tested_firing_and_not_firing(alert: str) -> None:
    cases = _alert_cases()[alert]
    assert cases["firing"] >= 1, f"{alert}: no test where it fires"
    assert cases["quiet"] >= 1, f"{alert}: no test where it stays quiet"


def test_every_recording_rule_should_be_tested() -> None:
    tested: set[str] = set()
    for path in RULE_TEST_FILES:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("promql_expr_test", []):
                tested |= selected_names(case["expr"])
    missing = recorded_names() - tested
    assert not missing, sorted(missing)


# --------------------------------------------------------------------------------------------
# promtool
# --------------------------------------------------------------------------------------------


@pytest.mark.real
def test_promtool_should_accept_the_rules() -> None:
    result = run_promtool("check", "rules", str(RULES_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules('alert')) + len(rules('record'))} rules found" in result.stdout


@pytest.mark.real
@pytest.mark.parametrize("path", RULE_TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests_should_pass(path: Path) -> None:
    result = run_promtool("test", "rules", path.name, cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


# --------------------------------------------------------------------------------------------
# The rules against real scrapes of a sidecar (the fake Logstash in each failure mode)
# --------------------------------------------------------------------------------------------

Action = Callable[[FakeLogstash], None]
TARGET = {"job": "stashkit", "instance": "edge-1:3000", "deployment": "prod", "cloud": "aws"}


def mode(name: str) -> Action:
    def switch(fake: FakeLogstash) -> None:
        fake.mode = name

    return switch


def restart(fake: FakeLogstash) -> None:
    fake.restart()


def record(
    tmp_path: Path, actions: Mapping[int, Action], minutes: int, **fake_options: Any
) -> Recording:
    """Scrape a sidecar once a minute for ``minutes`` (polling every 10 s in between), applying
    ``actions[m]`` at the start of minute ``m``; minute 0 is scraped before the first poll."""
    recording = Recording(TARGET)
    settings = Settings(history_file=str(tmp_path / "history.jsonl"))
    with sidecar_with_fake(settings, pipelines=2, **fake_options) as h:
        if 0 in actions:
            actions[0](h.fake)
        recording.add(h.metrics())
        for minute in range(1, minutes + 1):
            if minute in actions:
                actions[minute](h.fake)
            for _ in range(6):
                h.poll(10)
            recording.add(h.metrics())
    return recording


SCENARIOS: dict[str, tuple[dict[int, Action], dict[int, set[str]]]] = {
    # a fresh start (Logstash loading for 2 minutes), then a Logstash restart at minute 30:
    # nothing fires, at any minute
    "fresh start and a Logstash restart": (
        {0: mode("startup"), 2: mode("healthy"), 30: restart},
        {m: set() for m in range(0, 61, 5)},
    ),
    "outputs failing and the DLQ growing": (
        {5: mode("failing_outputs")},
        {
            10: set(),
            20: {"StashkitOutputFailures", "StashkitDeadLetterQueueGrowing"},
            40: {"StashkitOutputFailures", "StashkitDeadLetterQueueGrowing", "StashkitDegraded"},
        },
    ),
    "a stuck pipeline": (
        {5: mode("stuck")},
        {
            10: set(),
            15: {"StashkitPipelineStuck", "StashkitUnhealthy"},
            25: {"StashkitPipelineStuck", "StashkitUnhealthy", "StashkitWorkersSaturated"},
        },
    ),
    "Logstash down": (
        {5: mode("down")},
        {6: set(), 10: {"StashkitLogstashDown", "StashkitUnhealthy"}},
    ),
    "Logstash red": ({5: mode("red")}, {6: set(), 15: {"StashkitUnhealthy"}}),
    "heap high": (
        {5: mode("heap_high")},
        {10: set(), 20: {"StashkitHeapHigh"}, 40: {"StashkitHeapHigh", "StashkitDegraded"}},
    ),
    "three restarts in an hour": (
        {5: restart, 15: restart, 25: restart},
        {20: set(), 26: {"StashkitLogstashRestarting"}, 60: {"StashkitLogstashRestarting"}},
    ),
}


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=list(SCENARIOS))
def test_rules_should_fire_what_a_real_sidecar_reports(tmp_path: Path, scenario: str) -> None:
    promtool()  # skip before recording, not after
    actions, expected = SCENARIOS[scenario]
    recording = record(tmp_path, actions, max(expected))
    test = firing_alerts_test(scenario, recording.input_series(), expected)
    assert_promtool_tests_pass(write_rules_and_tests(tmp_path, [test]))


@pytest.mark.real
def test_scenario_check_should_fail_when_an_unexpected_alert_fires(tmp_path: Path) -> None:
    """The scenario check is not vacuous: claiming silence while Logstash is down fails."""
    promtool()  # skip before recording, not after
    recording = record(tmp_path, {2: mode("down")}, 10)
    test = firing_alerts_test("wrong on purpose", recording.input_series(), {10: set()})
    path = write_rules_and_tests(tmp_path, [test])
    result = run_promtool("test", "rules", path.name, cwd=path.parent)
    assert result.returncode != 0
    assert "StashkitLogstashDown" in result.stdout + result.stderr


def expand_braces(text: str) -> set[str]:
    """``a_{x,y}:b`` -> ``{a_x:b, a_y:b}`` (the README's shorthand)."""
    match = re.search(r"\{([^{}]*)\}", text)
    if not match:
        return {text}
    return set().union(
        *(
            expand_braces(text[: match.start()] + c + text[match.end() :])
            for c in match.group(1).split(",")
        )
    )


def test_readme_should_list_every_alert_and_recording_rule() -> None:
    readme = (RULES_FILE.parents[1] / "README.md").read_text()
    table = set(re.findall(r"^\| `(\w+)` \| (\w+) \|", readme, re.M))
    assert table == {(r["alert"], r["labels"]["severity"]) for r in rules("alert")}
    listed = set().union(
        *(expand_braces(t) for t in re.findall(r"^\| `([\w:{},]+:[\w]+)` \|", readme, re.M))
    )
    assert listed == recorded_names()
