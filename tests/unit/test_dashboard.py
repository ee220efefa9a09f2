"""The dashboard at `/` in-process: first paint from the stats document, security headers,
the packaged static files, the formatting the script mirrors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from status_sidecar import dashboard
from status_sidecar.app import create_app
from status_sidecar.settings import Settings
from status_sidecar.wiring import Sidecar
from tests.support.clocks import ManualClock

HOSTILE = '<img src=x onerror="alert(1)">'


class Logstash:
    """An in-process Logstash 8.19 with Splunk HEC outputs: a MockTransport handler."""

    def __init__(self) -> None:
        self.events = 10_000
        self.reachable = True
        self.plugin_id = "3f2a9c"  # an auto-generated id the catalog does not know
        self.shared_output = False  # one Dynatrace output for every type: sent is estimated

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("Connection refused", request=request)
        if request.url.path == "/_node/stats":
            return httpx.Response(200, json=self.stats())
        if request.url.path == "/_node":
            return httpx.Response(
                200,
                json={
                    "version": "8.19.3",
                    "pipeline": {"workers": 4, "batch_size": 125, "batch_delay": 50},
                    "pipelines": {"main": {"dead_letter_queue_enabled": True}},
                },
            )
        if request.url.path == "/_node/hot_threads":
            return httpx.Response(200, text="::: {logstash}\n Hot threads at 2026-01-01\n")
        return httpx.Response(404)

    def stats(self) -> dict[str, Any]:
        n = self.events
        suricata, cmd = n * 6 // 10, n * 4 // 10
        dropped = suricata // 20
        out = suricata - dropped + cmd
        return {
            "version": "8.19.3",
            "ephemeral_id": "node-1",
            "status": "green",
            "events": {"in": n, "filtered": n, "out": out},
            "jvm": {
                "uptime_in_millis": 3_723_000 + n,
                "mem": {
                    "heap_used_percent": 41,
                    "heap_used_in_bytes": 440_401_920,
                    "heap_max_in_bytes": 1_073_741_824,
                },
            },
            "process": {
                "cpu": {"percent": 12},
                "open_file_descriptors": 180,
                "max_file_descriptors": 1_048_576,
            },
            "pipelines": {
                "main": {
                    "ephemeral_id": "pipe-1",
                    "events": {"in": n, "filtered": n, "out": out},
                    "queue": {"type": "memory", "events_count": 0},
                    "dead_letter_queue": {"queue_size_in_bytes": 1},
                    "plugins": {
                        "inputs": [{"id": "syslog-tcp", "events": {"out": n}}],
                        "filters": [
                            {"id": "suricata", "events": {"in": suricata, "out": suricata}},
                            {
                                "id": "suricata-stats-drop",
                                "events": {"in": suricata, "out": suricata - dropped},
                            },
                            {"id": "cmd-v1", "events": {"in": cmd, "out": cmd}},
                            {"id": self.plugin_id, "events": {"in": 7, "out": 7}},
                        ],
                        "outputs": [{"id": "dynatrace-logs", "events": {"in": out, "out": out}}]
                        if self.shared_output
                        else [
                            {
                                "id": "splunk-suricata",
                                "events": {"in": 1, "out": suricata - dropped},
                            },
                            {"id": "splunk-cmd", "events": {"in": cmd, "out": cmd}},
                        ],
                    },
                }
            },
        }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def logstash() -> Logstash:
    return Logstash()


def make_client(
    tmp_path: Path, logstash: Logstash, clock: ManualClock, **overrides: Any
) -> Iterator[TestClient]:
    settings = Settings(
        log_path=tmp_path / "logstash-plain.log",
        poll_interval=overrides.pop("poll_interval", 10.0),
        destination=overrides.pop("destination", "splunk-hec.internal:8088"),
        log_profile="security",
        history_file="",
        **overrides,
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(logstash.handler))
    app = create_app(settings, clock=clock, http_client=http, poll=False, environ={})
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        yield client


@pytest.fixture
def client(tmp_path: Path, logstash: Logstash, clock: ManualClock) -> Iterator[TestClient]:
    yield from make_client(tmp_path, logstash, clock)


def poll(client: TestClient, clock: ManualClock, logstash: Logstash, events: int = 0) -> None:
    clock.t += 10
    logstash.events += events
    sidecar: Sidecar = client.app.state.sidecar  # type: ignore[attr-defined]
    client.portal.call(sidecar.poller.poll_once)  # type: ignore[union-attr]


def text_of(html: str, element_id: str) -> str:
    """The text content of the element with this id (tags dropped, whitespace collapsed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def test_dashboard_should_render_health_and_deployment_facts(
    client: TestClient, clock: ManualClock, logstash: Logstash
) -> None:
    poll(client, clock, logstash)
    poll(client, clock, logstash, 500)
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert text_of(html, "health-status") == "Healthy"
    assert 'class="banner status-healthy"' in html
    assert "All checks pass." in html
    assert re.fullmatch(
        r"since 2026-01-01 00:00:[0-9]{2} UTC \(was starting\)", text_of(html, "health-since")
    )
    assert text_of(html, "fact-logstash") == "8.19.3 · up 1 h 2 min"
    assert text_of(html, "fact-output") == "Splunk HEC → splunk-hec.internal:8088"
    assert text_of(html, "fact-profile") == "security"
    assert text_of(html, "fact-reachable") == "reachable"
    assert re.search(r'id="unreachable"\s+hidden', html)
    assert "<title>Healthy · Logstash status</title>" in html


def test_dashboard_should_render_kpis_log_types_and_config(
    client: TestClient, clock: ManualClock, logstash: Logstash
) -> None:
    poll(client, clock, logstash)
    poll(client, clock, logstash, 567)
    html = client.get("/").text
    tile = re.search(r'data-kpi="input_eps">.*?tile-value">([^<]*)<', html, re.S)
    assert tile and tile.group(1) == "56.7"
    events_in = re.search(r'data-kpi="events_in">.*?tile-value">([^<]*)<', html, re.S)
    assert events_in and events_in.group(1) == "10,567"
    assert re.search(r'data-kpi="dlq">.*?tile-value">off<', html, re.S) is None
    rows = re.findall(r'<tr class="([^"]*)" data-type="([^"]+)"', html)
    types = [t for _, t in rows]
    assert types[-1] == "other" and "suricata" in types and len(types) == 10
    classes = {t: c for c, t in rows}
    assert "row-dim" in classes["gw_net_stats"]  # not in the security profile
    assert "row-dim" not in classes["suricata"]
    assert "Stats filtered: 317" in html  # the drop reason with its count
    assert text_of(html, "config-body") == "main 4 125 50 ms memory enabled"
    assert 'id="pipelines-card" aria-labelledby="pipelines-title" hidden' in html


def test_dashboard_should_mark_estimated_counts_only_when_there_are_some(
    client: TestClient, clock: ManualClock, logstash: Logstash
) -> None:
    poll(client, clock, logstash)
    html = client.get("/").text
    assert re.search(r'id="estimated-note"\s+hidden', html)
    assert '<abbr class="est"' not in text_of(html, "log-types-body")
    logstash.shared_output = True
    poll(client, clock, logstash, 100)
    html = client.get("/").text
    assert not re.search(r'id="estimated-note"\s+hidden', html)
    suricata = re.search(r'data-type="suricata">(.*?)</tr>', html, re.S)
    assert suricata and '<abbr class="est"' in suricata.group(1)
    assert text_of(html, "fact-output").startswith("Dynatrace Logs")


def test_dashboard_should_render_before_logstash_answers(client: TestClient) -> None:
    html = client.get("/").text
    assert text_of(html, "health-status") == "Starting"
    assert 'class="banner status-starting"' in html
    assert text_of(html, "fact-logstash") == "not reached yet"
    assert "No figures yet" in html
    assert "Not known yet" in html


def test_dashboard_should_say_when_logstash_is_unreachable(
    client: TestClient, clock: ManualClock, logstash: Logstash
) -> None:
    poll(client, clock, logstash)
    poll(client, clock, logstash, 100)
    logstash.reachable = False
    poll(client, clock, logstash)
    html = client.get("/").text
    assert text_of(html, "health-status") == "Degraded"
    assert text_of(html, "fact-reachable") == "unreachable"
    detail = text_of(html, "unreachable")
    assert detail == (
        "Logstash unreachable. Figures below are from the last successful poll at "
        "2026-01-01 00:00:20 UTC."
    )
    assert "cannot connect to http://localhost:9600" in text_of(html, "health-reasons")
    assert not re.search(r'id="unreachable"\s+hidden', html)


def test_dashboard_should_escape_everything_it_renders(
    tmp_path: Path, clock: ManualClock, logstash: Logstash
) -> None:
    logstash.plugin_id = HOSTILE
    for client in make_client(tmp_path, logstash, clock, destination=HOSTILE):
        poll(client, clock, logstash)
        html = client.get("/").text
        assert HOSTILE not in html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_dashboard_should_send_a_strict_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "unsafe" not in policy and "http" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    # Nothing the policy would block: no inline script, handler or style attribute.
    assert re.findall(r"<script(?![^>]*\ssrc=)", html) == []
    assert re.search(r"\son[a-z]+=", html) is None
    assert re.search(r"<style|\sstyle=", html) is None
    assert re.search(r'(?:src|href)="(?:https?:)?//', html) is None  # no CDN, no external host


def test_dashboard_should_carry_its_settings_in_data_attributes(
    tmp_path: Path, clock: ManualClock, logstash: Logstash
) -> None:
    for client in make_client(tmp_path, logstash, clock, poll_interval=0.5):
        body = re.search(r"<body([^>]*)>", client.get("/").text)
        assert body is not None
        assert 'data-refresh-ms="2000"' in body.group(1)  # never faster than every 2 s
        assert 'data-api="api/"' in body.group(1)
    for client in make_client(tmp_path, logstash, clock, poll_interval=15):
        assert 'data-refresh-ms="15000"' in client.get("/").text


def test_dashboard_should_answer_head(client: TestClient) -> None:
    response = client.head("/")
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/dashboard.js", ("text/javascript", "application/javascript")),
        ("/static/dashboard.css", ("text/css",)),
        ("/static/favicon.svg", ("image/svg+xml",)),
    ],
)
def test_static_files_should_be_served_with_their_content_type(
    client: TestClient, path: str, content_type: tuple[str, ...]
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("etag")
    assert len(response.content) > 100


def test_every_asset_the_page_links_should_exist(client: TestClient) -> None:
    html = client.get("/").text
    assets = re.findall(r'(?:src|href)="(static/[^"]+)"', html)
    assert {a.split("?")[0] for a in assets} == {
        "static/dashboard.js",
        "static/dashboard.css",
        "static/favicon.svg",
    }
    for asset in assets:
        assert client.get("/" + asset).status_code == 200, asset


def test_static_should_not_serve_what_is_not_there(client: TestClient) -> None:
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/../dashboard.py").status_code == 404


def test_the_script_should_never_write_html() -> None:
    script = (resources.files("status_sidecar") / "web/static/dashboard.js").read_text()
    assert "innerHTML" not in script
    assert "outerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "document.write" not in script
    assert "eval(" not in script


def test_templates_and_static_files_should_be_package_data() -> None:
    web = resources.files("status_sidecar") / "web"
    for name in ("templates/index.html.j2", "static/dashboard.js", "static/dashboard.css"):
        assert (web / name).is_file(), name


@pytest.mark.parametrize(
    ("value", "rate", "integer"),
    [
        (None, "—", "—"),
        (0, "0.0", "0"),
        (12.345, "12.3", "12"),
        (99.96, "100.0", "100"),
        (1234.5, "1,234", "1,234"),
        (80546394, "80,546,394", "80,546,394"),
        (True, "—", "—"),
        ("7", "—", "—"),
    ],
)
def test_numbers_should_get_thousands_separators(value: object, rate: str, integer: str) -> None:
    assert dashboard.fmt_rate(value) == rate
    assert dashboard.fmt_int(value) == integer


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "—"), (0, "0 B"), (1, "1 B"), (1536, "1.5 KiB"), (1_073_741_824, "1.0 GiB")],
)
def test_bytes_should_get_binary_units(value: object, expected: str) -> None:
    assert dashboard.fmt_bytes(value) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(None, "—"), (42.9, "42 s"), (61, "1 min 1 s"), (3723, "1 h 2 min"), (90061, "1 d 1 h")],
)
def test_durations_should_read_like_speech(seconds: object, expected: str) -> None:
    assert dashboard.fmt_duration(seconds) == expected


