"""A stop request from SIGTERM or Ctrl-C that long-running commands check between steps."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["StopFlag", "stop_on_signals"]


class StopFlag:
    """Set once to stop; :meth:`sleep` waits but wakes at once when the flag is set."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None

    def set(self, signal_name: str | None = None) -> None:
        self.signal_name = self.signal_name or signal_name
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when the whole wait passed, False when stopped."""
        return not self._event.wait(max(seconds, 0.0))


@contextlib.contextmanager
def stop_on_signals(
    flag: StopFlag, signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
) -> Iterator[StopFlag]:
    """While inside, the given signals set ``flag`` instead of killing the process.

    The previous handlers come back on exit. Outside the main thread (where Python cannot set
    handlers) nothing is installed and the flag is only set by hand.
    """
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        flag.set(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
