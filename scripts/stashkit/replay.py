"""Replay syslog messages to a listener (``stashkit replay``)."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
"""The samples shipped with the package: ``<log type>.log``, one message per line."""
