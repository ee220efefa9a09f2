"""Render the Kubernetes target: a Kustomize component with the pipeline and the settings.

``stashkit render kubernetes --config stashkit.toml`` writes ``deployments/kubernetes/.rendered/``
(or ``--output-dir``), which the overlays include as a component:

* ``pipeline.conf``: the same pipeline the other targets run (:meth:`Renderer.pipeline`),
  generated into the ConfigMap ``stashkit-pipeline`` mounted at Logstash's pipeline directory;
* ``logstash.env`` and ``sidecar.env``: the non-secret settings of both containers, generated
  into ConfigMaps read with ``envFrom``;
* ``kustomization.yaml``: a ``Component`` with those generators (their hash suffixes roll the
  pods when anything changes), the images, and JSON patches that carry the config's ports,
  replicas, syslog sources, monitoring namespace and syslog TLS into the base. Every patch first
  ``test``-s the name at the index it changes, so a base edited out of step fails the build
  instead of patching the wrong container or port.

Secrets are never rendered: the operator creates the Secrets the base names
(:data:`LOGSTASH_SECRETS`, :data:`SIDECAR_TOKEN_SECRET`, :data:`SYSLOG_TLS_SECRET`), by hand or
through an ExternalSecret (see deployments/kubernetes/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from status_sidecar.catalog import SYSLOG_TLS_SECRETS

from .config import DeploymentConfig
from .errors import ConfigError, RenderError
from .render import (
    DEPLOYMENTS_DIR,
    PIPELINE_FILE,
    TLS_CONTAINER_DIR,
    Renderer,
    destination_label,
    logstash_environment,
    secret_names,
)

__all__ = [
    "COMPONENT_FILES",
    "HEALTH_PORT",
    "KUBERNETES",
    "LOGSTASH_SECRETS",
    "SIDECAR_TOKEN_SECRET",
    "SYSLOG_TLS_KEYS",
    "SYSLOG_TLS_SECRET",
    "KubeRendered",
    "image_fields",
    "kubernetes_component",
    "render_kubernetes",
]

KUBERNETES = "kubernetes"
"""The Kubernetes target's name (``stashkit render kubernetes``, ``verify kubernetes``)."""

HEALTH_PORT = 3001
"""The sidecar's health-only listener in the pod (``HEALTH_PORT``): probes and health checks."""

# Names of Secrets, not secrets:
LOGSTASH_SECRETS = "stashkit-logstash-secrets"
"""Secret with key ``logstash-secrets.env``: the output type's secrets as NAME=value lines."""
SIDECAR_TOKEN_SECRET = "stashkit-sidecar-token"  # noqa: S105
"""Secret with key ``token``: the bearer token the sidecar requires (``AUTH_TOKEN_FILE``)."""
SYSLOG_TLS_SECRET = "stashkit-syslog-tls"  # noqa: S105
"""Secret (type kubernetes.io/tls, e.g. from cert-manager) of the syslog TLS listener."""

SYSLOG_TLS_KEYS: Mapping[str, str] = {
    "SYSLOG_TLS_CERT": "tls.crt",
    "SYSLOG_TLS_KEY": "tls.key",
    "SYSLOG_TLS_CA": "ca.crt",
}
"""Catalog TLS secret name -> key of a kubernetes.io/tls Secret (cert-manager's names)."""

LOGSTASH_ENV_FILE = "logstash.env"
SIDECAR_ENV_FILE = "sidecar.env"
COMPONENT_FILE = "kustomization.yaml"
LOAD_BALANCER_FILE = "load-balancer/kustomization.yaml"
COMPONENT_FILES = (
    PIPELINE_FILE,
    LOGSTASH_ENV_FILE,
    SIDECAR_ENV_FILE,
    COMPONENT_FILE,
    LOAD_BALANCER_FILE,
)
"""What a render writes; ``load-balancer/`` is the second component the cloud overlays include
(the syslog Service's source ranges, valid only on a LoadBalancer Service)."""

