"""The real sidecar over HTTP on 127.0.0.1 against the fake Logstash, mode by mode."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.fake_logstash import (
    FakeLogstash,
    FakeLogstashServer,
    LogWriter,
    generate_big_log,
)
from tests.support.servers import fast_settings, run_sidecar, wait_until

SECRET = "hec-token-7c1e5a90-do-not-leak"


@pytest.fixture
def fake() -> FakeLogstash:
    return FakeLogstash(event_rate=400.0, started_seconds_ago=600)


@pytest.fixture
def logstash(fake: FakeLogstash) -> Iterator[FakeLogstashServer]:
    server = FakeLogstashServer(fake)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "logstash-plain.log"
    writer = LogWriter(path)
    writer.write_some(200)
    with path.open("a") as handle:
        handle.write(
            f"[2026-11-22T10:00:00,000][ERROR][logstash.outputs.http    ][main] "
            f"token {SECRET} rejected\n"
        )
    return path


def health(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/health", timeout=2)
    body: dict[str, Any] = response.json()
    body["http"] = response.status_code
    return body


def wait_status(url: str, status: str, timeout: float = 10) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def check() -> bool:
        seen.update(health(url))
        return bool(seen["status"] == status)

    wait_until(check, timeout, f"health never became {status} (last: {seen})")
    return seen


@pytest.fixture
def sidecar(logstash: FakeLogstashServer, log_file: Path) -> Iterator[str]:
    with run_sidecar(
        fast_settings(logstash.url, log_file), environ={"SPLUNK_HEC_AUTH": SECRET}
    ) as url:
        yield url


def test_should_serve_every_endpoint_against_a_healthy_logstash(sidecar: str) -> None:
    body = wait_status(sidecar, "healthy")
    assert body["http"] == 200
    wait_until(
        lambda: httpx.get(f"{sidecar}/api/stats").json()["events"]["input_eps"], 5, "no input rate"
    )
    stats = httpx.get(f"{sidecar}/api/stats").json()
    assert stats["logstash"]["version"] == "8.19.3"
    assert stats["output"]["type"] == "splunk-hec"
    assert stats["events"]["input_eps"] > 0
    rows = {row["type"]: row for row in stats["log_types"]}
    assert rows["microseg"]["received"] > 0
    assert rows["suricata"]["dropped"] > 0
    assert set(rows["suricata"]["drop_reasons"]) >= {"Non-JSON/notices"}
    assert "other" in rows
    assert stats["config"][0]["workers"] == 4
    history = httpx.get(f"{sidecar}/api/history", params={"range": "24h"}).json()
    assert history["points"] and all(p["input_eps"] >= 0 for p in history["points"])
    logs = httpx.get(f"{sidecar}/api/logs", params={"lines": 50})
    assert logs.status_code == 200 and len(logs.text.splitlines()) == 50
    hot = httpx.get(f"{sidecar}/api/hot-threads")
    assert hot.status_code == 200 and "thread name" in hot.text
    assert httpx.get(f"{sidecar}/healthz").status_code == 200


def test_support_bundle_should_carry_no_secret(sidecar: str) -> None:
    wait_status(sidecar, "healthy")
    response = httpx.get(f"{sidecar}/api/support-bundle", timeout=10)
    assert response.status_code == 200
    assert SECRET.encode() not in response.content
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    assert len(members) >= 13
    assert all(SECRET.encode() not in body for body in members.values())
    assert b"[REDACTED]" in members["logstash.log"]


def test_should_survive_a_logstash_restart_without_negative_rates(
    sidecar: str, fake: FakeLogstash
) -> None:
    wait_status(sidecar, "healthy")
    time.sleep(0.5)
    fake.restart()
    wait_until(
        lambda: httpx.get(f"{sidecar}/api/stats").json()["restarts"] == 1, 5, "restart not detected"
    )
    time.sleep(0.5)
    history = httpx.get(f"{sidecar}/api/history").json()
    assert len(history["restarts"]) == 1
    assert any(p["restart"] for p in history["points"])
    assert all(p["input_eps"] >= 0 and p["output_eps"] >= 0 for p in history["points"])
    # No spike: no point claims more than a few times the real rate.
    assert max(p["input_eps"] for p in history["points"]) < 400 * 3
    assert health(sidecar)["status"] == "healthy"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("http500", "HTTP 500"),
        ("garbage", "invalid JSON"),
        ("truncated", "invalid JSON"),
        ("down", "HTTP 503"),
    ],
)
def test_should_degrade_then_go_unhealthy_when_logstash_fails(
    sidecar: str, fake: FakeLogstash, mode: str, reason: str
) -> None:
    wait_status(sidecar, "healthy")
    fake.mode = mode
    degraded = wait_status(sidecar, "degraded")
    assert degraded["http"] == 200
    assert any(reason in r and r.startswith("last poll failed") for r in degraded["reasons"])
    unhealthy = wait_status(sidecar, "unhealthy")
    assert unhealthy["http"] == 503
    assert any("unreachable for" in r for r in unhealthy["reasons"])
    fake.mode = "healthy"
    wait_status(sidecar, "healthy")


def test_should_go_unhealthy_when_the_logstash_process_is_gone(
    logstash: FakeLogstashServer, sidecar: str
) -> None:
    wait_status(sidecar, "healthy")
    logstash.stop()
    body = wait_status(sidecar, "unhealthy")
    assert any("cannot connect" in r for r in body["reasons"])
    assert httpx.get(f"{sidecar}/api/stats").json()["logstash"]["reachable"] is False
    assert httpx.get(f"{sidecar}/api/hot-threads").status_code == 502


def test_should_keep_answering_fast_while_logstash_is_slow(
    sidecar: str, fake: FakeLogstash
) -> None:
    wait_status(sidecar, "healthy")
    fake.slow_seconds = 5
    fake.mode = "slow"
    started = time.monotonic()
    hot = httpx.get(f"{sidecar}/api/hot-threads", timeout=5)
    assert hot.status_code == 502 and "within 1 s" in hot.json()["error"]
    assert time.monotonic() - started < 3
    body = wait_status(sidecar, "unhealthy")
    assert any("unreachable" in r or "no answer" in r for r in body["reasons"])
    timings = []
    for _ in range(20):
        t0 = time.perf_counter()
        health(sidecar)
        timings.append(time.perf_counter() - t0)
    assert max(timings) < 1.0  # it never waits for Logstash


def test_should_tolerate_shape_changes_between_polls(sidecar: str, fake: FakeLogstash) -> None:
    wait_status(sidecar, "healthy")
    fake.mode = "shape_change"
    time.sleep(1)
    assert httpx.get(f"{sidecar}/api/stats").status_code == 200
    assert httpx.get(f"{sidecar}/healthz").status_code == 200
    fake.mode = "healthy"
    wait_status(sidecar, "healthy")


def test_should_report_a_stuck_pipeline(sidecar: str, fake: FakeLogstash) -> None:
    wait_status(sidecar, "healthy")
    fake.mode = "stuck"
    body = wait_status(sidecar, "unhealthy")
    assert any("0 out for" in r for r in body["reasons"])


@pytest.mark.parametrize(
    ("mode", "status", "reason"),
    [
        ("red", "unhealthy", "status red"),
        ("heap_high", "degraded", "JVM heap"),
        ("failing_outputs", "degraded", "failures in the last"),
    ],
)
def test_should_map_logstash_conditions_to_health(
    sidecar: str, fake: FakeLogstash, mode: str, status: str, reason: str
) -> None:
    wait_status(sidecar, "healthy")
    fake.mode = mode
    body = wait_status(sidecar, status)
    assert any(reason in r for r in body["reasons"]), body


def test_should_report_starting_while_logstash_is_not_up_yet(log_file: Path) -> None:
    with run_sidecar(fast_settings("http://127.0.0.1:9", log_file)) as url:
        body = health(url)
        assert body["status"] == "starting" and body["http"] == 503
        assert "grace left" in body["reasons"][0]


@pytest.mark.parametrize("version", ["7.17.29", "8.19.3", "9.3.3"])
def test_should_handle_each_logstash_major(version: str, log_file: Path) -> None:
    fake = FakeLogstash(version=version, pipelines=2, started_seconds_ago=600)
    server = FakeLogstashServer(fake)
    server.start()
    try:
        with run_sidecar(fast_settings(server.url, log_file)) as url:
            wait_status(url, "healthy")
            wait_until(
                lambda: len(httpx.get(f"{url}/api/history").json()["points"]) >= 2, 5, "no history"
            )
            stats = httpx.get(f"{url}/api/stats").json()
            assert stats["logstash"]["version"] == version
            assert len(stats["pipelines"]) == 2
            assert stats["events"]["input_eps"] is not None
    finally:
        server.stop()


@pytest.mark.slow
def test_should_tail_a_1gb_log_with_bounded_memory(
    logstash: FakeLogstashServer, tmp_path: Path
) -> None:
    big = tmp_path / "big.log"
    generate_big_log(big, 1 << 30)
    try:
        with run_sidecar(fast_settings(logstash.url, big)) as url:
            started = time.perf_counter()
            response = httpx.get(f"{url}/api/logs", params={"lines": 1000}, timeout=10)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200
            assert len(response.text.splitlines()) == 1000
            assert elapsed < 5  # a full read of 1 GB would take far longer
            bundle = httpx.get(f"{url}/api/support-bundle", timeout=30)
            assert bundle.status_code == 200
    finally:
        big.unlink()


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/history", {"range": "48h"}, "range"),
        ("/api/logs", {"lines": "0"}, "lines"),
        ("/api/logs", {"lines": "50001"}, "lines"),
        ("/api/logs", {"lines": "all"}, "lines"),
        ("/api/logs", {"download": "1"}, "download"),
    ],
)
def test_bad_query_parameters_should_get_400_over_http(
    sidecar: str, path: str, params: dict[str, str], named: str
) -> None:
    response = httpx.get(f"{sidecar}{path}", params=params, timeout=5)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error.startswith(f"{named}: ")
    assert "use " in error
