"""A fake Kubernetes API server: the pods, services and pod proxy that stashkit asks for.

Serves what the official ``kubernetes`` client (35.x) sends for ``discover --kubernetes`` and
``verify kubernetes``:

    GET /api/v1/namespaces/{ns}/pods?labelSelector=...&limit=N&continue=T
        a PodList filtered by an equality-based selector (``k=v``, ``k==v``, ``k!=v``, ``k``,
        ``!k``), ``limit`` pods per page with ``metadata.continue``;
    GET /api/v1/namespaces/{ns}/services/{name}
        a Service (404 Status when there is none);
    GET /api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/{path}
        forwarded, as the API server does, to ``http://{podIP}:{port}/{path}``: the pod's answer
        comes back with its status (503 included); an unreachable pod is the API server's own
        503 Status ``error trying to reach service``.

Every request needs ``Authorization: Bearer <token>`` (401 Status otherwise); namespaces in
``forbidden`` answer 403 Status as RBAC does. ``fail_next(n, status)`` makes the next ``n``
requests answer ``status`` (500 by default). Every request is recorded in ``requests``.

:func:`serve_fake_kube` serves over HTTPS with a certificate from a CA made for the test
(trustme) and writes a kubeconfig pointing at it, so the client is configured exactly as an
operator's would be (``--kubeconfig``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import serve_https

TOKEN = "fake-kube-token"
LABELS = {"app.kubernetes.io/name": "stashkit", "app.kubernetes.io/component": "logstash"}
"""The labels the stashkit base puts on its pods."""


@dataclass
class FakeContainer:
    name: str
    ports: list[tuple[str, int, str]] = field(default_factory=list)
    """(name, containerPort, protocol)"""
    state: str = "running"  # running | waiting | terminated
    reason: str = ""
    ready: bool = True
    restarts: int = 0
    last_exit: tuple[str, int] | None = None
    image: str = "example/image:1"

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "image": self.image,
            "ports": [
                {"name": n, "containerPort": p, "protocol": proto} for n, p, proto in self.ports
            ],
        }

    def status(self) -> dict[str, Any]:
        if self.state == "running":
            state: dict[str, Any] = {"running": {"startedAt": "2026-12-02T10:00:00Z"}}
        elif self.state == "waiting":
            state = {"waiting": {"reason": self.reason or "ContainerCreating"}}
        else:
            state = {"terminated": {"reason": self.reason or "Error", "exitCode": 1}}
        document: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "imageID": "",
            "ready": self.ready,
            "restartCount": self.restarts,
            "state": state,
            "lastState": {},
        }
        if self.last_exit is not None:
            reason, code = self.last_exit
            document["lastState"] = {"terminated": {"reason": reason, "exitCode": code}}
        return document


@dataclass
class FakePod:
    name: str
    containers: list[FakeContainer]
    ip: str | None = "127.0.0.1"
    phase: str = "Running"
    ready: bool = True
    node: str = "node-a"
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))
    terminating: bool = False
    unschedulable: str = ""

    def document(self, namespace: str) -> dict[str, Any]:
        conditions = [
            {"type": "Ready", "status": "True" if self.ready else "False"},
            {
                "type": "PodScheduled",
                "status": "False" if self.unschedulable else "True",
                **({"reason": "Unschedulable", "message": self.unschedulable}
                   if self.unschedulable else {}),
            },
        ]  # fmt: skip
        metadata: dict[str, Any] = {
            "name": self.name,
            "namespace": namespace,
            "labels": self.labels,
            "uid": f"uid-{self.name}",
        }
        if self.terminating:
            metadata["deletionTimestamp"] = "2026-12-02T10:05:00Z"
        status: dict[str, Any] = {
            "phase": self.phase,
            "conditions": conditions,
            "containerStatuses": [c.status() for c in self.containers],
        }
        if self.ip is not None:
            status["podIP"] = self.ip
        spec: dict[str, Any] = {"containers": [c.spec() for c in self.containers]}
        if not self.unschedulable:
            spec["nodeName"] = self.node
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": spec,
            "status": status,
        }


def stashkit_pod(
    name: str,
    *,
    sidecar_port: int = 3000,
    health_port: int = 3001,
    ip: str | None = "127.0.0.1",
    ready: bool = True,
    sidecar: bool = True,
    **kwargs: Any,
) -> FakePod:
    """A pod as deployments/kubernetes makes it: logstash + status-sidecar."""
    containers = [
        FakeContainer(
            "logstash",
            [("syslog-tcp", 5000, "TCP"), ("syslog-udp", 5000, "UDP")],
            image="docker.elastic.co/logstash/logstash:8.19.3",
        )
    ]
    if sidecar:
        containers.append(
            FakeContainer(
                "status-sidecar",
                [("http", sidecar_port, "TCP"), ("health", health_port, "TCP")],
                ready=ready,
                image="ghcr.io/example/stashkit-sidecar:0.1.0",
            )
        )
    return FakePod(name, containers, ip=ip, ready=ready, **kwargs)


@dataclass
class FakeService:
    name: str
    type: str = "LoadBalancer"
    ports: list[tuple[str, int, str]] = field(
        default_factory=lambda: [("syslog-tcp", 5000, "TCP"), ("syslog-udp", 5000, "UDP")]
    )
    ingress: list[dict[str, str]] = field(default_factory=list)

    def document(self, namespace: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": self.name, "namespace": namespace},
            "spec": {
                "type": self.type,
                "clusterIP": "10.96.0.20",
                "ports": [
                    {"name": n, "port": p, "protocol": proto, "targetPort": n}
                    for n, p, proto in self.ports
                ],
            },
            "status": {"loadBalancer": {"ingress": self.ingress}},
        }


def _status(code: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
        status_code=code,
    )


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class FakeKube:
    def __init__(self) -> None:
        self.pods: dict[str, list[FakePod]] = {}
        self.services: dict[str, dict[str, FakeService]] = {}
        self.forbidden: set[str] = set()
        self.requests: list[str] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        ns = "/api/v1/namespaces/{ns}"
        self.app = Starlette(
            routes=[
                Route(f"{ns}/pods", self._list_pods, methods=["GET"]),
                Route(f"{ns}/services/{{name}}", self._service, methods=["GET"]),
                Route(f"{ns}/pods/{{name}}/proxy/{{path:path}}", self._proxy, methods=["GET"]),
            ]
        )

    def add(self, namespace: str, *pods: FakePod) -> None:
        with self._lock:
            self.pods.setdefault(namespace, []).extend(pods)

    def add_service(self, namespace: str, service: FakeService) -> None:
        with self._lock:
            self.services.setdefault(namespace, {})[service.name] = service

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def _check(self, request: Request) -> Response | None:
        with self._lock:
            self.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return _status(failure, "InternalError", "injected failure")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _status(401, "Unauthorized", "Unauthorized")
        namespace = request.path_params["ns"]
        if namespace in self.forbidden:
            resource = "pods" if "/pods" in request.url.path else "services"
            return _status(
                403,
                "Forbidden",
                f'{resource} is forbidden: User "stashkit-test" cannot list resource '
                f'"{resource}" in API group "" in the namespace "{namespace}"',
            )
        return None

    async def _list_pods(self, request: Request) -> Response:
        problem = self._check(request)
        if problem is not None:
            return problem
        namespace = request.path_params["ns"]
        selector = request.query_params.get("labelSelector", "")
        with self._lock:
            pods = [p for p in self.pods.get(namespace, []) if _matches(p.labels, selector)]
        limit = int(request.query_params.get("limit", "0")) or len(pods) or 1
        start = int(request.query_params.get("continue", "0") or "0")
        page = pods[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "1"}
        if start + limit < len(pods):
            metadata["continue"] = str(start + limit)
        return JSONResponse(
            {
                "apiVersion": "v1",
                "kind": "PodList",
                "metadata": metadata,
                "items": [p.document(namespace) for p in page],
            }
        )

    async def _service(self, request: Request) -> Response:
        problem = self._check(request)
        if problem is not None:
            return problem
        namespace, name = request.path_params["ns"], request.path_params["name"]
        service = self.services.get(namespace, {}).get(name)
        if service is None:
            return _status(404, "NotFound", f'services "{name}" not found')
        return JSONResponse(service.document(namespace))

    async def _proxy(self, request: Request) -> Response:
        problem = self._check(request)
        if problem is not None:
            return problem
        namespace = request.path_params["ns"]
        name, _, port = request.path_params["name"].partition(":")
        pod = next((p for p in self.pods.get(namespace, []) if p.name == name), None)
        if pod is None:
            return _status(404, "NotFound", f'pods "{name}" not found')
        url = f"http://{pod.ip}:{port or 80}/{request.path_params['path']}"
        try:
            async with httpx.AsyncClient(timeout=3) as client:
                answer = await client.get(url)
        except httpx.HTTPError as exc:
            return _status(
                503,
                "ServiceUnavailable",
                f"error trying to reach service: dial tcp {pod.ip}:{port}: {type(exc).__name__}",
            )
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )


@dataclass(frozen=True)
class KubeEndpoint:
    url: str
    ca_file: Path
    kubeconfig: Path
    fake: FakeKube


def write_kubeconfig(path: Path, url: str, ca_file: Path, *, token: str = TOKEN) -> Path:
    """A kubeconfig with one cluster, one token user and the current context ``fake``."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "fake", "cluster": {"server": url, "certificate-authority": str(ca_file)}}
        ],
        "users": [{"name": "stashkit-test", "user": {"token": token}}],
        "contexts": [
            {"name": "fake", "context": {"cluster": "fake", "user": "stashkit-test"}},
        ],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(document))
    return path


@contextlib.contextmanager
def serve_fake_kube(fake: FakeKube, workdir: Path) -> Iterator[KubeEndpoint]:
    """Serve ``fake`` over HTTPS on 127.0.0.1 with a certificate from a test CA."""
    with serve_https(fake.app, workdir, "fake-kube") as (url, ca_file):
        kubeconfig = write_kubeconfig(workdir / "kubeconfig", url, ca_file)
        yield KubeEndpoint(url, ca_file, kubeconfig, fake)
