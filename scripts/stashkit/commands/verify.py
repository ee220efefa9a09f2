"""``stashkit verify <deployment>``: wait until the deployment is really serving."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import cloud
from ..cloud import Factories
from ..errors import UsageError
from ..progress import Progress
from ..render import DEPLOYMENTS
from ..render_kube import KUBERNETES
from ..replay import parse_target
from ..verify import OutputsReader, read_terraform_outputs, render_result, verify_deployment
from ..verify_checks import DEFAULT_SERVICE
from . import add_command
from ._options import (
    add_kubernetes,
    add_region,
    add_repeatable,
    add_seconds,
    add_subscription,
    add_token_file,
)

TARGETS = (*DEPLOYMENTS, KUBERNETES)

EXAMPLES = """\
examples:
  # after `stashkit apply aws-ec2-autoscale`: NLB target health + every instance's sidecar
  stashkit verify aws-ec2-autoscale --timeout 900

  # without Terraform state at hand: name the target groups (and sidecars) yourself
  stashkit verify aws-ec2-autoscale --region eu-west-1 \\
      --target-group-arn arn:aws:elasticloadbalancing:...:targetgroup/stashkit-syslog/abc

  # Azure: the container groups of the resource group, their containers and the sidecar
  stashkit verify azure-aci --resource-group stashkit-rg --subscription 0000-... --json

  # Kubernetes: every pod Ready, the syslog load balancer's address, each sidecar's health
  # (through the API server's pod proxy on the health-only port: only the kubeconfig needed)
  stashkit verify kubernetes --namespace stashkit --context prod-eks

