"""Per-log-type rows (received, sent, dropped with reasons, failed, eps) from plugin counters.

The catalog says which plugin id belongs to which log type. A plugin id it does not
know lands in the `other` row rather than vanishing. Unclassified events are counted in
the `other` row too: received by the `unclassified` filter, dropped by `unclassified-drop`,
sent by `webhook-unclassified` (each event passes the filter once, so nothing is counted
twice). A shared output (one output
serving several log types, e.g. `dynatrace-logs`) cannot say which type each event
was, so its counts are split in proportion to what each type received, and the row
says so (`estimated`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .catalog import Catalog
from .model import NodeStats, PipelineStats, PluginStats
from .store import Delta

OTHER = "other"


@dataclass
class LogTypeRow:
    key: str
    label: str
    in_profile: bool
    received: int = 0
    sent: float = 0
    dropped: int = 0
    failed: float = 0
    received_per_s: float = 0.0
    sent_per_s: float = 0.0
    drop_reasons: dict[str, int] = field(default_factory=dict)
    estimated: bool = False
    plugin_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.key,
            "label": self.label,
            "in_profile": self.in_profile,
            "received": self.received,
            "sent": round(self.sent),
            "dropped": self.dropped,
            "drop_reasons": dict(self.drop_reasons),
            "failed": round(self.failed),
            "eps": round(self.received_per_s, 3),
            "sent_eps": round(self.sent_per_s, 3),
            "estimated": self.estimated,
            "plugin_ids": sorted(self.plugin_ids),
        }


@dataclass
class _Shared:
    log_types: tuple[str, ...]
    sent: int = 0
    failed: int = 0
    sent_delta: int = 0


def log_type_rows(
    stats: NodeStats, delta: Delta | None, catalog: Catalog, profile: str
) -> list[LogTypeRow]:
    wanted = catalog.profile_types(profile)
    rows = {t.key: LogTypeRow(t.key, t.label, t.key in wanted) for t in catalog.log_types}
    rows[OTHER] = LogTypeRow(OTHER, "Other / unclassified", True)
    interval = delta.interval_s if delta is not None and delta.interval_s > 0 else None
    received_delta: dict[str, int] = {}
    shared: dict[str, _Shared] = {}
    for pipeline in stats.user_pipelines:
        for plugin in pipeline.plugins:
            _account(plugin, pipeline, delta, catalog, rows, received_delta, shared)
        _classified(pipeline, delta, catalog, rows, received_delta)
    _split_shared(shared, rows, received_delta)
    if interval is not None:
        for key, row in rows.items():
            row.received_per_s = received_delta.get(key, 0) / interval
            row.sent_per_s = row.sent_per_s / interval
    return list(rows.values())


def _account(
    plugin: PluginStats,
    pipeline: PipelineStats,
    delta: Delta | None,
    catalog: Catalog,
    rows: dict[str, LogTypeRow],
    received_delta: dict[str, int],
    shared: dict[str, _Shared],
) -> None:
    if plugin.kind not in ("filter", "output"):
        return
    role = catalog.role(plugin.id, plugin.kind)

    def moved(metric: str) -> int:
        return delta.get("plugin", pipeline.id, plugin.id, metric) if delta else 0

    if role.kind == "log_type" and role.log_types:
        row = rows[role.log_types[0]]
        # Every filter of a type sees (a subset of) that type's events: the largest is the count.
        if (plugin.events_in or 0) >= row.received:
            row.received = plugin.events_in or 0
            received_delta[row.key] = moved("in")
        row.plugin_ids.append(plugin.id)
    elif role.kind == "drop":
        # A drop of no log type (`unclassified-drop`) drops unclassified events: `other` row.
        row = rows[role.log_types[0] if role.log_types else OTHER]
        dropped = max((plugin.events_in or 0) - (plugin.events_out or 0), 0)
        row.dropped += dropped
        reason = role.reason or plugin.id
        row.drop_reasons[reason] = row.drop_reasons.get(reason, 0) + dropped
        row.plugin_ids.append(plugin.id)
    elif role.kind == "output" and len(role.log_types) <= 1:
        # An output of no log type (`webhook-unclassified`) sends unclassified events: `other`.
        row = rows[role.log_types[0] if role.log_types else OTHER]
        row.sent += plugin.events_out or 0
        row.failed += plugin.failures or 0
        row.sent_per_s += moved("out")
        row.plugin_ids.append(plugin.id)
    elif role.kind == "output":
        bucket = shared.setdefault(plugin.id, _Shared(role.log_types))
        bucket.sent += plugin.events_out or 0
        bucket.failed += plugin.failures or 0
        bucket.sent_delta += moved("out")
    elif role.kind in ("unclassified", "other"):
        row = rows[OTHER]
        if plugin.kind == "output":
            row.sent += plugin.events_out or 0
            row.failed += plugin.failures or 0
            row.sent_per_s += moved("out")
        elif role.kind == "unclassified":
            row.received += plugin.events_in or 0
            received_delta[OTHER] = received_delta.get(OTHER, 0) + moved("in")
        row.plugin_ids.append(plugin.id)


def _classified(
    pipeline: PipelineStats,
    delta: Delta | None,
    catalog: Catalog,
    rows: dict[str, LogTypeRow],
    received_delta: dict[str, int],
) -> None:
    """A type classified by several filters (cmd-v1 / cmd-v2) received at least their sum."""
    for key, ids in catalog.classifier_ids.items():
        if len(ids) < 2 or key not in rows:
            continue
        found = [p for p in pipeline.plugins if p.kind == "filter" and p.id in ids]
        total = sum(p.events_in or 0 for p in found)
        row = rows[key]
        if found and total > row.received:
            row.received = total
            received_delta[key] = sum(
                delta.get("plugin", pipeline.id, p.id, "in") if delta else 0 for p in found
            )


def _split_shared(
    shared: dict[str, _Shared], rows: dict[str, LogTypeRow], received_delta: dict[str, int]
) -> None:
    for plugin_id, bucket in shared.items():
        served = [rows[t] for t in bucket.log_types if t in rows]
        weights = _weights(r.received for r in served)
        delta_weights = _weights(received_delta.get(r.key, 0) for r in served)
        for row, weight, delta_weight in zip(served, weights, delta_weights, strict=True):
            row.sent += bucket.sent * weight
            row.failed += bucket.failed * weight
            row.sent_per_s += bucket.sent_delta * delta_weight
            row.estimated = True
            row.plugin_ids.append(plugin_id)


def _weights(values: Iterable[int]) -> list[float]:
    items = list(values)
    total = sum(items)
    if total <= 0:
        return [1 / len(items) if items else 0.0 for _ in items]
    return [v / total for v in items]
