"""``stashkit fleet``: every sidecar's ``/api/stats`` fetched at once, one row each.

:func:`fleet_sidecars` reads who to ask (a targets file ``stashkit discover`` writes, or URLs);
:func:`fetch_fleet` asks all sidecars concurrently (one ``httpx.AsyncClient``, its timeouts
bound each request); a sidecar that does not answer is a row marked ``unreachable``, never an
exception. :func:`parse_stats` reads the stats document tolerantly: a field that is missing
stays ``None`` (shown as ``-``), it is never turned into a zero that looks real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .cloud import describe_error
from .errors import FleetUnhealthy, UsageError
from .inventory import SidecarAddress, read_file_sd
from .sidecar_auth import refused
from .textui import CLEAR_HOME, format_duration, format_number, format_percent, table

__all__ = [
    "FleetMonitor",
    "FleetRow",
    "FleetTotals",
    "fetch_fleet",
    "fleet_json",
    "fleet_sidecars",
    "parse_stats",
    "render_fleet",
    "render_refresh",
    "require_serving",
]

UNREACHABLE = "unreachable"
UNAUTHORIZED = "unauthorized"
SERVING = frozenset({"healthy", "degraded"})


def fleet_sidecars(targets: Path | None, urls: Sequence[str] = ()) -> list[SidecarAddress]:
    """The sidecars of a file_sd ``targets`` file (each URL once), else of ``urls``."""
    if targets is not None:
        first: dict[str, SidecarAddress] = {}
        for sidecar in read_file_sd(targets):
            first.setdefault(sidecar.url, sidecar)
        found = list(first.values())
    else:
        found = [SidecarAddress.from_url(url) for url in urls]
    if not found:
        raise UsageError("no sidecars to ask (the targets file lists none)")
    return found


@dataclass(frozen=True)
class FleetRow:
    name: str
    url: str
    reachable: bool
    health: str
    reasons: tuple[str, ...] = ()
    error: str | None = None
    version: str | None = None
    uptime_s: float | None = None
    input_eps: float | None = None
    output_eps: float | None = None
    queue_events: int | None = None
    heap_percent: float | None = None
    restarts: int | None = None
    failures: int | None = None

    def as_json(self) -> dict[str, object]:
        document = asdict(self)
        document["reasons"] = list(self.reasons)
        return document


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _section(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def parse_stats(sidecar: SidecarAddress, document: Any) -> FleetRow:
    """One row from a sidecar's ``/api/stats`` document (see status_sidecar.views.stats_json)."""
    if not isinstance(document, dict):
        return FleetRow(sidecar.name, sidecar.url, True, "invalid", error="stats not a JSON object")
    health = _section(document, "health")
    logstash = _section(document, "logstash")
    events = _section(document, "events")
    reasons = health.get("reasons")
    log_types = document.get("log_types")
    failures: int | None = None
    if isinstance(log_types, list):
        failed = [_number(row.get("failed")) for row in log_types if isinstance(row, dict)]
        known = [f for f in failed if f is not None]
        failures = round(sum(known)) if known else None
    version = logstash.get("version")
    return FleetRow(
        name=sidecar.name,
        url=sidecar.url,
        reachable=True,
        health=str(health.get("status") or "unknown"),
        reasons=tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
        version=version if isinstance(version, str) else None,
        uptime_s=_number(logstash.get("uptime_s")),
        input_eps=_number(events.get("input_eps")),
        output_eps=_number(events.get("output_eps")),
        queue_events=_integer(_section(document, "queue").get("events")),
        heap_percent=_number(_section(document, "jvm").get("heap_used_percent")),
        restarts=_integer(document.get("restarts")),
        failures=failures,
    )


async def _fetch_one(client: httpx.AsyncClient, sidecar: SidecarAddress) -> FleetRow:
    url = f"{sidecar.url}/api/stats"
    try:
        response = await client.get(url)
        if response.status_code == 401:
            why = refused(sidecar.url, response)
            return FleetRow(sidecar.name, sidecar.url, True, UNAUTHORIZED, error=why)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        why = describe_error(exc) or str(exc)
        return FleetRow(sidecar.name, sidecar.url, False, UNREACHABLE, error=why)
    return parse_stats(sidecar, document)


async def fetch_fleet(
    sidecars: Sequence[SidecarAddress], client: httpx.AsyncClient
) -> list[FleetRow]:
    """Every sidecar's stats, concurrently, in the order given."""
    return list(await asyncio.gather(*(_fetch_one(client, s) for s in sidecars)))


