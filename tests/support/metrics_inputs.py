"""What /metrics renders from, built for a test: a sidecar that has reported nothing yet,
unless the test says otherwise (`overrides` replace any field of MetricsInput)."""

from __future__ import annotations

from typing import Any

from status_sidecar.exposition import MetricsInput
from status_sidecar.store import PollTimings


def metrics_input(**overrides: Any) -> MetricsInput:
    fields: dict[str, Any] = {
        "now": 1.0,
        "sidecar_version": "1",
        "started_at": 0.0,
        "latest": None,
        "reachable": False,
        "health_status": "healthy",
        "totals": {},
        "restart_count": 0,
        "last_success_at": None,
        "history_points": 0,
        "timings": PollTimings(),
    }
    return MetricsInput(**(fields | overrides))
