"""The HTTP server: uvicorn with the limits a load balancer's target needs.

uvicorn alone accepts a request head of any size, waits for ever for a client that sends half
a request, and accepts connections until the process runs out of descriptors. Here:

* a request head larger than ``max_header_bytes`` gets 431 and the connection is closed (memory
  stays bounded by the cap plus one read);
* a client has ``header_timeout`` seconds to send a request head (408, then closed);
* at most ``max_connections`` connections are open (never more than the open-file limit allows);
  at the limit, the connection that has waited longest for its head is dropped first, so slow
  clients cannot starve ``/api/health``;
* repeated accept-loop errors ("Too many open files") are logged once per interval, with a count;
* SIGTERM ends the process within :data:`EXIT_DEADLINE_S` seconds, whatever clients or Logstash
  are doing: in-flight answers get :data:`GRACEFUL_S` seconds, the app's shutdown (history flush)
  the rest, and a watchdog ends the process if anything still hangs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("status_sidecar.server")
GRACEFUL_S = 3.0
EXIT_DEADLINE_S = 9.5
FD_RESERVE = 64  # descriptors kept for the log, history, Logstash connections, the audit file
# asyncio accepts up to `backlog` connections per wake-up before any protocol runs: keep that
# burst well inside the reserve, or a flood of connects exhausts descriptors before the
# connection cap can act (the kernel's own accept queue is set by listen(), not by this).
ACCEPT_BURST = 16
KERNEL_BACKLOG = 2048
ERROR_LOG_INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class ServerLimits:
    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0
    max_connections: int = 512


def connection_limit(wanted: int, soft_nofile: int | None = None) -> int:
    """``wanted``, lowered so that connections never exhaust the open-file limit."""
    if soft_nofile is None:
        soft_nofile, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft_nofile == resource.RLIM_INFINITY or soft_nofile <= 0:
        return wanted
    return max(8, min(wanted, soft_nofile - FD_RESERVE))


def _plain_response(status: int, reason: str) -> bytes:
    body = f"{status} {reason}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head size cap, a head timeout and a connection cap."""

    limits: ClassVar[ServerLimits] = ServerLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_head = True
        self._head_bytes = 0
        self._head_since = 0.0
        self._head_timer: asyncio.TimerHandle | None = None

    # -- connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        self._enforce_connection_limit()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _enforce_connection_limit(self) -> None:
        excess = len(self.connections) - self.limits.max_connections
        if excess <= 0:
            return
        waiting = sorted(
            (
                c
                for c in self.connections
                if isinstance(c, GuardedProtocol) and c is not self and c.waiting_for_head
            ),
            key=lambda c: c._head_since,
        )
        for victim in waiting[:excess]:
            victim.transport.abort()
            self.connections.discard(victim)
        if len(self.connections) > self.limits.max_connections:
            self._reject(503, "Service Unavailable")

    @property
    def waiting_for_head(self) -> bool:
        """Sending (or about to send) a request head, with no answer in progress."""
        return self._awaiting_head and (self.cycle is None or self.cycle.response_complete)

    # -- the request head ---------------------------------------------------------------------

    def _await_head(self) -> None:
        self._awaiting_head = True
        self._head_bytes = 0
        self._head_since = self.loop.time()
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.waiting_for_head and not self.transport.is_closing():
            if self._head_bytes:
                self._reject(408, "Request Timeout")
            else:
                self.transport.close()  # an idle keep-alive connection: just close it

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            self._awaiting_head
            and self._head_bytes > self.limits.max_header_bytes
            and not self.transport.is_closing()
        ):
            self._reject(431, "Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._await_head()

    def _reject(self, status: int, reason: str) -> None:
        self._cancel_head_timer()
        self.transport.write(_plain_response(status, reason))
        self.transport.close()
        self.parser = None  # type: ignore[assignment]
        self.connections.discard(self)


def protocol_class(limits: ServerLimits) -> type[GuardedProtocol]:
    return type("SidecarProtocol", (GuardedProtocol,), {"limits": limits})


class RateLimitedErrors:
    """An event-loop exception handler that logs each kind of error once per interval."""

    def __init__(self, interval: float = ERROR_LOG_INTERVAL_S) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", "event loop error"))
        exc = context.get("exception")
        key = f"{message}: {exc!r}" if exc is not None else message
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        repeats = self._suppressed.pop(key, 0)
        self._last[key] = now
        more = f" (and {repeats} more like it in the last {self._interval:g} s)" if repeats else ""
        log.error("%s%s%s", message, f": {exc}" if exc is not None else "", more)


def bind(host: str, ports: Sequence[int], backlog: int = KERNEL_BACKLOG) -> list[socket.socket]:
    """Listening sockets for ``host`` on each port (IPv6 when ``host`` is one)."""
    sockets: list[socket.socket] = []
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        for port in ports:
            # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when
            # the protocol says TCP; without it every answer waits ~40 ms for a delayed ACK.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class SidecarServer(uvicorn.Server):
    """uvicorn's server with an exit watchdog armed by the first SIGTERM or SIGINT."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # asyncio's create_server listen()s with the small accept burst as the kernel's
        # queue too; widen the queue again so a burst of connects is queued, not dropped.
        for sock in sockets or []:
            sock.listen(KERNEL_BACKLOG)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            _arm_exit_watchdog(EXIT_DEADLINE_S)
        super().handle_exit(sig, frame)


def _arm_exit_watchdog(seconds: float) -> None:
    def expire() -> None:
        time.sleep(seconds)
        log.error("shutdown took longer than %g s: exiting now", seconds)
        logging.shutdown()
        os._exit(1)

    threading.Thread(target=expire, name="exit-watchdog", daemon=True).start()


@dataclass(frozen=True)
class Listen:
    host: str
    ports: tuple[int, ...]
    limits: ServerLimits
    tls_cert_file: str = ""
    tls_key_file: str = ""


def check_tls(listen: Listen) -> None:
    """Load the certificate and key now, so a bad pair is one line at start, not a traceback."""
    if not listen.tls_cert_file:
        return
    from .wiring import StartupError

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(listen.tls_cert_file, listen.tls_key_file)
    except ssl.SSLError as exc:  # before OSError: it is one
        raise StartupError(
            f"TLS_CERT_FILE/TLS_KEY_FILE: not a matching PEM certificate and key ({exc.reason})"
        ) from None
    except OSError as exc:
        raise StartupError(f"TLS_CERT_FILE/TLS_KEY_FILE: {exc.strerror or exc}") from None


def config(app: ASGIApp, listen: Listen) -> uvicorn.Config:
    limits = ServerLimits(
        max_header_bytes=listen.limits.max_header_bytes,
        header_timeout=listen.limits.header_timeout,
        max_connections=connection_limit(listen.limits.max_connections),
    )
    return uvicorn.Config(
        app,
        http=protocol_class(limits),
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_keep_alive=5,
        backlog=ACCEPT_BURST,
        timeout_graceful_shutdown=int(GRACEFUL_S),
        ssl_certfile=listen.tls_cert_file or None,
        ssl_keyfile=listen.tls_key_file or None,
    )


def run(app: ASGIApp, listen: Listen) -> None:
    """Serve ``app`` on every port until SIGTERM or SIGINT (blocking)."""
    sockets = bind(listen.host, listen.ports)
    server = SidecarServer(config(app, listen))

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(RateLimitedErrors())
        await server.serve(sockets=sockets)

    try:
        asyncio.run(main())
    finally:
        for sock in sockets:
            sock.close()
