"""A hostile Logstash: a raw TCP server that answers the monitoring API badly, on purpose.

Built on asyncio streams rather than an HTTP framework, so it can misbehave below HTTP: send
its headers and then trickle, never finish a chunked body, send 200 MB, trickle its headers,
or reset the connection half-way. In mode ``ok`` it answers like a healthy Logstash (the
documents come from the project's FakeLogstash, shaped on real captures).

    with HostileLogstash() as ls:
        ls.mode = "trickle"      # every route, from the next request on
        ls.mode = "ok"           # healthy again
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

from tests.fakes.fake_logstash import FakeLogstash

MODES: Final = frozenset(
    {"ok", "trickle", "endless_chunked", "huge", "slow_headers", "reset", "lone_surrogate"}
)
HEAD_LIMIT = 64 * 1024


class HostileLogstash:
    def __init__(self, *, huge_bytes: int = 200 * 1024 * 1024, trickle_every: float = 0.5) -> None:
        self.fake = FakeLogstash(event_rate=50)
        self.mode = "ok"
        self.huge_bytes = huge_bytes
        self.trickle_every = trickle_every
        self.requests: Counter[str] = Counter()
        # Text planted into answers (redaction tests): appended to hot threads, merged into docs.
        self.hot_threads_extra = ""
        self.stats_hook: Callable[[dict[str, Any]], None] | None = None
        self.node_info_extra: dict[str, object] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._started = threading.Event()
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HostileLogstash:
        self._thread = threading.Thread(target=self._run, name="hostile-logstash", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the hostile Logstash did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def __enter__(self) -> HostileLogstash:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, limit=HEAD_LIMIT)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        with contextlib.suppress(RuntimeError):
            loop.run_forever()
        loop.close()

    # -- one connection ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                path = head.split(b" ", 2)[1].decode("latin-1").split("?", 1)[0]
                self.requests[path] += 1
                keep_going = await self._answer(self.mode, path, writer)
                if not keep_going:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, mode: str, path: str, writer: asyncio.StreamWriter) -> bool:
        body = self._document(path, lone_surrogate=mode == "lone_surrogate")
        if mode in ("ok", "lone_surrogate"):
            writer.write(_head(200, {"content-length": str(len(body))}) + body)
            await writer.drain()
            return True
        if mode == "trickle":
            writer.write(_head(200, {"content-length": str(len(body))}))
            for byte in body:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(self.trickle_every)
            return True
        if mode == "endless_chunked":
            writer.write(_head(200, {"transfer-encoding": "chunked"}))
            piece = b'{"padding":"' + b"x" * 4000
            while True:
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                await asyncio.sleep(0.05)
        if mode == "huge":
            await _send_huge(writer, self.huge_bytes)
            return True
        if mode == "slow_headers":
            for byte in _head(200, {"content-length": str(len(body))}):
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(self.trickle_every)
            return True
        if mode == "reset":
            writer.write(_head(200, {"content-length": str(len(body))}) + body[: len(body) // 2])
            await writer.drain()
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        raise ValueError(f"unknown mode {mode!r}")

    def _document(self, path: str, *, lone_surrogate: bool) -> bytes:
        if path == "/_node/hot_threads":
            return (self.fake.hot_threads_text() + self.hot_threads_extra).encode()
        if path == "/_node/stats":
            doc = self.fake.node_stats()
            if self.stats_hook is not None:
                self.stats_hook(doc)
        elif path == "/_node":
            doc = {**self.fake.node_info(), **self.node_info_extra}
        elif path == "/_health_report":
            doc = self.fake.health_report() or {}
        else:
            doc = self.fake.root()
        text = json.dumps(doc)
        if lone_surrogate:
            # Valid JSON, an invalid string: a pipeline id that is a lone surrogate.
            text = text.replace('"main"', '"\\ud800main"')
        return text.encode()


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [
        f"HTTP/1.1 {status} OK",
        "content-type: application/json",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _send_huge(writer: asyncio.StreamWriter, size: int) -> None:
    """A valid JSON document of ``size`` bytes, chunked (no length to refuse it by)."""
    writer.write(_head(200, {"transfer-encoding": "chunked"}))
    opening, closing = b'{"padding":"', b'"}'
    piece = b"y" * (1 << 20)
    sent = 0
    writer.write(b"%x\r\n%s\r\n" % (len(opening), opening))
    while sent < size:
        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        sent += len(piece)
        await writer.drain()
    writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(closing), closing))
    await writer.drain()
