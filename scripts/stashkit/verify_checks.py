"""The checks behind ``stashkit verify``: each platform's own, and each sidecar's health.

A *platform* answers ``checks()`` with its :class:`Check` rows and the sidecars it found, by the
rules of :mod:`stashkit.inventory`:

* :class:`AwsPlatform`: NLB target health of each target group, and the sidecars of the
  registered instances (a draining target neither blocks nor counts);
* :class:`AciPlatform`: container group running, every container running (restart counts
  shown), and the group's sidecar;
* :class:`KubePlatform`: every pod Ready with its containers' states and restarts, the syslog
  Service's load balancer address, and the pods' sidecars.

A *health checker* asks one sidecar its ``/api/health``: :class:`SidecarHealth` directly,
:class:`KubeProxyHealth` through the API server's pod proxy on the health-only port (verify
then needs nothing but the kubeconfig: no route to the pods, no token). All clients are passed
in, so tests drive moto, a fake ARM endpoint, a fake Kubernetes API and real sidecars on
loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from .cloud import KUBE_TIMEOUT, boto3_client_config, describe_api_exception, describe_error
from .inventory import (
    DEFAULT_PORT,
    DEPLOYMENT_TAG,
    AciWalker,
    KubeWalker,
    SidecarAddress,
    described_instances,
    instance_sidecar,
    sidecar_url,
)
from .sidecar_auth import refused
from .textui import table

if TYPE_CHECKING:
    import boto3

__all__ = [
    "DEFAULT_SERVICE",
    "AciPlatform",
    "AwsPlatform",
    "Check",
    "HealthChecker",
    "KubePlatform",
    "KubeProxyHealth",
    "Platform",
    "SidecarHealth",
    "render_checks",
    "target_groups_tagged",
]

DEFAULT_SERVICE = "stashkit-syslog"
"""The Kubernetes syslog Service of the overlays."""


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


class Platform(Protocol):
    def checks(self) -> tuple[list[Check], list[SidecarAddress]]: ...


class HealthChecker(Protocol):
    """Asks one sidecar for its health."""

    def check(self, sidecar: SidecarAddress) -> Check: ...


def render_checks(checks: Sequence[Check]) -> str:
    return table(
        ["CHECK", "NAME", "OK", "STATE", "DETAIL"],
        [[c.kind, c.name, "yes" if c.ok else "NO", c.state, c.detail] for c in checks],
    )


# ---- sidecar health --------------------------------------------------------------------------


def _health_row(name: str, status: int, document: Any, fallback: str) -> Check:
    """A sidecar's ``/api/health`` answer as a row: 200 passes; its reasons, else ``fallback``."""
    health = document.get("status") if isinstance(document, dict) else None
    reasons = document.get("reasons") if isinstance(document, dict) else None
    detail = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else ""
    return Check("sidecar", name, status == 200, f"{health or 'HTTP'} {status}", detail or fallback)


