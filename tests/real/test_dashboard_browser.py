"""The dashboard in a real headless Chromium, against the real sidecar and the fake Logstash.

The sidecar runs under uvicorn in a background thread on 127.0.0.1 and polls the fake
Logstash API (also uvicorn, also 127.0.0.1) every 0.5 s. Both share a clock that runs 60
times faster than the wall clock, so half a minute of test is half an hour of history and the
chart has something to draw; the browser only ever sees what an operator would.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from starlette.types import ASGIApp

from status_sidecar.app import create_app
from status_sidecar.settings import Settings
from tests.fakes.fake_logstash import FakeLogstash, FakeLogstashServer, LogWriter

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import (
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

pytestmark = [pytest.mark.real, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SPEEDUP = 60.0  # one wall-clock second is one minute for the fake and the sidecar
WAIT_MS = 20_000


class FastClock:
    """Wall-clock time running SPEEDUP times faster; usable as the sidecar's `Clock` and as
    the fake's `clock` callable."""

    def __init__(self) -> None:
        self._origin = time.time()
        self._mono = time.monotonic()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._mono) * SPEEDUP

    def __call__(self) -> float:
        return self.now()


@dataclass
class Running:
    url: str
    fake: FakeLogstash
    logstash: FakeLogstashServer
    stop_sidecar: Callable[[], None]


