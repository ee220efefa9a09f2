"""The store never reports a negative or spiking rate, whatever Logstash does to its counters."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from status_sidecar.model import NodeStats
from status_sidecar.settings import Settings
from status_sidecar.store import Store, reset_aware_deltas


def doc(
    events_in: int,
    events_out: int,
    *,
    uptime_ms: int,
    eph: str = "e1",
    pipeline_eph: str = "p1",
    plugin_out: int | None = None,
) -> NodeStats:
    raw: dict[str, Any] = {
        "version": "8.19.3",
        "ephemeral_id": eph,
        "events": {"in": events_in, "filtered": events_in, "out": events_out},
        "jvm": {"uptime_in_millis": uptime_ms},
        "pipelines": {
            "main": {
                "ephemeral_id": pipeline_eph,
                "events": {"in": events_in, "filtered": events_in, "out": events_out},
                "plugins": {
                    "outputs": [
                        {
                            "id": "splunk-cmd",
                            "events": {
                                "in": events_out,
                                "out": events_out if plugin_out is None else plugin_out,
                            },
                        }
                    ]
                },
            }
        },
    }
    return NodeStats.parse(raw)


def new_store(points: int = 100) -> Store:
    return Store(history_points=points, recent_window_s=600, started_at=0.0)


def test_should_produce_no_point_for_the_first_poll() -> None:
    store = new_store()
    assert store.record_stats(10.0, doc(1000, 900, uptime_ms=50_000)) is None
    assert list(store.history) == []
    assert store.totals[("node", "in")] == 1000


def test_should_compute_rates_between_polls() -> None:
    store = new_store()
    store.record_stats(10.0, doc(1000, 900, uptime_ms=50_000))
    delta = store.record_stats(20.0, doc(1500, 1300, uptime_ms=60_000))
    assert delta is not None
    point = store.history[-1]
    assert (point.events_in, point.events_out, point.interval_s) == (500, 400, 10.0)
    assert point.input_eps == 50.0
    assert not point.restart


def test_should_treat_a_new_ephemeral_id_as_a_restart_without_a_spike() -> None:
    store = new_store()
    store.record_stats(10.0, doc(1_000_000, 999_000, uptime_ms=900_000))
    store.record_stats(20.0, doc(40, 30, uptime_ms=4_000, eph="e2", pipeline_eph="p2"))
    point = store.history[-1]
    assert point.restart
    assert point.events_in == 40
    # The 40 events happened in the 4 s since the restart, not spread over 10 s, not negative.
    assert point.interval_s == 4.0
    assert store.restart_count == 1
    assert "new ephemeral id" in store.restarts[-1].reason


def test_should_detect_a_restart_from_uptime_going_back() -> None:
    store = new_store()
    store.record_stats(10.0, doc(500, 500, uptime_ms=900_000))
    store.record_stats(20.0, doc(700, 700, uptime_ms=5_000))
    assert store.history[-1].restart
    assert store.history[-1].events_in == 700


def test_should_treat_any_decreasing_node_counter_as_a_reset() -> None:
    store = new_store()
    store.record_stats(10.0, doc(500, 500, uptime_ms=10_000))
    store.record_stats(20.0, doc(100, 90, uptime_ms=20_000))  # same id, uptime up, counters down
    point = store.history[-1]
    assert point.restart and point.events_in == 100 and point.events_out == 90
    assert "counters went back" in store.restarts[-1].reason


def test_should_reset_only_the_reloaded_pipelines_plugins() -> None:
    store = new_store()
    store.record_stats(10.0, doc(500, 500, uptime_ms=10_000, plugin_out=400))
    delta = store.record_stats(
        20.0, doc(600, 600, uptime_ms=20_000, pipeline_eph="p2", plugin_out=30)
    )
    assert delta is not None
    assert delta.get("plugin", "main", "splunk-cmd", "out") == 30
    assert not delta.restart  # a pipeline reload is not a Logstash restart


def test_should_carry_totals_monotonically_across_restarts() -> None:
    store = new_store()
    store.record_stats(10.0, doc(1000, 1000, uptime_ms=100_000))
    store.record_stats(20.0, doc(1100, 1100, uptime_ms=110_000))
    store.record_stats(30.0, doc(50, 50, uptime_ms=5_000, eph="e2"))
    store.record_stats(40.0, doc(80, 80, uptime_ms=15_000, eph="e2"))
    assert store.totals[("node", "in")] == 1000 + 100 + 50 + 30


def test_should_really_keep_24_hours_at_the_default_interval() -> None:
    points = Settings().history_points
    assert points >= 8640
    store = new_store(points)
    for i in range(points + 50):
        store.record_stats(10.0 * i, doc(i * 10, i * 10, uptime_ms=10_000 * (i + 1)))
    assert len(store.history) == points
    assert store.history[-1].t - store.history[0].t >= 86_400 - 10


def test_should_bound_the_recent_window() -> None:
    store = Store(history_points=10, recent_window_s=60, started_at=0)
    for i in range(100):
        store.record_stats(10.0 * i, doc(i, i, uptime_ms=10_000 * (i + 1)))
    assert all(d.t >= 990 - 60 for d in store.recent)


def test_should_record_failures_and_clear_them_on_success() -> None:
    store = new_store()
    store.record_failure(5.0, "cannot connect")
    store.record_failure(8.0, "cannot connect again")
    assert store.failing_since == 5.0 and store.last_error == "cannot connect again"
    store.record_stats(10.0, doc(1, 1, uptime_ms=1000))
    assert store.failing_since is None and store.last_error is None


def test_should_average_rates_over_a_window() -> None:
    store = new_store()
    for i in range(7):
        store.record_stats(10.0 * i, doc(100 * i, 50 * i, uptime_ms=10_000 * (i + 1)))
    assert store.average_rates(0.0) == (10.0, 5.0)
    assert store.average_rates(1000.0) == (None, None)


def test_reset_aware_deltas_should_never_be_negative() -> None:
    deltas, went_down = reset_aware_deltas(
        {("a",): 10, ("b",): 5}, {("a",): 3, ("b",): 9}, process_restarted=False
    )
    assert deltas == {("a",): 3, ("b",): 4}
    assert went_down


polls = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5000),  # events added since the last poll
        st.booleans(),  # did Logstash restart before this poll?
        st.sampled_from(["eph", "uptime", "counters"]),  # how the restart shows
        st.floats(min_value=0.5, max_value=60),  # seconds between polls
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(polls)
def test_rates_should_never_be_negative_or_exceed_the_true_rate(
    sequence: list[tuple[int, bool, str, float]],
) -> None:
    store = new_store(1000)
    t, counter, uptime, eph, generation = 0.0, 0, 1_000_000, 0, 0
    store.record_stats(t, doc(counter, counter, uptime_ms=uptime, eph=f"e{eph}"))
    processed = 0
    for added, restarted, how, gap in sequence:
        t += gap
        if restarted:
            counter, generation = 0, generation + 1
            if how == "eph":
                eph += 1
                uptime = 1000
            elif how == "uptime":
                uptime = 1000
            else:
                uptime += int(gap * 1000)
        else:
            uptime += int(gap * 1000)
        counter += added
        processed += added
        store.record_stats(t, doc(counter, counter, uptime_ms=uptime, eph=f"e{eph}"))
        point = store.history[-1]
        assert point.events_in >= 0 and point.events_out >= 0
        assert point.input_eps >= 0
        if not restarted:
            assert point.events_in == added
    # After a restart with counters at 0 nothing is lost except events that a reset with
    # no new events hides; the carried total never runs ahead of what was processed.
    assert store.totals[("node", "in")] <= processed
