"""`GET /metrics`: the exposition of a snapshot of the live sidecar (read-only)."""

from __future__ import annotations

import copy

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import api
from .exposition import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    MetricsInput,
    collect,
    render_openmetrics,
    render_text,
    wants_openmetrics,
)


def metrics_input(sidecar: api.Sidecar) -> MetricsInput:
    """Copy what the exposition reads out of the live objects, on the event loop."""
    store = sidecar.store
    now = sidecar.clock.now()
    publisher = sidecar.publisher
    health = sidecar.tracker.check(now)
    return MetricsInput(
        now=now,
        sidecar_version=sidecar.version,
        started_at=store.started_at,
        latest=store.latest,
        reachable=store.latest is not None and store.failing_since is None,
        health_status=health.status,
        totals=dict(store.totals),
        restart_count=store.restart_count,
        last_success_at=sidecar.poller.last_success_at,
        history_points=len(store.history),
        timings=copy.deepcopy(sidecar.poller.timings),
        log_types=publisher.log_type_totals() if publisher else (),
        sinks=publisher.facts() if publisher else (),
    )


async def metrics(request: Request) -> Response:
    sidecar: api.Sidecar = request.app.state.sidecar
    families = collect(metrics_input(sidecar))
    if wants_openmetrics(request.headers.get("accept", "")):
        return Response(render_openmetrics(families), media_type=OPENMETRICS_CONTENT_TYPE)
    return Response(render_text(families), media_type=TEXT_CONTENT_TYPE)


def routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET", "HEAD"])]
