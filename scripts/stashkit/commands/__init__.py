"""Subcommands: each module here defines ``register(subparsers)``.

``register`` adds its subparser (:func:`add_command`) and sets ``handler`` (``args -> exit
code``) as a default. To add a subcommand, write ``commands/<name>.py`` and list it in
:data:`COMMANDS`; its logic goes in ``stashkit/<name>.py``. Commands stay thin: they parse,
check what argparse cannot, and call classes that receive their collaborators (the factories of
:mod:`stashkit.cloud`), so tests pass fakes. ``_deploy`` (plan, apply, destroy) and
``_options`` (options several commands take) are shared helpers, not commands.

Standard library only here: the dev stack imports ``commands.replay`` with the sidecar image's
Python (deployments/dev/replay.py).
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

COMMANDS: tuple[str, ...] = (
    "render",
    "plan",
    "apply",
    "destroy",
    "build-push",
    "discover",
    "verify",
    "fleet",
    "replay",
)
"""Subcommand modules, in ``--help`` order."""


def add_command(
    subparsers: argparse._SubParsersAction[Any],
    name: str,
    *,
    summary: str,
    description: str,
    examples: str | None = None,
) -> argparse.ArgumentParser:
    """The subcommand's parser: ``summary`` in ``stashkit --help``, then its own help with the
    ``examples`` epilog as written."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def register_all(subparsers: argparse._SubParsersAction[Any]) -> None:
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        module.register(subparsers)
