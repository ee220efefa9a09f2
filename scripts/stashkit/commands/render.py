"""``stashkit render <deployment> --config FILE [--output-dir DIR]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import load_config
from ..render import DEPLOYMENTS, TFVARS_FILE, render_deployment
from ..render_kube import KUBERNETES, render_kubernetes
from . import add_command

TARGETS = (*DEPLOYMENTS, KUBERNETES)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = add_command(
        subparsers,
        "render",
        summary="render the pipeline and container script, write stashkit.auto.tfvars.json",
        description=(
            "Validate the deployment config and render the Logstash pipeline and the container "
            "script into deployments/<name>/.rendered/ (or --output-dir), and write "
            f"deployments/<name>/{TFVARS_FILE} for `terraform apply`. For kubernetes: the "
            "pipeline, the settings and the Kustomize component the overlays include, in "
            "deployments/kubernetes/.rendered/. Secrets are never written."
        ),
    )
    parser.add_argument(
        "deployment",
        choices=TARGETS,
        metavar="DEPLOYMENT",
        help=f"one of: {', '.join(TARGETS)}",
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
        help="write the rendered files (and the tfvars file) here instead",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.deployment == KUBERNETES:
        rendered = render_kubernetes(config, output_dir=args.output_dir)
        where = args.output_dir or Path("deployments", KUBERNETES, ".rendered")
        print(
            f"rendered {KUBERNETES} ({config.output_type}): {', '.join(rendered.files)} in "
            f"{where}; build with `kubectl kustomize deployments/kubernetes/overlays/<overlay>`"
        )
        return 0
    tf = render_deployment(args.deployment, config, output_dir=args.output_dir)
    files = ["pipeline.conf"] + (["run-containers.sh"] if tf.container_script else [])
    print(f"rendered {args.deployment} ({config.output_type}): {', '.join(files)}, {TFVARS_FILE}")
    return 0
