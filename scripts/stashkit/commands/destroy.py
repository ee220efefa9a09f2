"""``stashkit destroy <deployment>``: see :mod:`stashkit.deploy`."""

from __future__ import annotations

import argparse
from typing import Any

from ._deploy import register_action


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    register_action(subparsers, "destroy")
