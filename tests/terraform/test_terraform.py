"""Terraform code checks that need no cloud and no provider plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import tfbin

pytestmark = pytest.mark.real


def test_should_run_the_pinned_terraform_through_the_shim(terraform: Path) -> None:
    result = tfbin.run_terraform(["version", "-json"], cwd=terraform.parent)
    assert result.returncode == 0, result.stderr
    assert f'"terraform_version": "{tfbin.TERRAFORM_VERSION}"' in result.stdout
    assert result.stderr == ""  # TF_CLI_CONFIG_FILE is set explicitly: no CLI-config warning
