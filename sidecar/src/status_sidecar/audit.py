"""The audit trail: one JSON line per access to a protected endpoint and per refusal.

A record holds the time, the client's address, the token's name (never the token), the method,
the endpoint, its parameters (values cut to 200 characters), the status, the bytes sent and the
duration. Records are queued in memory (bounded; the oldest dropped and counted when full) and
written by a task of their own, off the event loop, so an audit never slows or fails a request.
The file is append-only and torn-line tolerant like the history file (:mod:`.jsonl`), rotated to
``<file>.1`` past ``max_bytes``. Optionally each record is also POSTed, signed, to a webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread

from . import jsonl
from .webhook import WebhookSender

log = logging.getLogger("status_sidecar.audit")
QUEUE_MAX = 10_000
MAX_BYTES = 64 * 1024 * 1024
PARAM_CHARS = 200


@dataclass
class AuditStatus:
    written: int = 0
    dropped: int = 0
    failures: int = 0
    last_error: str | None = None


def record(
    *,
    t: float,
    client: str | None,
    who: str | None,
    method: str,
    path: str,
    params: Mapping[str, str],
    status: int,
    bytes_sent: int,
    duration_s: float,
    outcome: str,
) -> dict[str, object]:
    return {
        "time": datetime.fromtimestamp(t, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "client": client,
        "token": who,
        "method": method,
        "endpoint": path,
        "params": {k[:PARAM_CHARS]: v[:PARAM_CHARS] for k, v in list(params.items())[:20]},
        "status": status,
        "bytes": bytes_sent,
        "duration_ms": round(duration_s * 1000, 1),
        "outcome": outcome,
    }


class AuditTrail:
    def __init__(
        self,
        path: Path | None,
        webhook: WebhookSender | None = None,
        *,
        max_bytes: int = MAX_BYTES,
        write: jsonl.Writer = os.write,
    ) -> None:
        self.path = path
        self.webhook = webhook
        self._max_bytes = max_bytes
        self._write = write
        self._queue: deque[str] = deque()
        self._wake = asyncio.Event()
        self.status = AuditStatus()

    @property
    def enabled(self) -> bool:
        return self.path is not None or self.webhook is not None

    def add(self, entry: dict[str, object]) -> None:
        """Never blocks, never raises."""
        if not self.enabled:
            return
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=True)
        if self.webhook is not None:
            self.webhook.submit(line.encode())
        if self.path is None:
            return
        if len(self._queue) >= QUEUE_MAX:
            self._queue.popleft()
            self.status.dropped += 1
        self._queue.append(line)
        self._wake.set()

    async def run(self) -> None:
        tasks = []
        if self.webhook is not None:
            tasks.append(asyncio.create_task(self.webhook.run(), name="audit-webhook"))
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                if not await self.flush():
                    await asyncio.sleep(1.0)  # the disk is full or gone: try again later
                    self._wake.set()
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def flush(self) -> bool:
        if self.path is None or not self._queue:
            return True
        lines = list(self._queue)
        try:
            await anyio.to_thread.run_sync(self._append, lines)
        except OSError as exc:
            self.status.failures += 1
            if self.status.last_error is None:
                log.warning("audit file %s cannot be written: %s", self.path, exc.strerror or exc)
            self.status.last_error = f"cannot write {self.path}: {exc.strerror or exc}"
            return False
        for _ in lines:
            self._queue.popleft()
        self.status.written += len(lines)
        self.status.last_error = None
        return True

    def _append(self, lines: list[str]) -> None:
        assert self.path is not None
        with contextlib.suppress(FileNotFoundError):
            if self.path.stat().st_size > self._max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        payload = "".join(line + "\n" for line in lines).encode("ascii")
        jsonl.append(self.path, payload, self._write, mode=0o600)

    async def aclose(self, seconds: float = 2.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.flush()
                if self.webhook is not None:
                    await self.webhook.drain(seconds)
