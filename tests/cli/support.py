"""Shared helpers of the CLI tests: real sidecars on loopback, moto worlds, the CLI in-process."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from stashkit.cli import main
from tests.fakes.fake_logstash import FakeLogstash, FakeLogstashServer, LogWriter
from tests.support.servers import fast_settings, run_sidecar, wait_until

REGION = "eu-west-1"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli(*argv: str) -> Result:
    """``stashkit ARGV`` in this process; stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv), stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


@dataclass
class Sidecar:
    url: str
    fake: FakeLogstash
    logstash: FakeLogstashServer

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def health(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/health", timeout=2)
    body: dict[str, Any] = response.json()
    return body


@contextlib.contextmanager
def running_sidecars(workdir: Path, modes: Sequence[str]) -> Iterator[list[Sidecar]]:
    """One real sidecar per mode, each against its own fake Logstash; waits until each sidecar
    reports the status its mode leads to (``healthy``, or ``unhealthy`` for red/stuck)."""
    with contextlib.ExitStack() as stack:
        sidecars = []
        for index in range(len(modes)):
            fake = FakeLogstash(event_rate=300.0 + 100 * index, started_seconds_ago=900)
            server = FakeLogstashServer(fake)
            server.start()
            stack.callback(server.stop)
            log = workdir / f"logstash-{index}.log"
            LogWriter(log).write_some(20)
            url = stack.enter_context(run_sidecar(fast_settings(server.url, log)))
            sidecars.append(Sidecar(url, fake, server))
        for sidecar in sidecars:
            wait_until(
                lambda s=sidecar: (
                    health(s.url)["status"] == "healthy"  # type: ignore[misc]
                    and _has_rates(s.url)
                ),
                10,
                f"sidecar {sidecar.url} did not become healthy with rates",
            )
        for sidecar, mode in zip(sidecars, modes, strict=True):
            if mode != "healthy":
                sidecar.fake.mode = mode
                wait_until(
                    lambda s=sidecar: health(s.url)["status"] == "unhealthy",  # type: ignore[misc]
                    10,
                    f"sidecar {sidecar.url} did not turn unhealthy in mode {mode}",
                )
        yield sidecars


def _has_rates(url: str) -> bool:
    stats = httpx.get(f"{url}/api/stats", timeout=2).json()
    return stats["events"]["input_eps"] is not None
