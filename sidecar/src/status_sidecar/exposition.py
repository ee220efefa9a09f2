"""Prometheus exposition: metric families built fresh from a read-only snapshot.

Like a prometheus/client_python custom collector, :func:`collect` keeps no state and registers
nothing: it turns one :class:`MetricsInput` into metric families; :func:`render_text` (text
format 0.0.4) and :func:`render_openmetrics` (OpenMetrics 1.0) write them out, and the push
sinks encode the same families. Names follow the community Logstash exporter (``logstash_stats_``
prefix; ``pipeline``, ``plugin_type``, ``plugin``, ``plugin_id`` labels) and Prometheus' naming
rules: counters are counters ending in ``_total``, durations in seconds, sizes in bytes,
percentages as 0-1 ratios. See docs/metrics.md.

Two families of counters:

* ``logstash_stats_*_total``: the raw counters, exactly as Logstash reports them; they reset
  when Logstash restarts (Prometheus' ``rate()`` copes, a naive consumer does not);
* ``stashkit_*_total``: the same counters carried across Logstash restarts (a reset adds the
  new value to the carried total), monotonic for as long as the sidecar runs.

A value Logstash did not report is left out, never exported as a made-up zero; while Logstash
is unreachable only ``logstash_up 0`` and the sidecar's own series are exported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .counters import CARRIED, NODE, PIPELINE, PLUGIN, CounterKey, Row
from .logtype_totals import LogTypeTotal
from .model import NodeStats, PipelineStats, PluginStats
from .store import POLL_BUCKETS, PollTimings

MetricType = Literal["counter", "gauge", "histogram", "info"]
Labels = tuple[tuple[str, str], ...]

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
HEALTH_STATUSES = ("starting", "healthy", "degraded", "unhealthy")


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Labels
    value: float


@dataclass(frozen=True, slots=True)
class MetricFamily:
    """One metric family. ``name`` is the text-format name (counters end in ``_total``)."""

    name: str
    type: MetricType
    help: str
    samples: tuple[Sample, ...]
    unit: str = ""


@dataclass(frozen=True, slots=True)
class SinkFacts:
    name: str
    pushes: int
    failures: int
    last_success_at: float | None


@dataclass(frozen=True, slots=True)
class MetricsInput:
    """Everything the exposition reads, copied out of the live objects in one go."""

    now: float
    sidecar_version: str
    started_at: float
    latest: NodeStats | None
    reachable: bool
    health_status: str
    totals: Mapping[CounterKey, int]
    restart_count: int
    last_success_at: float | None
    history_points: int
    timings: PollTimings
    log_types: Sequence[LogTypeTotal] = ()
    sinks: Sequence[SinkFacts] = ()


class _Families:
    """Collects families in order; a family with no samples is left out."""

    def __init__(self) -> None:
        self.items: list[MetricFamily] = []

    def add(
        self,
        name: str,
        type_: MetricType,
        help_: str,
        samples: Iterable[tuple[Labels, float | int | None]],
        unit: str = "",
    ) -> None:
        kept = tuple(Sample(name, labels, float(v)) for labels, v in samples if v is not None)
        if kept:
            self.items.append(MetricFamily(name, type_, help_, kept, unit))

    def one(
        self, name: str, type_: MetricType, help_: str, value: float | int | None, unit: str = ""
    ) -> None:
        self.add(name, type_, help_, [((), value)], unit)


def collect(inp: MetricsInput) -> list[MetricFamily]:
    """All metric families for one snapshot, in a stable order."""
    out = _Families()
    latest = inp.latest
    out.one(
        "logstash_up",
        "gauge",
        "1 if the last poll of the Logstash monitoring API succeeded, else 0.",
        1 if inp.reachable else 0,
    )
    if latest is not None and inp.reachable:
        _logstash_raw(out, latest)
    _carried(out, inp)
    _sidecar(out, inp)
    return out.items


def _value_of(row: Row[Any], obj: Any) -> float | int | None:
    value = row.read(obj)
    if value is None or row.divisor == 1:
        return value
    return value / row.divisor


def _plugin_labels(p: PipelineStats, pl: PluginStats) -> Labels:
    return (("pipeline", p.id), ("plugin_type", pl.kind), ("plugin", pl.name), ("plugin_id", pl.id))


def _logstash_raw(out: _Families, s: NodeStats) -> None:
    out.add(
        "logstash_info",
        "info",
        "Logstash node identity.",
        [((("version", s.version or ""), ("node_id", s.node_id or "")), 1)],
    )
    for row in NODE:
        out.one(row.raw, row.kind, row.raw_help, _value_of(row, s), row.unit)
    pipelines: list[tuple[PipelineStats, Labels]] = [
        (p, (("pipeline", p.id),)) for p in s.pipelines
    ]
    samples: list[tuple[Labels, float | int | None]]
    for prow in PIPELINE:
        samples = [(lb, _value_of(prow, p)) for p, lb in pipelines]
        out.add(prow.raw, prow.kind, prow.raw_help, samples, prow.unit)
    plugins = [(pl, _plugin_labels(p, pl)) for p in s.pipelines for pl in p.plugins]
    for lrow in PLUGIN:
        samples = [(lb, _value_of(lrow, pl)) for pl, lb in plugins]
        out.add(lrow.raw, lrow.kind, lrow.raw_help, samples, lrow.unit)


def _scaled(value: int | None, divisor: int) -> float | int | None:
    if value is None or divisor == 1:
        return value
    return value / divisor


def _carried(out: _Families, inp: MetricsInput) -> None:
    """The carried twin of every keyed row, read from the store's carried totals."""
    totals = inp.totals
    for row in NODE:
        if row.key is not None and row.carried is not None:
            value = _scaled(totals.get((row.key_scope or "node", row.key)), row.divisor)
            out.one(row.carried, "counter", row.full_carried_help, value, row.unit)
    pipelines = inp.latest.pipelines if inp.latest is not None else ()
    samples: list[tuple[Labels, float | int | None]]
    for prow in PIPELINE:
        if prow.key is None or prow.carried is None:
            continue
        samples = [
            ((("pipeline", p.id),), _scaled(totals.get(("pipeline", p.id, prow.key)), prow.divisor))
            for p in pipelines
        ]
        out.add(prow.carried, "counter", prow.full_carried_help, samples, prow.unit)
    plugins = [(p, pl) for p in pipelines for pl in p.plugins]
    for lrow in PLUGIN:
        if lrow.key is None or lrow.carried is None:
            continue
        samples = [
            (_plugin_labels(p, pl), totals.get(("plugin", p.id, pl.id, lrow.key)))
            for p, pl in plugins
        ]
        out.add(lrow.carried, "counter", lrow.full_carried_help, samples, lrow.unit)
    _log_types(out, inp)


