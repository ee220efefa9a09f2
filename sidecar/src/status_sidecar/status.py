"""The current health and its last transition, written by the poll path, read by handlers.

Health is evaluated after every poll and once a second beside it (so a grace period or an
outage that runs out between polls shows at once); requests, ``/metrics`` and the sinks only
read the result. Should the evaluation itself stop (a bug), the read says so as ``unhealthy``
rather than serving a frozen ``healthy`` to the load balancer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .health import HealthInput, HealthResult, Thresholds, evaluate, evaluation_window
from .store import Store

log = logging.getLogger("status_sidecar.health")


@dataclass(frozen=True, slots=True)
class StatusChange:
    t: float
    previous: str | None
    status: str
    reasons: tuple[str, ...]


def health_input(store: Store, window_s: float) -> HealthInput:
    latest_at = store.latest_at or 0.0
    report = store.health_report
    return HealthInput(
        started_at=store.started_at,
        first_success_at=store.first_success_at,
        latest_at=store.latest_at,
        failing_since=store.failing_since,
        last_error=store.last_error,
        latest=store.latest,
        health_symptoms=report.symptoms if report else (),
        health_report_status=report.status if report else None,
        recent=store.recent_since(latest_at - window_s),
    )


class HealthTracker:
    """Evaluates health when told to, remembers the result and logs one line per change."""

    def __init__(self, store: Store, thresholds: Thresholds, now: float) -> None:
        self._store = store
        self._thresholds = thresholds
        self._window = evaluation_window(thresholds)
        # Beyond this without an evaluation, the evaluator has stopped.
        self._stale_after = 3 * (thresholds.poll_interval + thresholds.request_timeout) + 5
        self.last_change: StatusChange | None = None
        self.current = HealthResult("starting", ())
        self._evaluated_mono = time.monotonic()
        self.evaluate(now)

    def evaluate(self, now: float) -> HealthResult:
        result = evaluate(health_input(self._store, self._window), now, self._thresholds)
        previous = self.last_change.status if self.last_change else None
        if result.status != previous:
            self.last_change = StatusChange(now, previous, result.status, result.reasons)
            detail = "; ".join(result.reasons) or "all checks pass"
            log.info("health %s -> %s: %s", previous or "(none)", result.status, detail)
        self.current = result
        # Staleness is the process's own affair: measured on the monotonic clock, not on the
        # injected one (a test clock may run 60 times faster than the ticker that evaluates).
        self._evaluated_mono = time.monotonic()
        return result

    def read(self, now: float) -> HealthResult:
        """The current result; never writes."""
        del now
        silent = time.monotonic() - self._evaluated_mono
        if silent > self._stale_after:
            return HealthResult(
                "unhealthy",
                (f"health was last evaluated {silent:.0f} s ago: the sidecar's poller stopped",),
            )
        return self.current
