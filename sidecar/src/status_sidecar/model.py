"""Typed, frozen views of the Logstash monitoring API (7.x, 8.x, 9.x).

Parsing is total: any JSON value yields a model. A missing or malformed counter is
``None`` (unknown), never a made-up zero, so downstream code can tell "no data" from
"no events".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

PluginKind = Literal["input", "filter", "output", "codec"]
_PLUGIN_SECTIONS: tuple[tuple[str, PluginKind], ...] = (
    ("inputs", "input"),
    ("filters", "filter"),
    ("outputs", "output"),
)


class ParseError(ValueError):
    """The body is not a Logstash API document at all (not a JSON object)."""


_EMPTY: Mapping[str, Any] = {}


def _obj(value: object) -> Mapping[str, Any]:
    # JSON objects decode to dict; the exact-type check keeps parsing 500 plugins fast.
    return value if type(value) is dict else _EMPTY


def _int(value: object) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _float(value: object) -> float | None:
    """Numbers only: flow metrics may be "Infinity", "-Infinity" or "undefined" strings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class EventCounts:
    events_in: int | None = None
    filtered: int | None = None
    out: int | None = None
    duration_ms: int | None = None
    queue_push_duration_ms: int | None = None

    @classmethod
    def parse(cls, raw: object) -> EventCounts:
        d = _obj(raw)
        return cls(
            events_in=_int(d.get("in")),
            filtered=_int(d.get("filtered")),
            out=_int(d.get("out")),
            duration_ms=_int(d.get("duration_in_millis")),
            queue_push_duration_ms=_int(d.get("queue_push_duration_in_millis")),
        )


@dataclass(frozen=True, slots=True)
class Flow:
    """One flow metric's windows; absent windows are None."""

    current: float | None = None
    last_1_minute: float | None = None
    last_5_minutes: float | None = None
    lifetime: float | None = None

    @classmethod
    def parse(cls, raw: object) -> Flow:
        d = _obj(raw)
        return cls(
            current=_float(d.get("current")),
            last_1_minute=_float(d.get("last_1_minute")),
            last_5_minutes=_float(d.get("last_5_minutes")),
            lifetime=_float(d.get("lifetime")),
        )


class PluginStats(NamedTuple):
    """A NamedTuple rather than a frozen dataclass: a pipeline can have hundreds of plugins
    and a tuple is built several times faster (parse of 500 plugins: `make bench`)."""

    id: str
    name: str
    kind: PluginKind
    events_in: int | None
    events_out: int | None
    duration_ms: int | None
    failures: int | None
    worker_utilization: float | None

    @classmethod
    def parse(cls, raw: object, kind: PluginKind) -> PluginStats | None:
        d = _obj(raw)
        plugin_id = d.get("id")
        if type(plugin_id) is not str or not plugin_id:
            return None
        events = _obj(d.get("events"))
        return cls(
            plugin_id,
            _str(d.get("name")) or "unknown",
            kind,
            _int(events.get("in")),
            _int(events.get("out")),
            _int(events.get("duration_in_millis")),
            _plugin_failures(d),
            _float(_obj(_obj(d.get("flow")).get("worker_utilization")).get("current")),
        )


def _plugin_failures(d: Mapping[str, Any]) -> int | None:
    """Failures as plugins report them: a top-level ``failures`` (grok, date, http outputs)
    or the elasticsearch output's non-retryable document failures."""
    direct = _int(d.get("failures"))
    if direct is not None or ("documents" not in d and "bulk_requests" not in d):
        return direct
    docs = _obj(d.get("documents"))
    non_retryable = _int(docs.get("non_retryable_failures"))
    bulk_failures = _int(_obj(d.get("bulk_requests")).get("failures"))
    parts = [v for v in (non_retryable, bulk_failures) if v is not None]
    return sum(parts) if parts else None


@dataclass(frozen=True, slots=True)
class QueueStats:
    type: str | None = None
    events: int | None = None
    size_bytes: int | None = None
    max_size_bytes: int | None = None

    @classmethod
    def parse(cls, raw: object) -> QueueStats:
        d = _obj(raw)
        capacity = _obj(d.get("capacity"))
        events = _int(d.get("events_count"))
        if events is None:
            events = _int(d.get("events"))
        max_bytes = _int(d.get("max_queue_size_in_bytes"))
        if max_bytes is None:
            max_bytes = _int(capacity.get("max_queue_size_in_bytes"))
        size = _int(d.get("queue_size_in_bytes"))
        if size is None:
            size = _int(capacity.get("queue_size_in_bytes"))
        return cls(
            type=_str(d.get("type")), events=events, size_bytes=size, max_size_bytes=max_bytes
        )

    @property
    def fill_ratio(self) -> float | None:
        if self.type != "persisted" or not self.max_size_bytes or self.size_bytes is None:
            return None
        return self.size_bytes / self.max_size_bytes


