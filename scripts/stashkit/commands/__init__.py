"""Subcommands: each module here defines ``register(subparsers)``.

``register`` adds its subparser and sets ``handler`` (``args -> exit code``) as a default. To
add a subcommand, write ``commands/<name>.py`` and list it in :data:`COMMANDS`; commands stay
thin and call classes that receive their collaborators, so tests pass fakes.
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


def register_all(subparsers: argparse._SubParsersAction[Any]) -> None:
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        module.register(subparsers)
