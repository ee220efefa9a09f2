"""Read the Logstash plain log beside us: tail, parse, summarise, follow.

Logstash writes ``logstash-plain.log`` with the log4j2 layout::

    [%d{ISO8601}][%-5p][%-25c]%notEmpty{[%X{pipeline.id}]}%notEmpty{[%X{plugin.id}]} %m%n

e.g. ``[2021-12-27T12:09:25,659][FATAL][org.logstash.Logstash    ] Logstash stopped ...``.
A message may span several lines (Java stack traces: ``\\tat ...``, ``Caused by: ...``,
``\\t... 8 more``); those continuation lines belong to the entry above them.

The file is rolled by log4j2 (``logstash-plain.log`` is renamed to
``logstash-plain-%d{yyyy-MM-dd}-%i.log.gz`` and a new file is created), and operators
sometimes use ``copytruncate``. Everything here tolerates the file being rotated,
truncated or briefly missing while it is read.

Line semantics (the same everywhere in this module): lines are separated by ``\\n``;
one trailing ``\\r`` is removed (CRLF); a final line without a newline is still a line;
bytes are decoded as UTF-8 with ``errors="replace"``. Unlike ``str.splitlines`` a lone
``\\r``, form feed or U+2028 inside a line does not split it.

Pure standard library, no threads.
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

__all__ = [
    "LEVELS",
    "LogEntry",
    "LogFollower",
    "LogSummary",
    "TopMessage",
    "iter_entries",
    "level_of",
    "normalize_message",
    "parse_line",
    "summarize",
    "tail_bytes_iter",
    "tail_lines",
]

LEVELS: Final[tuple[str, ...]] = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
"""log4j2 levels, least to most severe."""

ERROR_LEVELS: Final[frozenset[str]] = frozenset({"ERROR", "FATAL"})

DEFAULT_CHUNK_SIZE: Final = 64 * 1024
_TRUNCATION_RETRIES: Final = 5

# --------------------------------------------------------------------------------------
# Tail: the last n lines, reading backwards
# --------------------------------------------------------------------------------------


class _ShrankError(Exception):
    """The file got shorter while we were reading it (copytruncate)."""


def _read_exact(fd: int, offset: int, size: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise _ShrankError
    return data


def _tail_block(fd: int, end: int, n: int, chunk_size: int) -> tuple[int, bytes]:
    """Return ``(start, data)`` with ``data == file[start:end]`` holding the last n lines.

    Reads backwards from ``end`` in chunks until n line breaks (not counting the final
    byte's) have been seen, so memory is the size of those lines plus one chunk.
    """
    if n <= 0 or end <= 0:
        return end, b""
    blocks: deque[bytes] = deque()
    pos = end
    newlines = 0
    first = True
    while pos > 0 and newlines < n:
        size = min(chunk_size, pos)
        pos -= size
        block = _read_exact(fd, pos, size)
        newlines += block.count(b"\n")
        if first:
            first = False
            if block.endswith(b"\n"):
                newlines -= 1  # the terminator of the last line starts nothing
        blocks.appendleft(block)
    data = blocks[0] if len(blocks) == 1 else b"".join(blocks)
    blocks.clear()
    stop = len(data) - 1 if data.endswith(b"\n") else len(data)
    cut = stop
    for _ in range(n):
        cut = data.rfind(b"\n", 0, cut)
        if cut < 0:
            break
    start_rel = cut + 1  # 0 when the whole file holds fewer than n lines
    if start_rel == 0:
        return pos, data
    return pos + start_rel, data[start_rel:]


def _split_lines(data: bytes) -> list[str]:
    if not data:
        return []
    lines = data.decode("utf-8", errors="replace").split("\n")
    if data.endswith(b"\n"):
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _check_tail_args(n: int, chunk_size: int) -> None:
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be > 0, got {chunk_size}")


def tail_lines(path: Path, n: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[str]:
    """The last ``n`` lines of ``path`` (without line terminators).

    Reads backwards from the end in ``chunk_size`` blocks, so the cost is bounded by the
    size of the last ``n`` lines plus one chunk, never by the size of the file. The file
    is read through one descriptor, so a rename-rotation while reading is harmless (we
    finish on the old file); if the file shrinks under us (copytruncate) we start again
    from its new end. Raises ``FileNotFoundError`` when the file does not exist (and
    other ``OSError`` such as ``PermissionError`` for an unreadable path).
    """
    _check_tail_args(n, chunk_size)
    if n == 0:
        # Still report a missing file, like every other n.
        os.stat(path)
        return []
    with open(path, "rb", buffering=0) as f:
        fd = f.fileno()
        for _ in range(_TRUNCATION_RETRIES):
            end = os.fstat(fd).st_size
            try:
                _, data = _tail_block(fd, end, n, chunk_size)
            except _ShrankError:
                continue
            return _split_lines(data)[-n:]
    return []  # truncated on every attempt: nothing stable to show


def tail_bytes_iter(path: Path, n: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
    """Stream the raw bytes of the last ``n`` lines, for a download.

    The end is fixed when iteration starts (lines appended afterwards are not sent).
    The start is found by the same backward scan as :func:`tail_lines`; the bytes are
    then yielded forward in ``chunk_size`` pieces, so memory stays bounded even for a
    large ``n``. If the file shrinks while streaming, the stream simply stops early.
    ``FileNotFoundError`` is raised on the first ``next()`` when the file is missing.
    """
    _check_tail_args(n, chunk_size)
    with open(path, "rb", buffering=0) as f:
        fd = f.fileno()
        start = end = 0
        for _ in range(_TRUNCATION_RETRIES):
            end = os.fstat(fd).st_size
            try:
                start = _tail_start(fd, end, n, chunk_size)
            except _ShrankError:
                continue
            break
        else:
            return
        pos = start
        while pos < end:
            block = os.pread(fd, min(chunk_size, end - pos), pos)
            if not block:
                return
            pos += len(block)
            yield block


def _tail_start(fd: int, end: int, n: int, chunk_size: int) -> int:
    """Offset where the last n lines begin, scanning backwards without keeping blocks."""
    if n <= 0 or end <= 0:
        return end
    pos = end
    newlines = 0
    last_is_newline = _read_exact(fd, end - 1, 1) == b"\n"
    stop = end - 1 if last_is_newline else end  # the final terminator starts nothing
    while pos > 0:
        size = min(chunk_size, pos)
        pos -= size
        block = _read_exact(fd, pos, size)
        limit = min(size, stop - pos)
        count = block.count(b"\n", 0, limit)
        if newlines + count >= n:
            cut = limit
            for _ in range(n - newlines):
                cut = block.rfind(b"\n", 0, cut)
            return pos + cut + 1
        newlines += count
    return 0


# --------------------------------------------------------------------------------------
# Parsing the log4j2 layout
# --------------------------------------------------------------------------------------

_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"
_HEADER_RE: Final = re.compile(
    rf"\[(?P<ts>{_TIMESTAMP})\]"
    r"\[(?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL) *\]"
    r"\[(?P<logger>[^\]]+)\]"
)
_LINE_RE: Final = re.compile(
    _HEADER_RE.pattern + r"(?:\[(?P<pipeline>[^\]]*)\])?(?:\[(?P<plugin>[^\]]*)\])?"
    r"(?: (?P<message>.*))?",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log event: the header line's fields plus any continuation lines."""

    timestamp: str
    """As written, e.g. ``2021-12-27T12:09:25,659`` (sortable as text within one file)."""
    level: str
    logger: str
    """Without the ``%-25c`` padding."""
    pipeline_id: str | None
    plugin_id: str | None
    message: str
    """The first line of the message."""
    continuation: tuple[str, ...] = ()
    """Lines that followed the header (stack trace), when grouped by iter_entries."""

    @property
    def text(self) -> str:
        """Message and continuation lines joined with newlines."""
        return "\n".join((self.message, *self.continuation))


def _strip_eol(line: str) -> str:
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


def parse_line(line: str) -> LogEntry | None:
    """Parse one header line; ``None`` for a continuation line (or anything else).

    With only one bracket after the logger it is taken as the pipeline id (log4j2 drops
    an empty ``%X{pipeline.id}`` so a lone plugin id cannot be told apart; Logstash
    always sets the pipeline id when it sets the plugin id).
    """
    m = _LINE_RE.fullmatch(_strip_eol(line))
    if m is None:
        return None
    return LogEntry(
        timestamp=m["ts"],
        level=m["level"],
        logger=m["logger"].rstrip(),
        pipeline_id=m["pipeline"] or None,
        plugin_id=m["plugin"] or None,
        message=m["message"] or "",
    )


def level_of(line: str) -> str | None:
    """The level of a header line (for colouring), ``None`` for continuation lines."""
    m = _HEADER_RE.match(line)
    return m["level"] if m else None


def iter_entries(lines: Iterable[str]) -> Iterator[LogEntry]:
    """Group lines into entries, attaching continuation lines to the entry above.

    Continuation lines before the first header (a tail that starts mid stack trace)
    belong to no entry and are skipped.
    """
    current: LogEntry | None = None
    extra: list[str] = []
    for raw in lines:
        line = _strip_eol(raw)
        entry = parse_line(line)
        if entry is None:
            if current is not None:
                extra.append(line)
            continue
        if current is not None:
            yield _with_continuation(current, extra)
        current, extra = entry, []
    if current is not None:
        yield _with_continuation(current, extra)


def _with_continuation(entry: LogEntry, extra: list[str]) -> LogEntry:
    if not extra:
        return entry
    return LogEntry(
        timestamp=entry.timestamp,
        level=entry.level,
        logger=entry.logger,
        pipeline_id=entry.pipeline_id,
        plugin_id=entry.plugin_id,
        message=entry.message,
        continuation=tuple(extra),
    )


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------

_NORMALIZERS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>"),
    # Long hex runs with at least one digit: plugin ids, hashes, object ids.
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    # Numbers, including dotted ones (versions, IPv4): 9600, 192.168.1.2, 0.5
    (re.compile(r"\b\d+(?:\.\d+)*\b"), "<n>"),
)
MAX_PATTERN_CHARS: Final = 500
"""Normalised messages are cut to this length before grouping (huge hashes/backtraces)."""


