"""Fixed-size history of polls, with reset-aware deltas.

Logstash resets every counter when its process restarts, and a pipeline's counters
when that pipeline reloads. A delta here is never negative and never a spike: after
a reset the new value *is* the delta (events since the reset), and a counter that
goes down for any other reason is treated the same way, as Prometheus' rate() does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .counters import CounterKey, counters_of
from .model import HealthReport, NodeInfo, NodeStats

if TYPE_CHECKING:
    from .logtype_totals import LogTypeTotals


# Upper bounds (seconds) of the poll duration histogram exposed at /metrics.
POLL_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class PollTimings:
    """How long polls take and how many failed, for the poll duration histogram."""

    bucket_counts: list[int] = field(default_factory=lambda: [0] * len(POLL_BUCKETS))
    sum_s: float = 0.0
    count: int = 0
    failures: int = 0

    def observe(self, seconds: float, ok: bool) -> None:
        for i, bound in enumerate(POLL_BUCKETS):
            if seconds <= bound:
                self.bucket_counts[i] += 1
                break
        self.sum_s += seconds
        self.count += 1
        if not ok:
            self.failures += 1


_NODE_EVENT_KEYS: tuple[CounterKey, ...] = (("node", "in"), ("node", "filtered"), ("node", "out"))


@dataclass(frozen=True, slots=True)
class Point:
    """One history point: what happened between two successful polls."""

    t: float
    interval_s: float
    events_in: int
    events_filtered: int
    events_out: int
    restart: bool

    @property
    def input_eps(self) -> float:
        return self.events_in / self.interval_s if self.interval_s > 0 else 0.0

    @property
    def output_eps(self) -> float:
        return self.events_out / self.interval_s if self.interval_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Delta:
    """The full set of counter deltas between two polls (kept for a short window only)."""

    t: float
    interval_s: float
    restart: bool
    counters: Mapping[CounterKey, int]

    def get(self, *key: str) -> int:
        return self.counters.get(key, 0)


@dataclass(frozen=True, slots=True)
class RestartEvent:
    t: float
    reason: str


@dataclass(frozen=True, slots=True)
class PollFailure:
    t: float
    reason: str


def _restart_reason(prev: NodeStats, cur: NodeStats) -> str | None:
    if prev.ephemeral_id and cur.ephemeral_id and prev.ephemeral_id != cur.ephemeral_id:
        return "Logstash restarted (new ephemeral id)"
    prev_up, cur_up = prev.jvm.uptime_ms, cur.jvm.uptime_ms
    if prev_up is not None and cur_up is not None and cur_up < prev_up:
        return "Logstash restarted (uptime went back)"
    return None


def _reloaded_pipelines(prev: NodeStats, cur: NodeStats) -> set[str]:
    before = {p.id: p for p in prev.pipelines}
    reloaded: set[str] = set()
    for p in cur.pipelines:
        old = before.get(p.id)
        if old is None:
            reloaded.add(p.id)  # appeared (or came back): its counters start from zero
        elif old.ephemeral_id and p.ephemeral_id and old.ephemeral_id != p.ephemeral_id:
            reloaded.add(p.id)
    return reloaded


def reset_aware_deltas(
    prev: Mapping[CounterKey, int],
    cur: Mapping[CounterKey, int],
    *,
    process_restarted: bool,
    reloaded_pipelines: Iterable[str] = (),
) -> tuple[dict[CounterKey, int], bool]:
    """Deltas that are never negative; also says whether any counter went down."""
    reloaded = set(reloaded_pipelines)
    deltas: dict[CounterKey, int] = {}
    went_down = False
    for key, value in cur.items():
        before = prev.get(key)
        restarted = process_restarted or (key[0] in ("pipeline", "plugin") and key[1] in reloaded)
        if restarted or before is None:
            deltas[key] = max(value, 0)
        elif value < before:
            went_down = True
            deltas[key] = max(value, 0)
        else:
            deltas[key] = value - before
    return deltas, went_down


@dataclass
class Store:
    """Everything the sidecar knows, bounded in memory.

    ``history`` holds compact points for 24 h at the poll interval; ``recent`` holds the
    full deltas for the evaluation window only.
    """

    history_points: int
    recent_window_s: float
    started_at: float
    history: deque[Point] = field(init=False)
    recent: deque[Delta] = field(init=False)
    restarts: deque[RestartEvent] = field(init=False)
    failures: deque[PollFailure] = field(init=False)
    restart_count: int = 0
    latest: NodeStats | None = None
    latest_raw: object = None
    latest_at: float | None = None
    node_info: NodeInfo | None = None
    health_report: HealthReport | None = None
    first_success_at: float | None = None
    failing_since: float | None = None
    last_error: str | None = None
    totals: dict[CounterKey, int] = field(default_factory=dict)
    generation: int = 0
    """Bumped by every write: answers built from the store are cached per generation."""
    poll_timings: PollTimings = field(default_factory=PollTimings)
    last_poll_duration_s: float | None = None
    log_types: LogTypeTotals | None = None
    """Per-log-type carried totals, fed by every successful poll (owned here, like totals)."""
    _counters: dict[CounterKey, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.history = deque(maxlen=self.history_points)
        self.recent = deque()
        self.restarts = deque(maxlen=500)
        self.failures = deque(maxlen=100)

    def record_failure(self, t: float, reason: str) -> None:
        self.generation += 1
        if self.failing_since is None:
            self.failing_since = t
        self.last_error = reason
        self.failures.append(PollFailure(t, reason))

    def record_poll_duration(self, seconds: float, ok: bool) -> None:
        self.poll_timings.observe(seconds, ok)
        self.last_poll_duration_s = seconds

    def record_node_info(self, info: NodeInfo) -> None:
        self.generation += 1
        self.node_info = info

    def record_health_report(self, report: HealthReport | None) -> None:
        self.generation += 1
        self.health_report = report

    def record_stats(self, t: float, stats: NodeStats, raw: object = None) -> Delta | None:
        """Store one successful poll; returns the delta since the previous one (None at first)."""
        self.generation += 1
        prev, prev_at = self.latest, self.latest_at
        counters = counters_of(stats)
        delta: Delta | None = None
        if prev is not None and prev_at is not None:
            delta = self._delta(t, prev, prev_at, stats, counters)
        else:
            self.totals.update(counters)
        self.latest, self.latest_at, self.latest_raw = stats, t, raw
        self._counters = counters
        if self.log_types is not None:
            self.log_types.update(stats, delta)
        if self.first_success_at is None:
            self.first_success_at = t
        self.failing_since = None
        self.last_error = None
        return delta

    def _delta(
        self,
        t: float,
        prev: NodeStats,
        prev_at: float,
        cur: NodeStats,
        counters: dict[CounterKey, int],
    ) -> Delta:
        reason = _restart_reason(prev, cur)
        deltas, went_down = reset_aware_deltas(
            self._counters,
            counters,
            process_restarted=reason is not None,
            reloaded_pipelines=_reloaded_pipelines(prev, cur),
        )
        node_went_down = any(
            counters.get(k, 0) < self._counters.get(k, 0) for k in _NODE_EVENT_KEYS
        )
        if reason is None and went_down and node_went_down:
            reason = "Logstash restarted (counters went back)"
        interval = max(t - prev_at, 1e-6)
        uptime_s = (cur.jvm.uptime_ms or 0) / 1000
        if reason is not None:
            self.restart_count += 1
            self.restarts.append(RestartEvent(t, reason))
            if uptime_s > 0:
                # Events since the restart happened within its uptime: no spike.
                interval = min(interval, uptime_s)
        for key, value in deltas.items():
            self.totals[key] = self.totals.get(key, 0) + value
        delta = Delta(t, interval, reason is not None, deltas)
        self.history.append(
            Point(
                t=t,
                interval_s=interval,
                events_in=delta.get("node", "in"),
                events_filtered=delta.get("node", "filtered"),
                events_out=delta.get("node", "out"),
                restart=delta.restart,
            )
        )
        self.recent.append(delta)
        while self.recent and self.recent[0].t < t - self.recent_window_s:
            self.recent.popleft()
        return delta

    def restore_point(self, point: Point) -> None:
        """Re-add a persisted point (history restore after the sidecar's own restart)."""
        self.generation += 1
        self.history.append(point)

    def points_since(self, since: float) -> list[Point]:
        return [p for p in self.history if p.t >= since]

    def recent_since(self, since: float) -> list[Delta]:
        return [d for d in self.recent if d.t >= since]

    def restarts_since(self, since: float) -> list[RestartEvent]:
        return [r for r in self.restarts if r.t >= since]

    def average_rates(self, since: float) -> tuple[float | None, float | None]:
        """Input and output events/s averaged over the points since ``since``."""
        points = self.points_since(since)
        seconds = sum(p.interval_s for p in points)
        if seconds <= 0:
            return None, None
        return (
            sum(p.events_in for p in points) / seconds,
            sum(p.events_out for p in points) / seconds,
        )
