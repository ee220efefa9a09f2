"""A webhook receiver on 127.0.0.1 that fails its first answers (to exercise retries) and keeps
the bodies and signatures of the rest."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import free_port


class Receiver:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.refused = 0
        self.bodies: list[tuple[bytes, str]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            return Response(status_code=500)
        self.bodies.append((body, request.headers.get("x-stashkit-signature", "")))
        return Response(status_code=204)


@contextlib.contextmanager
def receiving(failures: int = 0) -> Iterator[tuple[Receiver, str]]:
    hook = Receiver(failures)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(hook.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield hook, f"http://127.0.0.1:{port}/hook"
    finally:
        server.should_exit = True
        thread.join(10)
