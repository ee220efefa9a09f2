"""Where the sidecars are: the one inventory behind ``discover``, ``verify`` and ``fleet``.

A sidecar is a :class:`SidecarAddress`: what an operator calls it (instance id, container group,
pod), its base URL, and the Prometheus target labels that describe it. The walkers find them,
one per platform, each with **one rule** that says where a resource's sidecar answers, or why
it has none to ask (``sidecar(resource) -> (address, "")`` or ``(None, reason)``):

* :class:`AsgWalker`, AWS: the instances of an Auto Scaling group; a running instance's sidecar
  is at ``http://<private IP>:<port>`` (:func:`instance_sidecar`, which verify also applies to
  the instances an NLB has registered);
* :class:`AciWalker`, Azure: the container groups of a resource group; a ``Running`` group with
  a ``status-sidecar`` container that declares a TCP port (``publish_sidecar``) has its sidecar
  at the group's IP address (its DNS name while it has none) on that port;
* :class:`KubeWalker`, Kubernetes: the pods of a namespace matching a label selector; a
  ``Running`` pod, not terminating, with a pod IP and a ``status-sidecar`` container has its
  sidecar at ``http://<pod IP>:<the container's port named http>``, and its health-only port
  (named ``health``) is kept for the API server's pod proxy.

``discover`` writes what the walkers find (:meth:`sidecars`; the resources without an address
are in ``skipped``, with the reason), ``verify`` asks the same addresses, found by the same
rules, and ``fleet`` reads them back from the file: a Prometheus ``file_sd`` document
(:func:`render_file_sd`, :func:`read_file_sd`) is the inventory's file form.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from .cloud import KUBE_TIMEOUT, boto3_client_config
from .errors import CloudError, UsageError
from .render_kube import HEALTH_PORT

if TYPE_CHECKING:
    import boto3
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient

__all__ = [
    "DEFAULT_JOB",
    "DEFAULT_NAMESPACE",
    "DEFAULT_PORT",
    "DEFAULT_SELECTOR",
    "DEPLOYMENT_TAG",
    "METRICS_PATH",
    "SIDECAR_CONTAINER",
    "AciWalker",
    "AsgWalker",
    "KubeWalker",
    "SidecarAddress",
    "Sighting",
    "Walker",
    "described_instances",
    "instance_sidecar",
    "labels_for",
    "read_file_sd",
    "render_file_sd",
    "sidecar_url",
]

DEPLOYMENT_TAG = "stashkit:deployment"
"""Tag the deployments put on every resource (the ``name`` variable); labels ``deployment``."""
SIDECAR_CONTAINER = "status-sidecar"
"""The sidecar container's name in an ACI container group and in a Kubernetes pod."""
DEFAULT_PORT = 3000
"""The sidecar's port where the platform does not declare one (EC2 instances)."""
DEFAULT_JOB = "stashkit"
METRICS_PATH = "/metrics"

DEFAULT_NAMESPACE = "stashkit"
"""The namespace the Kubernetes overlays deploy to."""
DEFAULT_SELECTOR = "app.kubernetes.io/name=stashkit,app.kubernetes.io/component=logstash"
"""The labels the Kubernetes base puts on every Logstash pod."""
INSTANCE_LABEL = "app.kubernetes.io/instance"
"""A pod label naming the deployment (the ``deployment`` target label), when set."""
PAGE_SIZE = 250
"""Pods asked for in one list request."""

Labels = tuple[tuple[str, str], ...]
"""Target labels as sorted pairs (hashable, so addresses can be compared and deduplicated)."""

_NAMING_LABELS = ("instance_id", "container_group", "pod")


