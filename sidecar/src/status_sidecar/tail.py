"""`status-sidecar tail`: follow the Logstash log, coloured by level, surviving rotation."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .logs import LogFollower, level_of

_COLOURS = {
    "TRACE": "\033[2m",
    "DEBUG": "\033[2m",
    "WARN": "\033[33m",
    "ERROR": "\033[31m",
    "FATAL": "\033[1;31m",
}
_RESET = "\033[0m"


def colourise(line: str, previous_level: str | None) -> tuple[str, str | None]:
    """Continuation lines (stack traces) keep the colour of the entry they belong to."""
    level = level_of(line) or previous_level
    colour = _COLOURS.get(level or "")
    return (f"{colour}{line}{_RESET}" if colour else line), level


def follow(
    path: Path,
    out: TextIO,
    *,
    last: int,
    colour: bool,
    follow_forever: bool,
    should_stop: Callable[[], bool] = lambda: False,
    poll_interval: float = 0.5,
) -> None:
    level: str | None = None
    with LogFollower(path, poll_interval=poll_interval, last=last) as follower:
        while True:
            for line in follower.read_new():
                text = line
                if colour:
                    text, level = colourise(line, level)
                out.write(text + "\n")
            out.flush()
            if not follow_forever or should_stop():
                return
            time.sleep(poll_interval)
