"""The history file: one JSON line per poll, appended; the 24 h history restored from it on start.

Format (one object per line, ``v`` = 1)::

    {"v":1,"t":1767225610.0,"interval_s":10.0,"in":1200,"filtered":1200,"out":1190,
     "restart":false,"health":"healthy","restarts":0,
     "totals":{"in":51200,"filtered":51200,"out":51000},
     "eps":{"in":120.0,"out":119.0},
     "log_types":{"microseg":[1000,990,0,0],...}}

``in``/``filtered``/``out`` are the events of the interval (reset-aware deltas), ``totals`` the
carried totals, ``log_types`` the carried [received, sent, dropped, failed] per log type.
A restart line also has ``"reason"``.

Robustness: a line that does not parse (a torn last line after a crash or power loss, or any
damage) is skipped and counted, never fatal; before appending again the torn tail is cut off so
the next line starts on a line of its own.

Bound: **compaction**. When the file holds twice the lines of a 24 h history it is rewritten
with only the newest 24 h worth (to a temporary file, fsync, atomic rename), so it never grows
past about two days of lines; at a 10 s poll interval that is about 10 MB.

Every method here blocks (file I/O): the publisher calls them off the event loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import jsonl
from ..store import Point, RestartEvent

log = logging.getLogger("status_sidecar.sinks.history")
FORMAT_VERSION = 1
KEEP_S = 86400.0
_FUTURE_SLACK_S = 300.0


@dataclass
class Restored:
    points: list[Point] = field(default_factory=list)
    restarts: list[RestartEvent] = field(default_factory=list)
    restart_count: int = 0
    lines: int = 0
    skipped: int = 0
    torn_tail: bool = False


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def parse_line(line: bytes) -> tuple[Point, str | None, int | None] | None:
    """A point, its restart reason and the restart count; None for a line that is not one."""
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("v") != FORMAT_VERSION:
        return None
    t, interval = _number(doc.get("t")), _number(doc.get("interval_s"))
    events_in, filtered, out = (_count(doc.get(k)) for k in ("in", "filtered", "out"))
    restart = doc.get("restart")
    if (
        t is None
        or interval is None
        or interval <= 0
        or events_in is None
        or filtered is None
        or out is None
        or not isinstance(restart, bool)
    ):
        return None
    reason = doc.get("reason")
    point = Point(t, interval, events_in, filtered, out, restart)
    return point, reason if isinstance(reason, str) else None, _count(doc.get("restarts"))


class HistoryFile:
    """``write``/``fsync`` are injectable so tests can fail them (a full disk) at any byte."""

    def __init__(
        self,
        path: Path,
        history_points: int,
        *,
        write: jsonl.Writer = os.write,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        self.path = path
        self.history_points = max(history_points, 1)
        self.max_lines = 2 * self.history_points
        self.lines = 0
        self.compactions = 0
        self.compaction_error: str | None = None
        self._write = write
        self._fsync = fsync
        self._compact_at = self.max_lines

    def restore(self, now: float) -> Restored:
        """Read what the file holds for the last 24 h; cut a torn tail so appends stay clean."""
        result = Restored()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return result
        body_end = data.rfind(b"\n") + 1
        if body_end < len(data):
            result.torn_tail = True
            result.skipped += 1
            self._truncate(body_end)
        since = now - KEEP_S
        last_t = float("-inf")
        for raw in data[:body_end].splitlines():
            if not raw.strip():
                continue
            result.lines += 1
            parsed = parse_line(raw)
            if parsed is None:
                result.skipped += 1
                continue
            point, reason, restarts = parsed
            if restarts is not None:
                result.restart_count = max(result.restart_count, restarts)
            if point.t < since or point.t > now + _FUTURE_SLACK_S or point.t <= last_t:
                continue
            last_t = point.t
            result.points.append(point)
            if point.restart:
                result.restarts.append(RestartEvent(point.t, reason or "Logstash restarted"))
        self.lines = result.lines
        del result.points[: -self.history_points]
        return result

    def _truncate(self, size: int) -> None:
        with self.path.open("r+b") as fh:
            fh.truncate(size)

    def append(self, lines: Sequence[str]) -> None:
        """Append lines (each without its newline), all or nothing (:mod:`..jsonl`); compact at
        the bound. A failed compaction keeps the original file and is retried later."""
        if not lines:
            return
        payload = "".join(line + "\n" for line in lines).encode("utf-8")
        jsonl.append(self.path, payload, self._write)
        self.lines += len(lines)
        if self.lines >= self._compact_at:
            self._try_compact()

    def _try_compact(self) -> None:
        try:
            self.compact()
        except OSError as exc:
            self.compaction_error = f"compaction failed: {exc.strerror or exc}"
            self._compact_at = self.lines + max(self.history_points // 10, 1)
            log.warning("history %s: %s; the file is kept as it was", self.path, exc)
        else:
            self.compaction_error = None
            self._compact_at = self.max_lines

    def compact(self) -> None:
        """Keep the newest 24 h worth of lines: a temporary file, fsync, rename. On any error
        the temporary file is removed and the original is left untouched."""
        data = self.path.read_bytes()
        kept = [raw for raw in data.splitlines() if raw.strip()][-self.history_points :]
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
        try:
            try:
                jsonl.write_all(fd, b"".join(raw + b"\n" for raw in kept), self._write)
                self._fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        with contextlib.suppress(OSError):  # the rename is done; a lost fsync here is benign
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                self._fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self.lines = len(kept)
        self.compactions += 1
        log.info("compacted %s to its newest %d lines", self.path, len(kept))

    def size_bytes(self) -> int | None:
        try:
            return self.path.stat().st_size
        except OSError:
            return None


def record(
    point: Point,
    *,
    reason: str | None,
    health: str,
    restarts: int,
    totals: dict[str, int],
    log_types: dict[str, list[int]],
) -> str:
    """One history line (no newline)."""
    doc: dict[str, object] = {
        "v": FORMAT_VERSION,
        "t": point.t,  # full precision: a restored point is the same point
        "interval_s": point.interval_s,
        "in": point.events_in,
        "filtered": point.events_filtered,
        "out": point.events_out,
        "restart": point.restart,
    }
    if point.restart and reason:
        doc["reason"] = reason
    doc["health"] = health
    doc["restarts"] = restarts
    doc["totals"] = totals
    doc["eps"] = {"in": round(point.input_eps, 3), "out": round(point.output_eps, 3)}
    doc["log_types"] = log_types
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True)
