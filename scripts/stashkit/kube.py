"""The Kubernetes target as the operator commands see it: pods found through the API server.

Everything goes through the official ``kubernetes`` client (kubeconfig with its exec credential
plugins, or the in-cluster service account), made by :func:`kube_client` with its urllib3
retries off (:func:`stashkit.cloud.call_with_backoff` is the one retry layer, and it logs).

* :class:`KubeSource` (``stashkit discover --kubernetes``): the running pods of a namespace that
  match a label selector and have a ``status-sidecar`` container, as file_sd targets at
  ``podIP:<its port named http>``, ready or not (Prometheus should see a pod in trouble).
* :class:`KubePlatform` (``stashkit verify kubernetes``): every pod Ready with its containers'
  states and restarts, the syslog Service's load balancer address, and the sidecars to ask.
* :class:`KubeProxyHealth`: a sidecar's ``/api/health`` through the API server's pod proxy on
  the health-only port, so verify needs nothing but the kubeconfig (no route to the pods, no
  token: that port serves only the health endpoints).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .discover import SIDECAR_CONTAINER, labels_for
from .errors import CloudError
from .file_sd import Target
from .render_kube import HEALTH_PORT
from .verify import Check, HealthChecker, SidecarRef

__all__ = [
    "DEFAULT_NAMESPACE",
    "DEFAULT_SELECTOR",
    "DEFAULT_SERVICE",
    "KubePlatform",
    "KubeProxyHealth",
    "KubeSource",
    "PodRef",
    "describe_api_exception",
    "kube_client",
]

DEFAULT_NAMESPACE = "stashkit"
"""The namespace the overlays deploy to."""
DEFAULT_SELECTOR = "app.kubernetes.io/name=stashkit,app.kubernetes.io/component=logstash"
"""The labels the base puts on every Logstash pod."""
DEFAULT_SERVICE = "stashkit-syslog"
INSTANCE_LABEL = "app.kubernetes.io/instance"
"""A pod label naming the deployment (the ``deployment`` target label), when set."""
PAGE_SIZE = 250
TIMEOUT = (5.0, 20.0)
"""(connect, read) seconds of every API request."""


def kube_client(kubeconfig: Path | None = None, context: str | None = None) -> Any:
    """A ``kubernetes.client.ApiClient`` for ``kubeconfig`` (else ``$KUBECONFIG``, else
    ``~/.kube/config``, else the in-cluster service account) and ``context``, with the client's
    own retries off."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    files = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG", "")
    default = Path.home() / ".kube" / "config"
    try:
        if files or default.is_file() or context:
            config.load_kube_config(
                config_file=files or str(default),
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
        else:
            config.load_incluster_config(client_configuration=configuration)
    except (ConfigException, OSError) as exc:
        raise CloudError(
            f"no usable Kubernetes credentials ({' '.join(str(exc).split())}): pass "
            "--kubeconfig / --context, set KUBECONFIG, or run in a pod with a service account"
        ) from exc
    configuration.retries = False
    configuration.safe_chars_for_path_param = ":"  # pods/NAME:PORT/proxy, as kubectl sends it
    return client.ApiClient(configuration)


def describe_api_exception(exc: Any) -> str:
    """One line for an ``ApiException``: the API server's Status message when it sent one."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    message = ""
    try:
        document = json.loads(body or "")
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        message = document["message"]
    elif exc.status == 0:
        message = str(exc.reason or "")
    reason = exc.reason or "error"
    text = f"Kubernetes: {reason} (HTTP {exc.status})" + (f": {message}" if message else "")
    return " ".join(text.split())


def _pods(core: Any, namespace: str, selector: str) -> list[Any]:
    """Every pod of ``namespace`` matching ``selector``, page by page."""
    pods: list[Any] = []
    token: str | None = None
    while True:
        extra = {"_continue": token} if token else {}
        page = core.list_namespaced_pod(
            namespace,
            label_selector=selector,
            limit=PAGE_SIZE,
            _request_timeout=TIMEOUT,
            **extra,
        )
        pods.extend(page.items or [])
        token = page.metadata._continue if page.metadata is not None else None
        if not token:
            return pods


def _sidecar(pod: Any) -> Any | None:
    return next((c for c in pod.spec.containers if c.name == SIDECAR_CONTAINER), None)


def _port(container: Any, name: str, default: int) -> int:
    ports = [p for p in (container.ports or []) if (p.protocol or "TCP") == "TCP"]
    named = [p.container_port for p in ports if p.name == name]
    if named:
        return int(named[0])
    if name == "http" and ports:
        return int(ports[0].container_port)
    return default


@dataclass(frozen=True)
class PodRef(SidecarRef):
    """A pod's sidecar: ``url`` is ``http://podIP:port``; the proxy path needs the rest."""

    namespace: str = ""
    pod: str = ""
    health_port: int = HEALTH_PORT


class KubeSource:
    """The pods of ``namespace`` matching ``selector`` that run a sidecar, as file_sd targets."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        namespace: str = DEFAULT_NAMESPACE,
        selector: str = DEFAULT_SELECTOR,
        *,
        port: int = 3000,
        job: str = "stashkit",
        deployment: str | None = None,
    ) -> None:
        from kubernetes import client

        self.namespace = namespace
        self.selector = selector
        self.port = port
        self.job = job
        self.deployment = deployment
        self._core = client.CoreV1Api(client_factory())
        self.skipped: dict[str, str] = {}

    @property
    def description(self) -> str:
        return f"kubernetes pods in {self.namespace} ({self.selector})"

    def discover(self) -> list[Target]:
        self.skipped = {}
        targets = []
        for pod in _pods(self._core, self.namespace, self.selector):
            target, why = self._target(pod)
            if target is None:
                self.skipped[pod.metadata.name] = why
            else:
                targets.append(target)
        return targets

    def _target(self, pod: Any) -> tuple[Target | None, str]:
        phase = pod.status.phase if pod.status is not None else None
        if pod.metadata.deletion_timestamp is not None:
            return None, "terminating"
        if phase != "Running":
            return None, f"phase {phase or 'unknown'}"
        ip = pod.status.pod_ip
        if not ip:
            return None, "no pod IP"
        sidecar = _sidecar(pod)
        if sidecar is None:
            return None, f"no {SIDECAR_CONTAINER} container"
        pod_labels = pod.metadata.labels or {}
        labels = labels_for(
            self.job,
            self.deployment or pod_labels.get(INSTANCE_LABEL) or self.namespace,
            "kubernetes",
            namespace=self.namespace,
            pod=pod.metadata.name,
            node=pod.spec.node_name or "",
        )
        host = f"[{ip}]" if ":" in ip else ip
        return Target.of(f"{host}:{_port(sidecar, 'http', self.port)}", labels), ""


def _container_text(status: Any) -> tuple[bool, str]:
    """(ready, "name state, restarts N[, last: reason exit code]") of one container status."""
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
    return bool(status.ready), text


class KubePlatform:
    """``stashkit verify kubernetes``: pods Ready, the syslog Service's address, the sidecars."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        namespace: str = DEFAULT_NAMESPACE,
        selector: str = DEFAULT_SELECTOR,
        *,
        service: str | None = DEFAULT_SERVICE,
        port: int = 3000,
    ) -> None:
        from kubernetes import client

        self.namespace = namespace
        self.selector = selector
        self.service = service
        self.port = port
        self.api_client = client_factory()
        self._core = client.CoreV1Api(self.api_client)
        self.syslog_endpoints: dict[str, str] = {}
        """protocol (udp, tcp, tls) -> HOST:PORT of the load balancer, once it has an address."""

    def checks(self) -> tuple[list[Check], list[SidecarRef]]:
        rows: list[Check] = []
        refs: list[SidecarRef] = []
        pods = sorted(
            _pods(self._core, self.namespace, self.selector), key=lambda p: p.metadata.name
        )
        if not pods:
            where = f"{self.namespace} ({self.selector})"
            rows.append(Check("pods", where, False, "none", "no pods match the selector"))
        for pod in pods:
            row, ref = self._pod(pod)
            rows.append(row)
            refs.extend([ref] if ref is not None else [])
        if self.service:
            rows.append(self._service())
        return rows, refs

    def _pod(self, pod: Any) -> tuple[Check, PodRef | None]:
        name = pod.metadata.name
        status = pod.status
        phase = (status.phase if status is not None else None) or "Unknown"
        if pod.metadata.deletion_timestamp is not None:
            return Check("pod", name, True, "terminating", "leaving: not counted"), None
        conditions = {c.type: c for c in (status.conditions or [])} if status else {}
        ready = conditions.get("Ready")
        is_ready = ready is not None and ready.status == "True"
        texts = [f"node {pod.spec.node_name or '-'}"]
        for container in (status.container_statuses or []) if status else []:
            texts.append(_container_text(container)[1])
        scheduled = conditions.get("PodScheduled")
        if scheduled is not None and scheduled.status != "True" and scheduled.message:
            texts.append(scheduled.message)
        state = f"{phase}, {'Ready' if is_ready else 'not Ready'}"
        row = Check("pod", name, is_ready, state, "; ".join(texts))
        sidecar = _sidecar(pod)
        ip = status.pod_ip if status is not None else None
        if sidecar is None or not ip or phase != "Running":
            return row, None
        host = f"[{ip}]" if ":" in ip else ip
        ref = PodRef(
            name,
            f"http://{host}:{_port(sidecar, 'http', self.port)}",
            namespace=self.namespace,
            pod=name,
            health_port=_port(sidecar, "health", HEALTH_PORT),
        )
        return row, ref

    def _service(self) -> Check:
        from kubernetes.client.exceptions import ApiException

        try:
            service = self._core.read_namespaced_service(
                self.service, self.namespace, _request_timeout=TIMEOUT
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


class KubeProxyHealth:
    """Sidecar health checks: :class:`PodRef` ones through the API server's pod proxy on the
    health-only port; any other ref (``--sidecar-url``) directly."""

    def __init__(self, api_client: Any, direct: HealthChecker) -> None:
        self._api = api_client
        self._direct = direct

    def check(self, ref: SidecarRef) -> Check:
        if not isinstance(ref, PodRef):
            return self._direct.check(ref)
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        where = f"pods/{ref.pod}:{ref.health_port}/proxy/api/health"
        try:
            response = self._api.call_api(
                "/api/v1/namespaces/{namespace}/pods/{name}/proxy/api/health",
                "GET",
                path_params={"namespace": ref.namespace, "name": f"{ref.pod}:{ref.health_port}"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=TIMEOUT,
            )
            status, body = response.status, response.data
        except ApiException as exc:
            status, body = exc.status, exc.body
            if _is_status_document(body):  # the API server's own answer, not the sidecar's
                return Check("sidecar", ref.name, False, "unreachable", describe_api_exception(exc))
        except HTTPError as exc:
            return Check("sidecar", ref.name, False, "unreachable", f"{where}: {exc}")
        return _health_check(ref.name, int(status), body, where)


def _is_status_document(body: object) -> bool:
    try:
        document = json.loads(body or b"")  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False
    return isinstance(document, dict) and document.get("kind") == "Status"


def _health_check(name: str, status: int, body: object, where: str) -> Check:
    try:
        document = json.loads(body or b"")  # type: ignore[arg-type]
    except (ValueError, TypeError):
        document = {}
    health = document.get("status") if isinstance(document, dict) else None
    reasons = document.get("reasons") if isinstance(document, dict) else None
    detail = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else ""
    return Check("sidecar", name, status == 200, f"{health or 'HTTP'} {status}", detail or where)
