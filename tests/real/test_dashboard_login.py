"""The dashboard behind a token, in a real headless Chromium: an operator logs in with HTTP Basic
(the token as the password), the page and its live refreshes work; without it, 401."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import SidecarProcess, sidecar_process
from tests.real.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.servers import wait_for

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, sync_playwright

pytestmark = [pytest.mark.real, pytest.mark.slow]
TOKEN = "browser-token-0123456789abcdef"


@pytest.fixture
def sidecar(tmp_path: Path) -> Iterator[SidecarProcess]:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"operator:{TOKEN}\n")
    log = tmp_path / "logstash-plain.log"
    log.write_text("[2026-12-02T10:00:00,000][INFO ][logstash.agent] Pipelines running\n")
    args = ("--auth-token-file", str(tokens))
    with (
        HostileLogstash() as logstash,
        sidecar_process(
            tmp_path / "run", logstash.url, args=args, poll_interval=1, log_path=log
        ) as process,
    ):
        wait_for(lambda: process.health()[0] == 200, 10)
        yield process


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_an_operator_should_log_in_with_basic_and_see_live_numbers(
    sidecar: SidecarProcess, browser: Browser
) -> None:
    anonymous = browser.new_context()
    # Chromium asks for credentials on a Basic challenge; headless, it has none to give.
    with pytest.raises(Exception, match="ERR_INVALID_AUTH_CREDENTIALS"):
        anonymous.new_page().goto(f"{sidecar.url}/")
    refused = anonymous.request.get(f"{sidecar.url}/api/stats")
    assert refused.status == 401 and "Basic" in refused.headers["www-authenticate"]
    anonymous.close()

    context = browser.new_context(http_credentials={"username": "operator", "password": TOKEN})
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    response = page.goto(f"{sidecar.url}/")
    assert response is not None and response.status == 200
    page.wait_for_selector(".tile[data-kpi='input_eps'] .tile-value")

    def live() -> bool:
        text = page.locator(".tile[data-kpi='input_eps'] .tile-value").inner_text()
        return text not in ("—", "0.0")

    wait_for(live, 20)
    assert page.locator("#access-notice").count() == 0  # a token file: no loopback notice
    assert not page.locator("#fetch-error").is_visible()
    # The page's own fetches (stats, history, the log viewer) carry the same credentials.
    page.click("#logs-button")
    wait_for(lambda: "Pipelines running" in page.locator("#logs-output").inner_text(), 20)
    assert [f for f in failed if not f.endswith("/favicon.ico")] == []
    context.close()