def normalize_message(message: str) -> str:
    """Replace uuids, hex and numbers so repeats of one message group together."""
    text = message[: MAX_PATTERN_CHARS * 4]
    for pattern, replacement in _NORMALIZERS:
        text = pattern.sub(replacement, text)
    return text[:MAX_PATTERN_CHARS]


@dataclass(frozen=True, slots=True)
class TopMessage:
    level: str
    logger: str
    pattern: str
    """The normalised message (see normalize_message)."""
    count: int
    example: str
    """The most recent message of the group, as written."""
    last_timestamp: str


@dataclass(frozen=True, slots=True)
class LogSummary:
    total_lines: int
    entries: int
    """Header lines (each starts one entry)."""
    continuation_lines: int
    """Lines that are not headers: stack traces, multi-line messages, unknown text."""
    counts: dict[str, int]
    """Entries per level, every level of LEVELS present (0 when none)."""
    top_messages: tuple[TopMessage, ...]
    """Most frequent (level, logger, normalised message) groups, most frequent first."""
    last_errors: tuple[LogEntry, ...]
    """The last ERROR/FATAL entries with their continuation lines, oldest first."""
    first_timestamp: str | None
    last_timestamp: str | None

    @property
    def errors(self) -> int:
        return sum(self.counts[level] for level in ERROR_LEVELS)


