"""The Pushgateway sink: PUT the text exposition to /metrics/job/<job>/instance/<instance>.

PUT replaces the whole group, so a plugin that disappeared from Logstash disappears from the
Pushgateway too. Scrape the Pushgateway with ``honor_labels: true`` to keep these labels.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from urllib.parse import quote

import anyio.to_thread
import httpx

from ..exposition import TEXT_CONTENT_TYPE, MetricFamily, render_text
from . import SinkError

_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def grouping_path(job: str, instance: str) -> str:
    """``/metrics/job/<job>/instance/<instance>``, base64-encoding values a path cannot hold."""

    def segment(label: str, value: str) -> str:
        if value == "" or "/" in value:
            encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
            return f"{label}@base64/{encoded}"
        return f"{label}/{quote(value, safe='')}"

    return f"/metrics/{segment('job', job)}/{segment('instance', instance)}"


class PushgatewaySink:
    name = "pushgateway"

    def __init__(
        self,
        base_url: str,
        *,
        job: str,
        instance: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + grouping_path(job, instance)
        self.target = self.url
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    async def push(self, families: Sequence[MetricFamily], timestamp: float) -> None:
        del timestamp  # the Pushgateway refuses pushed timestamps; it records push_time_seconds
        body = await anyio.to_thread.run_sync(render_text, families)
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=_TIMEOUT, transport=self._transport)
        try:
            response = await self._http.put(
                self.url, content=body.encode(), headers={"Content-Type": TEXT_CONTENT_TYPE}
            )
        except httpx.HTTPError as exc:
            text = str(exc).strip().splitlines()
            raise SinkError(
                f"PUT {self.url} failed: {text[0][:160] if text else type(exc).__name__}"
            ) from exc
        if not 200 <= response.status_code < 300:
            detail = response.text.strip().splitlines()[:1]
            raise SinkError(
                f"PUT {self.url} answered HTTP {response.status_code}"
                + (f": {detail[0][:160]}" if detail else "")
            )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
