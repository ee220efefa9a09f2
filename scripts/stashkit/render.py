"""Render a deployment: the Logstash pipeline, the container script and the Terraform inputs.

``stashkit render <deployment> --config stashkit.toml`` reads the config (:mod:`stashkit.config`),
renders the Jinja templates under ``templates/`` for the config's output type and writes

* ``<output dir>/pipeline.conf``: the Logstash pipeline;
* ``<output dir>/run-containers.sh``: the container script (AWS deployments only; ACI runs the
  containers itself);
* ``deployments/<name>/stashkit.auto.tfvars.json``: one variable, ``stashkit``, an object of the
  keys in :data:`TFVARS_KEYS`, so a plain ``terraform apply`` in that folder picks everything up.

Secrets are never rendered: the pipeline references them as ``${NAME}`` and the container script
fetches them at boot from SSM into a 0600 env file. The catalog
(:mod:`status_sidecar.catalog`) is the single source of truth for output types, log types, plugin
ids, env var names and profiles; the templates read it through the context built here.
"""

from __future__ import annotations

import json
import re
import shlex
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jinja2

from status_sidecar.catalog import (
    AZURE_STREAMS,
    INPUT_IDS,
    SYSLOG_TLS_SECRETS,
    UNCLASSIFIED_DROP_ID,
    UNCLASSIFIED_FILTER_ID,
    Catalog,
    OutputType,
    default_catalog,
)

from .config import DeploymentConfig
from .errors import RenderError, UsageError

