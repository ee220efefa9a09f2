"""``stashkit verify <deployment>``: wait until the deployment is really serving."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from .. import cloud
from ..cloud import Factories, describe_error
from ..errors import CloudError, SamplesMissing, StashkitError, UsageError, VerifyFailed
from ..kube import DEFAULT_SERVICE, KubePlatform, KubeProxyHealth
from ..progress import Progress
from ..render import DEPLOYMENTS, DEPLOYMENTS_DIR
from ..render_kube import KUBERNETES
from ..replay import Target, make_transport, parse_target
from ..sidecar_auth import TOKEN_FILE_ENV, authorize, load_token
from ..verify import (
    AciPlatform,
    AwsPlatform,
    HealthChecker,
    Platform,
    SidecarHealth,
    SidecarRef,
    Verifier,
    VerifyReport,
    render_checks,
    target_groups_tagged,
)
from ..verify_samples import SampleCheck, SampleReport, SidecarStats, render_samples
from .discover import add_kubernetes_arguments

OutputsReader = Callable[[str], Mapping[str, object]]

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
    parser = subparsers.add_parser(
        "verify",
        help="wait until a deployment is really serving (target health, containers, sidecars)",
        description=(
            "Wait until the deployment is really serving: NLB target health and every "
            "instance's sidecar /api/health on AWS; container group, containers and sidecar "
            "on Azure. Prints a table of every check."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "deployment", choices=TARGETS, metavar="DEPLOYMENT", help=", ".join(TARGETS)
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="give up after this long (default 600)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between rounds of checks (default 5)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--port", type=int, default=3000, help="sidecar port on each instance (default 3000)"
    )
    parser.add_argument(
        "--http-timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="timeout of each /api/health request (default 3)",
    )
    parser.add_argument(
        "--sidecar-url",
        action="append",
        default=[],
        metavar="URL",
        help="ask this sidecar instead of the ones found (repeat for more)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"the sidecar token, sent to every sidecar (default: the file ${TOKEN_FILE_ENV} "
        "names)",
    )
    parser.add_argument(
        "--no-terraform",
        action="store_true",
        help="do not read `terraform output`; use only the flags",
    )
    aws = parser.add_argument_group("AWS")
    aws.add_argument("--region", metavar="R", help="AWS region (default: AWS_REGION / profile)")
    aws.add_argument(
        "--target-group-arn",
        action="append",
        default=[],
        metavar="ARN",
        help="an NLB target group to check (repeat for more)",
    )
    aws.add_argument(
        "--name",
        metavar="NAME",
        help="find the target groups tagged stashkit:deployment=NAME (the `name` variable)",
    )
    azure = parser.add_argument_group("Azure")
    azure.add_argument("--resource-group", metavar="RG", help="the deployment's resource group")
    azure.add_argument(
        "--subscription", metavar="S", help="Azure subscription id (default: AZURE_SUBSCRIPTION_ID)"
    )
    azure.add_argument(
        "--container-group",
        action="append",
        default=[],
        metavar="NAME",
        help="check only this container group (default: every one in the resource group)",
    )
    kube = parser.add_argument_group("Kubernetes")
    add_kubernetes_arguments(kube)
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
    samples.add_argument(
        "--samples-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for the counters (default 120)",
    )
    samples.add_argument("--tcp", action="store_true", help="send over TCP (default UDP)")
    samples.add_argument(
        "--tls", action="store_true", help="send over TLS (the syslog_tls_port listener)"
    )
    samples.add_argument("--ca", type=Path, metavar="PEM", help="CA to verify the TLS listener")
    samples.add_argument("--cert", type=Path, metavar="PEM", help="client certificate (mTLS)")
    samples.add_argument("--key", type=Path, metavar="PEM", help="client key (if not in --cert)")
    samples.add_argument("--server-name", metavar="NAME", help="TLS name of the listener")
    parser.set_defaults(handler=run)


def syslog_target(
    args: argparse.Namespace, outputs: Mapping[str, object], sidecars: list[SidecarRef]
) -> Target:
    """Where ``--send-samples`` sends.

    1. ``--syslog HOST:PORT``;
    2. the deployment's ``syslog_endpoints`` output: ``HOST:PORT`` by protocol (``tls`` with
       ``--tls``, ``tcp`` with ``--tcp``, else ``udp``), ``--syslog-port`` replacing its port;
       a list (a state applied before the outputs were keyed by protocol) by port;
    3. else the first sidecar's host (an instance's or the container group's address) on
       ``--syslog-port``, by default 5000 (6514 with ``--tls``).
    """
    if args.syslog:
        return parse_target(args.syslog)
    protocol = "tls" if args.tls else "tcp" if args.tcp else "udp"
    endpoints = outputs.get("syslog_endpoints")
    if isinstance(endpoints, Mapping) and endpoints:
        target = _endpoint(endpoints.get(protocol))
        if target is None:
            known = ", ".join(f"{k} {v}" for k, v in endpoints.items())
            raise UsageError(
                f"--send-samples: the deployment has no {protocol} syslog endpoint (terraform "
                f"output syslog_endpoints: {known}); pass --syslog HOST:PORT"
            )
        return Target(target.host, args.syslog_port) if args.syslog_port else target
    port = args.syslog_port or (6514 if args.tls else None)
    for endpoint in _strings(endpoints):
        target = _endpoint(endpoint)  # None for e.g. "TCP/5000" (an old ACI port list, no host)
        if target is not None and (port is None or target.port == port):
            return target
    if sidecars:
        host = httpx.URL(sidecars[0].url).host
        return Target(host, port or 5000)
    raise UsageError("--send-samples: no syslog endpoint known; pass --syslog HOST:PORT")


def _endpoint(value: object) -> Target | None:
    """``HOST:PORT`` as a target, else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_target(value)
    except UsageError:
        return None


