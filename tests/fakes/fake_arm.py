"""A fake Azure Resource Manager endpoint for ``Microsoft.ContainerInstance/containerGroups``.

Serves what ``azure-mgmt-containerinstance`` 10.1.0 (api-version 2023-05-01) asks for:

    GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups
        a page of groups *without* instance views (as ARM does), ``nextLink`` absolute and
        keeping ``api-version``, ``page_size`` groups per page;
    GET .../containerGroups/{name}
        one group with its instance view and each container's instance view (state, restart
        count, previous state).

Unknown resource groups or groups answer 404 with ARM's error body; requests without a bearer
token 401. ``fail_next(n, status)`` makes the next ``n`` requests answer ``status`` (500 by
default), to test retries. Every request is recorded in ``requests``.

The SDK refuses bearer tokens over plain HTTP, so :func:`serve_fake_arm` serves over HTTPS with
a certificate from a CA made for the test (trustme); point the client at it with
:func:`client_for`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken
from azure.mgmt.containerinstance import ContainerInstanceManagementClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.servers import serve_https

API_VERSION = "2023-05-01"
PROVIDER = "Microsoft.ContainerInstance/containerGroups"
CLOSE = {"connection": "close"}
"""Every answer closes its connection: the SDK leaves an error response's connection checked
out of its pool, and an open keep-alive connection would hold the server's shutdown."""


@dataclass
class FakeContainer:
    name: str
    ports: list[int] = field(default_factory=list)
    state: str = "Running"
    restart_count: int = 0
    detail_status: str = ""
    previous_exit_code: int | None = None
    image: str = "example/image:1"

    def document(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "restartCount": self.restart_count,
            "currentState": {
                "state": self.state,
                "startTime": "2026-11-22T10:00:00Z",
                "detailStatus": self.detail_status,
            },
            "events": [],
        }
        if self.previous_exit_code is not None:
            view["previousState"] = {
                "state": "Terminated",
                "exitCode": self.previous_exit_code,
                "finishTime": "2026-11-22T09:59:00Z",
                "detailStatus": "Error",
            }
        return {
            "name": self.name,
            "properties": {
                "image": self.image,
                "ports": [{"port": p, "protocol": "TCP"} for p in self.ports],
                "resources": {"requests": {"cpu": 1.0, "memoryInGB": 1.5}},
                "instanceView": view,
            },
        }


@dataclass
class FakeGroup:
    name: str
    containers: list[FakeContainer]
    ip: str | None = "10.1.0.4"
    location: str = "westeurope"
    state: str = "Running"
    provisioning_state: str = "Succeeded"
    tags: dict[str, str] = field(default_factory=dict)
    fqdn: str | None = None
    """The DNS name of a public group with a ``dnsNameLabel``."""

    def document(self, subscription: str, resource_group: str, *, with_view: bool) -> Any:
        ports = [{"port": p, "protocol": "TCP"} for c in self.containers for p in c.ports]
        properties: dict[str, Any] = {
            "provisioningState": self.provisioning_state,
            "containers": [c.document() for c in self.containers],
            "osType": "Linux",
            "restartPolicy": "Always",
            "sku": "Standard",
        }
        if self.ip is not None or self.fqdn is not None:
            address: dict[str, Any] = {"ports": ports, "type": "Public"}
            address.update({"ip": self.ip} if self.ip is not None else {})
            address.update({"fqdn": self.fqdn} if self.fqdn is not None else {})
            properties["ipAddress"] = address
        if with_view:
            properties["instanceView"] = {"state": self.state, "events": []}
        else:
            for container in properties["containers"]:
                container["properties"].pop("instanceView")
        return {
            "id": (
                f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
                f"/providers/{PROVIDER}/{self.name}"
            ),
            "name": self.name,
            "type": PROVIDER,
            "location": self.location,
            "tags": self.tags,
            "properties": properties,
        }


def stashkit_group(
    name: str,
    *,
    ip: str | None = "10.1.0.4",
    sidecar_port: int | None = 3000,
    state: str = "Running",
    logstash_state: str = "Running",
    sidecar_state: str = "Running",
    logstash_restarts: int = 0,
    sidecar_restarts: int = 0,
    deployment: str | None = None,
    sidecar_published: bool = True,
) -> FakeGroup:
    """A group as deployments/azure-aci makes it: logstash + status-sidecar (whose port is
    declared only when published: ``publish_sidecar``)."""
    containers = [
        FakeContainer(
            "logstash", [5514], logstash_state, logstash_restarts, image="logstash:8.17.0"
        )
    ]
    if sidecar_port is not None:
        containers.append(
            FakeContainer(
                "status-sidecar",
                [sidecar_port] if sidecar_published else [],
                sidecar_state,
                sidecar_restarts,
                image="sc:1",
            )
        )
    tags = {"stashkit:deployment": deployment} if deployment else {}
    return FakeGroup(name, containers, ip=ip, state=state, tags=tags)


