"""The live objects of one running sidecar, as the handlers see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .access import Access
from .admission import ClientRates, HeavySlots
from .audit import AuditTrail
from .cache import RenderCache
from .catalog import Catalog
from .client import LogstashClient
from .clock import Clock
from .logwindow import Limits
from .poller import Poller
from .redact import SecretSource
from .settings import Settings
from .sinks.publisher import Publisher
from .status import HealthTracker
from .store import Store


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

    @property
    def log_limits(self) -> Limits:
        return Limits(
            max_bytes=self.settings.log_max_answer_bytes,
            max_line_bytes=self.settings.log_max_line_bytes,
        )