__all__ = [
    "DEPLOYMENTS",
    "INPUT_IDS",
    "TEMPLATES_DIR",
    "TFVARS_KEYS",
    "TLS_SECRET_FILES",
    "Rendered",
    "Renderer",
    "container_environment",
    "logstash_environment",
    "render_deployment",
    "secret_names",
    "tfvars",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO_ROOT / "templates"
DEPLOYMENTS_DIR = REPO_ROOT / "deployments"

DEPLOYMENTS: tuple[str, ...] = ("aws-ec2-single-instance", "aws-ec2-autoscale", "azure-aci")
"""Known deployments; ``aws-*`` ones run the rendered container script on their hosts."""

TFVARS_KEYS: tuple[str, ...] = (
    "output_type",
    "log_profile",
    "logstash_image",
    "sidecar_image",
    "sidecar_port",
    "syslog_port",
    "syslog_tls_enabled",
    "syslog_tls_port",
    "syslog_tls_client_auth",
    "pipeline_config",
    "container_script",
    "logstash_environment",
)
"""Keys of the ``stashkit`` object in ``stashkit.auto.tfvars.json``: the contract with the
Terraform roots, which pass it unchanged to modules/stashkit-decisions, whose variable
``rendered`` types and validates it once. ``container_script`` is written for ``aws-*``
deployments only. The ``syslog_tls_*`` keys are always written (``[syslog_tls]`` or its
defaults), so the security groups, the load balancer, the ACI ports and secret volume follow
the TLS input the pipeline carries."""

PIPELINE_FILE = "pipeline.conf"
SCRIPT_FILE = "run-containers.sh"
TFVARS_FILE = "stashkit.auto.tfvars.json"
TFVARS_VARIABLE = "stashkit"
"""The one Terraform variable render writes into :data:`TFVARS_FILE`."""

TLS_SECRET_FILES: Mapping[str, str] = types.MappingProxyType(
    {s.name: s.file for s in SYSLOG_TLS_SECRETS}
)
"""Secret-store name -> file name under the TLS directory, for syslog over TLS (from the
catalog's :data:`~status_sidecar.catalog.SYSLOG_TLS_SECRETS`)."""
TLS_CONTAINER_DIR = "/usr/share/logstash/config/tls"


@dataclass(frozen=True)
class Rendered:
    """What one render produced (file contents, not paths)."""

    pipeline: str
    container_script: str | None
    tfvars: Mapping[str, object]
    """The ``stashkit`` object (the file holds ``{"stashkit": tfvars}``)."""


# --------------------------------------------------------------------------------------------
# Environment of the Logstash container
# --------------------------------------------------------------------------------------------


def logstash_environment(config: DeploymentConfig, output_type: OutputType) -> dict[str, str]:
    """Every non-secret env var of the output type: the config's value, else the catalog default.

    ``LOG_PROFILE`` comes from the config's ``log_profile``. Secrets are never included.
    """
    env: dict[str, str] = {}
    for var in output_type.env:
        if var.secret:
            continue
        if var.name == "LOG_PROFILE":
            env[var.name] = config.log_profile
        elif var.name in config.destination:
            env[var.name] = config.destination[var.name]
        elif var.default is not None:
            env[var.name] = var.default
    return env


def secret_names(output_type: OutputType) -> tuple[str, ...]:
    """Names of the output type's secret env vars (fetched at boot, never rendered)."""
    return tuple(v.name for v in output_type.env if v.secret)


def container_environment(config: DeploymentConfig, output_type: OutputType) -> frozenset[str]:
    """Every env var name the Logstash container has: non-secret ones and fetched secrets."""
    return frozenset(logstash_environment(config, output_type)) | frozenset(
        secret_names(output_type)
    )


def destination_label(config: DeploymentConfig, output_type: OutputType) -> str:
    """What the sidecar dashboard shows as the destination: the catalog's destination env values."""
    env = logstash_environment(config, output_type)
    values = [env[name] for name in output_type.destination_env if env.get(name)]
    return ", ".join(values) if values else output_type.label


# --------------------------------------------------------------------------------------------
# Jinja environment
# --------------------------------------------------------------------------------------------


def shquote(value: object) -> str:
    """Quote one value for bash (``shlex.quote``); the only way values enter a rendered script."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RenderError(f"shquote: refusing to quote a {type(value).__name__} value")
    return shlex.quote(str(value))


def ls_string(value: object) -> str:
    """A Logstash double-quoted string. Logstash does not process escapes by default
    (``config.support_escapes: false``), so a value with ``"`` or a trailing backslash cannot be
    written safely: refuse it rather than produce a broken pipeline."""
    text = str(value)
    if '"' in text or "\n" in text or re.search(r"(?<!\\)(?:\\\\)*\\\Z", text):
        raise RenderError(f"cannot write {text!r} as a Logstash string")
    return f'"{text}"'


def ls_code(value: object) -> str:
    """Code (ruby) as a Logstash single-quoted string; the code must not contain ``'``."""
    text = str(value)
    if "'" in text:
        raise RenderError("ruby code for the pipeline must not contain a single quote")
    return f"'{text}'"


def _fail(message: str) -> NoReturn:
    raise RenderError(message)


class GrokPatterns:
    """The project's grok patterns (``templates/patterns/aviatrix``), kept as data.

    The pipeline carries the definitions it uses inline (``pattern_definitions``), so the host
    needs no patterns directory: the rendered pipeline file is self-contained.
    """

    _REF = re.compile(r"%\{([A-Z0-9_]+)(?::[^}]*)?\}")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.patterns: dict[str, str] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, sep, regex = line.partition(" ")
            if not sep or not re.fullmatch(r"[A-Z0-9_]+", name) or not regex.strip():
                raise RenderError(f"{path.name} line {number}: expected 'NAME regex'")
            if name in self.patterns:
                raise RenderError(f"{path.name} line {number}: {name} defined twice")
            self.patterns[name] = regex.strip()

    def closure(self, names: Iterable[str]) -> dict[str, str]:
        """The named custom patterns and every custom pattern they use, in file order."""
        wanted: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            if name not in self.patterns:
                raise RenderError(f"grok pattern {name} is not defined in {self.path.name}")
            wanted.add(name)
            todo.extend(n for n in self._REF.findall(self.patterns[name]) if n in self.patterns)
        return {n: r for n, r in self.patterns.items() if n in wanted}

    def definitions(self, *names: str) -> str:
        """A Logstash hash literal for ``pattern_definitions``."""
        entries = " ".join(
            f"{ls_string(n)} => {ls_string(r)}" for n, r in self.closure(names).items()
        )
        return "{ " + entries + " }"


class Renderer:
    """Renders templates for a catalog; one Jinja environment for every template."""

    def __init__(self, catalog: Catalog | None = None, templates_dir: Path | None = None) -> None:
        self.catalog = catalog or default_catalog()
        self.templates_dir = templates_dir or TEMPLATES_DIR
        self.patterns = GrokPatterns(self.templates_dir / "patterns" / "aviatrix")
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - renders bash and Logstash config, never HTML
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["shquote"] = shquote
        self.env.filters["ls"] = ls_string
        self.env.filters["ls_code"] = ls_code
        self._known_ids = self.catalog.known_plugin_ids()
        self.env.globals.update(
            fail=_fail,
            pid=self._pid,
            grok_defs=self.patterns.definitions,
            route=self._route,
            tojson=lambda v: json.dumps(v, ensure_ascii=True),
        )

    # -- template helpers ---------------------------------------------------------------------

    def _pid(self, plugin_id: str) -> str:
        """A plugin id, checked against the catalog (typos fail the render, not Logstash)."""
        if plugin_id not in self._known_ids:
            raise RenderError(f"plugin id {plugin_id!r} is not in the catalog")
        return ls_string(plugin_id)

    def _route(self, log_types: Sequence[str], honour_profile: bool = True) -> str:
        """The output condition for events of ``log_types`` under ``${LOG_PROFILE:all}``.

        Types are grouped by the profiles that forward them, so a shared output serving types of
        different profiles gets one clause per group. One-element lists are written with ``==``
        (Logstash treats ``in ["x"]`` as a substring test).
        """
        if not log_types:
            raise RenderError("route() needs at least one log type")
        unknown = [t for t in log_types if t not in self.catalog.log_type_keys]
        if unknown:
            raise RenderError(f"route(): unknown log types {unknown}")
        if not honour_profile:
            return _membership("[@metadata][log_type]", log_types)
        groups: dict[tuple[str, ...], list[str]] = {}
        for key in log_types:
            profiles = tuple(p for p, members in self.catalog.profiles.items() if key in members)
            groups.setdefault(profiles, []).append(key)
        clauses = []
        for profiles, keys in groups.items():
            if not profiles:
                continue  # no profile forwards it: never sent
            clauses.append(
                _membership("[@metadata][log_type]", keys)
                + " and "
                + _membership("[@metadata][log_profile]", profiles)
            )
        if not clauses:
            raise RenderError(f"route(): no profile forwards {list(log_types)}")
        if len(clauses) == 1:
            return clauses[0]
        return " or ".join(f"({c})" for c in clauses)

    # -- rendering ----------------------------------------------------------------------------

    def context(self, config: DeploymentConfig) -> dict[str, Any]:
        output_type = self.catalog.output_types[config.output_type]
        env_names = frozenset(v.name for v in output_type.env)

        def env(name: str) -> str:
            """``${NAME}`` for one of the output type's catalog env vars (else the render fails)."""
            if name not in env_names:
                raise RenderError(f"env var {name} is not in the catalog for {output_type.key}")
            return "${" + name + "}"

        def served_by(output_id: str) -> list[str]:
            """Log type keys an output id serves, in catalog order."""
            return [k for k in output_type.log_types if output_id in output_type.output_ids[k]]

        return {
            "env": env,
            "served_by": served_by,
            "catalog": self.catalog,
            "output_type": output_type,
            "config": config,
            "log_types": [self.catalog.log_type(k) for k in output_type.log_types],
            "classification_order": self.catalog.log_type_keys,
            "unclassified_id": UNCLASSIFIED_FILTER_ID,
            "unclassified_drop_id": UNCLASSIFIED_DROP_ID,
            "azure_streams": AZURE_STREAMS,
            "environment": logstash_environment(config, output_type),
            "secrets": secret_names(output_type),
            "destination_label": destination_label(config, output_type),
            "tls_secret_files": TLS_SECRET_FILES,
            "tls_secrets": [
                s for s in SYSLOG_TLS_SECRETS if config.tls.client_auth or not s.client_auth_only
            ],
            "tls_container_dir": TLS_CONTAINER_DIR,
        }

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """Render one template; every failure is a :class:`RenderError` naming the template."""
        try:
            return self.env.get_template(template).render(context)
        except RenderError as exc:
            raise RenderError(
                f"template {_where(exc, template, self.templates_dir)}: {exc}"
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise RenderError(f"template {template}: not found: {exc.name}") from exc
        except jinja2.TemplateSyntaxError as exc:
            name = exc.name or template
            raise RenderError(f"template {name} line {exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateError as exc:
            where = _where(exc, template, self.templates_dir)
            raise RenderError(f"template {where}: {exc.message or exc}") from exc

    def pipeline(self, config: DeploymentConfig) -> str:
        return self.render(f"pipeline/outputs/{config.output_type}.conf.j2", self.context(config))

    def container_script(self, config: DeploymentConfig) -> str:
        return self.render(f"container/{config.output_type}.sh.j2", self.context(config))


def _membership(field: str, values: Sequence[str]) -> str:
    if len(values) == 1:
        return f"{field} == {ls_string(values[0])}"
    return f"{field} in [{', '.join(ls_string(v) for v in values)}]"


def _where(exc: BaseException, template: str, templates_dir: Path) -> str:
    """``name line N`` of the innermost template frame in the traceback, else ``template``."""
    root = str(templates_dir.resolve())
    found = template
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root):
            found = f"{Path(filename).relative_to(root)} line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


# --------------------------------------------------------------------------------------------
# Deployment
# --------------------------------------------------------------------------------------------


def is_aws(deployment: str) -> bool:
    return deployment.startswith("aws-")


def tfvars(
    config: DeploymentConfig,
    catalog: Catalog,
    pipeline: str,
    container_script: str | None,
) -> dict[str, object]:
    """The ``stashkit`` object of ``stashkit.auto.tfvars.json``: never a secret."""
    output_type = catalog.output_types[config.output_type]
    values: dict[str, object] = {
        "output_type": config.output_type,
        "log_profile": config.log_profile,
        "logstash_image": config.logstash_image,
        "sidecar_image": config.sidecar_image,
        "sidecar_port": config.sidecar_port,
        "syslog_port": config.syslog_port,
        "syslog_tls_enabled": config.tls.enabled,
        "syslog_tls_port": config.tls.port,
        "syslog_tls_client_auth": config.tls.client_auth,
        "pipeline_config": pipeline,
        "logstash_environment": logstash_environment(config, output_type),
    }
    if container_script is not None:
        values["container_script"] = container_script
    return {k: values[k] for k in TFVARS_KEYS if k in values}


def render_deployment(
    deployment: str,
    config: DeploymentConfig,
    *,
    output_dir: Path | None = None,
    deployments_dir: Path | None = None,
    renderer: Renderer | None = None,
) -> Rendered:
    """Render ``deployment`` and write its files; returns what was written.

    Files go to ``output_dir`` (default ``deployments/<name>/.rendered``); the tfvars file goes
    to ``deployments/<name>/`` when rendering there, else beside the rendered files.
    """
    if deployment not in DEPLOYMENTS:
        raise UsageError(f"unknown deployment {deployment!r} (known: {', '.join(DEPLOYMENTS)})")
    renderer = renderer or Renderer()
    pipeline = renderer.pipeline(config)
    script = renderer.container_script(config) if is_aws(deployment) else None
    values = tfvars(config, renderer.catalog, pipeline, script)

    base = (deployments_dir or DEPLOYMENTS_DIR) / deployment
    target = output_dir if output_dir is not None else base / ".rendered"
    tfvars_dir = base if output_dir is None else target
    try:
        target.mkdir(parents=True, exist_ok=True)
        _write(target / PIPELINE_FILE, pipeline, 0o644)
        stale = target / SCRIPT_FILE
        if script is not None:
            _write(stale, script, 0o755)
        elif stale.exists():
            stale.unlink()
        tfvars_dir.mkdir(parents=True, exist_ok=True)
        _write(tfvars_dir / TFVARS_FILE, tfvars_file_content(values), 0o644)
    except OSError as exc:
        raise RenderError(f"cannot write {exc.filename}: {exc.strerror}") from exc
    return Rendered(pipeline=pipeline, container_script=script, tfvars=values)


def tfvars_file_content(values: Mapping[str, object]) -> str:
    """``stashkit.auto.tfvars.json`` holding ``values`` as the one variable ``stashkit``."""
    return json.dumps({TFVARS_VARIABLE: dict(values)}, indent=2) + "\n"


def read_tfvars(directory: Path) -> dict[str, object]:
    """The ``stashkit`` object a previous render wrote into ``directory``, else ``{}``."""
    try:
        data = json.loads((directory / TFVARS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    values = data.get(TFVARS_VARIABLE) if isinstance(data, dict) else None
    return values if isinstance(values, dict) else {}


def _write(path: Path, content: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.chmod(mode)
    tmp.replace(path)