@dataclass(frozen=True, order=True)
class SidecarAddress:
    """One sidecar: ``name`` for the operator, ``url`` its base URL, ``labels`` its Prometheus
    target labels; ``health_port`` its health-only port where it has one (a pod's)."""

    name: str
    url: str
    labels: Labels = ()
    health_port: int | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        name: str,
        url: str,
        labels: Mapping[str, str] | None = None,
        *,
        health_port: int | None = None,
    ) -> SidecarAddress:
        return cls(name, url, tuple(sorted((labels or {}).items())), health_port)

    @classmethod
    def at(cls, address: str, labels: Mapping[str, str] | None = None) -> SidecarAddress:
        """The sidecar at ``host:port`` (a file_sd target), named by its labels (instance_id,
        container_group or pod), else by the address."""
        labels = labels or {}
        name = next((labels[k] for k in _NAMING_LABELS if labels.get(k)), address)
        return cls.of(name, f"http://{address}", labels)

    @classmethod
    def from_url(cls, raw: str) -> SidecarAddress:
        """A sidecar given by its URL (``fleet --url``, ``verify --sidecar-url``, the
        ``sidecar_urls`` output): ``http://`` when it names no scheme; named by its host:port."""
        url = raw.rstrip("/")
        if "://" not in url:
            url = f"http://{url}"
        return cls(httpx.URL(url).netloc.decode() or url, url)

    @property
    def address(self) -> str:
        """``host:port``, as a file_sd target (as written: no default port dropped)."""
        return self.url.partition("://")[2].partition("/")[0]

    @property
    def host(self) -> str:
        return httpx.URL(self.url).host

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


Sighting = tuple[SidecarAddress | None, str]
"""What a walker's rule says of one resource: its sidecar's address, or None and the reason."""


class Walker(Protocol):
    """A place sidecars are found (discover runs each every cycle)."""

    @property
    def description(self) -> str: ...

    def sidecars(self) -> list[SidecarAddress]: ...


def labels_for(job: str, deployment: str, cloud: str, **extra: str) -> dict[str, str]:
    """The target labels every walker gives: job, deployment, cloud, the metrics path, extras."""
    return {
        "job": job,
        "deployment": deployment,
        "cloud": cloud,
        "__metrics_path__": METRICS_PATH,
        **extra,
    }


def sidecar_url(host: str, port: int) -> str:
    """The base URL of a sidecar at ``host`` (a name, an IPv4 or IPv6 address) on ``port``."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


# ---- AWS ------------------------------------------------------------------------------------


def described_instances(ec2: Any, **query: Any) -> Iterator[dict[str, Any]]:
    """Every instance EC2's ``DescribeInstances`` answers ``query`` with, page by page."""
    for page in ec2.get_paginator("describe_instances").paginate(**query):
        for reservation in page.get("Reservations", []):
            yield from reservation.get("Instances", [])


def instance_sidecar(
    instance: Mapping[str, Any],
    url_for: Callable[[str], str],
    labels: Mapping[str, str] | None = None,
) -> Sighting:
    """An EC2 instance's sidecar: at ``url_for(private IP)`` while the instance runs."""
    state = instance.get("State", {}).get("Name", "unknown")
    if state != "running":
        return None, f"state {state}"
    ip = instance.get("PrivateIpAddress")
    if not ip:
        return None, "no private IP address"
    return SidecarAddress.of(instance["InstanceId"], url_for(ip), labels), ""


