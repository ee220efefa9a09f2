"""The publisher: sinks on their own schedule, backoff, restart triggers, status, wiring."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from status_sidecar.catalog import default_catalog
from status_sidecar.exposition import MetricFamily, MetricsInput
from status_sidecar.logtype_totals import LogTypeTotals
from status_sidecar.model import NodeStats
from status_sidecar.settings import Settings
from status_sidecar.sinks import SinkError, publisher
from status_sidecar.sinks.history import HistoryFile
from status_sidecar.sinks.publisher import Publisher, backoff_delay, build_publisher
from status_sidecar.sinks.pushgateway import grouping_path
from status_sidecar.store import Store
from tests.support.clocks import ManualClock
from tests.support.inproc import sidecar_with_fake
from tests.support.metrics_inputs import metrics_input


class RecordingSink:
    def __init__(self, name: str, behaviour: str = "ok") -> None:
        self.name = name
        self.target = f"test://{name}"
        self.behaviour = behaviour
        self.pushes: list[float] = []
        self.closed = False

    async def push(self, families: Sequence[MetricFamily], timestamp: float) -> None:
        self.pushes.append(timestamp)
        if self.behaviour == "fail":
            raise SinkError("HTTP 503")
        if self.behaviour == "hang":
            await asyncio.sleep(3600)
        if self.behaviour == "bug":
            raise KeyError("oops")

    async def aclose(self) -> None:
        self.closed = True


def stats(events: int, *, uptime_ms: int, eph: str = "e1") -> NodeStats:
    raw: dict[str, Any] = {
        "version": "8.19.3",
        "ephemeral_id": eph,
        "events": {"in": events, "filtered": events, "out": events},
        "jvm": {"uptime_in_millis": uptime_ms},
        "pipelines": {"main": {"ephemeral_id": "p-" + eph, "events": {"in": events}}},
    }
    return NodeStats.parse(raw)


def snapshot(clock: ManualClock) -> MetricsInput:
    return metrics_input(
        now=clock.now(),
    )


def make(sinks: list[RecordingSink], interval: float, history: HistoryFile | None = None) -> Any:
    clock = ManualClock()
    store = Store(
        history_points=100,
        recent_window_s=600,
        started_at=clock.now(),
        log_types=LogTypeTotals(default_catalog(), "all"),
    )
    pub = Publisher(
        store=store,
        clock=clock,
        interval=interval,
        history=history,
        sinks=sinks,
    )
    return pub, store, clock


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def test_a_failing_or_hanging_sink_should_not_hold_up_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(publisher, "PUSH_TIMEOUT_S", 0.2)
    good, bad, hung, buggy = (
        RecordingSink("good"),
        RecordingSink("bad", "fail"),
        RecordingSink("hung", "hang"),
        RecordingSink("buggy", "bug"),
    )
    pub, store, clock = make([good, bad, hung, buggy], interval=0.05)

    async def main() -> None:
        task = asyncio.create_task(pub.run(lambda: snapshot(clock)))
        store.record_stats(clock.now(), stats(10, uptime_ms=1000))
        pub.on_poll(clock.now(), "healthy")
        await wait_for(lambda: len(good.pushes) >= 5 and pub.statuses["hung"].failures >= 1)
        pub.stop()
        await asyncio.wait_for(task, 5)
        await pub.aclose()

    asyncio.run(main())
    assert pub.statuses["good"].failures == 0 and pub.statuses["good"].pushes >= 5
    assert pub.statuses["bad"].failures >= 1 and pub.statuses["bad"].last_error == "HTTP 503"
    assert pub.statuses["bad"].next_attempt_at is not None  # backing off
    assert pub.statuses["hung"].last_error == "no answer within 0.2 s"
    assert pub.statuses["buggy"].last_error == "unexpected error: KeyError"
    assert all(s.closed for s in (good, bad, hung, buggy))
    facts = {f.name: f for f in pub.facts()}
    assert facts["bad"].failures == pub.statuses["bad"].failures


def test_should_publish_at_once_when_logstash_restarts() -> None:
    sink = RecordingSink("rw")
    pub, store, clock = make([sink], interval=3600)

    async def main() -> None:
        task = asyncio.create_task(pub.run(lambda: snapshot(clock)))
        await asyncio.sleep(0.05)
        assert sink.pushes == []  # nothing before the first poll
        store.record_stats(clock.now(), stats(1000, uptime_ms=60_000))
        pub.on_poll(clock.now(), "healthy")
        await wait_for(lambda: len(sink.pushes) == 1)
        clock.t += 10
        store.record_stats(clock.now(), stats(1100, uptime_ms=70_000))
        pub.on_poll(clock.now(), "healthy")
        await asyncio.sleep(0.1)
        assert len(sink.pushes) == 1  # an ordinary poll waits for the interval
        clock.t += 10
        store.record_stats(clock.now(), stats(5, uptime_ms=2_000, eph="e2"))
        pub.on_poll(clock.now(), "healthy")
        await wait_for(lambda: len(sink.pushes) == 2)
        pub.stop()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert sink.pushes[-1] == clock.now()


def test_backoff_should_double_up_to_a_cap_with_jitter() -> None:
    for failures, base in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (9, 256.0), (20, 300.0)]:
        delay = backoff_delay(failures, 60.0)
        assert 0.9 * base <= delay <= 1.1 * base
    assert backoff_delay(10, 0.5) <= 2.75  # short intervals: short cap (5 intervals)
    assert backoff_delay(10, 10.0) <= 55.0


def test_should_queue_one_history_line_per_new_point(tmp_path: Path) -> None:
    history = HistoryFile(tmp_path / "h.jsonl", history_points=100)
    pub, store, clock = make([], interval=60, history=history)

    async def main() -> None:
        for i in range(4):
            store.record_stats(clock.now(), stats(100 * (i + 1), uptime_ms=1000 * (i + 1)))
            pub.on_poll(clock.now(), "healthy")
            pub.on_poll(clock.now(), "healthy")  # a second call for the same poll adds nothing
            clock.t += 10
        assert await pub.flush()

    asyncio.run(main())
    lines = (tmp_path / "h.jsonl").read_text().splitlines()
    assert len(lines) == 3  # the first poll has no delta, so no point
    assert pub.file_status.pushes == 1 and pub.file_status.failures == 0


def test_an_unwritable_history_file_should_count_failures_and_keep_the_lines(
    tmp_path: Path,
) -> None:
    target = tmp_path / "is-a-directory"
    target.mkdir()
    pub, store, clock = make([], interval=60, history=HistoryFile(target, 100))

    async def main() -> None:
        for i in range(3):
            store.record_stats(clock.now(), stats(100 * (i + 1), uptime_ms=1000 * (i + 1)))
            pub.on_poll(clock.now(), "degraded")
            clock.t += 10
        assert not await pub.flush()

    asyncio.run(main())
    assert pub.file_status.failures == 1
    assert "cannot write" in (pub.file_status.last_error or "")
    assert pub.status_json(lambda t: None)["file"]["pending_lines"] == 2  # type: ignore[index]


def test_a_missing_history_directory_should_turn_the_file_off_not_the_sidecar(
    tmp_path: Path,
) -> None:
    settings = Settings(history_file=str(tmp_path / "no-such-dir" / "h.jsonl"))
    clock = ManualClock()
    store = Store(history_points=10, recent_window_s=60, started_at=0)
    pub = build_publisher(settings, store, clock)
    assert pub.restore(clock.now()) is None
    assert pub.history is None
    doc = pub.status_json(lambda t: None)
    assert doc["file"]["enabled"] is False  # type: ignore[index]
    assert "does not exist" in doc["file"]["last_error"]  # type: ignore[index]
    assert not (tmp_path / "no-such-dir").exists()


def test_build_publisher_should_enable_only_the_configured_sinks(tmp_path: Path) -> None:
    clock = ManualClock()
    store = Store(history_points=10, recent_window_s=60, started_at=0)
    off = build_publisher(Settings(history_file=""), store, clock)
    assert off.sinks == [] and off.history is None
    on = build_publisher(
        Settings(
            history_file=str(tmp_path / "h.jsonl"),
            pushgateway_url="http://pgw:9091",
            remote_write_url="https://prom:9090/api/v1/write",
            instance="edge-1",
            push_job="logs",
        ),
        store,
        clock,
    )
    assert [s.name for s in on.sinks] == ["pushgateway", "remote_write"]
    assert on.sinks[0].target == "http://pgw:9091/metrics/job/logs/instance/edge-1"
    doc = on.status_json(lambda t: None)
    assert set(doc) == {"publish_interval_s", "file", "pushgateway", "remote_write"}


@pytest.mark.parametrize(
    ("job", "instance", "path"),
    [
        ("stashkit", "ip-10-0-0-1", "/metrics/job/stashkit/instance/ip-10-0-0-1"),
        ("a b", "x%y", "/metrics/job/a%20b/instance/x%25y"),
        (
            "stashkit",
            "host/with/slash",
            "/metrics/job/stashkit/instance@base64/aG9zdC93aXRoL3NsYXNo",
        ),
        ("stashkit", "", "/metrics/job/stashkit/instance@base64/="),
    ],
)
def test_pushgateway_grouping_path_should_encode_what_a_path_cannot_hold(
    job: str, instance: str, path: str
) -> None:
    assert grouping_path(job, instance) == path


def test_stats_and_metrics_should_show_the_sinks(tmp_path: Path) -> None:
    settings = Settings(history_file=str(tmp_path / "h.jsonl"))
    with sidecar_with_fake(settings) as h:
        for _ in range(3):
            h.poll()
        assert h.sidecar.publisher is not None
        h.client.portal.call(h.sidecar.publisher.flush)
        sinks = h.client.get("/api/stats").json()["sinks"]
        assert sinks["file"]["enabled"] is True
        assert sinks["file"]["lines"] == 2
        assert sinks["file"]["failures"] == 0
        assert sinks["pushgateway"] == {"enabled": False}
        text = h.metrics()
        assert 'stashkit_sink_failures_total{sink="file"} 0' in text
        assert 'stashkit_sink_pushes_total{sink="file"}' in text


def test_the_app_should_restore_history_before_polling(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    settings = Settings(history_file=str(path))
    with sidecar_with_fake(settings) as h:
        for _ in range(4):
            h.poll()
        h.fake.restart()
        h.poll()
        stop_at = h.clock()
    with sidecar_with_fake(settings, start=stop_at + 30) as h2:
        history = h2.client.get("/api/history?range=24h").json()
        assert len(history["points"]) == 4
        assert [p["restart"] for p in history["points"]] == [False, False, False, True]
        assert len(history["restarts"]) == 1
        assert h2.client.get("/api/stats").json()["restarts"] == 1
        assert h2.client.get("/api/stats").json()["sinks"]["file"]["restored_points"] == 4
        h2.poll()
        h2.poll()
        h2.client.portal.call(h2.sidecar.publisher.flush)  # type: ignore[union-attr]
    assert len(path.read_text().splitlines()) == 5
