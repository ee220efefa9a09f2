"""Answers built once per poll and served as ready bytes.

``/api/stats`` and ``/api/history`` change when a poll lands (or when health changes), not per
request: each is built once for its key, then every request gets the same bytes, with an ETag
so a dashboard that asks again gets 304. Concurrent requests for a key that is being built wait
for that one build. Large documents are serialised off the event loop.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio.to_thread

T = TypeVar("T")
GZIP_MIN_BYTES = 4096


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    _gzipped: list[bytes] = field(default_factory=list, compare=False)

    def gzipped(self) -> bytes:
        """The body gzipped (level 1), computed once."""
        if not self._gzipped:
            self._gzipped.append(gzip.compress(self.body, compresslevel=1))
        return self._gzipped[0]


def json_bytes(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _render(value: object, finish: Callable[[bytes], bytes] | None = None) -> Rendered:
    body = json_bytes(value)
    if finish is not None:
        body = finish(body)
    return Rendered(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


@dataclass
class _Entry:
    key: Hashable
    task: asyncio.Task[Rendered]


class RenderCache:
    """One rendered answer per name, rebuilt when its key changes."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    async def get(
        self,
        name: str,
        key: Hashable,
        snapshot: Callable[[], T],
        build: Callable[[T], object],
        *,
        off_loop: bool = False,
        finish: Callable[[bytes], bytes] | None = None,
    ) -> Rendered:
        """``snapshot`` runs now, on the event loop (consistent with the poller); ``build``
        turns it into the document, in a thread when ``off_loop``; ``finish`` (the redactor)
        sees the serialised bytes. The build is a task of its
        own: a requester that goes away does not cancel it for the others."""
        entry = self._entries.get(name)
        if entry is None or entry.key != key or entry.task.cancelled():
            taken = snapshot()
            task = asyncio.ensure_future(_build(taken, build, off_loop, finish))
            task.add_done_callback(_retrieve)
            entry = self._entries[name] = _Entry(key, task)
        try:
            return await asyncio.shield(entry.task)
        except Exception:
            if self._entries.get(name) is entry:
                del self._entries[name]  # the next request tries again
            raise


async def _build(
    taken: T,
    build: Callable[[T], object],
    off_loop: bool,
    finish: Callable[[bytes], bytes] | None,
) -> Rendered:
    if off_loop:
        return await anyio.to_thread.run_sync(lambda: _render(build(taken), finish))
    return _render(build(taken), finish)


def _retrieve(task: asyncio.Task[Rendered]) -> None:
    if not task.cancelled():
        task.exception()  # a failed build is raised to its requesters; never "unretrieved"
