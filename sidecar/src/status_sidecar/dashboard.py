"""The operator dashboard at `/`: server-rendered HTML, then a little vanilla JS refreshes it.

The first paint is built from the same document as `GET /api/stats`, so the page is useful
with JavaScript disabled (health, Logstash, output, KPIs, log types, pipeline config). The
script and stylesheet ship inside the package (`web/static`): no CDN, instances may have no
internet. The page allows only its own origin (Content-Security-Policy, no inline script);
the script reads its settings from `data-` attributes and writes data with `textContent`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import views
from .responses import encode_text
from .wiring import Sidecar

MIN_REFRESH_S = 2.0
LOG_LINE_CHOICES = (100, 500, 1000, 5000)
LOG_LINES_DEFAULT = 500

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# --------------------------------------------------------------------------------------------
# Formatting (the page's only formatters: the script refreshes by asking for the page again)
# --------------------------------------------------------------------------------------------


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def fmt_int(value: object) -> str:
    n = _number(value)
    return "—" if n is None else f"{round(n):,}"


def fmt_rate(value: object) -> str:
    """Events per second: one decimal below 100, whole numbers above."""
    n = _number(value)
    if n is None:
        return "—"
    return f"{n:,.1f}" if abs(n) < 100 else f"{round(n):,}"


def fmt_percent(value: object) -> str:
    n = _number(value)
    return "—" if n is None else f"{n:,.0f} %"


def fmt_bytes(value: object) -> str:
    n = _number(value)
    if n is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"  # pragma: no cover - the loop always returns


def fmt_duration(value: object) -> str:
    n = _number(value)
    if n is None:
        return "—"
    seconds = int(n)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def fmt_time(value: object) -> str:
    """An ISO timestamp from the API as `YYYY-MM-DD HH:MM:SS UTC`."""
    if not isinstance(value, str) or not value:
        return "—"
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _at(document: Mapping[str, object], *path: str) -> object:
    value: object = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    value: str
    sub: str = ""
    tone: str = ""  # "", "warn" or "bad"


FD_WARN_PERCENT = 80.0  # open files as a share of the limit that turns the tile amber


@dataclass(frozen=True, slots=True)
class RangeView:
    """A history range as the chart shows it (the seconds are views.HISTORY_RANGES')."""

    key: str
    label: str
    name: str
    tick_s: int

    @property
    def seconds(self) -> int:
        return views.HISTORY_RANGES[self.key]


RANGE_VIEWS: tuple[RangeView, ...] = (
    RangeView("1h", "1 h", "hour", 600),
    RangeView("6h", "6 h", "6 hours", 3600),
    RangeView("12h", "12 h", "12 hours", 7200),
    RangeView("24h", "24 h", "24 hours", 4 * 3600),
)


def kpi_tiles(stats: Mapping[str, object], heap_percent: float = 90.0) -> list[Tile]:
    """The KPI tiles, in page order; the page is refreshed by rendering them again. The heap
    tile turns red where health turns degraded (HEALTH_HEAP_PERCENT)."""
    heap = _number(_at(stats, "jvm", "heap_used_percent"))
    fds = _number(_at(stats, "process", "open_fds"))
    max_fds = _number(_at(stats, "process", "max_fds"))
    queue_type = _at(stats, "queue", "type")
    dlq_bytes = _number(_at(stats, "dlq", "bytes"))
    dlq_enabled = _at(stats, "dlq", "enabled") is True
    restarts = _number(_at(stats, "restarts")) or 0
    fd_share = fds / max_fds * 100 if fds is not None and max_fds else None
    return [
        Tile("input_eps", "Input", fmt_rate(_at(stats, "events", "input_eps")), "events/s now"),
        Tile("output_eps", "Output", fmt_rate(_at(stats, "events", "output_eps")), "events/s now"),
        Tile("input_eps_1h", "Input, 1 h", fmt_rate(_at(stats, "events", "input_eps_1h")), "avg/s"),
        Tile(
            "output_eps_1h",
            "Output, 1 h",
            fmt_rate(_at(stats, "events", "output_eps_1h")),
            "avg/s",
        ),
        Tile("events_in", "Events in", fmt_int(_at(stats, "events", "in")), "since start"),
        Tile("events_out", "Events out", fmt_int(_at(stats, "events", "out")), "since start"),
        Tile(
            "queue",
            "Queue",
            fmt_int(_at(stats, "queue", "events")),
            f"events, {queue_type}" if isinstance(queue_type, str) else "events",
        ),
        Tile(
            "dlq",
            "Dead letter queue",
            fmt_bytes(dlq_bytes) if dlq_enabled else "off",
            "on disk" if dlq_enabled else "not enabled",
            "warn" if dlq_enabled and dlq_bytes is not None and dlq_bytes > 1 else "",
        ),
        Tile(
            "heap",
            "JVM heap",
            fmt_percent(heap),
            f"of {fmt_bytes(_at(stats, 'jvm', 'heap_max_bytes'))}",
            "bad" if heap is not None and heap > heap_percent else "",
        ),
        Tile("cpu", "CPU", fmt_percent(_at(stats, "process", "cpu_percent")), "Logstash process"),
        Tile(
            "fds",
            "Open files",
            fmt_int(fds),
            f"of {fmt_int(max_fds)}",
            "warn" if fd_share is not None and fd_share >= FD_WARN_PERCENT else "",
        ),
        Tile(
            "restarts",
            "Restarts seen",
            fmt_int(restarts),
            "since the sidecar started",
            "warn" if restarts else "",
        ),
    ]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

_FILTERS: Mapping[str, Callable[[object], str]] = {
    "num": fmt_int,
    "rate": fmt_rate,
    "percent": fmt_percent,
    "bytes": fmt_bytes,
    "duration": fmt_duration,
    "time": fmt_time,
}


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("status_sidecar", "web/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_FILTERS)
    return env


def _refresh_seconds(stats: Mapping[str, object]) -> float:
    poll = _number(_at(stats, "sidecar", "poll_interval_s"))
    return max(MIN_REFRESH_S, poll or MIN_REFRESH_S)


def render(
    stats: Mapping[str, object],
    version: str,
    access_mode: str = "tokens",
    heap_percent: float = 90.0,
) -> str:
    log_types = _at(stats, "log_types")
    pipelines = _at(stats, "pipelines")
    context: dict[str, Any] = {
        "stats": stats,
        "tiles": kpi_tiles(stats, heap_percent),
        "ranges": RANGE_VIEWS,
        "log_types": log_types if isinstance(log_types, Sequence) else [],
        "pipelines": pipelines if isinstance(pipelines, Sequence) else [],
        "refresh_ms": round(_refresh_seconds(stats) * 1000),
        "asset_version": version,
        "log_line_choices": LOG_LINE_CHOICES,
        "log_lines_default": LOG_LINES_DEFAULT,
        "access_mode": access_mode,
    }
    return _environment().get_template("index.html.j2").render(context)


async def index(request: Request) -> Response:
    sidecar: Sidecar = request.app.state.sidecar
    # The same redacted bytes /api/stats serves: one document, one redaction.
    stats = json.loads((await views.stats_rendered(sidecar)).body)
    body = render(
        stats,
        sidecar.version,
        access_mode=sidecar.access.mode,
        heap_percent=sidecar.settings.heap_percent,
    )
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
    return Response(encode_text(body), media_type="text/html; charset=utf-8", headers=headers)


class _WithHeaders:
    """Adds the security headers to every response of the wrapped ASGI app (static files)."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self._app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._headers]
            await send(message)

        await self._app(scope, receive, send_with_headers)


def routes() -> list[BaseRoute]:
    static = StaticFiles(packages=[("status_sidecar", "web/static")])
    static_headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",  # revalidate (ETag); the URL also carries the version
    }
    return [
        Route("/", index, methods=["GET", "HEAD"], name="dashboard"),
        Mount("/static", app=_WithHeaders(static, static_headers), name="static"),
    ]
