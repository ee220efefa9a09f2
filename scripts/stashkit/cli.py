"""The ``stashkit`` console command: one parser, one module per subcommand.

Each subcommand lives in ``stashkit/commands/<name>.py`` and registers itself (see
:mod:`stashkit.commands`). Errors derived from :class:`~stashkit.errors.StashkitError` become one
line, ``stashkit: <message>``, on stderr and their exit code (2 for usage and configuration
mistakes, 1 for runtime failures); a traceback is printed only with ``--debug``. With
``--detailed-exitcode`` 2 means "the plan has changes", so every error exits 1 there.

An unknown option names itself and the help of the command it was given to (``stashkit plan
--help``). A flag that replaces an environment variable which is also set gets one warning line
naming the variables ignored (names only: values may be secrets).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import traceback
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, NoReturn, TextIO

from . import __version__
from .commands import register_all
from .errors import StashkitError, UsageError, exit_code_for
from .sidecar_auth import TOKEN_FILE_ENV

__all__ = ["build_parser", "ignored_environment", "main", "parse"]

HELP_WIDTH = 79
"""Descriptions are wrapped to this width (argparse's raw formatter leaves them as written)."""

DETAILED_EXITCODE = "--detailed-exitcode"


class _Replaces(NamedTuple):
    """A flag of some commands that replaces environment variables when both are given."""

    commands: frozenset[str]
    dest: str
    flag: str
    environment: tuple[str, ...]


_FLAG_ENVIRONMENT: tuple[_Replaces, ...] = (
    _Replaces(
        frozenset({"build-push", "discover", "verify"}),
        "region",
        "--region",
        ("AWS_REGION", "AWS_DEFAULT_REGION"),
    ),
    _Replaces(
        frozenset({"discover", "verify"}),
        "subscription",
        "--subscription",
        ("AZURE_SUBSCRIPTION_ID",),
    ),
    _Replaces(frozenset({"discover", "verify"}), "kubeconfig", "--kubeconfig", ("KUBECONFIG",)),
    _Replaces(frozenset({"fleet", "verify"}), "token_file", "--token-file", (TOKEN_FILE_ENV,)),
    _Replaces(frozenset({"build-push"}), "token_file", "--token-file", ("GHCR_TOKEN",)),
    _Replaces(frozenset({"build-push"}), "username", "--username", ("GHCR_USERNAME",)),
)
_TF_VAR_COMMANDS = frozenset({"plan", "apply", "destroy"})
"""``--var NAME=VALUE`` reaches Terraform in a var-file, which wins over ``TF_VAR_NAME``."""


def wrap_description(text: str | None, width: int = HELP_WIDTH) -> str | None:
    """``text`` with every line longer than ``width`` wrapped (keeping its indent); shorter lines,
    such as pre-formatted examples, stay as they are."""
    if text is None:
        return None
    lines: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(textwrap.wrap(line, width, initial_indent="", subsequent_indent=indent))
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing usage and exiting, and wraps
    long description lines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "description" in kwargs:
            kwargs["description"] = wrap_description(kwargs["description"])
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _unknown(extras: Sequence[str]) -> str:
    options = [e for e in extras if e.startswith("-")]
    if options:
        noun = "option" if len(options) == 1 else "options"
        return f"unknown {noun} {' '.join(options)}"
    return f"unexpected argument {' '.join(extras)}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stashkit",
        description="Render, deploy and check Logstash with its status sidecar.",
    )
    parser.add_argument("--version", action="version", version=f"stashkit {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="print a traceback when a command fails"
    )
    # Not `required`: argparse would report a missing COMMAND before an unknown option.
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    register_all(subparsers)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` parsed; an unknown option is reported by the parser of the command it was given
    to, so the hint names that command's help."""
    before_command = _leading_options(argv)
    unknown = [o for o in before_command if not _is_option_of(parser, o)]
    if unknown:
        parser.error(_unknown(unknown))
    args, extras = parser.parse_known_args(argv)
    command = getattr(args, "command", None)
    target = _subparser(parser, command) if command else parser
    if extras:
        target.error(_unknown(extras))
    if command is None:
        parser.error(f"a COMMAND is required: one of {', '.join(_commands(parser))}")
    return args


def _leading_options(argv: Sequence[str]) -> list[str]:
    """The options before the COMMAND (the top-level parser's own)."""
    leading: list[str] = []
    for arg in argv:
        if not arg.startswith("-") or arg == "--":
            break
        leading.append(arg)
    return leading


def _is_option_of(parser: argparse.ArgumentParser, arg: str) -> bool:
    """Whether ``parser`` takes ``arg``, also as an unambiguous abbreviation, as argparse does."""
    name = arg.partition("=")[0]
    known = parser._option_string_actions
    return name in known or sum(k.startswith(name) for k in known if k.startswith("--")) == 1


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    return list(_subparsers(parser))


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    return _subparsers(parser).get(command, parser)


def asks_detailed_exitcode(argv: Sequence[str]) -> bool:
    """Whether the command line holds ``--detailed-exitcode`` (or an abbreviation argparse would
    accept), even when it does not parse: then every error exits 1, as 2 means changes."""
    for arg in argv:
        if arg == "--":
            return False
        name = arg.partition("=")[0]
        if len(name) >= len("--det") and DETAILED_EXITCODE.startswith(name):
            return True
    return False


def ignored_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """``NAME (--flag)`` for each set environment variable a given flag replaces."""
    command = getattr(args, "command", None)
    ignored: list[str] = []
    for rule in _FLAG_ENVIRONMENT:
        if command in rule.commands and getattr(args, rule.dest, None) is not None:
            ignored += [f"{name} ({rule.flag})" for name in rule.environment if environ.get(name)]
    if command in _TF_VAR_COMMANDS:
        for text in getattr(args, "variables", None) or ():
            name = str(text).partition("=")[0]
            if f"TF_VAR_{name}" in environ:
                ignored.append(f"TF_VAR_{name} (--var {name})")
    return ignored


def _warn_ignored(args: argparse.Namespace, environ: Mapping[str, str], err: TextIO) -> None:
    ignored = ignored_environment(args, environ)
    if ignored:
        print(
            "stashkit: warning: the flags given replace these environment variables, which are "
            f"ignored: {', '.join(dict.fromkeys(ignored))}",
            file=err,
        )


def main(argv: Sequence[str] | None = None, *, stderr: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    detailed = asks_detailed_exitcode(args_list)
    try:
        args = parse(build_parser(), args_list)
        _warn_ignored(args, os.environ, err)
        code: int = args.handler(args)
        return code
    except StashkitError as exc:
        if debug:
            traceback.print_exc(file=err)
        print(f"stashkit: {exc.message}", file=err)
        return exit_code_for(exc, detailed_exitcode=detailed)
    except KeyboardInterrupt:
        print("stashkit: interrupted", file=err)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
