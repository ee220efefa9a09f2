"""Response helpers: JSON that never fails to encode, cached bytes with ETags, guarded streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from .cache import GZIP_MIN_BYTES, Rendered


def encode_text(text: str) -> bytes:
    """UTF-8; a lone surrogate (an undecodable environment value, say) becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace")


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return encode_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")))


def json_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return SafeJSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


def cached(
    request: Request, rendered: Rendered, *, cache_control: str, media_type: str
) -> Response:
    """Ready bytes: 304 when the client holds them already, gzip when it asks for it."""
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if rendered.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = rendered.body
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        body = rendered.gzipped()
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media_type, headers=headers)


class GuardedStream(StreamingResponse):
    """A streaming answer whose ``on_close`` runs however it ends: completed, failed, or the
    client gone before the first byte (a slot or a descriptor is never leaked)."""

    def __init__(
        self,
        content: AsyncIterator[bytes],
        *,
        on_close: Callable[[], None],
        media_type: str,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(content, media_type=media_type, headers=dict(headers))
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            self._on_close()
