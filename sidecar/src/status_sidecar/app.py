"""The app factory: settings, a clock and an HTTP client in; a Starlette app out.

The lifespan owns the poller task and, unless one was injected, the httpx client.
Nothing runs at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import PackageNotFoundError, version

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette

from . import api, dashboard, metrics
from .admission import HeavySlots
from .catalog import Catalog, default_catalog
from .client import LogstashClient
from .clock import Clock, SystemClock
from .health import Thresholds
from .poller import Poller
from .settings import Settings
from .sinks.publisher import Publisher, build_publisher
from .status import HealthTracker
from .store import Store
from .wiring import Sidecar

SHUTDOWN_BUDGET_S = 5.0  # the app's part of the 10 s a SIGTERM allows (server.py)


def sidecar_version() -> str:
    try:
        return version("status-sidecar")
    except PackageNotFoundError:
        return "0+unknown"


def thresholds_of(settings: Settings) -> Thresholds:
    """Health sees only its thresholds; each one is the setting of the same name."""
    return Thresholds(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(Thresholds)})


def build_sidecar(
    settings: Settings,
    http: httpx.AsyncClient,
    clock: Clock,
    catalog: Catalog | None = None,
    environ: Mapping[str, str] | None = None,
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
        environ=dict(os.environ if environ is None else environ),
        publisher=publisher,
        heavy=HeavySlots(settings.heavy_requests_max),
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
    """`poll=False` leaves polling to the caller (tests drive `poller.poll_once()`)."""
    the_clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            http = http_client
            if http is None:
                http = await stack.enter_async_context(httpx.AsyncClient())
            sidecar = build_sidecar(settings, http, the_clock, catalog, environ)
            app.state.sidecar = sidecar
            publisher = sidecar.publisher
            assert publisher is not None
            # History first (off the event loop), so polling appends after what was restored.
            await anyio.to_thread.run_sync(publisher.restore, the_clock.now())
            publishing = asyncio.create_task(publisher.run(lambda: metrics.metrics_input(sidecar)))
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

    app = Starlette(
        routes=[*api.routes(), *metrics.routes(), *dashboard.routes()],
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
