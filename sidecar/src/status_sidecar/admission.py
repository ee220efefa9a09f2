"""Who is served now: slots for heavy requests, so health never waits behind them, and a rate
per client for the same requests.

Log answers, support bundles and hot threads read files, compress or wait on Logstash. They get
``capacity`` slots of their own; beyond that a request is refused at once with 429 and a
``Retry-After``, never queued (a queue of bundle requests is memory and time nobody bounded).
Their blocking work runs in threads of their own limiter, never in the pool the rest shares.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import anyio


class HeavySlots:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._in_use = 0
        self.threads = anyio.CapacityLimiter(capacity)
        self.refused = 0

    @property
    def in_use(self) -> int:
        return self._in_use

    def try_acquire(self) -> bool:
        if self._in_use >= self.capacity:
            self.refused += 1
            return False
        self._in_use += 1
        return True

    def release(self) -> None:
        self._in_use = max(0, self._in_use - 1)


class ClientRates:
    """A token bucket per client (token name, else address) for the heavy endpoints: a burst
    of up to ``burst`` requests, then ``per_minute`` a minute. Bounded: the least recently
    seen clients are forgotten beyond ``max_clients``."""

    def __init__(
        self,
        per_minute: int,
        *,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 4096,
    ) -> None:
        self.capacity = float(max(1, min(burst, per_minute)))
        self.refill_per_s = per_minute / 60.0
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill_per_s)
        if tokens >= 1.0:
            self._remember(client, tokens - 1.0, now)
            return 0.0
        self._remember(client, tokens, now)
        return (1.0 - tokens) / self.refill_per_s

    def _remember(self, client: str, tokens: float, now: float) -> None:
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
