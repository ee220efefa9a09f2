"""HTTP routes of the operator API. Handlers only read; the poller is the only writer.

Bounded by construction: ``/api/stats`` and ``/api/history`` are built once per poll and served
as ready bytes; log answers, bundles and hot threads take one of a few heavy slots (429 beyond)
and stream within byte caps; anything that waits on Logstash waits at most its deadline.
"""

from __future__ import annotations

import functools
import os
import platform
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from . import bundle, logwindow, redact, views
from .client import Failure
from .redact import Redactor
from .responses import GuardedStream, SafeJSONResponse, cached, json_error
from .settings import OPTIONS, Settings
from .store import Store
from .text import clip
from .wiring import Sidecar

LOG_LINES_DEFAULT = 1000
LOG_LINES_MAX = 50_000
BUNDLE_LOG_LINES = 5000
BUSY_RETRY_AFTER_S = 5
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
NO_STORE = "no-store"


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
        raise BadParameter(
            f"{name}: {clip(value)!r} is not allowed; use one of {', '.join(allowed)}"
        )
    return value


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Plain ASCII digits only: no sign, space, underscore or other scripts' digits."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if _WHOLE_NUMBER.fullmatch(raw) is None or not low <= int(raw) <= high:
        raise BadParameter(
            f"{name}: {clip(raw)!r} is not allowed; use a whole number from {low} to {high}"
        )
    return int(raw)


def bad_parameter(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, BadParameter) else str(exc)
    return json_error(400, message)


def too_busy(what: str) -> Response:
    return json_error(
        429,
        f"{what}: the sidecar is already serving its limit of heavy requests (logs, support "
        f"bundles, hot threads); try again in {BUSY_RETRY_AFTER_S} s",
        {"Retry-After": str(BUSY_RETRY_AFTER_S)},
    )


# -- health -----------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    result, document = views.current_health(_sidecar(request))
    return SafeJSONResponse(
        document, status_code=result.http_status, headers={"Cache-Control": NO_STORE}
    )


async def healthz(request: Request) -> Response:
    return SafeJSONResponse({"status": "alive"}, headers={"Cache-Control": NO_STORE})


# -- stats and history: built once per poll ----------------------------------------------------


async def stats(request: Request) -> Response:
    rendered = await views.stats_rendered(_sidecar(request))
    return cached(request, rendered, cache_control=NO_STORE, media_type="application/json")


async def history(request: Request) -> Response:
    sidecar = _sidecar(request)
    range_key = _choice(request, "range", tuple(views.HISTORY_RANGES), "1h")
    store = sidecar.store
    now = sidecar.clock.now()
    rendered = await sidecar.renders.get(
        f"history-{range_key}",
        (store.generation, _minute(now)),
        lambda: views.history_snapshot(store, range_key, now),
        views.history_json,
        off_loop=True,
    )
    return cached(request, rendered, cache_control="no-cache", media_type="application/json")


