"""Who is served now: slots for heavy requests, so health never waits behind them.

Log answers, support bundles and hot threads read files, compress or wait on Logstash. They get
``capacity`` slots of their own; beyond that a request is refused at once with 429 and a
``Retry-After``, never queued (a queue of bundle requests is memory and time nobody bounded).
Their blocking work runs in threads of their own limiter, never in the pool the rest shares.
"""

from __future__ import annotations

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
