"""The one progress helper of the commands: lines on stderr, so stdout stays for results.

Two forms, on one stream and one lock:

* **Steps** (:meth:`Progress.step`, build-push and plan/apply/destroy). A step whose own output
  streams live (Terraform, docker build) gets a header line when it starts and a closing line
  with its duration, so the operator sees where one step's output ends. A quiet step (a cloud
  API call, captured output) says nothing unless it takes longer than ``threshold``: then one
  line names it (on a terminal, the line counts the seconds in place) and a closing line gives
  its duration. Steps under the threshold stay silent.
* **A status line** (:meth:`Progress.update` and :meth:`Progress.done`, verify, fleet and
  replay): the latest word of a wait that reports as it goes. On a terminal it is rewritten in
  place (``\\r`` + erase line) and cleared by :meth:`~Progress.done`; elsewhere (CI logs, pipes)
  each new message is printed on its own line, at most one every ``min_interval`` seconds, so
  logs stay readable.

The stream is an argument, so tests read what an operator would see. Standard library only (the
dev stack runs ``stashkit replay`` with the sidecar image's Python).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

__all__ = ["Progress", "Step"]

ERASE_LINE = "\r\x1b[K"
"""ANSI: back to the start of the line, then erase it."""


@dataclass
class Step:
    """What the caller knows at the end of a step: a short outcome for the closing line."""

    label: str
    outcome: str = "done"
    failed: bool = False


class Progress:
    """Progress lines on ``stream``, each after ``prefix``.

    ``threshold``: seconds before a quiet step shows; ``min_interval``: seconds between two
    status lines off a terminal; ``enabled=False`` silences the status line (steps still show).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        prefix: str = "stashkit: ",
        threshold: float = 1.0,
        min_interval: float = 5.0,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.prefix = prefix
        self.threshold = threshold
        self.min_interval = min_interval
        self.enabled = enabled
        self.clock = clock
        try:
            self.tty = bool(stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self._lock = threading.Lock()
        self._status: str | None = None
        self._status_at: float | None = None
        self._status_shown = False

    def line(self, text: str) -> None:
        with self._lock:
            self._write(f"{self.prefix}{text}\n")

    # ---- steps ------------------------------------------------------------------------------

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
            self._close_step(step, live, shown.is_set(), self.clock() - start)

    def _close_step(self, step: Step, live: bool, shown: bool, elapsed: float) -> None:
        if not shown and elapsed <= self.threshold:
            return
        if self.tty and not live and shown:
            with self._lock:
                self.stream.write(ERASE_LINE)
        self.line(f"{step.label}: {step.outcome} in {elapsed:.1f} s")

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
                self._write(f"{ERASE_LINE}{self.prefix}{label} ... {self.clock() - start:.0f} s")
            if stop.wait(1.0):
                return

    # ---- the status line ------------------------------------------------------------------

    def update(self, message: str) -> None:
        """Show ``message`` as the status line (a repeated message is not shown again)."""
        if not self.enabled or message == self._status:
            return
        with self._lock:
            now = self.clock()
            if self.tty:
                self._write(f"{ERASE_LINE}{self.prefix}{message}")
                self._status_shown = True
            elif self._status_at is None or now - self._status_at >= self.min_interval:
                self._write(f"{self.prefix}{message}\n")
                self._status_at = now
            else:
                return
            self._status = message

    def done(self) -> None:
        """Clear the status line (on a terminal), so what follows starts on a clean line."""
        with self._lock:
            if self.tty and self._status_shown:
                self._write(ERASE_LINE)
            self._status_shown = False
            self._status = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
