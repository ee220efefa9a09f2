"""`status-sidecar serve|report|tail`: a bad argument is one line, never a traceback (exit 2;
3 for `report`, the monitoring-plugin code for UNKNOWN)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .settings import (
    REPORT_FIELDS,
    TAIL_FIELDS,
    Settings,
    SettingsError,
    add_arguments,
    from_namespace,
)

EXAMPLES = """\
examples:
  status-sidecar serve                                  # settings from the environment
  status-sidecar serve --logstash-url http://logstash:9600 --port 3000
  status-sidecar report --url https://edge-1:3000 --token-file ~/.config/stashkit/token
  status-sidecar report --logstash-url http://127.0.0.1:9600 --json
  status-sidecar tail --log-path /var/log/logstash/logstash-plain.log --lines 50
"""


class _Parser(argparse.ArgumentParser):
    usage_exit = 2

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(self.usage_exit, f"{self.prog}: {message}\n")


def _parser() -> _Parser:
    parser = _Parser(
        prog="status-sidecar",
        description="Status sidecar for Logstash: readiness health, dashboard, metrics.",
        epilog=EXAMPLES + "\nWith no flags, settings come from the environment (see README).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    serve = commands.add_parser("serve", help="poll Logstash and serve the API and dashboard")
    add_arguments(serve)
    report = commands.add_parser(
        "report",
        help="inspect a sidecar (--url) or Logstash once; exit 0 healthy, 1 degraded, "
        "2 unhealthy or starting, 3 unreachable or unreadable",
    )
    assert isinstance(report, _Parser)
    report.usage_exit = 3  # UNKNOWN: a monitoring system must not read a typo as CRITICAL
    add_arguments(report, REPORT_FIELDS)
    report.add_argument(
        "--url", help="a running sidecar's base URL (else Logstash is polled directly)"
    )
    report.add_argument(
        "--token-file",
        type=Path,
        help="the sidecar token (else the file STASHKIT_SIDECAR_TOKEN_FILE names)",
    )
    report.add_argument("--json", action="store_true", help="print the whole document as JSON")
    report.add_argument(
        "--sample-seconds",
        type=float,
        default=2.0,
        help="seconds between the two polls that give rates (default 2; Logstash mode)",
    )
    tail = commands.add_parser("tail", help="follow the Logstash log, coloured by level")
    add_arguments(tail, TAIL_FIELDS)
    tail.add_argument("--lines", type=int, default=20, help="lines of history to show first")
    tail.add_argument("--no-follow", action="store_true", help="print and exit")
    tail.add_argument("--no-color", action="store_true", help="never colour the output")
    return parser


def _serve(settings: Settings) -> int:
    from . import server
    from .app import create_app
    from .wiring import StartupError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ports = (settings.port, settings.health_port) if settings.health_port else (settings.port,)
    listen = server.Listen(
        host=settings.host,
        ports=ports,
        limits=server.ServerLimits(
            max_header_bytes=settings.max_header_bytes,
            header_timeout=settings.header_timeout,
            max_connections=settings.max_connections,
        ),
        tls_cert_file=settings.tls_cert_file,
        tls_key_file=settings.tls_key_file,
    )
    try:
        server.check_tls(listen)
        app = create_app(settings)
    except StartupError as exc:
        print(f"status-sidecar: {exc}", file=sys.stderr)
        return 2
    scheme = "https" if settings.tls_cert_file else "http"
    where = f"{scheme}://{settings.host}:{settings.port}"
    if settings.health_port:
        where += f" (and :{settings.health_port}, /api/health and /healthz only)"
    logging.getLogger("status_sidecar").info("listening on %s", where)
    try:
        server.run(app, listen)
    except OSError as exc:
        print(
            f"status-sidecar: cannot listen on {settings.host} port {'/'.join(map(str, ports))}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


def _report(settings: Settings, args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from . import report

    if args.sample_seconds < 0 or args.sample_seconds > 300:
        print("status-sidecar: --sample-seconds must be between 0 and 300", file=sys.stderr)
        return report.UNKNOWN
    if args.url is not None and not args.url.startswith(("http://", "https://")):
        print(f"status-sidecar: --url {args.url[:80]!r} is not an http(s) URL", file=sys.stderr)
        return report.UNKNOWN
    text, code = report.run(
        settings,
        url=args.url,
        token_file=args.token_file,
        as_json=args.json,
        sample_seconds=args.sample_seconds,
        environ=environ,
    )
    sys.stdout.write(text)
    return code


def _tail(settings: Settings, args: argparse.Namespace) -> int:
    from .tail import follow

    if args.lines < 0:
        print("status-sidecar: --lines must be 0 or more", file=sys.stderr)
        return 2
    if args.no_follow and not settings.log_path.exists():
        print(f"status-sidecar: no Logstash log at {settings.log_path}", file=sys.stderr)
        return 1
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    colour = not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    with contextlib.suppress(KeyboardInterrupt):
        follow(
            settings.log_path,
            sys.stdout,
            last=args.lines,
            colour=colour,
            follow_forever=not args.no_follow,
            should_stop=lambda: stopping,
        )
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if raw[:1] == ["report"]:
        parser.usage_exit = 3  # extra arguments are refused by the top parser
    args = parser.parse_args(raw or ["serve"])
    env = os.environ if environ is None else environ
    try:
        settings = from_namespace(args, env)
    except SettingsError as exc:
        print(f"status-sidecar: {exc}", file=sys.stderr)
        return 3 if args.command == "report" else 2
    if args.command == "report":
        return _report(settings, args, env)
    if args.command == "tail":
        return _tail(settings, args)
    return _serve(settings)
