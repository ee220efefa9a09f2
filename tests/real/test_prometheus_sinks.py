"""/metrics and the push sinks against real components: Prometheus 2.x (scraping the sidecar
and receiving remote_write), the Pushgateway, and remote_write over HTTPS with a test CA and
basic auth in front of Prometheus' receiver.

One stack per module: a fake Logstash (127.0.0.1, wall clock), a real Pushgateway, a real
Prometheus scraping the sidecar every 0.5 s, and the sidecar (uvicorn in a thread) polling
every 0.25 s and pushing every 0.5 s. The scenario runs Logstash with events flowing, stops
the flow, restarts Logstash, lets events flow again, and records exactly how many events the
fake processed before and after the restart. Stopping the flow around the restart and at the
end makes the counts exact: nothing is in flight between two polls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
import trustme
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_sidecar.app import create_app
from status_sidecar.settings import Settings
from tests.fakes.fake_logstash import FakeLogstash, FakeLogstashServer
from tests.support.promwire import decode_write_request, snappy_decompress
from tests.support.servers import (
    Prometheus,
    free_port,
    run_prometheus,
    run_pushgateway,
    serve_in_thread,
    wait_until,
)

pytestmark = [pytest.mark.real, pytest.mark.timeout(120)]

RATE = 300.0  # events/s while the flow is on
FLOW_S = 1.5
CARRIED = "stashkit_events_in_total"
RAW = "logstash_stats_events_in_total"


@dataclass
class Stack:
    prometheus: Prometheus
    pushgateway: str
    sidecar: str
    fake: FakeLogstash
    before_restart: int
    after_restart: int
    settings: Settings

    @property
    def processed(self) -> int:
        return self.before_restart + self.after_restart


def events_in(fake: FakeLogstash) -> int:
    return int(fake.node_stats()["events"]["in"])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("prometheus-stack")
    fake = FakeLogstash(event_rate=0.0)
    sidecar_port, prom_port, pgw_port = free_port(), free_port(), free_port()
    scrape = (
        "  - job_name: sidecar\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{sidecar_port}']\n"
    )
    with (
        FakeLogstashServer(fake) as logstash,
        run_pushgateway(work / "pushgateway", pgw_port) as pushgateway,
        run_prometheus(work / "prometheus", scrape, prom_port) as prom,
    ):
        settings = Settings(
            logstash_url=logstash.url,
            poll_interval=0.25,
            startup_grace=5,
            history_file="",
            instance="edge-1",
            pushgateway_url=pushgateway,
            remote_write_url=f"{prom.url}/api/v1/write",
            publish_interval=0.5,
        )
        app = create_app(settings, environ={})
        with serve_in_thread(app, sidecar_port) as sidecar:
            scraped = f'{CARRIED}{{job="sidecar"}}'
            pushed = f'{CARRIED}{{job="stashkit"}}'

            def seen(expr: str, value: float) -> bool:
                return prom.value(expr) == value

            # Logstash up, no events yet: both streams start at 0.
            wait_until(lambda: seen(scraped, 0) and seen(pushed, 0), 20, "first samples")
            fake.event_rate = RATE
            wait_until(lambda: events_in(fake) >= RATE * FLOW_S, 10, "events flowing")
            fake.event_rate = 0.0
            before = events_in(fake)
            wait_until(lambda: seen(scraped, before) and seen(pushed, before), 15, "flow 1 seen")

            fake.restart()
            wait_until(
                lambda: (
                    seen('stashkit_logstash_restarts_total{job="sidecar"}', 1)
                    and seen(f'{RAW}{{job="sidecar"}}', 0)
                ),
                15,
                "restart seen",
            )
            fake.event_rate = RATE
            wait_until(lambda: events_in(fake) >= RATE * FLOW_S, 10, "events flowing again")
            fake.event_rate = 0.0
            after = events_in(fake)
            total = before + after
            wait_until(lambda: seen(scraped, total) and seen(pushed, total), 15, "flow 2 seen")
            yield Stack(prom, pushgateway, sidecar, fake, before, after, settings)


def increase_at_last_sample(prom: Prometheus, selector: str) -> float:
    """``increase(x[10m])`` evaluated exactly at the last sample, over the whole series: the
    first sample is 0 and no time is left after the last one, so Prometheus extrapolates
    nothing and the result is the exact sum of increments, resets included."""
    last = prom.value(f"timestamp({selector})")
    assert last is not None
    value = prom.value(f"increase({selector}[10m])", at=last)
    assert value is not None
    return value


def test_increase_over_a_logstash_restart_should_equal_the_events_processed(
    stack: Stack,
) -> None:
    prom = stack.prometheus
    assert stack.before_restart > 0 and stack.after_restart > 0
    # the raw counter reset with Logstash; Prometheus' reset handling recovers the total
    assert increase_at_last_sample(prom, f'{RAW}{{job="sidecar"}}') == stack.processed
    # the carried counter never reset: the same total, no reset handling needed
    assert increase_at_last_sample(prom, f'{CARRIED}{{job="sidecar"}}') == stack.processed
    assert prom.value(f'resets({CARRIED}{{job="sidecar"}}[10m])') == 0
    assert prom.value(f'resets({RAW}{{job="sidecar"}}[10m])') == 1
    # and through remote_write, pushed every 0.5 s and at once on the restart
    assert increase_at_last_sample(prom, f'{CARRIED}{{job="stashkit"}}') == stack.processed
    assert prom.value(f'{RAW}{{job="stashkit",instance="edge-1"}}') == stack.after_restart


def test_prometheus_should_scrape_the_documented_series(stack: Stack) -> None:
    prom = stack.prometheus
    assert prom.value('logstash_up{job="sidecar"}') == 1
    assert prom.value('stashkit_health_status{job="sidecar",status="healthy"}') == 1
    assert prom.value('stashkit_logstash_restarts_total{job="sidecar"}') == 1
    info = prom.query('logstash_info{job="sidecar"}')
    assert info[0]["metric"]["version"] == stack.fake.version
    plugins = prom.query('logstash_stats_pipeline_plugin_events_out_total{job="sidecar"}')
    assert len(plugins) >= 20
    assert {"pipeline", "plugin_type", "plugin", "plugin_id"} <= set(plugins[0]["metric"])
    count = prom.value('stashkit_poll_duration_seconds_count{job="sidecar"}')
    assert count is not None and count > 10
    assert prom.value(
        'histogram_quantile(0.5, stashkit_poll_duration_seconds_bucket{job="sidecar"})'
    )
    sent = prom.query('stashkit_log_type_events_sent_total{job="sidecar"}')
    assert {r["metric"]["log_type"] for r in sent} >= {"microseg", "suricata", "other"}
    up = prom.query('up{job="sidecar"}')
    assert up[0]["value"][1] == "1"  # the OpenMetrics exposition parsed


def test_remote_write_sink_should_report_its_pushes(stack: Stack) -> None:
    stats = httpx.get(f"{stack.sidecar}/api/stats", timeout=5).json()
    sink = stats["sinks"]["remote_write"]
    assert sink["enabled"] is True and sink["writes"] >= 3 and sink["failures"] == 0
    metrics = httpx.get(f"{stack.sidecar}/metrics", timeout=5).text
    assert 'stashkit_sink_failures_total{sink="remote_write"} 0' in metrics


def test_pushgateway_should_hold_the_pushed_series(stack: Stack) -> None:
    def group() -> dict[str, Any] | None:
        body = httpx.get(f"{stack.pushgateway}/api/v1/metrics", timeout=5).json()
        for g in body["data"]:
            if g["labels"] == {"job": "stashkit", "instance": "edge-1"}:
                carried = g[CARRIED]["metrics"][0]["value"]
                if float(carried) == stack.processed:
                    return dict(g)
        return None

    g = wait_until(group, 10, "the Pushgateway has the final push")
    assert g[RAW]["type"] == "COUNTER"
    assert g["logstash_up"]["metrics"][0]["value"] == "1"
    assert g["stashkit_poll_duration_seconds"]["type"] == "HISTOGRAM"
    assert float(g["push_failure_time_seconds"]["metrics"][0]["value"]) == 0
    text = httpx.get(f"{stack.pushgateway}/metrics", timeout=5).text
    assert f'{CARRIED}{{instance="edge-1",job="stashkit"}} {stack.processed}' in text


# ---- remote_write over HTTPS with a test CA and basic auth ----------------------------------


class AuthProxy:
    """HTTPS + basic auth in front of Prometheus' receiver; decodes what passes for checks."""

    def __init__(self, upstream: str, user: str, password: str) -> None:
        self.upstream = upstream
        self.expected = httpx.BasicAuth(user, password)._auth_header
        self.accepted: list[set[str]] = []
        self.refused = 0
        self.app = Starlette(routes=[Route("/api/v1/write", self.write, methods=["POST"])])

    async def write(self, request: Request) -> Response:
        if request.headers.get("authorization") != self.expected:
            self.refused += 1
            return Response("unauthorized", status_code=401)
        body = await request.body()
        decoded = decode_write_request(snappy_decompress(body))
        self.accepted.append({s.labels["instance"] for s in decoded.series})
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                self.upstream, content=body, headers=dict(request.headers), timeout=5
            )
        return Response(answer.content, status_code=answer.status_code)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
    # The certificate names only prom.internal, not 127.0.0.1: the sidecar must present that
    # name (SNI) and verify against it, or the handshake fails.
    ca.issue_cert("prom.internal").private_key_and_cert_chain_pem.write_to_path(
        str(tmp / "server.pem")
    )
    (tmp / "password").write_text("correct horse\n")
    (tmp / "wrong").write_text("battery staple\n")
    return {k: str(tmp / f) for k, f in (("ca", "ca.pem"), ("server", "server.pem"))} | {
        "password": str(tmp / "password"),
        "wrong": str(tmp / "wrong"),
    }


