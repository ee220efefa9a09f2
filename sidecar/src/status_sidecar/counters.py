"""One table of what Logstash reports: every counter and gauge, once.

Each row says where a value lives in the parsed stats (node, pipeline or plugin), its raw
metric family at ``/metrics`` (``logstash_stats_*``) and, for the counters the sidecar carries
across Logstash restarts, the store's counter key and the carried family (``stashkit_*``).
The store's reset-aware counters, the raw exposition and the carried exposition all read this
table, so a counter is named in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from .model import NodeStats, PipelineStats, PluginStats

Kind = Literal["counter", "gauge"]
Scope = TypeVar("Scope", NodeStats, PipelineStats, PluginStats)
RAW = "as reported by Logstash (resets when Logstash restarts)"
CARRIED = "carried across Logstash restarts (monotonic while the sidecar runs)"


@dataclass(frozen=True)
class Row(Generic[Scope]):
    """One value. ``key`` (the store's counter key tail) makes it a carried counter."""

    raw: str  # the raw family's name
    kind: Kind
    help: str  # without the trailing "as reported" clause, which counters get
    read: Callable[[Scope], int | float | None]
    key: str | None = None
    carried: str | None = None  # the carried family's name
    carried_help: str | None = None  # when it differs from ``help``
    divisor: int = 1  # milliseconds to seconds
    unit: str = ""
    carry_if: Callable[[Scope], bool] | None = None  # which objects of the scope are carried
    key_scope: str | None = None  # the key's first part when not the scope's own ("jvm")

    @property
    def raw_help(self) -> str:
        return f"{self.help}, {RAW}." if self.kind == "counter" else f"{self.help}."

    @property
    def full_carried_help(self) -> str:
        return f"{self.carried_help or self.help}, {CARRIED}."


NODE: tuple[Row[NodeStats], ...] = (
    Row("logstash_stats_events_in_total", "counter", "Events received",
        lambda s: s.events.events_in, "in", "stashkit_events_in_total"),
    Row("logstash_stats_events_filtered_total", "counter", "Events through the filters",
        lambda s: s.events.filtered, "filtered", "stashkit_events_filtered_total"),
    Row("logstash_stats_events_out_total", "counter", "Events sent out",
        lambda s: s.events.out, "out", "stashkit_events_out_total"),
    Row("logstash_stats_events_duration_seconds_total", "counter",
        "Time spent processing events", lambda s: s.events.duration_ms, "duration_ms",
        "stashkit_events_duration_seconds_total", divisor=1000, unit="seconds"),
    Row("logstash_stats_events_queue_push_duration_seconds_total", "counter",
        "Time inputs spent pushing events into the queue",
        lambda s: s.events.queue_push_duration_ms, divisor=1000, unit="seconds"),
    Row("logstash_stats_jvm_mem_heap_used_bytes", "gauge", "JVM heap in use",
        lambda s: s.jvm.heap_used_bytes, unit="bytes"),
    Row("logstash_stats_jvm_mem_heap_max_bytes", "gauge", "JVM heap maximum",
        lambda s: s.jvm.heap_max_bytes, unit="bytes"),
    Row("logstash_stats_jvm_mem_heap_used_ratio", "gauge",
        "JVM heap in use as a fraction of the maximum (0-1)",
        lambda s: s.jvm.heap_used_percent, divisor=100),
    Row("logstash_stats_jvm_gc_collections_total", "counter",
        "Garbage collections of all collectors", lambda s: s.jvm.gc_count, "gc_count",
        "stashkit_jvm_gc_collections_total", carried_help="Garbage collections",
        key_scope="jvm"),
    Row("logstash_stats_jvm_gc_collection_seconds_total", "counter",
        "Time spent in garbage collection", lambda s: s.jvm.gc_time_ms, "gc_time_ms",
        "stashkit_jvm_gc_collection_seconds_total", divisor=1000, unit="seconds",
        key_scope="jvm"),
    Row("logstash_stats_jvm_threads", "gauge", "Live JVM threads", lambda s: s.jvm.threads),
    Row("logstash_stats_jvm_uptime_seconds", "gauge", "Time since the Logstash JVM started",
        lambda s: s.jvm.uptime_ms, divisor=1000, unit="seconds"),
    Row("logstash_stats_process_cpu_ratio", "gauge",
        "Recent CPU use of the Logstash process (0-1 of one CPU's worth, as Logstash reports)",
        lambda s: s.process.cpu_percent, divisor=100),
    Row("logstash_stats_process_open_file_descriptors", "gauge",
        "Open file descriptors of the Logstash process", lambda s: s.process.open_fds),
    Row("logstash_stats_process_max_file_descriptors", "gauge",
        "File descriptor limit of the Logstash process", lambda s: s.process.max_fds),
    Row("logstash_stats_reloads_successes_total", "counter",
        "Successful configuration reloads", lambda s: s.reloads.successes, "reload_successes",
        "stashkit_reloads_successes_total", carried_help="Successful reloads"),
    Row("logstash_stats_reloads_failures_total", "counter", "Failed configuration reloads",
        lambda s: s.reloads.failures, "reload_failures", "stashkit_reloads_failures_total",
        carried_help="Failed reloads"),
)  # fmt: skip

PIPELINE: tuple[Row[PipelineStats], ...] = (
    Row("logstash_stats_pipeline_events_in_total", "counter", "Events received by the pipeline",
        lambda p: p.events.events_in, "in", "stashkit_pipeline_events_in_total"),
    Row("logstash_stats_pipeline_events_filtered_total", "counter",
        "Events through the pipeline's filters", lambda p: p.events.filtered, "filtered",
        "stashkit_pipeline_events_filtered_total"),
    Row("logstash_stats_pipeline_events_out_total", "counter", "Events sent out by the pipeline",
        lambda p: p.events.out, "out", "stashkit_pipeline_events_out_total"),
    Row("logstash_stats_pipeline_events_duration_seconds_total", "counter",
        "Time the pipeline spent processing events", lambda p: p.events.duration_ms,
        "duration_ms", "stashkit_pipeline_events_duration_seconds_total", divisor=1000,
        unit="seconds"),
    Row("logstash_stats_pipeline_events_queue_push_duration_seconds_total", "counter",
        "Time the pipeline's inputs spent pushing events into its queue",
        lambda p: p.events.queue_push_duration_ms, divisor=1000, unit="seconds"),
    Row("logstash_stats_pipeline_queue_events", "gauge", "Events waiting in the pipeline's queue",
        lambda p: p.queue.events),
    Row("logstash_stats_pipeline_queue_size_bytes", "gauge",
        "Size of the pipeline's persisted queue on disk", lambda p: p.queue.size_bytes,
        unit="bytes"),
    Row("logstash_stats_pipeline_queue_max_size_bytes", "gauge",
        "Maximum size of the pipeline's persisted queue", lambda p: p.queue.max_size_bytes,
        unit="bytes"),
    Row("logstash_stats_pipeline_dead_letter_queue_size_bytes", "gauge",
        "Size of the pipeline's dead letter queue (an empty one reports 1 byte)",
        lambda p: p.dlq.size_bytes if p.dlq else None, unit="bytes"),
    Row("logstash_stats_pipeline_dead_letter_queue_max_size_bytes", "gauge",
        "Maximum size of the pipeline's dead letter queue",
        lambda p: p.dlq.max_size_bytes if p.dlq else None, unit="bytes"),
    Row("logstash_stats_pipeline_dead_letter_queue_dropped_events_total", "counter",
        "Events the full dead letter queue dropped",
        lambda p: p.dlq.dropped_events if p.dlq else None, "dlq_dropped",
        "stashkit_pipeline_dead_letter_queue_dropped_events_total"),
    Row("logstash_stats_pipeline_dead_letter_queue_expired_events_total", "counter",
        "Events expired out of the dead letter queue",
        lambda p: p.dlq.expired_events if p.dlq else None),
    Row("logstash_stats_pipeline_reloads_successes_total", "counter",
        "Successful reloads of the pipeline", lambda p: p.reloads.successes),
    Row("logstash_stats_pipeline_reloads_failures_total", "counter",
        "Failed reloads of the pipeline", lambda p: p.reloads.failures, "reload_failures",
        "stashkit_pipeline_reloads_failures_total"),
    Row("logstash_stats_pipeline_worker_utilization_ratio", "gauge",
        "Current worker utilization of the pipeline (0-1, Logstash 8.x flow metrics)",
        lambda p: p.worker_utilization.current, divisor=100),
)  # fmt: skip

PLUGIN: tuple[Row[PluginStats], ...] = (
    Row("logstash_stats_pipeline_plugin_events_in_total", "counter", "Events into the plugin",
        lambda pl: pl.events_in, "in", "stashkit_pipeline_plugin_events_in_total"),
    Row("logstash_stats_pipeline_plugin_events_out_total", "counter", "Events out of the plugin",
        lambda pl: pl.events_out, "out", "stashkit_pipeline_plugin_events_out_total"),
    Row("logstash_stats_pipeline_plugin_events_duration_seconds_total", "counter",
        "Time the plugin spent on events", lambda pl: pl.duration_ms, divisor=1000,
        unit="seconds"),
    # Only outputs' failures are carried: a filter's "failures" are parse misses, not losses.
    Row("logstash_stats_pipeline_plugin_failures_total", "counter",
        "Failures the plugin reports (grok misses, output errors)", lambda pl: pl.failures,
        "failures", "stashkit_pipeline_plugin_failures_total",
        carried_help="Failures of the output plugin", carry_if=lambda pl: pl.kind == "output"),
)  # fmt: skip

CounterKey = tuple[str, ...]


def _put(out: dict[CounterKey, int], key: CounterKey, value: int | float | None) -> None:
    if value is not None:
        out[key] = int(value)


def counters_of(stats: NodeStats) -> dict[CounterKey, int]:
    """Every counter the sidecar carries, flattened by key. Unknown values are left out."""
    out: dict[CounterKey, int] = {}
    for row in NODE:
        if row.key is not None:
            _put(out, (row.key_scope or "node", row.key), row.read(stats))
    for p in stats.pipelines:
        for prow in PIPELINE:
            if prow.key is not None:
                _put(out, ("pipeline", p.id, prow.key), prow.read(p))
        for plugin in p.plugins:
            for lrow in PLUGIN:
                if lrow.key is not None and (lrow.carry_if is None or lrow.carry_if(plugin)):
                    _put(out, ("plugin", p.id, plugin.id, lrow.key), lrow.read(plugin))
    return out
