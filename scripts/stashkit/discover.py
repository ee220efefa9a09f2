"""``stashkit discover``: keep a Prometheus ``file_sd`` file of every running sidecar current.

The walkers of :mod:`stashkit.inventory` (an Auto Scaling group, an Azure resource group's
container groups, a Kubernetes namespace's pods) each answer ``sidecars()``;
:class:`DiscoveryLoop` runs them every ``interval`` seconds, retries transient cloud errors with
backoff, keeps the last good answer of a walker whose cycle failed (a failed API call must not
make Prometheus forget every target), writes the file only when its content changed
(:func:`write_if_changed`, atomically: Prometheus re-reads it on every change and must never see
half a document), and stops promptly when asked.
"""

from __future__ import annotations

import contextlib
import os
import random
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cloud import Backoff, Sleep, call_with_backoff, describe_error
from .errors import Stopped
from .inventory import SidecarAddress, Walker, render_file_sd

__all__ = ["CycleReport", "DiscoveryLoop", "describe_walkers", "write_if_changed"]


@dataclass
class CycleReport:
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    targets: int = 0
    written: bool = False
    write_error: str | None = None
    kept: list[str] = field(default_factory=list)
    """Failed walkers whose targets from an earlier cycle stay in the file."""

    @property
    def ok(self) -> bool:
        return not self.failures and self.write_error is None

    def problems(self) -> str:
        """What went wrong, in one line: each failed walker's reason, then the write error."""
        return "; ".join([*self.failures.values(), *filter(None, [self.write_error])])


class DiscoveryLoop:
    """Runs the walkers every ``interval`` seconds and keeps ``out`` up to date."""

    def __init__(
        self,
        walkers: Sequence[Walker],
        out: Path,
        *,
        interval: float = 30.0,
        backoff: Backoff | None = None,
        sleep: Sleep,
        log: Callable[[str], None],
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.walkers = list(walkers)
        self.out = out
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.log = log
        self.rand = rand
        self.clock = clock
        self.cycles = 0
        self._last_good: dict[int, list[SidecarAddress]] = {}

    def cycle(self) -> CycleReport:
        """One pass over every walker, then write the file if the content changed."""
        self.cycles += 1
        report = CycleReport()
        for index, walker in enumerate(self.walkers):
            try:
                found = call_with_backoff(
                    walker.sidecars,
                    what=walker.description,
                    backoff=self.backoff,
                    sleep=self.sleep,
                    log=self.log,
                    rand=self.rand,
                )
            except Stopped:
                raise
            except Exception as exc:  # one walker failing must not end the loop
                report.failures[walker.description] = describe_error(exc)
                if index in self._last_good:
                    report.kept.append(walker.description)
                continue
            self._last_good[index] = found
            report.counts[walker.description] = len(found)
        targets = [t for found in self._last_good.values() for t in found]
        report.targets = len(set(targets))
        try:
            report.written = write_if_changed(self.out, render_file_sd(targets))
        except OSError as exc:
            report.write_error = f"cannot write {self.out}: {exc.strerror or exc}"
        self.log(self._summary(report))
        return report

    def _summary(self, report: CycleReport) -> str:
        parts = [f"{what}: {n} target{'s' if n != 1 else ''}" for what, n in report.counts.items()]
        parts += [f"{what}: FAILED ({why})" for what, why in report.failures.items()]
        if report.write_error:
            outcome = report.write_error
        elif report.written:
            outcome = f"wrote {self.out} ({report.targets} targets)"
        else:
            outcome = f"{self.out} unchanged ({report.targets} targets)"
        if report.kept:
            outcome += f", keeping the last good targets of {', '.join(report.kept)}"
        return f"cycle {self.cycles}: " + "; ".join([*parts, outcome])

    def run(self, *, once: bool = False, max_cycles: int | None = None) -> CycleReport:
        """Cycle until stopped (``sleep`` returns False), ``once``, or ``max_cycles``.

        Returns the last cycle's report. A :class:`Stopped` during a retry ends the loop too.
        """
        report = CycleReport()
        while True:
            started = self.clock()
            try:
                report = self.cycle()
            except Stopped:
                return report
            if once or (max_cycles is not None and self.cycles >= max_cycles):
                return report
            remaining = max(self.interval - (self.clock() - started), 0.0)
            if not self.sleep(remaining):
                return report


def describe_walkers(walkers: Iterable[Walker]) -> str:
    return ", ".join(w.description for w in walkers)


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
