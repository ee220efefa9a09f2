"""The one test clock. It is both the sidecar's ``Clock`` (``now()``) and the fake Logstash's
clock callable (``clock()``); tests move it with ``advance()``, by assigning ``t``, or through
``sleep()`` (which records what was slept, for code that paces itself)."""

from __future__ import annotations

import threading

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class ManualClock:
    def __init__(self, start: float = T0) -> None:
        self.t = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.t

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self.t += seconds
            return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
