"""The deployment configuration file (``stashkit.toml``): loading and validation.

The file is TOML (read with the standard library's ``tomllib``). Everything that is not a secret
lives in it; secrets (HEC tokens, client secrets, passwords) never do: operators pass them to
Terraform with ``TF_VAR_logstash_secrets`` and the hosts fetch them at boot. Example::

    output_type   = "splunk-hec"      # one of the catalog's output types
    log_profile   = "all"             # all | security | networking
    sidecar_image = "ghcr.io/example/stashkit-sidecar:0.1.0"   # "" = no sidecar
    sidecar_port  = 3000
    syslog_port   = 5000
    # logstash_version = "8.19.3"     # tag of the stock image
    # logstash_image   = "..."        # required for outputs that need extra plugins

    [syslog_tls]                      # optional; certificate material comes from the secret store
    enabled     = false
    port        = 6514
    client_auth = false               # true = mutual TLS (clients must present a cert)

    [destination]                     # the output type's non-secret settings (catalog env names)
    SPLUNK_ADDRESS = "https://splunk.example.com"
    SPLUNK_PORT    = "8088"

    [kubernetes]                      # only `stashkit render kubernetes` reads it
    syslog_source_cidrs  = ["10.0.0.0/8"]   # required there: who may send syslog
    monitoring_namespace = "monitoring"     # who may reach the sidecar's full API
    replicas             = 2

Every problem is a :class:`~stashkit.errors.ConfigError` with a one-line message naming the file
and the setting.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from status_sidecar.catalog import STOCK_LOGSTASH_IMAGE, Catalog, OutputType, default_catalog

from .errors import ConfigError

__all__ = [
    "API_PORT",
    "DEFAULT_LOGSTASH_VERSION",
    "DeploymentConfig",
    "KubernetesConfig",
    "TlsConfig",
    "load_config",
    "parse_config",
]

DEFAULT_LOGSTASH_VERSION = "8.19.3"
"""Tag of the stock Logstash image when the config does not name one (the same default as
templates/logstash/Dockerfile's LOGSTASH_VERSION)."""

API_PORT = 9600
"""The Logstash monitoring API port: never published, so no other port may use it."""

_TOP_KEYS = frozenset(
    {
        "output_type",
        "log_profile",
        "sidecar_image",
        "sidecar_port",
        "syslog_port",
        "logstash_version",
        "logstash_image",
        "syslog_tls",
        "destination",
        "kubernetes",
    }
)
_TLS_KEYS = frozenset({"enabled", "port", "client_auth"})
_KUBERNETES_KEYS = frozenset({"syslog_source_cidrs", "monitoring_namespace", "replicas"})
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_PROFILE_ENV = "LOG_PROFILE"

_Fail = Callable[[str], ConfigError]


@dataclass(frozen=True)
class TlsConfig:
    """Syslog over TLS (TCP) beside the plain listeners."""

    enabled: bool = False
    port: int = 6514
    client_auth: bool = False


@dataclass(frozen=True)
class KubernetesConfig:
    """Settings of the Kubernetes target only (``[kubernetes]``); the Terraform targets take
    the same decisions as Terraform variables."""

    syslog_source_cidrs: tuple[str, ...] = ()
    """Who may send syslog: the NetworkPolicy's ipBlocks and the load balancer's source ranges.
    Empty here; `stashkit render kubernetes` requires at least one."""
    monitoring_namespace: str = "monitoring"
    """The namespace whose pods may reach the sidecar's full API (Prometheus)."""
    replicas: int = 2


@dataclass(frozen=True)
class DeploymentConfig:
    """A validated deployment configuration."""

    output_type: str
    log_profile: str
    sidecar_image: str
    sidecar_port: int
    syslog_port: int
    logstash_version: str
    logstash_image: str
    """The image Logstash runs: the config's ``logstash_image`` or the stock image."""
    tls: TlsConfig
    destination: Mapping[str, str]
    """Non-secret settings the operator gave, by catalog env var name."""
    kubernetes: KubernetesConfig = KubernetesConfig()

    @property
    def sidecar_enabled(self) -> bool:
        return self.sidecar_image != ""


def load_config(path: Path, catalog: Catalog | None = None) -> DeploymentConfig:
    """Read and validate ``path``; every problem is a one-line :class:`ConfigError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return parse_config(data, catalog or default_catalog(), source=str(path))


def parse_config(
    data: Mapping[str, object], catalog: Catalog, *, source: str = "config"
) -> DeploymentConfig:
    """Validate already-parsed TOML data against the catalog."""

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{source}: {message}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(_TOP_KEYS))})")

    output_key = _string(data, "output_type", None, fail)
    output_type = catalog.output_types.get(output_key)
    if output_type is None:
        known = ", ".join(catalog.output_types)
        raise fail(f"unknown output type {output_key!r} (known: {known})")

    log_profile = _string(data, "log_profile", "all", fail)
    if log_profile not in catalog.profiles:
        known = ", ".join(catalog.profiles)
        raise fail(f"unknown log profile {log_profile!r} (known: {known})")

    sidecar_image = _string(data, "sidecar_image", "", fail).strip()
    if any(c.isspace() for c in sidecar_image):
        raise fail("sidecar_image must not contain whitespace")
    sidecar_port = _port(data, "sidecar_port", 3000, fail)
    syslog_port = _port(data, "syslog_port", 5000, fail)
    tls = _tls(data.get("syslog_tls"), fail)
    ports = {"syslog_port": syslog_port}
    if sidecar_image:
        ports["sidecar_port"] = sidecar_port
    if tls.enabled:
        ports["syslog_tls.port"] = tls.port
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port in seen:
            raise fail(f"{name} {port} is already used by {seen[port]}")
        seen[port] = name

    version = _string(data, "logstash_version", DEFAULT_LOGSTASH_VERSION, fail).strip()
    if not version or any(c.isspace() or c in ":/@" for c in version):
        raise fail(f"logstash_version {version!r} is not an image tag")
    image = _string(data, "logstash_image", "", fail).strip()
    if any(c.isspace() for c in image):
        raise fail("logstash_image must not contain whitespace")
    if not image:
        if not output_type.uses_stock_image:
            plugins = ", ".join(output_type.logstash_plugins)
            raise fail(
                f"output type {output_key} needs a Logstash image with {plugins}: set "
                "logstash_image (build it with `stashkit build-push`)"
            )
        image = stock_image(version)
    elif not output_type.uses_stock_image and image.split("@", 1)[0].rsplit(":", 1)[0] == (
        STOCK_LOGSTASH_IMAGE
    ):
        plugins = ", ".join(output_type.logstash_plugins)
        raise fail(
            f"logstash_image {image!r} is the stock image, which lacks {plugins} that output "
            f"type {output_key} needs: build one with `stashkit build-push --image "
            f"logstash-{output_key}`"
        )

    destination = _destination(data.get("destination"), output_type, fail)
    kubernetes = _kubernetes(data.get("kubernetes"), fail)
    return DeploymentConfig(
        output_type=output_key,
        log_profile=log_profile,
        sidecar_image=sidecar_image,
        sidecar_port=sidecar_port,
        syslog_port=syslog_port,
        logstash_version=version,
        logstash_image=image,
        tls=tls,
        destination=destination,
        kubernetes=kubernetes,
    )


def stock_image(version: str) -> str:
    """The stock Logstash image reference for ``version``."""
    return f"{STOCK_LOGSTASH_IMAGE}:{version}"


def _string(
    data: Mapping[str, object],
    key: str,
    default: str | None,
    fail: _Fail,
) -> str:
    value = data.get(key, default)
    if value is None:
        raise fail(f"missing required setting {key!r}")
    if not isinstance(value, str):
        raise fail(f"{key} must be a string, not {_kind(value)}")
    return value


def _port(
    data: Mapping[str, object], key: str, default: int, fail: _Fail, *, label: str = ""
) -> int:
    name = label or key
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{name} must be a whole number between 1 and 65535, not {value!r}")
    return _check_port(name, value, fail)


def _check_port(name: str, value: int, fail: _Fail) -> int:
    if not 1 <= value <= 65535:
        raise fail(f"{name} {value} is not a port (1-65535)")
    if value == API_PORT:
        raise fail(f"{name} must not be {API_PORT}: the Logstash API is never published")
    return value


def _table(raw: object, name: str, known: frozenset[str], fail: _Fail) -> dict[str, Any]:
    """The ``[name]`` table: a table, with only ``known`` keys."""
    if not isinstance(raw, dict):
        raise fail(f"{name} must be a table, not {_kind(raw)}")
    unknown = sorted(set(raw) - known)
    if unknown:
        listed = ", ".join(sorted(known))
        raise fail(f"unknown setting '{name}.{unknown[0]}' (known: {listed})")
    return raw


def _tls(raw: object, fail: _Fail) -> TlsConfig:
    if raw is None:
        return TlsConfig()
    raw = _table(raw, "syslog_tls", _TLS_KEYS, fail)
    flags: dict[str, bool] = {}
    for key in ("enabled", "client_auth"):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise fail(f"syslog_tls.{key} must be true or false, not {value!r}")
        flags[key] = value
    port = _port(raw, "port", 6514, fail, label="syslog_tls.port")
    return TlsConfig(enabled=flags["enabled"], port=port, client_auth=flags["client_auth"])


def _kubernetes(raw: object, fail: _Fail) -> KubernetesConfig:
    if raw is None:
        return KubernetesConfig()
    raw = _table(raw, "kubernetes", _KUBERNETES_KEYS, fail)
    cidrs = raw.get("syslog_source_cidrs", [])
    if not isinstance(cidrs, list) or not all(isinstance(c, str) for c in cidrs):
        raise fail("kubernetes.syslog_source_cidrs must be an array of CIDR strings")
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise fail(
                f"kubernetes.syslog_source_cidrs: {cidr!r} is not a CIDR block ({exc})"
            ) from None
    namespace = raw.get("monitoring_namespace", "monitoring")
    if not isinstance(namespace, str) or not _DNS_LABEL.fullmatch(namespace):
        raise fail(
            f"kubernetes.monitoring_namespace {namespace!r} is not a namespace name "
            "(lower-case letters, digits and '-', at most 63)"
        )
    replicas = raw.get("replicas", 2)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or not 1 <= replicas <= 100:
        raise fail(f"kubernetes.replicas must be a whole number from 1 to 100, not {replicas!r}")
    return KubernetesConfig(tuple(cidrs), namespace, replicas)


def _destination(raw: object, output_type: OutputType, fail: _Fail) -> Mapping[str, str]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise fail(f"destination must be a table, not {_kind(raw)}")
    names = {v.name for v in output_type.env}
    values: dict[str, str] = {}
    for name, value in raw.items():
        if name not in names:
            known = ", ".join(v.name for v in output_type.env if not v.secret)
            raise fail(
                f"destination.{name} is not a setting of output type {output_type.key} "
                f"(known: {known})",
            )
        var = output_type.env_var(name)
        if var.secret:
            raise fail(
                f"destination.{name} is a secret: never put it in the config file, pass it "
                "to Terraform with TF_VAR_logstash_secrets",
            )
        if name == _PROFILE_ENV:
            raise fail(f"destination.{name}: set the top-level log_profile instead")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise fail(f"destination.{name} must be a string, not {_kind(value)}")
        if "\x00" in value:
            raise fail(f"destination.{name} contains a NUL character")
        values[name] = value
    for var in output_type.env:
        if var.required and not var.secret and var.name not in values:
            raise fail(
                f"missing required destination setting {var.name} for output type "
                f"{output_type.key} ({var.description})",
            )
    return types.MappingProxyType(values)


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
