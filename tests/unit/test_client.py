"""The Logstash client: one deadline per request, a size cap on the streamed body, no queue."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from status_sidecar.client import Failure, LogstashClient, Ok

STATS = {"version": "8.19.3", "events": {"in": 1, "out": 1}, "pipelines": {}}


class Trickle(httpx.AsyncByteStream):
    """A body that arrives one byte every `every` seconds: no single read is slow."""

    def __init__(self, body: bytes, every: float) -> None:
        self.body = body
        self.every = every

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for byte in self.body:
            await asyncio.sleep(self.every)
            yield bytes([byte])


class Endless(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0)
            yield b"x" * 65536


def client_for(
    handler: httpx.MockTransport, timeout: float = 0.5, cap: int = 1 << 20
) -> tuple[LogstashClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=handler)
    return LogstashClient(http, "http://logstash:9600", timeout, cap), http


def test_should_abandon_a_trickling_body_at_the_deadline() -> None:
    body = json.dumps(STATS).encode()

    async def run() -> tuple[object, float]:
        transport = httpx.MockTransport(lambda r: httpx.Response(200, stream=Trickle(body, 0.05)))
        client, http = client_for(transport, timeout=0.5)
        async with http:
            started = time.monotonic()
            result = await client.node_stats()
            return result, time.monotonic() - started

    result, elapsed = asyncio.run(run())
    assert isinstance(result, Failure) and result.kind == "timeout"
    assert "within 0.5 s" in result.reason
    assert elapsed < 0.9


def test_should_not_queue_a_request_behind_a_hung_one() -> None:
    async def run() -> float:
        hung = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/_node/hot_threads":
                hung.set()
                await asyncio.sleep(10)
            return httpx.Response(200, json=STATS)

        client, http = client_for(httpx.MockTransport(handler), timeout=5)
        async with http:
            stuck = asyncio.create_task(client.hot_threads())
            await hung.wait()
            started = time.monotonic()
            result = await client.node_stats()
            elapsed = time.monotonic() - started
            stuck.cancel()
            assert isinstance(result, Ok)
            return elapsed

    assert asyncio.run(run()) < 0.5


@pytest.mark.parametrize("declared", [True, False])
def test_should_refuse_a_body_over_the_cap(declared: bool) -> None:
    async def run() -> object:
        def handler(request: httpx.Request) -> httpx.Response:
            if declared:
                return httpx.Response(200, content=b"[" + b"1," * 600_000 + b"1]")
            return httpx.Response(200, stream=Endless())

        client, http = client_for(httpx.MockTransport(handler), timeout=5, cap=1 << 20)
        async with http:
            return await client.node_stats()

    result = asyncio.run(run())
    assert isinstance(result, Failure) and result.kind == "too_large"
    assert "more than 1,048,576 bytes" in result.reason
    assert "LOGSTASH_MAX_RESPONSE_BYTES" in result.reason


def test_should_clean_a_lone_surrogate_in_valid_json() -> None:
    text = json.dumps(STATS).replace('"pipelines": {}', '"pipelines": {"\\ud800main": {}}')

    async def run() -> object:
        transport = httpx.MockTransport(lambda r: httpx.Response(200, content=text.encode()))
        client, http = client_for(transport)
        async with http:
            return await client.node_stats()

    result = asyncio.run(run())
    assert isinstance(result, Ok)
    assert [p.id for p in result.value.pipelines] == ["\ufffdmain"]
    json.dumps(result.raw, ensure_ascii=False).encode("utf-8")  # encodes strictly now
