"""Access control over real HTTP, against the real sidecar process.

An auth matrix over every route x {no token, wrong token, Bearer, Basic, rotated token}; the
health-only port; loopback-only without a token file (reached through a non-loopback address);
security headers on every route; the per-client rate on heavy endpoints; the audit trail and
its signed webhook; TLS; and the one-line refusals at start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import SidecarProcess, sidecar_process
from tests.support.servers import free_port, wait_for
from tests.support.webhooks import Receiver, receiving

pytestmark = pytest.mark.slow

ALICE = "alice-token-0123456789abcdef"
PLAIN = "plain-token-fedcba9876543210"
ROTATED = "rotated-token-00112233445566"
PROTECTED = [
    "/",
    "/api/stats",
    "/api/history",
    "/api/logs",
    "/api/hot-threads",
    "/api/support-bundle",
    "/metrics",
    "/static/dashboard.js",
]
OPEN = ["/api/health", "/healthz"]


def basic(password: str, user: str = "operator") -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def logstash() -> Iterator[HostileLogstash]:
    with HostileLogstash() as server:
        yield server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("access")


@pytest.fixture(scope="module")
def sidecar(workdir: Path, logstash: HostileLogstash) -> Iterator[SidecarProcess]:
    tokens = workdir / "tokens"
    tokens.write_text(f"# who may read\nalice:{ALICE}\n{PLAIN}\n")
    log = workdir / "logstash-plain.log"
    log.write_text("[2026-12-02T10:00:00,000][INFO ][logstash.agent] hello\n")
    health_port = free_port()
    args = (
        "--auth-token-file", str(tokens),
        "--health-port", str(health_port),
        "--audit-file", str(workdir / "audit.jsonl"),
        "--heavy-requests-per-minute", "100000",
    )  # fmt: skip
    with sidecar_process(workdir / "run", logstash.url, args=args, log_path=log) as process:
        process.health_port = health_port
        wait_for(lambda: process.health()[0] == 200, 10)
        yield process


@pytest.mark.parametrize("path", PROTECTED)
def test_every_protected_route_should_need_a_token(sidecar: SidecarProcess, path: str) -> None:
    refused = [
        sidecar.get(path),
        sidecar.get(path, headers=bearer("not-a-token-at-all-0000")),
        sidecar.get(path, headers=basic("not-a-token-at-all-0000")),
        sidecar.get(path, headers={"Authorization": "Basic !!!notbase64"}),
        sidecar.get(path, headers={"Authorization": f"Bearer {ALICE[:-1]}"}),
    ]
    for response in refused:
        assert response.status_code == 401, (path, response.status_code)
        assert response.headers["www-authenticate"].startswith('Basic realm="stashkit')
        assert ALICE not in response.text
    for headers in (bearer(ALICE), basic(ALICE), bearer(PLAIN), basic(PLAIN, user="")):
        response = sidecar.get(path, headers=headers, timeout=20)
        assert response.status_code == 200, (path, headers, response.text[:200])


@pytest.mark.parametrize("path", OPEN)
def test_health_should_stay_open(sidecar: SidecarProcess, path: str) -> None:
    assert sidecar.get(path).status_code == 200
    assert sidecar.get(path, headers=bearer("wrong-token-but-who-cares")).status_code == 200


def test_a_rotated_token_file_should_apply_without_a_restart(
    sidecar: SidecarProcess, workdir: Path
) -> None:
    tokens = workdir / "tokens"
    original = tokens.read_text()
    try:
        replacement = workdir / "tokens.new"
        replacement.write_text(f"rotated:{ROTATED}\n")
        replacement.replace(tokens)  # an atomic rename, as a secret manager rotates a file
        wait_for(lambda: sidecar.get("/api/stats", headers=bearer(ROTATED)).status_code == 200, 5)
        assert sidecar.get("/api/stats", headers=bearer(ALICE)).status_code == 401
        assert sidecar.get("/api/stats", headers=basic(ROTATED)).status_code == 200
    finally:
        tokens.write_text(original)
        wait_for(lambda: sidecar.get("/api/stats", headers=bearer(ALICE)).status_code == 200, 5)


def test_the_health_port_should_serve_health_only(sidecar: SidecarProcess) -> None:
    port = sidecar.health_port
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{base}/api/health", timeout=5).status_code == 200
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    for path in PROTECTED:
        response = httpx.get(f"{base}{path}", headers=bearer(ALICE), timeout=5)
        assert response.status_code == 404, path
        assert "only /api/health and /healthz" in response.json()["error"]


@pytest.mark.parametrize("path", [*PROTECTED, *OPEN, "/no/such/route"])
def test_every_answer_should_carry_the_security_headers(sidecar: SidecarProcess, path: str) -> None:
    for response in (sidecar.get(path, headers=bearer(ALICE), timeout=20), sidecar.get(path)):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        if path in ("/api/stats", "/api/logs", "/api/hot-threads", "/api/support-bundle", "/"):
            assert response.headers["cache-control"] == "no-store", path


def test_no_redirect_should_echo_the_host_header(sidecar: SidecarProcess) -> None:
    for path in ("/api/health/", "/api/stats/", "//evil.example/"):
        response = sidecar.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert "evil.example" not in response.headers.get("location", ""), path
        assert response.status_code in (401, 404), (path, response.status_code)


def test_every_protected_access_and_refusal_should_be_audited(
    sidecar: SidecarProcess, workdir: Path
) -> None:
    sidecar.get("/api/logs?lines=5", headers=bearer(ALICE))
    sidecar.get("/api/stats", headers=bearer("wrong-token-0000000000"))
    audit = workdir / "audit.jsonl"

    def records() -> list[dict[str, object]]:
        return [json.loads(line) for line in audit.read_text().splitlines()]

    wait_for(lambda: audit.exists() and any(r["endpoint"] == "/api/logs" for r in records()), 5)
    wait_for(lambda: any(r["outcome"] == "denied" for r in records()), 5)
    logs = [r for r in records() if r["endpoint"] == "/api/logs" and r["token"] == "alice"][-1]
    assert logs["params"] == {"lines": "5"} and logs["status"] == 200
    assert isinstance(logs["bytes"], int) and logs["bytes"] > 0
    assert logs["client"] == "127.0.0.1" and logs["method"] == "GET"
    denied = [r for r in records() if r["outcome"] == "denied"][-1]
    assert denied["status"] == 401 and denied["token"] is None
    text = audit.read_text()
    assert ALICE not in text and PLAIN not in text and "wrong-token" not in text
    assert not any(r["endpoint"] == "/api/health" for r in records())


def test_heavy_endpoints_should_be_rate_limited_per_client(
    tmp_path: Path, logstash: HostileLogstash
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"alice:{ALICE}\nplain:{PLAIN}\n")
    args = (
        "--auth-token-file", str(tokens),
        "--audit-file", str(tmp_path / "audit.jsonl"),
        "--heavy-requests-per-minute", "3",  # after sidecar_process's own: the last flag wins
    )  # fmt: skip
    with sidecar_process(tmp_path / "run", logstash.url, args=args) as process:
        statuses = [
            process.get("/api/hot-threads", headers=bearer(ALICE)).status_code for _ in range(5)
        ]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
        limited = process.get("/api/hot-threads", headers=bearer(ALICE))
        assert int(limited.headers["retry-after"]) >= 1
        assert "at most 3 a minute" in limited.json()["error"]
        # Another client has a rate of its own; health is never limited.
        assert process.get("/api/hot-threads", headers=bearer(PLAIN)).status_code == 200
        assert all(process.get("/api/health").status_code == 200 for _ in range(20))
        audit = tmp_path / "audit.jsonl"
        wait_for(lambda: audit.exists() and "rate-limited" in audit.read_text(), 5)


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else str(address)


def test_without_a_token_file_only_loopback_clients_should_be_served(
    tmp_path: Path, logstash: HostileLogstash
) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    args = ("--host", "0.0.0.0")
    log = tmp_path / "logstash-plain.log"
    log.write_text("[2026-12-02T10:00:00,000][INFO ][logstash.agent] hello\n")
    with sidecar_process(tmp_path / "run", logstash.url, args=args, log_path=log) as process:
        assert "loopback clients only" in process.output()
        outside = f"http://{address}:{process.port}"
        for path in PROTECTED:
            response = httpx.get(f"{outside}{path}", timeout=10)
            assert response.status_code == 403, path
            assert "AUTH_TOKEN_FILE" in response.json()["error"]
            assert process.get(path, timeout=20).status_code == 200, path  # from 127.0.0.1
        assert httpx.get(f"{outside}/api/health", timeout=5).status_code == 200
        page = process.get("/").text
        assert 'id="access-notice"' in page and "AUTH_TOKEN_FILE" in page


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with receiving(failures=2) as hook:
        yield hook


def test_the_audit_webhook_should_get_signed_records_after_retries(
    tmp_path: Path, logstash: HostileLogstash, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    tokens = tmp_path / "tokens"
    tokens.write_text(f"alice:{ALICE}\n")
    key = tmp_path / "hook.key"
    key.write_text("a-webhook-signing-key-0123456789\n")
    args = (
        "--auth-token-file", str(tokens),
        "--audit-webhook-url", url,
        "--audit-webhook-secret-file", str(key),
    )  # fmt: skip
    with sidecar_process(tmp_path / "run", logstash.url, args=args) as process:
        assert process.get("/api/stats", headers=bearer(ALICE)).status_code == 200
        wait_for(lambda: len(hook.bodies) >= 1, 15)
    body, signature = hook.bodies[0]
    expected = hmac.new(b"a-webhook-signing-key-0123456789", body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    record = json.loads(body)
    assert record["endpoint"] == "/api/stats" and record["token"] == "alice"
    assert ALICE.encode() not in body


def test_tls_should_serve_https_with_hsts(tmp_path: Path, logstash: HostileLogstash) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp_path / "tls.crt", tmp_path / "tls.key", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    args = ("--tls-cert-file", str(cert_file), "--tls-key-file", str(key_file))
    trusted = ssl.create_default_context(cafile=str(ca_file))
    with sidecar_process(
        tmp_path / "run", logstash.url, args=args, scheme="https", verify=trusted
    ) as process:
        response = httpx.get(f"https://127.0.0.1:{process.port}/api/health", verify=trusted)
        assert response.status_code in (200, 503)
        assert response.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{process.port}/api/health", timeout=3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--auth-token-file", "/nonexistent/tokens"), "AUTH_TOKEN_FILE /nonexistent/tokens"),
        (("--tls-cert-file", "/nonexistent.crt"), "TLS_CERT_FILE and TLS_KEY_FILE"),
        (
            ("--tls-cert-file", "/etc/hostname", "--tls-key-file", "/etc/hostname"),
            "not a matching PEM certificate and key",
        ),
        (("--allow-anonymous", "true", "--auth-token-file", "/x"), "contradicts AUTH_TOKEN_FILE"),
        (("--audit-webhook-url", "http://127.0.0.1:9/x"), "needs AUDIT_WEBHOOK_SECRET_FILE"),
    ],
)
def test_unusable_access_settings_should_stop_the_start_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "status_sidecar", "serve", "--port", str(free_port()),
         "--history-file", "", *args],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_short_token_should_be_refused_at_start(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("bob:short\n")
    done = subprocess.run(
        [sys.executable, "-m", "status_sidecar", "serve", "--port", str(free_port()),
         "--history-file", "", "--auth-token-file", str(tokens)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "at least 16 characters" in done.stderr and "short" not in done.stderr.split(":")[-1]
