"""/api/history: at most 720 points per range, buckets keep sums, peaks and restarts."""

from __future__ import annotations

import json

import pytest

from status_sidecar import views
from status_sidecar.store import Point, RestartEvent, Store

NOW = 1_767_225_600.0


def full_day(restart_at: int = 5000) -> Store:
    store = Store(history_points=8641, recent_window_s=600, started_at=NOW - 86400)
    for i in range(8640):
        t = NOW - 86400 + (i + 1) * 10
        events = 1000 + (i % 7) * 100
        store.restore_point(Point(t, 10.0, events, events, events - 5, i == restart_at))
    store.restarts.append(RestartEvent(NOW - 86400 + (restart_at + 1) * 10, "Logstash restarted"))
    return store


@pytest.mark.parametrize("range_key", list(views.HISTORY_RANGES))
def test_every_range_should_hold_at_most_720_points_keeping_the_sums(range_key: str) -> None:
    store = full_day()
    snapshot = views.history_snapshot(store, range_key, NOW)
    document = views.history_json(snapshot)
    points = document["points"]
    assert isinstance(points, list) and 0 < len(points) <= views.HISTORY_MAX_POINTS
    assert sum(p["events_in"] for p in points) == sum(p.events_in for p in snapshot.points)
    assert sum(p["events_out"] for p in points) == sum(p.events_out for p in snapshot.points)
    seconds = sum(p["interval_s"] for p in points)
    assert seconds == pytest.approx(sum(p.interval_s for p in snapshot.points))


def test_a_day_should_be_small_and_keep_its_peak_and_restart() -> None:
    document = views.history_json(views.history_snapshot(full_day(), "24h", NOW))
    size = len(json.dumps(document, separators=(",", ":")))
    assert size < 200_000, size
    points = document["points"]
    assert isinstance(points, list)
    assert max(p["peak_input_eps"] for p in points) == pytest.approx(160.0)  # 1600 / 10 s
    assert max(p["input_eps"] for p in points) < 160.0  # averages flatten inside buckets
    assert sum(p["restart"] for p in points) == 1
    assert len(document["restarts"]) == 1  # type: ignore[arg-type]


def test_a_short_history_should_be_every_poll_as_it_was() -> None:
    store = Store(history_points=100, recent_window_s=600, started_at=NOW)
    for i in range(5):
        store.restore_point(Point(NOW + i * 10, 10.0, 100 + i, 100, 99, False))
    document = views.history_json(views.history_snapshot(store, "24h", NOW + 50))
    assert [p["events_in"] for p in document["points"]] == [100, 101, 102, 103, 104]  # type: ignore[union-attr]
