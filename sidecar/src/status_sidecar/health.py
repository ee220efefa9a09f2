"""Health evaluation: a pure function of what the store knows, the time and the thresholds.

`/api/health` is a readiness signal (load balancers route syslog by it), so the
semantics follow DESIGN.md §3: 503 for ``starting`` and ``unhealthy``, 200 for
``healthy`` and ``degraded``. No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .model import NodeStats, PipelineStats
from .store import Delta

Status = Literal["starting", "healthy", "degraded", "unhealthy"]
_SEVERITY: dict[Status, int] = {"healthy": 0, "degraded": 1, "starting": 2, "unhealthy": 3}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What health is judged by. No defaults here: each value is the setting of the same name
    (``wiring.thresholds_of``), declared once in settings.py."""

    startup_grace: float
    unreachable_after: float
    stuck_after: float
    heap_percent: float
    failure_window: float
    queue_percent: float
    worker_percent: float
    poll_interval: float
    request_timeout: float


RECENT_MARGIN_S = 120.0
"""How much older than the longest health window the kept deltas reach (one constant)."""


def evaluation_window(limits: Thresholds) -> float:
    """Seconds of recent deltas health looks at (and the store must keep)."""
    return max(limits.stuck_after, limits.failure_window) + RECENT_MARGIN_S


@dataclass(frozen=True, slots=True)
class HealthInput:
    """The slice of the store that health depends on."""

    started_at: float
    first_success_at: float | None
    latest_at: float | None
    failing_since: float | None
    last_error: str | None
    latest: NodeStats | None
    health_symptoms: tuple[str, ...]
    health_report_status: str | None
    recent: Sequence[Delta]


@dataclass(frozen=True, slots=True)
class Finding:
    status: Status
    reason: str


@dataclass(frozen=True, slots=True)
class HealthResult:
    status: Status
    reasons: tuple[str, ...]

    @property
    def http_status(self) -> int:
        return 200 if self.status in ("healthy", "degraded") else 503


def evaluate(facts: HealthInput, now: float, limits: Thresholds) -> HealthResult:
    findings = _reachability(facts, now, limits)
    if facts.latest is not None and not any(f.status == "starting" for f in findings):
        findings += _pipeline_findings(facts, facts.latest, now, limits)
    if not findings:
        return HealthResult("healthy", ())
    findings.sort(key=lambda f: -_SEVERITY[f.status])
    worst = findings[0].status
    return HealthResult(worst, tuple(f.reason for f in findings))


def _reachability(facts: HealthInput, now: float, limits: Thresholds) -> list[Finding]:
    grace_left = limits.startup_grace - (now - facts.started_at)
    error = facts.last_error or "no answer yet"
    if facts.first_success_at is None:
        if grace_left > 0:
            return [
                Finding(
                    "starting",
                    f"waiting for the Logstash API ({error}); "
                    f"{_duration(grace_left)} of start-up grace left",
                )
            ]
        return [
            Finding(
                "unhealthy",
                f"Logstash API never answered during the "
                f"{_duration(limits.startup_grace)} start-up grace: {error}",
            )
        ]
    findings: list[Finding] = []
    if facts.failing_since is not None:
        failing_for = now - facts.failing_since
        last_good = _last_good(facts, now)
        if failing_for > limits.unreachable_after:
            findings.append(
                Finding(
                    "unhealthy",
                    f"Logstash API unreachable for {_duration(failing_for)}: {error}{last_good}",
                )
            )
        else:
            findings.append(Finding("degraded", f"last poll failed: {error}{last_good}"))
    elif facts.latest_at is not None:
        # A poll that hangs never fails; silence is measured from the last answer.
        silent_for = now - facts.latest_at
        allowed = limits.unreachable_after + limits.poll_interval + limits.request_timeout
        if silent_for > allowed:
            findings.append(
                Finding("unhealthy", f"no answer from the Logstash API for {_duration(silent_for)}")
            )
    latest = facts.latest
    if latest is not None and not latest.user_pipelines:
        if grace_left > 0:
            findings.append(
                Finding(
                    "starting",
                    f"Logstash is up; waiting for a pipeline to "
                    f"start ({_duration(grace_left)} of grace left)",
                )
            )
        else:
            findings.append(Finding("unhealthy", "Logstash is up but no pipeline is running"))
    return findings


