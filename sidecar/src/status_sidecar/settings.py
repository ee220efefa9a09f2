"""One typed settings object: CLI flags, else environment, else defaults.

As operators expect from container images: no flags means environment-driven; any
flag means flags only (the environment is ignored, so a stray variable cannot
override what was typed). Secrets are never settings values: they are read from files.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
LOG_PROFILES = ("all", "security", "networking")
NOTIFY_FORMATS = ("json", "slack", "teams")


class SettingsError(ValueError):
    """A bad value; the message is one line naming the setting."""


def _url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name}: {raw!r} is not an http(s) URL such as http://logstash:9600")
    try:
        _ = parts.port
    except ValueError as exc:
        raise SettingsError(f"{name}: {raw!r} has an invalid port") from exc
    return raw.rstrip("/")


def _number(name: str, raw: str, *, minimum: float, maximum: float | None = None) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if value != value or value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f">= {minimum:g}"
        raise SettingsError(f"{name}: {raw!r} must be {bound}")
    return value


def _port(name: str, raw: str) -> int:
    value = _number(name, raw, minimum=1, maximum=65535)
    if value != int(value):
        raise SettingsError(f"{name}: {raw!r} must be a whole number between 1 and 65535")
    return int(value)


def _choice(name: str, raw: str, allowed: Sequence[str]) -> str:
    if raw not in allowed:
        raise SettingsError(f"{name}: {raw!r} is not one of {', '.join(allowed)}")
    return raw


def _text(name: str, raw: str) -> str:
    del name
    return raw


def _optional_url(name: str, raw: str) -> str:
    """An http(s) URL or "" (the sink is off). Credentials never go in the URL."""
    if raw == "":
        return ""
    if "@" in urlsplit(raw).netloc:  # checked first: the value is never echoed
        raise SettingsError(f"{name}: put credentials in their own settings, not in the URL")
    return _url(name, raw)


def _flag(name: str, raw: str) -> bool:
    value = raw.lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off", ""):
        return False
    raise SettingsError(f"{name}: {raw!r} is not true or false")


def _label(name: str, raw: str) -> str:
    if "\n" in raw or len(raw) > 200:
        raise SettingsError(f"{name}: {raw!r} is not a one-line label of at most 200 characters")
    return raw


def _whole(minimum: int, maximum: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        if not raw.isascii() or not raw.isdigit():
            raise SettingsError(f"{name}: {raw[:40]!r} is not a whole number")
        value = int(raw)
        if not minimum <= value <= maximum:
            raise SettingsError(f"{name}: {raw!r} must be between {minimum:,} and {maximum:,}")
        return value

    return parse


def _optional_port(name: str, raw: str) -> int:
    """A port, or 0 / "" for off."""
    return 0 if raw in ("", "0") else _port(name, raw)


def _positive(minimum: float, maximum: float | None = None) -> Callable[[str, str], float]:
    def parse(name: str, raw: str) -> float:
        return _number(name, raw, minimum=minimum, maximum=maximum)

    return parse


@dataclass(frozen=True)
class Option:
    env: str
    flag: str
    default: str
    parse: Callable[[str, str], Any]
    help: str


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def setting(env: str, flag: str, default: str, parse: Callable[[str, str], T], help: str) -> T:
    """A settings field: its one declaration (environment name, flag, default as an operator
    types it, parser, help). The typed default is the parsed text, so the two cannot differ."""
    option = Option(env, flag, default, parse, help)
    value = parse(f"{env} ({flag})", default)
    return dataclasses.field(default=value, metadata={"option": option})


@dataclass(frozen=True)
class Settings:
    """Every setting, declared once. The order is the order of `--help` and the README table."""

    logstash_url: str = setting(
        "LOGSTASH_API_URL",
        "--logstash-url",
        "http://localhost:9600",
        _url,
        "Logstash monitoring API base URL",
    )
    log_path: Path = setting(  # noqa: RUF009 - setting() is a dataclasses.field
        "LOGSTASH_LOG_PATH",
        "--log-path",
        "/var/log/logstash/logstash-plain.log",
        _path,
        "Logstash log file on the shared volume",
    )
    log_profile: str = setting(
        "LOG_PROFILE",
        "--log-profile",
        "all",
        lambda n, r: _choice(n, r, LOG_PROFILES),
        "which log types this deployment forwards: all, security, networking",
    )
    host: str = setting(
        "HOST",
        "--host",
        "0.0.0.0",
        _text,
        "address to listen on",
    )
    port: int = setting(
        "PORT",
        "--port",
        "3000",
        _port,
        "port to listen on",
    )
    poll_interval: float = setting(
        "POLL_INTERVAL",
        "--poll-interval",
        "10",
        _positive(0.1, 3600),
        "seconds between polls of the Logstash API",
    )
    request_timeout: float = setting(
        "LOGSTASH_TIMEOUT",
        "--request-timeout",
        "5",
        _positive(0.1, 300),
        "seconds before a Logstash API request is abandoned",
    )
    startup_grace: float = setting(
        "HEALTH_STARTUP_GRACE",
        "--startup-grace",
        "120",
        _positive(0),
        "seconds after start during which an unready Logstash reports 'starting'",
    )
    unreachable_after: float = setting(
        "HEALTH_UNREACHABLE_AFTER",
        "--unreachable-after",
        "30",
        _positive(0),
        "seconds of failed polls before Logstash counts as unreachable (unhealthy)",
    )
    stuck_after: float = setting(
        "HEALTH_STUCK_AFTER",
        "--stuck-after",
        "300",
        _positive(1),
        "seconds of input with zero output before a pipeline counts as stuck (unhealthy)",
    )
    heap_percent: float = setting(
        "HEALTH_HEAP_PERCENT",
        "--heap-percent",
        "90",
        _positive(1, 100),
        "JVM heap use above which health is degraded",
    )
    failure_window: float = setting(
        "HEALTH_FAILURE_WINDOW",
        "--failure-window",
        "300",
        _positive(1),
        "seconds over which increasing output failures degrade health",
    )
    queue_percent: float = setting(
        "HEALTH_QUEUE_PERCENT",
        "--queue-percent",
        "90",
        _positive(1, 100),
        "persisted queue fill above which health is degraded",
    )
    worker_percent: float = setting(
        "HEALTH_WORKER_PERCENT",
        "--worker-percent",
        "95",
        _positive(1, 100),
        "5-minute worker utilization at or above which health is degraded",
    )
    max_response_bytes: int = setting(
        "LOGSTASH_MAX_RESPONSE_BYTES",
        "--max-response-bytes",
        str(64 * 1024 * 1024),
        _whole(64 * 1024, 1024 * 1024 * 1024),
        "largest Logstash API answer read; a longer one fails the request with a reason",
    )
    log_max_answer_bytes: int = setting(
        "LOG_MAX_ANSWER_BYTES",
        "--log-max-answer-bytes",
        str(16 * 1024 * 1024),
        _whole(64 * 1024, 1024 * 1024 * 1024),
        "byte cap of one log answer (view, download, bundle); older lines are left out",
    )
    log_max_line_bytes: int = setting(
        "LOG_MAX_LINE_BYTES",
        "--log-max-line-bytes",
        str(64 * 1024),
        _whole(256, 16 * 1024 * 1024),
        "longest log line served whole; a longer one is cut and marked",
    )
    heavy_requests_max: int = setting(
        "HEAVY_REQUESTS_MAX",
        "--heavy-requests-max",
        "4",
        _whole(1, 64),
        "log, bundle and hot-threads requests served at once (429 beyond)",
    )
    max_connections: int = setting(
        "MAX_CONNECTIONS",
        "--max-connections",
        "512",
        _whole(8, 65536),
        "open client connections at most (kept below the open-file limit); at the limit, "
        "connections still sending their headers are dropped first",
    )
    max_header_bytes: int = setting(
        "MAX_HEADER_BYTES",
        "--max-header-bytes",
        str(32 * 1024),
        _whole(1024, 1024 * 1024),
        "largest request head (request line and headers) accepted; 431 beyond",
    )
    header_timeout: float = setting(
        "HEADER_TIMEOUT",
        "--header-timeout",
        "10",
        _positive(0.5, 300),
        "seconds a client has to send a request's headers before it is disconnected",
    )
    destination: str = setting(
        "DESTINATION_LABEL",
        "--destination",
        "",
        _text,
        "label of where events go (shown on the dashboard); never a secret",
    )
    # Metrics sinks (docs/metrics.md). Every one is off when its URL or path is "".
    history_file: str = setting(
        "HISTORY_FILE",
        "--history-file",
        "/var/lib/stashkit/history.jsonl",
        _text,
        "JSONL file the 24 h history is appended to and restored from ('' = off); "
        "its directory must exist (a volume)",
    )
    pushgateway_url: str = setting(
        "PUSHGATEWAY_URL",
        "--pushgateway-url",
        "",
        _optional_url,
        "Prometheus Pushgateway base URL to push to ('' = off)",
    )
    push_job: str = setting(
        "PUSH_JOB",
        "--push-job",
        "stashkit",
        _label,
        "job label of pushed series (Pushgateway and remote_write)",
    )
    instance: str = setting(
        "INSTANCE",
        "--instance",
        "",
        _label,
        "instance label of pushed series ('' = this host's name)",
    )
    remote_write_url: str = setting(
        "REMOTE_WRITE_URL",
        "--remote-write-url",
        "",
        _optional_url,
        "Prometheus remote_write endpoint, e.g. https://prom:9090/api/v1/write ('' = off)",
    )
    remote_write_user: str = setting(
        "REMOTE_WRITE_USER",
        "--remote-write-user",
        "",
        _label,
        "basic auth user for remote_write (password from REMOTE_WRITE_PASSWORD_FILE)",
    )
    remote_write_password_file: str = setting(
        "REMOTE_WRITE_PASSWORD_FILE",
        "--remote-write-password-file",
        "",
        _text,
        "file holding the remote_write basic auth password (the secret is never a setting)",
    )
    remote_write_ca_file: str = setting(
        "REMOTE_WRITE_CA_FILE",
        "--remote-write-ca-file",
        "",
        _text,
        "PEM CA bundle to verify the remote_write server with ('' = system CAs)",
    )
    remote_write_insecure_skip_verify: bool = setting(
        "REMOTE_WRITE_INSECURE_SKIP_VERIFY",
        "--remote-write-insecure-skip-verify",
        "false",
        _flag,
        "do not verify the remote_write server certificate (tests only)",
    )
    remote_write_server_name: str = setting(
        "REMOTE_WRITE_SERVER_NAME",
        "--remote-write-server-name",
        "",
        _label,
        "TLS server name (SNI) expected from the remote_write server ('' = the URL's host)",
    )
    publish_interval: float = setting(
        "PUBLISH_INTERVAL",
        "--publish-interval",
        "60",
        _positive(0.1, 86400),
        "seconds between pushes to Pushgateway and remote_write",
    )
    # Access (docs/security.md). Secrets are files; these settings only name them.
    auth_token_file: str = setting(
        "AUTH_TOKEN_FILE",
        "--auth-token-file",
        "",
        _text,
        "file of accepted tokens, one a line, 'token' or 'name:token'; re-read when it "
        "changes ('' = no tokens: the sensitive endpoints answer loopback clients only)",
    )
    allow_anonymous: bool = setting(
        "ALLOW_ANONYMOUS",
        "--allow-anonymous",
        "false",
        _flag,
        "without a token file, serve every endpoint to every client (never on a shared network)",
    )
    metrics_public: bool = setting(
        "METRICS_PUBLIC",
        "--metrics-public",
        "false",
        _flag,
        "serve /metrics without a token",
    )
    health_port: int = setting(
        "HEALTH_PORT",
        "--health-port",
        "0",
        _optional_port,
        "a second port that serves only /api/health and /healthz, for load balancers (0 = off)",
    )
    tls_cert_file: str = setting(
        "TLS_CERT_FILE",
        "--tls-cert-file",
        "",
        _text,
        "PEM certificate (chain) for HTTPS on the sidecar's ports ('' = plain HTTP)",
    )
    tls_key_file: str = setting(
        "TLS_KEY_FILE",
        "--tls-key-file",
        "",
        _text,
        "PEM private key of TLS_CERT_FILE",
    )
    secrets_env_file: str = setting(
        "SECRETS_ENV_FILE",
        "--secrets-env-file",
        "",
        _text,
        "KEY=VALUE file whose values are redacted from every answer (the env file Logstash "
        "gets); re-read when it changes",
    )
    audit_file: str = setting(
        "AUDIT_FILE",
        "--audit-file",
        "",
        _text,
        "JSONL audit trail of every protected or denied request ('' = off)",
    )
    audit_webhook_url: str = setting(
        "AUDIT_WEBHOOK_URL",
        "--audit-webhook-url",
        "",
        _optional_url,
        "also POST each audit record here, signed (X-Stashkit-Signature) ('' = off)",
    )
    audit_webhook_secret_file: str = setting(
        "AUDIT_WEBHOOK_SECRET_FILE",
        "--audit-webhook-secret-file",
        "",
        _text,
        "file holding the HMAC-SHA256 key that signs audit webhook bodies",
    )
    # Health-change notifications (README, Notifications).
    notify_webhook_url: str = setting(
        "NOTIFY_WEBHOOK_URL",
        "--notify-webhook-url",
        "",
        _optional_url,
        "POST a JSON document here on every health transition ('' = off)",
    )
    notify_webhook_secret_file: str = setting(
        "NOTIFY_WEBHOOK_SECRET_FILE",
        "--notify-webhook-secret-file",
        "",
        _text,
        "file holding the HMAC-SHA256 key that signs each notification (X-Stashkit-Signature)",
    )
    notify_format: str = setting(
        "NOTIFY_FORMAT",
        "--notify-format",
        "json",
        lambda n, r: _choice(n, r, NOTIFY_FORMATS),
        "body of a notification: json, slack or teams",
    )
    notify_hold: float = setting(
        "NOTIFY_HOLD_SECONDS",
        "--notify-hold",
        "30",
        _positive(0, 3600),
        "seconds a new status must hold before it is notified (a blip sends nothing)",
    )
    dashboard_url: str = setting(
        "DASHBOARD_URL",
        "--dashboard-url",
        "",
        _optional_url,
        "this sidecar's dashboard as operators reach it, linked from notifications",
    )
    heavy_requests_per_minute: int = setting(
        "HEAVY_REQUESTS_PER_MINUTE",
        "--heavy-requests-per-minute",
        "30",
        _whole(1, 100_000),
        "log, bundle and hot-threads requests one client may make per minute (429 beyond)",
    )

    @property
    def history_points(self) -> int:
        """Samples needed to really hold 24 h at the poll interval (plus the first one)."""
        return int(86400 / self.poll_interval) + 1

    def public_view(self) -> dict[str, object]:
        """Every setting, for the support bundle and /api/stats. None of them is a secret."""
        view = dataclasses.asdict(self)
        view["log_path"] = str(self.log_path)
        return view


OPTIONS: Mapping[str, Option] = {f.name: f.metadata["option"] for f in dataclasses.fields(Settings)}
"""Field name -> how it is set, derived from the declarations above."""


def _build(values: Mapping[str, str]) -> Settings:
    parsed: dict[str, Any] = {}
    for field, option in OPTIONS.items():
        raw = values.get(field, option.default)
        label = f"{option.env} ({option.flag})"
        parsed[field] = option.parse(label, raw.strip())
    if parsed["log_max_line_bytes"] * 2 > parsed["log_max_answer_bytes"]:
        raise SettingsError(
            "LOG_MAX_LINE_BYTES (--log-max-line-bytes) must be at most half of "
            "LOG_MAX_ANSWER_BYTES (--log-max-answer-bytes)"
        )
    _check_access(parsed)
    return Settings(**parsed)


def _check_access(parsed: Mapping[str, Any]) -> None:
    if bool(parsed["tls_cert_file"]) != bool(parsed["tls_key_file"]):
        raise SettingsError("TLS_CERT_FILE and TLS_KEY_FILE must be set together")
    if parsed["auth_token_file"] and parsed["allow_anonymous"]:
        raise SettingsError(
            "ALLOW_ANONYMOUS (--allow-anonymous) contradicts AUTH_TOKEN_FILE: set one of them"
        )
    if parsed["health_port"] and parsed["health_port"] == parsed["port"]:
        raise SettingsError("HEALTH_PORT (--health-port) must differ from PORT (--port)")
    if parsed["notify_webhook_url"] and not parsed["notify_webhook_secret_file"]:
        raise SettingsError(
            "NOTIFY_WEBHOOK_URL needs NOTIFY_WEBHOOK_SECRET_FILE (the key that signs each body)"
        )
    if parsed["audit_webhook_url"] and not parsed["audit_webhook_secret_file"]:
        raise SettingsError(
            "AUDIT_WEBHOOK_URL needs AUDIT_WEBHOOK_SECRET_FILE (the key that signs each body)"
        )


def from_environment(environ: Mapping[str, str]) -> Settings:
    values = {field: environ[o.env] for field, o in OPTIONS.items() if o.env in environ}
    return _build(values)


REPORT_FIELDS = (
    "logstash_url",
    "log_path",
    "log_profile",
    "request_timeout",
    "max_response_bytes",
    "log_max_answer_bytes",
    "log_max_line_bytes",
    "startup_grace",
    "unreachable_after",
    "stuck_after",
    "heap_percent",
    "failure_window",
    "queue_percent",
    "worker_percent",
    "destination",
)
"""The settings `status-sidecar report` takes: what reaching Logstash and judging it needs."""
TAIL_FIELDS = ("log_path",)


def add_arguments(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    for field, option in OPTIONS.items():
        if only is not None and field not in only:
            continue
        parser.add_argument(
            option.flag,
            dest=field,
            default=None,
            metavar=option.env,
            help=f"{option.help} (env {option.env}, default {option.default!r})",
        )


def from_namespace(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Flags if any were given, else the environment. With flags, the settings variables that
    are set are ignored, and once the flags are valid ``warn`` (default: stderr) gets one line
    naming them (a bad flag stays a one-line error)."""
    given = {f: getattr(args, f) for f in OPTIONS if getattr(args, f, None) is not None}
    if given:
        settings = _build(given)
        ignored = [o.env for o in OPTIONS.values() if o.env in environ]
        if ignored:
            (warn or _print_warning)(
                "status-sidecar: warning: flags given, so these environment variables are "
                f"ignored: {', '.join(ignored)}"
            )
        return settings
    return from_environment(environ)


def _print_warning(line: str) -> None:
    print(line, file=sys.stderr)


def reference_table() -> str:
    """docs/settings.md's table, generated from the declarations (a test keeps them equal)."""
    rows = ["| env | flag | default | meaning |", "|---|---|---|---|"]
    for option in OPTIONS.values():
        default = f"`{option.default}`" if option.default else "(empty)"
        meaning = option.help.replace("|", "\\|")
        rows.append(f"| `{option.env}` | `{option.flag}` | {default} | {meaning} |")
    return "\n".join(rows) + "\n"
