"""Per-log-type totals that never go down while the sidecar runs.

The breakdown's rows (received, sent, dropped, failed per log type) come from Logstash's raw
plugin counters, which reset when Logstash restarts; and a shared output's counts are split
between the log types it serves in proportion to what each received, so an estimated
cumulative row can even go down when the proportions shift. Neither is a counter.

Here each poll's reset-aware delta (the store's, never negative) is run through the same
breakdown and the non-negative parts are added up: received, sent, dropped and failed per log
type are then true counters, consistent across Logstash restarts. They start from the
cumulative rows of the first poll, as the store's carried ``totals`` start from the first
counters it sees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .breakdown import log_type_rows
from .catalog import Catalog
from .model import NodeStats, PipelineStats, PluginStats
from .store import Delta


@dataclass(frozen=True, slots=True)
class LogTypeTotal:
    key: str
    label: str
    in_profile: bool
    received: float
    sent: float
    dropped: float
    failed: float
    estimated: bool


@dataclass(slots=True)
class _Acc:
    label: str
    in_profile: bool
    received: float = 0.0
    sent: float = 0.0
    dropped: float = 0.0
    failed: float = 0.0
    estimated: bool = False


class LogTypeTotals:
    """Accumulates per-log-type totals; fed once per successful poll."""

    def __init__(self, catalog: Catalog, profile: str) -> None:
        self._catalog = catalog
        self._profile = profile
        self._acc: dict[str, _Acc] = {}

    def update(self, stats: NodeStats, delta: Delta | None) -> None:
        """Add one poll: the cumulative rows the first time, the delta's rows afterwards."""
        source = stats if delta is None or not self._acc else _delta_stats(stats, delta)
        for row in log_type_rows(source, None, self._catalog, self._profile):
            acc = self._acc.setdefault(row.key, _Acc(row.label, row.in_profile))
            acc.received += max(row.received, 0)
            acc.sent += max(row.sent, 0)
            acc.dropped += max(row.dropped, 0)
            acc.failed += max(row.failed, 0)
            acc.estimated = acc.estimated or row.estimated

    def snapshot(self) -> tuple[LogTypeTotal, ...]:
        return tuple(
            LogTypeTotal(
                key,
                a.label,
                a.in_profile,
                a.received,
                a.sent,
                a.dropped,
                a.failed,
                a.estimated,
            )
            for key, a in self._acc.items()
        )


def _delta_stats(stats: NodeStats, delta: Delta) -> NodeStats:
    """``stats`` with every plugin counter replaced by what it moved in ``delta``."""
    return dataclasses.replace(
        stats, pipelines=tuple(_delta_pipeline(p, delta) for p in stats.pipelines)
    )


def _delta_pipeline(pipeline: PipelineStats, delta: Delta) -> PipelineStats:
    def moved(plugin: PluginStats) -> PluginStats:
        key = ("plugin", pipeline.id, plugin.id)
        return plugin._replace(
            events_in=delta.counters.get((*key, "in"), 0),
            events_out=delta.counters.get((*key, "out"), 0),
            failures=delta.counters.get((*key, "failures"), 0),
        )

    return dataclasses.replace(pipeline, plugins=tuple(moved(p) for p in pipeline.plugins))
