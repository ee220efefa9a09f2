"""`status-sidecar report`: a one-shot inspection, for a terminal, a cron job or a monitoring
system.

Two sources: a running sidecar (``--url``, with its token) or Logstash itself (two polls a few
seconds apart, the log read from disk). Exit codes follow the monitoring-plugin convention that
Nagios, Icinga and Sensu read:

    0 OK        healthy
    1 WARNING   degraded
    2 CRITICAL  unhealthy or starting
    3 UNKNOWN   unreachable, an answer that cannot be read, or a bad argument
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from . import api, logs, logwindow, views
from .clock import SystemClock
from .settings import Settings
from .wiring import build_sidecar

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
EXIT_BY_STATUS: Final = {"healthy": OK, "degraded": WARNING, "starting": CRITICAL,
                         "unhealthy": CRITICAL}  # fmt: skip
TOKEN_FILE_ENV: Final = "STASHKIT_SIDECAR_TOKEN_FILE"  # noqa: S105 - a variable name
LOG_LINES: Final = 5000


class ReportError(Exception):
    """The report cannot be made: one line, exit UNKNOWN."""


@dataclass(frozen=True)
class Report:
    document: dict[str, Any]

    @property
    def exit_code(self) -> int:
        status = self.document.get("health", {}).get("status")
        return EXIT_BY_STATUS.get(status, UNKNOWN) if isinstance(status, str) else UNKNOWN


# -- from a running sidecar --------------------------------------------------------------------


def read_token(path: Path | None, environ: Mapping[str, str]) -> str | None:
    """The first token of ``--token-file`` or ``$STASHKIT_SIDECAR_TOKEN_FILE``; a line
    ``name:token`` (the sidecar's own token-file format) gives ``token``."""
    if path is None and environ.get(TOKEN_FILE_ENV):
        path = Path(environ[TOKEN_FILE_ENV])
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read the token file {path}: {exc}") from None
    for line in (raw.strip() for raw in lines):
        if line and not line.startswith("#"):
            return line.rpartition(":")[2].strip() if ":" in line else line
    raise ReportError(f"the token file {path} holds no token")


def from_sidecar(url: str, token: str | None, timeout: float) -> Report:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/")
    with httpx.Client(headers=headers, timeout=timeout, follow_redirects=False) as http:
        stats = _get_json(http, f"{base}/api/stats")
        history = _get_json(http, f"{base}/api/history?range=1h")
        log_text = _get_text(http, f"{base}/api/logs?lines={LOG_LINES}")
    document = dict(stats)
    document["history_1h"] = history_summary(history)
    document["log_summary"] = (
        summary_of(log_text.splitlines()) if log_text is not None else {"error": "no log"}
    )
    return Report(document)


def _get(http: httpx.Client, url: str) -> httpx.Response:
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        raise ReportError(f"cannot reach the sidecar at {url}: {type(exc).__name__}") from None
    if response.status_code in (401, 403):
        hint = "pass --token-file or set " + TOKEN_FILE_ENV
        raise ReportError(f"the sidecar refused the request ({response.status_code}): {hint}")
    return response


def _get_json(http: httpx.Client, url: str) -> dict[str, Any]:
    response = _get(http, url)
    if response.status_code != 200:
        raise ReportError(f"{url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError:
        raise ReportError(f"{url} answered something that is not JSON") from None
    if not isinstance(document, dict):
        raise ReportError(f"{url} answered JSON that is not an object")
    return document


def _get_text(http: httpx.Client, url: str) -> str | None:
    response = _get(http, url)
    return response.text if response.status_code == 200 else None


# -- straight at Logstash ----------------------------------------------------------------------


async def _collect(
    settings: Settings, sample_seconds: float, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Two polls ``sample_seconds`` apart (rates need two), then the stats document."""
    async with httpx.AsyncClient() as http:
        sidecar = build_sidecar(settings, http, SystemClock(), environ=environ)
        await sidecar.poller.poll_once()
        if sidecar.store.latest is None:
            reason = sidecar.store.last_error or "no answer"
            raise ReportError(f"Logstash at {settings.logstash_url} did not answer: {reason}")
        if sample_seconds > 0:
            await asyncio.sleep(sample_seconds)
            await sidecar.poller.poll_once()
        sidecar.evaluate_health(sidecar.clock.now())
        document = views.stats_document(sidecar)
        document["history_1h"] = history_summary(
            views.history_json(views.history_snapshot(sidecar.store, "1h", sidecar.clock.now()))
        )
    document["log_summary"] = log_summary(settings)
    return document


def from_logstash(settings: Settings, sample_seconds: float, environ: Mapping[str, str]) -> Report:
    return Report(asyncio.run(_collect(settings, sample_seconds, environ)))


def log_summary(settings: Settings, lines: int = LOG_LINES) -> dict[str, Any]:
    limits = logwindow.Limits(settings.log_max_answer_bytes, settings.log_max_line_bytes)
    try:
        text, _ = logwindow.read_text(settings.log_path, lines, limits)
    except FileNotFoundError:
        return {"error": api.missing_log_message(settings)}
    except OSError as exc:
        return {"error": api.unreadable_log_message(settings, exc)}
    return summary_of(text.splitlines())


# -- the document ------------------------------------------------------------------------------


def summary_of(lines: list[str]) -> dict[str, Any]:
    summary = logs.summarize(lines)
    return {
        "lines": summary.total_lines,
        "counts": summary.counts,
        "top_messages": [
            {"level": m.level, "count": m.count, "message": m.example} for m in summary.top_messages
        ],
        "recent_problems": [
            {"timestamp": e.timestamp, "level": e.level, "logger": e.logger, "message": e.message}
            for e in _problems(lines)
        ],
    }


def _problems(lines: list[str], keep: int = 10) -> list[logs.LogEntry]:
    """The last WARN, ERROR and FATAL entries, oldest first."""
    wanted = {"WARN", "ERROR", "FATAL"}
    return [e for e in logs.iter_entries(lines) if e.level in wanted][-keep:]


def history_summary(history: Mapping[str, Any]) -> dict[str, Any]:
    points = [p for p in history.get("points", []) if isinstance(p, dict)]
    seconds = sum(float(p.get("interval_s") or 0) for p in points)
    events_in = sum(int(p.get("events_in") or 0) for p in points)
    events_out = sum(int(p.get("events_out") or 0) for p in points)
    return {
        "points": len(points),
        "seconds": round(seconds, 1),
        "input_eps": round(events_in / seconds, 3) if seconds else None,
        "output_eps": round(events_out / seconds, 3) if seconds else None,
        "restarts": len(history.get("restarts", [])),
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
    out = _health_lines(doc)
    out += _pipeline_lines(doc)
    out += _log_type_lines(doc)
    out += _history_lines(doc)
    out += _log_lines(doc)
    return "\n".join(out) + "\n"


def _health_lines(doc: Mapping[str, Any]) -> list[str]:
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
    return out


def _pipeline_lines(doc: Mapping[str, Any]) -> list[str]:
    pipelines = doc.get("pipelines") or []
    if not pipelines:
        return []
    out = ["", f"{'pipeline':<22}{'in':>14}{'out':>14}{'in/s':>10}{'out/s':>10}{'queue':>10}"]
    for p in pipelines:
        out.append(
            f"{p['id']:<22}{_fmt(p['events']['in']):>14}{_fmt(p['events']['out']):>14}"
            f"{_fmt(p['input_eps']):>10}{_fmt(p['output_eps']):>10}"
            f"{_fmt(p['queue']['events']):>10}"
        )
    return out


def _log_type_lines(doc: Mapping[str, Any]) -> list[str]:
    rows = [r for r in doc["log_types"] if r["received"] or r["sent"] or r["dropped"]]
    if not rows:
        return []
    out = [
        "",
        f"{'log type':<22}{'received':>12}{'sent':>12}{'dropped':>10}{'failed':>9}{'eps':>9}",
    ]
    for r in rows:
        out.append(
            f"{r['label']:<22}{r['received']:>12,}{r['sent']:>12,}"
            f"{r['dropped']:>10,}{r['failed']:>9,}{r['eps']:>9,.1f}"
        )
    return out


def _history_lines(doc: Mapping[str, Any]) -> list[str]:
    history = doc.get("history_1h") or {}
    if not history.get("points"):
        return ["", "history (1 h): no points yet"]
    return [
        "",
        f"history (1 h): {history['points']} points over {_fmt(history['seconds'], ' s')}, "
        f"in/s {_fmt(history['input_eps'])}, out/s {_fmt(history['output_eps'])}, "
        f"restarts {history['restarts']}",
    ]


def _log_lines(doc: Mapping[str, Any]) -> list[str]:
    summary = doc.get("log_summary", {})
    if "error" in summary:
        return ["", f"log: {summary['error']}"]
    if not summary:
        return []
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items() if v)
    out = ["", f"log (last {summary['lines']:,} lines): {counts or 'empty'}"]
    out += [
        f"  {e['timestamp']} {e['level']} {e['message'][:160]}"
        for e in summary["recent_problems"][-5:]
    ]
    return out


def run(
    settings: Settings,
    *,
    url: str | None,
    token_file: Path | None,
    as_json: bool,
    sample_seconds: float,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, int]:
    """The report's text and exit code; a failure is one line and UNKNOWN."""
    env = os.environ if environ is None else environ
    try:
        if url is not None:
            report = from_sidecar(url, read_token(token_file, env), settings.request_timeout)
        else:
            report = from_logstash(settings, sample_seconds, env)
        text = (
            json.dumps(report.document, indent=2) + "\n"
            if as_json
            else render_text(report.document)
        )
    except ReportError as exc:
        return f"UNKNOWN: {exc}\n", UNKNOWN
    except (KeyError, TypeError, AttributeError):
        return "UNKNOWN: the sidecar's answer does not have the expected shape\n", UNKNOWN
    return text, report.exit_code
