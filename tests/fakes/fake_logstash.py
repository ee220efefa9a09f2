"""A fake Logstash monitoring API (port 9600) for the tests and for `make demo`.

The responses are shaped on real captures (../shared/fixtures/logstash/ beside the repository):
the identity block, `/_node/stats` with jvm/process/events/flow/pipelines, `/_node`,
`/_node/hot_threads` and `/_health_report` (8.16+). Nothing here is copied from those files;
the numbers are generated.

Counters are pure functions of an injectable clock, so a test that advances the clock by hand
gets exactly reproducible, monotonic counters:

    clock = ManualClock(1_700_000_000.0)
    fake = FakeLogstash(clock=clock)
    first = fake.node_stats()
    clock.advance(10)
    assert fake.node_stats()["events"]["in"] > first["events"]["in"]

Modes (`fake.mode = "..."`, or `POST /_fake/mode {"mode": "...", ...knobs}`):

    healthy          counters advance with time (the default).
    restart          one-shot: process restart (new ephemeral ids, uptime and counters from ~0),
                     then the mode is `healthy` again. Same as `fake.restart()`.
    http500          every API route answers 500 with a JSON error body.
    garbage          every API route answers 200 with an HTML page (a proxy error page).
    truncated        every API route answers 200 with the JSON body cut in half.
    shape_change     200 with valid JSON but fields missing, renamed, null or strings
                     ("Infinity"/"undefined"), like a startup or a newer Logstash.
    startup          a process restart that stays in the loading phase: status yellow (8.16+),
                     no pipeline hash/ephemeral_id, queue `{type}` only, `reloads: null`,
                     zero events. Leaving the mode starts the pipelines (counters from 0).
    slow             every API route waits `slow_seconds` (default 30) before answering.
    stuck            inputs keep counting, filters/outputs freeze, worker_utilization 100,
                     queue_backpressure ~1; after 1 min the health report turns yellow, after
                     5 min red ("5m-blocked"), on 8.16+.
    red              the `main` pipeline terminated: its counters freeze, status red (8.16+)
                     and a red `/_health_report` (TERMINATED). Before 8.16 `status` stays
                     "green" like real Logstash. Leaving the mode restarts the pipeline
                     (new pipeline ephemeral id, pipeline counters from 0).
    failing_outputs  the http (Splunk HEC) outputs report a growing plugin-level `failures`
                     counter and the main pipeline's dead letter queue grows (8.x+).
    heap_high        jvm.mem.heap_used_percent is 95 and old-gen GCs become frequent.
    down             every API route answers 503 with an empty body. For a real "connection
                     refused", stop the listener instead: `FakeLogstashServer.stop()`/`start()`.

`/_fake/*` control routes answer in every mode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import json
import math
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.clocks import ManualClock

JSONDict = dict[str, Any]
Clock = Callable[[], float]

MODES: Final[frozenset[str]] = frozenset(
    {
        "healthy",
        "restart",
        "http500",
        "garbage",
        "truncated",
        "shape_change",
        "startup",
        "slow",
        "stuck",
        "red",
        "failing_outputs",
        "heap_high",
        "down",
    }
)
#: Modes that change the HTTP answer itself rather than the content of a valid answer.
TRANSPORT_MODES: Final[frozenset[str]] = frozenset(
    {"http500", "garbage", "truncated", "slow", "down"}
)

#: Flow windows (name, seconds). "current" is about the last 10 s in Logstash.
FLOW_WINDOWS: Final[tuple[tuple[str, float], ...]] = (
    ("last_1_minute", 60.0),
    ("last_5_minutes", 300.0),
    ("last_15_minutes", 900.0),
    ("last_1_hour", 3600.0),
    ("last_24_hours", 86400.0),
)
CURRENT_WINDOW_S: Final[float] = 10.0

DEFAULT_VERSION: Final[str] = "8.19.3"
SPLUNK_HEC_URL: Final[str] = "https://splunk-hec.internal:8088/services/collector/event"


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------


def parse_version(version: str) -> tuple[int, int, int]:
    """'8.19.3' -> (8, 19, 3); tolerant of suffixes like '9.0.0-SNAPSHOT'."""
    parts: list[int] = []
    for raw in version.split(".")[:3]:
        digits = ""
        for ch in raw:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits or "0"))
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True)
class VersionTraits:
    """What a given Logstash version puts in its responses (see FIELDS.md)."""

    version: str
    family: str
    flow: bool  # node/pipeline flow, 8.5+
    pq_flow: bool  # queue_persisted_growth_*, 8.6+
    plugin_flow: bool  # plugin throughput / worker_utilization, 8.7+
    pipeline_worker_utilization: bool  # 8.13+
    health: bool  # /_health_report and a computed `status`, 8.16+
    pipeline_settings_block: bool  # pipelines.<id>.pipeline{workers,...}, 8.18+
    dlq_block: bool  # this fake shows dead_letter_queue from 8.0
    dlq_extended: bool  # max_queue_size/storage_policy/dropped/last_error, 8.3+
    dlq_expired: bool  # expired_events, 8.4+
    batch_metrics: bool  # pipelines.<id>.batch, 9.2+
    config_reload_in_node_info: bool  # gone in 9.x
    jvm_version: str
    gc_collectors: tuple[str, ...]

    @classmethod
    def for_version(cls, version: str) -> VersionTraits:
        v = parse_version(version)
        g1 = ("G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation")
        gcs: tuple[str, ...]
        if v[0] <= 7:
            jvm, gcs = "11.0.26", ("ParNew", "ConcurrentMarkSweep")
        elif v[0] == 8:
            jvm, gcs = "21.0.7", g1
        else:
            jvm, gcs = "21.0.10", g1
        return cls(
            version=version,
            family=str(v[0]),
            flow=v >= (8, 5, 0),
            pq_flow=v >= (8, 6, 0),
            plugin_flow=v >= (8, 7, 0),
            pipeline_worker_utilization=v >= (8, 13, 0),
            health=v >= (8, 16, 0),
            pipeline_settings_block=v >= (8, 18, 0),
            dlq_block=v >= (8, 0, 0),
            dlq_extended=v >= (8, 3, 0),
            dlq_expired=v >= (8, 4, 0),
            batch_metrics=v >= (9, 2, 0),
            config_reload_in_node_info=v[0] < 9,
            jvm_version=jvm,
            gc_collectors=gcs,
        )


# --------------------------------------------------------------------------------------------
# Pipeline model
# --------------------------------------------------------------------------------------------

PluginKind = Literal["input", "filter", "output"]


@dataclass(frozen=True)
class PluginSpec:
    """One plugin. Shares are fractions of the pipeline's event flow.

    inputs: `out_share` of the events entering the pipeline (input shares sum to 1).
    filters: `in_share` of the events reaching the filter stage reach it, `out_share` leave it
    (a drop filter has out_share 0). outputs: `in_share` of the events (output shares sum to
    the pipeline's pass share; each event goes to exactly one output).
    """

    kind: PluginKind
    id: str
    name: str
    in_share: float
    out_share: float
    cost_ms: float = 0.0
    extra: str = ""  # "grok" / "date": adds matches/failures; "http": may add failures


def _hex_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _det_uuid(*parts: str) -> str:
    return str(uuid.UUID(_hex_id(*parts)[:32]))


# Aviatrix gateway log types → (share of events, grok/type filters, output suffix).
# Shares sum to 1.0. Suricata and unclassified events are partly dropped by filters.
_AVIATRIX_TYPES: Final[tuple[tuple[str, float, tuple[tuple[str, str], ...], str | None], ...]] = (
    ("microseg", 0.30, (("microseg", "grok"), ("microseg-field-conversion", "mutate")), "microseg"),
    ("mitm", 0.04, (("mitm", "grok"), ("mitm-json", "json")), "mitm"),
    ("suricata", 0.20, (("suricata", "grok"), ("suricata-data", "json")), "suricata"),
    ("fqdn", 0.14, (("fqdn", "grok"),), "fqdn"),
    ("cmd", 0.02, (("cmd-v1", "grok"),), "cmd"),
    ("gw_net_stats", 0.10, (("gw_net_stats", "grok"),), "gw-net-stats"),
    ("gw_sys_stats", 0.10, (("gw_sys_stats", "grok"),), "gw-sys-stats"),
    ("tunnel_status", 0.04, (("tunnel_status", "grok"),), "tunnel-status"),
    ("vpn-session", 0.02, (("vpn-session", "grok"),), "vpn-session"),
    ("unclassified", 0.04, (), None),
)
_SURICATA_NON_JSON_DROP: Final[float] = 0.01
_SURICATA_STATS_DROP: Final[float] = 0.05
_FILTER_COST_MS: Final[dict[str, float]] = {
    "grok": 0.06,
    "mutate": 0.01,
    "json": 0.04,
    "drop": 0.002,
    "date": 0.02,
    "ruby": 0.03,
}
_HTTP_OUTPUT_COST_MS: Final[float] = 2.0


def aviatrix_main_plugins(
    pipeline_id: str = "main", output_prefix: str = "splunk-", plugin_count: int = 0
) -> list[PluginSpec]:
    """The plugins of an Aviatrix → Splunk HEC pipeline, padded with auto-id filters so that
    inputs+filters+outputs reaches `plugin_count` (when larger than the natural count)."""
    plugins: list[PluginSpec] = [
        PluginSpec("input", "udp-5000", "udp", 0.0, 0.7),
        PluginSpec("input", "tcp-5000", "tcp", 0.0, 0.3),
        # The syslog-header grok that every event goes through has no `id =>`: an auto id.
        PluginSpec(
            "filter",
            _hex_id(pipeline_id, "filter", "grok", "syslog-header"),
            "grok",
            1.0,
            1.0,
            _FILTER_COST_MS["grok"],
            "grok",
        ),
    ]
    outputs: list[PluginSpec] = []
    pass_share = 0.0
    for type_name, share, filters, out_suffix in _AVIATRIX_TYPES:
        for fid, fname in filters:
            plugins.append(
                PluginSpec("filter", fid, fname, share, share, _FILTER_COST_MS[fname], fname)
            )
        if type_name == "suricata":
            plugins.append(
                PluginSpec(
                    "filter",
                    "suricata-non-json-drop",
                    "drop",
                    _SURICATA_NON_JSON_DROP,
                    0.0,
                    _FILTER_COST_MS["drop"],
                )
            )
            plugins.append(
                PluginSpec(
                    "filter",
                    "suricata-stats-drop",
                    "drop",
                    _SURICATA_STATS_DROP,
                    0.0,
                    _FILTER_COST_MS["drop"],
                )
            )
            share = share - _SURICATA_NON_JSON_DROP - _SURICATA_STATS_DROP
        if type_name == "unclassified":
            plugins.append(
                PluginSpec("filter", "unclassified", "drop", share, 0.0, _FILTER_COST_MS["drop"])
            )
            continue
        assert out_suffix is not None
        pass_share += share
        outputs.append(
            PluginSpec(
                "output",
                f"{output_prefix}{out_suffix}",
                "http",
                share,
                share,
                _HTTP_OUTPUT_COST_MS,
                "http",
            )
        )
    pass_share = round(pass_share, 6)
    plugins.append(
        PluginSpec("filter", "date-to-timestamp", "date", pass_share, pass_share, 0.02, "date")
    )
    plugins.append(PluginSpec("filter", "add-unix-time", "ruby", pass_share, pass_share, 0.03))
    natural = len(plugins) + len(outputs)
    for i in range(max(0, plugin_count - natural)):
        plugins.append(
            PluginSpec(
                "filter",
                _hex_id(pipeline_id, "filter", "mutate", str(i)),
                "mutate",
                pass_share,
                pass_share,
                0.001,
            )
        )
    return plugins + outputs


def audit_plugins(pipeline_id: str, output_prefix: str) -> list[PluginSpec]:
    return [
        PluginSpec("input", "beats-5044", "beats", 0.0, 1.0),
        PluginSpec(
            "filter",
            _hex_id(pipeline_id, "filter", "mutate", "audit"),
            "mutate",
            1.0,
            1.0,
            0.01,
        ),
        PluginSpec("filter", f"{pipeline_id}-date", "date", 1.0, 1.0, 0.02, "date"),
        PluginSpec(
            "output",
            f"{output_prefix}{pipeline_id}",
            "http",
            1.0,
            1.0,
            _HTTP_OUTPUT_COST_MS,
            "http",
        ),
    ]


def monitoring_plugins(pipeline_id: str) -> list[PluginSpec]:
    return [
        PluginSpec("input", _hex_id(pipeline_id, "input", "metrics"), "", 0.0, 1.0),
        PluginSpec(
            "output", _hex_id(pipeline_id, "output", "elasticsearch_monitoring"), "", 1.0, 1.0, 0.5
        ),
    ]


@dataclass
class _PipelineState:
    pid: str
    plugins: list[PluginSpec]
    rate_factor: float
    workers: int
    batch_size: int
    batch_delay: int
    queue_type: Literal["memory", "persisted"]
    dlq_enabled: bool
    system: bool
    config_hash: str
    ephemeral_id: str
    origin: float
    rate: float = 0.0
    # piecewise-linear event clock: (start time, events at start, events/s); see FakeLogstash._ev
    segments: list[tuple[float, float, float]] = field(default_factory=list)
    lag_f: float = 1.0
    lag_o: float = 2.0
    stuck_since: float | None = None
    stuck_accum_s: float = 0.0  # blocked seconds from earlier stuck periods
    frozen_at: float | None = None
    fail_since: float | None = None
    fail_ev_accum: float = 0.0
    reports_failures: bool = False  # an output has reported `failures` since (re)start
    reload_successes: int = 0
    reload_failures: int = 0
    last_success_ts: str | None = None
    last_failure_ts: str | None = None
    last_error: JSONDict | None = None
    codecs: list[tuple[str, str]] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    """Events counted by hand through each plugin id (:meth:`FakeLogstash.add_events`)."""

    @property
    def inputs(self) -> list[PluginSpec]:
        return [p for p in self.plugins if p.kind == "input"]

    @property
    def filters(self) -> list[PluginSpec]:
        return [p for p in self.plugins if p.kind == "filter"]

    @property
    def outputs(self) -> list[PluginSpec]:
        return [p for p in self.plugins if p.kind == "output"]


@dataclass
class _Counts:
    """Every counter of one pipeline at one instant."""

    events_in: int = 0
    filtered: int = 0
    out: int = 0
    duration_ms: int = 0
    push_ms: int = 0
    plugin_in: dict[str, int] = field(default_factory=dict)
    plugin_out: dict[str, int] = field(default_factory=dict)
    plugin_ms: dict[str, int] = field(default_factory=dict)
    plugin_push_ms: dict[str, int] = field(default_factory=dict)
    plugin_failures: dict[str, int] = field(default_factory=dict)
    dlq_events: int = 0


def _plugin_out(pid: str) -> Callable[[_Counts], int]:
    return lambda k: k.plugin_out[pid]


def _plugin_ms(pid: str) -> Callable[[_Counts], int]:
    return lambda k: k.plugin_ms[pid]


def _sig4(x: float) -> float:
    """Round like Logstash flow metrics (about 4 significant digits)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return round(x, 3 - math.floor(math.log10(abs(x))))


def _iso_nanos(t: float) -> str:
    dt = datetime.fromtimestamp(t, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int((t % 1) * 1e9):09d}Z"


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeLogstash:
    """State of one fake Logstash process. Thread-safe; every response is built on demand."""

    def __init__(
        self,
        *,
        mode: str = "healthy",
        version: str = DEFAULT_VERSION,
        pipelines: int = 1,
        event_rate: float = 120.0,
        plugin_count: int = 0,
        output_prefix: str = "splunk-",
        monitoring_pipeline: bool = False,
        dlq_enabled: bool = True,
        workers: int = 4,
        batch_size: int = 125,
        batch_delay: int = 50,
        slow_seconds: float = 30.0,
        started_seconds_ago: float = 0.0,
        clock: Clock = time.time,
        host: str = "logstash-7f9c6d5b8-x2k4q",
        node_id: str | None = None,
        http_address: str = "0.0.0.0:9600",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {sorted(MODES)}")
        if pipelines < 1:
            raise ValueError("pipelines must be >= 1")
        if event_rate < 0:
            raise ValueError("event_rate must be >= 0")
        self._lock = threading.RLock()
        self.clock: Clock = clock
        self.host = host
        self.node_id = node_id or _det_uuid("node", host)
        self.http_address = http_address
        self.slow_seconds = float(slow_seconds)
        self.workers = workers
        self.batch_size = batch_size
        self.batch_delay = batch_delay
        self.dlq_enabled = dlq_enabled
        self._version = version
        self.traits = VersionTraits.for_version(version)
        self._pipelines_n = pipelines
        self._event_rate = float(event_rate)
        self._plugin_count = plugin_count
        self._output_prefix = output_prefix
        self._monitoring = monitoring_pipeline
        now = self.clock()
        self.start_time = now - started_seconds_ago
        self.ephemeral_id = str(uuid.uuid4())
        self.restarts = 0
        self._mode = "healthy"
        self._startup = False
        self._heap_high_since: float | None = None
        self._heap_high_accum = 0.0
        self._stuck_busy_accum = 0.0
        self._retired: dict[str, int] = {"in": 0, "filtered": 0, "out": 0, "ms": 0, "push": 0}
        self._pipelines: dict[str, _PipelineState] = {}
        self._build_pipelines(self.start_time)
        self.mode = mode

    # ---- knobs -------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    @property
    def version_family(self) -> str:
        return self.traits.family

    @property
    def event_rate(self) -> float:
        return self._event_rate

    @event_rate.setter
    def event_rate(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("event_rate must be >= 0")
        with self._lock:
            now = self.clock()
            for p in self._pipelines.values():
                start = max(now, p.origin)
                p.rate = rate * p.rate_factor
                p.segments.append((start, self._ev_raw(p, start), p.rate))
            self._event_rate = float(rate)

    @property
    def pipeline_ids(self) -> list[str]:
        with self._lock:
            return list(self._pipelines)

    def plugin_ids(self, pipeline_id: str = "main") -> list[str]:
        with self._lock:
            return [p.id for p in self._pipelines[pipeline_id].plugins]

    def configure(
        self,
        *,
        version: str | None = None,
        pipelines: int | None = None,
        plugin_count: int | None = None,
        output_prefix: str | None = None,
        monitoring_pipeline: bool | None = None,
    ) -> None:
        """Change the shape. Like redeploying Logstash, this restarts the process."""
        with self._lock:
            if version is not None:
                self._version = version
                self.traits = VersionTraits.for_version(version)
            if pipelines is not None:
                if pipelines < 1:
                    raise ValueError("pipelines must be >= 1")
                self._pipelines_n = pipelines
            if plugin_count is not None:
                self._plugin_count = plugin_count
            if output_prefix is not None:
                self._output_prefix = output_prefix
            if monitoring_pipeline is not None:
                self._monitoring = monitoring_pipeline
            self.restart()

    # ---- modes -------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {sorted(MODES)}")
        with self._lock:
            now = self.clock()
            old = self._mode
            main = self._pipelines.get("main")
            # leave the old mode
            if old == "stuck" and mode != "stuck":
                for p in self._pipelines.values():
                    if p.stuck_since is not None:
                        p.stuck_accum_s += max(0.0, now - p.stuck_since)
                        if p.pid == "main":
                            self._stuck_busy_accum += max(0.0, now - p.stuck_since)
                    p.stuck_since = None
            if old == "red" and mode != "red" and main is not None:
                self._restart_pipeline(main, now, reload=False)
                main.frozen_at = None
            if old == "failing_outputs" and mode != "failing_outputs" and main is not None:
                if main.fail_since is not None:
                    main.fail_ev_accum += max(
                        0.0, self._ev_raw(main, now) - self._ev_raw(main, main.fail_since)
                    )
                main.fail_since = None
            if old == "heap_high" and mode != "heap_high" and self._heap_high_since is not None:
                self._heap_high_accum += max(0.0, now - self._heap_high_since)
                self._heap_high_since = None
            if old == "startup" and mode != "startup":
                self._finish_startup(now)
            # enter the new mode
            if mode == "restart":
                self.restart()
                self._mode = "healthy"
                return
            if mode == "startup":
                self.restart()
                self._startup = True
            elif mode == "stuck" and old != "stuck":
                for p in self._pipelines.values():
                    if not p.system:
                        p.stuck_since = now
            elif mode == "red" and old != "red" and main is not None:
                main.frozen_at = now
            elif mode == "failing_outputs" and old != "failing_outputs" and main is not None:
                main.fail_since = now
                main.reports_failures = True
            elif mode == "heap_high" and old != "heap_high":
                self._heap_high_since = now
            self._mode = mode

    def restart(self) -> None:
        """Simulate a Logstash process restart: new node and pipeline ephemeral ids,
        uptime and every counter start again from zero."""
        with self._lock:
            now = self.clock()
            self.start_time = now
            self.ephemeral_id = str(uuid.uuid4())
            self.restarts += 1
            self._startup = False
            self._heap_high_since = now if self._mode == "heap_high" else None
            self._heap_high_accum = 0.0
            self._stuck_busy_accum = 0.0
            self._retired = {"in": 0, "filtered": 0, "out": 0, "ms": 0, "push": 0}
            self._build_pipelines(now)
            main = self._pipelines.get("main")
            if main is not None:
                if self._mode == "stuck":
                    for p in self._pipelines.values():
                        if not p.system:
                            p.stuck_since = now
                if self._mode == "red":
                    main.frozen_at = now
                if self._mode == "failing_outputs":
                    main.fail_since = now
                    main.reports_failures = True

    def reload_pipeline(self, pipeline_id: str = "main", *, config_changed: bool = True) -> None:
        """Simulate a successful config reload of one pipeline: new pipeline ephemeral id (and
        hash if the config changed), pipeline counters from 0, `reloads.successes` + 1.
        Node-level events keep counting."""
        with self._lock:
            now = self.clock()
            p = self._pipelines[pipeline_id]
            self._restart_pipeline(p, now, reload=True)
            if config_changed:
                p.config_hash = _hex_id(p.pid, "config", str(p.reload_successes))

    def _restart_pipeline(self, p: _PipelineState, now: float, *, reload: bool) -> None:
        c = self._counts(p, now)
        self._retired["in"] += c.events_in
        self._retired["filtered"] += c.filtered
        self._retired["out"] += c.out
        self._retired["ms"] += c.duration_ms
        self._retired["push"] += c.push_ms
        if p.pid == "main" and p.stuck_since is not None:
            self._stuck_busy_accum += max(0.0, now - p.stuck_since)
        p.ephemeral_id = str(uuid.uuid4())
        p.origin = now
        p.segments = [(now, 0.0, p.rate)]
        p.added = {}
        if p.frozen_at is not None:
            p.frozen_at = now
        p.stuck_since = now if p.stuck_since is not None else None
        p.stuck_accum_s = 0.0
        p.fail_ev_accum = 0.0
        p.fail_since = now if p.fail_since is not None else None
        p.reports_failures = p.fail_since is not None
        if reload:
            p.reload_successes += 1
            p.last_success_ts = _iso_nanos(now)

    def _finish_startup(self, now: float) -> None:
        self._startup = False
        for p in self._pipelines.values():
            p.origin = now
            p.segments = [(now, 0.0, p.rate)]

    def _build_pipelines(self, now: float) -> None:
        specs: list[tuple[str, list[PluginSpec], float, Literal["memory", "persisted"], bool]] = []
        specs.append(
            (
                "main",
                aviatrix_main_plugins("main", self._output_prefix, self._plugin_count),
                1.0,
                "memory",
                self.dlq_enabled,
            )
        )
        for i in range(1, self._pipelines_n):
            pid = "audit" if i == 1 else f"pipeline-{i + 1}"
            specs.append(
                (
                    pid,
                    audit_plugins(pid, self._output_prefix),
                    0.08 if i == 1 else 0.05,
                    "persisted",
                    False,
                )
            )
        pipelines: dict[str, _PipelineState] = {}
        for pid, plugins, factor, qtype, dlq in specs:
            rate = self._event_rate * factor
            codecs = [
                (f"plain_{_det_uuid(pid, 'codec', str(i))}", "plain")
                for i, p in enumerate(plugins)
                if p.kind == "input"
            ] + [(f"json_{_det_uuid(pid, 'codec', 'json')}", "json")]
            pipelines[pid] = _PipelineState(
                pid=pid,
                plugins=plugins,
                rate_factor=factor,
                workers=self.workers if pid == "main" else 1,
                batch_size=self.batch_size,
                batch_delay=self.batch_delay,
                queue_type=qtype,
                dlq_enabled=dlq,
                system=False,
                config_hash=_hex_id(pid, "config", "0"),
                ephemeral_id=str(uuid.uuid4()),
                origin=now,
                rate=rate,
                segments=[(now, 0.0, rate)],
                lag_f=max(1.0, self._event_rate * factor * 0.25),
                lag_o=max(2.0, self._event_rate * factor * 0.5),
                codecs=codecs,
            )
        if self._monitoring:
            pid = ".monitoring-logstash"
            pipelines[pid] = _PipelineState(
                pid=pid,
                plugins=monitoring_plugins(pid),
                rate_factor=0.0,
                workers=1,
                batch_size=2,
                batch_delay=50,
                queue_type="memory",
                dlq_enabled=False,
                system=True,
                config_hash=_hex_id(pid, "config"),
                ephemeral_id=str(uuid.uuid4()),
                origin=now,
                segments=[(now, 0.0, 0.0)],
            )
        self._pipelines = pipelines

    # ---- counter model -------------------------------------------------------------------------

    def _ev(self, p: _PipelineState, t: float) -> float:
        """The pipeline's event clock: how many events entered it by time t."""
        if self._startup:
            return 0.0
        return self._ev_raw(p, t)

    @staticmethod
    def _ev_raw(p: _PipelineState, t: float) -> float:
        if t <= p.origin or not p.segments:
            return 0.0
        for start, ev0, rate in reversed(p.segments):
            if t >= start:
                return ev0 + rate * (t - start)
        return 0.0

    def _counts(self, p: _PipelineState, t: float) -> _Counts:
        if p.frozen_at is not None:
            t = min(t, p.frozen_at)
        t = max(t, 0.0)
        v_in = self._ev(p, t)
        t_work = t if p.stuck_since is None else min(t, p.stuck_since)
        v_work = self._ev(p, t_work)
        v_f = max(0.0, v_work - p.lag_f)
        v_o = max(0.0, v_work - p.lag_o)
        stuck_s = p.stuck_accum_s
        if p.stuck_since is not None and not self._startup:
            stuck_s += max(0.0, t - p.stuck_since)
        fail_ev = p.fail_ev_accum
        if p.fail_since is not None and t > p.fail_since:
            fail_ev += max(0.0, self._ev(p, t) - self._ev(p, p.fail_since))
        c = _Counts()
        inputs = p.inputs
        outputs = p.outputs
        out_share_total = sum(o.in_share for o in outputs) or 1.0
        for i in inputs:
            n = math.floor(i.out_share * v_in)
            c.plugin_out[i.id] = n
            # time spent pushing into the queue; blocked inputs when the pipeline is stuck
            push = math.floor(n * 0.004 + stuck_s * 1000.0 * i.out_share)
            c.plugin_push_ms[i.id] = push
            c.events_in += n
            c.push_ms += push
        for f in p.filters:
            n_in = math.floor(f.in_share * v_f)
            c.plugin_in[f.id] = n_in
            c.plugin_out[f.id] = math.floor(f.out_share * v_f)
            ms = math.floor(f.cost_ms * f.in_share * v_f)
            c.plugin_ms[f.id] = ms
            c.duration_ms += ms
        for o in outputs:
            n = math.floor(o.in_share * v_o)
            c.plugin_in[o.id] = n
            c.plugin_out[o.id] = n
            c.filtered += math.floor(o.in_share * v_f)
            c.out += n
            ms = math.floor(
                o.cost_ms * o.in_share * v_o
                + stuck_s * 1000.0 * p.workers * o.in_share / out_share_total
            )
            c.plugin_ms[o.id] = ms
            c.duration_ms += ms
            if o.extra == "http" and p.reports_failures:
                fails = math.floor(0.2 * o.in_share * fail_ev)
                c.plugin_failures[o.id] = fails
                c.dlq_events += fails
        self._add_counted(p, c)
        return c

    @staticmethod
    def _add_counted(p: _PipelineState, c: _Counts) -> None:
        """Events added by hand on top of the modelled flow (a drop filter lets none out)."""
        for spec in p.plugins:
            n = p.added.get(spec.id, 0)
            if not n:
                continue
            if spec.kind == "input":
                c.plugin_out[spec.id] = c.plugin_out.get(spec.id, 0) + n
                c.events_in += n
            elif spec.kind == "filter":
                c.plugin_in[spec.id] = c.plugin_in.get(spec.id, 0) + n
                passed = n if spec.out_share > 0 or spec.in_share == 0 else 0
                c.plugin_out[spec.id] = c.plugin_out.get(spec.id, 0) + passed
            else:
                c.plugin_in[spec.id] = c.plugin_in.get(spec.id, 0) + n
                c.plugin_out[spec.id] = c.plugin_out.get(spec.id, 0) + n
                c.filtered += n
                c.out += n

    def add_events(self, plugin_ids: Iterable[str], pipeline_id: str = "main") -> None:
        """Count one more event through each of ``plugin_ids`` of the pipeline (ids it does not
        have are ignored), on top of the modelled flow; a restart clears them. Lets a test feed
        what a syslog listener really received (e.g. with ``event_rate=0``)."""
        with self._lock:
            p = self._pipelines[pipeline_id]
            known = {spec.id for spec in p.plugins}
            for plugin_id in plugin_ids:
                if plugin_id in known:
                    p.added[plugin_id] = p.added.get(plugin_id, 0) + 1

    # ---- responses -----------------------------------------------------------------------------

    def uptime_ms(self) -> int:
        with self._lock:
            return max(0, int((self.clock() - self.start_time) * 1000))

    def status(self) -> str:
        with self._lock:
            if not self.traits.health:
                return "green"
            return str(self._health(self.clock())["status"])

    def _identity(self, now: float, *, with_pipeline: bool = True) -> JSONDict:
        doc: JSONDict = {
            "host": self.host,
            "version": self._version,
            "http_address": self.http_address,
            "id": self.node_id,
            "name": self.host,
            "ephemeral_id": self.ephemeral_id,
            "snapshot": False,
            "status": self._health(now)["status"] if self.traits.health else "green",
        }
        if with_pipeline:
            doc["pipeline"] = {
                "workers": self.workers,
                "batch_size": self.batch_size,
                "batch_delay": self.batch_delay,
            }
        return doc

    def root(self) -> JSONDict:
        """`GET /`."""
        with self._lock:
            now = self.clock()
            doc = self._identity(now)
            doc["build_date"] = "2025-08-25T16:20:09+00:00"
            doc["build_sha"] = _hex_id("build", self._version)[:40]
            doc["build_snapshot"] = False
            if self._mode == "shape_change":
                doc["status"] = None
                del doc["build_date"], doc["build_sha"]
                doc["ephemeral_id"] = None
            return doc

    def node_info(self) -> JSONDict:
        """`GET /_node`."""
        with self._lock:
            now = self.clock()
            doc = self._identity(now)
            pipelines: JSONDict = {}
            for p in self._pipelines.values():
                if p.system:
                    continue
                info: JSONDict = {}
                if not self._startup:
                    info["ephemeral_id"] = p.ephemeral_id
                    info["hash"] = p.config_hash
                info.update(
                    {"workers": p.workers, "batch_size": p.batch_size, "batch_delay": p.batch_delay}
                )
                if self.traits.config_reload_in_node_info:
                    info["config_reload_automatic"] = True
                    info["config_reload_interval"] = 3_000_000_000
                dlq = p.dlq_enabled and self.traits.dlq_block
                info["dead_letter_queue_enabled"] = dlq
                if dlq:
                    info["dead_letter_queue_path"] = (
                        f"/usr/share/logstash/data/dead_letter_queue/{p.pid}"
                    )
                pipelines[p.pid] = info
            doc["pipelines"] = pipelines
            doc["os"] = {
                "name": "Linux",
                "arch": "amd64",
                "version": "6.1.0-31-cloud-amd64",
                "available_processors": max(2, self.workers),
            }
            doc["jvm"] = {
                "pid": 1,
                "version": self.traits.jvm_version,
                "vm_version": self.traits.jvm_version,
                "vm_vendor": "Eclipse Adoptium",
                "vm_name": "OpenJDK 64-Bit Server VM",
                "start_time_in_millis": int(self.start_time * 1000),
                "mem": {
                    "heap_init_in_bytes": 1073741824,
                    "heap_max_in_bytes": 1073741824,
                    "non_heap_init_in_bytes": 7667712,
                    "non_heap_max_in_bytes": 0,
                },
                "gc_collectors": list(self.traits.gc_collectors),
            }
            if self._mode == "shape_change":
                main = doc["pipelines"].get("main", {})
                main.pop("hash", None)
                main["workers"] = None
            return doc

    def _jvm(self, now: float) -> JSONDict:
        up_s = max(0.0, now - self.start_time)
        heap_max = 1073741822 if self.traits.family != "7" else 1037959168
        heap_high_s = self._heap_high_accum
        if self._heap_high_since is not None:
            heap_high_s += max(0.0, now - self._heap_high_since)
        if self._mode == "heap_high":
            pct = 95
        else:
            pct = int(38 + 14 * (0.5 + 0.5 * math.sin(up_s / 37.0)))
        used = heap_max * pct // 100
        old_used = used * 6 // 10
        young_used = used - old_used - 7340032
        g1 = self.traits.family != "7"
        young_max = -1 if g1 else 286326784
        young_count = int(up_s / 4.0) + int(heap_high_s / 0.5)
        old_count = int(up_s / 1800.0) + int(heap_high_s / 15.0)
        return {
            "threads": {
                "count": 40 + sum(p.workers for p in self._pipelines.values()),
                "peak_count": 44 + sum(p.workers for p in self._pipelines.values()),
            },
            "mem": {
                "heap_used_percent": pct,
                "heap_committed_in_bytes": heap_max + 2,
                "heap_max_in_bytes": heap_max,
                "heap_used_in_bytes": used,
                "non_heap_used_in_bytes": 172607568,
                "non_heap_committed_in_bytes": 183304192,
                "pools": {
                    "young": {
                        "committed_in_bytes": 668991488,
                        "max_in_bytes": young_max,
                        "used_in_bytes": max(0, young_used),
                        "peak_used_in_bytes": 351272960,
                        "peak_max_in_bytes": young_max,
                    },
                    "survivor": {
                        "committed_in_bytes": 7340032,
                        "max_in_bytes": young_max,
                        "used_in_bytes": 7340032,
                        "peak_used_in_bytes": 47185920,
                        "peak_max_in_bytes": young_max,
                    },
                    "old": {
                        "committed_in_bytes": 397410304 if pct < 90 else heap_max,
                        "max_in_bytes": heap_max + 2,
                        "used_in_bytes": old_used,
                        "peak_used_in_bytes": max(old_used, 132644864),
                        "peak_max_in_bytes": heap_max + 2,
                    },
                },
            },
            "gc": {
                "collectors": {
                    "young": {
                        "collection_count": young_count,
                        "collection_time_in_millis": young_count * 9,
                    },
                    "old": {
                        "collection_count": old_count,
                        "collection_time_in_millis": old_count * 180,
                    },
                }
            },
            "uptime_in_millis": int(up_s * 1000),
        }

    def _busy_seconds(self, now: float) -> float:
        """Seconds spent stuck or with a full heap since the process started (extra CPU)."""
        busy = self._heap_high_accum + self._stuck_busy_accum
        if self._heap_high_since is not None:
            busy += max(0.0, now - self._heap_high_since)
        main = self._pipelines.get("main")
        if main is not None and main.stuck_since is not None:
            busy += max(0.0, now - main.stuck_since)
        return busy

    def _process(self, now: float) -> JSONDict:
        up_s = max(0.0, now - self.start_time)
        busy = self._mode in ("stuck", "heap_high")
        return {
            "open_file_descriptors": 143,
            "peak_open_file_descriptors": 151,
            "max_file_descriptors": 1048576,
            "mem": {"total_virtual_in_bytes": 8282685440},
            "cpu": {
                "total_in_millis": int(up_s * 120 + self._busy_seconds(now) * 230) + 21000,
                "percent": 35 if busy else 6 + int(3 * (1 + math.sin(up_s / 11.0))),
                "load_average": {"1m": 0.82, "5m": 0.64, "15m": 0.51},
            },
        }

    @staticmethod
    def _flow_windows(age_s: float, value: Callable[[float], float | str | None]) -> JSONDict:
        """Build one flow metric: `value(window_seconds)` gives the rate over that window;
        None omits the window. Windows appear only once the age covers them."""
        out: JSONDict = {}
        cur_w = min(CURRENT_WINDOW_S, age_s)
        v = value(cur_w) if cur_w > 0 else 0.0
        if v is not None:
            out["current"] = v
        life = value(age_s) if age_s > 0 else 0.0
        if life is not None:
            out["lifetime"] = life
        for name, secs in FLOW_WINDOWS:
            if age_s >= secs:
                w = value(secs)
                if w is not None:
                    out[name] = w
        return out

    def _worker_utilization(self, p: _PipelineState, now: float) -> JSONDict:
        """The pipeline's `flow.worker_utilization` windows (what the health report uses)."""
        age = 0.0 if self._startup else max(0.0, now - p.origin)
        ms_now = self._counts(p, now).duration_ms

        def f(w: float) -> float | str | None:
            d = ms_now - self._counts(p, now - w).duration_ms
            return _sig4(min(100.0, d / (w * 1000.0 * p.workers) * 100.0))

        return self._flow_windows(age, f)

    def _pipeline_doc(self, p: _PipelineState, now: float) -> JSONDict:
        tr = self.traits
        c = self._counts(p, now)
        age = 0.0 if self._startup else max(0.0, now - p.origin)
        past: dict[float, _Counts] = {}

        def at(window: float) -> _Counts:
            if window not in past:
                past[window] = self._counts(p, now - window)
            return past[window]

        def rate(getter: Callable[[_Counts], int]) -> Callable[[float], float | str | None]:
            def f(w: float) -> float | str | None:
                return _sig4((getter(c) - getter(at(w))) / w)

            return f

        def util(getter: Callable[[_Counts], int]) -> Callable[[float], float | str | None]:
            def f(w: float) -> float | str | None:
                return _sig4(
                    min(100.0, (getter(c) - getter(at(w))) / (w * 1000.0 * p.workers) * 100.0)
                )

            return f

        def ms_per_event(pid: str) -> Callable[[float], float | str | None]:
            def f(w: float) -> float | str | None:
                d_ms = c.plugin_ms[pid] - at(w).plugin_ms[pid]
                d_n = c.plugin_out[pid] - at(w).plugin_out[pid]
                if pid in c.plugin_in:
                    d_n = c.plugin_in[pid] - at(w).plugin_in[pid]
                if d_n <= 0:
                    return "Infinity" if d_ms > 0 else None
                return _sig4(d_ms / d_n)

            return f

        startup = self._startup
        doc: JSONDict = {
            "events": {
                "in": c.events_in,
                "filtered": c.filtered,
                "out": c.out,
                "duration_in_millis": c.duration_ms,
                "queue_push_duration_in_millis": c.push_ms,
            }
        }
        if tr.flow:
            flow: JSONDict = {
                "input_throughput": self._flow_windows(age, rate(lambda k: k.events_in)),
                "filter_throughput": self._flow_windows(age, rate(lambda k: k.filtered)),
                "output_throughput": self._flow_windows(age, rate(lambda k: k.out)),
                "queue_backpressure": self._flow_windows(
                    age, lambda w: _sig4((c.push_ms - at(w).push_ms) / (w * 1000.0))
                ),
                "worker_concurrency": self._flow_windows(
                    age, lambda w: _sig4((c.duration_ms - at(w).duration_ms) / (w * 1000.0))
                ),
            }
            if tr.pipeline_worker_utilization:
                flow["worker_utilization"] = self._flow_windows(age, util(lambda k: k.duration_ms))
            if tr.pq_flow and p.queue_type == "persisted" and not startup:
                flow["queue_persisted_growth_events"] = self._flow_windows(
                    age,
                    lambda w: _sig4(((c.events_in - c.out) - (at(w).events_in - at(w).out)) / w),
                )
                flow["queue_persisted_growth_bytes"] = self._flow_windows(
                    age,
                    lambda w: _sig4(
                        ((c.events_in - c.out) - (at(w).events_in - at(w).out)) * 612 / w
                    ),
                )
            doc["flow"] = flow

        inputs: list[JSONDict] = []
        for i in p.inputs:
            d: JSONDict = {"id": i.id}
            if i.name:
                d["name"] = i.name
            d["events"] = {
                "out": c.plugin_out[i.id],
                "queue_push_duration_in_millis": c.plugin_push_ms[i.id],
            }
            if i.name == "beats":
                d["current_connections"] = 0 if startup else 3
                d["peak_connections"] = 0 if startup else 4
            if tr.plugin_flow:
                pid = i.id
                d["flow"] = {"throughput": self._flow_windows(age, rate(_plugin_out(pid)))}
            inputs.append(d)
        filters: list[JSONDict] = []
        for f in p.filters:
            d = {"id": f.id, "name": f.name}
            d["events"] = {
                "in": c.plugin_in[f.id],
                "out": c.plugin_out[f.id],
                "duration_in_millis": c.plugin_ms[f.id],
            }
            if f.extra == "grok":
                d["matches"] = c.plugin_out[f.id]
                d["failures"] = 0
                d["patterns_per_field"] = {"message": 1}
            elif f.extra == "date":
                d["matches"] = c.plugin_out[f.id]
                d["failures"] = 0
            if tr.plugin_flow:
                pid = f.id
                d["flow"] = {
                    "worker_millis_per_event": self._flow_windows(age, ms_per_event(pid)),
                    "worker_utilization": self._flow_windows(age, util(_plugin_ms(pid))),
                }
            filters.append(d)
        outputs: list[JSONDict] = []
        for o in p.outputs:
            d = {"id": o.id}
            if o.name:
                d["name"] = o.name
            d["events"] = {
                "in": c.plugin_in[o.id],
                "out": c.plugin_out[o.id],
                "duration_in_millis": c.plugin_ms[o.id],
            }
            if o.id in c.plugin_failures:
                d["failures"] = c.plugin_failures[o.id]
            if tr.plugin_flow:
                pid = o.id
                d["flow"] = {
                    "worker_millis_per_event": self._flow_windows(age, ms_per_event(pid)),
                    "worker_utilization": self._flow_windows(age, util(_plugin_ms(pid))),
                }
            outputs.append(d)
        codecs: list[JSONDict] = []
        for cid, cname in p.codecs:
            if cname == "json":
                n = c.out
                codecs.append(
                    {
                        "id": cid,
                        "name": cname,
                        "decode": {"writes_in": 0, "out": 0, "duration_in_millis": 0},
                        "encode": {"writes_in": n, "duration_in_millis": n // 50},
                    }
                )
            else:
                codecs.append(
                    {
                        "id": cid,
                        "name": cname,
                        "decode": {"writes_in": 0, "out": 0, "duration_in_millis": 0},
                        "encode": {"writes_in": 0, "duration_in_millis": 0},
                    }
                )
        doc["plugins"] = {
            "inputs": inputs,
            "codecs": codecs,
            "filters": filters,
            "outputs": outputs,
        }
        if startup:
            doc["reloads"] = None
        else:
            doc["reloads"] = {
                "successes": p.reload_successes,
                "failures": p.reload_failures,
                "last_success_timestamp": p.last_success_ts,
                "last_failure_timestamp": p.last_failure_ts,
                "last_error": p.last_error,
            }
        if p.system:
            doc["queue"] = None
        elif startup:
            doc["queue"] = {"type": p.queue_type}
        elif p.queue_type == "persisted":
            depth = max(0, c.events_in - c.out)
            size = 1_000_000 + depth * 612
            max_size = 1024 * 1024 * 1024
            doc["queue"] = {
                "type": "persisted",
                "events_count": depth,
                "queue_size_in_bytes": size,
                "max_queue_size_in_bytes": max_size,
                "capacity": {
                    "page_capacity_in_bytes": 67108864,
                    "max_queue_size_in_bytes": max_size,
                    "max_unread_events": 0,
                    "queue_size_in_bytes": size,
                },
                "data": {
                    "path": f"/usr/share/logstash/data/queue/{p.pid}",
                    "free_space_in_bytes": 41_872_039_936,
                    "storage_type": "ext4",
                },
                "events": depth,
            }
        else:
            doc["queue"] = {
                "type": "memory",
                "events_count": 0,
                "queue_size_in_bytes": 0,
                "max_queue_size_in_bytes": 0,
            }
        if tr.dlq_block and p.dlq_enabled:
            dlq: JSONDict = {"queue_size_in_bytes": 1 + c.dlq_events * 740}
            if tr.dlq_extended:
                dlq["max_queue_size_in_bytes"] = 1073741824
                dlq["storage_policy"] = "drop_newer"
                dlq["dropped_events"] = 0
                dlq["last_error"] = "no errors"
            if tr.dlq_expired:
                dlq["expired_events"] = 0
            doc["dead_letter_queue"] = dlq
        if tr.pipeline_settings_block:
            doc["pipeline"] = {
                "workers": p.workers,
                "batch_size": p.batch_size,
                "batch_delay": p.batch_delay,
            }
        if tr.batch_metrics:
            cur: float | str = "undefined" if startup or c.out == 0 else float(p.batch_size)
            doc["batch"] = {
                "event_count": {
                    "current": cur,
                    "average": {"lifetime": 0 if c.out == 0 else p.batch_size},
                },
                "byte_size": {
                    "current": "undefined" if cur == "undefined" else p.batch_size * 612,
                    "average": {"lifetime": 0 if c.out == 0 else p.batch_size * 612},
                },
            }
        if not startup:
            doc["hash"] = p.config_hash
            doc["ephemeral_id"] = p.ephemeral_id
        return doc

    def node_stats(self) -> JSONDict:
        """`GET /_node/stats`."""
        with self._lock:
            now = self.clock()
            doc = self._identity(now)
            doc["jvm"] = self._jvm(now)
            doc["process"] = self._process(now)
            totals = dict(self._retired)
            pipelines: JSONDict = {}
            all_counts: list[tuple[_PipelineState, _Counts]] = []
            for p in self._pipelines.values():
                c = self._counts(p, now)
                all_counts.append((p, c))
                totals["in"] += c.events_in
                totals["filtered"] += c.filtered
                totals["out"] += c.out
                totals["ms"] += c.duration_ms
                totals["push"] += c.push_ms
                pipelines[p.pid] = self._pipeline_doc(p, now)
            doc["events"] = {
                "in": totals["in"],
                "filtered": totals["filtered"],
                "out": totals["out"],
                "duration_in_millis": totals["ms"],
                "queue_push_duration_in_millis": totals["push"],
            }
            if self.traits.flow:
                doc["flow"] = self._node_flow(pipelines)
            doc["pipelines"] = pipelines
            doc["reloads"] = {
                "successes": sum(p.reload_successes for p in self._pipelines.values()),
                "failures": sum(p.reload_failures for p in self._pipelines.values()),
            }
            doc["os"] = {}
            doc["queue"] = {
                "events_count": sum(
                    max(0, c.events_in - c.out)
                    for p, c in all_counts
                    if p.queue_type == "persisted" and not p.system and not self._startup
                )
            }
            if self._mode == "shape_change":
                doc = _shape_change_stats(doc)
            return doc

    def _node_flow(self, pipelines: JSONDict) -> JSONDict:
        """Node-level flow = the sum of the pipelines' flow windows."""
        out: JSONDict = {}
        for metric in (
            "input_throughput",
            "filter_throughput",
            "output_throughput",
            "queue_backpressure",
            "worker_concurrency",
        ):
            acc: JSONDict = {}
            for pdoc in pipelines.values():
                for win, val in pdoc.get("flow", {}).get(metric, {}).items():
                    if isinstance(val, int | float):
                        acc[win] = _sig4(float(acc.get(win, 0.0)) + float(val))
            if not acc:
                acc = {"current": 0.0, "lifetime": 0.0}
            out[metric] = acc
        return out

    def _health(self, now: float) -> JSONDict:
        """The `/_health_report` body without the identity block, plus `status`."""
        indicators: JSONDict = {}
        for p in self._pipelines.values():
            if p.system:
                continue
            indicators[p.pid] = self._pipeline_health(p, now)
        statuses = [str(i["status"]) for i in indicators.values()]
        worst = _worst(statuses) if statuses else "green"
        pipelines_ind: JSONDict = {
            "status": worst,
            "symptom": _multi_symptom({k: str(v["status"]) for k, v in indicators.items()}),
            "indicators": indicators,
        }
        return {
            "status": worst,
            "symptom": _multi_symptom({"pipelines": worst}),
            "indicators": {"pipelines": pipelines_ind},
        }

    def _pipeline_health(self, p: _PipelineState, now: float) -> JSONDict:
        version_doc = ".".join(self._version.split(".")[:2])
        help_base = f"https://www.elastic.co/guide/en/logstash/{version_doc}"
        wu_help = f"{help_base}/health-report-pipeline-flow-worker-utilization.html"
        if self._startup:
            state = "LOADING"
        elif p.frozen_at is not None:
            state = "TERMINATED"
        else:
            state = "RUNNING"
        diagnosis: list[JSONDict] = []
        impacts: list[JSONDict] = []
        status = "green"
        if state == "LOADING":
            status = "yellow"
            diagnosis.append(
                {
                    "id": "logstash:health:pipeline:status:diagnosis:loading",
                    "cause": "pipeline is loading",
                    "action": "if pipeline does not come up quickly, you may need to check the "
                    "logs to see if it is stalled",
                    "help_url": f"{help_base}/health-report-pipeline-status.html#loading",
                }
            )
            impacts.append(
                {
                    "id": "logstash:health:pipeline:status:impact:not_processing",
                    "severity": 10,
                    "description": "pipeline is loading",
                    "impact_areas": ["pipeline_execution"],
                }
            )
        elif state == "TERMINATED":
            status = "red"
            diagnosis.append(
                {
                    "id": "logstash:health:pipeline:status:diagnosis:terminated",
                    "cause": "pipeline is not running, likely because it has encountered an error",
                    "action": "view logs to determine the cause of abnormal pipeline shutdown",
                    "help_url": f"{help_base}/health-report-pipeline-status.html#terminated",
                }
            )
            impacts.append(
                {
                    "id": "logstash:health:pipeline:status:impact:not_processing",
                    "severity": 1,
                    "description": "the pipeline is not currently processing",
                    "impact_areas": ["pipeline_execution"],
                }
            )
        details: JSONDict = {"status": {"state": state}}
        if state == "RUNNING" and self.traits.flow:
            wu = self._worker_utilization(p, now)
            details["flow"] = {"worker_utilization": wu}
            m5 = wu.get("last_5_minutes")
            m1 = wu.get("last_1_minute")
            fid = "logstash:health:pipeline:flow:worker_utilization:diagnosis"
            if isinstance(m5, float) and m5 > 99.999:
                status = "red"
                diagnosis.append(
                    {
                        "id": f"{fid}:5m-blocked",
                        "cause": "pipeline workers have been completely blocked for at least "
                        "five minutes",
                        "action": "address bottleneck or add resources",
                        "help_url": f"{wu_help}#blocked-5m",
                    }
                )
                impacts.append(
                    {
                        "id": "logstash:health:pipeline:flow:impact:blocked_processing",
                        "severity": 1,
                        "description": "the pipeline is blocked",
                        "impact_areas": ["pipeline_execution"],
                    }
                )
            elif isinstance(m5, float) and m5 >= 95.0:
                status = "yellow"
                diagnosis.append(
                    {
                        "id": f"{fid}:5m-nearly-blocked",
                        "cause": "pipeline workers have been nearly blocked for at least five "
                        "minutes",
                        "action": "address bottleneck or add resources",
                        "help_url": f"{wu_help}#nearly-blocked-5m",
                    }
                )
                impacts.append(
                    {
                        "id": "logstash:health:pipeline:flow:impact:blocked_processing",
                        "severity": 2,
                        "description": "the pipeline is nearly blocked",
                        "impact_areas": ["pipeline_execution"],
                    }
                )
            elif isinstance(m1, float) and m1 >= 95.0:
                status = "yellow"
                kind = "1m-blocked" if m1 > 99.999 else "1m-nearly-blocked"
                diagnosis.append(
                    {
                        "id": f"{fid}:{kind}",
                        "cause": "pipeline workers have been "
                        + ("completely" if m1 > 99.999 else "nearly")
                        + " blocked for at least one minute",
                        "action": "address bottleneck or add resources",
                        "help_url": f"{wu_help}#{kind}",
                    }
                )
                impacts.append(
                    {
                        "id": "logstash:health:pipeline:flow:impact:blocked_processing",
                        "severity": 2,
                        "description": "the pipeline is blocked",
                        "impact_areas": ["pipeline_execution"],
                    }
                )
        doc: JSONDict = {"status": status}
        if status == "green":
            doc["symptom"] = "The pipeline is healthy"
        else:
            adj = "unhealthy" if status == "red" else "concerning"
            areas = len(impacts)
            doc["symptom"] = (
                f"The pipeline is {adj}; {areas} area{' is' if areas == 1 else 's are'} impacted "
                f"and {len(diagnosis)} diagnos{'is is' if len(diagnosis) == 1 else 'es are'} "
                "available"
            )
            doc["diagnosis"] = diagnosis
            doc["impacts"] = impacts
        doc["details"] = details
        return doc

    def health_report(self) -> JSONDict | None:
        """`GET /_health_report` (None before 8.16: the route does not exist there)."""
        with self._lock:
            if not self.traits.health:
                return None
            now = self.clock()
            doc = self._identity(now, with_pipeline=False)
            doc.update(self._health(now))
            if self._mode == "shape_change":
                doc["status"] = "unknown"
                doc.pop("symptom", None)
                pip = doc["indicators"]["pipelines"]
                for ind in pip["indicators"].values():
                    ind.pop("details", None)
            return doc

    def hot_threads(self, threads: int = 10) -> JSONDict:
        """`GET /_node/hot_threads` (JSON)."""
        with self._lock:
            now = self.clock()
            doc = self._identity(now)
            doc["hot_threads"] = {
                "time": datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "busiest_threads": threads,
                "threads": self._threads(now)[:threads],
            }
            return doc

    def hot_threads_text(self, threads: int = 10) -> str:
        """`GET /_node/hot_threads?human=true`."""
        with self._lock:
            now = self.clock()
            ts = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            lines = [
                "::: {}",
                f" Hot threads at {ts}, busiestThreads={threads}:",
                " " + "=" * 80,
            ]
            for t in self._threads(now)[:threads]:
                lines.append(
                    f" {t['percent_of_cpu_time']} % of cpu usage, state: {t['state']}, "
                    f"thread name: '{t['name']}', thread id: {t['thread_id']}"
                )
                lines.extend(f"\t {frame}" for frame in t["traces"][:6])
                lines.append(" " + "-" * 80)
            return "\n".join(lines) + "\n"

    def _threads(self, now: float) -> list[JSONDict]:
        jb = f"java.base@{self.traits.jvm_version}"
        park = [
            f"{jb}/jdk.internal.misc.Unsafe.park(Native Method)",
            f"{jb}/java.util.concurrent.locks.LockSupport.parkNanos(LockSupport.java:269)",
            f"{jb}/java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject"
            ".awaitNanos(AbstractQueuedSynchronizer.java:1763)",
            "app//org.logstash.execution.WorkerLoop.run(WorkerLoop.java:88)",
        ]
        http_wait = [
            f"{jb}/sun.nio.ch.Net.poll(Native Method)",
            f"{jb}/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:280)",
            "app//org.apache.http.impl.io.SessionInputBufferImpl.fillBuffer"
            "(SessionInputBufferImpl.java:153)",
            "app//manticore.client.RUBY$method$call_once(manticore/client.rb:466)",
            "app//logstash.outputs.http.RUBY$method$send_event(logstash/outputs/http.rb:226)",
        ]
        join = [
            f"{jb}/java.lang.Object.wait0(Native Method)",
            f"{jb}/java.lang.Object.wait(Object.java:366)",
            f"{jb}/java.lang.Thread.join(Thread.java:2073)",
            "app//org.jruby.internal.runtime.RubyNativeThread.join(RubyNativeThread.java:65)",
        ]
        udp = [
            f"{jb}/sun.nio.ch.DatagramChannelImpl.receive0(Native Method)",
            f"{jb}/sun.nio.ch.DatagramChannelImpl.receive(DatagramChannelImpl.java:490)",
            "app//org.jruby.ext.socket.RubyUDPSocket.recvfrom(RubyUDPSocket.java:530)",
        ]
        epoll = [
            f"{jb}/sun.nio.ch.EPoll.wait(Native Method)",
            f"{jb}/sun.nio.ch.EPollSelectorImpl.doSelect(EPollSelectorImpl.java:121)",
            "app//io.netty.channel.nio.NioEventLoop.run(NioEventLoop.java:569)",
        ]
        stuck = self._mode == "stuck"
        up = max(0.0, now - self.start_time)
        out: list[JSONDict] = [
            {
                "name": "LogStash::Runner",
                "thread_id": 1,
                "percent_of_cpu_time": 155.67 if up > 0 else 0.0,
                "state": "timed_waiting",
                "traces": join,
            }
        ]
        tid = 60
        for p in self._pipelines.values():
            if p.system:
                continue
            for w in range(p.workers):
                out.append(
                    {
                        "name": f"[{p.pid}]>worker{w}",
                        "thread_id": tid,
                        "percent_of_cpu_time": 24.9 if stuck else round(0.7 - 0.05 * w, 2),
                        "state": "runnable" if stuck else "timed_waiting",
                        "traces": http_wait if stuck else park,
                    }
                )
                tid += 1
            for i in p.inputs:
                out.append(
                    {
                        "name": f"[{p.pid}]<{i.name or 'input'}",
                        "thread_id": tid,
                        "percent_of_cpu_time": 0.31,
                        "state": "runnable",
                        "traces": udp if i.name == "udp" else epoll,
                    }
                )
                tid += 1
        out.append(
            {
                "name": "Api Webserver",
                "thread_id": 42,
                "percent_of_cpu_time": 0.95,
                "state": "timed_waiting",
                "traces": join,
            }
        )
        out.sort(key=lambda t: -float(t["percent_of_cpu_time"]))
        return out

    def state(self) -> JSONDict:
        """`GET /_fake/state`: the fake's knobs, for tests and the demo."""
        with self._lock:
            return {
                "mode": self._mode,
                "version": self._version,
                "version_family": self.traits.family,
                "pipelines": list(self._pipelines),
                "event_rate": self._event_rate,
                "plugin_count": self._plugin_count,
                "output_prefix": self._output_prefix,
                "slow_seconds": self.slow_seconds,
                "ephemeral_id": self.ephemeral_id,
                "restarts": self.restarts,
                "uptime_in_millis": self.uptime_ms(),
                "modes": sorted(MODES),
            }


def _worst(statuses: list[str]) -> str:
    order = {"green": 0, "unknown": 1, "yellow": 2, "red": 3}
    return max(statuses, key=lambda s: order.get(s, 1))


def _multi_symptom(statuses: dict[str, str]) -> str:
    """'1 indicator is healthy (`main`)', '2 indicators are healthy (`main`, `audit`)', and
    for mixed statuses the groups joined worst first with ' and '."""
    words = {"green": "healthy", "yellow": "concerning", "red": "unhealthy", "unknown": "unknown"}
    parts: list[str] = []
    for status in ("red", "yellow", "unknown", "green"):
        names = [n for n, s in statuses.items() if s == status]
        if not names:
            continue
        n = len(names)
        listed = ", ".join(f"`{x}`" for x in names)
        verb = "indicator is" if n == 1 else "indicators are"
        parts.append(f"{n} {verb} {words[status]} ({listed})")
    return " and ".join(parts) if parts else "0 indicators are healthy"


def _shape_change_stats(doc: JSONDict) -> JSONDict:
    """Damage a valid stats document the way startups and version changes do: nulls,
    missing and renamed fields, string flow values."""
    d = copy.deepcopy(doc)
    d["events"]["in"] = None
    d["events"]["queue_push_duration_in_millis"] = None
    mem = d["jvm"]["mem"]
    mem["heap_used_pct"] = mem.pop("heap_used_percent")
    d["jvm"]["uptime_in_millis"] = None
    d["process"].pop("open_file_descriptors", None)
    d["process"]["cpu"].pop("load_average", None)
    if "flow" in d:
        d["flow"]["input_throughput"]["current"] = "Infinity"
        d["flow"]["worker_concurrency"] = {}
        d["flow"]["queue_backpressure"]["current"] = "-Infinity"
    for pdoc in d["pipelines"].values():
        pdoc["events"].pop("in", None)
        pdoc.pop("hash", None)
        pdoc.pop("ephemeral_id", None)
        pdoc["reloads"] = None
        if pdoc.get("queue"):
            pdoc["queue"] = {"type": pdoc["queue"].get("type")}
        if "flow" in pdoc and "worker_utilization" in pdoc["flow"]:
            pdoc["flow"]["worker_utilization"]["current"] = "undefined"
        for inp in pdoc["plugins"]["inputs"]:
            inp.pop("events", None)
        for out in pdoc["plugins"]["outputs"]:
            out["event_counts"] = out.pop("events")
        pdoc["new_field_from_a_newer_logstash"] = {"value": 1}
    d["queue"] = None
    return d


# --------------------------------------------------------------------------------------------
# HTTP app
# --------------------------------------------------------------------------------------------

_GARBAGE_HTML: Final[str] = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    "</body>\n</html>\n"
)


def _error_500(path: str) -> JSONResponse:
    return JSONResponse(
        {
            "path": path,
            "status": 500,
            "error": {
                "type": "LogStash::Instrument::MetricStore::MetricNotFound",
                "message": "For path: events. Map keys: [:pipelines, :reloads]",
            },
        },
        status_code=500,
    )


def create_app(fake: FakeLogstash) -> Starlette:
    """The fake's HTTP API. API routes honour `fake.mode`; `/_fake/*` routes always work."""

    async def respond(request: Request, build: Callable[[], JSONDict | str | None]) -> Response:
        mode = fake.mode
        if mode == "down":
            return Response(status_code=503)
        if mode == "http500":
            return _error_500(request.url.path)
        if mode == "slow":
            await asyncio.sleep(fake.slow_seconds)
        if mode == "garbage":
            return PlainTextResponse(_GARBAGE_HTML, media_type="text/html")
        body = build()
        if body is None:
            return JSONResponse(
                {"path": request.url.path, "status": 404, "error": {"message": "Not Found"}},
                status_code=404,
            )
        if isinstance(body, str):
            return PlainTextResponse(body)
        text = json.dumps(body, separators=(",", ":"))
        if mode == "truncated":
            text = text[: max(1, len(text) // 2)]
        return Response(text, media_type="application/json")

    def _filter(doc: JSONDict, types: str, keep_always: tuple[str, ...]) -> JSONDict:
        wanted = {t.strip() for t in types.split(",") if t.strip()}
        return {k: v for k, v in doc.items() if k in wanted or k in keep_always}

    identity_keys = (
        "host",
        "version",
        "http_address",
        "id",
        "name",
        "ephemeral_id",
        "status",
        "snapshot",
        "pipeline",
    )

    async def root(request: Request) -> Response:
        return await respond(request, fake.root)

    async def node_info(request: Request) -> Response:
        return await respond(request, fake.node_info)

    async def node_info_types(request: Request) -> Response:
        types = str(request.path_params["types"])
        return await respond(request, lambda: _filter(fake.node_info(), types, identity_keys))

    async def node_stats(request: Request) -> Response:
        return await respond(request, fake.node_stats)

    async def node_stats_types(request: Request) -> Response:
        types = str(request.path_params["types"])
        return await respond(request, lambda: _filter(fake.node_stats(), types, identity_keys))

    async def hot_threads(request: Request) -> Response:
        try:
            n = int(request.query_params.get("threads", "10"))
        except ValueError:
            n = 10
        n = max(1, min(n, 10000))
        if request.query_params.get("human", "").lower() == "true":
            return await respond(request, lambda: fake.hot_threads_text(n))
        return await respond(request, lambda: fake.hot_threads(n))

    async def health_report(request: Request) -> Response:
        return await respond(request, fake.health_report)

    async def fake_state(request: Request) -> Response:
        return JSONResponse(fake.state())

    async def fake_mode(request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "body must be JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        try:
            apply_control(fake, payload)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(fake.state())

    async def fake_restart(request: Request) -> Response:
        fake.restart()
        return JSONResponse(fake.state())

    async def fake_reload(request: Request) -> Response:
        pid = request.query_params.get("pipeline", "main")
        if pid not in fake.pipeline_ids:
            return JSONResponse({"error": f"unknown pipeline {pid!r}"}, status_code=400)
        fake.reload_pipeline(pid)
        return JSONResponse(fake.state())

    routes = [
        Route("/", root),
        Route("/_node", node_info),
        Route("/_node/stats", node_stats),
        Route("/_node/stats/{types}", node_stats_types),
        Route("/_node/hot_threads", hot_threads),
        Route("/_node/{types}", node_info_types),
        Route("/_health_report", health_report),
        Route("/_fake/state", fake_state),
        Route("/_fake/mode", fake_mode, methods=["POST"]),
        Route("/_fake/restart", fake_restart, methods=["POST"]),
        Route("/_fake/reload", fake_reload, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def apply_control(fake: FakeLogstash, payload: dict[str, Any]) -> None:
    """Apply a `/_fake/mode` body: `{"mode": ..., "slow_seconds": ..., "event_rate": ...,
    "version": ..., "pipelines": ..., "plugin_count": ..., "output_prefix": ...}`.
    Shape knobs (version, pipelines, plugin_count, output_prefix) restart the process."""
    known = {
        "mode",
        "slow_seconds",
        "event_rate",
        "version",
        "pipelines",
        "plugin_count",
        "output_prefix",
        "monitoring_pipeline",
    }
    unknown = set(payload) - known
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    if "slow_seconds" in payload:
        fake.slow_seconds = float(payload["slow_seconds"])
    if "event_rate" in payload:
        fake.event_rate = float(payload["event_rate"])
    shape: dict[str, Any] = {
        k: payload[k]
        for k in ("version", "pipelines", "plugin_count", "output_prefix", "monitoring_pipeline")
        if k in payload
    }
    if shape:
        fake.configure(
            version=str(shape["version"]) if "version" in shape else None,
            pipelines=int(shape["pipelines"]) if "pipelines" in shape else None,
            plugin_count=int(shape["plugin_count"]) if "plugin_count" in shape else None,
            output_prefix=str(shape["output_prefix"]) if "output_prefix" in shape else None,
            monitoring_pipeline=bool(shape["monitoring_pipeline"])
            if "monitoring_pipeline" in shape
            else None,
        )
    if "mode" in payload:
        mode = payload["mode"]
        if not isinstance(mode, str):
            raise TypeError("mode must be a string")
        fake.mode = mode


# --------------------------------------------------------------------------------------------
# Server helper
# --------------------------------------------------------------------------------------------


class FakeLogstashServer:
    """uvicorn in a background thread, on 127.0.0.1. `stop()` closes the listener (clients get
    "connection refused"); `start()` listens again on the same port."""

    def __init__(
        self,
        fake: FakeLogstash,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        startup_timeout: float = 5.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.fake = fake
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self.app = create_app(fake)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> str:
        if self.running:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"fake-logstash-{self.port}",
            daemon=True,
        )
        self._server, self._thread, self._sock = server, thread, sock
        thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake Logstash did not start on {self.url}")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._sock
        self._server = self._thread = self._sock = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(self.shutdown_timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(self.shutdown_timeout)
        if sock is not None:
            sock.close()

    def __enter__(self) -> FakeLogstashServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def run_fake_logstash_server(
    fake: FakeLogstash, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Run the fake on `host:port` (0 = a free port) for the duration of a `with` block and
    yield its base URL, e.g. "http://127.0.0.1:41237"."""
    server = FakeLogstashServer(fake, host, port)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------------------
# Log writer
# --------------------------------------------------------------------------------------------

#: The layout of Logstash's logstash-plain.log:
#: `[%d{ISO8601}][%-5p][%-25c]%notEmpty{[%X{pipeline.id}]}%notEmpty{[%X{plugin.id}]} %m%n`
LOG_LINE_RE: Final[str] = (
    r"^\[(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2},\d{3})\]"
    r"\[(?P<level>TRACE|DEBUG|INFO |WARN |ERROR|FATAL)\]"
    r"\[(?P<logger>[^\]]{25,}?)\]"
    r"(?:\[(?P<pipeline>[^\]]+)\])?(?:\[(?P<plugin>[^\]]+)\])? (?P<message>.*)$"
)

_NETTY = "netty-transport-4.1.118.Final.jar:4.1.118.Final"
_TRACE_IO: Final[tuple[str, ...]] = (
    "java.io.IOException: Connection reset by peer",
    "\tat sun.nio.ch.SocketDispatcher.read0(Native Method) ~[?:?]",
    "\tat sun.nio.ch.SocketDispatcher.read(SocketDispatcher.java:47) ~[?:?]",
    "\tat sun.nio.ch.NioSocketImpl.tryRead(NioSocketImpl.java:256) ~[?:?]",
    "\tat io.netty.buffer.PooledByteBuf.setBytes(PooledByteBuf.java:255)"
    " ~[netty-buffer-4.1.118.Final.jar:4.1.118.Final]",
    f"\tat io.netty.channel.socket.nio.NioSocketChannel.doReadBytes(NioSocketChannel.java:357)"
    f" ~[{_NETTY}]",
    f"\tat io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe.read"
    f"(AbstractNioByteChannel.java:151) ~[{_NETTY}]",
    f"\tat io.netty.channel.nio.NioEventLoop.run(NioEventLoop.java:569) ~[{_NETTY}]",
    "\tat java.lang.Thread.run(Thread.java:1583) [?:?]",
)
_TRACE_DECODER: Final[tuple[str, ...]] = (
    "io.netty.handler.codec.DecoderException: org.logstash.tcp.InvalidFrameException:"
    " frame length exceeds 65536",
    "\tat io.netty.handler.codec.ByteToMessageDecoder.callDecode(ByteToMessageDecoder.java:499)"
    " ~[netty-codec-4.1.118.Final.jar:4.1.118.Final]",
    "\tat io.netty.handler.codec.ByteToMessageDecoder.channelRead(ByteToMessageDecoder.java:290)"
    " ~[netty-codec-4.1.118.Final.jar:4.1.118.Final]",
    f"\tat io.netty.channel.AbstractChannelHandlerContext.invokeChannelRead"
    f"(AbstractChannelHandlerContext.java:444) ~[{_NETTY}]",
    "Caused by: org.logstash.tcp.InvalidFrameException: frame length exceeds 65536",
    "\tat org.logstash.tcp.SyslogFrameDecoder.decode(SyslogFrameDecoder.java:88)"
    " ~[logstash-input-tcp-6.4.4.jar:?]",
    "\tat io.netty.handler.codec.ByteToMessageDecoder.decodeRemovalReentryProtection"
    "(ByteToMessageDecoder.java:530) ~[netty-codec-4.1.118.Final.jar:4.1.118.Final]",
    "\t... 8 more",
)


class LogWriter:
    """Appends realistic `logstash-plain.log` entries (log4j2 layout of Logstash 7.6+/8/9)."""

    def __init__(
        self,
        path: str | Path,
        clock: Clock = time.time,
        *,
        seed: int | None = 1,
        pipeline_id: str = "main",
        output_prefix: str = "splunk-",
        version: str = DEFAULT_VERSION,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.rng = random.Random(seed)
        self.pipeline_id = pipeline_id
        self.output_prefix = output_prefix
        self.version = version
        self._last_t = 0.0
        self.entries_written = 0

    # -- formatting --

    def _ts(self) -> str:
        t = max(self.clock(), self._last_t + 0.001)
        self._last_t = t
        dt = datetime.fromtimestamp(t, tz=UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%S,") + f"{dt.microsecond // 1000:03d}"

    def format_line(
        self,
        level: str,
        logger: str,
        message: str,
        *,
        pipeline: str | None = None,
        plugin: str | None = None,
    ) -> str:
        ctx = (f"[{pipeline}]" if pipeline else "") + (f"[{plugin}]" if plugin else "")
        return f"[{self._ts()}][{level:<5}][{logger:<25}]{ctx} {message}\n"

    # -- content --

    def startup_entries(self) -> list[str]:
        pid = self.pipeline_id
        p = self.output_prefix
        return [
            self.format_line(
                "INFO",
                "logstash.runner",
                "Log4j configuration path used is: /usr/share/logstash/config/log4j2.properties",
            ),
            self.format_line(
                "INFO",
                "logstash.runner",
                f'Starting Logstash {{"logstash.version"=>"{self.version}", "jruby.version"=>'
                '"jruby 9.4.9.0 (3.1.4) 2024-11-04 547c6b150e OpenJDK 64-Bit Server VM '
                '21.0.7+6-LTS on 21.0.7+6-LTS +indy +jit [x86_64-linux]"}',
            ),
            self.format_line(
                "INFO",
                "logstash.agent",
                "Successfully started Logstash API endpoint {:port=>9600, :ssl_enabled=>false}",
            ),
            self.format_line(
                "INFO",
                "logstash.javapipeline",
                f'Starting pipeline {{:pipeline_id=>"{pid}", "pipeline.workers"=>4, '
                '"pipeline.batch.size"=>125, "pipeline.batch.delay"=>50, '
                '"pipeline.max_inflight"=>500, "pipeline.sources"=>'
                '["/usr/share/logstash/pipeline/aviatrix-splunk.conf"], '
                ':thread=>"#<Thread:0x3c1e7f2a /usr/share/logstash/logstash-core/lib/logstash/'
                'java_pipeline.rb:138 run>"}',
                pipeline=pid,
            ),
            self.format_line(
                "INFO",
                "logstash.javapipeline",
                'Pipeline Java execution initialization time {"seconds"=>0.92}',
                pipeline=pid,
            ),
            self.format_line(
                "INFO",
                "logstash.inputs.udp",
                'Starting UDP listener {:address=>"0.0.0.0:5000"}',
                pipeline=pid,
                plugin="udp-5000",
            ),
            self.format_line(
                "INFO",
                "logstash.inputs.tcp",
                'Starting tcp input listener {:address=>"0.0.0.0:5000", :ssl_enabled=>false}',
                pipeline=pid,
                plugin="tcp-5000",
            ),
            self.format_line(
                "INFO",
                "logstash.javapipeline",
                f'Pipeline started {{"pipeline.id"=>"{pid}"}}',
                pipeline=pid,
            ),
            self.format_line(
                "INFO",
                "logstash.agent",
                f"Pipelines running {{:count=>1, :running_pipelines=>[:{pid}], "
                ":non_running_pipelines=>[]}",
            ),
            self.format_line(
                "INFO",
                "logstash.outputs.http",
                f'Http output ready {{:url=>"{SPLUNK_HEC_URL}"}}',
                pipeline=pid,
                plugin=f"{p}microseg",
            ),
        ]

    def _entry(self) -> str:
        r = self.rng.random()
        pid = self.pipeline_id
        pre = self.output_prefix
        outs = ["microseg", "suricata", "fqdn", "gw-net-stats", "gw-sys-stats", "mitm", "cmd"]
        out_id = pre + self.rng.choice(outs)
        client = (
            f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        )
        if r < 0.55:
            choice = self.rng.randrange(4)
            if choice == 0:
                return self.format_line(
                    "INFO",
                    "logstash.inputs.tcp",
                    f"Connection from {client}:{self.rng.randint(32768, 60999)} closed",
                    pipeline=pid,
                    plugin="tcp-5000",
                )
            if choice == 1:
                return self.format_line(
                    "INFO",
                    "logstash.outputs.http",
                    f'Retrying previously failed request {{:url=>"{SPLUNK_HEC_URL}", '
                    f":attempt=>{self.rng.randint(2, 4)}}}",
                    pipeline=pid,
                    plugin=out_id,
                )
            if choice == 2:
                return self.format_line(
                    "INFO",
                    "logstash.agent",
                    f"Pipelines running {{:count=>1, :running_pipelines=>[:{pid}], "
                    ":non_running_pipelines=>[]}",
                )
            return self.format_line(
                "INFO",
                "logstash.filters.json",
                'Skipping non-JSON suricata payload {:field=>"message"}',
                pipeline=pid,
                plugin="suricata-data",
            )
        if r < 0.85:
            choice = self.rng.randrange(4)
            if choice == 0:
                return self.format_line(
                    "WARN",
                    "logstash.outputs.http",
                    f'Could not fetch URL {{:url=>"{SPLUNK_HEC_URL}", :method=>:post, '
                    ':message=>"Read timed out", :class=>"Manticore::SocketTimeout", '
                    ":will_retry=>true}",
                    pipeline=pid,
                    plugin=out_id,
                )
            if choice == 1:
                return self.format_line(
                    "WARN",
                    "logstash.outputs.http",
                    f"Could not index event to Splunk HEC. {{:status=>400, :url=>"
                    f'"{SPLUNK_HEC_URL}", :response=>{{"text"=>"Invalid data format", '
                    f'"code"=>6, "invalid-event-number"=>{self.rng.randint(0, 124)}}}}}',
                    pipeline=pid,
                    plugin=out_id,
                )
            if choice == 2:
                return self.format_line(
                    "WARN",
                    "logstash.filters.json",
                    'Error parsing json {:source=>"message", :raw=>"<13>Mar  3 10:00:01 '
                    'gw-prod-1 AviatrixGwMitm: {\\"bad\\"", :exception=>#<LogStash::Json::'
                    "ParserError: Unexpected end-of-input: expected close marker for Object>}",
                    pipeline=pid,
                    plugin="mitm-json",
                )
            return self.format_line(
                "WARN",
                "logstash.filters.date",
                'Failed parsing date from field {:field=>"timestamp", :value=>"2026-13-01 '
                '25:61:00", :exception=>"Invalid format: \\"2026-13-01 25:61:00\\"", '
                ':config_parsers=>"ISO8601,yyyy-MM-dd HH:mm:ss", :config_locale=>"default=en_US"}',
                pipeline=pid,
                plugin="date-to-timestamp",
            )
        choice = self.rng.randrange(4)
        event_ref = self.rng.getrandbits(32)
        if choice == 0:
            return self.format_line(
                "ERROR",
                "logstash.outputs.http",
                f"Encountered non-2xx HTTP code 503 {{:response_code=>503, :url=>"
                f'"{SPLUNK_HEC_URL}", :event=>#<LogStash::Event:0x{event_ref:08x}>}}',
                pipeline=pid,
                plugin=out_id,
            )
        if choice == 1:
            return self.format_line(
                "ERROR",
                "logstash.filters.ruby",
                "Ruby exception occurred: undefined method `to_i' for nil:NilClass "
                '{:class=>"NoMethodError", :backtrace=>["(ruby filter code):2:in `block in '
                'filter_method\'", "/usr/share/logstash/vendor/bundle/jruby/3.1.0/gems/'
                "logstash-filter-ruby-3.1.8/lib/logstash/filters/ruby.rb:96:in `inline_script'\"]}",
                pipeline=pid,
                plugin="add-unix-time",
            )
        trace = _TRACE_IO if choice == 2 else _TRACE_DECODER
        head = self.format_line(
            "ERROR",
            "logstash.inputs.tcp",
            f"{client}:{self.rng.randint(32768, 60999)}: closing due:",
            pipeline=pid,
            plugin="tcp-5000",
        )
        return head + "".join(line + "\n" for line in trace)

    def render(self, n: int) -> str:
        """n entries (an entry may span several lines: a Java stack trace)."""
        parts = [self._entry() for _ in range(max(0, n))]
        self.entries_written += max(0, n)
        return "".join(parts)

    def write_startup(self) -> int:
        text = "".join(self.startup_entries())
        return self._append(text)

    def write_some(self, n: int) -> int:
        """Append n entries; returns the number of bytes written."""
        return self._append(self.render(n))

    def _append(self, text: str) -> int:
        data = text.encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as f:
            f.write(data)
        return len(data)


def generate_big_log(path: str | Path, size_bytes: int, *, chunk_bytes: int = 2 << 20) -> int:
    """Write a log of at least `size_bytes` quickly (disk speed, several hundred MB/s):
    render ~2 MiB of entries once, then write that block repeatedly in 32 MiB writes. The file
    ends on an entry boundary and at most one entry past `size_bytes`. Returns bytes written."""
    clock = ManualClock(1_767_225_600.0)
    writer = LogWriter(path, clock, seed=7)
    parts = [("".join(writer.startup_entries())).encode()]
    size = len(parts[0])
    while size < min(chunk_bytes, max(size_bytes, 1)):
        block = writer.render(500).encode()
        clock.advance(1.0)
        parts.append(block)
        size += len(block)
    chunk = b"".join(parts)
    big = chunk * max(1, (32 << 20) // len(chunk))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with target.open("wb", buffering=0) as f:
        while written < size_bytes:
            remaining = size_bytes - written
            if remaining >= len(big):
                piece = big
            else:
                cut = big.find(b"\n[", remaining - 1)
                piece = big if cut < 0 else big[: cut + 1]
            f.write(piece)
            written += len(piece)
    return written


class LogGrower:
    """Background thread appending `lines_per_s` entries per second to a LogWriter."""

    def __init__(self, writer: LogWriter, lines_per_s: float = 5.0, tick_s: float = 0.5) -> None:
        self.writer = writer
        self.lines_per_s = lines_per_s
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-logstash-log", daemon=True)
        self._debt = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            self._debt += self.lines_per_s * self.tick_s
            n = int(self._debt)
            if n:
                self._debt -= n
                self.writer.write_some(n)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.fake_logstash", description="Fake Logstash monitoring API"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9600)
    parser.add_argument("--mode", default="healthy", choices=sorted(MODES))
    parser.add_argument("--version", default=DEFAULT_VERSION, dest="ls_version")
    parser.add_argument("--pipelines", type=int, default=1)
    parser.add_argument("--event-rate", type=float, default=120.0)
    parser.add_argument("--plugin-count", type=int, default=0)
    parser.add_argument("--output-prefix", default="splunk-")
    parser.add_argument("--slow-seconds", type=float, default=30.0)
    parser.add_argument("--log-file", default=None)
    parser.add_argument("--log-rate", type=float, default=5.0, help="log entries per second")
    args = parser.parse_args(argv)

    fake = FakeLogstash(
        mode=args.mode,
        version=args.ls_version,
        pipelines=args.pipelines,
        event_rate=args.event_rate,
        plugin_count=args.plugin_count,
        output_prefix=args.output_prefix,
        slow_seconds=args.slow_seconds,
    )
    grower: LogGrower | None = None
    if args.log_file:
        writer = LogWriter(args.log_file, seed=None, version=args.ls_version)
        writer.write_startup()
        grower = LogGrower(writer, args.log_rate)
        grower.start()
    config = uvicorn.Config(
        create_app(fake),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
    )
    print(f"fake Logstash {args.ls_version} ({args.mode}) on http://{args.host}:{args.port}")
    try:
        uvicorn.Server(config).run()
    finally:
        if grower is not None:
            grower.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
