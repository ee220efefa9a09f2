"""The bounded slice of the Logstash log that one answer carries.

An operator asks for the last N lines; the answer is bounded whatever the file holds:

* only a **regular file** is read (a FIFO, directory or device is refused before anything
  could block: ``open`` of a FIFO waits for a writer, a read of one waits for data);
* the answer has a **byte cap**: the window starts where the next older line would pass it;
* a line longer than the **line cap** is cut to its first bytes and marked;
* the backward scan reads at most :data:`SCAN_FACTOR` times the byte cap, so a gigabyte-long
  line costs bounded time: the window then starts inside that line, and says so.

The window is found by one backward scan (memory: one chunk), then streamed forward in
batches of whole, cut lines (memory: one batch), so any number of concurrent answers costs
chunks, not lines. Everything here blocks: callers run it off the event loop.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CHUNK: Final = 64 * 1024
SCAN_FACTOR: Final = 4
CUT_MARKER: Final = " …[line cut by stashkit: {size} bytes in all]"
PARTIAL_MARKER: Final = "…[line began before this answer] "
_FILE_KINDS: Final = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFile(OSError):
    """The log path exists but is not a regular file; reading it could block for ever."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a regular file")
        self.path = path
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 16 * 1024 * 1024
    max_line_bytes: int = 64 * 1024


@dataclass(frozen=True, slots=True)
class Window:
    """``file[start:end]``: the lines an answer carries, and why it holds fewer than asked."""

    start: int
    end: int
    requested: int
    lines: int
    long_lines: int
    capped_by_bytes: bool
    starts_mid_line: bool

    @property
    def truncated(self) -> tuple[str, ...]:
        """Why the answer is not simply the last ``requested`` lines, as header tokens."""
        why: list[str] = []
        if self.capped_by_bytes:
            why.append("bytes")
        if self.long_lines:
            why.append("long-lines")
        return tuple(why)

    def notice(self, limits: Limits) -> str | None:
        """The first line of a cut answer, for a human; None when nothing was cut."""
        parts: list[str] = []
        if self.starts_mid_line:
            parts.append(
                f"showing the last {self.lines:,} of {self.requested:,} requested lines; the "
                f"oldest began before the last {_size(SCAN_FACTOR * limits.max_bytes)} of the "
                "file, which is as far back as an answer reads"
            )
        elif self.capped_by_bytes:
            parts.append(
                f"showing the last {self.lines:,} of {self.requested:,} requested lines "
                f"(answers are capped at {_size(limits.max_bytes)}, LOG_MAX_ANSWER_BYTES)"
            )
        if self.long_lines:
            plural = "s" if self.long_lines != 1 else ""
            parts.append(
                f"{self.long_lines:,} line{plural} longer than {_size(limits.max_line_bytes)} "
                "cut (LOG_MAX_LINE_BYTES)"
            )
        if not parts:
            return None
        return "[stashkit] this answer was cut: " + "; ".join(parts)


def _size(n: int) -> str:
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n:,} bytes"


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in _FILE_KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def open_regular(path: Path) -> int:
    """A read-only descriptor of ``path``, refused unless it is a regular file.

    ``stat`` first (it never blocks), then ``open`` with ``O_NONBLOCK`` (a FIFO swapped in
    between cannot block either), then ``fstat`` of what was really opened.
    """
    kind = kind_of(os.stat(path).st_mode)
    if kind is not None:
        raise NotARegularFile(path, kind)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotARegularFile(path, kind)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _cost(length: int, limits: Limits) -> int:
    """Bytes a line of ``length`` bytes (without its newline) costs in an answer."""
    if length <= limits.max_line_bytes:
        return length + 1
    return limits.max_line_bytes + len(CUT_MARKER) + 20


def find_window(fd: int, n: int, limits: Limits, *, chunk: int = CHUNK) -> Window:
    """The window holding the last ``n`` lines, within the byte cap and the scan limit."""
    end = os.fstat(fd).st_size
    if n <= 0 or end == 0:
        return Window(end, end, n, 0, 0, False, False)
    floor = max(0, end - SCAN_FACTOR * limits.max_bytes)
    line_end = end - 1 if os.pread(fd, 1, end - 1) == b"\n" else end
    lines = long_lines = spent = 0
    pos = line_end
    while pos > floor:
        size = min(chunk, pos - floor)
        block = os.pread(fd, size, pos - size)
        if len(block) != size:  # shrank under us (copytruncate): what we have is the answer
            break
        base = pos - size
        cut = size
        while True:
            nl = block.rfind(b"\n", 0, cut)
            if nl < 0:
                break
            length = line_end - (base + nl) - 1
            cost = _cost(length, limits)
            if spent + cost > limits.max_bytes:
                return Window(line_end + 1, end, n, lines, long_lines, True, False)
            spent += cost
            lines += 1
            long_lines += length > limits.max_line_bytes
            line_end = base + nl
            if lines == n:
                return Window(line_end + 1, end, n, lines, long_lines, False, False)
            cut = nl
        pos = base
    # Reached the file's start, or the scan floor inside the oldest line (then it is partial).
    length = line_end - pos
    if pos > 0 and length <= 0:  # the scan floor fell on a line break
        return Window(line_end + 1, end, n, lines, long_lines, True, False)
    cost = _cost(length, limits)
    if lines and spent + cost > limits.max_bytes:
        return Window(line_end + 1, end, n, lines, long_lines, True, False)
    partial = pos > 0
    long_lines += length > limits.max_line_bytes
    return Window(pos, end, n, lines + 1, long_lines, partial, partial)


def iter_lines(fd: int, window: Window, limits: Limits, *, chunk: int = CHUNK) -> Iterator[bytes]:
    """The window's lines, each cut to the line cap and ending in ``\\n``, oldest first."""
    pos = window.start
    line = bytearray(PARTIAL_MARKER.encode() if window.starts_mid_line else b"")
    line_size = 0  # bytes of the current line in the file, kept or not
    while pos < window.end:
        block = os.pread(fd, min(chunk, window.end - pos), pos)
        if not block:
            break  # truncated while streaming: stop early
        pos += len(block)
        start = 0
        while start < len(block):
            nl = block.find(b"\n", start)
            piece_end = len(block) if nl < 0 else nl
            room = limits.max_line_bytes - min(line_size, limits.max_line_bytes)
            line += block[start : start + min(room, piece_end - start)]
            line_size += piece_end - start
            if nl < 0:
                break
            yield _finish(line, line_size, limits)
            line, line_size, start = bytearray(), 0, nl + 1
    if line or line_size:
        yield _finish(line, line_size, limits)


def _finish(line: bytearray, size: int, limits: Limits) -> bytes:
    if line.endswith(b"\r"):
        line = line[:-1]
    if size > limits.max_line_bytes:
        line += CUT_MARKER.format(size=f"{size:,}").encode()
    line += b"\n"
    return bytes(line)


def batches(lines: Iterator[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Whole lines joined into pieces of about ``size`` bytes (fewer, larger writes)."""
    pending: list[bytes] = []
    held = 0
    for line in lines:
        pending.append(line)
        held += len(line)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)


def read_text(path: Path, n: int, limits: Limits) -> tuple[str, Window]:
    """The window of the last ``n`` lines as one string (notice first), for the bundle."""
    fd = open_regular(path)
    try:
        window = find_window(fd, n, limits)
        notice = window.notice(limits)
        body = b"".join(iter_lines(fd, window, limits))
    finally:
        os.close(fd)
    text = body.decode("utf-8", errors="replace")
    return (notice + "\n" + text if notice else text), window
