"""``stashkit replay``: send sample or captured syslog messages to a listener, paced."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import ReplayFailed, UsageError
from ..progress import Progress
from ..replay import (
    Message,
    Replayer,
    Transport,
    load_file,
    load_samples,
    make_transport,
    parse_target,
    render_summary,
    sample_types,
)
from ..stopflag import StopFlag, stop_on_signals
from . import add_command

EXAMPLES = """\
examples:
  # every shipped sample once, over UDP, 10 messages a second (the default rate)
  stashkit replay --samples all --to 10.0.1.20:5000

  # two log types over TCP, 200 messages as fast as possible
  stashkit replay --samples microseg fqdn --to syslog.example.net:5000 --tcp --count 200 --rate 0

  # a capture, again and again, over mutual TLS to the 6514 listener
  stashkit replay capture.log --to nlb.example.net:6514 --tls --ca ca.pem \\
      --cert client.pem --key client-key.pem --loop --rate 50

Messages are the lines of FILE (or of the shipped samples, written from the Aviatrix formats):
blank lines and lines starting with # are skipped, a trailing CR is dropped. UDP sends one
datagram per message; TCP and TLS send each message followed by a newline on one connection.
Every timestamp in a message is moved so that its first one is now (headers `Mmm d HH:MM:SS`
and RFC 3339, in-body dates, JSON epochs and ISO strings, cpu_cores seconds); --no-refresh sends
the bytes unchanged. Ctrl-C stops and prints the summary. Exit status 1 when a send failed.
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = add_command(
        subparsers,
        "replay",
        summary="send sample or captured syslog messages to a syslog listener (UDP, TCP, TLS)",
        description=(
            "Send syslog messages (a file, or the samples shipped for each log type) to "
            "HOST:PORT over UDP, TCP or TLS, with timestamps refreshed to now, paced by --rate, "
            "with progress and a summary per log type."
        ),
        examples=EXAMPLES,
    )
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="messages, one a line")
    parser.add_argument(
        "--samples",
        nargs="+",
        metavar="TYPE",
        choices=(*sample_types(), "all"),
        help=f"send the shipped samples of these log types ({', '.join(sample_types())}, all)",
    )
    parser.add_argument("--to", required=True, metavar="HOST:PORT", help="the syslog listener")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--udp", action="store_true", help="one datagram a message (default)")
    transport.add_argument("--tcp", action="store_true", help="newline-framed, one connection")
    tls = parser.add_argument_group("TLS (implies TCP)")
    tls.add_argument("--tls", action="store_true", help="TLS over TCP (the 6514 listener)")
    tls.add_argument(
        "--ca", type=Path, metavar="PEM", help="CA to verify the server (default: system)"
    )
    tls.add_argument("--cert", type=Path, metavar="PEM", help="client certificate, for mutual TLS")
    tls.add_argument("--key", type=Path, metavar="PEM", help="client key (if not in --cert)")
    tls.add_argument(
        "--server-name", metavar="NAME", help="name to verify the server as (default: HOST)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=10.0,
        metavar="N",
        help="messages per second (default 10; 0 = as fast as possible)",
    )
    parser.add_argument("--count", type=int, metavar="N", help="stop after N messages")
    parser.add_argument("--loop", action="store_true", help="repeat the messages until stopped")
    parser.add_argument(
        "--no-refresh", action="store_true", help="send the messages as they are (no new times)"
    )
    parser.set_defaults(handler=run)


def _messages(args: argparse.Namespace) -> list[Message]:
    if (args.file is None) == (not args.samples):
        raise UsageError("give either FILE or --samples TYPE...")
    if args.samples:
        return load_samples(args.samples)
    path: Path = args.file
    return load_file(path)


def build_transport(args: argparse.Namespace) -> Transport:
    if args.tls and args.udp:
        raise UsageError("--tls runs over TCP: drop --udp")
    return make_transport(
        parse_target(args.to),
        tcp=args.tcp,
        tls=args.tls,
        ca=args.ca,
        cert=args.cert,
        key=args.key,
        server_name=args.server_name,
    )


def run(args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be 1 or more")
    if args.rate < 0:
        raise UsageError("--rate must be 0 (no limit) or more")
    messages = _messages(args)
    transport = build_transport(args)
    status = Progress(sys.stderr, prefix="")
    flag = StopFlag()
    replayer = Replayer(
        transport,
        rate=args.rate,
        refresh=not args.no_refresh,
        clock=time.monotonic,
        sleep=flag.sleep,
        progress=status.update,
        stop=flag.is_set,
    )
    kind = "TLS" if args.tls else "TCP" if args.tcp else "UDP"
    status.update(f"replay: {len(messages)} message(s) to {args.to} over {kind}")
    with stop_on_signals(flag):
        try:
            summary = replayer.run(messages, count=args.count, loop=args.loop)
        finally:
            status.done()
    sys.stdout.write(render_summary(summary, f"{args.to} over {kind}"))
    sys.stdout.flush()
    if summary.failed:
        raise ReplayFailed(
            f"{summary.failed} of {summary.failed + summary.total} message(s) not sent: "
            f"{summary.errors[-1]}"
        )
    return 0


__all__ = ["build_transport", "register", "run"]