def _minute(now: float) -> int:
    # With no new poll (Logstash away) the window still moves: rebuild at most once a minute.
    return int(now // 60)


# -- logs ---------------------------------------------------------------------------------------


def missing_log_message(settings: Settings) -> str:
    return (
        f"No Logstash log at {settings.log_path}. Start Logstash with "
        f"`--path.logs {settings.log_path.parent}` (file logging) and mount that directory "
        f"into this sidecar read-only (the shared log volume), or set LOGSTASH_LOG_PATH."
    )


def unreadable_log_message(settings: Settings, exc: OSError) -> str:
    if isinstance(exc, logwindow.NotARegularFile):
        return (
            f"cannot serve the log: LOGSTASH_LOG_PATH {exc.path} is {exc.kind}, not a regular "
            "file; point it at Logstash's plain log file (logstash-plain.log)"
        )
    return f"cannot read {settings.log_path}: {exc.strerror or exc}"


def _open_window(
    path: os.PathLike[str], lines: int, limits: logwindow.Limits
) -> tuple[int, logwindow.Window]:
    fd = logwindow.open_regular(path)  # type: ignore[arg-type]
    try:
        return fd, logwindow.find_window(fd, lines, limits)
    except BaseException:
        os.close(fd)
        raise


class _Descriptor:
    """Closes a descriptor once, whoever gets there first."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


async def log_lines(request: Request) -> Response:
    sidecar = _sidecar(request)
    lines = _int_param(request, "lines", LOG_LINES_DEFAULT, 1, LOG_LINES_MAX)
    download = _choice(request, "download", ("true", "false"), "false") == "true"
    heavy = sidecar.heavy
    if not heavy.try_acquire():
        return too_busy("/api/logs")
    limits = sidecar.log_limits
    try:
        fd, window = await anyio.to_thread.run_sync(
            _open_window, sidecar.settings.log_path, lines, limits, limiter=heavy.threads
        )
    except FileNotFoundError:
        heavy.release()
        return json_error(404, missing_log_message(sidecar.settings))
    except OSError as exc:
        heavy.release()
        return json_error(500, unreadable_log_message(sidecar.settings, exc))
    descriptor = _Descriptor(fd)
    headers = {"Cache-Control": NO_STORE, "X-Log-Lines": str(window.lines)}
    if window.truncated:
        headers["X-Log-Truncated"] = ",".join(window.truncated)
    if download:
        name = f"logstash-{_utc_stamp(sidecar.clock.now())}.log"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'

    def close() -> None:
        descriptor.close()
        heavy.release()

    redactor = sidecar.secrets.redactor
    body = _log_stream(descriptor, window, limits, redactor, heavy.threads)
    return GuardedStream(
        body, on_close=close, media_type="text/plain; charset=utf-8", headers=headers
    )


async def _log_stream(
    descriptor: _Descriptor,
    window: logwindow.Window,
    limits: logwindow.Limits,
    redactor: Redactor,
    limiter: anyio.CapacityLimiter,
) -> AsyncIterator[bytes]:
    notice = window.notice(limits)
    if notice:
        yield (notice + "\n").encode()
    assert descriptor.fd is not None
    pieces: Iterator[bytes] = logwindow.batches(logwindow.iter_lines(descriptor.fd, window, limits))

    def next_piece() -> bytes | None:
        piece = next(pieces, None)
        if piece is None:
            return None
        return redactor.text(piece.decode("utf-8", errors="replace")).encode("utf-8")

    while True:
        piece = await anyio.to_thread.run_sync(next_piece, limiter=limiter)
        if piece is None:
            return
        yield piece


# -- hot threads and the support bundle --------------------------------------------------------


async def hot_threads(request: Request) -> Response:
    sidecar = _sidecar(request)
    if not sidecar.heavy.try_acquire():
        return too_busy("/api/hot-threads")
    try:
        result = await sidecar.client.hot_threads()
    finally:
        sidecar.heavy.release()
    if isinstance(result, Failure):
        return json_error(502, f"hot threads unavailable: {result.reason}")
    redactor = sidecar.secrets.redactor
    return PlainTextResponse(redactor.text(result.value), headers={"Cache-Control": NO_STORE})


async def support_bundle(request: Request) -> Response:
    sidecar = _sidecar(request)
    heavy = sidecar.heavy
    if not heavy.try_acquire():
        return too_busy("/api/support-bundle")
    now = sidecar.clock.now()
    redactor = sidecar.secrets.redactor
    name = f"support-bundle-{_utc_stamp(now)}.tar.gz"
    return GuardedStream(
        bundle.stream_bundle(_bundle_parts(sidecar), redactor, now, limiter=heavy.threads),
        on_close=heavy.release,
        media_type="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": NO_STORE,
        },
    )


def _bundle_parts(sidecar: Sidecar) -> list[bundle.Part]:
    store = sidecar.store
    limiter = sidecar.heavy.threads

    def doc(name: str, build: Callable[[], object]) -> bundle.Part:
        async def produce() -> str:
            # Snapshot on the event loop (the poller writes there), serialise off it: a 24 h
            # history is thousands of points and must not stall /api/health.
            value = build()
            return await anyio.to_thread.run_sync(bundle.json_text, value, limiter=limiter)

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
            text, _ = await anyio.to_thread.run_sync(
                logwindow.read_text,
                sidecar.settings.log_path,
                BUNDLE_LOG_LINES,
                sidecar.log_limits,
                limiter=limiter,
            )
        except FileNotFoundError:
            return missing_log_message(sidecar.settings) + "\n"
        except OSError as exc:
            return unreadable_log_message(sidecar.settings, exc) + "\n"
        return text

    parts = [
        doc("stats.json", lambda: views.stats_document(sidecar)),
        doc("health.json", lambda: views.current_health(sidecar)[1]),
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
                "environment": redact.environment_view(
                    sidecar.environ,
                    [option.env for option in OPTIONS.values()],
                    sidecar.secrets.redactor,
                ),
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
    return views.history_json(views.history_snapshot(sidecar.store, range_key, sidecar.clock.now()))


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
