"""Health-change notifications: a signed POST on every status transition that holds.

The health rules already absorb a blip (one failed poll is ``degraded``, not ``unhealthy``);
on top of that a new status must hold for ``hold`` seconds before it is sent, and a status that
returns to what was last sent within that time sends nothing: a flap costs no message. The
first status after start is the baseline, not a transition.

Bodies (``NOTIFY_FORMAT``): ``json`` (the document below), ``slack`` (an incoming-webhook
``text``/``blocks`` message) or ``teams`` (a MessageCard). Every body is signed
(``X-Stashkit-Signature: sha256=<HMAC>``) and delivered by :class:`.webhook.WebhookSender`:
a bounded queue, retries with backoff, never in the request or poll path.

    {"instance": "edge-1", "from": "healthy", "to": "unhealthy",
     "reasons": ["Logstash API unreachable for 35 s: ..."], "time": "2026-12-02T14:00:00Z",
     "since": "2026-12-02T13:59:30Z", "dashboard": "https://edge-1.example/"}
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from .health import HealthResult
from .webhook import WebhookSender

log = logging.getLogger("status_sidecar.notify")
_COLOURS = {"healthy": "2EB67D", "degraded": "ECB22E", "starting": "36C5F0", "unhealthy": "E01E5A"}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Transition:
    instance: str
    previous: str
    status: str
    reasons: tuple[str, ...]
    at: float
    since: float
    dashboard: str | None

    def document(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "from": self.previous,
            "to": self.status,
            "reasons": list(self.reasons),
            "time": _iso(self.at),
            "since": _iso(self.since),
            "dashboard": self.dashboard,
        }

    def headline(self) -> str:
        return f"stashkit {self.instance}: {self.previous} -> {self.status}"


def body(transition: Transition, form: str) -> bytes:
    """The request body for ``form`` (json, slack or teams)."""
    if form == "slack":
        return _dumps(_slack(transition))
    if form == "teams":
        return _dumps(_teams(transition))
    return _dumps(transition.document())


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", errors="replace"
    )


def _reason_lines(t: Transition) -> str:
    return "\n".join(f"• {r}" for r in t.reasons) or "• all checks pass"


def _slack(t: Transition) -> dict[str, object]:
    text = f"*{t.headline()}*\n{_reason_lines(t)}"
    if t.dashboard:
        text += f"\n<{t.dashboard}|Open the dashboard>"
    return {
        "text": t.headline(),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def _teams(t: Transition) -> dict[str, object]:
    card: dict[str, object] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": t.headline(),
        "themeColor": _COLOURS.get(t.status, "808080"),
        "title": t.headline(),
        "text": _reason_lines(t).replace("\n", "<br>"),
    }
    if t.dashboard:
        card["potentialAction"] = [
            {
                "@type": "OpenUri",
                "name": "Open the dashboard",
                "targets": [{"os": "default", "uri": t.dashboard}],
            }
        ]
    return card


class Notifier:
    """Fed the evaluated health (poll path and health ticker); submits held transitions."""

    def __init__(
        self,
        sender: WebhookSender,
        *,
        instance: str,
        form: str,
        hold: float,
        dashboard: str | None,
    ) -> None:
        self.sender = sender
        self._instance = instance
        self._form = form
        self._hold = hold
        self._dashboard = dashboard
        self._sent: str | None = None  # the status last notified (or the baseline)
        self._pending: tuple[HealthResult, float] | None = None  # a new status and since when
        self.sent = 0

    def observe(self, result: HealthResult, now: float) -> None:
        if self._sent is None:
            self._sent = result.status  # the baseline: starting up is not news
            return
        if result.status == self._sent:
            self._pending = None  # back where it was: a blip, nothing to say
            return
        if self._pending is None or self._pending[0].status != result.status:
            self._pending = (result, now)
        since = self._pending[1]
        if now - since >= self._hold:
            self._emit(result, since, now)

    def _emit(self, result: HealthResult, since: float, now: float) -> None:
        transition = Transition(
            self._instance,
            self._sent or "unknown",
            result.status,
            result.reasons,
            now,
            since,
            self._dashboard,
        )
        self.sender.submit(body(transition, self._form))
        log.info("notified %s", transition.headline())
        self._sent = result.status
        self._pending = None
        self.sent += 1