LOGSTASH_IMAGE = "logstash"
SIDECAR_IMAGE = "status-sidecar"
"""Image names in the base that the component's ``images`` replace."""

_STS = "/spec/template/spec"
_LOGSTASH = f"{_STS}/containers/0"
_SIDECAR = f"{_STS}/containers/1"
_SECRETS_VOLUME = f"{_STS}/volumes/4"
_SIDECAR_FILES_VOLUME = f"{_STS}/volumes/5"

COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"

Patch = list[dict[str, Any]]


@dataclass(frozen=True)
class KubeRendered:
    """What one render produced: file name -> content (the pipeline among them)."""

    files: Mapping[str, str]

    @property
    def pipeline(self) -> str:
        return self.files[PIPELINE_FILE]


def image_fields(reference: str) -> dict[str, str]:
    """``newName`` and ``newTag`` or ``digest`` of an image reference, for Kustomize ``images``.

    ``registry:5000/team/app`` has no tag (the colon belongs to the registry's port);
    ``app:1.2@sha256:...`` is pinned by its digest, which Kustomize then writes alone.
    """
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    fields: dict[str, str] = {}
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not digest:
            fields["newTag"] = tag
    if not name:
        raise ConfigError(f"image {reference!r} has no repository name")
    fields = {"newName": name, **fields}
    if digest:
        fields["digest"] = digest
    return fields


def _env_file(values: Mapping[str, str], what: str) -> str:
    """NAME=value lines as Kustomize reads ``envs`` (the value taken literally, to the end)."""
    lines = []
    for name, value in values.items():
        if any(c in value for c in "\n\r\x00"):
            raise RenderError(
                f"{what}: {name} contains a line break, which a ConfigMap env file cannot carry"
            )
        lines.append(f"{name}={value}")
    return "".join(f"{line}\n" for line in lines)


def _check_ports(config: DeploymentConfig) -> None:
    ports = {"syslog_port": config.syslog_port, "sidecar_port": config.sidecar_port}
    if config.tls.enabled:
        ports["syslog_tls.port"] = config.tls.port
    for name, port in ports.items():
        if port == HEALTH_PORT:
            raise ConfigError(
                f"{name} must not be {HEALTH_PORT}: on Kubernetes the sidecar's health-only "
                "listener uses it"
            )


def _test(path: str, value: object) -> dict[str, Any]:
    return {"op": "test", "path": path, "value": value}


def _set(path: str, value: object) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


def _add(path: str, value: object) -> dict[str, Any]:
    return {"op": "add", "path": path, "value": value}


def statefulset_patch(config: DeploymentConfig, has_secrets: bool) -> Patch:
    """Replicas, the containers' ports, and syslog TLS on the Logstash StatefulSet."""
    ops: Patch = [
        _set("/spec/replicas", config.kubernetes.replicas),
        _test(f"{_LOGSTASH}/name", "logstash"),
        _test(f"{_LOGSTASH}/ports/0/name", "syslog-tcp"),
        _set(f"{_LOGSTASH}/ports/0/containerPort", config.syslog_port),
        _test(f"{_LOGSTASH}/ports/1/name", "syslog-udp"),
        _set(f"{_LOGSTASH}/ports/1/containerPort", config.syslog_port),
        _test(f"{_SIDECAR}/name", "status-sidecar"),
        _test(f"{_SIDECAR}/ports/0/name", "http"),
        _set(f"{_SIDECAR}/ports/0/containerPort", config.sidecar_port),
    ]
    if not has_secrets:  # nothing to create: the pods start without the Secret
        ops += [
            _test(f"{_SECRETS_VOLUME}/name", "logstash-secrets"),
            _add(f"{_SECRETS_VOLUME}/secret/optional", True),
            _test(f"{_SIDECAR_FILES_VOLUME}/name", "sidecar-files"),
            _test(f"{_SIDECAR_FILES_VOLUME}/projected/sources/1/secret/name", LOGSTASH_SECRETS),
            _add(f"{_SIDECAR_FILES_VOLUME}/projected/sources/1/secret/optional", True),
        ]
    if config.tls.enabled:
        items = [
            {"key": SYSLOG_TLS_KEYS[name], "path": file}
            for name, file in _tls_files(config).items()
        ]
        ops += [
            _add(
                f"{_LOGSTASH}/ports/-",
                {"name": "syslog-tls", "containerPort": config.tls.port, "protocol": "TCP"},
            ),
            _add(
                f"{_LOGSTASH}/volumeMounts/-",
                {"name": "syslog-tls", "mountPath": TLS_CONTAINER_DIR, "readOnly": True},
            ),
            _add(
                f"{_STS}/volumes/-",
                {
                    "name": "syslog-tls",
                    "secret": {
                        "secretName": SYSLOG_TLS_SECRET,
                        "defaultMode": 0o440,
                        "items": items,
                    },
                },
            ),
        ]
    return ops


