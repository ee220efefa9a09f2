"""The Logstash monitoring API client: every failure becomes a typed result, never an exception.

Each request has **one deadline** (the request timeout) covering the connection, the headers and
the whole body, which is read as a stream and abandoned past a size cap. Requests never queue
behind each other: a Logstash that trickles one byte a second costs one request its deadline,
never the next poll or an operator's request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import anyio.to_thread
import httpx

from .model import HealthReport, NodeInfo, NodeStats, ParseError
from .text import clean_strings

T = TypeVar("T")
FailureKind = Literal["unreachable", "timeout", "http", "garbage", "too_large"]
DEFAULT_MAX_BODY = 64 * 1024 * 1024  # a /_node/stats with thousands of plugins is a few MB
_PARSE_OFF_LOOP_BYTES = 256 * 1024  # parsing a larger body on the event loop would stall it
# A surrogate escape, or a surrogate encoded as UTF-8 (json.loads decodes with surrogatepass).
_MAY_HOLD_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    value: T
    raw: object = None


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    reason: str


Result = Ok[T] | Failure


class _TooLarge(Exception):
    pass


class LogstashClient:
    """Requests to one Logstash, each bounded by `timeout` seconds and `max_body` bytes."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        timeout: float,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self.timeout = timeout
        self._max_body = max_body
        # httpx's own timeouts are per operation; the deadline below bounds the sum.
        self._httpx_timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))

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
        result = await self.get("/_node/hot_threads", {"human": "true", "threads": "10"})
        if isinstance(result, Failure):
            return result
        return Ok(result.value.decode("utf-8", errors="replace"))

    async def _json(self, path: str, parse: Callable[[object], T]) -> Result[T]:
        result = await self.get(path, None)
        if isinstance(result, Failure):
            return result
        body = result.value
        if len(body) > _PARSE_OFF_LOOP_BYTES:
            return await anyio.to_thread.run_sync(_decode, path, body, parse)
        return _decode(path, body, parse)

    async def get(self, path: str, params: dict[str, str] | None) -> Result[bytes]:
        """GET `path`; the body, or why not, within one deadline."""
        url = f"{self._base}{path}"
        try:
            with anyio.fail_after(self.timeout):
                return await self._fetch(url, path, params)
        except TimeoutError:
            return Failure("timeout", f"no complete answer from {url} within {self.timeout:g} s")

    async def _fetch(self, url: str, path: str, params: dict[str, str] | None) -> Result[bytes]:
        try:
            async with self._http.stream(
                "GET", url, params=params, timeout=self._httpx_timeout
            ) as response:
                if response.status_code != 200:
                    return Failure("http", f"{path} answered HTTP {response.status_code}")
                return Ok(await self._read_capped(response))
        except _TooLarge:
            return Failure(
                "too_large",
                f"{path} answered more than {self._max_body:,} bytes "
                "(LOGSTASH_MAX_RESPONSE_BYTES); the answer was abandoned",
            )
        except httpx.TimeoutException:
            return Failure("timeout", f"no complete answer from {url} within {self.timeout:g} s")
        except httpx.ConnectError as exc:
            return Failure("unreachable", f"cannot connect to {url}: {_short(exc)}")
        except httpx.HTTPError as exc:
            return Failure("unreachable", f"request to {url} failed: {_short(exc)}")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_body:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)


def _decode(path: str, body: bytes, parse: Callable[[object], T]) -> Result[T]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        snippet = body[:40].decode("utf-8", errors="replace").strip()
        return Failure("garbage", f"{path} answered with invalid JSON ({_short(exc)}): {snippet!r}")
    if _MAY_HOLD_SURROGATE.search(body):
        # Valid JSON may carry a lone surrogate ("\ud800"): no UTF-8 encoder accepts it later.
        document = clean_strings(document)
    try:
        return Ok(parse(document), raw=document)
    except ParseError as exc:
        return Failure("garbage", f"{path} answered with unexpected JSON: {exc}")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
