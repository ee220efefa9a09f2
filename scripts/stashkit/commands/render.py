"""``stashkit render <deployment> --config FILE [--output-dir DIR]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import load_config
from ..render import DEPLOYMENTS, TFVARS_FILE, render_deployment


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render the pipeline and container script, write stashkit.auto.tfvars.json",
        description=(
            "Validate the deployment config and render the Logstash pipeline and the container "
            "script into deployments/<name>/.rendered/ (or --output-dir), and write "
            f"deployments/<name>/{TFVARS_FILE} for `terraform apply`. Secrets are never written."
        ),
    )
    parser.add_argument(
        "deployment",
        choices=DEPLOYMENTS,
        metavar="DEPLOYMENT",
        help=f"one of: {', '.join(DEPLOYMENTS)}",
    )
    parser.add_argument(
        "--config",
        required=True,
        type=Path,
        metavar="FILE",
        help="the deployment config (TOML, e.g. stashkit.toml)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write the rendered files and the tfvars file here instead",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    rendered = render_deployment(args.deployment, config, output_dir=args.output_dir)
    files = ["pipeline.conf"] + (["run-containers.sh"] if rendered.container_script else [])
    print(f"rendered {args.deployment} ({config.output_type}): {', '.join(files)}, {TFVARS_FILE}")
    return 0
