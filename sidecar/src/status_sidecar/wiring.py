"""The live objects of one running sidecar, and how they are put together.

``build_sidecar`` is the one place that wires poll -> parse -> store -> evaluate -> serve/publish:
everything else receives what it needs from here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

from .access import Access, TokenFile, TokenFileError
from .admission import ClientRates, HeavySlots
from .audit import AuditTrail
from .cache import RenderCache
from .catalog import Catalog, default_catalog
from .client import LogstashClient
from .clock import Clock
from .health import HealthResult, Thresholds, evaluation_window
from .logtype_totals import LogTypeTotals
from .logwindow import Limits
from .notify import Notifier
from .poller import Poller
from .redact import SecretSource
from .settings import Settings
from .sinks.publisher import Publisher, build_publisher, instance_label
from .status import HealthTracker
from .store import Store
from .webhook import WebhookSender


@dataclass
class Sidecar:
    """Everything a request handler may read. The poller is the only writer of the store."""

    settings: Settings
    store: Store
    tracker: HealthTracker
    poller: Poller
    client: LogstashClient
    catalog: Catalog
    clock: Clock
    version: str
    environ: Mapping[str, str] = field(default_factory=dict)
    publisher: Publisher | None = None  # metrics sinks and per-log-type carried totals
    heavy: HeavySlots = field(default_factory=lambda: HeavySlots(4))
    renders: RenderCache = field(default_factory=RenderCache)
    access: Access = field(
        default_factory=lambda: Access(None, allow_anonymous=False, metrics_public=False)
    )
    rates: ClientRates = field(default_factory=lambda: ClientRates(30))
    audit: AuditTrail = field(default_factory=lambda: AuditTrail(None))
    secrets: SecretSource = field(default_factory=lambda: SecretSource({}))
    notifier: Notifier | None = None

    def evaluate_health(self, now: float) -> HealthResult:
        """The one writer of health (poll path and the health ticker)."""
        return evaluate_health(self.tracker, self.notifier, now)

    @property
    def log_limits(self) -> Limits:
        return Limits(
            max_bytes=self.settings.log_max_answer_bytes,
            max_line_bytes=self.settings.log_max_line_bytes,
        )


def evaluate_health(tracker: HealthTracker, notifier: Notifier | None, now: float) -> HealthResult:
    result = tracker.evaluate(now)
    if notifier is not None:
        notifier.observe(result, now)
    return result


def sidecar_version() -> str:
    try:
        return version("status-sidecar")
    except PackageNotFoundError:
        return "0+unknown"


def thresholds_of(settings: Settings) -> Thresholds:
    """Health sees only its thresholds; each one is the setting of the same name."""
    return Thresholds(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(Thresholds)})


class StartupError(ValueError):
    """A file a setting names cannot be used: one line that says which and why."""


def build_access(settings: Settings) -> Access:
    """Raises StartupError when AUTH_TOKEN_FILE is set but unusable (fail closed, at once)."""
    token_file = None
    if settings.auth_token_file:
        try:
            token_file = TokenFile(Path(settings.auth_token_file))
        except TokenFileError as exc:
            raise StartupError(str(exc)) from None
    return Access(
        token_file,
        allow_anonymous=settings.allow_anonymous,
        metrics_public=settings.metrics_public,
    )


def _read_key(path: str, setting: str) -> bytes:
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise StartupError(f"{setting} {path}: {exc.strerror or exc}") from None
    if len(key) < 16:
        raise StartupError(f"{setting} {path}: the key must be at least 16 bytes")
    return key


def build_audit(settings: Settings, http: httpx.AsyncClient | None) -> AuditTrail:
    webhook = None
    if settings.audit_webhook_url and http is not None:
        key = _read_key(settings.audit_webhook_secret_file, "AUDIT_WEBHOOK_SECRET_FILE")
        webhook = WebhookSender("audit", settings.audit_webhook_url, key, http)
    return AuditTrail(Path(settings.audit_file) if settings.audit_file else None, webhook)


def build_notifier(settings: Settings, http: httpx.AsyncClient | None) -> Notifier | None:
    if not settings.notify_webhook_url or http is None:
        return None
    key = _read_key(settings.notify_webhook_secret_file, "NOTIFY_WEBHOOK_SECRET_FILE")
    return Notifier(
        WebhookSender("notify", settings.notify_webhook_url, key, http),
        instance=instance_label(settings),
        form=settings.notify_format,
        hold=settings.notify_hold,
        dashboard=settings.dashboard_url or None,
    )


def build_sidecar(
    settings: Settings,
    http: httpx.AsyncClient,
    clock: Clock,
    catalog: Catalog | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    access: Access | None = None,
    webhook_http: httpx.AsyncClient | None = None,
) -> Sidecar:
    thresholds = thresholds_of(settings)
    the_catalog = catalog or default_catalog()
    store = Store(
        history_points=settings.history_points,
        recent_window_s=evaluation_window(thresholds),
        started_at=clock.now(),
        log_types=LogTypeTotals(the_catalog, settings.log_profile),
    )
    client = LogstashClient(
        http, settings.logstash_url, settings.request_timeout, settings.max_response_bytes
    )
    tracker = HealthTracker(store, thresholds, clock.now())
    notifier = build_notifier(settings, webhook_http)
    publisher = build_publisher(settings, store, clock)

    the_environ = dict(os.environ if environ is None else environ)
    secrets = SecretSource(
        the_environ,
        env_files=[settings.secrets_env_file],
        token_files=[settings.auth_token_file, settings.audit_webhook_secret_file],
    )

    def after_poll(now: float) -> None:
        # Health is re-evaluated after every poll so transitions are logged as they happen;
        # then the sinks see the new point (history line, publish at once on a restart).
        publisher.on_poll(now, evaluate_health(tracker, notifier, now).status)

    return Sidecar(
        settings=settings,
        store=store,
        tracker=tracker,
        poller=Poller(client, store, clock, after_poll=after_poll),
        client=client,
        catalog=the_catalog,
        clock=clock,
        version=sidecar_version(),
        environ=the_environ,
        publisher=publisher,
        heavy=HeavySlots(settings.heavy_requests_max),
        access=access or build_access(settings),
        rates=ClientRates(settings.heavy_requests_per_minute),
        audit=build_audit(settings, webhook_http),
        secrets=secrets,
        notifier=notifier,
    )
