"""The /metrics exposition: names, types, HELP/TYPE, formats, and totals across restarts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from status_sidecar.exposition import (
    MetricFamily,
    collect,
    render_openmetrics,
    render_text,
    wants_openmetrics,
)
from status_sidecar.model import NodeStats
from status_sidecar.settings import Settings
from status_sidecar.store import PollTimings
from tests.support.inproc import Harness, sidecar_with_fake
from tests.support.metrics_inputs import metrics_input

NAMES_FILE = Path(__file__).parent / "data" / "metric_names.txt"
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")


def value_of(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a text exposition (labels must match exactly)."""
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m is None or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if found == labels:
            return float(m.group(3))
    raise AssertionError(f"no sample {name}{labels}")


def families_of(h: Harness) -> list[MetricFamily]:
    from status_sidecar.metrics import metrics_input

    return collect(metrics_input(h.sidecar))


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with sidecar_with_fake(Settings(history_file=str(tmp_path / "history.jsonl"))) as h:
        for _ in range(3):
            h.poll()
        yield h


def full_names(tmp_path: Path) -> list[str]:
    """Every family: failing outputs (carried output failures) and a written history file."""
    history = tmp_path / "names.jsonl"
    with sidecar_with_fake(Settings(history_file=str(history)), mode="failing_outputs") as h:
        for _ in range(3):
            h.poll()
        assert h.sidecar.publisher is not None
        assert h.client.portal.call(h.sidecar.publisher.flush)
        return sorted({f.name for f in families_of(h)})


def test_should_keep_the_checked_in_list_of_metric_names(tmp_path: Path) -> None:
    names = full_names(tmp_path)
    expected = [n for n in NAMES_FILE.read_text().splitlines() if n and not n.startswith("#")]
    assert names == expected, (
        "metric names changed: update tests/unit/data/metric_names.txt (a rename breaks "
        "dashboards and alerts: say so in docs/metrics.md)"
    )


def test_should_follow_prometheus_naming_rules(harness: Harness) -> None:
    for fam in families_of(harness):
        assert re.fullmatch(r"(logstash|stashkit)_[a-z0-9_]+", fam.name), fam.name
        assert fam.help and fam.help.endswith("."), fam.name
        if fam.type == "counter":
            assert fam.name.endswith("_total"), fam.name
        else:
            assert not fam.name.endswith("_total"), fam.name
        if fam.unit:
            assert fam.name.removesuffix("_total").endswith("_" + fam.unit), fam.name
        assert not re.search(r"_(ms|millis|percent|in_bytes)(_|$)", fam.name), fam.name


def test_should_write_help_and_type_before_the_samples_of_every_family(harness: Harness) -> None:
    text = harness.metrics()
    lines = text.splitlines()
    declared: dict[str, str] = {}
    current = None
    for i, line in enumerate(lines):
        if line.startswith("# HELP "):
            current = line.split()[2]
            assert lines[i + 1].startswith(f"# TYPE {current} "), line
        elif line.startswith("# TYPE "):
            _, _, name, type_ = line.split()
            declared[name] = type_
        else:
            m = _SAMPLE.match(line)
            assert m is not None, line
            assert current is not None and m.group(1).startswith(current), line
    assert declared["logstash_stats_pipeline_events_in_total"] == "counter"
    assert declared["stashkit_pipeline_events_in_total"] == "counter"
    assert declared["logstash_stats_jvm_mem_heap_used_bytes"] == "gauge"
    assert declared["logstash_stats_pipeline_queue_events"] == "gauge"
    assert declared["stashkit_poll_duration_seconds"] == "histogram"
    assert declared["logstash_info"] == "gauge"  # info is a gauge in the text format
    assert text.endswith("\n")


