"""Is a deployment really serving? The checks behind ``stashkit verify``.

A *platform* (AWS target groups, Azure container groups) answers ``checks()`` with its own
:class:`Check` rows and the sidecars it found; :class:`SidecarHealth` asks each sidecar's
``/api/health``; :class:`Verifier` repeats both until every check passes or time runs out.
All clients and the clock are passed in, so tests drive moto, a fake ARM endpoint and real
sidecars on loopback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from .cloud import boto3_client_config, describe_error, is_transient
from .discover import DEPLOYMENT_TAG, SIDECAR_CONTAINER
from .errors import CloudError
from .sidecar_auth import refused
from .textui import table

if TYPE_CHECKING:
    import boto3
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient

__all__ = [
    "AciPlatform",
    "AwsPlatform",
    "Check",
    "HealthChecker",
    "Platform",
    "SidecarHealth",
    "SidecarRef",
    "Verifier",
    "VerifyReport",
    "render_checks",
    "target_groups_tagged",
]


@dataclass(frozen=True)
class Check:
    """One row of the verify table; ``ok`` decides, ``state`` and ``detail`` explain."""

    kind: str
    name: str
    ok: bool
    state: str
    detail: str = ""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class SidecarRef:
    name: str
    url: str


class Platform(Protocol):
    def checks(self) -> tuple[list[Check], list[SidecarRef]]: ...


class HealthChecker(Protocol):
    """Asks one sidecar for its health (:class:`SidecarHealth`, or through the Kubernetes API
    server: :class:`stashkit.kube.KubeProxyHealth`)."""

    def check(self, ref: SidecarRef) -> Check: ...


def _sidecar_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


class AwsPlatform:
    """NLB target health of each target group, and the sidecars of the registered instances.

    ``url_for(private_ip)`` gives an instance's sidecar URL (default ``http://ip:port``).
    """

    def __init__(
        self,
        session: boto3.session.Session,
        target_group_arns: Sequence[str],
        *,
        port: int = 3000,
        url_for: Callable[[str], str] | None = None,
    ) -> None:
        config = boto3_client_config()
        self._elbv2: Any = session.client("elbv2", config=config)
        self._ec2: Any = session.client("ec2", config=config)
        self.target_group_arns = list(target_group_arns)
        self._url_for = url_for or (lambda ip: _sidecar_url(ip, port))
        self._names: dict[str, str] = {}

    def _name(self, arn: str) -> str:
        if not self._names and self.target_group_arns:
            groups = self._elbv2.describe_target_groups(TargetGroupArns=self.target_group_arns)
            self._names = {
                g["TargetGroupArn"]: g["TargetGroupName"] for g in groups["TargetGroups"]
            }
        return self._names.get(arn, arn.rsplit("/", 2)[-2] if arn.count("/") >= 2 else arn)

    def checks(self) -> tuple[list[Check], list[SidecarRef]]:
        rows: list[Check] = []
        instance_ids: list[str] = []
        for arn in self.target_group_arns:
            name = self._name(arn)
            health = self._elbv2.describe_target_health(TargetGroupArn=arn)
            descriptions = health.get("TargetHealthDescriptions", [])
            healthy = 0
            for description in descriptions:
                target = description["Target"]
                health_ = description.get("TargetHealth", {})
                state = health_.get("State", "unknown")
                detail = " ".join(
                    x for x in (health_.get("Reason"), health_.get("Description")) if x
                )
                # A draining target is on its way out (instance refresh, scale-in): it neither
                # blocks nor counts, and its sidecar is not asked.
                leaving = state == "draining"
                healthy += state == "healthy"
                rows.append(
                    Check(
                        "nlb target",
                        f"{name} {target['Id']}:{target.get('Port', '')}".rstrip(":"),
                        state == "healthy" or leaving,
                        state,
                        detail or ("leaving: not counted" if leaving else ""),
                    )
                )
                if (
                    target["Id"].startswith("i-")
                    and not leaving
                    and target["Id"] not in instance_ids
                ):
                    instance_ids.append(target["Id"])
            if not healthy:
                why = "no registered targets" if not descriptions else "no healthy target"
                rows.append(Check("nlb target group", name, False, "not serving", why))
        return rows, self._sidecars(instance_ids)

    def _sidecars(self, instance_ids: list[str]) -> list[SidecarRef]:
        if not instance_ids:
            return []
        refs = []
        pages = self._ec2.get_paginator("describe_instances").paginate(InstanceIds=instance_ids)
        for page in pages:
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    ip = instance.get("PrivateIpAddress")
                    if ip:
                        refs.append(SidecarRef(instance["InstanceId"], self._url_for(ip)))
        return sorted(refs, key=lambda r: r.name)


class AciPlatform:
    """Container groups of a resource group: group running, every container running (restart
    counts shown), and a sidecar container whose ``/api/health`` is then asked."""

    def __init__(
        self,
        client: ContainerInstanceManagementClient,
        resource_group: str,
        *,
        names: Sequence[str] = (),
        port: int = 3000,
        sidecar_container: str = SIDECAR_CONTAINER,
        url_for: Callable[[str, int], str] = _sidecar_url,
    ) -> None:
        self._client = client
        self.resource_group = resource_group
        self.names = list(names)
        self.port = port
        self.sidecar_container = sidecar_container
        self._url_for = url_for

    def checks(self) -> tuple[list[Check], list[SidecarRef]]:
        groups = self._client.container_groups
        names = self.names or [
            g.name or "" for g in groups.list_by_resource_group(self.resource_group)
        ]
        if not names:
            return [
                Check("container group", self.resource_group, False, "none", "no container groups")
            ], []
        rows: list[Check] = []
        refs: list[SidecarRef] = []
        for name in sorted(names):
            group_rows, ref = self._group(groups.get(self.resource_group, name))
            rows.extend(group_rows)
            refs.extend([ref] if ref else [])
        return rows, refs

    def _group(self, group: Any) -> tuple[list[Check], SidecarRef | None]:
        # A ContainerGroup, typed Any: the SDK declares its server-populated attributes
        # (instance_view, restart_count, ...) as ``= None``, so mypy would think them always None.
        name = group.name or "?"
        state = (group.instance_view.state if group.instance_view else None) or "unknown"
        ip = group.ip_address.ip if group.ip_address else None
        detail = f"provisioning {group.provisioning_state or 'unknown'}" + (f", {ip}" if ip else "")
        rows = [Check("container group", name, state == "Running", state, detail)]
        sidecar = None
        for container in group.containers:
            view = container.instance_view
            current = view.current_state if view else None
            c_state = (current.state if current else None) or "unknown"
            restarts = (view.restart_count if view else None) or 0
            bits = [f"restarts {restarts}"]
            if current is not None and current.detail_status:
                bits.append(current.detail_status)
            if view is not None and view.previous_state and view.previous_state.exit_code:
                bits.append(f"last exit code {view.previous_state.exit_code}")
            rows.append(
                Check(
                    "container",
                    f"{name}/{container.name}",
                    c_state == "Running",
                    c_state,
                    ", ".join(bits),
                )
            )
            if container.name == self.sidecar_container:
                sidecar = container
        if sidecar is None:
            rows.append(
                Check(
                    "container",
                    f"{name}/{self.sidecar_container}",
                    False,
                    "missing",
                    "no sidecar container: /api/health cannot be checked",
                )
            )
            return rows, None
        host = (ip or group.ip_address.fqdn) if group.ip_address else None
        if not host:
            rows.append(Check("container group", name, False, "no address", "no IP address yet"))
            return rows, None
        ports = [p.port for p in (sidecar.ports or [])]
        return rows, SidecarRef(name, self._url_for(host, ports[0] if ports else self.port))


class SidecarHealth:
    """``GET /api/health`` of one sidecar as a :class:`Check` (200 passes; reasons shown)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def check(self, ref: SidecarRef) -> Check:
        url = ref.url.rstrip("/") + "/api/health"
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            return Check("sidecar", ref.name, False, "unreachable", f"{url}: {describe_error(exc)}")
        if response.status_code == 401:
            return Check("sidecar", ref.name, False, "unauthorized 401", refused(ref.url, response))
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        status = body.get("status") if isinstance(body, dict) else None
        reasons = body.get("reasons") if isinstance(body, dict) else None
        detail = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else ""
        detail = detail or ref.url
        return Check(
            "sidecar",
            ref.name,
            response.status_code == 200,
            f"{status or 'HTTP'} {response.status_code}",
            detail,
        )


