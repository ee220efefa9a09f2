"""HTTP routes of the operator API. Handlers only read; the poller is the only writer."""

from __future__ import annotations

import functools
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from . import bundle, logs, views
from .catalog import Catalog
from .client import Failure, LogstashClient
from .clock import Clock
from .poller import Poller
from .settings import Settings
from .sinks.publisher import Publisher
from .status import HealthTracker
from .store import Store

LOG_LINES_DEFAULT = 1000
LOG_LINES_MAX = 50_000
BUNDLE_LOG_LINES = 5000


@dataclass
class Sidecar:
    """Everything a request handler may read."""

    settings: Settings
    store: Store
    tracker: HealthTracker
    poller: Poller
    client: LogstashClient
    catalog: Catalog
    clock: Clock
    version: str
    environ: Mapping[str, str] = field(default_factory=dict)
    publisher: Publisher | None = None  # metrics sinks and per-log-type carried totals


class BadParameter(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sidecar(request: Request) -> Sidecar:
    sidecar: Sidecar = request.app.state.sidecar
    return sidecar


def _utc_stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%dT%H%M%SZ")


def _choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, default)
    if value not in allowed:
        raise BadParameter(f"{name}: {value!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadParameter(
            f"{name}: {raw!r} is not allowed; use a whole number from {low} to {high}"
        )
    return value


def bad_parameter(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, BadParameter) else str(exc)
    return JSONResponse({"error": message}, status_code=400)


def _health_document(sidecar: Sidecar) -> tuple[dict[str, object], int]:
    now = sidecar.clock.now()
    result = sidecar.tracker.check(now)
    return views.health_json(result, now, sidecar.tracker.last_change), result.http_status


async def health(request: Request) -> Response:
    document, status = _health_document(_sidecar(request))
    return JSONResponse(document, status_code=status, headers={"Cache-Control": "no-store"})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})


def stats_document(sidecar: Sidecar) -> dict[str, object]:
    health_doc, _ = _health_document(sidecar)
    facts = views.SidecarFacts(
        started_at=sidecar.store.started_at,
        last_poll_duration_s=sidecar.poller.last_duration_s,
        version=sidecar.version,
    )
    document = views.stats_json(
        sidecar.store, sidecar.settings, sidecar.catalog, health_doc, facts, sidecar.clock.now()
    )
    if sidecar.publisher is not None:
        document["sinks"] = sidecar.publisher.status_json(views.iso)
    return document


async def stats(request: Request) -> Response:
    return JSONResponse(stats_document(_sidecar(request)))


async def history(request: Request) -> Response:
    sidecar = _sidecar(request)
    range_key = _choice(request, "range", tuple(views.HISTORY_RANGES), "1h")
    return JSONResponse(views.history_json(sidecar.store, range_key, sidecar.clock.now()))


def missing_log_message(settings: Settings) -> str:
    return (
        f"No Logstash log at {settings.log_path}. Start Logstash with "
        f"`--path.logs {settings.log_path.parent}` (file logging) and mount that directory "
        f"into this sidecar read-only (the shared log volume), or set LOGSTASH_LOG_PATH."
    )


async def log_lines(request: Request) -> Response:
    sidecar = _sidecar(request)
    lines = _int_param(request, "lines", LOG_LINES_DEFAULT, 1, LOG_LINES_MAX)
    download = _choice(request, "download", ("true", "false"), "false") == "true"
    path = sidecar.settings.log_path
    try:
        tail = await anyio.to_thread.run_sync(logs.tail_lines, path, lines)
    except FileNotFoundError:
        return JSONResponse({"error": missing_log_message(sidecar.settings)}, status_code=404)
    except OSError as exc:
        return JSONResponse({"error": f"cannot read {path}: {exc.strerror}"}, status_code=500)
    body = "".join(line + "\n" for line in tail)
    headers = {"Cache-Control": "no-store"}
    if download:
        name = f"logstash-{_utc_stamp(sidecar.clock.now())}.log"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return PlainTextResponse(body, headers=headers)


async def hot_threads(request: Request) -> Response:
    result = await _sidecar(request).client.hot_threads()
    if isinstance(result, Failure):
        return JSONResponse({"error": f"hot threads unavailable: {result.reason}"}, status_code=502)
    return PlainTextResponse(result.value)


async def support_bundle(request: Request) -> Response:
    sidecar = _sidecar(request)
    now = sidecar.clock.now()
    redactor = bundle.Redactor(bundle.secret_values(sidecar.environ))
    name = f"support-bundle-{_utc_stamp(now)}.tar.gz"
    return StreamingResponse(
        bundle.stream_bundle(_bundle_parts(sidecar), redactor, now),
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _bundle_parts(sidecar: Sidecar) -> list[bundle.Part]:
    store = sidecar.store

    def doc(name: str, build: Callable[[], object]) -> bundle.Part:
        async def produce() -> str:
            # Snapshot on the event loop (the poller writes there), serialise off it: a 24 h
            # history is thousands of points and must not stall /api/health.
            value = build()
            return await anyio.to_thread.run_sync(bundle.json_text, value)

        return bundle.Part(name, produce)

    async def node_info() -> str:
        result = await sidecar.client.node_info()
        if isinstance(result, Failure):
            return f"node info unavailable: {result.reason}\n"
        return bundle.json_text(result.raw)

    async def hot() -> str:
        result = await sidecar.client.hot_threads()
        return result.reason + "\n" if isinstance(result, Failure) else result.value

    async def log_tail() -> str:
        try:
            tail = await anyio.to_thread.run_sync(
                logs.tail_lines, sidecar.settings.log_path, BUNDLE_LOG_LINES
            )
        except FileNotFoundError:
            return missing_log_message(sidecar.settings) + "\n"
        return "".join(line + "\n" for line in tail)

    parts = [
        doc("stats.json", lambda: stats_document(sidecar)),
        doc("health.json", lambda: _health_document(sidecar)[0]),
        doc("samples.json", lambda: _samples(store)),
        doc("plugin-stats.json", lambda: store.latest_raw),
    ]
    parts += [
        doc(f"history-{key}.json", functools.partial(_history_now, sidecar, key))
        for key in views.HISTORY_RANGES
    ]
    parts += [
        bundle.Part("node-info.json", node_info),
        bundle.Part("hot-threads.txt", hot),
        bundle.Part("logstash.log", log_tail),
        doc(
            "environment.json",
            lambda: {
                "settings": sidecar.settings.public_view(),
                "environment": bundle.redacted_environment(sidecar.environ),
            },
        ),
        doc(
            "versions.json",
            lambda: {
                "status_sidecar": sidecar.version,
                "python": platform.python_version(),
                "platform": platform.platform(),
                "logstash": store.latest.version if store.latest else None,
            },
        ),
    ]
    return parts


def _history_now(sidecar: Sidecar, range_key: str) -> dict[str, object]:
    return views.history_json(sidecar.store, range_key, sidecar.clock.now())


def _samples(store: Store) -> list[dict[str, object]]:
    return [
        {
            "t": views.iso(d.t),
            "interval_s": d.interval_s,
            "restart": d.restart,
            "counters": {"/".join(key): value for key, value in d.counters.items() if value},
        }
        for d in store.recent
    ]


def routes() -> list[Route]:
    return [
        Route("/api/health", health, methods=["GET", "HEAD"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/api/stats", stats),
        Route("/api/history", history),
        Route("/api/logs", log_lines),
        Route("/api/hot-threads", hot_threads),
        Route("/api/support-bundle", support_bundle),
    ]
