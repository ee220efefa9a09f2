"""Real processes and servers for tests/real: uvicorn in a thread, Prometheus, Pushgateway.

Everything listens on 127.0.0.1 on a free port, every wait is bounded, and each helper stops
exactly the process it started (by its handle), never anything else.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from status_sidecar.app import create_app
from status_sidecar.settings import Settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], object], timeout: float, message: str, interval: float = 0.05
) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or time runs out."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (httpx.HTTPError, AssertionError, KeyError, IndexError, ValueError) as exc:
            last_error, value = exc, None
        if value:
            return value
        time.sleep(interval)
    detail = f" (last error: {last_error})" if last_error else ""
    raise AssertionError(f"{message} within {timeout} s{detail}")


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (ci/install-system-deps.sh installs it)")
    return path


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp,
    port: int | None = None,
    *,
    ssl_certfile: str | None = None,
    lifespan: str = "on",
) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 in a daemon thread; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,  # type: ignore[arg-type]
        ssl_certfile=ssl_certfile,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    scheme = "https" if ssl_certfile else "http"
    try:
        wait_until(lambda: server.started, 10, f"uvicorn on port {port} did not start")
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def serve_https(app: ASGIApp, workdir: Path, name: str) -> Iterator[tuple[str, Path]]:
    """Serve ``app`` over HTTPS on 127.0.0.1 with a certificate from a test CA made here;
    yields the base URL and the CA file a client must trust (fake cloud API servers)."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file = workdir / f"{name}-ca.pem", workdir / f"{name}-cert.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    with serve_in_thread(app, ssl_certfile=str(cert_file), lifespan="off") as url:
        yield url, ca_file


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def run_process(args: list[str], log: Path, **kwargs: Any) -> Iterator[Process]:
    with log.open("wb") as out:
        popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    process = Process(popen, log)
    try:
        yield process
    finally:
        if popen.poll() is None:
            popen.terminate()
            try:
                popen.wait(10)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(10)


def ready(url: str) -> bool:
    return httpx.get(url, timeout=1).status_code == 200


class Prometheus:
    """A real Prometheus with a temporary config and TSDB, queried over its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        response = httpx.get(f"{self.url}/api/v1/query", params=params, timeout=5)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str, at: float | None = None) -> float | None:
        """The single value of an instant query; None when it returns nothing."""
        result = self.query(expr, at)
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])


@contextlib.contextmanager
def run_prometheus(workdir: Path, scrape_configs: str, port: int) -> Iterator[Prometheus]:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 500ms\n"
        "  scrape_timeout: 450ms\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n" + scrape_configs
    )
    args = [
        binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-remote-write-receiver",
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    with run_process(args, workdir / "prometheus.log") as process:
        try:
            wait_until(lambda: ready(f"{url}/-/ready"), 20, "Prometheus was not ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{process.output()}") from None
        yield Prometheus(url)


@contextlib.contextmanager
def run_pushgateway(workdir: Path, port: int) -> Iterator[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        binary("prometheus-pushgateway"),
        f"--web.listen-address=127.0.0.1:{port}",
        f"--persistence.file={workdir / 'pushgateway.data'}",  # never the system default
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    with run_process(args, workdir / "pushgateway.log") as process:
        try:
            wait_until(lambda: ready(f"{url}/-/ready"), 20, "Pushgateway was not ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{process.output()}") from None
        yield url


def fast_settings(logstash_url: str, log_path: Path, **overrides: Any) -> Settings:
    """Sidecar settings for a test against a fake Logstash: quick polls and verdicts, no
    history file, a destination to show; `overrides` replace any field."""
    base = Settings(
        logstash_url=logstash_url,
        log_path=log_path,
        host="127.0.0.1",
        poll_interval=0.2,
        request_timeout=1.0,
        startup_grace=30,
        unreachable_after=1.5,
        stuck_after=1.5,
        failure_window=5,
        destination="https://splunk-hec.internal:8088",
        history_file="",
    )
    return replace(base, **overrides)


@contextlib.contextmanager
def run_sidecar(
    settings: Settings, environ: Mapping[str, str] | None = None, startup_timeout: float = 10.0
) -> Iterator[str]:
    port = free_port()
    app = create_app(settings, environ=environ or {})
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), startup_timeout, "sidecar did not start")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(predicate: object, timeout: float, interval: float = 0.05) -> float:
    """Seconds until ``predicate()`` held; AssertionError when it never did."""
    assert callable(predicate)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
