"""Parsing is total and honest: real shapes parse, garbage never crashes, unknown is None."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from status_sidecar.model import (
    HealthReport,
    NodeInfo,
    NodeStats,
    ParseError,
    QueueStats,
    version_at_least,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "logstash"


def stats_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": "8.19.3",
        "id": "node-1",
        "ephemeral_id": "eph-1",
        "status": "green",
        "events": {"in": 100, "filtered": 90, "out": 80, "duration_in_millis": 5},
        "jvm": {
            "uptime_in_millis": 60_000,
            "mem": {"heap_used_percent": 40, "heap_used_in_bytes": 4, "heap_max_in_bytes": 10},
            "gc": {
                "collectors": {
                    "young": {"collection_count": 3, "collection_time_in_millis": 30},
                    "old": {"collection_count": 1, "collection_time_in_millis": 10},
                }
            },
        },
        "process": {
            "open_file_descriptors": 70,
            "max_file_descriptors": 1024,
            "cpu": {"percent": 12},
        },
        "pipelines": {
            "main": {
                "ephemeral_id": "p-1",
                "hash": "abc",
                "events": {"in": 100, "filtered": 90, "out": 80},
                "plugins": {
                    "inputs": [{"id": "syslog-udp", "name": "udp", "events": {"out": 100}}],
                    "filters": [
                        {
                            "id": "microseg",
                            "name": "grok",
                            "events": {"in": 50, "out": 50},
                            "failures": 2,
                        }
                    ],
                    "outputs": [
                        {
                            "id": "splunk-microseg",
                            "name": "http",
                            "events": {"in": 50, "out": 49},
                            "failures": 1,
                            "flow": {"worker_utilization": {"current": "Infinity"}},
                        }
                    ],
                },
                "queue": {"type": "memory"},
                "dead_letter_queue": {"queue_size_in_bytes": 1, "last_error": "no errors"},
                "flow": {"worker_utilization": {"current": 3.5, "last_5_minutes": 96.0}},
            },
            ".monitoring-logstash": {"events": {"in": 1}},
        },
    }
    doc.update(overrides)
    return doc


def test_should_parse_an_8x_document_into_typed_values() -> None:
    stats = NodeStats.parse(stats_doc())
    assert stats.version == "8.19.3"
    assert stats.events.events_in == 100
    assert stats.jvm.gc_count == 4
    assert stats.jvm.gc_time_ms == 40
    assert stats.process.open_fds == 70
    main = stats.user_pipelines[0]
    assert main.id == "main"
    assert [p.id for p in main.plugins] == ["syslog-udp", "microseg", "splunk-microseg"]
    assert main.plugins_of("output")[0].failures == 1
    assert main.plugins_of("output")[0].worker_utilization is None  # "Infinity" is not a number
    assert main.worker_utilization.last_5_minutes == 96.0
    assert main.dlq is not None and not main.dlq.holds_events  # 1 byte = empty DLQ
    assert main.dlq.last_error is None


def test_should_keep_missing_counters_unknown_rather_than_zero() -> None:
    stats = NodeStats.parse({"version": "8.4.0", "events": {"in": None, "out": 3}})
    assert stats.events.events_in is None
    assert stats.events.out == 3
    assert stats.jvm.uptime_ms is None
    assert stats.pipelines == ()


def test_should_exclude_system_pipelines_from_user_pipelines() -> None:
    stats = NodeStats.parse(stats_doc())
    assert [p.id for p in stats.pipelines] == [".monitoring-logstash", "main"]
    assert [p.id for p in stats.user_pipelines] == ["main"]


@pytest.mark.parametrize(
    ("queue", "ratio"),
    [
        ({"type": "memory", "queue_size_in_bytes": 0, "max_queue_size_in_bytes": 0}, None),
        ({"type": "persisted", "queue_size_in_bytes": 50, "max_queue_size_in_bytes": 100}, 0.5),
        (
            {
                "type": "persisted",
                "capacity": {"queue_size_in_bytes": 9, "max_queue_size_in_bytes": 10},
            },
            0.9,
        ),
        ({"type": "persisted"}, None),
    ],
)
def test_should_compute_the_persisted_queue_fill_ratio(
    queue: dict[str, Any], ratio: float | None
) -> None:
    assert QueueStats.parse(queue).fill_ratio == ratio


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        ("8.16.0", (8, 16), True),
        ("8.15.9", (8, 16), False),
        ("9.0.0", (8, 16), True),
        ("7.17.29", (8, 16), False),
        (None, (8, 16), False),
        ("garbage", (8, 16), False),
        ("8.19.3-SNAPSHOT", (8, 16), True),
    ],
)
def test_should_compare_versions(
    version: str | None, minimum: tuple[int, int], expected: bool
) -> None:
    assert version_at_least(version, minimum) is expected


def test_should_status_be_meaningful_only_from_816() -> None:
    assert not NodeStats.parse(stats_doc(version="8.15.0")).status_is_meaningful
    assert NodeStats.parse(stats_doc(version="8.16.1")).status_is_meaningful


@pytest.mark.parametrize("body", [[], "text", 3, None, True])
def test_should_reject_a_non_object_document(body: object) -> None:
    with pytest.raises(ParseError):
        NodeStats.parse(body)


def test_should_read_per_pipeline_config_with_global_defaults() -> None:
    info = NodeInfo.parse(
        {
            "version": "9.3.3",
            "pipeline": {"workers": 4, "batch_size": 125, "batch_delay": 50},
            "pipelines": {
                "main": {"workers": 2, "dead_letter_queue_enabled": True},
                "audit": {"pipeline": {"batch_size": 10}},
            },
        }
    )
    audit, main = info.pipelines
    assert (main.workers, main.batch_size, main.dlq_enabled) == (2, 125, True)
    assert (audit.workers, audit.batch_size, audit.dlq_enabled) == (4, 10, None)


def test_should_quote_the_symptom_of_a_red_health_report() -> None:
    report = HealthReport.parse(
        {
            "status": "red",
            "indicators": {
                "pipelines": {
                    "status": "red",
                    "indicators": {
                        "main": {
                            "status": "red",
                            "symptom": "The pipeline is unhealthy; 1 area is impacted",
                        },
                        "other": {"status": "green"},
                    },
                }
            },
        }
    )
    assert report.status == "red"
    assert report.symptoms == ("pipeline main: The pipeline is unhealthy; 1 area is impacted",)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "in",
                    "out",
                    "events",
                    "pipelines",
                    "plugins",
                    "filters",
                    "outputs",
                    "id",
                    "jvm",
                    "mem",
                    "queue",
                    "flow",
                    "current",
                    "reloads",
                    "dead_letter_queue",
                    "version",
                    "status",
                    "gc",
                    "collectors",
                    "indicators",
                    "symptom",
                    "pipeline",
                    "workers",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_should_never_crash_on_arbitrary_json(document: object) -> None:
    for parse in (NodeStats.parse, NodeInfo.parse, HealthReport.parse):
        try:
            parse(document)
        except ParseError:
            assert not isinstance(document, dict)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared Logstash fixtures not present")
def test_should_parse_every_real_captured_response() -> None:
    stats_files = sorted((SHARED / "node_stats").glob("*.json"))
    info_files = sorted((SHARED / "node_info").glob("node_*.json"))
    report_files = sorted((SHARED / "health_report").glob("*_esdiag.json"))
    assert stats_files and info_files and report_files, "the shared captures moved"
    for path in stats_files:
        raw = json.loads(path.read_text())
        stats = NodeStats.parse(raw)
        # Every pipeline the capture holds is parsed, with its plugins; the node's event
        # counter is what Logstash wrote (a capture taken at startup may have none).
        assert {p.id for p in stats.pipelines} == set(raw.get("pipelines") or {}), path.name
        assert stats.version == raw.get("version"), path.name
        assert stats.events.events_in == (raw.get("events") or {}).get("in"), path.name
        for pipeline in stats.pipelines:
            plugins = (raw["pipelines"][pipeline.id] or {}).get("plugins") or {}
            count = sum(len(plugins.get(kind) or []) for kind in ("inputs", "filters", "outputs"))
            assert len(pipeline.plugins) == count, path.name
    for path in info_files:
        info = NodeInfo.parse(json.loads(path.read_text()))
        assert info.pipelines and all(p.id for p in info.pipelines), path.name
    for path in report_files:
        assert HealthReport.parse(json.loads(path.read_text())).status == "green", path.name
