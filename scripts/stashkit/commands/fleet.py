"""``stashkit fleet``: one table of every sidecar's health and throughput."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import cloud
from ..cloud import Factories
from ..errors import UsageError
from ..fleet import (
    FleetMonitor,
    FleetRow,
    FleetTotals,
    fleet_json,
    fleet_sidecars,
    render_fleet,
    render_refresh,
    require_serving,
)
from ..progress import Progress
from ..sidecar_auth import authorize, load_token
from . import add_command
from ._options import add_seconds, add_token_file

EXAMPLES = """\
examples:
  # every sidecar `stashkit discover` found
  stashkit fleet --targets /etc/prometheus/stashkit.json

  # named sidecars, refreshed in place every 5 s (Ctrl-C quits)
  stashkit fleet --url http://10.0.1.5:3000 --url http://10.0.2.7:3000 --watch

  # for a script: the rows and totals as JSON; exit 1 unless every sidecar is serving
  stashkit fleet --targets targets.json --json | jq '.totals'

The sidecars' token (every endpoint but /api/health needs it) comes from --token-file or the
file $STASHKIT_SIDECAR_TOKEN_FILE names; it is sent as `Authorization: Bearer`, never printed.

Columns: health (and its reasons), Logstash version and uptime, events in/out per second,
queued events, JVM heap, restarts seen by the sidecar, output failures. A sidecar that does not
answer within --timeout is listed as unreachable. Without --watch the exit code is 0 when every
sidecar answers healthy or degraded, else 1.
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = add_command(
        subparsers,
        "fleet",
        summary="one table of every sidecar's health, throughput, queue, heap and failures",
        description=(
            "Fetch /api/stats from every sidecar at once and print one table with a totals row: "
            "the fleet-wide view a single instance's dashboard cannot give."
        ),
        examples=EXAMPLES,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--targets",
        type=Path,
        metavar="FILE",
        help="a Prometheus file_sd JSON file (as written by `stashkit discover`)",
    )
    source.add_argument(
        "--url",
        action="append",
        metavar="URL",
        help="a sidecar base URL, e.g. http://10.0.1.5:3000 (repeat for more)",
    )
    parser.add_argument("--watch", action="store_true", help="refresh in place until Ctrl-C")
    add_seconds(parser, "--interval", 5.0, "seconds between refreshes with --watch")
    add_seconds(parser, "--timeout", 3.0, "per-sidecar request timeout")
    parser.add_argument(
        "--json", action="store_true", help="JSON (one document per refresh with --watch)"
    )
    add_token_file(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, factories: Factories | None = None) -> int:
    factories = factories or cloud.DEFAULT_FACTORIES
    if args.interval <= 0 or args.timeout <= 0:
        raise UsageError("--interval and --timeout must be more than 0")
    sidecars = functools.partial(fleet_sidecars, args.targets, args.url or ())
    sidecars()  # a bad --targets file fails before anything else happens
    token = load_token(args.token_file)
    monitor = FleetMonitor(
        sidecars, lambda: authorize(factories.async_http_client(args.timeout), token)
    )
    if args.watch:
        return _watch(monitor, args)
    progress = Progress(sys.stderr, prefix="", enabled=sys.stderr.isatty())
    progress.update(f"fleet: asking {len(sidecars())} sidecar(s) (timeout {args.timeout:g} s) ...")
    try:
        rows, totals = monitor.once()
    finally:
        progress.done()
    if args.json:
        _write(json.dumps(fleet_json(rows, totals), indent=2, sort_keys=True) + "\n")
    else:
        _write(render_fleet(rows, totals))
    require_serving(rows, totals)
    return 0


def _watch(monitor: FleetMonitor, args: argparse.Namespace) -> int:
    def show(rows: list[FleetRow], totals: FleetTotals) -> None:
        now = datetime.now().strftime("%H:%M:%S")
        sys.stdout.write(
            render_refresh(rows, totals, as_json=args.json, interval=args.interval, now=now)
        )
        sys.stdout.flush()

    try:
        monitor.watch(show, interval=args.interval)
    except BrokenPipeError:  # `stashkit fleet --watch --json | head -n 3`
        _silence_stdout()
    return 0


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    """The reader went away: point stdout at /dev/null so the exit flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