@dataclass(frozen=True, slots=True)
class DeadLetterQueue:
    size_bytes: int | None
    max_size_bytes: int | None
    dropped_events: int | None
    expired_events: int | None
    last_error: str | None

    @classmethod
    def parse(cls, raw: object) -> DeadLetterQueue | None:
        if not isinstance(raw, dict):
            return None
        last_error = _str(raw.get("last_error"))
        return cls(
            size_bytes=_int(raw.get("queue_size_in_bytes")),
            max_size_bytes=_int(raw.get("max_queue_size_in_bytes")),
            dropped_events=_int(raw.get("dropped_events")),
            expired_events=_int(raw.get("expired_events")),
            last_error=None if last_error == "no errors" else last_error,
        )

    @property
    def holds_events(self) -> bool:
        # An empty DLQ still reports 1 byte: its version header.
        return self.size_bytes is not None and self.size_bytes > 1


@dataclass(frozen=True, slots=True)
class Reloads:
    successes: int | None = None
    failures: int | None = None
    last_success_timestamp: str | None = None
    last_failure_timestamp: str | None = None
    last_error: str | None = None

    @classmethod
    def parse(cls, raw: object) -> Reloads:
        d = _obj(raw)
        return cls(
            successes=_int(d.get("successes")),
            failures=_int(d.get("failures")),
            last_success_timestamp=_str(d.get("last_success_timestamp")),
            last_failure_timestamp=_str(d.get("last_failure_timestamp")),
            last_error=_str(_obj(d.get("last_error")).get("message")),
        )

    @property
    def last_reload_failed(self) -> bool:
        """The most recent reload attempt failed (ISO timestamps compare as strings)."""
        if self.last_failure_timestamp is None:
            return False
        return (
            self.last_success_timestamp is None
            or self.last_failure_timestamp > self.last_success_timestamp
        )


@dataclass(frozen=True, slots=True)
class PipelineStats:
    id: str
    ephemeral_id: str | None
    hash: str | None
    events: EventCounts
    plugins: tuple[PluginStats, ...]
    queue: QueueStats
    dlq: DeadLetterQueue | None
    reloads: Reloads
    worker_utilization: Flow
    input_throughput: Flow
    output_throughput: Flow

    @classmethod
    def parse(cls, pipeline_id: str, raw: object) -> PipelineStats:
        d = _obj(raw)
        flow = _obj(d.get("flow"))
        return cls(
            id=pipeline_id,
            ephemeral_id=_str(d.get("ephemeral_id")),
            hash=_str(d.get("hash")),
            events=EventCounts.parse(d.get("events")),
            plugins=_parse_plugins(d.get("plugins")),
            queue=QueueStats.parse(d.get("queue")),
            dlq=DeadLetterQueue.parse(d.get("dead_letter_queue")),
            reloads=Reloads.parse(d.get("reloads")),
            worker_utilization=Flow.parse(flow.get("worker_utilization")),
            input_throughput=Flow.parse(flow.get("input_throughput")),
            output_throughput=Flow.parse(flow.get("output_throughput")),
        )

    @property
    def is_system(self) -> bool:
        return self.id.startswith(".")

    def plugins_of(self, kind: PluginKind) -> tuple[PluginStats, ...]:
        return tuple(p for p in self.plugins if p.kind == kind)


def _parse_plugins(raw: object) -> tuple[PluginStats, ...]:
    sections = _obj(raw)
    parsed: list[PluginStats] = []
    for section, kind in _PLUGIN_SECTIONS:
        items = sections.get(section)
        if not isinstance(items, list):
            continue
        for item in items:
            plugin = PluginStats.parse(item, kind)
            if plugin is not None:
                parsed.append(plugin)
    return tuple(parsed)


@dataclass(frozen=True, slots=True)
class Jvm:
    heap_used_percent: float | None = None
    heap_used_bytes: int | None = None
    heap_max_bytes: int | None = None
    gc_count: int | None = None
    gc_time_ms: int | None = None
    uptime_ms: int | None = None
    threads: int | None = None

    @classmethod
    def parse(cls, raw: object) -> Jvm:
        d = _obj(raw)
        mem = _obj(d.get("mem"))
        collectors = _obj(_obj(d.get("gc")).get("collectors"))
        counts = [_int(_obj(c).get("collection_count")) for c in collectors.values()]
        times = [_int(_obj(c).get("collection_time_in_millis")) for c in collectors.values()]
        return cls(
            heap_used_percent=_float(mem.get("heap_used_percent")),
            heap_used_bytes=_int(mem.get("heap_used_in_bytes")),
            heap_max_bytes=_int(mem.get("heap_max_in_bytes")),
            gc_count=_sum_known(counts),
            gc_time_ms=_sum_known(times),
            uptime_ms=_int(d.get("uptime_in_millis")),
            threads=_int(_obj(d.get("threads")).get("count")),
        )