class SidecarHealth:
    """``GET /api/health`` of one sidecar, directly."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def check(self, sidecar: SidecarAddress) -> Check:
        url = sidecar.url.rstrip("/") + "/api/health"
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            detail = f"{url}: {describe_error(exc)}"
            return Check("sidecar", sidecar.name, False, "unreachable", detail)
        if response.status_code == 401:
            detail = refused(sidecar.url, response)
            return Check("sidecar", sidecar.name, False, "unauthorized 401", detail)
        try:
            document: Any = response.json()
        except ValueError:
            document = {}
        return _health_row(sidecar.name, response.status_code, document, sidecar.url)


class KubeProxyHealth:
    """A pod's sidecar (one with a health port) through the API server's pod proxy on that
    port; any other sidecar (``--sidecar-url``) with ``direct``."""

    def __init__(self, api_client: Any, direct: HealthChecker) -> None:
        self._api = api_client
        self._direct = direct

    def check(self, sidecar: SidecarAddress) -> Check:
        labels = sidecar.label_map
        if sidecar.health_port is None or "pod" not in labels:
            return self._direct.check(sidecar)
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        pod = f"{labels['pod']}:{sidecar.health_port}"
        where = f"pods/{pod}/proxy/api/health"
        try:
            response = self._api.call_api(
                "/api/v1/namespaces/{namespace}/pods/{name}/proxy/api/health",
                "GET",
                path_params={"namespace": labels.get("namespace", ""), "name": pod},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=KUBE_TIMEOUT,
            )
            status, body = response.status, response.data
        except ApiException as exc:
            status, body = exc.status, exc.body
            if _is_status_document(body):  # the API server's own answer, not the sidecar's
                detail = describe_api_exception(exc)
                return Check("sidecar", sidecar.name, False, "unreachable", detail)
        except HTTPError as exc:
            return Check("sidecar", sidecar.name, False, "unreachable", f"{where}: {exc}")
        return _health_row(sidecar.name, int(status), _json(body), where)


def _json(body: object) -> Any:
    try:
        return json.loads(body or b"")  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return {}


def _is_status_document(body: object) -> bool:
    document = _json(body)
    return isinstance(document, dict) and document.get("kind") == "Status"


# ---- AWS ------------------------------------------------------------------------------------


class AwsPlatform:
    """NLB target health of each target group, and the sidecars of the registered instances.

    ``url_for(private_ip)`` gives an instance's sidecar URL (default ``http://ip:port``).
    """

    def __init__(
        self,
        session: boto3.session.Session,
        target_group_arns: Sequence[str],
        *,
        port: int = DEFAULT_PORT,
        url_for: Callable[[str], str] | None = None,
    ) -> None:
        config = boto3_client_config()
        self._elbv2: Any = session.client("elbv2", config=config)
        self._ec2: Any = session.client("ec2", config=config)
        self.target_group_arns = list(target_group_arns)
        self._url_for = url_for or (lambda ip: sidecar_url(ip, port))
        self._names: dict[str, str] = {}

    def _name(self, arn: str) -> str:
        if not self._names and self.target_group_arns:
            groups = self._elbv2.describe_target_groups(TargetGroupArns=self.target_group_arns)
            self._names = {
                g["TargetGroupArn"]: g["TargetGroupName"] for g in groups["TargetGroups"]
            }
        return self._names.get(arn, arn.rsplit("/", 2)[-2] if arn.count("/") >= 2 else arn)

    def checks(self) -> tuple[list[Check], list[SidecarAddress]]:
        rows: list[Check] = []
        instance_ids: list[str] = []
        for arn in self.target_group_arns:
            group_rows, staying = self._target_group(arn)
            rows.extend(group_rows)
            for instance_id in staying:
                if instance_id not in instance_ids:
                    instance_ids.append(instance_id)
        return rows, self._sidecars(instance_ids)

    def _target_group(self, arn: str) -> tuple[list[Check], list[str]]:
        """The rows of one target group, and the instances registered in it that stay."""
        name = self._name(arn)
        descriptions = self._elbv2.describe_target_health(TargetGroupArn=arn).get(
            "TargetHealthDescriptions", []
        )
        rows: list[Check] = []
        staying: list[str] = []
        for description in descriptions:
            target = description["Target"]
            health = description.get("TargetHealth", {})
            state = health.get("State", "unknown")
            detail = " ".join(x for x in (health.get("Reason"), health.get("Description")) if x)
            # A draining target is on its way out (instance refresh, scale-in): it neither
            # blocks nor counts, and its sidecar is not asked.
            leaving = state == "draining"
            rows.append(
                Check(
                    "nlb target",
                    f"{name} {target['Id']}:{target.get('Port', '')}".rstrip(":"),
                    state == "healthy" or leaving,
                    state,
                    detail or ("leaving: not counted" if leaving else ""),
                )
            )
            if target["Id"].startswith("i-") and not leaving:
                staying.append(target["Id"])
        if not any(c.state == "healthy" for c in rows):
            why = "no registered targets" if not descriptions else "no healthy target"
            rows.append(Check("nlb target group", name, False, "not serving", why))
        return rows, staying

    def _sidecars(self, instance_ids: list[str]) -> list[SidecarAddress]:
        if not instance_ids:
            return []
        found = []
        for instance in described_instances(self._ec2, InstanceIds=instance_ids):
            address, _ = instance_sidecar(instance, self._url_for)
            found.extend([address] if address else [])
        return sorted(found, key=lambda s: s.name)


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


# ---- Azure ----------------------------------------------------------------------------------


class AciPlatform:
    """Container groups of a resource group (``names``, default every one): group running,
    every container running (restart counts shown), and the group's sidecar."""

    def __init__(self, walker: AciWalker, *, names: Sequence[str] = ()) -> None:
        self.walker = walker
        self.names = list(names)

    def checks(self) -> tuple[list[Check], list[SidecarAddress]]:
        groups = sorted(self.walker.groups(self.names), key=lambda g: g.name or "")
        if not groups:
            where = self.walker.resource_group
            return [Check("container group", where, False, "none", "no container groups")], []
        rows: list[Check] = []
        found: list[SidecarAddress] = []
        for group in groups:
            rows.extend(self._group_rows(group))
            address, why = self.walker.sidecar(group)
            if address is not None:
                found.append(address)
            elif self.walker.sidecar_container_of(group) is not None:
                rows.append(Check("sidecar", group.name or "?", False, "not asked", why))
        return rows, found

    def _group_rows(self, group: Any) -> list[Check]:
        name = group.name or "?"
        state = (group.instance_view.state if group.instance_view else None) or "unknown"
        ip = group.ip_address.ip if group.ip_address else None
        detail = f"provisioning {group.provisioning_state or 'unknown'}" + (f", {ip}" if ip else "")
        rows = [Check("container group", name, state == "Running", state, detail)]
        rows.extend(_container_row(name, container) for container in group.containers)
        if self.walker.sidecar_container_of(group) is None:
            container = self.walker.sidecar_container
            why = "no sidecar container: /api/health cannot be checked"
            rows.append(Check("container", f"{name}/{container}", False, "missing", why))
        return rows


