"""The Logstash monitoring API client: every failure becomes a typed result, never an exception."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import httpx

from .model import HealthReport, NodeInfo, NodeStats, ParseError

T = TypeVar("T")
FailureKind = Literal["unreachable", "timeout", "http", "garbage"]
_MAX_BODY = 64 * 1024 * 1024  # a /_node/stats with thousands of plugins is a few MB


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    value: T
    raw: object = None


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    reason: str


Result = Ok[T] | Failure


class LogstashClient:
    """One request in flight per endpoint; connect and read timeouts on every call."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout: float) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def base_url(self) -> str:
        return self._base

    async def node_stats(self) -> Result[NodeStats]:
        return await self._json("/_node/stats", NodeStats.parse)

    async def node_info(self) -> Result[NodeInfo]:
        return await self._json("/_node", NodeInfo.parse)

    async def health_report(self) -> Result[HealthReport]:
        return await self._json("/_health_report", HealthReport.parse)

    async def hot_threads(self) -> Result[str]:
        # A bare `?human` returns JSON on real 8.x; it needs an explicit `=true`.
        result = await self._get("/_node/hot_threads", {"human": "true", "threads": "10"})
        if isinstance(result, Failure):
            return result
        return Ok(result.value.decode("utf-8", errors="replace"))

    async def _json(self, path: str, parse: Callable[[object], T]) -> Result[T]:
        result = await self._get(path, None)
        if isinstance(result, Failure):
            return result
        try:
            document = json.loads(result.value)
        except (ValueError, UnicodeDecodeError) as exc:
            snippet = result.value[:40].decode("utf-8", errors="replace").strip()
            return Failure(
                "garbage", f"{path} answered with invalid JSON ({_short(exc)}): {snippet!r}"
            )
        try:
            return Ok(parse(document), raw=document)
        except ParseError as exc:
            return Failure("garbage", f"{path} answered with unexpected JSON: {exc}")

    async def _get(self, path: str, params: dict[str, str] | None) -> Result[bytes]:
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            return await self._fetch(path, params)

    async def _fetch(self, path: str, params: dict[str, str] | None) -> Result[bytes]:
        url = f"{self._base}{path}"
        try:
            response = await self._http.get(url, params=params, timeout=self._timeout)
        except httpx.TimeoutException:
            return Failure("timeout", f"no answer from {url} within {self._timeout.read:g} s")
        except httpx.ConnectError as exc:
            return Failure("unreachable", f"cannot connect to {url}: {_short(exc)}")
        except httpx.HTTPError as exc:
            return Failure("unreachable", f"request to {url} failed: {_short(exc)}")
        if response.status_code != 200:
            return Failure("http", f"{path} answered HTTP {response.status_code}")
        body = response.content
        if len(body) > _MAX_BODY:
            return Failure("garbage", f"{path} answered {len(body):,} bytes, more than expected")
        return Ok(body)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
