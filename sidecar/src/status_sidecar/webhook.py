"""Signed webhook delivery beside the request path: a bounded queue, retries with backoff.

Each body is POSTed as JSON with ``X-Stashkit-Signature: sha256=<hex>``, the HMAC-SHA256 of the
exact body bytes under a key read from a file, so the receiver can check who sent it and that
nothing changed on the way. Submitting never blocks and never fails: when the queue is full the
oldest body is dropped and counted. A body is retried with exponential backoff (1 s doubling,
capped at 60 s, with jitter) up to ``max_attempts`` times, then dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import random
from collections import deque
from dataclasses import dataclass

import httpx

log = logging.getLogger("status_sidecar.webhook")
SIGNATURE_HEADER = "X-Stashkit-Signature"
MAX_BACKOFF_S = 60.0


def signature(key: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@dataclass
class WebhookStatus:
    sent: int = 0
    failed_attempts: int = 0
    dropped: int = 0
    last_error: str | None = None


class WebhookSender:
    def __init__(
        self,
        name: str,
        url: str,
        key: bytes,
        http: httpx.AsyncClient,
        *,
        queue_max: int = 1000,
        max_attempts: int = 6,
        timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.url = url
        self._key = key
        self._http = http
        self._queue: deque[bytes] = deque()
        self._queue_max = queue_max
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._wake = asyncio.Event()
        self.status = WebhookStatus()

    def submit(self, body: bytes) -> None:
        if len(self._queue) >= self._queue_max:
            self._queue.popleft()
            self.status.dropped += 1
        self._queue.append(body)
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def run(self) -> None:
        """Deliver until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                body = self._queue[0]  # stays queued while in flight (drain waits for it)
                delivered = await self._deliver(body)
                evicted = not self._queue or self._queue[0] is not body  # by a full queue
                if not evicted:
                    self._queue.popleft()
                if delivered:
                    self.status.sent += 1
                elif not evicted:
                    self.status.dropped += 1

    async def _deliver(self, body: bytes) -> bool:
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self._key, body)}
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await self._http.post(
                    self.url, content=body, headers=headers, timeout=self._timeout
                )
                if response.status_code < 300:
                    if self.status.last_error is not None:
                        log.info("%s webhook delivers again", self.name)
                    self.status.last_error = None
                    return True
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {str(exc)[:120]}"
            self.status.failed_attempts += 1
            if self.status.last_error is None:
                log.warning("%s webhook failed (retrying with backoff): %s", self.name, error)
            self.status.last_error = error
            if attempt < self._max_attempts:
                await asyncio.sleep(_backoff(attempt))
        return False

    async def drain(self, seconds: float) -> None:
        """Give queued bodies up to ``seconds`` to go out (shutdown)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while self._queue:
                    await asyncio.sleep(0.05)


def _backoff(attempt: int) -> float:
    return min(MAX_BACKOFF_S, 2.0 ** (attempt - 1)) * random.uniform(0.9, 1.1)  # noqa: S311
