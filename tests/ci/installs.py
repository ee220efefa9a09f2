"""Installs from uv.lock into throwaway venvs, as a packager or the image would make them.

Shared by tests/ci/test_install.py (what each install holds and does) and `make bench` (the
sidecar's runtime install size). uv is the project's own (the dev extra pins the Makefile's
UV_VERSION); its cache makes a repeat install take seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SIDECAR_EXPORT = (
    "export",
    "--frozen",
    "--quiet",
    "--package",
    "status-sidecar",
    "--no-dev",
    "--no-emit-workspace",
    "--no-editable",
)
"""The Makefile's SIDECAR_EXPORT: what sidecar/requirements.lock must equal."""


class UvUnavailableError(RuntimeError):
    pass


def uv_bin() -> Path:
    """The uv beside this interpreter (the dev extra), else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.exists():
        return beside
    found = shutil.which("uv")
    if found:
        return Path(found)
    raise UvUnavailableError("uv is not installed (the dev extra pins it)")


def run_uv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    environ["UV_PYTHON_DOWNLOADS"] = "never"
    environ.update(env or {})
    return subprocess.run(
        [str(uv_bin()), *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@dataclass(frozen=True)
class Install:
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        (found,) = (self.venv / "lib").glob("python3*/site-packages")
        return found

    def size_bytes(self) -> int:
        """Bytes of every file under site-packages (what the install put there)."""
        return sum(p.stat().st_size for p in self.site_packages.rglob("*") if p.is_file())

    def distributions(self) -> set[str]:
        names = set()
        for meta in self.site_packages.glob("*.dist-info"):
            name = meta.name.removesuffix(".dist-info").rsplit("-", 1)[0]
            names.add(name.lower().replace("_", "-"))
        return names


def install_from_lock(venv: Path, package: str, *extras: str) -> Install:
    """``package`` (a workspace member) alone, from the lock, not editable, no dev extras."""
    args = ["sync", "--frozen", "--package", package, "--no-dev", "--no-editable"]
    for extra in extras:
        args += ["--extra", extra]
    # This interpreter's base installation: the same Python as the tests, found by path (a
    # version request could pick another one, or a pyenv shim that is not enabled).
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    python = str(Path(sys.base_prefix) / "bin" / f"python{version}")
    result = run_uv(*args, "--python", python, env={"UV_PROJECT_ENVIRONMENT": str(venv.absolute())})
    if result.returncode != 0:
        raise RuntimeError(f"uv sync failed: {result.stderr.strip()}")
    return Install(venv)
