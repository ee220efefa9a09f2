"""The app factory: settings, a clock and an HTTP client in; a Starlette app out.

The lifespan owns the poller task, the health ticker, the sinks and the audit trail and, unless
one was injected, the httpx client. The pieces themselves are put together in :mod:`.wiring`.
Nothing runs at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from . import api, dashboard, metrics
from .catalog import Catalog
from .clock import Clock, SystemClock
from .middleware import Guard
from .settings import Settings
from .sinks.publisher import Publisher
from .wiring import Sidecar, build_access, build_sidecar

log = logging.getLogger("status_sidecar.app")

SHUTDOWN_BUDGET_S = 5.0  # the app's part of the 10 s a SIGTERM allows (server.py)
HEALTH_TICK_S = 1.0


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
    access = build_access(settings)  # an unusable token file stops the start here

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            http = http_client
            if http is None:
                http = await stack.enter_async_context(httpx.AsyncClient())
            webhook_http = None
            if settings.audit_webhook_url or settings.notify_webhook_url:
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
            notifying = None
            if sidecar.notifier is not None:
                notifying = asyncio.create_task(sidecar.notifier.sender.run(), name="notify")
            stop = asyncio.Event()
            task = None
            ticking = None
            if poll:
                task = asyncio.create_task(sidecar.poller.run(settings.poll_interval, stop))
                ticking = asyncio.create_task(_tick_health(sidecar, stop), name="health")
            try:
                yield
            finally:
                stop.set()
                with anyio.move_on_after(SHUTDOWN_BUDGET_S):
                    await _shut_down(task, publishing, publisher)
                    await sidecar.audit.aclose()
                    if sidecar.notifier is not None:
                        await sidecar.notifier.sender.drain(1.0)
                for background in (auditing, ticking, notifying):
                    if background is not None:
                        background.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await background

    app = Starlette(
        routes=[*api.routes(), *metrics.routes(), *dashboard.routes()],
        middleware=[Middleware(Guard)],
        exception_handlers={api.BadParameter: api.bad_parameter},
        lifespan=lifespan,
    )
    # A redirect of /api/health/ would echo the Host header into Location (open redirect).
    app.router.redirect_slashes = False
    return app


async def _tick_health(sidecar: Sidecar, stop: asyncio.Event) -> None:
    """Re-evaluate health between polls: a grace period or an outage that runs out shows at
    once, not at the next poll."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=HEALTH_TICK_S)
        sidecar.evaluate_health(sidecar.clock.now())


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