def _last_good(facts: HealthInput, now: float) -> str:
    if facts.latest_at is None:
        return ""
    return f" (last good poll {_duration(now - facts.latest_at)} ago)"


def _pipeline_findings(
    facts: HealthInput, latest: NodeStats, now: float, limits: Thresholds
) -> list[Finding]:
    findings: list[Finding] = []
    findings += _status_findings(facts, latest)
    for pipeline in latest.user_pipelines:
        findings += _stuck(pipeline.id, facts.recent, limits)
        findings += _pipeline_degradations(pipeline, limits)
    heap = latest.jvm.heap_used_percent
    if heap is not None and heap > limits.heap_percent:
        findings.append(
            Finding("degraded", f"JVM heap {heap:.0f}% used (above {limits.heap_percent:.0f}%)")
        )
    findings += _output_failures(facts.recent, now, limits)
    return findings


def _status_findings(facts: HealthInput, latest: NodeStats) -> list[Finding]:
    if not latest.status_is_meaningful:
        return []  # 7.x to 8.15 always say green
    status = facts.health_report_status or latest.status
    symptoms = "; ".join(facts.health_symptoms)
    detail = f": {symptoms}" if symptoms else ""
    if status == "red":
        return [Finding("unhealthy", f"Logstash reports status red{detail}")]
    if status == "yellow":
        return [Finding("degraded", f"Logstash reports status yellow{detail}")]
    return []


def _stuck(pipeline_id: str, recent: Sequence[Delta], limits: Thresholds) -> list[Finding]:
    """Input flowing while output stays at zero, over a contiguous span of recent polls."""
    events_in = 0
    span_end: float | None = None
    span_start: float | None = None
    for delta in reversed(recent):
        if ("pipeline", pipeline_id, "out") not in delta.counters:
            break
        if delta.get("pipeline", pipeline_id, "out") > 0:
            break
        events_in += delta.get("pipeline", pipeline_id, "in")
        span_end = delta.t if span_end is None else span_end
        span_start = delta.t - delta.interval_s
    if span_end is None or span_start is None or events_in == 0:
        return []
    span = span_end - span_start
    if span < limits.stuck_after:
        return []
    return [
        Finding(
            "unhealthy",
            f"pipeline {pipeline_id}: {events_in:,} events in, 0 out for {_duration(span)}",
        )
    ]


def _pipeline_degradations(pipeline: PipelineStats, limits: Thresholds) -> list[Finding]:
    findings: list[Finding] = []
    pid = pipeline.id
    if pipeline.dlq is not None and pipeline.dlq.holds_events:
        findings.append(
            Finding(
                "degraded",
                f"pipeline {pid}: dead letter queue holds {_bytes(pipeline.dlq.size_bytes or 0)}",
            )
        )
    if pipeline.reloads.last_reload_failed:
        why = pipeline.reloads.last_error or "no error message"
        findings.append(Finding("degraded", f"pipeline {pid}: last config reload failed: {why}"))
    fill = pipeline.queue.fill_ratio
    if fill is not None and fill * 100 > limits.queue_percent:
        findings.append(Finding("degraded", f"pipeline {pid}: persisted queue {fill:.0%} full"))
    utilization = pipeline.worker_utilization.last_5_minutes
    if utilization is not None and utilization >= limits.worker_percent:
        findings.append(
            Finding("degraded", f"pipeline {pid}: workers {utilization:.0f}% busy over 5 min")
        )
    return findings


def _output_failures(recent: Sequence[Delta], now: float, limits: Thresholds) -> list[Finding]:
    by_plugin: dict[str, int] = {}
    for delta in recent:
        if delta.t < now - limits.failure_window:
            continue
        for key, value in delta.counters.items():
            if value > 0 and key[0] == "plugin" and key[-1] == "failures":
                by_plugin[key[2]] = by_plugin.get(key[2], 0) + value
    if not by_plugin:
        return []
    total = sum(by_plugin.values())
    worst = sorted(by_plugin.items(), key=lambda kv: -kv[1])[:3]
    detail = ", ".join(f"{plugin} {count:,}" for plugin, count in worst)
    return [
        Finding(
            "degraded",
            f"{total:,} failures in the last {_duration(limits.failure_window)} ({detail})",
        )
    ]


def _duration(seconds: float) -> str:
    seconds = max(seconds, 0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
