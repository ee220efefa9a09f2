"""The live objects of one running sidecar, as the handlers see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .admission import HeavySlots
from .cache import RenderCache
from .catalog import Catalog
from .client import LogstashClient
from .clock import Clock
from .logwindow import Limits
from .poller import Poller
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

    @property
    def log_limits(self) -> Limits:
        return Limits(
            max_bytes=self.settings.log_max_answer_bytes,
            max_line_bytes=self.settings.log_max_line_bytes,
        )
