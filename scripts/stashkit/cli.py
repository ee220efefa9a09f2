"""The ``stashkit`` console command: one parser, one module per subcommand.

Each subcommand lives in ``stashkit/commands/<name>.py`` and registers itself (see
:mod:`stashkit.commands`). Errors derived from :class:`~stashkit.errors.StashkitError` become one
line, ``stashkit: <message>``, on stderr and their exit code (2 for usage and configuration
mistakes, 1 for runtime failures); a traceback is printed only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn, TextIO

from . import __version__
from .commands import register_all
from .errors import StashkitError, UsageError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stashkit",
        description="Render, deploy and check Logstash with its status sidecar.",
    )
    parser.add_argument("--version", action="version", version=f"stashkit {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="print a traceback when a command fails"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    register_all(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, stderr: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        args = build_parser().parse_args(args_list)
        code: int = args.handler(args)
        return code
    except StashkitError as exc:
        if debug:
            traceback.print_exc(file=err)
        print(f"stashkit: {exc.message}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stashkit: interrupted", file=err)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