def _container_row(group: str, container: Any) -> Check:
    view = container.instance_view
    current = view.current_state if view else None
    state = (current.state if current else None) or "unknown"
    bits = [f"restarts {(view.restart_count if view else None) or 0}"]
    if current is not None and current.detail_status:
        bits.append(current.detail_status)
    if view is not None and view.previous_state and view.previous_state.exit_code:
        bits.append(f"last exit code {view.previous_state.exit_code}")
    return Check(
        "container", f"{group}/{container.name}", state == "Running", state, ", ".join(bits)
    )


# ---- Kubernetes -----------------------------------------------------------------------------


class KubePlatform:
    """``stashkit verify kubernetes``: pods Ready, the syslog Service's address, the sidecars."""

    def __init__(self, walker: KubeWalker, *, service: str | None = DEFAULT_SERVICE) -> None:
        self.walker = walker
        self.service = service
        self.syslog_endpoints: dict[str, str] = {}
        """protocol (udp, tcp, tls) -> HOST:PORT of the load balancer, once it has an address."""

    @property
    def api_client(self) -> Any:
        return self.walker.api_client

    def checks(self) -> tuple[list[Check], list[SidecarAddress]]:
        rows: list[Check] = []
        found: list[SidecarAddress] = []
        pods = sorted(self.walker.pods(), key=lambda p: p.metadata.name)
        if not pods:
            where = f"{self.walker.namespace} ({self.walker.selector})"
            rows.append(Check("pods", where, False, "none", "no pods match the selector"))
        for pod in pods:
            rows.append(_pod_row(pod))
            address, _ = self.walker.sidecar(pod)
            found.extend([address] if address is not None else [])
        if self.service:
            rows.append(self._service())
        return rows, found

    def _service(self) -> Check:
        from kubernetes.client.exceptions import ApiException

        try:
            service = self.walker.core.read_namespaced_service(
                self.service, self.walker.namespace, _request_timeout=KUBE_TIMEOUT
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            return Check("service", str(self.service), False, "missing", "no such Service")
        kind = service.spec.type or "ClusterIP"
        ports = {p.name or p.protocol: p for p in (service.spec.ports or [])}
        if kind != "LoadBalancer":
            return Check("service", service.metadata.name, True, kind, service.spec.cluster_ip)
        ingress = service.status.load_balancer.ingress if service.status.load_balancer else None
        address = next((i.hostname or i.ip for i in (ingress or []) if i.hostname or i.ip), None)
        if address is None:
            detail = "the cloud load balancer has no address yet"
            return Check("service", service.metadata.name, False, "LoadBalancer pending", detail)
        self.syslog_endpoints = {
            protocol: f"{address}:{ports[name].port}"
            for protocol, name in (
                ("udp", "syslog-udp"),
                ("tcp", "syslog-tcp"),
                ("tls", "syslog-tls"),
            )
            if name in ports
        }
        listed = ", ".join(f"{p.port}/{p.protocol}" for p in ports.values())
        return Check("service", service.metadata.name, True, "LoadBalancer", f"{address} {listed}")


def _pod_row(pod: Any) -> Check:
    name = pod.metadata.name
    status = pod.status
    phase = (status.phase if status is not None else None) or "Unknown"
    if pod.metadata.deletion_timestamp is not None:
        return Check("pod", name, True, "terminating", "leaving: not counted")
    conditions = {c.type: c for c in (status.conditions or [])} if status else {}
    ready = conditions.get("Ready")
    is_ready = ready is not None and ready.status == "True"
    texts = [f"node {pod.spec.node_name or '-'}"]
    for container in (status.container_statuses or []) if status else []:
        texts.append(_container_text(container))
    scheduled = conditions.get("PodScheduled")
    if scheduled is not None and scheduled.status != "True" and scheduled.message:
        texts.append(scheduled.message)
    state = f"{phase}, {'Ready' if is_ready else 'not Ready'}"
    return Check("pod", name, is_ready, state, "; ".join(texts))


def _container_text(status: Any) -> str:
    """``name state, restarts N[ (last: reason exit code)]`` of one container status."""
    state = status.state
    if state is not None and state.running is not None:
        now = "running"
    elif state is not None and state.waiting is not None:
        now = f"waiting ({state.waiting.reason or 'unknown'})"
    elif state is not None and state.terminated is not None:
        now = f"terminated ({state.terminated.reason or state.terminated.exit_code})"
    else:
        now = "unknown"
    if now == "running" and not status.ready:
        now = "running, not ready"
    text = f"{status.name} {now}, restarts {status.restart_count or 0}"
    last = status.last_state.terminated if status.last_state is not None else None
    if last is not None:
        text += f" (last: {last.reason or 'exit'} {last.exit_code})"
    return text
