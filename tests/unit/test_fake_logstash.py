"""Tests of the fake Logstash itself (tests/fakes/fake_logstash.py)."""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.fakes.demo import pick_port, sidecar_command
from tests.fakes.fake_logstash import (
    LOG_LINE_RE,
    MODES,
    FakeLogstash,
    FakeLogstashServer,
    LogWriter,
    create_app,
    free_port,
    generate_big_log,
    run_fake_logstash_server,
)
from tests.support.clocks import ManualClock

HEX64 = re.compile(r"^[0-9a-f]{64}$")
REPO = Path(__file__).resolve().parents[2]

REQUIRED_FILTERS = {
    "microseg",
    "microseg-field-conversion",
    "mitm",
    "mitm-json",
    "suricata",
    "suricata-data",
    "suricata-non-json-drop",
    "suricata-stats-drop",
    "fqdn",
    "cmd-v1",
    "gw_net_stats",
    "gw_sys_stats",
    "tunnel_status",
    "vpn-session",
    "date-to-timestamp",
    "add-unix-time",
    "unclassified",
}
OUTPUT_SUFFIXES = {
    "microseg",
    "mitm",
    "suricata",
    "fqdn",
    "cmd",
    "gw-net-stats",
    "gw-sys-stats",
    "tunnel-status",
    "vpn-session",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_767_225_600.0)


def make(clock: ManualClock, **kw: Any) -> FakeLogstash:
    return FakeLogstash(clock=clock, **kw)


def plugins(stats: dict[str, Any], pipeline: str = "main") -> list[dict[str, Any]]:
    p = stats["pipelines"][pipeline]["plugins"]
    return [*p["inputs"], *p["filters"], *p["outputs"]]


def counters(stats: dict[str, Any]) -> dict[str, int]:
    """Every monotonic counter of a stats document, flattened to path -> value."""
    out: dict[str, int] = {}
    for k, v in stats["events"].items():
        out[f"events.{k}"] = v
    out["jvm.uptime"] = stats["jvm"]["uptime_in_millis"]
    for gc, vals in stats["jvm"]["gc"]["collectors"].items():
        for k, v in vals.items():
            out[f"gc.{gc}.{k}"] = v
    out["cpu.total"] = stats["process"]["cpu"]["total_in_millis"]
    for pid, pdoc in stats["pipelines"].items():
        for k, v in pdoc["events"].items():
            out[f"{pid}.events.{k}"] = v
        for plugin in plugins(stats, pid):
            for k, v in plugin.get("events", {}).items():
                out[f"{pid}.{plugin['id']}.{k}"] = v
            if "failures" in plugin:
                out[f"{pid}.{plugin['id']}.failures"] = plugin["failures"]
        if "dead_letter_queue" in pdoc:
            out[f"{pid}.dlq"] = pdoc["dead_letter_queue"]["queue_size_in_bytes"]
    return out


def assert_monotonic(before: dict[str, int], after: dict[str, int]) -> None:
    for key, value in before.items():
        assert key in after, key
        assert after[key] >= value, f"{key}: {value} -> {after[key]}"


def all_keys(doc: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            keys.add(k)
            keys |= all_keys(v)
    elif isinstance(doc, list):
        for v in doc:
            keys |= all_keys(v)
    return keys


# ---------------------------------------------------------------------------------------------
# Counters and shape
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["7.17.29", "8.19.3", "9.3.3"])
def test_counters_are_monotonic_with_an_advancing_clock(clock: ManualClock, version: str) -> None:
    fake = make(clock, version=version, pipelines=2, monitoring_pipeline=True)
    prev = counters(fake.node_stats())
    for step in [0.0, 0.05, 0.3, 1, 1, 2.5, 7, 30, 61, 299, 900, 3600]:
        clock.advance(step)
        cur = counters(fake.node_stats())
        assert_monotonic(prev, cur)
        prev = cur
    assert prev["events.in"] > 0
    assert prev["main.events.out"] > 0


