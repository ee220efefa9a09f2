"""The operator API in-process: every parameter check, every document, the bundle."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from status_sidecar.app import create_app
from status_sidecar.settings import Settings
from status_sidecar.wiring import Sidecar
from tests.support.clocks import ManualClock

SECRET = "s3cr3t-hec-token-0042"


class Logstash:
    """A minimal in-process Logstash for API tests: a MockTransport handler."""

    def __init__(self) -> None:
        self.events = 1000
        self.hot_threads_status = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/_node/stats":
            return httpx.Response(200, json=self.stats())
        if path == "/_node":
            return httpx.Response(
                200,
                json={
                    "version": "8.19.3",
                    "pipelines": {
                        "main": {
                            "workers": 2,
                            "batch_size": 125,
                            "batch_delay": 50,
                            "dead_letter_queue_enabled": False,
                        }
                    },
                },
            )
        if path == "/_node/hot_threads":
            if self.hot_threads_status != 200:
                return httpx.Response(self.hot_threads_status)
            assert request.url.params.get("human") == "true"
            return httpx.Response(
                200,
                text="::: {host}\n Hot threads at 2026-11-22\n 12.5 % of "
                "cpu usage, state: RUNNABLE, thread name: "
                "'[main]>worker0', thread id: 41\n",
            )
        return httpx.Response(404)

    def stats(self) -> dict[str, Any]:
        out = self.events - 10
        return {
            "version": "8.19.3",
            "ephemeral_id": "e1",
            "status": "green",
            "events": {"in": self.events, "filtered": self.events, "out": out},
            "jvm": {"uptime_in_millis": self.events * 10, "mem": {"heap_used_percent": 30}},
            "pipelines": {
                "main": {
                    "ephemeral_id": "p1",
                    "events": {"in": self.events, "out": out},
                    "plugins": {
                        "filters": [
                            {"id": "cmd-v1", "events": {"in": self.events, "out": self.events}}
                        ],
                        "outputs": [{"id": "splunk-cmd", "events": {"in": out, "out": out}}],
                    },
                }
            },
        }


@pytest.fixture
def logstash() -> Logstash:
    return Logstash()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def client(tmp_path: Path, logstash: Logstash, clock: ManualClock) -> Iterator[TestClient]:
    log = tmp_path / "logstash-plain.log"
    log.write_text(
        "".join(
            f"[2026-11-22T10:00:{i % 60:02d},000][INFO ][logstash.agent           ] line {i}\n"
            for i in range(3000)
        )
        + f"[2026-11-22T10:01:00,000][ERROR][logstash.outputs.http    ] auth {SECRET} failed\n"
    )
    settings = Settings(
        log_path=log, history_file="", poll_interval=10, destination="https://splunk:8088"
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(logstash.handler))
    app = create_app(
        settings,
        clock=clock,
        http_client=http,
        poll=False,
        environ={"SPLUNK_HEC_AUTH": SECRET, "LOG_PROFILE": "all"},
    )
    with TestClient(app, client=("127.0.0.1", 50000)) as test_client:
        yield test_client


def poll(client: TestClient) -> None:
    sidecar: Sidecar = client.app.state.sidecar  # type: ignore[attr-defined]
    client.portal.call(sidecar.poller.poll_once)  # type: ignore[union-attr]


def advance(client: TestClient, logstash: Logstash, clock: ManualClock, events: int) -> None:
    clock.t += 10
    logstash.events += events
    poll(client)


def test_health_should_be_starting_before_the_first_poll(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "starting"
    assert response.headers["cache-control"] == "no-store"


def test_health_should_be_healthy_after_polls_and_answer_head(
    client: TestClient, logstash: Logstash, clock: ManualClock
) -> None:
    poll(client)
    advance(client, logstash, clock, 500)
    body = client.get("/api/health").json()
    assert body["status"] == "healthy" and body["reasons"] == []
    assert body["checked_at"].endswith("Z")
    assert body["previous"] == "starting"
    head = client.head("/api/health")
    assert head.status_code == 200 and head.content == b""


def test_healthz_should_be_alive_without_logstash(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}


def test_stats_should_report_rates_and_log_types(
    client: TestClient, logstash: Logstash, clock: ManualClock
) -> None:
    poll(client)
    advance(client, logstash, clock, 500)
    stats = client.get("/api/stats").json()
    assert stats["events"]["input_eps"] == 50.0
    assert stats["output"] == {
        "type": "splunk-hec",
        "label": stats["output"]["label"],
        "destination": "https://splunk:8088",
    }
    cmd = next(row for row in stats["log_types"] if row["type"] == "cmd")
    assert cmd["received"] == 1500 and cmd["sent"] == 1490 and cmd["eps"] == 50.0
    assert any(row["type"] == "other" for row in stats["log_types"])
    assert stats["config"] == [
        {
            "pipeline": "main",
            "workers": 2,
            "batch_size": 125,
            "batch_delay_ms": 50,
            "queue_type": None,
            "dlq_enabled": False,
        }
    ]


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/api/history?range=2h", "range"),
        ("/api/history?range=", "range"),
        ("/api/logs?lines=0", "lines"),
        ("/api/logs?lines=50001", "lines"),
        ("/api/logs?lines=ten", "lines"),
        ("/api/logs?lines=%20100", "lines"),
        ("/api/logs?lines=1_000", "lines"),
        ("/api/logs?lines=%2B5", "lines"),
        ("/api/logs?lines=%EF%BC%95", "lines"),  # a full-width digit five
        ("/api/logs?lines=", "lines"),
        ("/api/logs?lines=0100000", "lines"),
        ("/api/logs?download=yes", "download"),
    ],
)
def test_bad_parameters_should_get_400_naming_the_parameter(
    client: TestClient, url: str, named: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith(f"{named}:")
    assert "use " in message


def test_a_bad_parameter_should_be_echoed_short(client: TestClient) -> None:
    response = client.get("/api/logs", params={"lines": "9" * 5000})
    assert response.status_code == 400
    assert len(response.json()["error"]) < 120
    response = client.get("/api/history", params={"range": "x" * 5000})
    assert len(response.json()["error"]) < 160


def test_stats_should_be_served_as_the_same_bytes_until_the_next_poll(
    client: TestClient, logstash: Logstash, clock: ManualClock
) -> None:
    poll(client)
    advance(client, logstash, clock, 100)
    first = client.get("/api/stats")
    again = client.get("/api/stats")
    assert first.content == again.content
    etag = first.headers["etag"]
    assert again.headers["etag"] == etag
    assert client.get("/api/stats", headers={"If-None-Match": etag}).status_code == 304
    assert first.headers["cache-control"] == "no-store"
    advance(client, logstash, clock, 100)
    after = client.get("/api/stats")
    assert after.headers["etag"] != etag
    assert after.json()["events"]["in"] == logstash.events


def test_a_trailing_slash_should_not_redirect_to_the_host_header(client: TestClient) -> None:
    response = client.get("/api/health/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


def test_history_should_list_points_and_restart_markers(
    client: TestClient, logstash: Logstash, clock: ManualClock
) -> None:
    poll(client)
    advance(client, logstash, clock, 100)
    logstash.events = 20  # Logstash restarted: counters back near zero
    clock.t += 10
    poll(client)
    history = client.get("/api/history", params={"range": "6h"}).json()
    assert history["range"] == "6h"
    assert [p["events_in"] for p in history["points"]] == [100, 20]
    assert all(p["input_eps"] >= 0 for p in history["points"])
    assert history["points"][-1]["restart"] is True
    assert len(history["restarts"]) == 1


def test_logs_should_return_the_last_lines(client: TestClient) -> None:
    response = client.get("/api/logs", params={"lines": 3})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("[2026-11-22T10:01:00,000][ERROR]")
    assert "content-disposition" not in response.headers


def test_logs_download_should_be_an_attachment(client: TestClient) -> None:
    response = client.get("/api/logs", params={"lines": 10, "download": "true"})
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="logstash-20231114T221320Z.log"'


def test_logs_should_explain_how_to_enable_file_logging(client: TestClient, tmp_path: Path) -> None:
    (tmp_path / "logstash-plain.log").unlink()
    response = client.get("/api/logs")
    assert response.status_code == 404
    assert "--path.logs" in response.json()["error"]


def test_hot_threads_should_be_text_or_502(client: TestClient, logstash: Logstash) -> None:
    response = client.get("/api/hot-threads")
    assert response.status_code == 200 and "thread name" in response.text
    logstash.hot_threads_status = 500
    failed = client.get("/api/hot-threads")
    assert failed.status_code == 502
    assert "HTTP 500" in failed.json()["error"]


def test_support_bundle_should_hold_every_part_and_no_secret(
    client: TestClient, logstash: Logstash, clock: ManualClock
) -> None:
    poll(client)
    advance(client, logstash, clock, 100)
    response = client.get("/api/support-bundle")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="support-bundle-'
    )
    raw = response.content
    assert SECRET.encode() not in raw
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as archive:
        names = archive.getnames()
        contents = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    assert set(names) >= {
        "stats.json",
        "health.json",
        "samples.json",
        "plugin-stats.json",
        "history-1h.json",
        "history-6h.json",
        "history-12h.json",
        "history-24h.json",
        "node-info.json",
        "hot-threads.txt",
        "logstash.log",
        "environment.json",
        "versions.json",
    }
    for body in contents.values():
        assert SECRET.encode() not in body
    assert b"[REDACTED]" in contents["logstash.log"]
    env = json.loads(contents["environment.json"])
    # An allowlist: the sidecar's own settings with values, anything else by name only.
    assert env["environment"]["variables"] == {"LOG_PROFILE": "all"}
    assert env["environment"]["other_variables"] == ["SPLUNK_HEC_AUTH"]
    assert len(contents["logstash.log"].splitlines()) == 3001  # the whole 3,001-line log
    assert json.loads(contents["stats.json"])["events"]["in"] == 1100


def test_support_bundle_should_survive_a_dead_logstash(
    client: TestClient, logstash: Logstash
) -> None:
    logstash.hot_threads_status = 503
    response = client.get("/api/support-bundle")
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        hot = archive.extractfile("hot-threads.txt").read().decode()  # type: ignore[union-attr]
    assert "HTTP 503" in hot
