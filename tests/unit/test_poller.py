"""The poller never raises and logs one line per state change, not one per poll."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from status_sidecar.app import build_sidecar
from status_sidecar.settings import Settings
from tests.support.clocks import ManualClock


def test_should_log_once_per_state_change(caplog: pytest.LogCaptureFixture) -> None:
    state = {"status": 500}

    def handler(request: httpx.Request) -> httpx.Response:
        if state["status"] != 200:
            return httpx.Response(state["status"])
        return httpx.Response(
            200,
            json={
                "version": "8.19.3",
                "ephemeral_id": "e",
                "pipelines": {"main": {"events": {"in": 1, "out": 1}}},
            },
        )

    async def scenario() -> None:
        clock = ManualClock(1000.0)
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            sidecar = build_sidecar(Settings(history_file=""), http, clock, environ={})
            for _ in range(5):
                clock.t += 10
                await sidecar.poller.poll_once()
            state["status"] = 200
            for _ in range(5):
                clock.t += 10
                await sidecar.poller.poll_once()

    with caplog.at_level(logging.INFO, logger="status_sidecar"):
        asyncio.run(scenario())
    poller_lines = [r.getMessage() for r in caplog.records if r.name.endswith("poller")]
    assert poller_lines == [
        "polling Logstash failed: /_node/stats answered HTTP 500",
        "Logstash API answers again at http://localhost:9600",
    ]
    health_lines = [r.getMessage() for r in caplog.records if r.name.endswith("health")]
    assert [line.split(":")[0] for line in health_lines] == [
        "health (none) -> starting",
        "health starting -> healthy",
    ]


def test_should_survive_a_transport_exception() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer")

    async def scenario() -> str | None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            sidecar = build_sidecar(
                Settings(history_file=""), http, ManualClock(1000.0), environ={}
            )
            assert await sidecar.poller.poll_once() is None
            return sidecar.store.last_error

    assert asyncio.run(scenario()) == (
        "request to http://localhost:9600/_node/stats failed: connection reset by peer"
    )
