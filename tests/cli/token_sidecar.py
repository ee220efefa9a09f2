"""A sidecar-like server on 127.0.0.1 that requires a bearer token, as the sidecar does.

``/api/health`` and ``/healthz`` are open; ``/api/stats`` and ``/metrics`` answer 401 with
``WWW-Authenticate`` unless ``Authorization: Bearer <token>`` carries one of ``tokens``. Every
request's path and Authorization header are recorded, so tests see what the CLI sent where.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.servers import free_port

STATS: dict[str, Any] = {
    "health": {"status": "healthy", "reasons": []},
    "logstash": {"version": "8.19.3", "uptime_s": 900.0},
    "events": {"input_eps": 12.5, "output_eps": 12.5},
    "queue": {"events": 0},
    "jvm": {"heap_used_percent": 31.0},
    "restarts": 0,
    "log_types": [{"type": "microseg", "received": 10, "failed": 0, "in_profile": True}],
}

METRICS = "# TYPE stashkit_up gauge\nstashkit_up 1\n"


@dataclass
class TokenSidecar:
    tokens: set[str]
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, Authorization header or None) of every request, in order."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/health", self._health, methods=["GET", "HEAD"]),
                Route("/healthz", self._health, methods=["GET"]),
                Route("/api/stats", self._stats, methods=["GET"]),
                Route("/metrics", self._metrics, methods=["GET"]),
            ]
        )

    def _record(self, request: Request) -> str | None:
        header = request.headers.get("authorization")
        with self._lock:
            self.seen.append((request.url.path, header))
        return header

    def _allowed(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and value in self.tokens

    def _refuse(self) -> Response:
        return JSONResponse(
            {"error": "authentication required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="stashkit sidecar"'},
        )

    async def _health(self, request: Request) -> Response:
        self._record(request)
        return JSONResponse({"status": "healthy", "reasons": []})

    async def _stats(self, request: Request) -> Response:
        if not self._allowed(self._record(request)):
            return self._refuse()
        return JSONResponse(STATS)

    async def _metrics(self, request: Request) -> Response:
        if not self._allowed(self._record(request)):
            return self._refuse()
        return PlainTextResponse(METRICS, media_type="text/plain; version=0.0.4")

    def headers_for(self, path: str) -> list[str | None]:
        with self._lock:
            return [header for seen_path, header in self.seen if seen_path == path]


@contextlib.contextmanager
def serve_token_sidecar(sidecar: TokenSidecar) -> Iterator[str]:
    """Serve ``sidecar`` on 127.0.0.1; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        sidecar.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"token-sidecar-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("token sidecar did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
