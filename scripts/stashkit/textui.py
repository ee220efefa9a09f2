"""Terminal output shared by the operator commands: aligned tables and numbers as text.

Progress lines are :mod:`stashkit.progress`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CLEAR_HOME",
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