@dataclass(frozen=True)
class FleetTotals:
    instances: int
    by_health: dict[str, int] = field(default_factory=dict)
    input_eps: float = 0.0
    output_eps: float = 0.0
    queue_events: int = 0
    restarts: int = 0
    failures: int = 0
    max_heap_percent: float | None = None

    @classmethod
    def of(cls, rows: Sequence[FleetRow]) -> FleetTotals:
        by_health: dict[str, int] = {}
        for row in rows:
            by_health[row.health] = by_health.get(row.health, 0) + 1
        heaps = [r.heap_percent for r in rows if r.heap_percent is not None]
        return cls(
            instances=len(rows),
            by_health=dict(sorted(by_health.items())),
            input_eps=round(sum(r.input_eps or 0.0 for r in rows), 3),
            output_eps=round(sum(r.output_eps or 0.0 for r in rows), 3),
            queue_events=sum(r.queue_events or 0 for r in rows),
            restarts=sum(r.restarts or 0 for r in rows),
            failures=sum(r.failures or 0 for r in rows),
            max_heap_percent=max(heaps) if heaps else None,
        )

    @property
    def serving(self) -> int:
        """Sidecars that answer ``healthy`` or ``degraded`` (their Logstash takes traffic)."""
        return sum(n for status, n in self.by_health.items() if status in SERVING)

    @property
    def all_serving(self) -> bool:
        return self.instances > 0 and self.serving == self.instances

    def summary(self) -> str:
        return ", ".join(f"{n} {status}" for status, n in self.by_health.items()) or "no sidecars"


def require_serving(rows: Sequence[FleetRow], totals: FleetTotals) -> None:
    """:class:`FleetUnhealthy` unless every sidecar is serving (with the first 401's reason)."""
    if totals.all_serving:
        return
    refused = [r.error for r in rows if r.health == UNAUTHORIZED and r.error]
    more = f" ({refused[0]})" if refused else ""
    raise FleetUnhealthy(f"fleet: {totals.summary()}{more}")


def fleet_json(rows: Sequence[FleetRow], totals: FleetTotals) -> dict[str, object]:
    return {"instances": [r.as_json() for r in rows], "totals": asdict(totals)}


HEADERS = [
    "INSTANCE",
    "HEALTH",
    "VERSION",
    "UPTIME",
    "IN/S",
    "OUT/S",
    "QUEUE",
    "HEAP",
    "RESTARTS",
    "FAILURES",
    "REASONS",
]
_RIGHT = (3, 4, 5, 6, 7, 8, 9)


def render_fleet(rows: Sequence[FleetRow], totals: FleetTotals) -> str:
    """The table: one row per sidecar, reasons last (or the error of an unreachable one)."""
    body = []
    for r in rows:
        reasons = r.error or "; ".join(r.reasons)
        body.append(
            [
                r.name,
                r.health,
                r.version or "-",
                format_duration(r.uptime_s),
                format_number(r.input_eps),
                format_number(r.output_eps),
                format_number(r.queue_events),
                format_percent(r.heap_percent),
                format_number(r.restarts),
                format_number(r.failures),
                reasons,
            ]
        )
    footer = [
        [
            f"TOTAL ({totals.instances})",
            f"{totals.serving}/{totals.instances} ok",
            "",
            "",
            format_number(totals.input_eps),
            format_number(totals.output_eps),
            format_number(totals.queue_events),
            f"max {format_percent(totals.max_heap_percent)}",
            format_number(totals.restarts),
            format_number(totals.failures),
            totals.summary(),
        ]
    ]
    return table(HEADERS, body, right=_RIGHT, footer=footer)


def render_refresh(
    rows: Sequence[FleetRow], totals: FleetTotals, *, as_json: bool, interval: float, now: str
) -> str:
    """One ``--watch`` refresh: a JSON line, or the table redrawn in place."""
    if as_json:
        return json.dumps(fleet_json(rows, totals), sort_keys=True) + "\n"
    footer = f"\nupdated {now}, every {interval:g} s; Ctrl-C quits\n"
    return CLEAR_HOME + render_fleet(rows, totals) + footer


class FleetMonitor:
    """Fetches the fleet once or every ``interval`` seconds (``--watch``).

    ``sidecars`` is called before each fetch, so a targets file that ``stashkit discover``
    rewrites is re-read; ``client_factory`` makes the one AsyncClient used for the whole run.
    """

    def __init__(
        self,
        sidecars: Callable[[], list[SidecarAddress]],
        client_factory: Callable[[], httpx.AsyncClient],
    ) -> None:
        self.sidecars = sidecars
        self.client_factory = client_factory

    def once(self) -> tuple[list[FleetRow], FleetTotals]:
        async def main() -> list[FleetRow]:
            async with self.client_factory() as client:
                return await fetch_fleet(self.sidecars(), client)

        rows = asyncio.run(main())
        return rows, FleetTotals.of(rows)

    def watch(
        self,
        show: Callable[[list[FleetRow], FleetTotals], None],
        *,
        interval: float,
        refreshes: int | None = None,
    ) -> int:
        """Fetch and ``show`` every ``interval`` s until Ctrl-C (or ``refreshes``); returns how
        many refreshes were shown. KeyboardInterrupt ends it quietly."""
        shown = 0

        async def main() -> None:
            nonlocal shown
            async with self.client_factory() as client:
                while True:
                    started = asyncio.get_running_loop().time()
                    rows = await fetch_fleet(self.sidecars(), client)
                    show(rows, FleetTotals.of(rows))
                    shown += 1
                    if refreshes is not None and shown >= refreshes:
                        return
                    elapsed = asyncio.get_running_loop().time() - started
                    await asyncio.sleep(max(interval - elapsed, 0.0))

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
        return shown