class AsgWalker:
    """The running instances of one Auto Scaling group, at ``http://private_ip:port``."""

    def __init__(
        self,
        session_factory: Callable[[str | None], boto3.session.Session],
        group: str,
        *,
        region: str | None = None,
        port: int = DEFAULT_PORT,
        job: str = DEFAULT_JOB,
        deployment: str | None = None,
    ) -> None:
        self.group = group
        self.port = port
        self.job = job
        self.deployment = deployment
        self._session = session_factory(region)
        self.region: str = self._session.region_name or ""
        if not self.region:
            raise CloudError("no AWS region: pass --region or set AWS_REGION")
        config = boto3_client_config()
        self._autoscaling: Any = self._session.client("autoscaling", config=config)
        self._ec2: Any = self._session.client("ec2", config=config)
        self.skipped: dict[str, str] = {}

    @property
    def description(self) -> str:
        return f"aws asg {self.group} ({self.region})"

    def sidecars(self) -> list[SidecarAddress]:
        groups = self._autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])[
            "AutoScalingGroups"
        ]
        if not groups:
            raise CloudError(f"no Auto Scaling group named {self.group!r} in {self.region}")
        members = {i["InstanceId"] for i in groups[0].get("Instances", [])}
        tags = {t["Key"]: t["Value"] for t in groups[0].get("Tags", [])}
        deployment = self.deployment or tags.get(DEPLOYMENT_TAG) or self.group
        found: list[SidecarAddress] = []
        self.skipped = {}
        for instance in described_instances(
            self._ec2,
            Filters=[
                {"Name": "tag:aws:autoscaling:groupName", "Values": [self.group]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ],
        ):
            if instance["InstanceId"] not in members:  # detached instances keep the group's tag
                continue
            labels = labels_for(
                self.job,
                deployment,
                "aws",
                region=self.region,
                instance_id=instance["InstanceId"],
                asg=self.group,
            )
            address, why = instance_sidecar(instance, self._url, labels)
            _keep(address, why, instance["InstanceId"], found, self.skipped)
        return found

    def _url(self, ip: str) -> str:
        return sidecar_url(ip, self.port)


def _keep(
    address: SidecarAddress | None,
    why: str,
    name: str,
    found: list[SidecarAddress],
    skipped: dict[str, str],
) -> None:
    if address is None:
        skipped[name] = why
    else:
        found.append(address)


# ---- Azure ----------------------------------------------------------------------------------


class AciWalker:
    """The container groups of one resource group and their sidecars.

    The port is the sidecar container's declared TCP port (``sidecar_port`` in Terraform,
    declared only with ``publish_sidecar``); the host the group's IP address, else its DNS name.
    """

    def __init__(
        self,
        client_factory: Callable[[str], ContainerInstanceManagementClient],
        subscription: str,
        resource_group: str,
        *,
        job: str = DEFAULT_JOB,
        deployment: str | None = None,
        sidecar_container: str = SIDECAR_CONTAINER,
    ) -> None:
        self.subscription = subscription
        self.resource_group = resource_group
        self.job = job
        self.deployment = deployment
        self.sidecar_container = sidecar_container
        self._client = client_factory(subscription)
        self.skipped: dict[str, str] = {}

    @property
    def description(self) -> str:
        return f"azure resource group {self.resource_group}"

    def groups(self, names: Iterable[str] = ()) -> list[Any]:
        """The container groups ``names`` (default: every one in the resource group) with their
        instance views: the list omits them, so each is asked for on its own.

        Typed Any: the SDK declares the server-populated attributes (instance_view,
        restart_count, ...) as ``= None``, so mypy would think them always None.
        """
        groups = self._client.container_groups
        wanted = list(names) or [
            g.name or "" for g in groups.list_by_resource_group(self.resource_group)
        ]
        return [groups.get(self.resource_group, name) for name in wanted]

    def sidecar(self, group: Any) -> Sighting:
        state = group.instance_view.state if group.instance_view is not None else None
        if state != "Running":
            return None, f"state {state or 'unknown'}"
        sidecar = self.sidecar_container_of(group)
        if sidecar is None:
            return None, f"no {self.sidecar_container} container"
        address = group.ip_address
        host = (address.ip or address.fqdn) if address is not None else None
        if not host:
            return None, "no IP address"
        ports = [p.port for p in (sidecar.ports or []) if (p.protocol or "TCP").upper() == "TCP"]
        if not ports:
            # publish_sidecar = false: the sidecar answers inside the group only (its probes),
            # so nothing outside can reach it; an address there would only ever be down.
            return None, "sidecar not published (publish_sidecar = false)"
        labels = labels_for(
            self.job,
            self.deployment or (group.tags or {}).get(DEPLOYMENT_TAG) or self.resource_group,
            "azure",
            location=group.location or "",
            container_group=group.name or "",
            resource_group=self.resource_group,
        )
        return SidecarAddress.of(group.name or "", sidecar_url(host, ports[0]), labels), ""

    def sidecar_container_of(self, group: Any) -> Any | None:
        return next((c for c in group.containers if c.name == self.sidecar_container), None)

    def sidecars(self) -> list[SidecarAddress]:
        found: list[SidecarAddress] = []
        self.skipped = {}
        for group in self.groups():
            address, why = self.sidecar(group)
            _keep(address, why, group.name or "", found, self.skipped)
        return found


# ---- Kubernetes -----------------------------------------------------------------------------


def _declared_port(container: Any, name: str, default: int) -> int:
    """The container's TCP port named ``name``; for ``http`` else its first TCP port."""
    ports = [p for p in (container.ports or []) if (p.protocol or "TCP") == "TCP"]
    named = [p.container_port for p in ports if p.name == name]
    if named:
        return int(named[0])
    if name == "http" and ports:
        return int(ports[0].container_port)
    return default


class KubeWalker:
    """The pods of ``namespace`` matching ``selector`` and their sidecars, through the API
    server (``client_factory`` makes the ``kubernetes`` ApiClient)."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        namespace: str = DEFAULT_NAMESPACE,
        selector: str = DEFAULT_SELECTOR,
        *,
        port: int = DEFAULT_PORT,
        job: str = DEFAULT_JOB,
        deployment: str | None = None,
    ) -> None:
        from kubernetes import client

        self.namespace = namespace
        self.selector = selector
        self.port = port
        self.job = job
        self.deployment = deployment
        self.api_client = client_factory()
        self.core = client.CoreV1Api(self.api_client)
        self.skipped: dict[str, str] = {}

    @property
    def description(self) -> str:
        return f"kubernetes pods in {self.namespace} ({self.selector})"

    def pods(self) -> list[Any]:
        """Every pod of the namespace matching the selector, page by page."""
        pods: list[Any] = []
        token: str | None = None
        while True:
            extra = {"_continue": token} if token else {}
            page = self.core.list_namespaced_pod(
                self.namespace,
                label_selector=self.selector,
                limit=PAGE_SIZE,
                _request_timeout=KUBE_TIMEOUT,
                **extra,
            )
            pods.extend(page.items or [])
            token = page.metadata._continue if page.metadata is not None else None
            if not token:
                return pods

    def sidecar(self, pod: Any) -> Sighting:
        """Ready or not: Prometheus should see a pod in trouble, and verify asks it why."""
        if pod.metadata.deletion_timestamp is not None:
            return None, "terminating"
        phase = pod.status.phase if pod.status is not None else None
        if phase != "Running":
            return None, f"phase {phase or 'unknown'}"
        ip = pod.status.pod_ip
        if not ip:
            return None, "no pod IP"
        sidecar = self.sidecar_container_of(pod)
        if sidecar is None:
            return None, f"no {SIDECAR_CONTAINER} container"
        labels = labels_for(
            self.job,
            self.deployment or (pod.metadata.labels or {}).get(INSTANCE_LABEL) or self.namespace,
            "kubernetes",
            namespace=self.namespace,
            pod=pod.metadata.name,
            node=pod.spec.node_name or "",
        )
        url = sidecar_url(ip, _declared_port(sidecar, "http", self.port))
        health_port = _declared_port(sidecar, "health", HEALTH_PORT)
        return SidecarAddress.of(pod.metadata.name, url, labels, health_port=health_port), ""

    @staticmethod
    def sidecar_container_of(pod: Any) -> Any | None:
        return next((c for c in pod.spec.containers if c.name == SIDECAR_CONTAINER), None)

    def sidecars(self) -> list[SidecarAddress]:
        found: list[SidecarAddress] = []
        self.skipped = {}
        for pod in self.pods():
            address, why = self.sidecar(pod)
            _keep(address, why, pod.metadata.name, found, self.skipped)
        return found


# ---- the file form: Prometheus file_sd -------------------------------------------------------


def render_file_sd(sidecars: Iterable[SidecarAddress]) -> str:
    """A file_sd document: a JSON list of target groups, ``[{"targets": ["10.0.1.5:3000"],
    "labels": {...}}]``, one group per sidecar (each has its own labels: instance_id,
    container_group or pod). Canonical (sorted groups, sorted keys), so "nothing changed" is a
    byte comparison."""
    groups = [
        {"targets": [s.address], "labels": s.label_map}
        for s in sorted(set(sidecars), key=lambda s: (s.labels, s.address))
    ]
    return json.dumps(groups, indent=2, sort_keys=True) + "\n"


def read_file_sd(path: Path) -> list[SidecarAddress]:
    """The sidecars of a file_sd JSON document; a malformed file is a :class:`UsageError`."""
    try:
        document: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such targets file (write one with `stashkit discover`)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable file_sd JSON document ({exc})") from exc
    if not isinstance(document, list):
        raise UsageError(f"{path}: a file_sd document is a JSON list of target groups")
    sidecars: list[SidecarAddress] = []
    for index, group in enumerate(document):
        addresses = group.get("targets") if isinstance(group, dict) else None
        labels = group.get("labels", {}) if isinstance(group, dict) else None
        if (
            not isinstance(addresses, list)
            or not all(isinstance(a, str) for a in addresses)
            or not isinstance(labels, dict)
            or not all(isinstance(v, str) for v in labels.values())
        ):
            raise UsageError(
                f"{path}: target group {index} needs a list of 'targets' strings and "
                "string 'labels'"
            )
        sidecars.extend(SidecarAddress.at(address, labels) for address in addresses)
    return sidecars
