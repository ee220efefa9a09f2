"""Append-only JSON-lines files that never hold a torn line in the middle.

Used by the history file and the audit trail. An append is all or nothing: a write that fails
(ENOSPC, EIO) is cut back to where it started, so a retry never leaves half a line mid-file; a
torn tail left by a crash is cut back to the last whole line before the next append.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("status_sidecar.jsonl")
Writer = Callable[[int, memoryview], int]
_TAIL_SCAN = 1024 * 1024


def write_all(fd: int, data: bytes, write: Writer = os.write) -> None:
    view = memoryview(data)
    while view:
        written = write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "short write")
        view = view[written:]


def append(path: Path, payload: bytes, write: Writer = os.write, mode: int = 0o640) -> None:
    """Append ``payload`` (whole lines) to ``path``, all or nothing."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, mode)
    try:
        start = os.fstat(fd).st_size
        if start:
            start = _cut_torn_tail(path, fd, start)
        try:
            write_all(fd, payload, write)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)


def _cut_torn_tail(path: Path, fd: int, size: int) -> int:
    """If the file does not end with a newline, cut back to its last whole line."""
    rd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if os.pread(rd, 1, size - 1) == b"\n":
            return size
        back = min(size, _TAIL_SCAN)
        tail = os.pread(rd, back, size - back)
    finally:
        os.close(rd)
    keep = size - back + tail.rfind(b"\n") + 1 if b"\n" in tail else size - back
    os.ftruncate(fd, keep)
    log.warning("%s: cut a torn last line before appending", path)
    return keep
