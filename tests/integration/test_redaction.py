"""Redaction: plant every secret shape in the log, hot threads, the environment, node info and
stats, then search every byte the API can return (the support bundle unpacked)."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator

import pytest

from status_sidecar.redact import Redactor
from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import SidecarProcess, sidecar_process
from tests.support.servers import wait_for

pytestmark = pytest.mark.slow

TOKEN = "operator-token-0123456789abcdef"
HEC = "5f1d2c3b-aaaa-4bbb-8ccc-0123456789ab"
DB_PASSWORD = "dbpass123"
SAS_KEY = "c2VjcmV0U2FzS2V5VmFsdWU0NTY3ODk="
ACCOUNT_KEY = "QWNjb3VudEtleVNlY3JldDEyMzQ1Njc4OTA="
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvciJ9.c2lnbmF0dXJlMTIz"
URL_PASSWORD = "s3cr3t-in-url"
GROK_PASSWORD = "hunter2-logstash"
API_KEY = "k-9876543210abcdef"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REMOTE_WRITE_PASSWORD = "rw-password-4321"
ENV_ONLY = "env-only-secret-value-777"
SECRETS = [
    TOKEN, HEC, DB_PASSWORD, SAS_KEY, ACCOUNT_KEY, JWT, URL_PASSWORD, GROK_PASSWORD, API_KEY,
    AWS_KEY_ID, AWS_SECRET, REMOTE_WRITE_PASSWORD, ENV_ONLY,
]  # fmt: skip

AT = "[2026-12-02T10:00:00,000][ERROR][logstash.outputs.http][main] "
PLANTED = "".join(
    AT + line + "\n"
    for line in (
        f"Authorization: Splunk {HEC}",
        f"header Bearer {JWT}",
        f"https://elastic:{URL_PASSWORD}@es:9200 refused",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;"
        f"SharedAccessKey={SAS_KEY}",
        "DefaultEndpointsProtocol=https;AccountName=acct;"
        f"AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        f'config: http {{ password => "{GROK_PASSWORD}" api_key => "{API_KEY}" }}',
        f"access_key_id={AWS_KEY_ID} aws_secret_access_key={AWS_SECRET}",
        f"db postgres://admin:{DB_PASSWORD}@db:5432/x",
        f"the env said {ENV_ONLY} and {TOKEN}",
    )
)


@pytest.fixture(scope="module")
def logstash() -> Iterator[HostileLogstash]:
    with HostileLogstash() as server:
        server.hot_threads_extra = f"\n  thread saw Authorization: Basic {SAS_KEY} and {HEC}\n"
        server.node_info_extra = {
            "settings": {"output_url": f"https://user:{URL_PASSWORD}@siem:8088", "token": HEC}
        }

        def plant(doc: dict[str, object]) -> None:
            pipelines = doc["pipelines"]
            assert isinstance(pipelines, dict)
            pipelines["main"]["reloads"]["last_error"] = {
                "message": f'Expected one of #, password => "{GROK_PASSWORD}" Bearer {JWT}',
                "backtrace": [],
            }
            pipelines["main"]["reloads"]["failures"] = 1

        server.stats_hook = plant
        yield server


@pytest.fixture(scope="module")
def sidecar(
    tmp_path_factory: pytest.TempPathFactory, logstash: HostileLogstash
) -> Iterator[SidecarProcess]:
    work = tmp_path_factory.mktemp("redaction")
    tokens = work / "tokens"
    tokens.write_text(f"operator:{TOKEN}\n")
    secrets_env = work / "logstash-secrets.env"
    secrets_env.write_text(
        f"SPLUNK_HEC_AUTH={HEC}\nDATABASE_URL=postgres://admin:{DB_PASSWORD}@db:5432/x\n"
        f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
    )
    rw_password = work / "rw-password"
    rw_password.write_text(REMOTE_WRITE_PASSWORD + "\n")
    log = work / "logstash-plain.log"
    log.write_text(PLANTED)
    env = {
        "MY_SERVICE_TOKEN": ENV_ONLY,
        "AZURE_EVENTHUB": f"Endpoint=sb://ns/;SharedAccessKey={SAS_KEY}",
        "REMOTE_WRITE_PASSWORD_FILE": str(rw_password),
    }
    args = (
        "--auth-token-file", str(tokens),
        "--secrets-env-file", str(secrets_env),
    )  # fmt: skip
    with sidecar_process(work / "run", logstash.url, args=args, log_path=log, env=env) as process:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        wait_for(lambda: "Expected one of" in process.get("/api/stats", headers=auth).text, 10)
        yield process


def _everything(sidecar: SidecarProcess) -> dict[str, bytes]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers = {
        path: sidecar.get(path, headers=auth, timeout=30).content
        for path in (
            "/",
            "/api/stats",
            "/api/history?range=24h",
            "/api/logs?lines=50",
            "/api/logs?lines=50&download=true",
            "/api/hot-threads",
            "/metrics",
            "/api/health",
        )
    }
    bundle = sidecar.get("/api/support-bundle", headers=auth, timeout=30)
    assert bundle.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(bundle.content), mode="r:gz") as archive:
        for member in archive.getmembers():
            data = archive.extractfile(member)
            assert data is not None
            answers[f"bundle:{member.name}"] = data.read()
    return answers


def test_no_planted_secret_should_leave_the_sidecar(sidecar: SidecarProcess) -> None:
    answers = _everything(sidecar)
    assert len([k for k in answers if k.startswith("bundle:")]) >= 12
    leaks = [(where, secret) for where, body in answers.items() for secret in SECRETS
             if secret.encode() in body]  # fmt: skip
    assert leaks == []


def test_what_was_redacted_should_still_be_readable(sidecar: SidecarProcess) -> None:
    answers = _everything(sidecar)
    log = answers["/api/logs?lines=50"].decode()
    assert log.count("[REDACTED]") >= 9
    assert "Authorization: Splunk [REDACTED]" in log
    assert "https://elastic:[REDACTED]@es:9200 refused" in log
    assert "AccountName=acct;AccountKey=[REDACTED];EndpointSuffix=core.windows.net" in log
    stats = json.loads(answers["/api/stats"])  # still valid JSON after redaction
    assert "[REDACTED]" in json.dumps(stats)
    environment = json.loads(answers["bundle:environment.json"])["environment"]
    assert "MY_SERVICE_TOKEN" in environment["other_variables"]
    assert "MY_SERVICE_TOKEN" not in environment["variables"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('"password": "abc12345"', '"password": "[REDACTED]"'),
        ("password => 'abc12345'", "password => '[REDACTED]'"),
        ("x-api-key: abcdef123456", "x-api-key: [REDACTED]"),
        ("client_secret=abc12345&grant=x", "client_secret=[REDACTED]&grant=x"),
        ("https://u:p4ssw0rd@host/path", "https://u:[REDACTED]@host/path"),
        ("sig=abcdEFGH1234%3D&se=2026", "sig=[REDACTED]&se=2026"),
        ("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", "[REDACTED PRIVATE KEY]"),
        ('"auth_token_file": "/run/stashkit/token"', '"auth_token_file": "/run/stashkit/token"'),
        ("basic auth is configured", "basic auth is configured"),
    ],
)
def test_each_shape_should_be_redacted(text: str, kept: str) -> None:
    assert Redactor().text(text) == kept


def test_redaction_should_stay_linear_on_hostile_text() -> None:
    hostile = ("password" + "a" * 50 + " ") * 20_000 + "https://" + "u" * 300_000
    started = time.monotonic()
    Redactor(["x" * 10]).text(hostile)
    assert time.monotonic() - started < 5
