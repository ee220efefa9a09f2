"""The Grafana fleet dashboard (deployments/observability/grafana/stashkit-fleet.json): current
schema, the ${datasource} variable everywhere, template variables from the discovery labels,
every query uses only metrics the sidecar exposes (or the shipped recording rules), every query
parses with Prometheus' own parser (promtool), and every query returns data when Prometheus holds
real scrapes of a small fleet."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from stashkit.inventory import labels_for
from tests.observability.support import (
    DASHBOARD_FILE,
    RULES_FILE,
    Recording,
    assert_promtool_tests_pass,
    promtool,
    recorded_names,
    run_promtool,
    selected_names,
    unknown_names,
    write_rules_and_tests,
)
from tests.observability.test_rules import mode, record, restart

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PANEL_TYPES = {"row", "stat", "timeseries", "state-timeline", "table"}
FILTERS = ('job=~"$job"', 'deployment=~"$deployment"', 'instance=~"$instance"')
# What Grafana puts in for its variables when the test runs a query through promtool.
SUBSTITUTES = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "job": "stashkit",
    "deployment": ".*",
    "instance": ".*",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^{}]*)\}")
_LABEL_VALUES = re.compile(r"^label_values\((.*),\s*(\w+)\)$")


def dashboard() -> dict[str, Any]:
    document = json.loads(DASHBOARD_FILE.read_text())
    assert isinstance(document, dict)
    return document


def panels(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in document["panels"]:
        yield panel
        yield from panel.get("panels", [])


def substitute(expr: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in SUBSTITUTES, f"unknown dashboard variable ${name} in {expr!r}"
        return SUBSTITUTES[name]

    return _VARIABLE.sub(one, expr)


def queries(document: dict[str, Any]) -> list[tuple[str, str]]:
    """``(where, PromQL)`` of every panel target, annotation and variable query."""
    found: list[tuple[str, str]] = []
    for panel in panels(document):
        for target in panel.get("targets", []):
            found.append((f"panel {panel['title']!r} {target['refId']}", target["expr"]))
    for annotation in document["annotations"]["list"]:
        if "expr" in annotation:
            found.append((f"annotation {annotation['name']!r}", annotation["expr"]))
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            match = _LABEL_VALUES.match(variable["definition"])
            assert match, variable["definition"]
            found.append((f"variable {variable['name']}", match.group(1)))
    return found


def panel_queries(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [q for q in queries(document) if q[0].startswith("panel ")]


# --------------------------------------------------------------------------------------------
# Schema and structure
# --------------------------------------------------------------------------------------------


def test_dashboard_should_use_the_current_schema() -> None:
    d = dashboard()
    assert d["schemaVersion"] >= 39
    assert d["uid"] == "stashkit-fleet"
    assert d["title"] and d["description"]
    assert d["id"] is None, "an exported dashboard carries no database id"
    assert "__inputs" not in d, "the datasource is a variable, not an import-time input"
    assert {"from", "to"} <= set(d["time"])
    assert d["refresh"]


def test_panels_should_have_unique_ids_and_fit_the_grid_without_overlapping() -> None:
    d = dashboard()
    all_panels = list(panels(d))
    ids = [p["id"] for p in all_panels]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for p in all_panels:
        assert p["type"] in PANEL_TYPES, p["type"]
        g = p["gridPos"]
        assert g["w"] >= 1 and g["h"] >= 1 and g["x"] >= 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = p["title"]


def test_every_panel_and_query_should_use_the_datasource_variable() -> None:
    d = dashboard()
    for p in panels(d):
        if p["type"] == "row":
            continue
        assert p["datasource"] == DATASOURCE, p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"] == DATASOURCE, p["title"]
    for a in d["annotations"]["list"]:
        if not a.get("builtIn"):
            assert a["datasource"] == DATASOURCE
    uids = re.findall(r'"uid": "([^"]*)"', DASHBOARD_FILE.read_text())
    assert set(uids) <= {"${datasource}", "-- Grafana --", "stashkit-fleet"}, set(uids)


def test_template_variables_should_come_from_the_discovery_labels() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert list(variables) == ["datasource", "job", "deployment", "instance"]
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    # `stashkit discover` writes job and deployment into every file_sd target group; instance is
    # the target address Prometheus adds
    discovered = labels_for("stashkit", "prod", "aws")
    for name in ("job", "deployment", "instance"):
        match = _LABEL_VALUES.match(variables[name]["definition"])
        assert match and match.group(2) == name
        assert variables[name]["query"]["query"] == variables[name]["definition"]
        assert name == "instance" or name in discovered
    assert '"$job"' in variables["deployment"]["definition"]
    assert '"$deployment"' in variables["instance"]["definition"]
    for name in ("deployment", "instance"):
        assert variables[name]["multi"] and variables[name]["includeAll"]
        assert variables[name]["allValue"] == ".*"


def test_every_selector_should_honour_the_variables() -> None:
    for where, expr in panel_queries(dashboard()) + [
        q for q in queries(dashboard()) if q[0].startswith("annotation")
    ]:
        selectors = _SELECTOR.findall(expr)
        assert len(selectors) == len(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*\{", expr))
        assert {name for name, _ in selectors} == selected_names(expr), where
        for name, matchers in selectors:
            for wanted in FILTERS:
                assert wanted in matchers, f"{where}: {name} lacks {wanted}"


def test_every_query_should_use_only_metrics_the_sidecar_exposes() -> None:
    for where, expr in queries(dashboard()):
        assert selected_names(expr), where
        assert not unknown_names(expr), f"{where}: {sorted(unknown_names(expr))}"


def test_dashboard_should_draw_what_the_issue_asks_for() -> None:
    used = set().union(*(selected_names(e) for _, e in panel_queries(dashboard())))
    wanted = {
        "health by instance": {"stashkit_health_status"},
        "events in/out per second": {
            "instance:logstash_stats_events_in:rate5m",
            "instance:logstash_stats_events_out:rate5m",
        },
        "per-log-type rates and drops": {
            "instance_log_type:stashkit_log_type_events_received:rate5m",
            "instance_log_type:stashkit_log_type_events_sent:rate5m",
            "instance_log_type:stashkit_log_type_events_dropped:rate5m",
        },
        "output failures": {
            "instance_pipeline:logstash_stats_pipeline_output_failures:rate5m",
            "instance_log_type:stashkit_log_type_events_failed:rate5m",
        },
        "queue": {
            "instance_pipeline:logstash_stats_pipeline_queue_fill:ratio",
            "logstash_stats_pipeline_queue_events",
        },
        "DLQ": {"logstash_stats_pipeline_dead_letter_queue_size_bytes"},
        "heap": {"logstash_stats_jvm_mem_heap_used_ratio"},
        "restarts": {"stashkit_logstash_restarts_total"},
    }
    for topic, names in wanted.items():
        assert names <= used, f"{topic}: {sorted(names - used)}"


def test_recording_rules_the_dashboard_uses_should_be_shipped() -> None:
    used = set().union(*(selected_names(e) for _, e in queries(dashboard())))
    recorded = {n for n in used if ":" in n}
    assert recorded, "the dashboard should draw the recording rules"
    assert recorded <= recorded_names()


def test_legends_should_name_labels_the_query_keeps() -> None:
    for p in panels(dashboard()):
        for t in p.get("targets", []):
            legend_labels = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", t.get("legendFormat", "")))
            top = re.match(r"\s*(?:sum|max|min|avg|count) by \(([^)]*)\)", t["expr"])
            if top:
                kept = {label.strip() for label in top.group(1).split(",")}
                assert legend_labels <= kept, f"{p['title']}: {legend_labels - kept}"
            elif re.match(r"\s*(?:sum|max|min|avg|count)\(", t["expr"]):
                assert not legend_labels, p["title"]


def test_health_mappings_should_name_every_code_the_query_produces() -> None:
    timeline = next(p for p in panels(dashboard()) if p["type"] == "state-timeline")
    options = timeline["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert {k: v["text"] for k, v in options.items()} == {
        "0": "sidecar down",
        "1": "healthy",
        "2": "degraded",
        "3": "starting",
        "4": "unhealthy",
    }
    links = timeline["fieldConfig"]["defaults"]["links"]
    assert links[0]["url"] == "http://${__field.labels.instance}/"


# --------------------------------------------------------------------------------------------
# With Prometheus' parser and data (promtool)
# --------------------------------------------------------------------------------------------


@pytest.mark.real
def test_every_query_should_parse_with_promtool(tmp_path: Path) -> None:
    document = queries(dashboard())
    rules_file = tmp_path / "dashboard-queries.yml"
    rules_file.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "dashboard",
                        "rules": [
                            {"record": f"dashboard:query_{i}:expr", "expr": substitute(expr)}
                            for i, (_, expr) in enumerate(document)
                        ],
                    }
                ]
            },
            width=1000,
        )
    )
    result = run_promtool("check", "rules", str(rules_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(document)} rules found" in result.stdout


@pytest.mark.real
def test_promtool_check_should_catch_a_broken_query(tmp_path: Path) -> None:
    """The parse check is not vacuous."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        yaml.safe_dump({"groups": [{"name": "x", "rules": [{"record": "a:b:c", "expr": "sum(("}]}]})
    )
    assert run_promtool("check", "rules", str(bad)).returncode != 0


def fleet(tmp_path: Path, minutes: int) -> list[dict[str, str]]:
    """Real scrapes of two sidecars: edge-1 healthy (Logstash restarts a minute before the end),
    edge-2 with failing outputs (degraded) in another deployment."""
    one = record(tmp_path / "edge-1", {minutes - 1: restart}, minutes)
    two = record(tmp_path / "edge-2", {0: mode("failing_outputs")}, minutes)
    two_target = dict(two.target_labels, instance="edge-2:3000", deployment="lab")
    relabelled = Recording(two_target, two.scrapes)
    return one.input_series() + relabelled.input_series()


@pytest.mark.real
@pytest.mark.slow
def test_every_query_should_return_data_from_real_scrapes(tmp_path: Path) -> None:
    """Each query, with the shipped recording rules, over real scrapes: a wrong label value or a
    selector nothing matches would come back empty (`absent(...)` would then return 1)."""
    promtool()  # skip before recording, not after
    for sub in ("edge-1", "edge-2"):
        (tmp_path / sub).mkdir()
    minutes = 20
    series = fleet(tmp_path, minutes)
    checks = [
        {"expr": f"absent({substitute(expr)})", "eval_time": f"{minutes}m", "exp_samples": []}
        for _, expr in queries(dashboard())
    ]
    # the health code of the timeline: healthy edge-1 is 1, degraded edge-2 is 2
    timeline = next(p for p in panels(dashboard()) if p["type"] == "state-timeline")
    checks.append(
        {
            "expr": substitute(timeline["targets"][0]["expr"]),
            "eval_time": f"{minutes}m",
            "exp_samples": [
                {"labels": '{instance="edge-1:3000"}', "value": 1},
                {"labels": '{instance="edge-2:3000"}', "value": 2},
            ],
        }
    )
    test = {
        "name": "dashboard queries",
        "interval": "1m",
        "input_series": series,
        "promql_expr_test": checks,
    }
    assert_promtool_tests_pass(write_rules_and_tests(tmp_path, [test], rule_files=[RULES_FILE]))
