"""The options more than one command takes, each spelled once (a helper, not a command)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..inventory import DEFAULT_NAMESPACE, DEFAULT_SELECTOR
from ..sidecar_auth import TOKEN_FILE_ENV

__all__ = [
    "add_kubernetes",
    "add_region",
    "add_repeatable",
    "add_seconds",
    "add_subscription",
    "add_token_file",
    "port",
    "positive",
]

Options = argparse.ArgumentParser | argparse._ArgumentGroup


def add_seconds(
    options: Options, flag: str, default: float, what: str, *, kind: Any = float
) -> None:
    """A duration in seconds; its help says ``what`` it is and its default."""
    help_text = f"{what} (default {default:g})"
    options.add_argument(flag, type=kind, default=default, metavar="SECONDS", help=help_text)


def add_repeatable(options: Options, flag: str, metavar: str, what: str) -> None:
    """An option given once per value (a list, empty by default)."""
    options.add_argument(flag, action="append", default=[], metavar=metavar, help=what)


def add_token_file(options: Options) -> None:
    """The sidecar token's file (``fleet``, ``verify``)."""
    options.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"the sidecar token, sent to every sidecar (default: the file ${TOKEN_FILE_ENV} "
        "names)",
    )


def add_region(options: Options) -> None:
    options.add_argument("--region", metavar="R", help="AWS region (default: AWS_REGION / profile)")


def add_subscription(options: Options) -> None:
    options.add_argument(
        "--subscription", metavar="S", help="Azure subscription id (default: AZURE_SUBSCRIPTION_ID)"
    )


def add_kubernetes(options: Options) -> None:
    """--namespace, --selector, --kubeconfig, --context (discover and verify)."""
    options.add_argument(
        "--namespace",
        default=DEFAULT_NAMESPACE,
        metavar="NS",
        help=f"the namespace of the pods (default {DEFAULT_NAMESPACE}, as the overlays)",
    )
    options.add_argument(
        "--selector",
        default=DEFAULT_SELECTOR,
        metavar="LABELS",
        help=f"label selector of the Logstash pods (default {DEFAULT_SELECTOR})",
    )
    options.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="FILE",
        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)",
    )
    options.add_argument("--context", metavar="NAME", help="kubeconfig context (default: current)")


def positive(raw: str) -> float:
    """An argparse type: a number above 0."""
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{raw!r} must be more than 0")
    return value


def port(raw: str) -> int:
    """An argparse type: a TCP/UDP port."""
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port (1-65535)")
    return int(raw)
