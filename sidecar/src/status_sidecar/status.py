"""Remembers health transitions: the last status change and when it happened."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .health import HealthInput, HealthResult, Thresholds, evaluate
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
    """Evaluates health on demand and logs one line per status change."""

    def __init__(self, store: Store, thresholds: Thresholds) -> None:
        self._store = store
        self._thresholds = thresholds
        self._window = max(thresholds.stuck_after, thresholds.failure_window) + 60
        self.last_change: StatusChange | None = None

    def check(self, now: float) -> HealthResult:
        result = evaluate(health_input(self._store, self._window), now, self._thresholds)
        previous = self.last_change.status if self.last_change else None
        if result.status != previous:
            self.last_change = StatusChange(now, previous, result.status, result.reasons)
            detail = "; ".join(result.reasons) or "all checks pass"
            log.info("health %s -> %s: %s", previous or "(none)", result.status, detail)
        return result
