"""The app factory: settings, a clock and an HTTP client in; a Starlette app out.

The lifespan owns the poller task and, unless one was injected, the httpx client.
Nothing runs at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from . import api, dashboard, metrics
from .access import Access, TokenFile, TokenFileError
from .admission import ClientRates, HeavySlots
from .audit import AuditTrail
from .catalog import Catalog, default_catalog
from .client import LogstashClient
from .clock import Clock, SystemClock
from .health import Thresholds
from .middleware import Guard
from .poller import Poller
from .redact import SecretSource
from .settings import Settings
from .sinks.publisher import Publisher, build_publisher
from .status import HealthTracker
from .store import Store
from .webhook import WebhookSender
from .wiring import Sidecar

log = logging.getLogger("status_sidecar.app")

SHUTDOWN_BUDGET_S = 5.0  # the app's part of the 10 s a SIGTERM allows (server.py)


def sidecar_version() -> str:
    try:
        return version("status-sidecar")
    except PackageNotFoundError:
        return "0+unknown"


def thresholds_of(settings: Settings) -> Thresholds:
    """Health sees only its thresholds; each one is the setting of the same name."""
    return Thresholds(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(Thresholds)})


class StartupError(ValueError):
    """A file a setting names cannot be used: one line that says which and why."""


def build_access(settings: Settings) -> Access:
    """Raises StartupError when AUTH_TOKEN_FILE is set but unusable (fail closed, at once)."""
    token_file = None
    if settings.auth_token_file:
        try:
            token_file = TokenFile(Path(settings.auth_token_file))
        except TokenFileError as exc:
            raise StartupError(str(exc)) from None
    return Access(
        token_file,
        allow_anonymous=settings.allow_anonymous,
        metrics_public=settings.metrics_public,
    )


def _read_key(path: str, setting: str) -> bytes:
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise StartupError(f"{setting} {path}: {exc.strerror or exc}") from None
    if len(key) < 16:
        raise StartupError(f"{setting} {path}: the key must be at least 16 bytes")
    return key


def build_audit(settings: Settings, http: httpx.AsyncClient | None) -> AuditTrail:
    webhook = None
    if settings.audit_webhook_url and http is not None:
        key = _read_key(settings.audit_webhook_secret_file, "AUDIT_WEBHOOK_SECRET_FILE")
        webhook = WebhookSender("audit", settings.audit_webhook_url, key, http)
    return AuditTrail(Path(settings.audit_file) if settings.audit_file else None, webhook)


def build_sidecar(
    settings: Settings,
    http: httpx.AsyncClient,
    clock: Clock,
    catalog: Catalog | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    access: Access | None = None,
    webhook_http: httpx.AsyncClient | None = None,
) -> Sidecar:
    thresholds = thresholds_of(settings)
    window = max(settings.stuck_after, settings.failure_window) + 120
    store = Store(
        history_points=settings.history_points, recent_window_s=window, started_at=clock.now()
    )
    client = LogstashClient(
        http, settings.logstash_url, settings.request_timeout, settings.max_response_bytes
    )
    tracker = HealthTracker(store, thresholds)
    tracker.check(clock.now())
    the_catalog = catalog or default_catalog()
    publisher = build_publisher(settings, store, clock, the_catalog)

    the_environ = dict(os.environ if environ is None else environ)
    secrets = SecretSource(
        the_environ,
        env_files=[settings.secrets_env_file],
        token_files=[settings.auth_token_file, settings.audit_webhook_secret_file],
    )

    def after_poll(now: float) -> None:
        # Health is re-evaluated after every poll so transitions are logged as they happen;
        # then the sinks see the new point (history line, publish at once on a restart).
        publisher.on_poll(now, tracker.check(now).status)

    return Sidecar(
        settings=settings,
        store=store,
        tracker=tracker,
        poller=Poller(client, store, clock, after_poll=after_poll),
        client=client,
        catalog=the_catalog,
        clock=clock,
        version=sidecar_version(),
        environ=the_environ,
        publisher=publisher,
        heavy=HeavySlots(settings.heavy_requests_max),
        access=access or build_access(settings),
        rates=ClientRates(settings.heavy_requests_per_minute),
        audit=build_audit(settings, webhook_http),
        secrets=secrets,
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    http_client: httpx.AsyncClient | None = None,
    catalog: Catalog | None = None,
    environ: Mapping[str, str] | None = None,
    poll: bool = True,
) -> Starlette:
    """`poll=False` leaves polling to the caller (tests drive `poller.poll_once()`).

    Raises StartupError when a file a setting names (the token file) cannot be used."""
    the_clock = clock or SystemClock()
    access = build_access(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            http = http_client
            if http is None:
                http = await stack.enter_async_context(httpx.AsyncClient())
            webhook_http = None
            if settings.audit_webhook_url:
                webhook_http = await stack.enter_async_context(httpx.AsyncClient())
            sidecar = build_sidecar(
                settings,
                http,
                the_clock,
                catalog,
                environ,
                access=access,
                webhook_http=webhook_http,
            )
            app.state.sidecar = sidecar
            log.info("%s", access.describe())
            publisher = sidecar.publisher
            assert publisher is not None
            # History first (off the event loop), so polling appends after what was restored.
            await anyio.to_thread.run_sync(publisher.restore, the_clock.now())
            publishing = asyncio.create_task(publisher.run(lambda: metrics.metrics_input(sidecar)))
            auditing = asyncio.create_task(sidecar.audit.run(), name="audit")
            stop = asyncio.Event()
            task = None
            if poll:
                task = asyncio.create_task(sidecar.poller.run(settings.poll_interval, stop))
            try:
                yield
            finally:
                stop.set()
                with anyio.move_on_after(SHUTDOWN_BUDGET_S):
                    await _shut_down(task, publishing, publisher)
                    await sidecar.audit.aclose()
                auditing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await auditing

    app = Starlette(
        routes=[*api.routes(), *metrics.routes(), *dashboard.routes()],
        middleware=[Middleware(Guard)],
        exception_handlers={api.BadParameter: api.bad_parameter},
        lifespan=lifespan,
    )
    # A redirect of /api/health/ would echo the Host header into Location (open redirect).
    app.router.redirect_slashes = False
    return app


async def _shut_down(
    poller: asyncio.Task[None] | None, publishing: asyncio.Task[None], publisher: Publisher
) -> None:
    """Stop polling at once, then let the history file finish its write."""
    publisher.stop()
    if poller is not None:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
    with contextlib.suppress(asyncio.CancelledError):
        await publishing
    await publisher.aclose()
