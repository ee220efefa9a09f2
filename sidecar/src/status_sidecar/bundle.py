"""Support bundle: a streamed tar.gz of everything on-call needs, with every secret redacted.

Each part is produced independently: a failing part is replaced by its error text and
the bundle is still produced. Compression and file reads run off the event loop.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

REDACTED = "[REDACTED]"
_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASS$|_KEY$|^KEY$|AUTH|CREDENTIAL|PRIVATE|WEBHOOK_URL|SAS)",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 4  # shorter values would redact ordinary words


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Values to scrub: secret-named variables and the contents of `*_FILE` secret files."""
    values: list[str] = []
    for name, value in environ.items():
        if name.endswith("_FILE") and is_secret_name(name[: -len("_FILE")]):
            try:
                content = Path(value).read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                continue
            values.append(content)
        elif is_secret_name(name):
            values.append(value)
    return sorted({v for v in values if len(v) >= _MIN_SECRET_LEN}, key=len, reverse=True)


def redacted_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name: (REDACTED if is_secret_name(name) and not name.endswith("_FILE") else value)
        for name, value in sorted(environ.items())
    }


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = [s for s in secrets if s]

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value


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
            data = redactor.text(text).encode("utf-8")
            await anyio.to_thread.run_sync(
                _add_member, archive, part.name, data, stamp, limiter=limiter
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


def _add_member(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))
