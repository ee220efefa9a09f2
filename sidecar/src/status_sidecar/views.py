"""JSON documents served by the API, built from the store (read-only)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .breakdown import log_type_rows
from .cache import Rendered
from .catalog import Catalog
from .health import HealthResult
from .model import NodeStats, PipelineStats
from .settings import Settings
from .status import StatusChange
from .store import Point, RestartEvent, Store
from .wiring import Sidecar

HISTORY_RANGES: dict[str, int] = {"1h": 3600, "6h": 6 * 3600, "12h": 12 * 3600, "24h": 86400}


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def health_json(result: HealthResult, now: float, change: StatusChange | None) -> dict[str, object]:
    return {
        "status": result.status,
        "reasons": list(result.reasons),
        "checked_at": iso(now),
        "since": iso(change.t) if change else None,
        "previous": change.previous if change else None,
    }


@dataclass(frozen=True)
class SidecarFacts:
    started_at: float
    last_poll_duration_s: float | None
    version: str


def stats_json(
    store: Store,
    settings: Settings,
    catalog: Catalog,
    health: dict[str, object],
    facts: SidecarFacts,
    now: float,
) -> dict[str, object]:
    latest = store.latest
    last_delta = store.recent[-1] if store.recent else None
    in_now = last_delta.get("node", "in") / last_delta.interval_s if last_delta else None
    out_now = last_delta.get("node", "out") / last_delta.interval_s if last_delta else None
    in_1h, out_1h = store.average_rates(now - 3600)
    pipelines = latest.user_pipelines if latest else ()
    return {
        "health": health,
        "sidecar": {
            "version": facts.version,
            "started_at": iso(facts.started_at),
            "uptime_s": round(now - facts.started_at, 1),
            "poll_interval_s": settings.poll_interval,
            "last_poll_at": iso(store.latest_at),
            "last_poll_duration_ms": _ms(facts.last_poll_duration_s),
            "last_error": store.last_error,
            "history_points": len(store.history),
        },
        "logstash": _logstash_json(latest, store, settings),
        "output": _output_json(latest, catalog, settings),
        "log_profile": settings.log_profile,
        "events": {
            "in": latest.events.events_in if latest else None,
            "filtered": latest.events.filtered if latest else None,
            "out": latest.events.out if latest else None,
            "input_eps": _round(in_now),
            "output_eps": _round(out_now),
            "input_eps_1h": _round(in_1h),
            "output_eps_1h": _round(out_1h),
        },
        "queue": _queue_json(pipelines),
        "dlq": _dlq_json(pipelines),
        "jvm": _jvm_json(latest),
        "process": _process_json(latest),
        "reloads": {
            "successes": latest.reloads.successes if latest else None,
            "failures": latest.reloads.failures if latest else None,
        },
        "pipelines": [_pipeline_json(p, store) for p in pipelines],
        "log_types": [
            row.as_json()
            for row in (
                log_type_rows(latest, last_delta, catalog, settings.log_profile) if latest else []
            )
        ],
        "config": _config_json(store),
        "restarts": store.restart_count,
        "restart_events": [{"t": iso(r.t), "reason": r.reason} for r in list(store.restarts)[-20:]],
    }


def _logstash_json(latest: NodeStats | None, store: Store, settings: Settings) -> dict[str, object]:
    reachable = latest is not None and store.failing_since is None
    return {
        "api_url": settings.logstash_url,
        "reachable": reachable,
        "version": latest.version if latest else None,
        "status": latest.status if latest else None,
        "uptime_s": (latest.jvm.uptime_ms / 1000) if latest and latest.jvm.uptime_ms else None,
        "ephemeral_id": latest.ephemeral_id if latest else None,
    }


def _output_json(
    latest: NodeStats | None, catalog: Catalog, settings: Settings
) -> dict[str, object]:
    output_ids = [
        plugin.id
        for pipeline in (latest.user_pipelines if latest else ())
        for plugin in pipeline.plugins_of("output")
    ]
    detected = catalog.detect_output_type(output_ids)
    label = catalog.output_types[detected].label if detected is not None else None
    return {"type": detected, "label": label, "destination": settings.destination or None}


def _sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _queue_json(pipelines: Sequence[PipelineStats]) -> dict[str, object]:
    types = sorted({p.queue.type for p in pipelines if p.queue.type})
    return {
        "type": "/".join(types) or None,
        "events": _sum([p.queue.events for p in pipelines]),
        "bytes": _sum([p.queue.size_bytes for p in pipelines]),
        "max_bytes": _sum([p.queue.max_size_bytes for p in pipelines]),
    }


def _dlq_json(pipelines: Sequence[PipelineStats]) -> dict[str, object]:
    dlqs = [p.dlq for p in pipelines if p.dlq is not None]
    return {
        "enabled": bool(dlqs),
        "bytes": _sum([d.size_bytes for d in dlqs]),
        "dropped": _sum([d.dropped_events for d in dlqs]),
        "expired": _sum([d.expired_events for d in dlqs]),
        "last_error": next((d.last_error for d in dlqs if d.last_error), None),
    }


def _jvm_json(latest: NodeStats | None) -> dict[str, object]:
    if latest is None:
        return {}
    jvm = latest.jvm
    return {
        "heap_used_bytes": jvm.heap_used_bytes,
        "heap_max_bytes": jvm.heap_max_bytes,
        "heap_used_percent": jvm.heap_used_percent,
        "gc_count": jvm.gc_count,
        "gc_time_ms": jvm.gc_time_ms,
        "threads": jvm.threads,
    }


def _process_json(latest: NodeStats | None) -> dict[str, object]:
    if latest is None:
        return {}
    proc = latest.process
    return {"cpu_percent": proc.cpu_percent, "open_fds": proc.open_fds, "max_fds": proc.max_fds}


def _pipeline_json(pipeline: PipelineStats, store: Store) -> dict[str, object]:
    delta = store.recent[-1] if store.recent else None
    rate_in = rate_out = None
    if delta is not None and delta.interval_s > 0:
        rate_in = delta.get("pipeline", pipeline.id, "in") / delta.interval_s
        rate_out = delta.get("pipeline", pipeline.id, "out") / delta.interval_s
    return {
        "id": pipeline.id,
        "events": {
            "in": pipeline.events.events_in,
            "filtered": pipeline.events.filtered,
            "out": pipeline.events.out,
        },
        "input_eps": _round(rate_in),
        "output_eps": _round(rate_out),
        "queue": {
            "type": pipeline.queue.type,
            "events": pipeline.queue.events,
            "bytes": pipeline.queue.size_bytes,
            "max_bytes": pipeline.queue.max_size_bytes,
        },
        "dlq_bytes": pipeline.dlq.size_bytes if pipeline.dlq else None,
        "worker_utilization": pipeline.worker_utilization.current,
        "reloads": {
            "successes": pipeline.reloads.successes,
            "failures": pipeline.reloads.failures,
            "last_error": pipeline.reloads.last_error,
        },
        "plugins": len(pipeline.plugins),
    }


def _config_json(store: Store) -> list[dict[str, object]]:
    info = store.node_info
    queue_types = {p.id: p.queue.type for p in (store.latest.pipelines if store.latest else ())}
    if info is None:
        return []
    return [
        {
            "pipeline": p.id,
            "workers": p.workers,
            "batch_size": p.batch_size,
            "batch_delay_ms": p.batch_delay_ms,
            "queue_type": queue_types.get(p.id),
            "dlq_enabled": p.dlq_enabled,
        }
        for p in info.pipelines
        if not p.id.startswith(".")
    ]


HISTORY_MAX_POINTS = 720


@dataclass(frozen=True, slots=True)
class HistorySnapshot:
    """What a history answer is built from, taken on the event loop."""

    range_key: str
    points: Sequence[Point]
    restarts: Sequence[RestartEvent]


def history_snapshot(store: Store, range_key: str, now: float) -> HistorySnapshot:
    since = now - HISTORY_RANGES[range_key]
    return HistorySnapshot(range_key, store.points_since(since), store.restarts_since(since))


def history_json(snapshot: HistorySnapshot) -> dict[str, object]:
    """At most HISTORY_MAX_POINTS points. With more polls than that in the range, the range is
    cut into fixed time buckets (aligned to the epoch, so they do not shift between polls); a
    bucket keeps the sums of its polls, their peak rates and whether a restart fell in it."""
    # Epoch-aligned buckets: a window of the range's length touches at most length/bucket + 1.
    bucket_s = HISTORY_RANGES[snapshot.range_key] / (HISTORY_MAX_POINTS - 1)
    return {
        "range": snapshot.range_key,
        "bucket_s": bucket_s,
        "points": [_bucket_json(b) for b in _buckets(snapshot.points, bucket_s)],
        "restarts": [{"t": iso(r.t), "reason": r.reason} for r in snapshot.restarts],
    }


def _buckets(points: Sequence[Point], bucket_s: float) -> list[list[Point]]:
    if len(points) <= HISTORY_MAX_POINTS:
        return [[p] for p in points]  # few enough: every poll as it was
    buckets: list[list[Point]] = []
    current_key: int | None = None
    for p in points:
        key = int(p.t // bucket_s)
        if key != current_key:
            buckets.append([])
            current_key = key
        buckets[-1].append(p)
    return buckets


def _bucket_json(bucket: list[Point]) -> dict[str, object]:
    seconds = sum(p.interval_s for p in bucket)
    events_in = sum(p.events_in for p in bucket)
    events_out = sum(p.events_out for p in bucket)
    return {
        "t": iso(bucket[-1].t),
        "interval_s": round(seconds, 3),
        "input_eps": round(events_in / seconds, 3) if seconds > 0 else 0.0,
        "output_eps": round(events_out / seconds, 3) if seconds > 0 else 0.0,
        "peak_input_eps": round(max(p.input_eps for p in bucket), 3),
        "peak_output_eps": round(max(p.output_eps for p in bucket), 3),
        "events_in": events_in,
        "events_out": events_out,
        "restart": any(p.restart for p in bucket),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# --------------------------------------------------------------------------------------------
# The documents of the live sidecar (read-only: health is evaluated by the poll path)
# --------------------------------------------------------------------------------------------


def current_health(sidecar: Sidecar) -> tuple[HealthResult, dict[str, object]]:
    now = sidecar.clock.now()
    result = sidecar.tracker.read(now)
    return result, health_json(result, now, sidecar.tracker.last_change)


def stats_document(
    sidecar: Sidecar, health_doc: dict[str, object] | None = None
) -> dict[str, object]:
    if health_doc is None:
        health_doc = current_health(sidecar)[1]
    store = sidecar.store
    facts = SidecarFacts(
        started_at=store.started_at,
        last_poll_duration_s=store.last_poll_duration_s,
        version=sidecar.version,
    )
    document = stats_json(
        store, sidecar.settings, sidecar.catalog, health_doc, facts, sidecar.clock.now()
    )
    if sidecar.publisher is not None:
        document["sinks"] = sidecar.publisher.status_json(iso)
    return document


def _stats_key(sidecar: Sidecar, result: HealthResult) -> Hashable:
    publisher = sidecar.publisher
    return (sidecar.store.generation, result, publisher.version() if publisher else None)


async def stats_rendered(sidecar: Sidecar) -> Rendered:
    """The stats document as redacted bytes, built once per poll (or health change)."""
    result, health_doc = current_health(sidecar)
    return await sidecar.renders.get(
        "stats",
        _stats_key(sidecar, result),
        lambda: stats_document(sidecar, health_doc),
        lambda document: document,
        finish=sidecar.secrets.redactor.data,  # reload errors and DLQ errors quote configs
    )
