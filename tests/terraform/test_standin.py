"""The stand-in providers: the committed cut covers the code, and they reject bad code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import tfbin
from .standin import PACKAGES, mirror, regenerate

pytestmark = pytest.mark.real


def test_the_schema_cut_should_hold_every_type_the_code_uses() -> None:
    missing = []
    for provider, types in regenerate.used_types().items():
        schema = json.loads((regenerate.SCHEMAS / f"{provider}.json").read_text())
        for kind, name in sorted(types):
            section = "resource_schemas" if kind == "resource" else "data_source_schemas"
            if name not in schema[section]:
                missing.append(f"{kind} {name}")
    assert missing == [], (
        f"the stand-in schema cut lacks {', '.join(missing)}: "
        "run .venv/bin/python -m tests.terraform.standin.regenerate"
    )


def test_the_schema_cut_should_hold_only_the_pinned_versions() -> None:
    for provider, (_spec, version) in PACKAGES.items():
        schema = json.loads((regenerate.SCHEMAS / f"{provider}.json").read_text())
        assert schema["_standin"]["provider_version"] == version


def test_the_used_type_scan_should_name_a_type_the_cut_lacks(tmp_path: Path) -> None:
    (tmp_path / "modules" / "m").mkdir(parents=True)
    (tmp_path / "deployments").mkdir()
    (tmp_path / "modules" / "m" / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {}\ndata "aws_vpc" "v" {}\nresource "terraform_data" "d" {}\n'
    )
    used = regenerate.used_types(tmp_path)
    assert used == {"aws": {("resource", "aws_sqs_queue"), ("data", "aws_vpc")}}
    cut = json.loads((regenerate.SCHEMAS / "aws.json").read_text())
    assert "aws_sqs_queue" not in cut["resource_schemas"]


@pytest.fixture(scope="session")
def standin_env() -> dict[str, str]:
    try:
        return mirror.mirror_env()
    except tfbin.ToolUnavailableError as exc:
        pytest.skip(str(exc))


def test_validate_should_reject_a_misspelled_argument_and_a_wrong_block(
    tmp_path: Path, standin_env: dict[str, str]
) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'resource "aws_instance" "i" {\n  instance_typ = "t3.large"\n}\n'
        'resource "aws_launch_template" "t" {\n  metadata_options = {}\n}\n'
    )
    init = tfbin.run_terraform(["init", "-backend=false", "-no-color"], tmp_path, env=standin_env)
    assert init.returncode == 0, init.stderr
    result = tfbin.run_terraform(["validate", "-no-color"], tmp_path, env=standin_env)
    assert result.returncode == 1
    text = " ".join(result.stderr.split())  # Terraform wraps its messages
    assert 'An argument named "instance_typ" is not expected here' in text
    assert 'Did you mean to define a block of type "metadata_options"?' in text
