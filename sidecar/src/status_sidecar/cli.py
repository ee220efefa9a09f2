"""`status-sidecar serve|report|tail`: bad arguments exit 2 with one line, never a traceback."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from .settings import Settings, SettingsError, add_arguments, from_namespace


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="status-sidecar",
        description="Status sidecar for Logstash: readiness health, dashboard, metrics.",
        epilog="With no flags, settings come from the environment (see README).",
    )
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="poll Logstash and serve the API and dashboard")
    add_arguments(serve)
    return parser


def _serve(settings: Settings) -> int:
    import uvicorn

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    env = os.environ if environ is None else environ
    command = args.command or "serve"
    if args.command is None:
        args = _parser().parse_args(["serve"])
    try:
        settings = from_namespace(args, env)
    except SettingsError as exc:
        print(f"status-sidecar: {exc}", file=sys.stderr)
        return 2
    if command == "serve":
        return _serve(settings)
    return 2
