"""Shared helpers for the template tests: configs for every output type, built from the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stashkit.config import DeploymentConfig, parse_config
from stashkit.render import DEPLOYMENTS, Renderer
from status_sidecar.catalog import OutputType, default_catalog

CATALOG = default_catalog()
OUTPUT_TYPES: tuple[str, ...] = tuple(CATALOG.output_types)
AWS_DEPLOYMENTS: tuple[str, ...] = tuple(d for d in DEPLOYMENTS if d.startswith("aws-"))
SIDECAR_IMAGE = "ghcr.io/example/stashkit-sidecar:0.1.0"
RENDERER = Renderer(CATALOG)


def custom_image(output_type: str) -> str:
    return f"registry.example.com/stashkit/logstash-{output_type}:8.19.3"


def destination_for(output_type: OutputType, value: str | None = None) -> dict[str, str]:
    """A value for every required non-secret setting (``value`` if given, else a made-up one)."""
    return {
        v.name: value if value is not None else f"https://{v.name.lower()}.example.com"
        for v in output_type.env
        if v.required and not v.secret
    }


def config_data(
    output_type: str,
    *,
    sidecar: bool = True,
    tls: bool = False,
    client_auth: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """TOML-shaped data for a valid config of ``output_type``."""
    spec = CATALOG.output_types[output_type]
    data: dict[str, Any] = {
        "output_type": output_type,
        "sidecar_image": SIDECAR_IMAGE if sidecar else "",
        "destination": destination_for(spec),
    }
    if not spec.uses_stock_image:
        data["logstash_image"] = custom_image(output_type)
    if tls:
        data["syslog_tls"] = {"enabled": True, "client_auth": client_auth}
    data.update(overrides)
    return data


def make_config(output_type: str, **kwargs: Any) -> DeploymentConfig:
    return parse_config(config_data(output_type, **kwargs), CATALOG)


def toml_text(data: Mapping[str, Any]) -> str:
    """A tiny TOML writer for the shapes used here (strings, ints, bools, one level of tables)."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables:
        lines.append(f"\n[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = (
            value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\t", "\\t")
            .replace("\r", "\\r")
        )
        return f'"{escaped}"'
    raise TypeError(type(value))


def write_config(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(toml_text(data), encoding="utf-8")
    return path
