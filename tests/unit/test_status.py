"""The health tracker: written by the poll path, read by handlers; a stopped evaluator shows."""

from __future__ import annotations

import pytest

from status_sidecar import status
from status_sidecar.settings import Settings
from status_sidecar.store import Store
from status_sidecar.wiring import thresholds_of


def test_a_stopped_evaluator_should_read_as_unhealthy(monkeypatch: pytest.MonkeyPatch) -> None:
    mono = [1000.0]
    monkeypatch.setattr(status.time, "monotonic", lambda: mono[0])
    store = Store(history_points=10, recent_window_s=600, started_at=0.0)
    tracker = status.HealthTracker(store, thresholds_of(Settings()), 0.0)
    assert tracker.read(1.0).status == "starting"
    mono[0] += 10
    assert tracker.read(1.0).status == "starting"  # recent enough
    mono[0] += 100  # no evaluation for 110 s: the poller and the ticker are gone
    stale = tracker.read(1.0)
    assert stale.status == "unhealthy" and "poller stopped" in stale.reasons[0]
    tracker.evaluate(2.0)
    assert tracker.read(2.0).status == "starting"


def test_read_should_never_record_a_change() -> None:
    store = Store(history_points=10, recent_window_s=600, started_at=0.0)
    tracker = status.HealthTracker(store, thresholds_of(Settings()), 0.0)
    change = tracker.last_change
    for t in (10.0, 500.0, 5000.0):
        tracker.read(t)
    assert tracker.last_change == change
