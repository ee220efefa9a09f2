"""`status-sidecar report`: a one-shot inspection, for a terminal or a cron job.

Exit codes follow the health status so scripts can branch on it:
0 healthy, 1 degraded, 3 starting or unhealthy (2 is taken by bad arguments).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

from . import api, logs, logwindow, views
from .clock import SystemClock
from .settings import Settings
from .wiring import build_sidecar

EXIT_BY_STATUS = {"healthy": 0, "degraded": 1, "starting": 3, "unhealthy": 3}


async def collect(
    settings: Settings, sample_seconds: float, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Two polls `sample_seconds` apart (rates need two), then the stats document."""
    async with httpx.AsyncClient() as http:
        sidecar = build_sidecar(settings, http, SystemClock(), environ=environ)
        await sidecar.poller.poll_once()
        if sidecar.store.latest is not None and sample_seconds > 0:
            await asyncio.sleep(sample_seconds)
            await sidecar.poller.poll_once()
        document = views.stats_document(sidecar)
    document["log_summary"] = log_summary(settings)
    return document


def log_summary(settings: Settings, lines: int = 5000) -> dict[str, Any]:
    limits = logwindow.Limits(settings.log_max_answer_bytes, settings.log_max_line_bytes)
    try:
        text, _ = logwindow.read_text(settings.log_path, lines, limits)
    except FileNotFoundError:
        return {"error": api.missing_log_message(settings)}
    except OSError as exc:
        return {"error": api.unreadable_log_message(settings, exc)}
    summary = logs.summarize(text.splitlines())
    return {
        "lines": summary.total_lines,
        "counts": summary.counts,
        "top_messages": [
            {"level": m.level, "count": m.count, "message": m.example} for m in summary.top_messages
        ],
        "last_errors": [
            {"timestamp": e.timestamp, "level": e.level, "logger": e.logger, "message": e.message}
            for e in summary.last_errors
        ],
    }


def _fmt(value: object, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{suffix}"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return f"{value}{suffix}"


def render_text(doc: Mapping[str, Any]) -> str:
    health, ls, ev = doc["health"], doc["logstash"], doc["events"]
    out = [f"health: {health['status'].upper()}"]
    out += [f"  - {reason}" for reason in health["reasons"]]
    out.append(
        f"logstash: {ls['api_url']}  version {_fmt(ls['version'])}  "
        f"uptime {_fmt(ls['uptime_s'], ' s')}  restarts seen {doc['restarts']}"
    )
    output = doc["output"]
    out.append(
        f"output: {_fmt(output['type'])}  destination {_fmt(output['destination'])}  "
        f"profile {doc['log_profile']}"
    )
    out.append(
        f"events: in {_fmt(ev['in'])}  out {_fmt(ev['out'])}  "
        f"in/s {_fmt(ev['input_eps'])}  out/s {_fmt(ev['output_eps'])}"
    )
    jvm = doc["jvm"]
    out.append(
        f"jvm heap: {_fmt(jvm.get('heap_used_percent'), '%')}  "
        f"queue: {_fmt(doc['queue']['type'])} {_fmt(doc['queue']['events'])} events"
    )
    rows = [r for r in doc["log_types"] if r["received"] or r["sent"] or r["dropped"]]
    if rows:
        out.append("")
        out.append(
            f"{'log type':<22}{'received':>12}{'sent':>12}{'dropped':>10}{'failed':>9}{'eps':>9}"
        )
        for r in rows:
            out.append(
                f"{r['label']:<22}{r['received']:>12,}{r['sent']:>12,}"
                f"{r['dropped']:>10,}{r['failed']:>9,}{r['eps']:>9,.1f}"
            )
    summary = doc.get("log_summary", {})
    if "error" in summary:
        out += ["", f"log: {summary['error']}"]
    elif summary:
        counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items() if v)
        out += ["", f"log (last {summary['lines']:,} lines): {counts or 'empty'}"]
        out += [
            f"  {e['timestamp']} {e['level']} {e['message'][:160]}"
            for e in summary["last_errors"][-5:]
        ]
    return "\n".join(out) + "\n"


def run(
    settings: Settings, *, as_json: bool, sample_seconds: float, environ: Mapping[str, str]
) -> tuple[str, int]:
    doc = asyncio.run(collect(settings, sample_seconds, environ))
    text = json.dumps(doc, indent=2) + "\n" if as_json else render_text(doc)
    return text, EXIT_BY_STATUS.get(doc["health"]["status"], 3)