def test_times_should_be_shown_in_utc() -> None:
    assert dashboard.fmt_time("2026-01-01T00:16:50Z") == "2026-01-01 00:16:50 UTC"
    assert dashboard.fmt_time(None) == "—"
    assert dashboard.fmt_time("yesterday") == "yesterday"
    assert dashboard.fmt_percent(36.4) == "36 %"


def test_the_heap_tile_should_turn_where_health_does() -> None:
    stats = {"jvm": {"heap_used_percent": 80.0, "heap_max_bytes": 1 << 30}}
    heap = {t.key: t for t in dashboard.kpi_tiles(stats, heap_percent=75)}["heap"]
    assert heap.tone == "bad"
    heap = {t.key: t for t in dashboard.kpi_tiles(stats, heap_percent=90)}["heap"]
    assert heap.tone == ""


def test_every_live_region_should_have_an_id_the_script_can_swap(client: TestClient) -> None:
    html = client.get("/").text
    tags = re.findall(r"<[a-z]+[^>]*\sdata-live[\s>][^>]*>|<[a-z]+[^>]*\sdata-live>", html)
    ids = [re.search(r'\sid="([^"]+)"', tag) for tag in tags]
    assert len(tags) == 8 and all(ids)
    assert len({m.group(1) for m in ids if m}) == len(tags)
    ranges = re.findall(r'data-range="(\w+)" data-seconds="(\d+)"', html)
    assert dict(ranges) == {"1h": "3600", "6h": "21600", "12h": "43200", "24h": "86400"}