def read_terraform_outputs(deployment: str) -> Mapping[str, object]:
    """The deployment's ``terraform output`` values, or ``{}`` when there are none to read."""
    workdir = DEPLOYMENTS_DIR / deployment
    if not (workdir / ".terraform").is_dir() and not (workdir / "terraform.tfstate").is_file():
        return {}
    try:
        from ..terraform import TerraformRunner, find_terraform

        runner = TerraformRunner(find_terraform().path, workdir, stream=False)
        return {name: output.value for name, output in runner.outputs().items()}
    except (ImportError, StashkitError):
        return {}


def _strings(value: object) -> list[str]:
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return [value] if isinstance(value, str) and value else []


def _refs(urls: list[str]) -> list[SidecarRef]:
    refs = []
    for url in urls:
        base = url.rstrip("/")
        refs.append(SidecarRef(base.split("://", 1)[-1], base))
    return refs


def build_platform(
    args: argparse.Namespace, factories: Factories, outputs: Callable[[], Mapping[str, object]]
) -> tuple[Platform | None, list[SidecarRef], str]:
    """What to check, and a sentence saying so."""
    sidecars = _refs(args.sidecar_url)
    if args.deployment == KUBERNETES:
        if args.send_samples and not (args.direct or sidecars):
            raise UsageError(
                "--send-samples on kubernetes reads every sidecar's /api/stats: pass --direct "
                "(pod IPs reachable from here) or --sidecar-url"
            )
        kube = KubePlatform(
            lambda: factories.kube_client(args.kubeconfig, args.context),
            args.namespace,
            args.selector,
            service=args.service or None,
            port=args.port,
        )
        return kube, sidecars, f"pods in {args.namespace} ({args.selector})"
    if args.deployment.startswith("azure"):
        resource_group = args.resource_group or next(
            iter(_strings(outputs().get("resource_group_name"))), None
        )
        if not resource_group:
            raise UsageError(
                "no resource group: pass --resource-group (or apply the deployment first so "
                "`terraform output resource_group_name` has it)"
            )
        client = factories.aci_client(cloud.azure_subscription(args.subscription))
        aci = AciPlatform(client, resource_group, names=args.container_group, port=args.port)
        return aci, sidecars, f"container groups in {resource_group}"
    session = factories.boto3_session(args.region)
    arns = list(args.target_group_arn)
    if not arns and args.name:
        try:
            arns = target_groups_tagged(session, args.name)
        except Exception as exc:
            raise CloudError(describe_error(exc)) from exc
        if not arns:
            raise UsageError(f"no target groups tagged stashkit:deployment={args.name}")
    if not arns:
        arns = _strings(outputs().get("target_group_arns"))
    if not arns and not sidecars:
        sidecars = _refs(_strings(outputs().get("sidecar_urls")))
    if not arns and not sidecars:
        raise UsageError(
            "nothing to verify: pass --target-group-arn / --sidecar-url or --name, or apply "
            f"{args.deployment} first so `terraform output` lists them"
        )
    platform = AwsPlatform(session, arns, port=args.port) if arns else None
    what = f"{len(arns)} target group(s)" if arns else ""
    if sidecars:
        what += (" and " if what else "") + f"{len(sidecars)} sidecar(s)"
    elif arns:
        what += " and the sidecars of their instances"
    return platform, sidecars, what


