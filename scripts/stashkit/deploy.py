"""``stashkit plan|apply|destroy``: render, then ``terraform init`` and the action, in one folder.

:class:`Deployer` does the work and receives its collaborators (the Terraform runner factory, the
binary finder, the environment, the streams), so tests pass fixture modules and fakes.

Secrets never touch argv, files or the screen. Terraform gets them as ``TF_VAR_logstash_secrets``
(a JSON object, the deployments' sensitive ``logstash_secrets`` variable), built from, in order:

1. ``TF_VAR_logstash_secrets`` when the operator already set it (a JSON object of strings);
2. for each secret the output type needs (the catalog's secret env vars, e.g. ``SPLUNK_HEC_AUTH``)
   and, with syslog over TLS, each TLS secret it needs (the catalog's ``SYSLOG_TLS_SECRETS``:
   ``SYSLOG_TLS_CERT``, ``SYSLOG_TLS_KEY``, ``SYSLOG_TLS_CA`` with client auth): the file named by
   ``<NAME>_FILE`` (trailing newline removed), else the ``<NAME>`` variable.

The output type and the TLS settings come from ``--config``, else from the
``stashkit.auto.tfvars.json`` a previous ``stashkit render`` wrote. ``plan`` and ``apply`` refuse
to run when a required secret is missing (a plan without it would show the secret being removed,
or fail on the deployment's TLS precondition); ``destroy`` needs none.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from status_sidecar.catalog import SYSLOG_TLS_SECRETS, Catalog, OutputType, default_catalog

from .config import TlsConfig, load_config
from .errors import ConfigError, TerraformError, UsageError
from .progress import Progress
from .render import (
    DEPLOYMENTS_DIR,
    TFVARS_FILE,
    TFVARS_KEYS,
    TFVARS_VARIABLE,
    read_tfvars,
    render_deployment,
)
from .terraform import (
    PLAN_CHANGES,
    TerraformBinary,
    TerraformRunner,
    find_terraform,
    resolve_cli_config,
    variable_name,
)

__all__ = [
    "ACTIONS",
    "SECRETS_VARIABLE",
    "DeployOptions",
    "Deployer",
    "Secrets",
    "collect_secrets",
    "parse_var",
]

ACTIONS: tuple[str, ...] = ("plan", "apply", "destroy")
SECRETS_VARIABLE = "logstash_secrets"
"""The deployments' sensitive map(string) variable that carries the output type's secrets."""

RunnerFactory = Callable[..., TerraformRunner]


@dataclass(frozen=True)
class DeployOptions:
    action: str
    deployment: str
    deployments_dir: Path = DEPLOYMENTS_DIR
    config: Path | None = None
    variables: Mapping[str, object] = field(default_factory=dict)
    auto_approve: bool = False
    json_ui: bool = False
    detailed_exitcode: bool = False


@dataclass(frozen=True)
class Secrets:
    """Secret values by name (never print ``values``) and where each came from."""

    values: Mapping[str, str]
    sources: Mapping[str, str]


def parse_var(text: str) -> tuple[str, object]:
    """``k=v`` from ``--var``: ``v`` is a string, or JSON when it starts with ``[`` or ``{``
    (lists and maps, e.g. ``syslog_source_cidrs=["10.0.0.0/8"]``)."""
    name, sep, raw = text.partition("=")
    if not sep:
        raise UsageError(f"--var {text.split('=')[0]!r}: expected NAME=VALUE")
    variable_name(name)
    if name == SECRETS_VARIABLE:
        raise UsageError(
            f"--var {name}: secrets never go on the command line; set TF_VAR_{name} or the "
            "output type's secret variables (NAME or NAME_FILE) in the environment"
        )
    if name == TFVARS_VARIABLE or name in TFVARS_KEYS:
        raise UsageError(
            f"--var {name}: rendered from the config into {TFVARS_FILE}; change the config "
            "and pass --config"
        )
    if raw.lstrip()[:1] in ("[", "{"):
        try:
            value: object = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--var {name}: not valid JSON: {exc.msg}") from exc
        return name, value
    return name, raw


def _wanted_secrets(
    output_type: OutputType | None, tls: TlsConfig | None
) -> list[tuple[str, bool]]:
    """(name, required) of every secret to look for in the environment."""
    wanted = [(v.name, v.required) for v in output_type.env if v.secret] if output_type else []
    if tls is not None and tls.enabled:
        wanted += [
            (s.name, True) for s in SYSLOG_TLS_SECRETS if tls.client_auth or not s.client_auth_only
        ]
    return wanted


def collect_secrets(
    output_type: OutputType | None,
    environ: Mapping[str, str],
    *,
    required: bool,
    tls: TlsConfig | None = None,
) -> Secrets:
    """The secrets for ``TF_VAR_logstash_secrets`` (see the module docstring for the order)."""
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    preset_name = f"TF_VAR_{SECRETS_VARIABLE}"
    preset = environ.get(preset_name)
    if preset is not None:
        try:
            decoded = json.loads(preset)
        except json.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in decoded.items()
        ):
            # The value itself is never quoted: it is a secret.
            raise ConfigError(f"{preset_name} must be a JSON object of strings")
        values.update(decoded)
        sources.update(dict.fromkeys(decoded, preset_name))
    missing: list[str] = []
    for name, needed in _wanted_secrets(output_type, tls):
        if name in values:
            continue
        file_var = f"{name}_FILE"
        if environ.get(file_var):
            path = Path(environ[file_var]).expanduser()
            try:
                value = path.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not UTF-8 text"
                raise ConfigError(f"{file_var}: cannot read {path}: {reason}") from exc
            source = file_var
        elif name in environ:
            value, source = environ[name], name
        else:
            if needed:
                missing.append(name)
            continue
        if not value.strip():
            raise ConfigError(f"secret {name} (from {source}) is empty")
        values[name] = value
        sources[name] = source
    if missing and required:
        wanted = ", ".join(f"{n} (or {n}_FILE)" for n in missing)
        tls_names = {s.name for s in SYSLOG_TLS_SECRETS}
        who: list[str] = []
        if output_type is not None and any(n not in tls_names for n in missing):
            who.append(f"output type {output_type.key}")
        if any(n in tls_names for n in missing):
            who.append("syslog over TLS")
        verb = "needs" if len(who) == 1 else "need"
        raise ConfigError(f"{' and '.join(who)} {verb} secrets: set {wanted}")
    return Secrets(values, sources)


def _tfvars_output_type(workdir: Path) -> str | None:
    """The output type a previous ``stashkit render`` wrote for this folder, if any."""
    value = read_tfvars(workdir).get("output_type")
    return value if isinstance(value, str) else None


def _tfvars_tls(workdir: Path) -> TlsConfig:
    """The syslog TLS settings a previous ``stashkit render`` wrote for this folder."""
    data = read_tfvars(workdir)
    port = data.get("syslog_tls_port")
    return TlsConfig(
        enabled=data.get("syslog_tls_enabled") is True,
        port=port if isinstance(port, int) and not isinstance(port, bool) else TlsConfig.port,
        client_auth=data.get("syslog_tls_client_auth") is True,
    )


# A symbolic link git checked out as a file (Windows without core.symlinks) holds only its target.
_LINK_AS_FILE = re.compile(r"\.\./[\w.-]+/[\w.-]+\.tf")


def check_shared_files(workdir: Path) -> None:
    """The AWS deployments share .tf files through symbolic links: refuse a broken one, or one
    checked out as a file holding its target, in one line rather than Terraform's parse error."""
    for tf in sorted(workdir.glob("*.tf")):
        if tf.is_symlink() and not tf.is_file():
            raise UsageError(f"{tf}: a link to {tf.readlink()}, which does not exist")
        if tf.is_symlink() or tf.stat().st_size > 256:
            continue
        text = tf.read_text(errors="replace").strip()
        if _LINK_AS_FILE.fullmatch(text):
            raise UsageError(
                f"{tf}: holds only the path {text}, a symbolic link checked out as a file:"
                " clone again with `git clone -c core.symlinks=true`"
            )


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


class Deployer:
    """Runs one action; every collaborator can be replaced (tests pass fixture modules)."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        runner_factory: RunnerFactory = TerraformRunner,
        find_binary: Callable[[Mapping[str, str]], TerraformBinary] = find_terraform,
        catalog: Catalog | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.environ: Mapping[str, str] = dict(os.environ) if environ is None else environ
        self.runner_factory = runner_factory
        self.find_binary = find_binary
        self.catalog = catalog or default_catalog()
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.progress = Progress(self.stderr)

    def run(self, options: DeployOptions) -> int:
        action = options.action
        if action not in ACTIONS:
            raise UsageError(f"unknown action {action!r}")
        workdir = options.deployments_dir / options.deployment
        if not workdir.is_dir():
            raise UsageError(f"no deployment folder {workdir}")
        check_shared_files(workdir)
        interactive = action != "plan" and not options.auto_approve
        if interactive and options.json_ui:
            raise UsageError(f"{action} --json needs --auto-approve")
        if interactive and not _isatty(self.stdin):
            raise UsageError(
                f"{action} asks for confirmation, but stdin is not a terminal: pass --auto-approve"
            )
        for name in options.variables:
            if name == SECRETS_VARIABLE:
                raise UsageError(f"--var {name}: secrets never go on the command line")

        # Everything that can fail without side effects first: config, secrets, Terraform.
        config = load_config(options.config, self.catalog) if options.config else None
        output_key = config.output_type if config else _tfvars_output_type(workdir)
        output_type = self._output_type(output_key)
        tls = config.tls if config else _tfvars_tls(workdir)
        secrets = collect_secrets(output_type, self.environ, required=action != "destroy", tls=tls)
        binary = self.find_binary(self.environ)

        if config is not None:
            render_deployment(options.deployment, config, deployments_dir=options.deployments_dir)
            self.progress.line(f"rendered {options.deployment} ({output_key}) into {workdir}")
        if secrets.values:
            named = ", ".join(f"{n} (from {s})" for n, s in sorted(secrets.sources.items()))
            self.progress.line(f"secrets for Terraform: {named}")
        self.progress.line(f"terraform: {binary.path} (from {binary.source})")
        runner = self.runner_factory(
            binary=binary.path,
            working_dir=workdir,
            variables=dict(options.variables),
            sensitive={SECRETS_VARIABLE: dict(secrets.values)} if secrets.values else {},
            cli_config=resolve_cli_config(self.environ),
            environ=self.environ,
            stream=True,
            color=(not options.json_ui and _isatty(self.stdout) and "NO_COLOR" not in self.environ),
        )
        self._init(runner, workdir, json_ui=options.json_ui)
        code, outcome = self._action(runner, options, workdir)
        if options.json_ui:
            self._summary(options, code, outcome)
        return code

    # -- steps ----------------------------------------------------------------------------

    def _output_type(self, key: str | None) -> OutputType | None:
        if key is None:
            return None
        output_type = self.catalog.output_types.get(key)
        if output_type is None:
            raise ConfigError(f"{TFVARS_FILE}: unknown output type {key!r}")
        return output_type

    def _init(self, runner: TerraformRunner, workdir: Path, *, json_ui: bool) -> None:
        with self.progress.step(f"terraform init in {workdir}", live=not json_ui) as step:
            result = runner.init(stream=not json_ui)
            if not result.ok:
                step.outcome = f"failed (exit {result.returncode})"
                if json_ui:  # captured: show Terraform's messages, on stderr
                    self.stderr.write((result.stdout or "") + (result.stderr or ""))
                    self.stderr.flush()
        if not result.ok:
            raise TerraformError(
                f"terraform init failed in {workdir} (exit {result.returncode}); "
                "its messages are above",
                result.returncode,
            )

    def _action(
        self, runner: TerraformRunner, options: DeployOptions, workdir: Path
    ) -> tuple[int, str]:
        """Runs the action; returns the exit code and the outcome (``changes present``...)."""
        action = options.action
        with self.progress.step(f"terraform {action} in {workdir}", live=True) as step:
            if action == "plan":
                result = runner.plan(json_ui=options.json_ui)
            elif action == "apply":
                result = runner.apply(auto_approve=options.auto_approve, json_ui=options.json_ui)
            else:
                result = runner.destroy(auto_approve=options.auto_approve, json_ui=options.json_ui)
            code = result.returncode
            if action == "plan" and code == PLAN_CHANGES:
                step.outcome = "changes present"
            elif code == 0:
                step.outcome = {"plan": "no changes", "apply": "applied", "destroy": "destroyed"}[
                    action
                ]
            else:
                step.outcome = f"failed (exit {code})"
        if action == "plan" and code == PLAN_CHANGES:
            return (PLAN_CHANGES if options.detailed_exitcode else 0), step.outcome
        if code != 0:
            raise TerraformError(
                f"terraform {action} failed in {workdir} (exit {code}); its messages are above",
                code,
            )
        return 0, step.outcome

    def _summary(self, options: DeployOptions, code: int, outcome: str) -> None:
        """One last JSON line after Terraform's own (``-json``) lines, in their shape."""
        record = {
            "@level": "info",
            "@message": f"stashkit: {options.action} {options.deployment}: {outcome}",
            "type": "stashkit_result",
            "deployment": options.deployment,
            "command": options.action,
            "outcome": outcome,
            "exit_code": code,
        }
        self.stdout.write(json.dumps(record) + "\n")
        self.stdout.flush()
