"""Terminal output shared by the operator commands: aligned tables, a progress line, numbers.

Everything takes its stream as an argument, so tests read what an operator would see.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

__all__ = [
    "CLEAR_HOME",
    "StatusLine",
    "format_duration",
    "format_number",
    "format_percent",
    "table",
]

CLEAR_HOME = "\x1b[H\x1b[2J"
"""ANSI: cursor home, then clear the screen (``--watch`` redraws in place with it)."""


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[int] = (),
    footer: Sequence[Sequence[str]] = (),
) -> str:
    """Columns padded to their widest cell; ``right`` lists the column indexes aligned right.

    ``footer`` rows (a totals row) come after a rule as wide as the table. The last column is
    never padded, so a long free-text column (reasons) does not push trailing blanks.
    """
    every = [list(headers), *[list(r) for r in rows], *[list(r) for r in footer]]
    widths = [max(len(r[i]) for r in every) for i in range(len(headers))]
    aligned = set(right)

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            last = i == len(cells) - 1
            if i in aligned:
                out.append(cell.rjust(widths[i]))
            else:
                out.append(cell if last else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [line(headers), *(line(r) for r in rows)]
    if footer:
        # As wide as the columns, not as the longest free text in the last one.
        rule = sum(widths[:-1]) + 2 * (len(widths) - 1) + len(headers[-1])
        lines.append("-" * rule)
        lines.extend(line(r) for r in footer)
    return "\n".join(lines) + "\n"


def format_number(value: float | None, digits: int = 1) -> str:
    """``1234.56`` → ``1,234.6``; whole numbers without decimals; ``None`` → ``-``."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def format_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def format_duration(seconds: float | None) -> str:
    """Two most significant units: ``45s``, ``12m 5s``, ``3h 4m``, ``2d 7h``; ``None`` → ``-``."""
    if seconds is None:
        return "-"
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


class StatusLine:
    """One progress line on stderr for work that takes more than a second.

    On a terminal the line is rewritten in place (``\\r`` + erase line) and cleared by
    :meth:`done`; elsewhere (CI logs, pipes) each new message is printed on its own line, at
    most one every ``min_interval`` seconds, so logs stay readable.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool = True,
        min_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._enabled = enabled
        self._min_interval = min_interval
        self._clock = clock
        self._last_at: float | None = None
        self._last: str | None = None
        self._shown = False

    def update(self, message: str) -> None:
        if not self._enabled or message == self._last:
            return
        now = self._clock()
        if self._tty:
            self._stream.write(f"\r\x1b[K{message}")
            self._shown = True
        elif self._last_at is None or now - self._last_at >= self._min_interval:
            self._stream.write(f"{message}\n")
            self._last_at = now
        else:
            return
        self._last = message
        self._stream.flush()

    def done(self) -> None:
        if self._tty and self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
        self._shown = False
        self._last = None
