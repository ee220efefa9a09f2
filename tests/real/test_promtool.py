"""`promtool check metrics` (Prometheus' own linter) accepts every exposition the sidecar
produces: a healthy node with 500 plugins, after a restart, with Logstash unreachable, and the
body pushed to the Pushgateway."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from status_sidecar.exposition import collect, render_text
from status_sidecar.metrics import metrics_input
from status_sidecar.settings import Settings
from tests.support.inproc import Harness, sidecar_with_fake
from tests.support.servers import binary

pytestmark = pytest.mark.real


def promtool_check(text: str) -> None:
    result = subprocess.run(
        [binary("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


def scenarios(h: Harness) -> list[str]:
    texts = []
    for _ in range(3):
        h.poll()
    texts.append(h.metrics())
    h.fake.restart()
    h.poll()
    texts.append(h.metrics())
    h.fake.mode = "failing_outputs"
    h.poll()
    texts.append(h.metrics())
    h.fake.mode = "down"
    h.poll()
    texts.append(h.metrics())
    return texts


def test_promtool_should_accept_every_exposition(tmp_path: Path) -> None:
    settings = Settings(history_file=str(tmp_path / "h.jsonl"))
    with sidecar_with_fake(settings, plugin_count=500, pipelines=2) as h:
        texts = scenarios(h)
        assert texts[0].count("plugin_id=") > 500 * 4
        for text in texts:
            promtool_check(text)


def test_promtool_should_accept_the_pushgateway_body() -> None:
    with sidecar_with_fake(Settings(history_file="")) as h:
        h.poll()
        h.poll()
        # exactly what PushgatewaySink sends
        promtool_check(render_text(collect(metrics_input(h.sidecar))))
