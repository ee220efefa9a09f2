"""Helpers for the Terraform driver tests: the fixture module and a recording `terraform`.

The recording wrapper appends one JSON line per call (argv, the content of every ``-var-file``
as Terraform would read it, the names of the ``TF_VAR_*`` variables and the Terraform settings of
its environment) and then execs the real Terraform, so tests can prove what reached Terraform's
command line and files, and what did not.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

FIXTURE_MODULE = Path(__file__).resolve().parent / "tfmodule"
DEPLOYMENT = "aws-ec2-single-instance"
"""A real deployment name (the CLI checks it); its folder holds the fixture module in tests."""

SECRET = "hec-token-7f3a9c-DO-NOT-PRINT"

_RECORDER = """#!{python} -I
import json, os, sys
argv = sys.argv[1:]
var_files = {{}}
for arg in argv:
    if arg.startswith("-var-file="):
        path = arg.split("=", 1)[1]
        try:
            with open(path, encoding="utf-8") as handle:
                var_files[path] = handle.read()
        except OSError as exc:
            var_files[path] = "unreadable: %s" % exc
record = {{
    "argv": argv,
    "var_files": var_files,
    "cwd": os.getcwd(),
    "tf_var_names": sorted(k for k in os.environ if k.startswith("TF_VAR_")),
    "env": {{k: os.environ.get(k) for k in ("TF_CLI_CONFIG_FILE", "TF_IN_AUTOMATION")}},
}}
with open({log!r}, "a", encoding="utf-8") as handle:
    handle.write(json.dumps(record) + "\\n")
os.execv({real!r}, [{real!r}, *argv])
"""


def install_recorder(bin_dir: Path, real: Path, log: Path, name: str = "terraform") -> Path:
    """Write an executable ``name`` in ``bin_dir`` that records each call to ``log``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(
        _RECORDER.format(python=sys.executable, log=str(log), real=str(real)), encoding="utf-8"
    )
    path.chmod(0o755)
    return path


def read_records(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def commands(records: list[dict[str, Any]]) -> list[str]:
    """The Terraform subcommand of each recorded call."""
    return [r["argv"][0] for r in records]


def copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE_MODULE, dest)
    return dest


def deployments_dir(tmp_path: Path) -> Path:
    """``<tmp>/deployments/<DEPLOYMENT>`` holding the fixture module; returns the parent."""
    root = tmp_path / "deployments"
    copy_fixture(root / DEPLOYMENT)
    return root


def clean_environment(path: str) -> dict[str, str]:
    """The environment for a CLI run: nothing stashkit reads leaks in from the machine."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "TERRAFORM_", "SPLUNK_")) and k not in ("PATH", "NO_COLOR")
    }
    env["PATH"] = path
    env["TF_CLI_CONFIG_FILE"] = "/nonexistent/terraformrc"  # as on these machines
    return env