def _serve_in_thread(app: ASGIApp, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sidecar-under-test", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(5)
            raise RuntimeError("the sidecar did not start within 10 s")
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    clock = FastClock()
    fake = FakeLogstash(clock=clock, pipelines=2, started_seconds_ago=5400)
    log_path = tmp_path / "logstash-plain.log"
    writer = LogWriter(log_path, clock=clock)
    writer.write_startup()
    writer.write_some(150)
    writer._append(
        writer.format_line(
            "ERROR",
            "logstash.outputs.http",
            '[HTTP Output Failure] Could not fetch URL {:url=>"https://splunk-hec.internal:8088'
            '/services/collector/event", :message=>"Connection refused", :will_retry=>true}',
            pipeline="main",
            plugin="splunk-suricata",
        )
    )
    with FakeLogstashServer(fake) as logstash:
        settings = Settings(
            logstash_url=logstash.url,
            log_path=log_path,
            log_profile="all",
            poll_interval=0.5,
            request_timeout=2,
            destination="splunk-hec.internal:8088",
            history_file="",  # hermetic: never /var/lib/stashkit of the machine
        )
        app = create_app(settings, clock=clock, environ={})
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        port = sock.getsockname()[1]
        server, thread = _serve_in_thread(app, sock)

        def stop_sidecar() -> None:
            server.should_exit = True
            thread.join(10)
            sock.close()

        try:
            yield Running(f"http://127.0.0.1:{port}", fake, logstash, stop_sidecar)
        finally:
            stop_sidecar()


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def page(playwright: Playwright) -> Iterator[Page]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        yield context.new_page()
        context.close()
    finally:
        browser.close()


def tile_value(page: Page, key: str) -> str:
    return page.locator(f'.tile[data-kpi="{key}"] .tile-value').inner_text()


def as_number(text: str) -> float:
    return float(text.replace(",", ""))


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def test_dashboard_should_show_live_logstash_state_like_an_operator_sees_it(
    running: Running, page: Page
) -> None:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.goto(running.url + "/")

    # Health banner: whatever the first paint said, the refresh settles on healthy.
    expect(page.locator("#health-status")).to_have_text("Healthy", timeout=WAIT_MS)
    expect(page.locator("#health")).to_have_class(re.compile(r"\bstatus-healthy\b"))
    expect(page).to_have_title(re.compile(r"^Healthy"))
    expect(page.locator("#fact-output")).to_have_text("Splunk HEC → splunk-hec.internal:8088")
    expect(page.locator("#fact-logstash")).to_contain_text("8.19.3 · up")

    # The input rate tile shows a positive number that moves between refreshes.
    wait_for(lambda: tile_value(page, "input_eps") not in ("—", "0.0"), 15, "an input rate")
    first = tile_value(page, "input_eps")
    assert as_number(first) > 0
    wait_for(lambda: tile_value(page, "input_eps") != first, 15, "the input rate to change")
    assert as_number(tile_value(page, "input_eps")) > 0
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", tile_value(page, "events_in"))
    expect(page.locator("#updated-text")).to_have_text(re.compile(r"^Updated \d\d:\d\d:\d\d UTC$"))

    # The chart drew both series.
    line_in = page.locator("#chart svg path.series-in")
    expect(line_in).to_have_count(1, timeout=WAIT_MS)
    wait_for(lambda: line_in.get_attribute("d").count("L") >= 3, 15, "a drawn input line")
    assert page.locator("#chart svg path.series-out").get_attribute("d").count("L") >= 3
    expect(page.locator("#chart-summary")).to_contain_text("input averaged")

    # Log types: one row per catalog type plus Other; two pipelines get their own table.
    rows = page.locator("#log-types-body tr")
    expect(rows).to_have_count(10)
    expect(page.locator('#log-types-body tr[data-type="other"] th')).to_have_text(
        "Other / unclassified"
    )
    expect(page.locator('#log-types-body tr[data-type="suricata"]')).to_contain_text(
        "Stats filtered"
    )
    expect(page.locator("#pipelines-card")).to_be_visible()
    expect(page.locator("#pipelines-body tr")).to_have_count(2)
    expect(page.locator("#config-body tr")).to_have_count(2)

    # Logs panel: lines shown, the ERROR line highlighted, a download link for the same lines.
    expect(page.locator("#logs-output .line").first).to_be_visible(timeout=WAIT_MS)
    error_lines = page.locator("#logs-output .lvl-error.lvl-head")
    expect(error_lines.last).to_contain_text("[ERROR]")
    expect(page.locator("#logs-status")).to_contain_text("error")
    page.select_option("#log-lines", "100")
    expect(page.locator("#log-download")).to_have_attribute(
        "href", "api/logs?lines=100&download=true"
    )
    expect(page.locator("#logs-output .line")).to_have_count(100, timeout=WAIT_MS)

    # Hot threads on demand.
    page.get_by_role("button", name="Hot threads").click()
    expect(page.locator("#threads-output")).to_contain_text("Hot threads at", timeout=WAIT_MS)

    # The support bundle is a plain link to the API.
    bundle = page.get_by_role("link", name="Support bundle").first
    assert bundle.evaluate("a => a.href") == running.url + "/api/support-bundle"

    # A Logstash restart becomes a marker on the chart with its reason as the tooltip.
    running.fake.restart()
    marker = page.locator("#chart svg g.restart title")
    expect(marker.first).to_contain_text("Logstash restart at", timeout=WAIT_MS)
    expect(page.locator('.tile[data-kpi="restarts"] .tile-value')).to_have_text("1")

    # Range buttons redraw the chart for the chosen range.
    page.get_by_role("button", name="6 h").click()
    expect(page.get_by_role("button", name="6 h")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#chart-summary")).to_contain_text("Last 6 hours", timeout=WAIT_MS)
    page.get_by_role("button", name="1 h").click()
    expect(page.locator("#chart-summary")).to_contain_text("Last hour", timeout=WAIT_MS)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert errors == []

    # Outage: the banner turns without a reload; the page says Logstash is unreachable.
    page.evaluate("window.__notReloaded = true")
    running.logstash.stop()
    expect(page.locator("#health-status")).to_have_text(
        re.compile("Degraded|Unhealthy"), timeout=WAIT_MS
    )
    expect(page.locator("#health-status")).to_have_text("Unhealthy", timeout=WAIT_MS)
    expect(page.locator("#health")).to_have_class(re.compile(r"\bstatus-unhealthy\b"))
    expect(page.locator("#unreachable")).to_be_visible()
    expect(page.locator("#unreachable")).to_contain_text("Logstash unreachable")
    expect(page.locator("#fact-reachable")).to_have_text("unreachable")
    expect(page.locator("#health-announce")).to_have_text("Logstash health changed to Unhealthy.")
    expect(page.locator("#health-reasons li").first).to_contain_text(re.compile(r"\S"))
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path=str(ARTIFACTS / "dashboard-outage.png"), full_page=True)
    assert errors == []

    # Hot threads now fail with the API's 502 message, shown in the panel.
    page.get_by_role("button", name="Hot threads").click()
    expect(page.locator("#threads-status")).to_contain_text(
        "hot threads unavailable", timeout=WAIT_MS
    )
    expect(page.locator("#threads-output")).to_be_hidden()
    # The only console error allowed now is Chromium's own note about the 502 response.
    assert all("502" in e and "Failed to load resource" in e for e in errors), errors

    # Logstash back: healthy again, still without a reload.
    running.logstash.start()
    expect(page.locator("#health-status")).to_have_text(
        re.compile("Healthy|Degraded"), timeout=WAIT_MS
    )
    expect(page.locator("#unreachable")).to_be_hidden()
    assert page.evaluate("window.__notReloaded") is True

    # The sidecar itself gone: the page keeps its last data, says so, and keeps retrying.
    running.stop_sidecar()
    alert = page.locator("#fetch-error")
    expect(alert).to_be_visible(timeout=WAIT_MS)
    expect(alert).to_contain_text("Cannot refresh from the sidecar")
    expect(alert).to_contain_text(re.compile(r"Showing data from \d\d:\d\d:\d\d UTC"))
    expect(page.locator("#updated-text")).to_have_text(re.compile(r"^Update failed at "))
    expect(page.locator('.tile[data-kpi="input_eps"] .tile-value')).not_to_have_text("—")


def test_dashboard_should_be_useful_without_javascript(
    running: Running, playwright: Playwright
) -> None:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        deadline = time.monotonic() + 15
        while True:
            page.goto(running.url + "/")
            if page.locator("#health-status").inner_text() == "Healthy":
                break
            assert time.monotonic() < deadline, "never healthy"
            time.sleep(0.5)
        expect(page.locator("#fact-output")).to_have_text("Splunk HEC → splunk-hec.internal:8088")
        expect(page.locator("#fact-logstash")).to_contain_text("8.19.3")
        expect(page.locator("#log-types-body tr")).to_have_count(10)
        expect(page.locator("#range-buttons")).to_be_hidden()  # JavaScript-only controls
        # Without JavaScript the log form is a plain GET of the API.
        page.click("#logs-button")
        expect(page.locator("body")).to_contain_text("[ERROR]")
        assert page.url.startswith(running.url + "/api/logs?lines=")
        context.close()
    finally:
        browser.close()