_LOG_TYPE_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("stashkit_log_type_events_received_total", "received", "Events received per log type"),
    ("stashkit_log_type_events_sent_total", "sent", "Events sent per log type"),
    ("stashkit_log_type_events_dropped_total", "dropped",
     "Events deliberately dropped per log type"),
    ("stashkit_log_type_events_failed_total", "failed", "Output failures per log type"),
)  # fmt: skip


def _log_types(out: _Families, inp: MetricsInput) -> None:
    how = "per the catalog; shared outputs split by what each type received"
    for name, attribute, text in _LOG_TYPE_FAMILIES:
        out.add(
            name,
            "counter",
            f"{text} ({how}), {CARRIED}.",
            [((("log_type", r.key),), getattr(r, attribute)) for r in inp.log_types],
        )


def _sidecar(out: _Families, inp: MetricsInput) -> None:
    out.add(
        "stashkit_build_info",
        "info",
        "Version of the stashkit status sidecar.",
        [((("version", inp.sidecar_version),), 1)],
    )
    out.one(
        "stashkit_start_time_seconds",
        "gauge",
        "When the sidecar started, in seconds since the epoch.",
        inp.started_at,
        "seconds",
    )
    out.add(
        "stashkit_health_status",
        "gauge",
        "1 for the current readiness status of /api/health, 0 for the others.",
        [((("status", s),), 1 if s == inp.health_status else 0) for s in HEALTH_STATUSES],
    )
    out.one(
        "stashkit_logstash_restarts_total",
        "counter",
        "Logstash restarts the sidecar detected (uptime back, new ephemeral id, counters back).",
        inp.restart_count,
    )
    out.one(
        "stashkit_last_poll_success_timestamp_seconds",
        "gauge",
        "When the Logstash API last answered a poll, in seconds since the epoch.",
        inp.last_success_at,
        "seconds",
    )
    out.one(
        "stashkit_history_points",
        "gauge",
        "Points in the in-memory 24 h history.",
        inp.history_points,
    )
    _histogram(out, inp.timings)
    out.one(
        "stashkit_poll_failures_total",
        "counter",
        "Polls of the Logstash API that failed (unreachable, timeout, HTTP error, garbage).",
        inp.timings.failures,
    )
    sinks = [((("sink", f.name),), f) for f in inp.sinks]
    out.add(
        "stashkit_sink_pushes_total",
        "counter",
        "Successful writes by each metrics sink.",
        [(lb, f.pushes) for lb, f in sinks],
    )
    out.add(
        "stashkit_sink_failures_total",
        "counter",
        "Failed writes by each metrics sink (each is retried with backoff).",
        [(lb, f.failures) for lb, f in sinks],
    )
    out.add(
        "stashkit_sink_last_success_timestamp_seconds",
        "gauge",
        "When each metrics sink last wrote successfully, in seconds since the epoch.",
        [(lb, f.last_success_at) for lb, f in sinks],
        "seconds",
    )