def test_should_label_plugins_like_the_community_exporter(harness: Harness) -> None:
    text = harness.metrics()
    pid = "splunk-microseg"
    labels = {"pipeline": "main", "plugin_type": "output", "plugin": "http", "plugin_id": pid}
    raw = value_of(text, "logstash_stats_pipeline_plugin_events_out_total", **labels)
    carried = value_of(text, "stashkit_pipeline_plugin_events_out_total", **labels)
    assert raw == carried > 0  # no restart yet: carried equals raw
    assert value_of(text, "logstash_up") == 1
    assert value_of(text, "logstash_info", version="8.19.3", node_id=harness.fake.node_id) == 1
    assert value_of(text, "stashkit_health_status", status="healthy") == 1
    assert value_of(text, "stashkit_health_status", status="unhealthy") == 0
    assert value_of(text, "stashkit_last_poll_success_timestamp_seconds") == harness.clock()


def test_should_convert_units_to_seconds_ratios_and_bytes(harness: Harness) -> None:
    stats = harness.sidecar.store.latest
    assert stats is not None
    text = harness.metrics()
    assert stats.events.duration_ms is not None and stats.jvm.heap_used_percent is not None
    assert value_of(text, "logstash_stats_events_duration_seconds_total") == pytest.approx(
        stats.events.duration_ms / 1000
    )
    assert value_of(text, "logstash_stats_jvm_mem_heap_used_ratio") == pytest.approx(
        stats.jvm.heap_used_percent / 100
    )
    assert value_of(text, "logstash_stats_jvm_mem_heap_used_bytes") == stats.jvm.heap_used_bytes


def test_should_keep_carried_totals_monotonic_across_a_logstash_restart() -> None:
    with sidecar_with_fake(Settings(history_file="")) as h:
        h.poll()
        first_raw = value_of(h.metrics(), "logstash_stats_events_in_total")
        for _ in range(2):
            h.poll()
        before = h.metrics()
        raw_before = value_of(before, "logstash_stats_events_in_total")
        carried_before = value_of(before, "stashkit_events_in_total")
        h.fake.restart()
        h.poll()
        after = h.metrics()
        raw_after = value_of(after, "logstash_stats_events_in_total")
        carried_after = value_of(after, "stashkit_events_in_total")
        assert raw_after < raw_before  # the raw counter reset with Logstash
        # the carried total grew by exactly what Logstash processed since its restart
        assert carried_after == carried_before + raw_after
        assert value_of(after, "stashkit_logstash_restarts_total") == 1
        for name in (
            "stashkit_log_type_events_received_total",
            "stashkit_log_type_events_sent_total",
        ):
            assert value_of(after, name, log_type="microseg") >= value_of(
                before, name, log_type="microseg"
            )
        # = what Logstash had counted at the first poll + every reset-aware delta since
        processed = sum(p.events_in for p in h.sidecar.store.history)
        assert carried_after == first_raw + processed


def test_should_never_lower_a_log_type_total_whatever_the_shares_do() -> None:
    with sidecar_with_fake(Settings(history_file="", log_profile="all")) as h:
        h.poll()
        previous: dict[str, float] = {}
        for step in range(12):
            h.fake.event_rate = [10.0, 500.0, 0.0, 120.0][step % 4]
            if step == 6:
                h.fake.restart()
            h.poll()
            text = h.metrics()
            for key in ("microseg", "gw_net_stats", "other"):
                value = value_of(text, "stashkit_log_type_events_sent_total", log_type=key)
                assert value >= previous.get(key, 0.0)
                previous[key] = value


def test_should_export_only_liveness_while_logstash_is_unreachable() -> None:
    with sidecar_with_fake(Settings(history_file="")) as h:
        h.poll()
        h.fake.mode = "down"
        h.poll()
        text = h.metrics()
        assert value_of(text, "logstash_up") == 0
        assert "logstash_stats_" not in text
        assert "logstash_info" not in text
        assert value_of(text, "stashkit_events_in_total") >= 0  # carried totals stay
        assert value_of(text, "stashkit_poll_failures_total") == 1
        assert value_of(text, "stashkit_poll_duration_seconds_count") == 2