@dataclass(slots=True)
class _Group:
    count: int = 0
    example: str = ""
    last_timestamp: str = ""
    order: int = 0


def summarize(lines: Sequence[str], *, top: int = 5, last_errors: int = 10) -> LogSummary:
    """Counts by level, the most frequent messages, the last errors and the time range."""
    if top < 0 or last_errors < 0:
        raise ValueError("top and last_errors must be >= 0")
    counts: Counter[str] = Counter(dict.fromkeys(LEVELS, 0))
    groups: dict[tuple[str, str, str], _Group] = {}
    errors: deque[LogEntry] = deque(maxlen=last_errors or None)
    first_ts: str | None = None
    last_ts: str | None = None
    entries = 0
    for entry in iter_entries(lines):
        entries += 1
        counts[entry.level] += 1
        if first_ts is None or entry.timestamp < first_ts:
            first_ts = entry.timestamp
        if last_ts is None or entry.timestamp > last_ts:
            last_ts = entry.timestamp
        key = (entry.level, entry.logger, normalize_message(entry.message))
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(order=len(groups))
        group.count += 1
        group.example = entry.message
        group.last_timestamp = entry.timestamp
        if last_errors and entry.level in ERROR_LEVELS:
            errors.append(entry)
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1].count, kv[1].order))[:top]
    return LogSummary(
        total_lines=len(lines),
        entries=entries,
        continuation_lines=len(lines) - entries,
        counts=dict(counts),
        top_messages=tuple(
            TopMessage(
                level=level,
                logger=logger,
                pattern=pattern,
                count=g.count,
                example=g.example,
                last_timestamp=g.last_timestamp,
            )
            for (level, logger, pattern), g in ranked
        ),
        last_errors=tuple(errors),
        first_timestamp=first_ts,
        last_timestamp=last_ts,
    )


