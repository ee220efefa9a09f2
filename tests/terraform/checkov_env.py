"""checkov in a venv of its own (it pins old boto3, packaging and networkx), run offline.

`python -m tests.terraform.checkov_env DIR` prints the failed checks of DIR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .tfbin import cache_dir, create_tool_venv

CHECKOV_VERSION = "3.3.30"


@dataclass(frozen=True)
class Finding:
    """One failed (or skipped) checkov check on one resource."""

    check_id: str
    check_name: str
    resource: str
    file: str
    line: int
    reason: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.check_id} {self.resource} at {where}: {self.check_name}{why}"


@dataclass(frozen=True)
class Report:
    passed: int
    failed: list[Finding]
    skipped: list[Finding]


def checkov_bin() -> Path:
    """The pinned checkov, installed on first use into the cache directory."""
    python = create_tool_venv(
        cache_dir() / f"checkov-{CHECKOV_VERSION}",
        [f"checkov=={CHECKOV_VERSION}"],
        "checkov",
    )
    return python.parent / "checkov"


def _findings(checks: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            check_id=c["check_id"],
            check_name=c.get("check_name", ""),
            resource=c.get("resource", ""),
            file=c.get("file_path", ""),
            line=(c.get("file_line_range") or [0])[0],
            reason=((c.get("check_result") or {}).get("suppress_comment") or ""),
        )
        for c in checks
    ]


def run_checkov(directory: Path, *, quiet: bool = True) -> Report:
    """checkov on one directory (Terraform framework, offline), parsed.

    `quiet` (the default, as in CI) reports failed checks only; without it the report also
    counts the passed checks and lists the skipped ones with their reasons.
    """
    env = dict(os.environ)
    env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "true"
    env["BC_SKIP_MAPPING"] = "TRUE"
    result = subprocess.run(
        [
            str(checkov_bin()),
            "-d",
            str(directory),
            "--framework",
            "terraform",
            "--skip-download",
            *(["--quiet"] if quiet else []),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed on {directory}: {result.stderr.strip()}")
    data: Any = json.loads(result.stdout) if result.stdout.strip() else {}
    reports = data if isinstance(data, list) else [data]
    passed = 0
    failed: list[Finding] = []
    skipped: list[Finding] = []
    for report in reports:
        if not report:
            continue
        results = report.get("results", {})
        passed += len(results.get("passed_checks", []))
        failed += _findings(results.get("failed_checks", []))
        skipped += _findings(results.get("skipped_checks", []))
    return Report(passed=passed, failed=failed, skipped=skipped)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        rep = run_checkov(Path(arg), quiet=False)
        print(f"{arg}: {rep.passed} passed, {len(rep.failed)} failed, {len(rep.skipped)} skipped")
        for f in rep.failed:
            print("  FAIL", f)
        for f in rep.skipped:
            print("  SKIP", f)
