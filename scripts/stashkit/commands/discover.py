"""``stashkit discover``: keep a Prometheus file_sd file listing every running sidecar."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import cloud
from ..cloud import Backoff, Factories
from ..discover import DiscoveryLoop, describe_walkers
from ..errors import CloudError, UsageError
from ..inventory import AciWalker, AsgWalker, KubeWalker, Walker
from ..stopflag import StopFlag, stop_on_signals
from . import add_command
from ._options import (
    add_kubernetes,
    add_region,
    add_repeatable,
    add_seconds,
    add_subscription,
    port,
    positive,
)

EXAMPLES = """\
examples:
  # every running instance of an Auto Scaling group, refreshed every 30 s
  stashkit discover --aws-asg stashkit-logstash --region eu-west-1 \\
      --out /etc/prometheus/stashkit.json

  # the container groups of an Azure resource group, once (for cron or a test)
  stashkit discover --azure-resource-group stashkit-rg --subscription 0000-... \\
      --out targets.json --once

  # the pods of the Kubernetes target (through the API server, with your kubeconfig)
  stashkit discover --kubernetes --namespace stashkit --out targets.json

  # then, in prometheus.yml (/metrics needs the sidecar token, read from a file):
  #   scrape_configs:
  #     - job_name: stashkit
  #       authorization:
  #         credentials_file: /etc/prometheus/stashkit-sidecar-token
  #       file_sd_configs: [{files: [/etc/prometheus/stashkit.json]}]

Each sidecar becomes one target group with the labels job, deployment, cloud, region or
location, instance_id or container_group (Kubernetes: namespace, pod, node), and
__metrics_path__=/metrics. On Kubernetes the targets are the pod IPs on the sidecar's port
named http, so Prometheus must reach the pods (run it in the cluster, or on a network the pod
IPs are routed to) and the NetworkPolicy must let it in; a Prometheus operator can use the
ServiceMonitor or PodMonitor component instead. The file is replaced
atomically and only when its content changes. Cloud API errors are retried with exponential
backoff; a failed cycle keeps the last good targets and the loop goes on. SIGTERM or Ctrl-C
stops it cleanly. AWS credentials come from the usual boto3 chain, Azure ones from
DefaultAzureCredential (environment, managed identity, `az login`), Kubernetes ones from
--kubeconfig, $KUBECONFIG or ~/.kube/config (exec plugins such as `aws eks get-token` and
kubelogin work), else the pod's service account (it needs get/list on pods).
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = add_command(
        subparsers,
        "discover",
        summary="write a Prometheus file_sd file of every running sidecar (AWS, Azure, Kubernetes)",
        description=(
            "Find every running sidecar (the private IPs of an Auto Scaling group's instances, "
            "the container groups of an Azure resource group, or the pods of a Kubernetes "
            "namespace) and write them to a "
            "Prometheus file_sd JSON file, every --interval seconds or --once."
        ),
        examples=EXAMPLES,
    )
    where = parser.add_argument_group("where to look (at least one; each may be repeated)")
    add_repeatable(
        where,
        "--aws-asg",
        "NAME",
        "an Auto Scaling group (deployments/aws-ec2-autoscale output autoscaling_group_name)",
    )
    add_region(where)
    add_repeatable(
        where,
        "--azure-resource-group",
        "RG",
        "an Azure resource group holding container groups (output resource_group_name)",
    )
    add_subscription(where)
    kube = parser.add_argument_group("Kubernetes")
    kube.add_argument(
        "--kubernetes",
        action="store_true",
        help="the pods of --namespace matching --selector (deployments/kubernetes)",
    )
    add_kubernetes(kube)
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="the file_sd JSON file to write"
    )
    add_seconds(parser, "--interval", 30.0, "seconds between cycles", kind=positive)
    parser.add_argument("--once", action="store_true", help="one cycle, then exit (1 if it failed)")
    parser.add_argument(
        "--port",
        type=port,
        default=3000,
        help="sidecar port of the instances (default 3000; on Azure the sidecar container's "
        "declared port, on Kubernetes its port named http)",
    )
    parser.add_argument(
        "--deployment",
        metavar="NAME",
        help="the deployment label (default: the stashkit:deployment tag, else the ASG or "
        "resource group name)",
    )
    parser.add_argument("--job", default="stashkit", help="the job label (default stashkit)")
    parser.set_defaults(handler=run)


def log_line(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} discover: {message}", file=sys.stderr, flush=True)


def build_walkers(args: argparse.Namespace, factories: Factories) -> list[Walker]:
    if not args.aws_asg and not args.azure_resource_group and not args.kubernetes:
        raise UsageError("discover needs --aws-asg NAME, --azure-resource-group RG or --kubernetes")
    if not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: directory {args.out.parent} does not exist")
    walkers: list[Walker] = []
    for group in args.aws_asg:
        walkers.append(
            AsgWalker(
                factories.boto3_session,
                group,
                region=args.region,
                port=args.port,
                job=args.job,
                deployment=args.deployment,
            )
        )
    if args.azure_resource_group:
        subscription = cloud.azure_subscription(args.subscription)
        for resource_group in args.azure_resource_group:
            walkers.append(
                AciWalker(
                    factories.aci_client,
                    subscription,
                    resource_group,
                    job=args.job,
                    deployment=args.deployment,
                )
            )
    if args.kubernetes:
        walkers.append(
            KubeWalker(
                lambda: factories.kube_client(args.kubeconfig, args.context),
                args.namespace,
                args.selector,
                port=args.port,
                job=args.job,
                deployment=args.deployment,
            )
        )
    return walkers


def run(args: argparse.Namespace, factories: Factories | None = None) -> int:
    factories = factories or cloud.DEFAULT_FACTORIES
    walkers = build_walkers(args, factories)
    flag = StopFlag()
    loop = DiscoveryLoop(
        walkers,
        args.out,
        interval=args.interval,
        backoff=Backoff(),
        sleep=flag.sleep,
        log=log_line,
    )
    what = describe_walkers(walkers)
    if args.once:
        log_line(f"querying {what} ...")
    else:
        log_line(
            f"watching {what} every {args.interval:g} s, writing {args.out} "
            "(SIGTERM or Ctrl-C stops)"
        )
    with stop_on_signals(flag):
        report = loop.run(once=args.once)
    if flag.is_set():
        log_line(f"stopped by {flag.signal_name or 'request'} after {loop.cycles} cycle(s)")
        return 0
    if args.once and not report.ok:
        raise CloudError(f"discover failed: {report.problems()}")
    return 0