def run(
    args: argparse.Namespace,
    factories: Factories | None = None,
    outputs_reader: OutputsReader = read_terraform_outputs,
) -> int:
    factories = factories or cloud.DEFAULT_FACTORIES
    if args.timeout < 0 or args.interval <= 0 or args.http_timeout <= 0:
        raise UsageError("--timeout must be >= 0, --interval and --http-timeout more than 0")
    if args.send_samples:
        if args.samples_per_type < 1 or args.samples_timeout <= 0:
            raise UsageError("--samples-per-type must be 1 or more, --samples-timeout above 0")
        if args.syslog:
            parse_target(args.syslog)
    elif args.syslog or args.tcp or args.tls or args.ca or args.cert or args.key:
        raise UsageError("--syslog, --tcp, --tls, --ca, --cert and --key go with --send-samples")
    cache: dict[str, Mapping[str, object]] = {}

    def outputs() -> Mapping[str, object]:
        if args.no_terraform:
            return {}
        if "v" not in cache:
            cache["v"] = outputs_reader(args.deployment)
        return cache["v"]

    token = load_token(args.token_file)
    platform, sidecars, what = build_platform(args, factories, outputs)
    status = Progress(sys.stderr, prefix="")
    status.update(f"verify: checking {what} of {args.deployment} (up to {args.timeout:g} s)")
    with authorize(factories.http_client(args.http_timeout), token) as http:
        health: HealthChecker = SidecarHealth(http)
        if isinstance(platform, KubePlatform) and not args.direct:
            health = KubeProxyHealth(platform.api_client, health)
        verifier = Verifier(
            platform,
            health,
            sidecar_urls=sidecars,
            timeout=args.timeout,
            interval=args.interval,
            clock=time.monotonic,
            sleep=time.sleep,
            progress=status.update,
        )
        try:
            report = verifier.run()
            samples = None
            if report.ok and args.send_samples:
                found = (
                    {"syslog_endpoints": platform.syslog_endpoints}
                    if isinstance(platform, KubePlatform)
                    else outputs()
                )
                samples = _send_samples(args, report, found, http, status)
        finally:
            status.done()
    _print(report, args, samples)
    if not report.ok:
        raise VerifyFailed(
            f"{args.deployment} not serving after {report.elapsed_s:.0f} s: {report.reasons()}"
        )
    if samples is not None and not samples.ok:
        raise SamplesMissing(f"{args.deployment}: samples not all counted: {samples.reasons()}")
    return 0


def _send_samples(
    args: argparse.Namespace,
    report: VerifyReport,
    outputs: Mapping[str, object],
    http: httpx.Client,
    status: Progress,
) -> SampleReport:
    target = syslog_target(args, outputs, report.sidecars)
    transport = make_transport(
        target,
        tcp=args.tcp,
        tls=args.tls,
        ca=args.ca,
        cert=args.cert,
        key=args.key,
        server_name=args.server_name,
    )
    kind = "TLS" if args.tls else "TCP" if args.tcp else "UDP"
    check = SampleCheck(
        SidecarStats(http),
        report.sidecars,
        transport,
        endpoint=f"{target} over {kind}",
        per_type=args.samples_per_type,
        timeout=args.samples_timeout,
        interval=min(args.interval, 5.0),
        progress=status.update,
    )
    try:
        return check.run()
    finally:
        transport.close()  # also when nothing was sent (no sidecar answered the baseline)


def _print(
    report: VerifyReport, args: argparse.Namespace, samples: SampleReport | None = None
) -> None:
    if args.json:
        document = {"deployment": args.deployment, **report.as_json()}
        if samples is not None:
            document["samples"] = samples.as_json()
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_checks(report.checks))
        verdict = "serving" if report.ok else "NOT serving"
        sys.stdout.write(
            f"\n{args.deployment}: {verdict} ({sum(c.ok for c in report.checks)}/"
            f"{len(report.checks)} checks pass, {report.elapsed_s:.0f} s, "
            f"{report.rounds} round(s))\n"
        )
        if samples is not None:
            sys.stdout.write("\n" + render_samples(samples))
    sys.stdout.flush()