def test_counters_advance_at_the_event_rate(clock: ManualClock) -> None:
    fake = make(clock, event_rate=200.0)
    clock.advance(100)
    stats = fake.node_stats()
    assert stats["events"]["in"] == pytest.approx(20_000, abs=3)
    assert stats["jvm"]["uptime_in_millis"] == 100_000
    # filtered / out lag slightly behind and drops make them smaller than `in`
    ev = stats["pipelines"]["main"]["events"]
    assert ev["in"] > ev["filtered"] >= ev["out"] > 0.85 * ev["in"]


def test_event_rate_change_keeps_counters_monotonic(clock: ManualClock) -> None:
    fake = make(clock, event_rate=1000.0)
    clock.advance(60)
    before = counters(fake.node_stats())
    fake.event_rate = 10.0
    clock.advance(1)
    assert_monotonic(before, counters(fake.node_stats()))
    fake.event_rate = 5000.0
    clock.advance(1)
    after = counters(fake.node_stats())
    assert_monotonic(before, after)


def test_plugin_counters_are_consistent_with_pipeline_totals(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(3600)
    stats = fake.node_stats()
    main = stats["pipelines"]["main"]
    inputs = main["plugins"]["inputs"]
    filters = {f["id"]: f for f in main["plugins"]["filters"]}
    outputs = main["plugins"]["outputs"]
    assert sum(i["events"]["out"] for i in inputs) == main["events"]["in"]
    assert sum(o["events"]["out"] for o in outputs) == main["events"]["out"]
    assert sum(o["events"]["in"] for o in outputs) == main["events"]["out"]
    durations = sum(f["events"]["duration_in_millis"] for f in filters.values()) + sum(
        o["events"]["duration_in_millis"] for o in outputs
    )
    assert durations == main["events"]["duration_in_millis"]
    # drops: the drop filters let nothing through, and suricata loses events on the way
    for drop in ("suricata-non-json-drop", "suricata-stats-drop", "unclassified"):
        assert filters[drop]["events"]["in"] > filters[drop]["events"]["out"] == 0
    suricata_out = next(o for o in outputs if o["id"] == "splunk-suricata")
    assert suricata_out["events"]["in"] < filters["suricata"]["events"]["in"]
    for f in filters.values():
        assert f["events"]["in"] >= f["events"]["out"]
    # single pipeline: node totals == pipeline totals
    assert stats["events"]["in"] == main["events"]["in"]
    assert stats["events"]["out"] == main["events"]["out"]


def test_main_pipeline_looks_like_aviatrix_to_splunk(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(10)
    main = fake.node_stats()["pipelines"]["main"]["plugins"]
    assert {i["id"] for i in main["inputs"]} == {"udp-5000", "tcp-5000"}
    filter_ids = {f["id"] for f in main["filters"]}
    assert filter_ids >= REQUIRED_FILTERS
    assert len([i for i in filter_ids if HEX64.match(i)]) == 1
    assert {o["id"] for o in main["outputs"]} == {f"splunk-{s}" for s in OUTPUT_SUFFIXES}
    assert all(o["name"] == "http" for o in main["outputs"])
    # http outputs have no elasticsearch-only blocks; no failures unless failing
    assert all("documents" not in o and "failures" not in o for o in main["outputs"])
    grok = next(f for f in main["filters"] if f["id"] == "microseg")
    assert grok["name"] == "grok" and grok["matches"] == grok["events"]["out"]


def test_output_prefix_knob(clock: ManualClock) -> None:
    fake = make(clock, output_prefix="webhook-")
    outs = fake.node_stats()["pipelines"]["main"]["plugins"]["outputs"]
    assert {o["id"] for o in outs} == {f"webhook-{s}" for s in OUTPUT_SUFFIXES}


def test_plugin_count_knob_gives_500_plugins(clock: ManualClock) -> None:
    fake = make(clock, plugin_count=500)
    clock.advance(120)
    started = time.monotonic()
    stats = fake.node_stats()
    elapsed = time.monotonic() - started
    found = plugins(stats)
    assert len(found) >= 500
    assert len({p["id"] for p in found}) == len(found), "plugin ids must be unique"
    assert len(found) == 500  # padded with auto-id filters up to exactly plugin_count
    assert sum(1 for p in found if HEX64.match(p["id"])) >= 450
    assert elapsed < 5.0
    assert_monotonic(counters(stats), (clock.advance(5), counters(fake.node_stats()))[1])


def test_two_pipelines_and_monitoring_pipeline(clock: ManualClock) -> None:
    fake = make(clock, pipelines=2, monitoring_pipeline=True)
    clock.advance(600)
    stats = fake.node_stats()
    assert set(stats["pipelines"]) == {"main", "audit", ".monitoring-logstash"}
    audit = stats["pipelines"]["audit"]
    assert audit["queue"]["type"] == "persisted"
    assert stats["queue"]["events_count"] == audit["queue"]["events_count"]
    assert stats["pipelines"][".monitoring-logstash"]["queue"] is None
    total_in = sum(p["events"]["in"] for p in stats["pipelines"].values())
    assert stats["events"]["in"] == total_in
    assert "flow" in audit and "queue_persisted_growth_events" in audit["flow"]
    info = fake.node_info()
    assert set(info["pipelines"]) == {"main", "audit"}
    assert info["pipelines"]["main"]["dead_letter_queue_enabled"] is True
    health = fake.health_report()
    assert health is not None
    assert set(health["indicators"]["pipelines"]["indicators"]) == {"main", "audit"}
    assert health["indicators"]["pipelines"]["symptom"] == (
        "2 indicators are healthy (`main`, `audit`)"
    )


def test_7x_shape_has_no_flow_no_dlq_and_always_green(clock: ManualClock) -> None:
    fake = make(clock, version="7.17.29")
    clock.advance(1000)
    stats = fake.node_stats()
    assert fake.version_family == "7"
    keys = all_keys(stats)
    assert "flow" not in keys
    assert "dead_letter_queue" not in keys
    assert "worker_utilization" not in keys
    assert "pipeline" not in stats["pipelines"]["main"]
    assert stats["status"] == "green"
    assert fake.health_report() is None
    info = fake.node_info()
    assert info["jvm"]["gc_collectors"] == ["ParNew", "ConcurrentMarkSweep"]
    assert info["pipelines"]["main"]["config_reload_interval"] == 3_000_000_000
    assert info["pipelines"]["main"]["dead_letter_queue_enabled"] is False
    fake.mode = "red"
    assert fake.node_stats()["status"] == "green"  # hard-coded before 8.16


def test_8x_shape_flow_windows_appear_with_age(clock: ManualClock) -> None:
    fake = make(clock, version="8.19.3")
    clock.advance(56)
    stats = fake.node_stats()
    main = stats["pipelines"]["main"]
    assert set(stats["flow"]["input_throughput"]) == {"current", "lifetime"}
    assert set(main["flow"]) >= {
        "input_throughput",
        "filter_throughput",
        "output_throughput",
        "queue_backpressure",
        "worker_concurrency",
        "worker_utilization",
    }
    assert main["pipeline"] == {"workers": 4, "batch_size": 125, "batch_delay": 50}
    assert main["dead_letter_queue"]["queue_size_in_bytes"] == 1
    assert main["dead_letter_queue"]["last_error"] == "no errors"
    assert "throughput" in main["plugins"]["inputs"][0]["flow"]
    assert "worker_utilization" in main["plugins"]["outputs"][0]["flow"]
    clock.advance(22 * 60)
    windows = set(fake.node_stats()["pipelines"]["main"]["flow"]["input_throughput"])
    assert windows == {"current", "lifetime", "last_1_minute", "last_5_minutes", "last_15_minutes"}
    flow = fake.node_stats()["pipelines"]["main"]["flow"]
    assert flow["input_throughput"]["current"] == pytest.approx(120.0, rel=0.05)
    assert 0 < flow["worker_utilization"]["current"] < 50


def test_9x_shape(clock: ManualClock) -> None:
    fake = make(clock, version="9.3.3")
    clock.advance(30)
    stats = fake.node_stats()
    assert fake.version_family == "9"
    main = stats["pipelines"]["main"]
    assert "batch" in main and "flow" in main
    info = fake.node_info()["pipelines"]["main"]
    assert "config_reload_automatic" not in info and "hash" in info
    assert fake.health_report() is not None


def test_root_and_node_info_identity(clock: ManualClock) -> None:
    fake = make(clock)
    root = fake.root()
    for key in ("host", "version", "http_address", "id", "name", "ephemeral_id", "status"):
        assert key in root
    assert root["version"] == "8.19.3" and "build_sha" in root
    info = fake.node_info()
    main = info["pipelines"]["main"]
    for key in ("ephemeral_id", "hash", "workers", "batch_size", "batch_delay"):
        assert key in main
    assert main["dead_letter_queue_path"].endswith("/main")
    assert info["jvm"]["gc_collectors"][0] == "G1 Young Generation"


# ---------------------------------------------------------------------------------------------
# Restart, reload and modes (in process)
# ---------------------------------------------------------------------------------------------


def test_restart_resets_counters_uptime_and_ephemeral_ids(clock: ManualClock) -> None:
    fake = make(clock)
    node_id = fake.node_id
    clock.advance(600)
    before = fake.node_stats()
    fake.restart()
    clock.advance(1)
    after = fake.node_stats()
    assert after["ephemeral_id"] != before["ephemeral_id"]
    assert after["id"] == node_id == before["id"]
    main_b, main_a = before["pipelines"]["main"], after["pipelines"]["main"]
    assert main_a["ephemeral_id"] != main_b["ephemeral_id"]
    assert main_a["hash"] == main_b["hash"]
    assert after["jvm"]["uptime_in_millis"] == 1000
    assert after["events"]["in"] < before["events"]["in"] / 100
    # then healthy again: counters advance from there
    clock.advance(10)
    assert fake.node_stats()["events"]["in"] > after["events"]["in"]


def test_restart_mode_is_one_shot(clock: ManualClock) -> None:
    fake = make(clock)
    first = fake.ephemeral_id
    clock.advance(50)
    fake.mode = "restart"
    assert fake.mode == "healthy"
    assert fake.ephemeral_id != first
    assert fake.restarts == 1
    assert fake.uptime_ms() == 0


def test_reload_pipeline_resets_only_that_pipeline(clock: ManualClock) -> None:
    fake = make(clock, pipelines=2)
    clock.advance(300)
    before = fake.node_stats()
    fake.reload_pipeline("main")
    clock.advance(1)
    after = fake.node_stats()
    main_b, main_a = before["pipelines"]["main"], after["pipelines"]["main"]
    assert main_a["ephemeral_id"] != main_b["ephemeral_id"]
    assert main_a["hash"] != main_b["hash"]
    assert main_a["reloads"]["successes"] == 1
    assert main_a["reloads"]["last_success_timestamp"].endswith("Z")
    assert main_a["events"]["in"] < main_b["events"]["in"]
    assert after["ephemeral_id"] == before["ephemeral_id"]
    assert after["reloads"]["successes"] == 1
    # node-level events are process-wide and do not drop on a pipeline reload
    for key in ("in", "filtered", "out", "duration_in_millis"):
        assert after["events"][key] >= before["events"][key]
    assert (
        after["pipelines"]["audit"]["events"]["in"] >= before["pipelines"]["audit"]["events"]["in"]
    )


@pytest.mark.parametrize("seed", range(20))
def test_counters_stay_monotonic_across_mode_changes(clock: ManualClock, seed: int) -> None:
    """Random walk over modes and reloads: node counters never drop, and pipeline counters
    only drop when that pipeline's ephemeral_id changed (a pipeline restart)."""
    rng = random.Random(seed)
    fake = make(clock, version=rng.choice(["7.17.29", "8.19.3", "9.3.3"]), pipelines=2)
    content_modes = ["healthy", "stuck", "red", "failing_outputs", "heap_high", "slow"]
    prev = fake.node_stats()
    for _ in range(40):
        action = rng.random()
        if action < 0.35:
            fake.mode = rng.choice(content_modes)
        elif action < 0.45:
            fake.reload_pipeline(rng.choice(["main", "audit"]))
        elif action < 0.5:
            fake.event_rate = rng.choice([0.0, 5.0, 120.0, 3000.0])
        clock.advance(rng.choice([0.0, 0.1, 1.0, 7.0, 65.0, 400.0]))
        cur = fake.node_stats()
        cur_c = counters(cur)
        for key in ("events.in", "events.filtered", "events.out", "jvm.uptime", "cpu.total"):
            assert cur_c[key] >= counters(prev)[key], key
        for pid in ("main", "audit"):
            if cur["pipelines"][pid]["ephemeral_id"] != prev["pipelines"][pid]["ephemeral_id"]:
                continue
            before = {k: v for k, v in counters(prev).items() if k.startswith(pid + ".")}
            assert_monotonic(before, cur_c)
        prev = cur


def test_unknown_mode_is_rejected(clock: ManualClock) -> None:
    fake = make(clock)
    with pytest.raises(ValueError, match="unknown mode"):
        fake.mode = "sideways"


def test_startup_mode_looks_like_a_loading_logstash(clock: ManualClock) -> None:
    fake = make(clock, version="9.3.3")
    clock.advance(100)
    old_eid = fake.ephemeral_id
    fake.mode = "startup"
    clock.advance(3.7)
    stats = fake.node_stats()
    assert stats["ephemeral_id"] != old_eid
    assert stats["status"] == "yellow"
    assert stats["jvm"]["uptime_in_millis"] == 3700
    main = stats["pipelines"]["main"]
    assert "hash" not in main and "ephemeral_id" not in main
    assert main["reloads"] is None
    assert main["queue"] == {"type": "memory"}
    assert main["events"]["in"] == 0 and stats["events"]["out"] == 0
    assert main["batch"]["event_count"]["current"] == "undefined"
    health = fake.health_report()
    assert health is not None
    ind = health["indicators"]["pipelines"]["indicators"]["main"]
    assert ind["status"] == "yellow"
    assert ind["details"]["status"]["state"] == "LOADING"
    assert ind["diagnosis"][0]["cause"] == "pipeline is loading"
    # leaving the mode starts the pipelines: counters from zero, then advancing
    fake.mode = "healthy"
    assert fake.node_stats()["events"]["in"] == 0
    clock.advance(10)
    stats = fake.node_stats()
    assert stats["status"] == "green" and stats["events"]["in"] > 0
    assert "ephemeral_id" in stats["pipelines"]["main"]


def test_stuck_mode_freezes_outputs_and_turns_red_after_5_minutes(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(600)
    fake.mode = "stuck"
    clock.advance(30)
    a = fake.node_stats()
    clock.advance(31)
    b = fake.node_stats()
    ma, mb = a["pipelines"]["main"], b["pipelines"]["main"]
    assert mb["events"]["in"] > ma["events"]["in"]
    assert mb["events"]["out"] == ma["events"]["out"]
    assert mb["events"]["filtered"] == ma["events"]["filtered"]
    for oa, ob in zip(ma["plugins"]["outputs"], mb["plugins"]["outputs"], strict=True):
        assert ob["events"]["out"] == oa["events"]["out"]
    assert mb["flow"]["worker_utilization"]["current"] == 100.0
    assert mb["flow"]["output_throughput"]["current"] == 0.0
    assert mb["flow"]["queue_backpressure"]["current"] == pytest.approx(1.0, rel=0.05)
    assert b["status"] == "yellow"  # blocked for a minute
    clock.advance(300)
    health = fake.health_report()
    assert health is not None and health["status"] == "red"
    main = health["indicators"]["pipelines"]["indicators"]["main"]
    assert main["diagnosis"][0]["id"].endswith(":5m-blocked")
    assert main["symptom"] == (
        "The pipeline is unhealthy; 1 area is impacted and 1 diagnosis is available"
    )
    assert "manticore" in fake.hot_threads_text(3)  # workers blocked in the http output
    before = counters(fake.node_stats())
    fake.mode = "healthy"
    clock.advance(1)
    assert_monotonic(before, counters(fake.node_stats()))


def test_red_mode_reports_a_terminated_pipeline(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(120)
    fake.mode = "red"
    clock.advance(5)
    a = fake.node_stats()
    clock.advance(5)
    b = fake.node_stats()
    assert b["status"] == "red"
    assert fake.root()["status"] == "red"
    assert b["pipelines"]["main"]["events"] == a["pipelines"]["main"]["events"]
    health = fake.health_report()
    assert health is not None
    assert health["status"] == "red"
    assert health["symptom"] == "1 indicator is unhealthy (`pipelines`)"
    pipes = health["indicators"]["pipelines"]
    assert pipes["symptom"] == "1 indicator is unhealthy (`main`)"
    main = pipes["indicators"]["main"]
    assert main["symptom"] == (
        "The pipeline is unhealthy; 1 area is impacted and 1 diagnosis is available"
    )
    assert main["diagnosis"][0]["cause"] == (
        "pipeline is not running, likely because it has encountered an error"
    )
    assert main["impacts"][0]["impact_areas"] == ["pipeline_execution"]
    assert main["details"]["status"]["state"] == "TERMINATED"
    # recovery: a new pipeline run, node counters keep going
    old_peid = b["pipelines"]["main"]["ephemeral_id"]
    fake.mode = "healthy"
    clock.advance(2)
    c = fake.node_stats()
    assert c["status"] == "green"
    assert c["pipelines"]["main"]["ephemeral_id"] != old_peid
    assert c["events"]["in"] >= b["events"]["in"]


def test_failing_outputs_mode_counts_failures_and_fills_the_dlq(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(60)
    fake.mode = "failing_outputs"
    clock.advance(10)
    a = fake.node_stats()["pipelines"]["main"]
    clock.advance(10)
    b = fake.node_stats()["pipelines"]["main"]
    fa = {o["id"]: o["failures"] for o in a["plugins"]["outputs"]}
    fb = {o["id"]: o["failures"] for o in b["plugins"]["outputs"]}
    assert all(isinstance(v, int) for v in fb.values())
    assert fb["splunk-microseg"] > fa["splunk-microseg"] > 0
    assert all("documents" not in o for o in b["plugins"]["outputs"])
    dlq_a = a["dead_letter_queue"]["queue_size_in_bytes"]
    assert b["dead_letter_queue"]["queue_size_in_bytes"] > dlq_a > 1
    # back to healthy: failures stay (monotonic) but stop growing
    fake.mode = "healthy"
    clock.advance(10)
    c = fake.node_stats()["pipelines"]["main"]
    fc = {o["id"]: o["failures"] for o in c["plugins"]["outputs"]}
    clock.advance(10)
    d = fake.node_stats()["pipelines"]["main"]
    assert {o["id"]: o["failures"] for o in d["plugins"]["outputs"]} == fc
    assert fc["splunk-microseg"] >= fb["splunk-microseg"]


def test_heap_high_mode(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(60)
    gc_before = fake.node_stats()["jvm"]["gc"]["collectors"]["old"]["collection_count"]
    fake.mode = "heap_high"
    clock.advance(60)
    jvm = fake.node_stats()["jvm"]
    assert jvm["mem"]["heap_used_percent"] == 95
    assert jvm["mem"]["heap_used_in_bytes"] > 0.9 * jvm["mem"]["heap_max_in_bytes"]
    assert jvm["gc"]["collectors"]["old"]["collection_count"] > gc_before
    fake.mode = "healthy"
    assert fake.node_stats()["jvm"]["mem"]["heap_used_percent"] < 90


def test_shape_change_mode_keeps_json_valid_but_changes_fields(clock: ManualClock) -> None:
    fake = make(clock)
    clock.advance(100)
    fake.mode = "shape_change"
    stats = json.loads(json.dumps(fake.node_stats()))
    assert stats["events"]["in"] is None
    assert "heap_used_percent" not in stats["jvm"]["mem"]
    assert "heap_used_pct" in stats["jvm"]["mem"]
    assert stats["jvm"]["uptime_in_millis"] is None
    main = stats["pipelines"]["main"]
    assert main["reloads"] is None and "hash" not in main
    assert "in" not in main["events"]
    assert stats["flow"]["input_throughput"]["current"] == "Infinity"
    assert all("events" not in i for i in main["plugins"]["inputs"])
    assert fake.root()["status"] is None


# ---------------------------------------------------------------------------------------------
# HTTP app (in process)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def client(clock: ManualClock) -> Iterator[tuple[FakeLogstash, TestClient]]:
    fake = make(clock, slow_seconds=0.2)
    clock.advance(90)
    with TestClient(create_app(fake)) as c:
        yield fake, c


API_PATHS = ["/", "/_node", "/_node/stats", "/_node/hot_threads?human=true", "/_health_report"]


def test_http_healthy_routes(client: tuple[FakeLogstash, TestClient]) -> None:
    _, c = client
    for path in API_PATHS:
        r = c.get(path)
        assert r.status_code == 200, path
    assert c.get("/_node/stats").json()["version"] == "8.19.3"
    text = c.get("/_node/hot_threads?human=true").text
    assert text.startswith("::: {}")
    assert re.search(r"% of cpu usage, state: \w+, thread name: '[^']+', thread id: \d+", text)
    assert "hot_threads" in c.get("/_node/hot_threads").json()
    jvm_only = c.get("/_node/stats/jvm").json()
    assert "jvm" in jvm_only and "pipelines" not in jvm_only and "version" in jvm_only
    assert c.get("/_health_report").json()["status"] == "green"


def test_http_health_report_is_404_before_8_16(clock: ManualClock) -> None:
    with TestClient(create_app(make(clock, version="8.15.0"))) as c:
        assert c.get("/_health_report").status_code == 404
        stats = c.get("/_node/stats").json()
        assert "flow" in stats and "worker_utilization" in stats["pipelines"]["main"]["flow"]


@pytest.mark.parametrize("path", API_PATHS)
def test_http500_mode(client: tuple[FakeLogstash, TestClient], path: str) -> None:
    fake, c = client
    fake.mode = "http500"
    r = c.get(path)
    assert r.status_code == 500
    assert r.json()["status"] == 500
    assert "error" in r.json()


def test_garbage_truncated_down_modes(client: tuple[FakeLogstash, TestClient]) -> None:
    fake, c = client
    fake.mode = "garbage"
    r = c.get("/_node/stats")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html>" in r.text
    fake.mode = "truncated"
    r = c.get("/_node/stats")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    fake.mode = "down"
    for path in API_PATHS:
        r = c.get(path)
        assert r.status_code == 503 and r.content == b""
    assert c.get("/_fake/state").json()["mode"] == "down"


def test_slow_mode_waits(client: tuple[FakeLogstash, TestClient]) -> None:
    fake, c = client
    fake.mode = "slow"
    started = time.monotonic()
    r = c.get("/")
    assert r.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_control_routes(client: tuple[FakeLogstash, TestClient]) -> None:
    fake, c = client
    r = c.post("/_fake/mode", json={"mode": "stuck", "slow_seconds": 3})
    assert r.status_code == 200 and r.json()["mode"] == "stuck"
    assert fake.mode == "stuck" and fake.slow_seconds == 3
    assert c.post("/_fake/mode", json={"mode": "nope"}).status_code == 400
    assert c.post("/_fake/mode", json={"bogus": 1}).status_code == 400
    assert c.post("/_fake/mode", content=b"not json").status_code == 400
    eid = fake.ephemeral_id
    r = c.post("/_fake/mode", json={"mode": "restart"})
    assert r.json()["mode"] == "healthy" and fake.ephemeral_id != eid
    assert c.post("/_fake/restart").status_code == 200
    assert c.post("/_fake/reload?pipeline=main").status_code == 200
    assert c.post("/_fake/reload?pipeline=zzz").status_code == 400
    r = c.post("/_fake/mode", json={"version": "7.17.29", "pipelines": 2, "plugin_count": 50})
    assert r.json()["version_family"] == "7"
    stats = c.get("/_node/stats").json()
    assert "flow" not in stats and set(stats["pipelines"]) == {"main", "audit"}
    assert len(plugins(stats)) >= 50
    assert set(MODES) == set(c.get("/_fake/state").json()["modes"])


# ---------------------------------------------------------------------------------------------
# Real server
# ---------------------------------------------------------------------------------------------


def test_server_helper_starts_and_stops_within_bounds() -> None:
    fake = FakeLogstash(plugin_count=500)
    started = time.monotonic()
    with run_fake_logstash_server(fake) as url:
        assert time.monotonic() - started < 5.0
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, timeout=5.0) as http:
            stats = http.get("/_node/stats").json()
            assert len(plugins(stats)) >= 500
            r = http.post("/_fake/mode", json={"mode": "http500"})
            assert r.status_code == 200
            assert http.get("/_node/stats").status_code == 500
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5.0
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=2.0) as http:
        http.get(url + "/")
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # released


def test_server_can_stop_and_start_listening_on_the_same_port() -> None:
    fake = FakeLogstash()
    with FakeLogstashServer(fake) as server:
        url = server.url
        assert httpx.get(url + "/", timeout=5.0).status_code == 200
        server.stop()
        assert not server.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/", timeout=2.0)
        server.start()
        assert server.url == url
        assert httpx.get(url + "/", timeout=5.0).json()["version"] == "8.19.3"


def test_server_shutdown_is_bounded_with_a_slow_request_pending() -> None:
    fake = FakeLogstash(mode="slow", slow_seconds=30)
    with run_fake_logstash_server(fake) as url:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(url + "/_node/stats", timeout=0.3)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 8.0


def test_cli_runs_the_fake(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "ls.log"
    cmd = [
        sys.executable,
        "-m",
        "tests.fakes.fake_logstash",
        "--port",
        str(port),
        "--version",
        "9.3.3",
        "--pipelines",
        "2",
        "--log-file",
        str(log),
        "--log-rate",
        "50",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/_node/stats", timeout=1.0).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        assert body["version"] == "9.3.3"
        assert set(body["pipelines"]) == {"main", "audit"}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and log.stat().st_size < 3000:
            time.sleep(0.1)
        assert log.stat().st_size >= 3000
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


def test_demo_helpers() -> None:
    assert pick_port(0) > 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        taken = s.getsockname()[1]
        assert pick_port(taken) != taken
    cmd = sidecar_command("http://127.0.0.1:9600", Path("/x/ls.log"), 3000)
    assert cmd[1:4] == ["-m", "status_sidecar", "serve"]
    assert cmd[cmd.index("--logstash-url") + 1] == "http://127.0.0.1:9600"
    assert cmd[cmd.index("--startup-grace") + 1] == "30"
    assert cmd[cmd.index("--history-file") + 1] == "/x/history.jsonl"


# ---------------------------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------------------------

CONTINUATION = re.compile(r"^(\t|Caused by: |[a-z][\w.$]*(Exception|Error)\b)")


def check_log_text(text: str) -> dict[str, int]:
    header = re.compile(LOG_LINE_RE)
    levels: dict[str, int] = {}
    lines = text.splitlines()
    assert header.match(lines[0])
    for line in lines:
        m = header.match(line)
        if m:
            levels[m["level"].strip()] = levels.get(m["level"].strip(), 0) + 1
        else:
            assert CONTINUATION.match(line), line
    return levels


def test_log_writer_lines_match_the_log4j2_layout(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "logstash-plain.log"
    writer = LogWriter(path, clock, seed=3)
    writer.write_startup()
    for _ in range(10):
        writer.write_some(40)
        clock.advance(1.5)
    text = path.read_text()
    levels = check_log_text(text)
    assert levels["INFO"] > 0 and levels["WARN"] > 0 and levels["ERROR"] > 0
    assert "\tat " in text and "Caused by: " in text
    assert "[main][splunk-" in text and "Pipeline started" in text
    first = re.match(LOG_LINE_RE, text, re.M)
    assert first is not None
    assert first["ts"] == "2026-01-01T00:00:00,000"
    assert first["logger"] == "logstash.runner          "  # %-25c pads to 25
    stamps = [m["ts"] for m in re.finditer(LOG_LINE_RE, text, re.M)]
    assert stamps == sorted(stamps)


def test_log_writer_appends(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "a.log"
    writer = LogWriter(path, clock)
    n1 = writer.write_some(5)
    n2 = writer.write_some(5)
    assert path.stat().st_size == n1 + n2
    assert writer.entries_written == 10


def test_generate_big_log(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    size = 24 * 1024 * 1024 + 123
    started = time.monotonic()
    written = generate_big_log(path, size)
    elapsed = time.monotonic() - started
    assert written == path.stat().st_size >= size
    assert written < size + 64 * 1024
    assert elapsed < 20
    with path.open("rb") as f:
        head = f.read(1 << 20).decode()
        f.seek(-4096, 2)
        tail = f.read()
    assert tail.endswith(b"\n")
    check_log_text(head[: head.rfind("\n[")])
    small = tmp_path / "small.log"
    assert generate_big_log(small, 1000) >= 1000
    check_log_text(small.read_text())
