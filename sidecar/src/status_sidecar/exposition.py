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
from typing import Literal

from .logtype_totals import LogTypeTotal
from .model import NodeStats
from .store import POLL_BUCKETS, CounterKey, PollTimings

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


def _ms(value: int | None) -> float | None:
    return None if value is None else value / 1000


def _ratio(percent: float | None) -> float | None:
    return None if percent is None else percent / 100


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


def _logstash_raw(out: _Families, s: NodeStats) -> None:
    out.add(
        "logstash_info",
        "info",
        "Logstash node identity.",
        [((("version", s.version or ""), ("node_id", s.node_id or "")), 1)],
    )
    ev = s.events
    raw = "as reported by Logstash (resets when Logstash restarts)"
    out.one("logstash_stats_events_in_total", "counter", f"Events received, {raw}.", ev.events_in)
    out.one(
        "logstash_stats_events_filtered_total",
        "counter",
        f"Events through the filters, {raw}.",
        ev.filtered,
    )
    out.one("logstash_stats_events_out_total", "counter", f"Events sent out, {raw}.", ev.out)
    out.one(
        "logstash_stats_events_duration_seconds_total",
        "counter",
        f"Time spent processing events, {raw}.",
        _ms(ev.duration_ms),
        "seconds",
    )
    out.one(
        "logstash_stats_events_queue_push_duration_seconds_total",
        "counter",
        f"Time inputs spent pushing events into the queue, {raw}.",
        _ms(ev.queue_push_duration_ms),
        "seconds",
    )
    jvm = s.jvm
    out.one(
        "logstash_stats_jvm_mem_heap_used_bytes",
        "gauge",
        "JVM heap in use.",
        jvm.heap_used_bytes,
        "bytes",
    )
    out.one(
        "logstash_stats_jvm_mem_heap_max_bytes",
        "gauge",
        "JVM heap maximum.",
        jvm.heap_max_bytes,
        "bytes",
    )
    out.one(
        "logstash_stats_jvm_mem_heap_used_ratio",
        "gauge",
        "JVM heap in use as a fraction of the maximum (0-1).",
        _ratio(jvm.heap_used_percent),
    )
    out.one(
        "logstash_stats_jvm_gc_collections_total",
        "counter",
        f"Garbage collections of all collectors, {raw}.",
        jvm.gc_count,
    )
    out.one(
        "logstash_stats_jvm_gc_collection_seconds_total",
        "counter",
        f"Time spent in garbage collection, {raw}.",
        _ms(jvm.gc_time_ms),
        "seconds",
    )
    out.one("logstash_stats_jvm_threads", "gauge", "Live JVM threads.", jvm.threads)
    out.one(
        "logstash_stats_jvm_uptime_seconds",
        "gauge",
        "Time since the Logstash JVM started.",
        _ms(jvm.uptime_ms),
        "seconds",
    )
    proc = s.process
    out.one(
        "logstash_stats_process_cpu_ratio",
        "gauge",
        "Recent CPU use of the Logstash process (0-1 of one CPU's worth, as Logstash reports).",
        _ratio(proc.cpu_percent),
    )
    out.one(
        "logstash_stats_process_open_file_descriptors",
        "gauge",
        "Open file descriptors of the Logstash process.",
        proc.open_fds,
    )
    out.one(
        "logstash_stats_process_max_file_descriptors",
        "gauge",
        "File descriptor limit of the Logstash process.",
        proc.max_fds,
    )
    out.one(
        "logstash_stats_reloads_successes_total",
        "counter",
        f"Successful configuration reloads, {raw}.",
        s.reloads.successes,
    )
    out.one(
        "logstash_stats_reloads_failures_total",
        "counter",
        f"Failed configuration reloads, {raw}.",
        s.reloads.failures,
    )
    _pipelines_raw(out, s, raw)