def _sum_known(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@dataclass(frozen=True, slots=True)
class Process:
    cpu_percent: float | None = None
    open_fds: int | None = None
    max_fds: int | None = None

    @classmethod
    def parse(cls, raw: object) -> Process:
        d = _obj(raw)
        return cls(
            cpu_percent=_float(_obj(d.get("cpu")).get("percent")),
            open_fds=_int(d.get("open_file_descriptors")),
            max_fds=_int(d.get("max_file_descriptors")),
        )


@dataclass(frozen=True, slots=True)
class NodeStats:
    version: str | None
    node_id: str | None
    ephemeral_id: str | None
    status: str | None
    events: EventCounts
    jvm: Jvm
    process: Process
    reloads: Reloads
    pipelines: tuple[PipelineStats, ...]

    @classmethod
    def parse(cls, raw: object) -> NodeStats:
        if not isinstance(raw, dict):
            raise ParseError(f"expected a JSON object, got {type(raw).__name__}")
        pipelines = _obj(raw.get("pipelines"))
        return cls(
            version=_str(raw.get("version")),
            node_id=_str(raw.get("id")),
            ephemeral_id=_str(raw.get("ephemeral_id")),
            status=_str(raw.get("status")),
            events=EventCounts.parse(raw.get("events")),
            jvm=Jvm.parse(raw.get("jvm")),
            process=Process.parse(raw.get("process")),
            reloads=Reloads.parse(raw.get("reloads")),
            pipelines=tuple(
                PipelineStats.parse(str(pid), body) for pid, body in sorted(pipelines.items())
            ),
        )

    @property
    def user_pipelines(self) -> tuple[PipelineStats, ...]:
        """Pipelines an operator configured (not `.monitoring-logstash` and the like)."""
        return tuple(p for p in self.pipelines if not p.is_system)

    @property
    def status_is_meaningful(self) -> bool:
        """Before 8.16 Logstash hard-codes ``status: green``; only later versions mean it."""
        return version_at_least(self.version, (8, 16))


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    id: str
    workers: int | None
    batch_size: int | None
    batch_delay_ms: int | None
    dlq_enabled: bool | None


@dataclass(frozen=True, slots=True)
class NodeInfo:
    version: str | None
    ephemeral_id: str | None
    pipelines: tuple[PipelineConfig, ...]

    @classmethod
    def parse(cls, raw: object) -> NodeInfo:
        if not isinstance(raw, dict):
            raise ParseError(f"expected a JSON object, got {type(raw).__name__}")
        defaults = _obj(raw.get("pipeline"))
        pipelines = []
        for pid, body in sorted(_obj(raw.get("pipelines")).items()):
            d = _obj(body)
            own = _obj(d.get("pipeline"))  # 8.18+: per-pipeline settings block
            dlq = d.get("dead_letter_queue_enabled")
            pipelines.append(
                PipelineConfig(
                    id=str(pid),
                    workers=_first_int(
                        d.get("workers"), own.get("workers"), defaults.get("workers")
                    ),
                    batch_size=_first_int(
                        d.get("batch_size"), own.get("batch_size"), defaults.get("batch_size")
                    ),
                    batch_delay_ms=_first_int(
                        d.get("batch_delay"), own.get("batch_delay"), defaults.get("batch_delay")
                    ),
                    dlq_enabled=dlq if isinstance(dlq, bool) else None,
                )
            )
        return cls(
            version=_str(raw.get("version")),
            ephemeral_id=_str(raw.get("ephemeral_id")),
            pipelines=tuple(pipelines),
        )


def _first_int(*values: object) -> int | None:
    for value in values:
        parsed = _int(value)
        if parsed is not None:
            return parsed
    return None


@dataclass(frozen=True, slots=True)
class HealthReport:
    """`/_health_report` (8.16+): the overall status and the first non-green symptom."""

    status: str | None
    symptoms: tuple[str, ...]

    @classmethod
    def parse(cls, raw: object) -> HealthReport:
        if not isinstance(raw, dict):
            raise ParseError(f"expected a JSON object, got {type(raw).__name__}")
        symptoms: list[str] = []
        for indicator in _obj(raw.get("indicators")).values():
            ind = _obj(indicator)
            for name, sub in _obj(ind.get("indicators")).items():
                sub_d = _obj(sub)
                if _str(sub_d.get("status")) not in (None, "green"):
                    symptom = _str(sub_d.get("symptom")) or f"status {sub_d.get('status')}"
                    symptoms.append(f"pipeline {name}: {symptom}")
            if not symptoms and _str(ind.get("status")) not in (None, "green"):
                symptoms.append(_str(ind.get("symptom")) or "an indicator is not green")
        return cls(status=_str(raw.get("status")), symptoms=tuple(symptoms))


def version_at_least(version: str | None, minimum: tuple[int, int]) -> bool:
    if version is None:
        return False
    parts: list[int] = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            return False
        parts.append(int(digits))
    while len(parts) < 2:
        parts.append(0)
    return (parts[0], parts[1]) >= minimum
