"""`GET /metrics`: the exposition of a snapshot of the live sidecar (read-only)."""

from __future__ import annotations

import copy
import gzip

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .exposition import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    MetricsInput,
    collect,
    render_openmetrics,
    render_text,
    wants_openmetrics,
)
from .responses import encode_text
from .wiring import Sidecar


def metrics_input(sidecar: Sidecar) -> MetricsInput:
    """Copy what the exposition reads out of the live objects, on the event loop."""
    store = sidecar.store
    now = sidecar.clock.now()
    publisher = sidecar.publisher
    health = sidecar.tracker.read(now)
    return MetricsInput(
        now=now,
        sidecar_version=sidecar.version,
        started_at=store.started_at,
        latest=store.latest,
        reachable=store.latest is not None and store.failing_since is None,
        health_status=health.status,
        totals=dict(store.totals),
        restart_count=store.restart_count,
        last_success_at=store.latest_at,
        history_points=len(store.history),
        timings=copy.deepcopy(store.poll_timings),
        log_types=store.log_types.snapshot() if store.log_types else (),
        sinks=publisher.facts() if publisher else (),
    )


GZIP_MIN_BYTES = 4096


async def metrics(request: Request) -> Response:
    sidecar: Sidecar = request.app.state.sidecar
    families = collect(metrics_input(sidecar))
    if wants_openmetrics(request.headers.get("accept", "")):
        body, media_type = render_openmetrics(families), OPENMETRICS_CONTENT_TYPE
    else:
        body, media_type = render_text(families), TEXT_CONTENT_TYPE
    data = encode_text(body)
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    # Prometheus asks for gzip: 500 plugins make a ~470 KB body, ~110 KB gzipped (level 1).
    if len(data) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media_type, headers=headers)


def routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET", "HEAD"])]
