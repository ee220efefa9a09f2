"""Support bundle: a streamed tar.gz of everything on-call needs, every part redacted.

Each part is produced independently: a failing part is replaced by its error text and
the bundle is still produced. Compression and file reads run off the event loop.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from .redact import Redactor


@dataclass(frozen=True)
class Part:
    name: str
    produce: Callable[[], Awaitable[str]]


def json_text(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


class _Drain(io.RawIOBase):
    """A write-only file whose bytes are collected and handed out chunk by chunk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


async def stream_bundle(
    parts: Iterable[Part],
    redactor: Redactor,
    mtime: float | None = None,
    *,
    limiter: anyio.CapacityLimiter | None = None,
) -> AsyncIterator[bytes]:
    drain = _Drain()
    archive = tarfile.open(fileobj=drain, mode="w:gz")  # noqa: SIM115 - closed below
    stamp = mtime if mtime is not None else time.time()
    try:
        for part in parts:
            text = await _produce(part)
            # Redaction and compression of a 16 MiB log take seconds: never on the event loop.
            await anyio.to_thread.run_sync(
                _add_member, archive, part.name, redactor, text, stamp, limiter=limiter
            )
            chunk = drain.take()
            if chunk:
                yield chunk
    finally:
        archive.close()
    tail = drain.take()
    if tail:
        yield tail


async def _produce(part: Part) -> str:
    try:
        return await part.produce()
    except Exception as exc:  # one failing part must not cost the whole bundle
        return f"this part could not be produced: {type(exc).__name__}: {exc}\n"


def _add_member(
    archive: tarfile.TarFile, name: str, redactor: Redactor, text: str, mtime: float
) -> None:
    data = redactor.text(text).encode("utf-8", errors="replace")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))
