"""An in-process sidecar wired to the fake Logstash through httpx's ASGI transport, with one
manual clock for both: tests advance time and poll by hand, no sockets, no sleeps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
from starlette.testclient import TestClient

from status_sidecar.app import create_app
from status_sidecar.settings import Settings
from status_sidecar.wiring import Sidecar
from tests.fakes.fake_logstash import FakeLogstash
from tests.fakes.fake_logstash import create_app as fake_logstash_app
from tests.support.clocks import ManualClock

T0 = 1_767_225_600.0


@dataclass
class Harness:
    client: TestClient
    sidecar: Sidecar
    fake: FakeLogstash
    clock: ManualClock

    def poll(self, advance: float = 10.0) -> None:
        """Advance the clock, then poll once (as the poller task would)."""
        self.clock.advance(advance)
        self.client.portal.call(self.sidecar.poller.poll_once)  # type: ignore[union-attr]

    def metrics(self, accept: str | None = None) -> str:
        headers = {"Accept": accept} if accept else {}
        response = self.client.get("/metrics", headers=headers)
        assert response.status_code == 200
        return response.text


@contextlib.contextmanager
def sidecar_with_fake(
    settings: Settings | None = None, *, start: float = T0, **fake_options: Any
) -> Iterator[Harness]:
    clock = ManualClock(start)
    the_fake = FakeLogstash(clock=clock, **fake_options)
    base = settings or Settings(history_file="")
    transport = httpx.ASGITransport(app=fake_logstash_app(the_fake))
    http = httpx.AsyncClient(transport=transport)
    app = create_app(
        replace(base, logstash_url="http://logstash:9600"),
        clock=clock,
        http_client=http,
        environ={},
        poll=False,
    )
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        yield Harness(client, app.state.sidecar, the_fake, clock)
        client.portal.call(http.aclose)  # type: ignore[union-attr]
