"""The dev stack's stand-in destination: a tiny HTTP receiver (standard library only, run with the
sidecar image's Python).

  POST /events/<token>   what Logstash's webhook-test outputs send: counted, a summary line
                         every SINK_REPORT_EVERY events (default 500)
  POST /notify           the sidecar's health-change notifications: the HMAC-SHA256 signature
                         (X-Stashkit-Signature) checked with the key in NOTIFY_KEY_FILE, then one
                         line "healthy -> degraded: <reasons>"
  POST /alerts           Alertmanager's webhook: one line per alert (status, name, instance)
  GET  /healthz          200 while the process runs

Bodies are capped at 1 MiB. `docker compose logs -f webhook-sink` shows what arrives.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 1 << 20


class Sink:
    def __init__(self, key: bytes | None, report_every: int) -> None:
        self.key = key
        self.report_every = report_every
        self.events = 0
        self.lock = threading.Lock()

    def event(self) -> int | None:
        with self.lock:
            self.events += 1
            return self.events if self.events % self.report_every == 0 else None


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def make_handler(sink: Sink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "stashkit-webhook-sink"

        def log_message(self, format: str, *args: object) -> None:
            """No access log: the lines below say what matters."""

        def answer(self, status: int, body: bytes = b"{}") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self.answer(200, b'{"status":"ok"}')
            else:
                self.answer(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.answer(413)
                return
            body = self.rfile.read(length)
            if self.path.startswith("/events/"):
                count = sink.event()
                if count is not None:
                    say(f"events: {count} received")
                self.answer(200)
            elif self.path == "/notify":
                self.notify(body)
            elif self.path == "/alerts":
                self.alerts(body)
            else:
                self.answer(404)

        def notify(self, body: bytes) -> None:
            if sink.key is None:
                verdict = "unchecked (no NOTIFY_KEY_FILE)"
            else:
                expected = "sha256=" + hmac.new(sink.key, body, hashlib.sha256).hexdigest()
                presented = self.headers.get("X-Stashkit-Signature", "")
                if not hmac.compare_digest(expected, presented):
                    say("notify: REFUSED, bad signature")
                    self.answer(401)
                    return
                verdict = "signature ok"
            try:
                doc = json.loads(body)
                reasons = "; ".join(doc.get("reasons") or []) or "no reasons"
                line = f"{doc.get('from')} -> {doc.get('to')} on {doc.get('instance')}: {reasons}"
            except (ValueError, AttributeError, TypeError):
                line = f"{len(body)} bytes, not the JSON format"
            say(f"notify ({verdict}): {line}")
            self.answer(200)

        def alerts(self, body: bytes) -> None:
            try:
                for alert in json.loads(body).get("alerts", []):
                    labels = alert.get("labels", {})
                    say(
                        f"alert {alert.get('status')}: {labels.get('alertname')} "
                        f"{labels.get('instance', '')} {labels.get('severity', '')}".rstrip()
                    )
            except (ValueError, AttributeError, TypeError):
                say(f"alerts: {len(body)} bytes, not Alertmanager's format")
            self.answer(200)

    return Handler


def main() -> int:
    port = int(os.environ.get("SINK_PORT", "8080"))
    key_file = os.environ.get("NOTIFY_KEY_FILE", "")
    key = Path(key_file).read_bytes().strip() if key_file else None
    sink = Sink(key, int(os.environ.get("SINK_REPORT_EVERY", "500")))
    server = ThreadingHTTPServer((os.environ.get("SINK_HOST", "0.0.0.0"), port), make_handler(sink))
    say(f"webhook-sink listening on :{server.server_address[1]}")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