def run_pushing_sidecar(stack: Stack, instance: str, **remote_write: Any) -> dict[str, Any]:
    """Run a second sidecar until its remote_write sink wrote or failed once."""
    settings = replace(
        stack.settings,
        instance=instance,
        pushgateway_url="",
        publish_interval=0.5,
        **remote_write,
    )
    with serve_in_thread(create_app(settings, environ={})) as url:

        def settled() -> dict[str, Any] | None:
            sink = httpx.get(f"{url}/api/stats", timeout=5).json()["sinks"]["remote_write"]
            return sink if sink["writes"] >= 1 or sink["failures"] >= 1 else None

        sink: dict[str, Any] = wait_until(settled, 15, f"sidecar {instance} pushed")
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
    sink["metrics"] = metrics
    return sink


def test_remote_write_over_https_with_a_test_ca_and_basic_auth(
    stack: Stack, tls_files: dict[str, str]
) -> None:
    proxy = AuthProxy(f"{stack.prometheus.url}/api/v1/write", "writer", "correct horse")
    with serve_in_thread(proxy.app, ssl_certfile=tls_files["server"], lifespan="off") as url:
        ok = run_pushing_sidecar(
            stack,
            "tls-edge",
            remote_write_url=f"{url}/api/v1/write",
            remote_write_user="writer",
            remote_write_password_file=tls_files["password"],
            remote_write_ca_file=tls_files["ca"],
            remote_write_server_name="prom.internal",
        )
        assert ok["writes"] >= 1 and ok["failures"] == 0, ok
        assert {"tls-edge"} in proxy.accepted
        wait_until(
            lambda: stack.prometheus.value('logstash_up{instance="tls-edge"}') == 1,
            10,
            "the TLS sidecar's series in Prometheus",
        )

        wrong_password = run_pushing_sidecar(
            stack,
            "tls-wrong-password",
            remote_write_url=f"{url}/api/v1/write",
            remote_write_user="writer",
            remote_write_password_file=tls_files["wrong"],
            remote_write_ca_file=tls_files["ca"],
            remote_write_server_name="prom.internal",
        )
        assert wrong_password["writes"] == 0 and proxy.refused >= 1
        assert "HTTP 401" in wrong_password["last_error"]
        assert (
            'stashkit_sink_failures_total{sink="remote_write"} 0' not in (wrong_password["metrics"])
        )

        no_sni = run_pushing_sidecar(
            stack,
            "tls-no-server-name",
            remote_write_url=f"{url}/api/v1/write",
            remote_write_user="writer",
            remote_write_password_file=tls_files["password"],
            remote_write_ca_file=tls_files["ca"],
        )
        assert no_sni["writes"] == 0
        assert "CERTIFICATE_VERIFY_FAILED" in no_sni["last_error"]

        system_cas = run_pushing_sidecar(
            stack,
            "tls-system-cas",
            remote_write_url=f"{url}/api/v1/write",
            remote_write_user="writer",
            remote_write_password_file=tls_files["password"],
            remote_write_server_name="prom.internal",
        )
        assert system_cas["writes"] == 0  # the test CA is not trusted by default

        insecure = run_pushing_sidecar(
            stack,
            "tls-insecure",
            remote_write_url=f"{url}/api/v1/write",
            remote_write_user="writer",
            remote_write_password_file=tls_files["password"],
            remote_write_insecure_skip_verify=True,
        )
        assert insecure["writes"] >= 1, insecure
    assert stack.prometheus.value('logstash_up{instance="tls-wrong-password"}') is None