def test_should_leave_out_what_logstash_did_not_report() -> None:
    stats = NodeStats.parse({"version": "7.17.0", "pipelines": {"main": {}}})
    inp = metrics_input(
        now=100.0,
        sidecar_version="1.0",
        latest=stats,
        reachable=True,
    )
    names = {f.name for f in collect(inp)}
    assert "logstash_stats_events_in_total" not in names  # unknown, not a made-up zero
    assert "logstash_stats_pipeline_events_in_total" not in names
    assert "stashkit_last_poll_success_timestamp_seconds" not in names
    assert {"logstash_up", "logstash_info", "stashkit_poll_duration_seconds"} <= names


def test_should_escape_label_values() -> None:
    raw = {
        "pipelines": {
            'we"ird\\pipe\nline': {
                "plugins": {"filters": [{"id": "a", "name": "grok", "events": {"in": 1}}]}
            }
        }
    }
    inp = metrics_input(
        latest=NodeStats.parse(raw),
        reachable=True,
    )
    text = render_text(collect(inp))
    assert 'pipeline="we\\"ird\\\\pipe\\nline"' in text
    assert "\nline" not in text.replace("\\nline", "")


def test_should_render_openmetrics_when_asked(harness: Harness) -> None:
    om = harness.metrics(PROMETHEUS_ACCEPT)
    assert om.endswith("# EOF\n")
    assert "# TYPE logstash_stats_pipeline_events_in counter" in om
    assert 'logstash_stats_pipeline_events_in_total{pipeline="main"}' in om
    assert "# TYPE logstash info" in om
    assert "# TYPE stashkit_poll_duration_seconds histogram" in om
    assert "# UNIT stashkit_poll_duration_seconds seconds" in om
    assert 'stashkit_poll_duration_seconds_bucket{le="+Inf"}' in om
    response = harness.client.get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    plain = harness.client.get("/metrics")
    assert plain.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "openmetrics"),
    [
        ("", False),
        ("*/*", False),
        ("text/plain", False),
        (PROMETHEUS_ACCEPT, True),
        ("application/openmetrics-text", True),
        ("application/openmetrics-text;q=0.2,text/plain;q=0.9", False),
        ("application/openmetrics-text;q=0", False),
        ("application/openmetrics-text;q=bogus", False),
    ],
)
def test_should_negotiate_the_format(accept: str, openmetrics: bool) -> None:
    assert wants_openmetrics(accept) is openmetrics


def test_histogram_buckets_should_be_cumulative() -> None:
    timings = PollTimings()
    for seconds in (0.001, 0.02, 0.02, 3.0, 60.0):
        timings.observe(seconds, ok=seconds < 10)
    inp = metrics_input(
        health_status="starting",
        timings=timings,
    )
    text = render_text(collect(inp))
    name = "stashkit_poll_duration_seconds"
    assert value_of(text, f"{name}_bucket", le="0.005") == 1
    assert value_of(text, f"{name}_bucket", le="0.025") == 3
    assert value_of(text, f"{name}_bucket", le="5.0") == 4
    assert value_of(text, f"{name}_bucket", le="10.0") == 4
    assert value_of(text, f"{name}_bucket", le="+Inf") == 5
    assert value_of(text, f"{name}_count") == 5
    assert value_of(text, f"{name}_sum") == pytest.approx(63.041)
    assert value_of(text, "stashkit_poll_failures_total") == 1
    assert value_of(text, "stashkit_health_status", status="starting") == 1


def test_openmetrics_and_text_should_carry_the_same_samples(harness: Harness) -> None:
    families = families_of(harness)
    text = {line for line in render_text(families).splitlines() if not line.startswith("#")}
    om = {line for line in render_openmetrics(families).splitlines() if not line.startswith("#")}
    assert text == om


def test_collect_should_not_touch_its_input(harness: Harness) -> None:
    from status_sidecar.metrics import metrics_input

    inp = metrics_input(harness.sidecar)
    frozen = replace(inp)
    collect(inp)
    collect(inp)
    assert inp == frozen


def test_should_gzip_a_large_exposition_when_asked() -> None:
    with sidecar_with_fake(Settings(history_file="")) as h:  # nothing changes between GETs
        h.poll()
        h.poll()
        plain = h.client.get("/metrics", headers={"Accept-Encoding": "identity"})
        zipped = h.client.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.text == plain.text  # httpx decodes it
