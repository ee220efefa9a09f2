"""`stashkit replay` for the dev stack, run by the sidecar image's Python from the mounted scripts/.

The full `stashkit` CLI also loads the deploy and discovery subcommands, whose libraries (PyYAML,
boto3, the Azure and Kubernetes clients) the sidecar image does not have. Replay itself needs only
the standard library and the sidecar's catalog, so this registers that one subcommand, with the
CLI's own arguments, handler and error messages. Same arguments as `stashkit replay ...`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from stashkit.commands import replay
from stashkit.errors import StashkitError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stashkit")
    commands = parser.add_subparsers(dest="command", required=True)
    replay.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except StashkitError as exc:
        print(f"stashkit: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stashkit: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
