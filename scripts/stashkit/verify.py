"""``stashkit verify``: is a deployment really serving? Wait until it is, or say why not.

:func:`find_platform` turns the command line (and the deployment's ``terraform output``, read
once and only when needed) into a platform to check (:mod:`stashkit.verify_checks`) and the
sidecars to ask; :class:`Verifier` repeats the platform's checks and every sidecar's health
until all pass or time runs out; with ``--send-samples`` :mod:`stashkit.verify_samples` then
sends syslog samples to :func:`syslog_target` and watches the sidecars count them.
:func:`verify_deployment` is the whole run, :func:`render_result` its output. All clients, the
clock and the progress line are passed in, so tests drive moto, a fake ARM endpoint, a fake
Kubernetes API and real sidecars on loopback.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from . import cloud
from .cloud import Factories, describe_error, is_transient
from .errors import CloudError, SamplesMissing, StashkitError, UsageError, VerifyFailed
from .inventory import AciWalker, KubeWalker, SidecarAddress
from .progress import Progress
from .render import DEPLOYMENTS_DIR
from .render_kube import KUBERNETES
from .replay import Target, make_transport, parse_target
from .sidecar_auth import authorize, load_token
from .verify_checks import (
    AciPlatform,
    AwsPlatform,
    Check,
    HealthChecker,
    KubePlatform,
    KubeProxyHealth,
    Platform,
    SidecarHealth,
    render_checks,
    target_groups_tagged,
)
from .verify_samples import SampleCheck, SampleReport, SidecarStats, render_samples

__all__ = [
    "OutputsReader",
    "Verifier",
    "VerifyOptions",
    "VerifyReport",
    "VerifyResult",
    "find_platform",
    "read_terraform_outputs",
    "render_result",
    "syslog_target",
    "verify_deployment",
]

OutputsReader = Callable[[str], Mapping[str, object]]
"""A deployment's ``terraform output`` values by name (tests pass their own)."""
Outputs = Callable[[], Mapping[str, object]]
"""The deployment's outputs, read on first use."""


# ---- what the command line asks ---------------------------------------------------------------


class SyslogChoice(Protocol):
    """Where ``--send-samples`` sends: ``--syslog``, ``--syslog-port``, ``--tls``, ``--tcp``."""

    syslog: str | None
    syslog_port: int | None
    tls: bool
    tcp: bool


class SampleOptions(SyslogChoice, Protocol):
    """How ``--send-samples`` sends, and how long it waits."""

    samples_per_type: int
    samples_timeout: float
    interval: float
    ca: Path | None
    cert: Path | None
    key: Path | None
    server_name: str | None


class WhereOptions(Protocol):
    """What to check: the deployment, the sidecars named, and each platform's flags."""

    deployment: str
    sidecar_url: Sequence[str]
    port: int
    send_samples: bool
    region: str | None
    target_group_arn: Sequence[str]
    name: str | None
    resource_group: str | None
    subscription: str | None
    container_group: Sequence[str]
    kubeconfig: Path | None
    context: str | None
    namespace: str
    selector: str
    service: str
    direct: bool


class VerifyOptions(WhereOptions, SampleOptions, Protocol):
    """The ``stashkit verify`` command line (its parsed arguments are one)."""

    timeout: float
    http_timeout: float
    token_file: Path | None
    no_terraform: bool


# ---- the rounds of checks ---------------------------------------------------------------------


