"""Health semantics, DESIGN.md §3, as a table of situations an operator meets."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from status_sidecar.health import HealthInput, evaluate
from status_sidecar.model import NodeStats
from status_sidecar.settings import Settings
from status_sidecar.store import Delta
from status_sidecar.wiring import thresholds_of

LIMITS = thresholds_of(Settings())


def stats(**pipeline: Any) -> NodeStats:
    main: dict[str, Any] = {"ephemeral_id": "p1", "events": {"in": 10, "out": 10}}
    main.update(pipeline.pop("main", {}))
    raw: dict[str, Any] = {
        "version": "8.19.3",
        "status": "green",
        "jvm": {"mem": {"heap_used_percent": 40}},
        "pipelines": {"main": main},
    }
    raw.update(pipeline)
    return NodeStats.parse(raw)


def facts(**kw: Any) -> HealthInput:
    base: dict[str, Any] = {
        "started_at": 0.0,
        "first_success_at": 10.0,
        "latest_at": 995.0,
        "failing_since": None,
        "last_error": None,
        "latest": stats(),
        "health_symptoms": (),
        "health_report_status": None,
        "recent": (),
    }
    base.update(kw)
    return HealthInput(**base)


def flow(
    t: float, events_in: int, events_out: int, interval: float = 10.0, failures: int = 0
) -> Delta:
    counters = {("pipeline", "main", "in"): events_in, ("pipeline", "main", "out"): events_out}
    if failures:
        counters[("plugin", "main", "splunk-cmd", "failures")] = failures
    return Delta(t=t, interval_s=interval, restart=False, counters=counters)


CASES: list[tuple[str, HealthInput, float, str, int, str]] = [
    ("healthy when everything flows", facts(), 1000, "healthy", 200, ""),
    (
        "starting while the API has never answered inside the grace",
        facts(first_success_at=None, latest_at=None, latest=None, last_error="connection refused"),
        30,
        "starting",
        503,
        "start-up grace left",
    ),
    (
        "unhealthy when the API never answered by the end of the grace",
        facts(first_success_at=None, latest_at=None, latest=None, last_error="connection refused"),
        121,
        "unhealthy",
        503,
        "never answered",
    ),
    (
        "starting when reachable but no pipeline runs yet",
        facts(latest=NodeStats.parse({"version": "9.3.3", "pipelines": {}})),
        60,
        "starting",
        503,
        "waiting for a pipeline",
    ),
    (
        "unhealthy when no pipeline runs after the grace",
        facts(latest=NodeStats.parse({"version": "9.3.3", "pipelines": {}})),
        500,
        "unhealthy",
        503,
        "no pipeline is running",
    ),
    (
        "degraded on a blip of failed polls",
        facts(failing_since=990.0, last_error="HTTP 500"),
        1000,
        "degraded",
        200,
        "last poll failed: HTTP 500",
    ),
    (
        "unhealthy when unreachable for more than 30 s",
        facts(failing_since=960.0, last_error="connection refused"),
        1000,
        "unhealthy",
        503,
        "unreachable for 40 s",
    ),
    (
        "unhealthy when a poll hangs and nothing has answered for long",
        facts(latest_at=900.0),
        1000,
        "unhealthy",
        503,
        "no answer",
    ),
    (
        "unhealthy on status red with the symptom quoted",
        facts(latest=stats(status="red"), health_symptoms=("pipeline main: TERMINATED",)),
        1000,
        "unhealthy",
        503,
        "status red: pipeline main: TERMINATED",
    ),
    (
        "status red is ignored before 8.16 where it is hard-coded",
        facts(latest=stats(status="red", version="8.15.0")),
        1000,
        "healthy",
        200,
        "",
    ),
    (
        "degraded on status yellow",
        facts(latest=stats(status="yellow")),
        1000,
        "degraded",
        200,
        "status yellow",
    ),
    (
        "degraded on heap above the threshold",
        facts(latest=stats(jvm={"mem": {"heap_used_percent": 95}})),
        1000,
        "degraded",
        200,
        "JVM heap 95%",
    ),
    (
        "degraded when the DLQ holds events",
        facts(latest=stats(main={"dead_letter_queue": {"queue_size_in_bytes": 2048}})),
        1000,
        "degraded",
        200,
        "dead letter queue holds 2.0 KB",
    ),
    (
        "an empty DLQ reporting 1 byte is fine",
        facts(latest=stats(main={"dead_letter_queue": {"queue_size_in_bytes": 1}})),
        1000,
        "healthy",
        200,
        "",
    ),
    (
        "degraded when the last config reload failed",
        facts(
            latest=stats(
                main={
                    "reloads": {
                        "failures": 1,
                        "last_failure_timestamp": "2026-11-22T10:00:00Z",
                        "last_success_timestamp": "2026-11-22T09:00:00Z",
                        "last_error": {"message": "Expected one of #, {"},
                    }
                }
            )
        ),
        1000,
        "degraded",
        200,
        "config reload failed: Expected one of #, {",
    ),
    (
        "degraded when the persisted queue is above 90 %",
        facts(
            latest=stats(
                main={
                    "queue": {
                        "type": "persisted",
                        "queue_size_in_bytes": 95,
                        "max_queue_size_in_bytes": 100,
                    }
                }
            )
        ),
        1000,
        "degraded",
        200,
        "persisted queue 95% full",
    ),
    (
        "degraded when workers are saturated over 5 min",
        facts(latest=stats(main={"flow": {"worker_utilization": {"last_5_minutes": 97.0}}})),
        1000,
        "degraded",
        200,
        "workers 97% busy",
    ),
    (
        "degraded when output failures increase in the window",
        facts(recent=(flow(900, 10, 10, failures=3), flow(990, 10, 10, failures=4))),
        1000,
        "degraded",
        200,
        "7 failures in the last 5 min (splunk-cmd 7)",
    ),
    (
        "old failures outside the window do not count",
        facts(recent=(flow(100, 10, 10, failures=3),)),
        1000,
        "healthy",
        200,
        "",
    ),
    (
        "unhealthy when input flows and output stays at 0 for 5 min",
        facts(recent=tuple(flow(700 + 10 * i, 100, 0) for i in range(31))),
        1000,
        "unhealthy",
        503,
        "pipeline main: 3,100 events in, 0 out for 5 min",
    ),
    (
        "not stuck before the stuck threshold",
        facts(recent=tuple(flow(900 + 10 * i, 100, 0) for i in range(10))),
        1000,
        "healthy",
        200,
        "",
    ),
    (
        "not stuck when nothing comes in",
        facts(recent=tuple(flow(600 + 10 * i, 0, 0) for i in range(40))),
        1000,
        "healthy",
        200,
        "",
    ),
    (
        "not stuck when output recovered in the latest poll",
        facts(recent=(*tuple(flow(600 + 10 * i, 100, 0) for i in range(39)), flow(995, 5, 5))),
        1000,
        "healthy",
        200,
        "",
    ),
]


@pytest.mark.parametrize(
    ("name", "given", "now", "status", "http", "reason"), CASES, ids=[c[0] for c in CASES]
)
def test_should_evaluate(
    name: str, given: HealthInput, now: float, status: str, http: int, reason: str
) -> None:
    result = evaluate(given, now, LIMITS)
    assert result.status == status, result.reasons
    assert result.http_status == http
    if reason:
        assert any(reason in r for r in result.reasons), result.reasons
    else:
        assert result.reasons == ()


def test_should_put_the_worst_reason_first() -> None:
    given = facts(latest=stats(status="red", jvm={"mem": {"heap_used_percent": 99}}))
    result = evaluate(given, 1000, LIMITS)
    assert result.status == "unhealthy"
    assert "status red" in result.reasons[0]
    assert any("JVM heap" in r for r in result.reasons[1:])


def test_should_honour_configured_thresholds() -> None:
    given = facts(latest=stats(jvm={"mem": {"heap_used_percent": 80}}))
    assert evaluate(given, 1000, LIMITS).status == "healthy"
    assert evaluate(given, 1000, dataclasses.replace(LIMITS, heap_percent=75)).status == "degraded"
