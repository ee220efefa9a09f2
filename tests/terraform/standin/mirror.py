"""Lay the stand-in providers out as a Terraform filesystem mirror, in the cache directory.

    mirror_env()  ->  environment for Terraform child processes (CLI config, plugin TLS off)

For each committed schema (schemas/<name>.json) it writes the unpacked mirror layout

    <cache>/tf-standin-<key>/mirror/registry.terraform.io/hashicorp/<name>/<version>/linux_amd64/
        terraform-provider-<name>_v<version>   (sh launcher -> python -m ...standin.server)
        schema.json, schema.json.pb            (schema, prebuilt GetProviderSchema reply)

and a CLI configuration (terraformrc) that installs exactly these providers from it, so code
keeps `source = "hashicorp/aws"`. The plugin runtime (grpcio, protobuf, msgpack, pyvider's
generated tfplugin6 messages) lives in its own cache venv. `key` hashes the schemas, the
server code and the runtime pins: any change lays out a new mirror.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from ..tfbin import cache_dir, create_tool_venv, file_lock, terraform_env
from . import PACKAGES, RUNTIME_NO_DEPS, RUNTIME_REQUIREMENTS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SCHEMAS = HERE / "schemas"
PLATFORM = "linux_amd64"


def runtime_python() -> Path:
    """Python with the plugin runtime, created on first use."""
    key = hashlib.sha256("\n".join(RUNTIME_REQUIREMENTS + RUNTIME_NO_DEPS).encode()).hexdigest()
    return create_tool_venv(
        cache_dir() / f"tf-standin-runtime-{key[:12]}",
        RUNTIME_REQUIREMENTS,
        "the stand-in provider runtime",
        no_deps=RUNTIME_NO_DEPS,
    )


def _key(python: Path) -> str:
    h = hashlib.sha256(str(python).encode() + str(REPO).encode())
    for path in [*sorted(SCHEMAS.glob("*.json")), HERE / "server.py", HERE / "mirror.py"]:
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def build(out: Path, python: Path) -> None:
    """Write the mirror into `out` (runs in the runtime venv: it serializes the schemas)."""
    from .server import build_schema_response  # grpc and the pb2 only exist there

    addresses = []
    for name in sorted(PACKAGES):
        schema_file = SCHEMAS / f"{name}.json"
        schema = json.loads(schema_file.read_text())
        version = schema["_standin"]["provider_version"]
        pkg = out / "registry.terraform.io" / "hashicorp" / name / version / PLATFORM
        pkg.mkdir(parents=True)
        shutil.copyfile(schema_file, pkg / "schema.json")
        (pkg / "schema.json.pb").write_bytes(build_schema_response(schema))
        exe = pkg / f"terraform-provider-{name}_v{version}"
        exe.write_text(
            "#!/bin/sh\n"
            f"# stand-in for registry.terraform.io/hashicorp/{name} {version} (no cloud calls)\n"
            f'PYTHONPATH="{REPO}" exec "{python}" -m tests.terraform.standin.server '
            '--schema "$(dirname "$0")/schema.json" "$@"\n'
        )
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        addresses.append(f'"registry.terraform.io/hashicorp/{name}"')
    listed = ", ".join(addresses)
    (out / "terraformrc").write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{out}"\n    include = [{listed}]\n  }}\n'
        f"  direct {{\n    exclude = [{listed}]\n  }}\n"
        "}\n"
    )


def mirror_dir() -> Path:
    """The mirror for the committed schemas, laid out on first use."""
    python = runtime_python()
    root = cache_dir() / f"tf-standin-{_key(python)}"
    mirror = root / "mirror"
    with file_lock(root.with_name(root.name + ".lock")):
        if not (mirror / "terraformrc").exists():
            tmp = root / "mirror.partial"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            subprocess.run(
                [str(python), "-m", "tests.terraform.standin.mirror", str(tmp)],
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                check=True,
                capture_output=True,
                timeout=300,
            )
            # terraformrc names the final path: rewrite it after the move.
            tmp.rename(mirror)
            rc = mirror / "terraformrc"
            rc.write_text(rc.read_text().replace(str(tmp), str(mirror)))
    return mirror


def mirror_env() -> dict[str, str]:
    """Environment for Terraform with the stand-ins: CLI config, plugin TLS off."""
    return terraform_env(
        cli_config=mirror_dir() / "terraformrc", extra={"TF_DISABLE_PLUGIN_TLS": "1"}
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.executable))
