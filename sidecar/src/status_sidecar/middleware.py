"""One ASGI middleware in front of every route: listener, access, rate, audit, headers.

In order, for each HTTP request:

1. the health-only port (``HEALTH_PORT``) serves ``/api/health`` and ``/healthz``, nothing else;
2. security headers go on every answer (``nosniff``, no referrer, no framing, no-store where the
   content is sensitive, HSTS under TLS);
3. open paths go straight through; every other path needs what :mod:`.access` decides
   (401 with ``WWW-Authenticate``, or 403 in loopback-only mode), and heavy paths a free slot in
   the client's rate (429 with ``Retry-After``);
4. every protected access and every refusal becomes an audit record, after the answer is sent.

Pure ASGI (no BaseHTTPMiddleware): ``/api/health`` pays a dictionary lookup and a header list.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import audit
from .access import OPEN_PATHS, REALM, Decision

if TYPE_CHECKING:
    from .wiring import Sidecar

HEAVY_PATHS: Final = frozenset({"/api/logs", "/api/support-bundle", "/api/hot-threads"})
NO_STORE_PATHS: Final = frozenset(
    {"/", "/api/stats", "/api/logs", "/api/hot-threads", "/api/support-bundle", "/metrics"}
)
_BASE_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_API_CSP: Final = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_NO_STORE: Final = (b"cache-control", b"no-store")
_HSTS: Final = (b"strict-transport-security", b"max-age=31536000")


def _header_names(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    return {name.lower() for name, _ in headers}


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sidecar: Sidecar = scope["app"].state.sidecar
        path: str = scope["path"]
        send = _secured(send, path, tls=scope.get("scheme") == "https")
        if _on_health_port(scope, sidecar) and path not in OPEN_PATHS:
            await _json(send, 404, "this port serves only /api/health and /healthz")
            return
        access = sidecar.access
        if access.is_open(path):
            await self.app(scope, receive, send)
            return
        await self._protected(scope, receive, send, sidecar)

    async def _protected(
        self, scope: Scope, receive: Receive, send: Send, sidecar: Sidecar
    ) -> None:
        started = time.monotonic()
        client = scope.get("client")
        host = client[0] if client else None
        decision = sidecar.access.decide(_headers(scope), host)
        answer = _Recorder(send)
        outcome = "allowed"
        try:
            if not decision.allowed:
                outcome = "denied"
                await _refuse(answer, decision)
            elif scope["path"] in HEAVY_PATHS and (
                wait := sidecar.rates.take(decision.who or host or "?")
            ):
                outcome = "rate-limited"
                await _json(
                    answer,
                    429,
                    f"too many log, bundle and hot-threads requests from this client: at most "
                    f"{sidecar.settings.heavy_requests_per_minute} a minute; try again in "
                    f"{math.ceil(wait)} s",
                    [(b"retry-after", str(math.ceil(wait)).encode())],
                )
            else:
                await self.app(scope, receive, answer)
        finally:
            if sidecar.audit.enabled:
                self._audit(sidecar, scope, decision, host, answer, outcome, started)

    @staticmethod
    def _audit(
        sidecar: Sidecar,
        scope: Scope,
        decision: Decision,
        host: str | None,
        answer: _Recorder,
        outcome: str,
        started: float,
    ) -> None:
        sidecar.audit.add(
            audit.record(
                t=sidecar.clock.now(),
                client=host,
                who=decision.who,
                method=scope["method"],
                path=scope["path"],
                params=dict(parse_qsl(scope["query_string"].decode("latin-1"))),
                status=answer.status,
                bytes_sent=answer.bytes_sent,
                duration_s=time.monotonic() - started,
                outcome=outcome,
            )
        )


def _on_health_port(scope: Scope, sidecar: Sidecar) -> bool:
    health_port = sidecar.settings.health_port
    server = scope.get("server")
    return bool(health_port) and server is not None and server[1] == health_port


def _headers(scope: Scope) -> dict[str, str]:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return {"authorization": value.decode("latin-1")}
    return {}


def _secured(send: Send, path: str, *, tls: bool) -> Send:
    extra = list(_BASE_HEADERS)
    if tls:
        extra.append(_HSTS)

    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = _header_names(headers)
            headers += [h for h in extra if h[0] not in names]
            if b"content-security-policy" not in names:
                headers.append(_API_CSP)
            if path in NO_STORE_PATHS:
                headers = [h for h in headers if h[0].lower() != b"cache-control"]
                headers.append(_NO_STORE)
            message["headers"] = headers
        await send(message)

    return secured


class _Recorder:
    """Passes messages on, keeping the status and the body bytes sent (for the audit)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.bytes_sent = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body":
            self.bytes_sent += len(message.get("body", b""))
        await self._send(message)


async def _refuse(send: Send, decision: Decision) -> None:
    extra = [(b"www-authenticate", REALM.encode())] if decision.status == 401 else []
    await _json(send, decision.status, decision.reason, extra)


async def _json(
    send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
