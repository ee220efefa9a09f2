"""The Terraform tests' repository root; the `terraform` fixture is in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