def _tls_files(config: DeploymentConfig) -> dict[str, str]:
    """Catalog TLS secret name -> the file the pipeline reads (the CA with client auth only)."""
    return {
        s.name: s.file
        for s in SYSLOG_TLS_SECRETS
        if config.tls.client_auth or not s.client_auth_only
    }


def syslog_service_patch(config: DeploymentConfig) -> Patch:
    """The syslog Service's ports (TCP and UDP, TLS when enabled) and allowed source ranges."""
    ops: Patch = [
        _test("/spec/ports/0/name", "syslog-tcp"),
        _set("/spec/ports/0/port", config.syslog_port),
        _test("/spec/ports/1/name", "syslog-udp"),
        _set("/spec/ports/1/port", config.syslog_port),
    ]
    if config.tls.enabled:
        ops.append(
            _add(
                "/spec/ports/-",
                {
                    "name": "syslog-tls",
                    "port": config.tls.port,
                    "targetPort": "syslog-tls",
                    "protocol": "TCP",
                },
            )
        )
    return ops


def load_balancer_patch(config: DeploymentConfig) -> Patch:
    """The allowed syslog sources as the load balancer's source ranges (its firewall)."""
    return [_add("/spec/loadBalancerSourceRanges", list(_sources(config)))]


def headless_service_patch(config: DeploymentConfig) -> Patch:
    return [
        _test("/spec/ports/0/name", "http"),
        _set("/spec/ports/0/port", config.sidecar_port),
    ]


def network_policy_patch(config: DeploymentConfig) -> Patch:
    """Syslog from the allowed sources, the full sidecar API from the monitoring namespace."""
    syslog = "/spec/ingress/0"
    sidecar = "/spec/ingress/1"
    ops: Patch = [
        _test(f"{syslog}/ports/0/protocol", "TCP"),
        _set(f"{syslog}/from", [{"ipBlock": {"cidr": c}} for c in _sources(config)]),
        _set(f"{syslog}/ports/0/port", config.syslog_port),
        _test(f"{syslog}/ports/1/protocol", "UDP"),
        _set(f"{syslog}/ports/1/port", config.syslog_port),
        _test(f"{sidecar}/ports/0/port", 3000),
        _set(f"{sidecar}/ports/0/port", config.sidecar_port),
        _set(
            f"{sidecar}/from/0/namespaceSelector/matchLabels",
            {"kubernetes.io/metadata.name": config.kubernetes.monitoring_namespace},
        ),
        _test("/spec/ingress/2/ports/0/port", HEALTH_PORT),
    ]
    if config.tls.enabled:
        ops.append(_add(f"{syslog}/ports/-", {"protocol": "TCP", "port": config.tls.port}))
    return ops


def _sources(config: DeploymentConfig) -> tuple[str, ...]:
    if not config.kubernetes.syslog_source_cidrs:
        raise ConfigError(
            "the kubernetes target needs kubernetes.syslog_source_cidrs in the config: the "
            'CIDR blocks allowed to send syslog (e.g. syslog_source_cidrs = ["10.0.0.0/8"])'
        )
    return config.kubernetes.syslog_source_cidrs