def _pipelines_raw(out: _Families, s: NodeStats, raw: str) -> None:
    ps = [(p, (("pipeline", p.id),)) for p in s.pipelines]
    out.add(
        "logstash_stats_pipeline_events_in_total",
        "counter",
        f"Events received by the pipeline, {raw}.",
        [(lb, p.events.events_in) for p, lb in ps],
    )
    out.add(
        "logstash_stats_pipeline_events_filtered_total",
        "counter",
        f"Events through the pipeline's filters, {raw}.",
        [(lb, p.events.filtered) for p, lb in ps],
    )
    out.add(
        "logstash_stats_pipeline_events_out_total",
        "counter",
        f"Events sent out by the pipeline, {raw}.",
        [(lb, p.events.out) for p, lb in ps],
    )
    out.add(
        "logstash_stats_pipeline_events_duration_seconds_total",
        "counter",
        f"Time the pipeline spent processing events, {raw}.",
        [(lb, _ms(p.events.duration_ms)) for p, lb in ps],
        "seconds",
    )
    out.add(
        "logstash_stats_pipeline_events_queue_push_duration_seconds_total",
        "counter",
        f"Time the pipeline's inputs spent pushing events into its queue, {raw}.",
        [(lb, _ms(p.events.queue_push_duration_ms)) for p, lb in ps],
        "seconds",
    )
    out.add(
        "logstash_stats_pipeline_queue_events",
        "gauge",
        "Events waiting in the pipeline's queue.",
        [(lb, p.queue.events) for p, lb in ps],
    )
    out.add(
        "logstash_stats_pipeline_queue_size_bytes",
        "gauge",
        "Size of the pipeline's persisted queue on disk.",
        [(lb, p.queue.size_bytes) for p, lb in ps],
        "bytes",
    )
    out.add(
        "logstash_stats_pipeline_queue_max_size_bytes",
        "gauge",
        "Maximum size of the pipeline's persisted queue.",
        [(lb, p.queue.max_size_bytes) for p, lb in ps],
        "bytes",
    )
    dlqs = [(p.dlq, lb) for p, lb in ps if p.dlq is not None]
    out.add(
        "logstash_stats_pipeline_dead_letter_queue_size_bytes",
        "gauge",
        "Size of the pipeline's dead letter queue (an empty one reports 1 byte).",
        [(lb, d.size_bytes) for d, lb in dlqs],
        "bytes",
    )
    out.add(
        "logstash_stats_pipeline_dead_letter_queue_max_size_bytes",
        "gauge",
        "Maximum size of the pipeline's dead letter queue.",
        [(lb, d.max_size_bytes) for d, lb in dlqs],
        "bytes",
    )
    out.add(
        "logstash_stats_pipeline_dead_letter_queue_dropped_events_total",
        "counter",
        f"Events the full dead letter queue dropped, {raw}.",
        [(lb, d.dropped_events) for d, lb in dlqs],
    )
    out.add(
        "logstash_stats_pipeline_dead_letter_queue_expired_events_total",
        "counter",
        f"Events expired out of the dead letter queue, {raw}.",
        [(lb, d.expired_events) for d, lb in dlqs],
    )
    out.add(
        "logstash_stats_pipeline_reloads_successes_total",
        "counter",
        f"Successful reloads of the pipeline, {raw}.",
        [(lb, p.reloads.successes) for p, lb in ps],
    )
    out.add(
        "logstash_stats_pipeline_reloads_failures_total",
        "counter",
        f"Failed reloads of the pipeline, {raw}.",
        [(lb, p.reloads.failures) for p, lb in ps],
    )
    out.add(
        "logstash_stats_pipeline_worker_utilization_ratio",
        "gauge",
        "Current worker utilization of the pipeline (0-1, Logstash 8.x flow metrics).",
        [(lb, _ratio(p.worker_utilization.current)) for p, lb in ps],
    )
    plugins = [
        (
            pl,
            (
                ("pipeline", p.id),
                ("plugin_type", pl.kind),
                ("plugin", pl.name),
                ("plugin_id", pl.id),
            ),
        )
        for p in s.pipelines
        for pl in p.plugins
    ]
    out.add(
        "logstash_stats_pipeline_plugin_events_in_total",
        "counter",
        f"Events into the plugin, {raw}.",
        [(lb, pl.events_in) for pl, lb in plugins],
    )
    out.add(
        "logstash_stats_pipeline_plugin_events_out_total",
        "counter",
        f"Events out of the plugin, {raw}.",
        [(lb, pl.events_out) for pl, lb in plugins],
    )
    out.add(
        "logstash_stats_pipeline_plugin_events_duration_seconds_total",
        "counter",
        f"Time the plugin spent on events, {raw}.",
        [(lb, _ms(pl.duration_ms)) for pl, lb in plugins],
        "seconds",
    )
    out.add(
        "logstash_stats_pipeline_plugin_failures_total",
        "counter",
        f"Failures the plugin reports (grok misses, output errors), {raw}.",
        [(lb, pl.failures) for pl, lb in plugins],
    )


