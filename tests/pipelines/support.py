"""Samples and rendered pipelines for the pipeline tests.

Samples come from two places:

* the real messages in ``../shared/fixtures/aviatrix/samples/`` (one per line; see SOURCES.md
  there), used when present: :func:`shared_samples` returns ``None`` otherwise and the tests
  skip;
* the project's own ``tests/pipelines/samples/<type>.log`` (written from FORMATS.md, hostile
  ones included) and the samples shipped with ``stashkit replay``
  (``scripts/stashkit/samples/<type>.log``).

Files are read as bytes and decoded as UTF-8 with replacement characters, as Logstash's plain
codec does. A ``#= {json}`` line states the expectation for the next message; other ``#`` lines
are comments.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stashkit.replay import SAMPLES_DIR as PACKAGE_SAMPLES
from tests.templates.logstash_config import parse
from tests.templates.support import CATALOG, RENDERER, make_config

from .interpreter import Pipeline

HERE = Path(__file__).resolve().parent
OWN_SAMPLES = HERE / "samples"
SHARED_SAMPLES = HERE.parents[2] / "shared" / "fixtures" / "aviatrix" / "samples"
UNCLASSIFIED = "unclassified"

__all__ = [
    "OWN_SAMPLES",
    "PACKAGE_SAMPLES",
    "SHARED_SAMPLES",
    "UNCLASSIFIED",
    "Sample",
    "pipeline",
    "read_samples",
    "shared_samples",
]


@dataclass(frozen=True)
class Sample:
    source: str  # e.g. "own/microseg.log:12"
    log_type: str | None  # None: must stay unclassified
    text: str
    expect: Mapping[str, Any] = field(default_factory=dict)

    @property
    def expected_type(self) -> str | None:
        if "type" in self.expect:
            value = self.expect["type"]
            assert value is None or isinstance(value, str)
            return value
        return self.log_type


def read_samples(path: Path, label: str, log_type: str | None = None) -> list[Sample]:
    """Every message of ``path`` (a ``<type>.log`` file unless ``log_type`` is given)."""
    if log_type is None:
        stem = path.stem
        log_type = None if stem == UNCLASSIFIED else stem
        if log_type is not None and log_type not in CATALOG.log_type_keys:
            raise ValueError(f"{path}: {stem} is not a log type")
    samples: list[Sample] = []
    expect: dict[str, Any] = {}
    for number, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if raw.startswith(b"#= "):
            expect = json.loads(raw[3:].decode("utf-8"))
            continue
        if not raw or raw.startswith(b"#"):
            continue
        text = raw.decode("utf-8", errors="replace")
        samples.append(Sample(f"{label}/{path.name}:{number}", log_type, text, expect))
        expect = {}
    return samples


def shared_samples() -> Path | None:
    return SHARED_SAMPLES if SHARED_SAMPLES.is_dir() else None


@functools.cache
def pipeline(output_type: str, profile: str = "all") -> Pipeline:
    """The rendered pipeline of ``output_type``, parsed, ready to run (env: LOG_PROFILE)."""
    config = make_config(output_type, log_profile=profile)
    return Pipeline(parse(RENDERER.pipeline(config)), {"LOG_PROFILE": profile})