def _histogram(out: _Families, t: PollTimings) -> None:
    name = "stashkit_poll_duration_seconds"
    samples: list[Sample] = []
    running = 0
    for bound, count in zip(POLL_BUCKETS, t.bucket_counts, strict=True):
        running += count
        samples.append(Sample(f"{name}_bucket", (("le", _go_float(bound)),), float(running)))
    samples.append(Sample(f"{name}_bucket", (("le", "+Inf"),), float(t.count)))
    samples.append(Sample(f"{name}_sum", (), t.sum_s))
    samples.append(Sample(f"{name}_count", (), float(t.count)))
    out.items.append(
        MetricFamily(
            name,
            "histogram",
            "Duration of polls of the Logstash monitoring API, failed ones included.",
            tuple(samples),
            "seconds",
        )
    )


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _go_float(value: float) -> str:
    """Floats as Prometheus' client libraries write them (1.0, 0.005, +Inf, NaN)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _value(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _go_float(value)


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str, *, openmetrics: bool) -> str:
    value = value.replace("\\", "\\\\").replace("\n", "\\n")
    return value.replace('"', '\\"') if openmetrics else value


def _label_text(labels: Labels, cache: dict[Labels, str]) -> str:
    text = cache.get(labels)
    if text is None:
        if labels:
            inner = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels)
            text = "{" + inner + "}"
        else:
            text = ""
        cache[labels] = text
    return text


def _render(families: Sequence[MetricFamily], *, openmetrics: bool) -> str:
    lines: list[str] = []
    cache: dict[Labels, str] = {}
    for fam in families:
        name = fam.name
        type_: str = fam.type
        if openmetrics:
            if fam.type == "counter":
                name = name.removesuffix("_total")
            elif fam.type == "info":
                name = name.removesuffix("_info")
        elif fam.type == "info":
            type_ = "gauge"
        lines.append(f"# HELP {name} {_escape_help(fam.help, openmetrics=openmetrics)}")
        lines.append(f"# TYPE {name} {type_}")
        if openmetrics and fam.unit:
            lines.append(f"# UNIT {name} {fam.unit}")
        lines.extend(
            f"{s.name}{_label_text(s.labels, cache)} {_value(s.value)}" for s in fam.samples
        )
    if openmetrics:
        lines.append("# EOF")
    return "\n".join(lines) + "\n"


def render_text(families: Sequence[MetricFamily]) -> str:
    """The Prometheus text format 0.0.4."""
    return _render(families, openmetrics=False)


def render_openmetrics(families: Sequence[MetricFamily]) -> str:
    """OpenMetrics 1.0 text (counters as ``name`` + ``name_total``, info types, ``# EOF``)."""
    return _render(families, openmetrics=True)


def wants_openmetrics(accept: str) -> bool:
    """Whether an ``Accept`` header prefers OpenMetrics over the text format (by q-value)."""
    best_om = best_text = -1.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, val = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media == "application/openmetrics-text":
            best_om = max(best_om, q)
        elif media in ("text/plain", "*/*", "text/*"):
            best_text = max(best_text, q)
    return best_om > 0 and best_om >= best_text
