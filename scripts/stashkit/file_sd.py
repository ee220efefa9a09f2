"""Prometheus ``file_sd`` documents: the targets ``stashkit discover`` writes and ``fleet`` reads.

A document is a JSON list of target groups, ``[{"targets": ["10.0.1.5:3000"], "labels": {...}}]``.
Each sidecar has its own labels (``instance_id`` or ``container_group``), so each is one group.
The rendering is canonical (sorted groups, sorted keys), so "nothing changed" is a byte
comparison, and the file is replaced atomically: Prometheus re-reads it on every change and must
never see half a document.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError

__all__ = [
    "METRICS_PATH",
    "Target",
    "read_file_sd",
    "render_file_sd",
    "write_if_changed",
]

METRICS_PATH = "/metrics"


@dataclass(frozen=True, order=True)
class Target:
    """One scrape target: ``address`` is ``host:port``; ``labels`` are Prometheus target labels."""

    address: str
    labels: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def of(cls, address: str, labels: Mapping[str, str]) -> Target:
        return cls(address, tuple(sorted(labels.items())))

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def name(self) -> str:
        """What an operator calls this sidecar: instance id, container group, pod, else the
        address."""
        labels = self.label_map
        return (
            labels.get("instance_id")
            or labels.get("container_group")
            or labels.get("pod")
            or self.address
        )


def render_file_sd(targets: Iterable[Target]) -> str:
    groups = [
        {"targets": [t.address], "labels": t.label_map}
        for t in sorted(set(targets), key=lambda t: (t.labels, t.address))
    ]
    return json.dumps(groups, indent=2, sort_keys=True) + "\n"


def write_if_changed(path: Path, content: str) -> bool:
    """Replace ``path`` with ``content`` atomically unless it already holds exactly that.

    The new document goes to a temporary file in the same directory (same filesystem, so the
    rename is atomic), is flushed to disk, then ``os.replace``-d over the old one: a reader sees
    the old document or the new one, never a partial one. The file keeps its mode (0644 when
    new, so a Prometheus running as another user can read it). Returns whether it wrote.
    """
    data = content.encode()
    try:
        if path.read_bytes() == data:
            return False
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return True


def read_file_sd(path: Path) -> list[Target]:
    """Targets of a ``file_sd`` JSON document; a malformed file is a :class:`UsageError`."""
    try:
        document: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such targets file (write one with `stashkit discover`)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable file_sd JSON document ({exc})") from exc
    if not isinstance(document, list):
        raise UsageError(f"{path}: a file_sd document is a JSON list of target groups")
    targets: list[Target] = []
    for index, group in enumerate(document):
        addresses = group.get("targets") if isinstance(group, dict) else None
        labels = group.get("labels", {}) if isinstance(group, dict) else None
        if (
            not isinstance(addresses, list)
            or not all(isinstance(a, str) for a in addresses)
            or not isinstance(labels, dict)
            or not all(isinstance(v, str) for v in labels.values())
        ):
            raise UsageError(
                f"{path}: target group {index} needs a list of 'targets' strings and "
                "string 'labels'"
            )
        targets.extend(Target.of(address, labels) for address in addresses)
    return targets