@dataclass
class VerifyReport:
    ok: bool
    checks: list[Check]
    elapsed_s: float
    rounds: int
    errors: list[str] = field(default_factory=list)
    sidecars: list[SidecarAddress] = field(default_factory=list)
    """The sidecars asked in the last round (``verify --send-samples`` watches them)."""

    @property
    def failing(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def reasons(self) -> str:
        """The failing checks as one line: kind, name, state and their reasons."""
        parts = [
            f"{c.kind} {c.name} {c.state}" + (f" ({c.detail})" if c.detail else "")
            for c in self.failing
        ]
        return "; ".join([*self.errors, *parts]) or "no checks ran"

    def as_json(self) -> dict[str, object]:
        return {
            "healthy": self.ok,
            "elapsed_s": round(self.elapsed_s, 1),
            "rounds": self.rounds,
            "errors": self.errors,
            "checks": [c.as_json() for c in self.checks],
        }


class Verifier:
    """Repeats the platform and sidecar checks every ``interval`` s until all pass or timeout.

    A transient cloud error (throttling, 5xx, a dropped connection) is a failed round; any
    other cloud error (no credentials, access denied, no such group) ends the wait at once.
    """

    def __init__(
        self,
        platform: Platform | None,
        sidecars: HealthChecker,
        *,
        sidecar_urls: Sequence[SidecarAddress] = (),
        timeout: float = 600.0,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.platform = platform
        self.sidecars = sidecars
        self.sidecar_urls = list(sidecar_urls)
        self.timeout = timeout
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.progress = progress
        self.last_sidecars: list[SidecarAddress] = []

    def round(self) -> tuple[list[Check], list[str]]:
        rows: list[Check] = []
        errors: list[str] = []
        asked = list(self.sidecar_urls)
        if self.platform is not None:
            try:
                platform_rows, found = self.platform.checks()
            except Exception as exc:
                if not is_transient(exc):
                    raise CloudError(describe_error(exc)) from exc
                errors.append(describe_error(exc))
            else:
                rows.extend(platform_rows)
                asked = asked or found
        self.last_sidecars = asked
        if not asked and not errors:
            rows.append(Check("sidecar", "-", False, "none", "no sidecars found to ask"))
        rows.extend(self.sidecars.check(sidecar) for sidecar in asked)
        return rows, errors

    def run(self) -> VerifyReport:
        start = self.clock()
        rounds = 0
        while True:
            rounds += 1
            rows, errors = self.round()
            elapsed = self.clock() - start
            report = VerifyReport(
                ok=bool(rows) and not errors and all(c.ok for c in rows),
                checks=rows,
                elapsed_s=elapsed,
                rounds=rounds,
                errors=errors,
                sidecars=list(self.last_sidecars),
            )
            if report.ok or elapsed + self.interval > self.timeout:
                return report
            passing = sum(c.ok for c in rows)
            self.progress(
                f"verify: {passing}/{len(rows)} checks pass, waiting "
                f"({elapsed:.0f} s of {self.timeout:g} s): {report.reasons()[:120]}"
            )
            self.sleep(self.interval)


# ---- where to look ----------------------------------------------------------------------------


def read_terraform_outputs(deployment: str) -> Mapping[str, object]:
    """The deployment's ``terraform output`` values, or ``{}`` when there are none to read."""
    workdir = DEPLOYMENTS_DIR / deployment
    if not (workdir / ".terraform").is_dir() and not (workdir / "terraform.tfstate").is_file():
        return {}
    try:
        from .terraform import TerraformRunner, find_terraform

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


@dataclass(frozen=True)
class Where:
    """What :func:`find_platform` chose: the platform to check (None: only the sidecars named),
    the sidecars to ask instead of the ones it finds, and a sentence saying so."""

    platform: Platform | None
    sidecars: list[SidecarAddress]
    what: str


def find_platform(options: WhereOptions, factories: Factories, outputs: Outputs) -> Where:
    """What to check: from the flags, else ``terraform output``, else (AWS ``--name``) tags."""
    sidecars = [SidecarAddress.from_url(url) for url in options.sidecar_url]
    if options.deployment == KUBERNETES:
        return _kubernetes(options, factories, sidecars)
    if options.deployment.startswith("azure"):
        return _azure(options, factories, outputs, sidecars)
    return _aws(options, factories, outputs, sidecars)


def _kubernetes(
    options: WhereOptions, factories: Factories, sidecars: list[SidecarAddress]
) -> Where:
    if options.send_samples and not (options.direct or sidecars):
        raise UsageError(
            "--send-samples on kubernetes reads every sidecar's /api/stats: pass --direct "
            "(pod IPs reachable from here) or --sidecar-url"
        )
    walker = KubeWalker(
        lambda: factories.kube_client(options.kubeconfig, options.context),
        options.namespace,
        options.selector,
        port=options.port,
    )
    platform = KubePlatform(walker, service=options.service or None)
    return Where(platform, sidecars, f"pods in {options.namespace} ({options.selector})")


def _azure(
    options: WhereOptions, factories: Factories, outputs: Outputs, sidecars: list[SidecarAddress]
) -> Where:
    resource_group = options.resource_group or next(
        iter(_strings(outputs().get("resource_group_name"))), None
    )
    if not resource_group:
        raise UsageError(
            "no resource group: pass --resource-group (or apply the deployment first so "
            "`terraform output resource_group_name` has it)"
        )
    subscription = cloud.azure_subscription(options.subscription)
    walker = AciWalker(factories.aci_client, subscription, resource_group)
    platform = AciPlatform(walker, names=options.container_group)
    return Where(platform, sidecars, f"container groups in {resource_group}")


def _aws(
    options: WhereOptions, factories: Factories, outputs: Outputs, sidecars: list[SidecarAddress]
) -> Where:
    session = factories.boto3_session(options.region)
    arns = list(options.target_group_arn)
    if not arns and options.name:
        try:
            arns = target_groups_tagged(session, options.name)
        except Exception as exc:
            raise CloudError(describe_error(exc)) from exc
        if not arns:
            raise UsageError(f"no target groups tagged stashkit:deployment={options.name}")
    if not arns:
        arns = _strings(outputs().get("target_group_arns"))
    if not arns and not sidecars:
        urls = _strings(outputs().get("sidecar_urls"))
        sidecars = [SidecarAddress.from_url(url) for url in urls]
    if not arns and not sidecars:
        raise UsageError(
            "nothing to verify: pass --target-group-arn / --sidecar-url or --name, or apply "
            f"{options.deployment} first so `terraform output` lists them"
        )
    platform = AwsPlatform(session, arns, port=options.port) if arns else None
    what = f"{len(arns)} target group(s)" if arns else ""
    if sidecars:
        what += (" and " if what else "") + f"{len(sidecars)} sidecar(s)"
    elif arns:
        what += " and the sidecars of their instances"
    return Where(platform, sidecars, what)


def syslog_target(
    choice: SyslogChoice, outputs: Mapping[str, object], sidecars: Sequence[SidecarAddress]
) -> Target:
    """Where ``--send-samples`` sends.

    1. ``--syslog HOST:PORT``;
    2. the deployment's ``syslog_endpoints`` output: ``HOST:PORT`` by protocol (``tls`` with
       ``--tls``, ``tcp`` with ``--tcp``, else ``udp``), ``--syslog-port`` replacing its port;
       a list (a state applied before the outputs were keyed by protocol) by port;
    3. else the first sidecar's host (an instance's or the container group's address) on
       ``--syslog-port``, by default 5000 (6514 with ``--tls``).
    """
    if choice.syslog:
        return parse_target(choice.syslog)
    protocol = "tls" if choice.tls else "tcp" if choice.tcp else "udp"
    endpoints = outputs.get("syslog_endpoints")
    if isinstance(endpoints, Mapping) and endpoints:
        target = _endpoint(endpoints.get(protocol))
        if target is None:
            known = ", ".join(f"{k} {v}" for k, v in endpoints.items())
            raise UsageError(
                f"--send-samples: the deployment has no {protocol} syslog endpoint (terraform "
                f"output syslog_endpoints: {known}); pass --syslog HOST:PORT"
            )
        return Target(target.host, choice.syslog_port) if choice.syslog_port else target
    port = choice.syslog_port or (6514 if choice.tls else None)
    for endpoint in _strings(endpoints):
        target = _endpoint(endpoint)  # None for e.g. "TCP/5000" (an old ACI port list, no host)
        if target is not None and (port is None or target.port == port):
            return target
    if sidecars:
        return Target(sidecars[0].host, port or 5000)
    raise UsageError("--send-samples: no syslog endpoint known; pass --syslog HOST:PORT")


def _endpoint(value: object) -> Target | None:
    """``HOST:PORT`` as a target, else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_target(value)
    except UsageError:
        return None


# ---- the run ----------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    deployment: str
    report: VerifyReport
    samples: SampleReport | None = None

    def raise_for_failure(self) -> None:
        """:class:`VerifyFailed` unless serving; :class:`SamplesMissing` unless every sample
        sent was counted."""
        if not self.report.ok:
            raise VerifyFailed(
                f"{self.deployment} not serving after {self.report.elapsed_s:.0f} s: "
                f"{self.report.reasons()}"
            )
        if self.samples is not None and not self.samples.ok:
            raise SamplesMissing(
                f"{self.deployment}: samples not all counted: {self.samples.reasons()}"
            )


def verify_deployment(
    options: VerifyOptions,
    factories: Factories,
    outputs_reader: OutputsReader,
    progress: Progress,
) -> VerifyResult:
    """The checks until serving or ``--timeout``; then, with ``--send-samples``, the samples."""
    outputs = functools.cache(
        lambda: {} if options.no_terraform else outputs_reader(options.deployment)
    )
    token = load_token(options.token_file)
    where = find_platform(options, factories, outputs)
    progress.update(
        f"verify: checking {where.what} of {options.deployment} (up to {options.timeout:g} s)"
    )
    with authorize(factories.http_client(options.http_timeout), token) as http:
        health: HealthChecker = SidecarHealth(http)
        if isinstance(where.platform, KubePlatform) and not options.direct:
            health = KubeProxyHealth(where.platform.api_client, health)
        verifier = Verifier(
            where.platform,
            health,
            sidecar_urls=where.sidecars,
            timeout=options.timeout,
            interval=options.interval,
            progress=progress.update,
        )
        try:
            result = VerifyResult(options.deployment, verifier.run())
            if result.report.ok and options.send_samples:
                found = (
                    {"syslog_endpoints": where.platform.syslog_endpoints}
                    if isinstance(where.platform, KubePlatform)
                    else outputs()
                )
                result.samples = _send_samples(options, result.report, found, http, progress)
        finally:
            progress.done()
    return result


def _send_samples(
    options: SampleOptions,
    report: VerifyReport,
    outputs: Mapping[str, object],
    http: httpx.Client,
    progress: Progress,
) -> SampleReport:
    target = syslog_target(options, outputs, report.sidecars)
    transport = make_transport(
        target,
        tcp=options.tcp,
        tls=options.tls,
        ca=options.ca,
        cert=options.cert,
        key=options.key,
        server_name=options.server_name,
    )
    kind = "TLS" if options.tls else "TCP" if options.tcp else "UDP"
    check = SampleCheck(
        SidecarStats(http),
        report.sidecars,
        transport,
        endpoint=f"{target} over {kind}",
        per_type=options.samples_per_type,
        timeout=options.samples_timeout,
        interval=min(options.interval, 5.0),
        progress=progress.update,
    )
    try:
        return check.run()
    finally:
        transport.close()  # also when nothing was sent (no sidecar answered the baseline)


def render_result(result: VerifyResult, *, as_json: bool) -> str:
    """The table and the verdict (and the samples' table), or one JSON document."""
    report, samples = result.report, result.samples
    if as_json:
        document = {"deployment": result.deployment, **report.as_json()}
        if samples is not None:
            document["samples"] = samples.as_json()
        return json.dumps(document, indent=2, sort_keys=True) + "\n"
    verdict = "serving" if report.ok else "NOT serving"
    text = render_checks(report.checks) + (
        f"\n{result.deployment}: {verdict} ({sum(c.ok for c in report.checks)}/"
        f"{len(report.checks)} checks pass, {report.elapsed_s:.0f} s, "
        f"{report.rounds} round(s))\n"
    )
    if samples is not None:
        text += "\n" + render_samples(samples)
    return text
