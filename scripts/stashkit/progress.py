"""Progress lines for the steps of a command (on stderr, so stdout stays for results).

A step whose own output streams live (Terraform, docker build) gets a header line when it starts
and a closing line with its duration, so the operator sees where one step's output ends. A quiet
step (a cloud API call, captured output) says nothing unless it takes longer than a second: then
one line names it (on a terminal, the line counts the seconds in place) and a closing line gives
its duration. Steps under a second stay silent.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

__all__ = ["Progress", "Step"]


@dataclass
class Step:
    """What the caller knows at the end of a step: a short outcome for the closing line."""

    label: str
    outcome: str = "done"
    failed: bool = False


class Progress:
    """Writes progress lines to ``stream``; ``threshold`` seconds before a quiet step shows."""

    def __init__(
        self,
        stream: TextIO,
        *,
        threshold: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        prefix: str = "stashkit: ",
    ) -> None:
        self.stream = stream
        self.threshold = threshold
        self.clock = clock
        self.prefix = prefix
        try:
            self.tty = bool(stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            self.stream.write(f"{self.prefix}{text}\n")
            self.stream.flush()

    @contextlib.contextmanager
    def step(self, label: str, *, live: bool = False) -> Iterator[Step]:
        """A step; ``live`` when the step's own output streams to the terminal meanwhile."""
        step = Step(label)
        start = self.clock()
        shown = threading.Event()
        stop = threading.Event()
        ticker: threading.Thread | None = None
        if live:
            self.line(f"{label} ...")
            shown.set()
        else:
            ticker = threading.Thread(
                target=self._tick, args=(label, start, shown, stop), daemon=True
            )
            ticker.start()
        try:
            yield step
        except BaseException:
            step.failed = True
            if step.outcome == "done":
                step.outcome = "failed"
            raise
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
            elapsed = self.clock() - start
            if shown.is_set() or elapsed > self.threshold:
                if self.tty and not live and shown.is_set():
                    with self._lock:
                        self.stream.write("\r\x1b[K")
                self.line(f"{label}: {step.outcome} in {elapsed:.1f} s")

    def _tick(
        self, label: str, start: float, shown: threading.Event, stop: threading.Event
    ) -> None:
        if stop.wait(self.threshold):
            return
        shown.set()
        if not self.tty:
            self.line(f"{label} ...")
            return
        while True:
            with self._lock:
                self.stream.write(f"\r\x1b[K{self.prefix}{label} ... {self.clock() - start:.0f} s")
                self.stream.flush()
            if stop.wait(1.0):
                return
