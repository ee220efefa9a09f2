"""Health-change notifications over real HTTP: a local receiver gets a signed body on a held
transition, after retries when it fails; a blip sends nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import sidecar_process
from tests.support.servers import wait_for
from tests.support.webhooks import receiving

pytestmark = pytest.mark.slow
KEY = b"notify-signing-key-0123456789"


def _args(tmp_path: Path, url: str, form: str = "json") -> tuple[str, ...]:
    key = tmp_path / "notify.key"
    key.write_bytes(KEY + b"\n")
    return (
        "--notify-webhook-url", url,
        "--notify-webhook-secret-file", str(key),
        "--notify-format", form,
        "--notify-hold", "1",
        "--unreachable-after", "2",
        "--instance", "edge-7",
        "--dashboard-url", "https://edge-7.example/",
    )  # fmt: skip


def _destinations(bodies: list[tuple[bytes, str]]) -> list[str]:
    return [json.loads(raw)["to"] for raw, _ in list(bodies)]


def test_an_outage_and_its_recovery_should_each_send_one_signed_message(tmp_path: Path) -> None:
    with (
        HostileLogstash() as logstash,
        receiving(failures=2) as (hook, url),
        sidecar_process(tmp_path / "run", logstash.url, args=_args(tmp_path, url)) as sidecar,
    ):
        wait_for(lambda: sidecar.health()[1]["status"] == "healthy", 10)
        logstash.mode = "reset"
        # degraded may be told first; wait for the outage itself, after two refused deliveries
        wait_for(lambda: "unhealthy" in _destinations(hook.bodies), 20)
        assert hook.refused == 2
        logstash.mode = "ok"
        wait_for(lambda: _destinations(hook.bodies)[-1:] == ["healthy"], 20)
        time.sleep(1.5)
    documents = []
    for raw, signature in hook.bodies:
        assert signature == "sha256=" + hmac.new(KEY, raw, hashlib.sha256).hexdigest()
        documents.append(json.loads(raw))
    # degraded may come first on the way down, never as a repeat
    changes = [(d["from"], d["to"]) for d in documents]
    assert changes[-1][1] == "healthy" and ("unhealthy" in {to for _, to in changes})
    assert len(changes) == len(set(changes))
    down = next(d for d in documents if d["to"] == "unhealthy")
    assert down["instance"] == "edge-7" and down["dashboard"] == "https://edge-7.example"
    assert any("unreachable" in r or "failed" in r for r in down["reasons"])


def test_a_blip_should_send_nothing(tmp_path: Path) -> None:
    args = (*_args(tmp_path, "http://placeholder"), "--notify-hold", "5")
    with HostileLogstash() as logstash, receiving() as (hook, url):
        args = tuple(url if a == "http://placeholder" else a for a in args)
        with sidecar_process(tmp_path / "run", logstash.url, args=args) as sidecar:
            wait_for(lambda: sidecar.health()[1]["status"] == "healthy", 10)
            logstash.mode = "reset"
            wait_for(lambda: sidecar.health()[1]["status"] != "healthy", 10)
            logstash.mode = "ok"
            wait_for(lambda: sidecar.health()[1]["status"] == "healthy", 10)
            time.sleep(6)
    assert hook.bodies == []


def test_slack_and_teams_bodies_should_be_what_those_webhooks_take(tmp_path: Path) -> None:
    for form in ("slack", "teams"):
        with (
            HostileLogstash() as logstash,
            receiving() as (hook, url),
            sidecar_process(
                tmp_path / form, logstash.url, args=_args(tmp_path, url, form)
            ) as sidecar,
        ):
            wait_for(lambda: sidecar.health()[1]["status"] == "healthy", 10)
            logstash.mode = "reset"
            wait_for(lambda: len(hook.bodies) >= 1, 20)
        doc = json.loads(hook.bodies[0][0])
        if form == "slack":
            assert doc["text"].startswith("stashkit edge-7: healthy -> ")
        else:
            assert doc["@type"] == "MessageCard" and "edge-7" in doc["title"]
