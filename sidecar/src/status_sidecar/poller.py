"""Polls Logstash and feeds the store: poll -> parse -> store. Never raises."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from .client import Failure, LogstashClient
from .clock import Clock
from .model import version_at_least
from .store import Delta, Store

log = logging.getLogger("status_sidecar.poller")
HEALTH_REPORT_EVERY = 6  # the health report API is costlier than stats; poll it less often


class Poller:
    def __init__(
        self,
        client: LogstashClient,
        store: Store,
        clock: Clock,
        after_poll: Callable[[float], object] | None = None,
    ) -> None:
        self._client = client
        self._after_poll = after_poll
        self._store = store
        self._clock = clock
        self._polls = 0
        self._info_for: str | None = None  # ephemeral id the node info was fetched for
        self._failure_kind: str | None = None
        self._successes = 0
        self._background = False  # run() refreshes node info beside the stats poll
        self._side: asyncio.Task[None] | None = None

    async def poll_once(self) -> Delta | None:
        started = time.perf_counter()
        successes = self._successes
        try:
            return await self._poll()
        finally:
            self._store.record_poll_duration(
                time.perf_counter() - started, self._successes > successes
            )
            if self._after_poll is not None:
                self._after_poll(self._clock.now())

    async def _poll(self) -> Delta | None:
        self._polls += 1
        result = await self._client.node_stats()
        now = self._clock.now()
        if isinstance(result, Failure):
            self._note_failure(result)
            self._store.record_failure(now, result.reason)
            return None
        if self._failure_kind is not None:
            log.info("Logstash API answers again at %s", self._client.base_url)
            self._failure_kind = None
        stats = result.value
        delta = self._store.record_stats(now, stats, result.raw)
        self._successes += 1
        if delta is not None and delta.restart and self._store.restarts:
            log.warning("%s", self._store.restarts[-1].reason)
        if self._background:
            self._refresh_side_documents(stats.ephemeral_id, stats.version)
        else:  # driven by hand (tests, the one-shot report): everything before returning
            await self._refresh(stats.ephemeral_id, stats.version)
        return delta

    def _note_failure(self, failure: Failure) -> None:
        if failure.kind != self._failure_kind:
            log.warning("polling Logstash failed: %s", failure.reason)
            self._failure_kind = failure.kind

    def _refresh_side_documents(self, ephemeral_id: str | None, version: str | None) -> None:
        """Node info and the health report, in a task of their own: a slow answer there never
        delays the stats poll, and at most one such refresh is in flight."""
        if self._side is not None and not self._side.done():
            return
        self._side = asyncio.create_task(self._refresh(ephemeral_id, version))

    async def _refresh(self, ephemeral_id: str | None, version: str | None) -> None:
        try:
            await self._refresh_node_info(ephemeral_id)
            await self._refresh_health_report(version)
        except Exception:  # a bug must not take the sidecar down with it
            log.exception("unexpected error while refreshing node info")

    async def _refresh_node_info(self, ephemeral_id: str | None) -> None:
        if self._store.node_info is not None and ephemeral_id == self._info_for:
            return
        info = await self._client.node_info()
        if not isinstance(info, Failure):
            self._store.record_node_info(info.value)
            self._info_for = ephemeral_id

    async def _refresh_health_report(self, version: str | None) -> None:
        if not version_at_least(version, (8, 16)):
            self._store.record_health_report(None)
            return
        if self._store.health_report is not None and self._polls % HEALTH_REPORT_EVERY != 1:
            return
        report = await self._client.health_report()
        if not isinstance(report, Failure):
            self._store.record_health_report(report.value)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Poll every `interval` seconds (fixed rate) until `stop` is set.

        One failure never ends the loop. A poll that overruns its tick (a timeout longer than
        the interval) is followed at once by the next; missed ticks are skipped, not bunched.
        """
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        self._background = True
        try:
            while not stop.is_set():
                try:
                    await self.poll_once()
                except Exception:  # a bug must not take the sidecar down with it
                    log.exception("unexpected error while polling")
                next_at = max(next_at + interval, loop.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=next_at - loop.time())
        finally:
            if self._side is not None:
                self._side.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._side