What "serving" means. AWS: every registered target of every NLB target group is healthy, and
each instance's sidecar answers GET /api/health with 200. Azure: each container group is
Running, every container in it is Running (restart counts are shown), and the sidecar answers
/api/health with 200. Kubernetes: every pod matching --selector in --namespace is Ready
(containers' states and restarts shown), the syslog Service has its load balancer address, and
each sidecar answers /api/health with 200 (asked through the API server, or with --direct at the
pod IP). Where to look comes from the flags, else from `terraform output` in
deployments/<deployment> (target_group_arns, sidecar_urls, resource_group_name), else, with
--name, from the target groups tagged stashkit:deployment=NAME.

With --send-samples, once serving: a few shipped samples of every log type the sidecars
forward are sent to the syslog endpoint (--syslog, else the udp, tcp or tls entry of
`terraform output syslog_endpoints` (NLB name, instance IP, container group DNS name or IP),
else the sidecars' hosts on --syslog-port), then every sidecar's /api/stats is watched until the
per-type `received` counters grew by what was sent; a table shows sent, seen and missing.

  stashkit verify aws-ec2-autoscale --send-samples --syslog nlb-123.elb.amazonaws.com:5000
  stashkit verify azure-aci --resource-group stashkit-rg --send-samples --tls --ca ca.pem \\
      --cert client.pem --key client-key.pem

Exit status: 0 once everything passes; 1 when --timeout passes first (the table and the
sidecars' reasons are printed) or a log type's samples were not all counted; 2 for a usage
error.
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = add_command(
        subparsers,
        "verify",
        summary="wait until a deployment is really serving (target health, containers, sidecars)",
        description=(
            "Wait until the deployment is really serving: NLB target health and every "
            "instance's sidecar /api/health on AWS; container group, containers and sidecar "
            "on Azure. Prints a table of every check."
        ),
        examples=EXAMPLES,
    )
    parser.add_argument(
        "deployment", choices=TARGETS, metavar="DEPLOYMENT", help=", ".join(TARGETS)
    )
    add_seconds(parser, "--timeout", 600.0, "give up after this long")
    add_seconds(parser, "--interval", 5.0, "seconds between rounds of checks")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--port", type=int, default=3000, help="sidecar port on each instance (default 3000)"
    )
    add_seconds(parser, "--http-timeout", 3.0, "timeout of each /api/health request")
    add_repeatable(
        parser,
        "--sidecar-url",
        "URL",
        "ask this sidecar instead of the ones found (repeat for more)",
    )
    add_token_file(parser)
    parser.add_argument(
        "--no-terraform",
        action="store_true",
        help="do not read `terraform output`; use only the flags",
    )
    aws = parser.add_argument_group("AWS")
    add_region(aws)
    add_repeatable(
        aws, "--target-group-arn", "ARN", "an NLB target group to check (repeat for more)"
    )
    aws.add_argument(
        "--name",
        metavar="NAME",
        help="find the target groups tagged stashkit:deployment=NAME (the `name` variable)",
    )
    azure = parser.add_argument_group("Azure")
    azure.add_argument("--resource-group", metavar="RG", help="the deployment's resource group")
    add_subscription(azure)
    add_repeatable(
        azure,
        "--container-group",
        "NAME",
        "check only this container group (default: every one in the resource group)",
    )
    kube = parser.add_argument_group("Kubernetes")
    add_kubernetes(kube)
    kube.add_argument(
        "--service",
        default=DEFAULT_SERVICE,
        metavar="NAME",
        help=f"the syslog Service (default {DEFAULT_SERVICE}; '' skips it)",
    )
    kube.add_argument(
        "--direct",
        action="store_true",
        help="ask each sidecar at its pod IP (the full port, with the token) instead of "
        "through the API server; needed by --send-samples",
    )
    samples = parser.add_argument_group("end-to-end syslog check")
    samples.add_argument(
        "--send-samples",
        action="store_true",
        help="once serving, send samples of each forwarded log type and wait until counted",
    )
    samples.add_argument(
        "--syslog",
        metavar="HOST:PORT",
        help="the syslog endpoint (default: the udp, tcp or tls entry of terraform output "
        "syslog_endpoints, else the sidecars' hosts on --syslog-port)",
    )
    samples.add_argument(
        "--syslog-port",
        type=int,
        metavar="PORT",
        help="syslog port (default: the syslog_endpoints output's; on the sidecars' hosts "
        "5000, 6514 with --tls)",
    )
    samples.add_argument(
        "--samples-per-type", type=int, default=3, metavar="N", help="messages per type (3)"
    )
    add_seconds(samples, "--samples-timeout", 120.0, "how long to wait for the counters")
    samples.add_argument("--tcp", action="store_true", help="send over TCP (default UDP)")
    samples.add_argument(
        "--tls", action="store_true", help="send over TLS (the syslog_tls_port listener)"
    )
    samples.add_argument("--ca", type=Path, metavar="PEM", help="CA to verify the TLS listener")
    samples.add_argument("--cert", type=Path, metavar="PEM", help="client certificate (mTLS)")
    samples.add_argument("--key", type=Path, metavar="PEM", help="client key (if not in --cert)")
    samples.add_argument("--server-name", metavar="NAME", help="TLS name of the listener")
    parser.set_defaults(handler=run)


def run(
    args: argparse.Namespace,
    factories: Factories | None = None,
    outputs_reader: OutputsReader = read_terraform_outputs,
) -> int:
    check_flags(args)
    result = verify_deployment(
        args,
        factories or cloud.DEFAULT_FACTORIES,
        outputs_reader,
        Progress(sys.stderr, prefix=""),
    )
    sys.stdout.write(render_result(result, as_json=args.json))
    sys.stdout.flush()
    result.raise_for_failure()
    return 0


def check_flags(args: argparse.Namespace) -> None:
    """The usage errors argparse cannot see: ranges, and the options that need another."""
    if args.timeout < 0 or args.interval <= 0 or args.http_timeout <= 0:
        raise UsageError("--timeout must be >= 0, --interval and --http-timeout more than 0")
    if args.send_samples:
        if args.samples_per_type < 1 or args.samples_timeout <= 0:
            raise UsageError("--samples-per-type must be 1 or more, --samples-timeout above 0")
        if args.syslog:
            parse_target(args.syslog)
    elif args.syslog or args.tcp or args.tls or args.ca or args.cert or args.key:
        raise UsageError("--syslog, --tcp, --tls, --ca, --cert and --key go with --send-samples")
