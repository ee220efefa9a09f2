"""End-to-end syslog check (``stashkit verify --send-samples``): send, then watch the sidecars.

1. Read every sidecar's ``/api/stats``: the per-log-type ``received`` counters now (the
   baseline) and which types the deployment forwards (``in_profile``).
2. Send a few shipped samples of each of those types to the syslog endpoint (any
   :class:`~stashkit.replay.Transport`: UDP, TCP or TLS), timestamps refreshed.
3. Poll the sidecars until, for every type, the growth of ``received`` summed over the sidecars
   (each message reaches one instance behind a load balancer) is at least what was sent, or the
   timeout passes. A counter that went down (Logstash restarted) counts from zero again.

The result is one row per type: sent, seen, missing. Other traffic reaching the deployment at
the same time can hide a loss (seen counts every message of that type), never invent one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .cloud import describe_error
from .errors import SidecarRefused, StashkitError
from .inventory import SidecarAddress
from .replay import Message, Replayer, ReplaySummary, Transport, load_samples, sample_types
from .sidecar_auth import refused
from .textui import table

__all__ = [
    "SampleCheck",
    "SampleReport",
    "SidecarStats",
    "TypeCount",
    "render_samples",
    "samples_per_type",
]


@dataclass(frozen=True)
class TypeCount:
    log_type: str
    sent: int
    seen: int

    @property
    def missing(self) -> int:
        return max(self.sent - self.seen, 0)

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.log_type,
            "sent": self.sent,
            "seen": self.seen,
            "missing": self.missing,
        }


@dataclass
class SampleReport:
    rows: list[TypeCount]
    elapsed_s: float
    endpoint: str
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.missing == 0 and r.sent > 0 for r in self.rows)

    def reasons(self) -> str:
        missing = [f"{r.log_type} {r.missing} of {r.sent}" for r in self.rows if r.missing]
        unsent = [f"{r.log_type} none sent" for r in self.rows if r.sent == 0]
        parts = [*self.errors]
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if unsent:
            parts.append(", ".join(unsent))
        return "; ".join(parts) or ("no log type to send" if not self.rows else "")

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "endpoint": self.endpoint,
            "elapsed_s": round(self.elapsed_s, 1),
            "errors": self.errors,
            "log_types": [r.as_json() for r in self.rows],
        }


class SidecarStats:
    """Per-log-type ``received`` and ``in_profile`` from a sidecar's ``/api/stats``."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def read(self, sidecar: SidecarAddress) -> dict[str, tuple[int, bool]]:
        """type -> (received, in_profile); raises :class:`httpx.HTTPError`, ``ValueError``, or
        :class:`SidecarRefused` on a 401."""
        response = self._client.get(sidecar.url.rstrip("/") + "/api/stats")
        if response.status_code == 401:
            raise SidecarRefused(refused(sidecar.url, response))
        response.raise_for_status()
        body: Any = response.json()
        rows = body.get("log_types") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ValueError(f"{sidecar.url}/api/stats has no log_types")
        found: dict[str, tuple[int, bool]] = {}
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("type"), str):
                received = row.get("received")
                count = int(received) if isinstance(received, int | float) else 0
                found[row["type"]] = (count, bool(row.get("in_profile", True)))
        return found


def samples_per_type(log_types: Sequence[str], count: int) -> list[Message]:
    """``count`` shipped samples of each type (cycled when a type has fewer)."""
    messages: list[Message] = []
    for key in log_types:
        pool = load_samples([key])
        messages.extend(pool[i % len(pool)] for i in range(count))
    return messages


class SampleCheck:
    """Send samples of each forwarded log type and wait for the sidecars to count them."""

    def __init__(
        self,
        stats: SidecarStats,
        sidecars: Sequence[SidecarAddress],
        transport: Transport,
        *,
        endpoint: str,
        per_type: int = 3,
        rate: float = 20.0,
        timeout: float = 120.0,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.stats = stats
        self.sidecars = list(sidecars)
        self.transport = transport
        self.endpoint = endpoint
        self.per_type = per_type
        self.rate = rate
        self.timeout = timeout
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.progress = progress

    def _read_all(self, errors: list[str]) -> dict[str, dict[str, tuple[int, bool]]]:
        counts: dict[str, dict[str, tuple[int, bool]]] = {}
        for sidecar in self.sidecars:
            try:
                counts[sidecar.name] = self.stats.read(sidecar)
            except (httpx.HTTPError, ValueError, StashkitError) as exc:
                errors.append(f"sidecar {sidecar.name}: {describe_error(exc)}")
        return counts

    def forwarded_types(self, counts: Mapping[str, Mapping[str, tuple[int, bool]]]) -> list[str]:
        """Types some sidecar reports in its profile and that have shipped samples."""
        wanted = {key for rows in counts.values() for key, (_, on) in rows.items() if on}
        return [key for key in sample_types() if key in wanted]

    def run(self, log_types: Sequence[str] | None = None) -> SampleReport:
        start = self.clock()
        errors: list[str] = []
        baseline = self._read_all(errors)
        if not baseline:
            return SampleReport([], self.clock() - start, self.endpoint, errors)
        types = list(log_types) if log_types else self.forwarded_types(baseline)
        if not types:
            return SampleReport([], self.clock() - start, self.endpoint, errors)
        self.progress(f"verify: sending {self.per_type} sample(s) of {len(types)} log type(s)")
        summary = self._send(types)
        errors.extend(dict.fromkeys(summary.errors))  # each distinct send error once
        sent = {key: summary.sent.get(key, 0) for key in types}
        while True:
            round_errors: list[str] = []
            now_counts = self._read_all(round_errors)
            seen = _growth(baseline, now_counts, types)
            rows = [TypeCount(key, sent[key], seen[key]) for key in types]
            elapsed = self.clock() - start
            done = all(r.missing == 0 for r in rows)
            if done or elapsed + self.interval > self.timeout:
                return SampleReport(rows, elapsed, self.endpoint, errors + round_errors)
            waiting = ", ".join(f"{r.log_type} {r.seen}/{r.sent}" for r in rows if r.missing)
            self.progress(f"verify: waiting for the sidecars to count ({elapsed:.0f} s): {waiting}")
            self.sleep(self.interval)

    def _send(self, types: Sequence[str]) -> ReplaySummary:
        replayer = Replayer(self.transport, rate=self.rate, clock=self.clock, sleep=self.sleep)
        return replayer.run(samples_per_type(types, self.per_type))


def _growth(
    before: Mapping[str, Mapping[str, tuple[int, bool]]],
    after: Mapping[str, Mapping[str, tuple[int, bool]]],
    types: Sequence[str],
) -> dict[str, int]:
    grown = dict.fromkeys(types, 0)
    for sidecar, rows in after.items():
        base = before.get(sidecar, {})
        for key in types:
            now = rows.get(key, (0, True))[0]
            then = base.get(key, (0, True))[0]
            grown[key] += now - then if now >= then else now  # went down: Logstash restarted
    return grown


def render_samples(report: SampleReport) -> str:
    rows = [
        [r.log_type, str(r.sent), str(r.seen), str(r.missing) if r.missing else "-"]
        for r in report.rows
    ]
    text = table(["LOG TYPE", "SENT", "SEEN", "MISSING"], rows, right=[1, 2, 3])
    verdict = "every sample counted" if report.ok else f"NOT all counted: {report.reasons()}"
    return text + f"\nsamples to {report.endpoint}: {verdict} ({report.elapsed_s:.0f} s)\n"