@dataclass
class VerifyReport:
    ok: bool
    checks: list[Check]
    elapsed_s: float
    rounds: int
    errors: list[str] = field(default_factory=list)
    sidecars: list[SidecarRef] = field(default_factory=list)
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
        sidecar_urls: Sequence[SidecarRef] = (),
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
        self.last_sidecars: list[SidecarRef] = []

    def round(self) -> tuple[list[Check], list[str]]:
        rows: list[Check] = []
        errors: list[str] = []
        refs = list(self.sidecar_urls)
        if self.platform is not None:
            try:
                platform_rows, found = self.platform.checks()
            except Exception as exc:
                if not is_transient(exc):
                    raise CloudError(describe_error(exc)) from exc
                errors.append(describe_error(exc))
            else:
                rows.extend(platform_rows)
                if not refs:
                    refs = found
        self.last_sidecars = refs
        if not refs and not errors:
            rows.append(Check("sidecar", "-", False, "none", "no sidecars found to ask"))
        rows.extend(self.sidecars.check(ref) for ref in refs)
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
            first = report.reasons()
            self.progress(
                f"verify: {passing}/{len(rows)} checks pass, waiting "
                f"({elapsed:.0f} s of {self.timeout:g} s): {first[:120]}"
            )
            self.sleep(self.interval)


def render_checks(checks: Sequence[Check]) -> str:
    return table(
        ["CHECK", "NAME", "OK", "STATE", "DETAIL"],
        [[c.kind, c.name, "yes" if c.ok else "NO", c.state, c.detail] for c in checks],
    )


def target_groups_tagged(session: boto3.session.Session, deployment_name: str) -> list[str]:
    """ARNs of the target groups tagged ``stashkit:deployment = deployment_name``."""
    elbv2: Any = session.client("elbv2", config=boto3_client_config())
    arns = [
        group["TargetGroupArn"]
        for page in elbv2.get_paginator("describe_target_groups").paginate()
        for group in page.get("TargetGroups", [])
    ]
    tagged = []
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        described = elbv2.describe_tags(ResourceArns=arns[start : start + 20])
        for item in described.get("TagDescriptions", []):
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            if tags.get(DEPLOYMENT_TAG) == deployment_name:
                tagged.append(item["ResourceArn"])
    return sorted(tagged)
