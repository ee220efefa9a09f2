"""Runs the sinks: the history file after every poll, the push sinks every PUBLISH_INTERVAL.

Each sink has its own task and its own status, so a slow or failing sink never blocks polling,
health or the other sinks. A failed write is retried with exponential backoff (1 s doubling,
capped at five publish intervals and five minutes, with jitter); a detected Logstash restart
wakes every push sink at once. Encoding and file I/O run off the event loop.

The per-log-type carried totals live in the store (fed by every poll); the history line reads
them from there, as the exposition does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio.to_thread

from ..clock import Clock
from ..exposition import MetricFamily, MetricsInput, SinkFacts, collect
from ..settings import Settings
from ..store import Point, Store
from . import SinkError
from .history import HistoryFile, Restored, record
from .pushgateway import PushgatewaySink
from .remote_write import RemoteWriteSink

log = logging.getLogger("status_sidecar.sinks")
MAX_BACKOFF_S = 300.0
PUSH_TIMEOUT_S = 30.0
FILE_STOP_TIMEOUT_S = 5.0
PENDING_LINES_MAX = 10_000  # lines held while the history file cannot be written


class PushSink(Protocol):
    name: str
    target: str

    async def push(self, families: Sequence[MetricFamily], timestamp: float) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class SinkStatus:
    name: str
    target: str
    enabled: bool = True
    pushes: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_success_at: float | None = None
    last_failure_at: float | None = None
    last_error: str | None = None
    next_attempt_at: float | None = None

    def ok(self, now: float) -> None:
        self.pushes += 1
        self.consecutive_failures = 0
        self.last_success_at = now
        self.last_error = None

    def failed(self, now: float, reason: str) -> None:
        self.failures += 1
        self.consecutive_failures += 1
        self.last_failure_at = now
        self.last_error = reason

    def facts(self) -> SinkFacts:
        return SinkFacts(self.name, self.pushes, self.failures, self.last_success_at)


def backoff_delay(failures: int, interval: float) -> float:
    """Seconds before retry number ``failures`` (1, 2, 4, ... capped), with +-10 % jitter."""
    cap = min(MAX_BACKOFF_S, max(5 * interval, 1.0))
    base = min(cap, 2.0 ** max(failures - 1, 0))
    return base * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not cryptography


def instance_label(settings: Settings) -> str:
    return settings.instance or socket.gethostname()


class Publisher:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        interval: float,
        history: HistoryFile | None = None,
        sinks: Sequence[PushSink] = (),
    ) -> None:
        self._store = store
        self._clock = clock
        self._interval = interval
        self.history = history
        self.sinks = list(sinks)
        self.file_status = SinkStatus("file", str(history.path) if history else "", bool(history))
        self.statuses = {s.name: SinkStatus(s.name, s.target) for s in self.sinks}
        self.restored: Restored | None = None
        self._pending: deque[str] = deque(maxlen=PENDING_LINES_MAX)
        self._seen_at: float | None = None
        self._wake: dict[str, asyncio.Event] = {}
        self._ready: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False
        self._flushing = asyncio.Lock()

    # ---- fed by the poller ---------------------------------------------------------------

    def on_poll(self, now: float, health: str) -> None:
        """After every poll (on the event loop, never blocks): queue the new history line,
        wake the push sinks on a Logstash restart."""
        del now
        store = self._store
        if store.latest is None or store.latest_at == self._seen_at:
            return
        self._seen_at = store.latest_at
        delta = store.recent[-1] if store.recent and store.recent[-1].t == store.latest_at else None
        if delta is not None and self.history is not None and store.history:
            point = store.history[-1]
            if point.t == delta.t:
                self._pending.append(self._line(point, health))
                self._wake_one("file")
        if delta is not None and delta.restart:
            self.publish_now()
        if self._ready is not None:
            self._ready.set()

    def _line(self, p: Point, health: str) -> str:
        store = self._store
        reason = store.restarts[-1].reason if p.restart and store.restarts else None
        totals = {k: store.totals.get(("node", k), 0) for k in ("in", "filtered", "out")}
        log_types = {
            r.key: [round(r.received), round(r.sent), round(r.dropped), round(r.failed)]
            for r in (store.log_types.snapshot() if store.log_types else ())
        }
        return record(
            p,
            reason=reason,
            health=health,
            restarts=store.restart_count,
            totals=totals,
            log_types=log_types,
        )

    def publish_now(self) -> None:
        """Wake every push sink (a detected Logstash restart)."""
        for sink in self.sinks:
            self._wake_one(sink.name)

    def _wake_one(self, name: str) -> None:
        event = self._wake.get(name)
        if event is not None:
            event.set()

    # ---- restore ---------------------------------------------------------------------------

    def restore(self, now: float) -> Restored | None:
        """Blocking: load the history file into the store (before polling starts)."""
        if self.history is None:
            return None
        history = self.history
        if not history.path.parent.is_dir():
            # Never create system directories: the volume is what makes history durable.
            self.history = None
            self.file_status.enabled = False
            self.file_status.last_error = (
                f"directory {history.path.parent} does not exist: mount a volume there "
                "or set HISTORY_FILE ('' turns the history file off)"
            )
            log.warning("history file off: %s", self.file_status.last_error)
            return None
        try:
            restored = history.restore(now)
        except OSError as exc:
            self.file_status.failed(now, f"cannot read {history.path}: {exc.strerror or exc}")
            log.warning("history not restored: %s", self.file_status.last_error)
            return None
        store = self._store
        for point in restored.points:
            store.restore_point(point)
        store.restarts.extend(restored.restarts)
        store.restart_count = max(store.restart_count, restored.restart_count)
        self.restored = restored
        if restored.skipped:
            log.warning(
                "history %s: skipped %d unreadable line(s)%s",
                history.path,
                restored.skipped,
                " (a torn last line)" if restored.torn_tail else "",
            )
        log.info("restored %d history points from %s", len(restored.points), history.path)
        return restored

    # ---- tasks -----------------------------------------------------------------------------

    async def run(self, snapshot: Callable[[], MetricsInput]) -> None:
        """Run every sink until :meth:`stop` is called (or this task is cancelled). On the way
        out the push sinks are cancelled at once; the history file first finishes its write."""
        self._ready = asyncio.Event()
        self._stop_event = asyncio.Event()
        if self._store.latest is not None or self._stopping:
            self._ready.set()
        if self._stopping:
            self._stop_event.set()
        file_task = None
        if self.history is not None:
            self._wake["file"] = asyncio.Event()
            file_task = asyncio.create_task(self._run_file(), name="sink-file")
        push_tasks = []
        for sink in self.sinks:
            self._wake[sink.name] = asyncio.Event()
            push_tasks.append(
                asyncio.create_task(self._run_push(sink, snapshot), name=f"sink-{sink.name}")
            )
        try:
            await self._stop_event.wait()
        finally:
            self._stopping = True
            for task in push_tasks:
                task.cancel()
            if file_task is not None:
                self._wake["file"].set()
                _, late = await asyncio.wait({file_task}, timeout=FILE_STOP_TIMEOUT_S)
                for task in late:
                    task.cancel()
            for task in [*push_tasks, *([file_task] if file_task else [])]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def stopped(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        self._stopping = True
        if self._stop_event is not None:
            self._stop_event.set()
        for event in self._wake.values():
            event.set()
        if self._ready is not None:
            self._ready.set()

    async def _sleep(self, name: str, seconds: float) -> None:
        event = self._wake[name]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=max(seconds, 0.0))

    async def _run_push(self, sink: PushSink, snapshot: Callable[[], MetricsInput]) -> None:
        status = self.statuses[sink.name]
        assert self._ready is not None
        await self._ready.wait()
        delay = 0.0
        while not self.stopped():
            if delay > 0:
                status.next_attempt_at = self._clock.now() + delay
                await self._sleep(sink.name, delay)
                if self.stopped():
                    return
            self._wake[sink.name].clear()
            status.next_attempt_at = None
            inp = snapshot()
            try:
                await asyncio.wait_for(sink.push(collect(inp), inp.now), timeout=PUSH_TIMEOUT_S)
            except TimeoutError:
                self._failed(status, f"no answer within {PUSH_TIMEOUT_S:g} s")
            except SinkError as exc:
                self._failed(status, str(exc))
            except Exception as exc:  # a bug in one sink must not end the others
                log.exception("sink %s failed unexpectedly", sink.name)
                self._failed(status, f"unexpected error: {type(exc).__name__}")
            else:
                if status.consecutive_failures:
                    log.info("sink %s works again", sink.name)
                status.ok(self._clock.now())
                delay = self._interval
                continue
            delay = backoff_delay(status.consecutive_failures, self._interval)

    def _failed(self, status: SinkStatus, reason: str) -> None:
        if status.consecutive_failures == 0:
            log.warning("sink %s failed (will retry with backoff): %s", status.name, reason)
        status.failed(self._clock.now(), reason)

    async def _run_file(self) -> None:
        history = self.history
        assert history is not None
        while not self.stopped():
            await self._sleep("file", 3600)
            self._wake["file"].clear()
            try:
                written = await self.flush()
            except Exception as exc:  # a bug must not end history writing for good
                log.exception("writing the history file failed unexpectedly")
                self._failed(self.file_status, f"unexpected error: {type(exc).__name__}")
                written = False
            if not written:
                await self._sleep("file", backoff_delay(self.file_status.consecutive_failures, 10))

    async def flush(self) -> bool:
        """Write the queued history lines (off the event loop); False if that failed."""
        async with self._flushing:  # one writer at a time, in order
            if self.history is None or not self._pending:
                return True
            lines = list(self._pending)
            try:
                await anyio.to_thread.run_sync(self.history.append, lines)
            except OSError as exc:
                self._failed(
                    self.file_status, f"cannot write {self.history.path}: {exc.strerror or exc}"
                )
                return False
            for _ in lines:  # only now: a cancelled write leaves them queued
                self._pending.popleft()
            if self.file_status.consecutive_failures:
                log.info("history file %s is written again", self.history.path)
            self.file_status.ok(self._clock.now())
            return True

    async def aclose(self) -> None:
        self.stop()
        await self.flush()
        for sink in self.sinks:
            await sink.aclose()

    # ---- read side -------------------------------------------------------------------------

    def version(self) -> tuple[int, ...]:
        """Changes whenever a sink's status does (answers that show it are cached by it)."""
        counts = [len(self._pending)]
        for status in [self.file_status, *self.statuses.values()]:
            counts += [status.pushes, status.failures, int(status.enabled)]
        return tuple(counts)

    def facts(self) -> tuple[SinkFacts, ...]:
        active = [self.file_status] if self.history is not None else []
        return tuple(s.facts() for s in [*active, *self.statuses.values()])

    def status_json(self, iso: Callable[[float | None], str | None]) -> dict[str, object]:
        def one(status: SinkStatus) -> dict[str, object]:
            return {
                "enabled": status.enabled,
                "target": status.target or None,
                "writes": status.pushes,
                "failures": status.failures,
                "consecutive_failures": status.consecutive_failures,
                "last_success_at": iso(status.last_success_at),
                "last_failure_at": iso(status.last_failure_at),
                "last_error": status.last_error,
                "next_attempt_at": iso(status.next_attempt_at),
            }

        file_doc = one(self.file_status)
        if self.history is not None:
            restored = self.restored
            file_doc.update(
                {
                    "lines": self.history.lines,
                    "bytes": self.history.size_bytes(),
                    "pending_lines": len(self._pending),
                    "compactions": self.history.compactions,
                    "compaction_error": self.history.compaction_error,
                    "restored_points": len(restored.points) if restored else 0,
                    "skipped_lines": restored.skipped if restored else 0,
                }
            )
        doc: dict[str, object] = {
            "publish_interval_s": self._interval,
            "file": file_doc,
        }
        for name in ("pushgateway", "remote_write"):
            status = self.statuses.get(name)
            doc[name] = one(status) if status else {"enabled": False}
        return doc


def build_publisher(settings: Settings, store: Store, clock: Clock) -> Publisher:
    """The publisher for these settings: each sink on only when its URL or path is set."""
    history = (
        HistoryFile(Path(settings.history_file), settings.history_points)
        if settings.history_file
        else None
    )
    instance = instance_label(settings)
    sinks: list[PushSink] = []
    if settings.pushgateway_url:
        sinks.append(
            PushgatewaySink(settings.pushgateway_url, job=settings.push_job, instance=instance)
        )
    if settings.remote_write_url:
        sinks.append(
            RemoteWriteSink(
                settings.remote_write_url,
                job=settings.push_job,
                instance=instance,
                user=settings.remote_write_user,
                password_file=settings.remote_write_password_file,
                ca_file=settings.remote_write_ca_file,
                insecure_skip_verify=settings.remote_write_insecure_skip_verify,
                server_name=settings.remote_write_server_name,
            )
        )
    return Publisher(
        store=store,
        clock=clock,
        interval=settings.publish_interval,
        history=history,
        sinks=sinks,
    )