# --------------------------------------------------------------------------------------
# Follow (tail -F)
# --------------------------------------------------------------------------------------

_FINGERPRINT_BYTES: Final = 64


def _decode_line(raw: bytes) -> str:
    line = raw.decode("utf-8", errors="replace")
    return line[:-1] if line.endswith("\r") else line


class LogFollower:
    """``tail -F`` for one path, driven by the caller: call :meth:`read_new` in a loop.

    * Starts at the end of the file as it is at construction (at the start of its last
      line when that line is still incomplete), or ``last`` lines before the end; a
      file that does not exist yet is read from its start once it appears.
    * Returns only complete lines; a partial last line is kept until its newline
      arrives (or until ``max_line_bytes`` of it have piled up, then it is returned
      as is).
    * Rotation by rename: the path's inode changes. What was still written to the old
      file is drained from the open descriptor, its partial line returned as a line,
      and the new file is read from its start. While the path is missing the old
      descriptor is kept and drained.
    * Truncation (copytruncate): the size drops below our offset, or the bytes just
      before our offset changed (truncated and already regrown past it); the partial
      line is returned as a line and reading restarts at offset 0.
    * A missing or unreadable path gives ``[]`` until it is back.

    ``poll_interval`` is advice for the caller's loop (``await asyncio.sleep(...)``);
    this class never sleeps and starts no thread. Each call reads at most ``max_read``
    bytes, so a burst (or a huge new file) is spread over several calls. Not
    thread-safe: one follower per reader. Holds one descriptor: use ``close()`` or
    ``with``.
    """

    def __init__(
        self,
        path: Path,
        *,
        poll_interval: float = 0.5,
        last: int = 0,
        max_read: int = 4 * 1024 * 1024,
        max_line_bytes: int = 1024 * 1024,
    ) -> None:
        self._fd: int | None = None
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0, got {poll_interval}")
        if last < 0:
            raise ValueError(f"last must be >= 0, got {last}")
        if max_read <= 0 or max_line_bytes <= 0:
            raise ValueError("max_read and max_line_bytes must be > 0")
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.max_read = max_read
        self.max_line_bytes = max_line_bytes
        self._ident: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        self._fingerprint = b""
        self._open_current(last=last, at_end=True)

    # -- public ------------------------------------------------------------------------

    def read_new(self) -> list[str]:
        """Complete lines written since the last call (possibly none)."""
        out: list[bytes] = []
        try:
            st = os.stat(self.path)
            ident: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            ident = None
        if self._fd is not None and ident != self._ident:
            # Rotated: finish the old file first, through the descriptor we hold.
            if self._read_into(out) >= self.max_read:
                return self._decoded(out)  # more to drain: switch on a later call
            if ident is None:
                return self._decoded(out)  # not recreated yet; keep the old descriptor
            if self._partial:
                out.append(self._partial)
                self._partial = b""
            self.close()
        if self._fd is None and ident is not None:
            self._open_current(last=0, at_end=False)
        if self._fd is not None and ident == self._ident:
            self._check_truncated(out)
            self._read_into(out)
        return self._decoded(out)

    @property
    def offset(self) -> int:
        """Byte offset in the current file up to which lines were returned or buffered."""
        return self._offset

    def close(self) -> None:
        """Release the descriptor; a later read_new reopens the path from its start."""
        fd, self._fd = self._fd, None
        self._ident = None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> LogFollower:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _decoded(out: list[bytes]) -> list[str]:
        return [_decode_line(raw) for raw in out]

    def _open_current(self, *, last: int, at_end: bool) -> None:
        try:
            # Never block on a FIFO (or read a device) put where the log should be.
            if not stat.S_ISREG(os.stat(self.path).st_mode):
                return
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            st = os.fstat(fd)
            offset = 0
            if at_end and st.st_size > 0:
                offset = st.st_size
                incomplete = os.pread(fd, 1, st.st_size - 1) != b"\n"
                # "last" counts complete lines; an incomplete last line is re-read whole.
                want = last + (1 if incomplete else 0)
                if want:
                    try:
                        offset = _tail_start(fd, st.st_size, want, DEFAULT_CHUNK_SIZE)
                    except _ShrankError:
                        offset = 0
            k = min(_FINGERPRINT_BYTES, offset)
            fingerprint = os.pread(fd, k, offset - k) if k else b""
        except OSError:
            os.close(fd)
            return
        self._fd = fd
        self._ident = (st.st_dev, st.st_ino)
        self._offset = offset
        self._partial = b""
        self._fingerprint = fingerprint

    def _check_truncated(self, out: list[bytes]) -> None:
        assert self._fd is not None
        if self._offset == 0:
            return
        try:
            size = os.fstat(self._fd).st_size
            k = min(_FINGERPRINT_BYTES, self._offset)
            shrank = size < self._offset or (
                os.pread(self._fd, k, self._offset - k) != self._fingerprint
            )
        except OSError:
            return
        if shrank:
            if self._partial:
                out.append(self._partial)
                self._partial = b""
            self._offset = 0
            self._fingerprint = b""

    def _read_into(self, out: list[bytes]) -> int:
        """Read up to max_read bytes at the offset; complete lines go to ``out``."""
        assert self._fd is not None
        try:
            data = os.pread(self._fd, self.max_read, self._offset)
        except OSError:
            return 0
        if not data:
            return 0
        self._offset += len(data)
        self._fingerprint = (self._fingerprint + data[-_FINGERPRINT_BYTES:])[-_FINGERPRINT_BYTES:]
        buf = self._partial + data
        cut = buf.rfind(b"\n")
        if cut < 0:
            self._partial = buf
        else:
            out.extend(buf[:cut].split(b"\n"))
            self._partial = buf[cut + 1 :]
        if len(self._partial) >= self.max_line_bytes:
            out.append(self._partial)
            self._partial = b""
        return len(data)