class FakeArm:
    def __init__(self, subscription: str = "00000000-0000-0000-0000-000000000001") -> None:
        self.subscription = subscription
        self.resource_groups: dict[str, dict[str, FakeGroup]] = {}
        self.page_size = 2
        self.requests: list[str] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        base = f"/subscriptions/{{sub}}/resourceGroups/{{rg}}/providers/{PROVIDER}"
        self.app = Starlette(
            routes=[
                Route(base, self._list, methods=["GET"]),
                Route(base + "/{name}", self._get, methods=["GET"]),
            ]
        )

    def add(self, resource_group: str, *groups: FakeGroup) -> None:
        with self._lock:
            bucket = self.resource_groups.setdefault(resource_group, {})
            for group in groups:
                bucket[group.name] = group

    def group(self, resource_group: str, name: str) -> FakeGroup:
        return self.resource_groups[resource_group][name]

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def _check(self, request: Request) -> JSONResponse | None:
        with self._lock:
            self.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return _error(failure, "InternalServerError", "injected failure")
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "AuthenticationFailed", "no bearer token")
        if request.query_params.get("api-version") != API_VERSION:
            return _error(400, "InvalidApiVersionParameter", "unsupported api-version")
        if request.path_params["sub"] != self.subscription:
            return _error(404, "SubscriptionNotFound", "no such subscription")
        if request.path_params["rg"] not in self.resource_groups:
            rg = request.path_params["rg"]
            return _error(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        return None

    async def _list(self, request: Request) -> JSONResponse:
        problem = self._check(request)
        if problem is not None:
            return problem
        rg = request.path_params["rg"]
        with self._lock:
            groups = sorted(self.resource_groups[rg].values(), key=lambda g: g.name)
        skip = int(request.query_params.get("$skipToken", "0"))
        page = groups[skip : skip + self.page_size]
        body: dict[str, Any] = {
            "value": [g.document(self.subscription, rg, with_view=False) for g in page]
        }
        if skip + self.page_size < len(groups):
            next_url = request.url.include_query_params(
                **{"$skipToken": str(skip + self.page_size)}
            )
            body["nextLink"] = str(next_url)
        return JSONResponse(body, headers=CLOSE)

    async def _get(self, request: Request) -> JSONResponse:
        problem = self._check(request)
        if problem is not None:
            return problem
        rg, name = request.path_params["rg"], request.path_params["name"]
        with self._lock:
            group = self.resource_groups[rg].get(name)
        if group is None:
            return _error(
                404,
                "ResourceNotFound",
                f"The Resource '{PROVIDER}/{name}' under resource group '{rg}' was not found.",
            )
        return JSONResponse(group.document(self.subscription, rg, with_view=True), headers=CLOSE)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=CLOSE
    )


class FakeCredential:
    """What the SDK needs of a credential: ``get_token`` returning an AccessToken."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        del scopes, kwargs
        self.calls += 1
        return AccessToken("fake-token", int(time.time()) + 3600)


@dataclass(frozen=True)
class ArmEndpoint:
    url: str
    ca_file: Path
    fake: FakeArm

    def client(self, subscription: str | None = None) -> ContainerInstanceManagementClient:
        return client_for(self, subscription or self.fake.subscription)


def client_for(endpoint: ArmEndpoint, subscription: str) -> ContainerInstanceManagementClient:
    return ContainerInstanceManagementClient(
        FakeCredential(),  # type: ignore[arg-type]
        subscription,
        base_url=endpoint.url,
        connection_verify=str(endpoint.ca_file),
        retry_total=0,
    )


@contextlib.contextmanager
def serve_fake_arm(fake: FakeArm, workdir: Path) -> Iterator[ArmEndpoint]:
    """Serve ``fake`` over HTTPS on 127.0.0.1 with a certificate from a test CA."""
    with serve_https(fake.app, workdir, "fake-arm") as (url, ca_file):
        yield ArmEndpoint(url, ca_file, fake)