_NODE_CARRIED: tuple[tuple[str, str, str, int, str], ...] = (
    # (metric, counter key tail, help, divisor to base unit, unit)
    ("stashkit_events_in_total", "in", "Events received", 1, ""),
    ("stashkit_events_filtered_total", "filtered", "Events through the filters", 1, ""),
    ("stashkit_events_out_total", "out", "Events sent out", 1, ""),
    (
        "stashkit_events_duration_seconds_total",
        "duration_ms",
        "Time spent processing events",
        1000,
        "seconds",
    ),
    ("stashkit_reloads_successes_total", "reload_successes", "Successful reloads", 1, ""),
    ("stashkit_reloads_failures_total", "reload_failures", "Failed reloads", 1, ""),
)
_PIPELINE_CARRIED: tuple[tuple[str, str, str, int, str], ...] = (
    ("stashkit_pipeline_events_in_total", "in", "Events received by the pipeline", 1, ""),
    (
        "stashkit_pipeline_events_filtered_total",
        "filtered",
        "Events through the pipeline's filters",
        1,
        "",
    ),
    ("stashkit_pipeline_events_out_total", "out", "Events sent out by the pipeline", 1, ""),
    (
        "stashkit_pipeline_events_duration_seconds_total",
        "duration_ms",
        "Time the pipeline spent processing events",
        1000,
        "seconds",
    ),
    (
        "stashkit_pipeline_reloads_failures_total",
        "reload_failures",
        "Failed reloads of the pipeline",
        1,
        "",
    ),
    (
        "stashkit_pipeline_dead_letter_queue_dropped_events_total",
        "dlq_dropped",
        "Events the full dead letter queue dropped",
        1,
        "",
    ),
)
_PLUGIN_CARRIED: tuple[tuple[str, str, str], ...] = (
    ("stashkit_pipeline_plugin_events_in_total", "in", "Events into the plugin"),
    ("stashkit_pipeline_plugin_events_out_total", "out", "Events out of the plugin"),
    ("stashkit_pipeline_plugin_failures_total", "failures", "Failures of the output plugin"),
)
_CARRIED = "carried across Logstash restarts (monotonic while the sidecar runs)"


def _scaled(value: int | None, divisor: int) -> float | int | None:
    if value is None or divisor == 1:
        return value
    return value / divisor


def _carried(out: _Families, inp: MetricsInput) -> None:
    totals = inp.totals
    for name, tail, text, divisor, unit in _NODE_CARRIED:
        value = _scaled(totals.get(("node", tail)), divisor)
        out.one(name, "counter", f"{text}, {_CARRIED}.", value, unit)
    out.one(
        "stashkit_jvm_gc_collections_total",
        "counter",
        f"Garbage collections, {_CARRIED}.",
        totals.get(("jvm", "gc_count")),
    )
    out.one(
        "stashkit_jvm_gc_collection_seconds_total",
        "counter",
        f"Time spent in garbage collection, {_CARRIED}.",
        _ms(totals.get(("jvm", "gc_time_ms"))),
        "seconds",
    )
    latest = inp.latest
    pipelines = latest.pipelines if latest is not None else ()
    for name, tail, text, divisor, unit in _PIPELINE_CARRIED:
        out.add(
            name,
            "counter",
            f"{text}, {_CARRIED}.",
            [
                ((("pipeline", p.id),), _scaled(totals.get(("pipeline", p.id, tail)), divisor))
                for p in pipelines
            ],
            unit,
        )
    plugins = [
        (
            ("plugin", p.id, pl.id),
            (
                ("pipeline", p.id),
                ("plugin_type", pl.kind),
                ("plugin", pl.name),
                ("plugin_id", pl.id),
            ),
        )
        for p in pipelines
        for pl in p.plugins
    ]
    for name, tail, text in _PLUGIN_CARRIED:
        out.add(
            name,
            "counter",
            f"{text}, {_CARRIED}.",
            [(lb, totals.get((*key, tail))) for key, lb in plugins],
        )
    rows = [((("log_type", r.key),), r) for r in inp.log_types]
    how = "per the catalog; shared outputs split by what each type received"
    out.add(
        "stashkit_log_type_events_received_total",
        "counter",
        f"Events received per log type ({how}), {_CARRIED}.",
        [(lb, r.received) for lb, r in rows],
    )
    out.add(
        "stashkit_log_type_events_sent_total",
        "counter",
        f"Events sent per log type ({how}), {_CARRIED}.",
        [(lb, r.sent) for lb, r in rows],
    )
    out.add(
        "stashkit_log_type_events_dropped_total",
        "counter",
        f"Events deliberately dropped per log type ({how}), {_CARRIED}.",
        [(lb, r.dropped) for lb, r in rows],
    )
    out.add(
        "stashkit_log_type_events_failed_total",
        "counter",
        f"Output failures per log type ({how}), {_CARRIED}.",
        [(lb, r.failed) for lb, r in rows],
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