def _patch(kind: str, name: str, ops: Patch) -> dict[str, Any]:
    """A JSON 6902 patch of one resource, written as YAML with one operation a line."""
    return {
        "target": {"kind": kind, "name": name},
        "patch": _Literal(yaml.safe_dump(ops, default_flow_style=None, sort_keys=False, width=200)),
    }


class _Literal(str):
    """A string YAML writes as a literal block (``|``)."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _dump(document: Mapping[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=100)


def load_balancer_component(config: DeploymentConfig) -> dict[str, Any]:
    return {
        "apiVersion": COMPONENT_API,
        "kind": "Component",
        "patches": [_patch("Service", "stashkit-syslog", load_balancer_patch(config))],
    }


def kubernetes_component(config: DeploymentConfig, has_secrets: bool) -> dict[str, Any]:
    """The ``kustomization.yaml`` of the rendered component."""
    patch = _patch
    return {
        "apiVersion": COMPONENT_API,
        "kind": "Component",
        "configMapGenerator": [
            {"name": "stashkit-pipeline", "files": [f"logstash.conf={PIPELINE_FILE}"]},
            {"name": "stashkit-logstash-env", "envs": [LOGSTASH_ENV_FILE]},
            {"name": "stashkit-sidecar-env", "envs": [SIDECAR_ENV_FILE]},
        ],
        "images": [
            {"name": LOGSTASH_IMAGE, **image_fields(config.logstash_image)},
            {"name": SIDECAR_IMAGE, **image_fields(config.sidecar_image)},
        ],
        "patches": [
            patch("StatefulSet", "stashkit-logstash", statefulset_patch(config, has_secrets)),
            patch("Service", "stashkit-syslog", syslog_service_patch(config)),
            patch("Service", "stashkit-logstash", headless_service_patch(config)),
            patch("NetworkPolicy", "stashkit-logstash", network_policy_patch(config)),
        ],
    }


_HEADER = (
    "# Written by `stashkit render kubernetes` from {source}; do not edit: change the config\n"
    "# and render again. Included by the overlays as a Kustomize component.\n"
)


def kubernetes_files(config: DeploymentConfig, renderer: Renderer) -> dict[str, str]:
    """Every rendered file by name; refuses a config the Kubernetes target cannot run."""
    if not config.sidecar_enabled:
        raise ConfigError(
            "the kubernetes target needs the sidecar (set sidecar_image): its /api/health is "
            "the pods' readiness"
        )
    _check_ports(config)
    _sources(config)
    output_type = renderer.catalog.output_types[config.output_type]
    pipeline = renderer.pipeline(config)
    sidecar_env = {
        "PORT": str(config.sidecar_port),
        "LOG_PROFILE": config.log_profile,
        "DESTINATION_LABEL": destination_label(config, output_type),
    }
    component = kubernetes_component(config, has_secrets=bool(secret_names(output_type)))
    header = _HEADER.format(source=f"output type {config.output_type}")
    return {
        PIPELINE_FILE: pipeline,
        LOGSTASH_ENV_FILE: _env_file(logstash_environment(config, output_type), "logstash env"),
        SIDECAR_ENV_FILE: _env_file(sidecar_env, "sidecar env"),
        COMPONENT_FILE: header + _dump(component),
        LOAD_BALANCER_FILE: header + _dump(load_balancer_component(config)),
    }


def render_kubernetes(
    config: DeploymentConfig,
    *,
    output_dir: Path | None = None,
    deployments_dir: Path | None = None,
    renderer: Renderer | None = None,
) -> KubeRendered:
    """Render and write the component (default ``deployments/kubernetes/.rendered``)."""
    files = kubernetes_files(config, renderer or Renderer())
    target = output_dir or (deployments_dir or DEPLOYMENTS_DIR) / KUBERNETES / ".rendered"
    try:
        for name, content in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            _write(target / name, content)
    except OSError as exc:
        raise RenderError(f"cannot write {exc.filename}: {exc.strerror}") from exc
    return KubeRendered(files)


def _write(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(path)
