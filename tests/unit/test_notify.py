"""Health-change notifications: held transitions only, no message for a blip, three bodies."""

from __future__ import annotations

import json

import httpx
import pytest

from status_sidecar.health import HealthResult
from status_sidecar.notify import Notifier, Transition, body
from status_sidecar.webhook import WebhookSender

UNHEALTHY = HealthResult("unhealthy", ("Logstash API unreachable for 35 s: refused",))
HEALTHY = HealthResult("healthy", ())
DEGRADED = HealthResult("degraded", ("last poll failed: refused",))


def notifier(hold: float = 30) -> tuple[Notifier, list[bytes]]:
    sender = WebhookSender("notify", "http://hook", b"k" * 16, httpx.AsyncClient())
    sent: list[bytes] = []
    sender.submit = sent.append  # type: ignore[method-assign]
    return Notifier(sender, instance="edge-1", form="json", hold=hold, dashboard=None), sent


def test_the_first_status_should_be_the_baseline_not_news() -> None:
    n, sent = notifier()
    n.observe(HealthResult("starting", ()), 0)
    assert sent == []


def test_a_transition_should_be_sent_once_it_held() -> None:
    n, sent = notifier(hold=30)
    n.observe(HEALTHY, 0)
    n.observe(UNHEALTHY, 100)
    n.observe(UNHEALTHY, 120)
    assert sent == []
    n.observe(UNHEALTHY, 130)
    n.observe(UNHEALTHY, 140)
    assert len(sent) == 1
    doc = json.loads(sent[0])
    assert (doc["instance"], doc["from"], doc["to"]) == ("edge-1", "healthy", "unhealthy")
    assert doc["reasons"] == list(UNHEALTHY.reasons)
    assert doc["since"] == "1970-01-01T00:01:40Z"


def test_a_blip_should_send_nothing() -> None:
    n, sent = notifier(hold=30)
    n.observe(HEALTHY, 0)
    n.observe(DEGRADED, 10)
    n.observe(HEALTHY, 20)  # back before the hold ran out
    n.observe(HEALTHY, 60)
    assert sent == []


def test_a_status_that_changes_again_should_restart_the_hold() -> None:
    n, sent = notifier(hold=30)
    n.observe(HEALTHY, 0)
    n.observe(DEGRADED, 10)
    n.observe(UNHEALTHY, 35)
    n.observe(UNHEALTHY, 50)
    assert sent == []
    n.observe(UNHEALTHY, 65)
    assert json.loads(sent[0])["from"] == "healthy" and json.loads(sent[0])["to"] == "unhealthy"


@pytest.mark.parametrize("form", ["json", "slack", "teams"])
def test_each_body_should_name_the_instance_and_the_change(form: str) -> None:
    transition = Transition(
        "edge-1", "healthy", "unhealthy", UNHEALTHY.reasons, 100, 70, "https://edge-1/"
    )
    doc = json.loads(body(transition, form))
    text = json.dumps(doc)
    assert "edge-1" in text and "unhealthy" in text and "https://edge-1/" in text
    if form == "slack":
        assert doc["text"] == "stashkit edge-1: healthy -> unhealthy" and doc["blocks"]
    if form == "teams":
        assert doc["@type"] == "MessageCard" and doc["themeColor"] == "E01E5A"
