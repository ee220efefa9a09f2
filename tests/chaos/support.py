"""The real sidecar as a separate process, measured as an operator would: RSS, answer times."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.servers import free_port


@dataclass
class SidecarProcess:
    popen: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path
    verify: ssl.SSLContext | bool = True
    health_port: int | None = None

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, timeout: float = 5.0, **kwargs: object) -> httpx.Response:
        return httpx.get(
            f"{self.url}{path}",
            timeout=timeout,
            verify=self.verify,
            **kwargs,  # type: ignore[arg-type]
        )

    def health(self) -> tuple[int, dict[str, object]]:
        response = self.get("/api/health", timeout=2)
        return response.status_code, response.json()


def _limit_files(nofile: int | None) -> Callable[[], None] | None:
    if nofile is None:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    return apply


@contextlib.contextmanager
def sidecar_process(
    workdir: Path,
    logstash_url: str,
    *,
    args: Sequence[str] = (),
    poll_interval: float = 0.5,
    request_timeout: float = 1.5,
    nofile: int | None = None,
    log_path: Path | None = None,
    history_file: Path | None = None,
    env: dict[str, str] | None = None,
    scheme: str = "http",
    verify: ssl.SSLContext | bool = True,
) -> Iterator[SidecarProcess]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "status_sidecar",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--logstash-url",
        logstash_url,
        "--poll-interval",
        str(poll_interval),
        "--request-timeout",
        str(request_timeout),
        "--log-path",
        str(log_path or workdir / "logstash-plain.log"),
        "--history-file",
        str(history_file) if history_file is not None else "",
        # The chaos cases are about resources, not about one client's rate (tested apart).
        "--heavy-requests-per-minute",
        "100000",
        *args,
    ]
    log = workdir / "sidecar.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_files(nofile),
            env={**os.environ, **(env or {})},
        )
    process = SidecarProcess(popen, f"{scheme}://127.0.0.1:{port}", port, log, verify)
    try:
        _wait_started(process)
        yield process
    finally:
        stop(process)


def _wait_started(process: SidecarProcess, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"the sidecar exited at start:\n{process.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if process.get("/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise AssertionError(f"the sidecar did not start within {timeout} s:\n{process.output()}")


def stop(process: SidecarProcess, timeout: float = 15.0) -> float:
    """SIGTERM, then wait; seconds until it exited (SIGKILL after ``timeout``)."""
    popen = process.popen
    if popen.poll() is not None:
        return 0.0
    started = time.monotonic()
    popen.send_signal(signal.SIGTERM)
    try:
        popen.wait(timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait(5)
        return float("inf")
    return time.monotonic() - started


def timed_get(url: str, timeout: float = 5.0) -> tuple[float, int]:
    started = time.monotonic()
    try:
        status = httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        status = 0
    return time.monotonic() - started, status


def probe(port: int, path: str = "/api/health", timeout: float = 5.0) -> tuple[float, int]:
    """One request on a new connection, as a load balancer's health check makes it, timed with
    no client library in the way: (seconds, HTTP status; 0 when it failed)."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            head = sock.recv(65536)
            while sock.recv(65536):
                pass
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    except (OSError, ValueError):
        status = 0
    return time.monotonic() - started, status


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
