"""The catalog: the single source of truth for log types, output types and plugin ids.

The sidecar's log-type breakdown and the Jinja pipeline templates both read it, so a plugin id is
spelled once, here. Everything is immutable data built on demand by :func:`default_catalog`; the
module holds only constant tuples and read-only mappings and does nothing on import.

Vocabulary
----------
* A *log type* is one kind of Aviatrix syslog message. Its ``key`` (``gw_net_stats``) is also the
  event tag the pipeline adds; its ``dashed`` form (``gw-net-stats``) is used inside plugin ids.
* An *output type* is one way of shipping events (Splunk HEC, Azure Log Ingestion, ...). It owns
  output plugin ids per log type and the output-specific filter ids (Azure ASIM/time/cleanup,
  Dynatrace and Zabbix builders) that prepare those events.
* A plugin id's *role* says how the sidecar counts it: a log-type filter, a drop (with a reason),
  a global filter, an output (for one or several log types), the ``unclassified`` catch-all, a
  syslog ``input``, or ``other`` for anything unknown (auto-generated 64-hex ids, hand-written
  extras). Unknown ids are never an error: they land in the ``other`` row.
* Unclassified events (no log type matched) pass the ``unclassified`` filter, then either the
  ``unclassified-drop`` drop (a drop of no log type) or, for webhook-test, the
  ``webhook-unclassified`` output (an output of no log type). The sidecar counts all three in its
  ``other`` row: received from ``unclassified``, dropped and sent from the other two.

Deliberate differences from the original connector (see FORMATS.md sections 4-6 and 8):
* nine log types (vpn_session included); the Azure output sends fqdn (``azure-fqdn``) and every
  Azure per-stream variable has a catalog entry, so no ``${VAR}`` is left undefined;
* the Dynatrace shared outputs count toward every type they serve;
* there is an Elasticsearch output type and a Zabbix detection rule.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AZURE_STREAMS",
    "GLOBAL_FILTER_IDS",
    "INPUT_IDS",
    "LOG_TYPE_KEYS",
    "STOCK_LOGSTASH_IMAGE",
    "SYSLOG_TLS_SECRETS",
    "UNCLASSIFIED_DROP_ID",
    "UNCLASSIFIED_DROP_REASON",
    "UNCLASSIFIED_FILTER_ID",
    "UNCLASSIFIED_OUTPUT_ID",
    "AzureStream",
    "Catalog",
    "DropFilter",
    "EnvVar",
    "LogType",
    "OutputType",
    "PluginKind",
    "PluginRole",
    "RoleKind",
    "TlsSecret",
    "default_catalog",
]

PluginKind = Literal["input", "filter", "output", "codec"]
RoleKind = Literal["log_type", "drop", "global", "output", "unclassified", "input", "other"]

STOCK_LOGSTASH_IMAGE = "docker.elastic.co/logstash/logstash"
"""Repository of the stock Logstash image; output types with no extra plugins run it as is."""

UNCLASSIFIED_FILTER_ID = "unclassified"
"""Id of the filter a message matching no log type passes; counted in the ``other`` row."""

UNCLASSIFIED_DROP_ID = "unclassified-drop"
"""Id of the drop that follows the ``unclassified`` filter (every output type but webhook-test)."""

UNCLASSIFIED_DROP_REASON = "Unclassified (no log type matched)"

UNCLASSIFIED_OUTPUT_ID = "webhook-unclassified"
"""Id of the webhook-test output that sends unclassified events instead of dropping them."""

GLOBAL_FILTER_IDS: frozenset[str] = frozenset({"date-to-timestamp", "add-unix-time"})

INPUT_IDS: tuple[str, ...] = ("syslog-tcp", "syslog-udp", "syslog-tls")
"""Ids of the pipeline's syslog inputs: TCP and UDP on the syslog port, TLS (TCP) when enabled.
The sidecar does not break inputs down by log type; the role only says the id is ours."""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogType:
    """One Aviatrix log type. ``key`` is also the pipeline tag; ``dashed`` is used in plugin ids."""

    key: str
    dashed: str
    label: str


@dataclass(frozen=True)
class DropFilter:
    """A filter whose ``events.in`` counts events deliberately dropped, with a human reason."""

    id: str
    log_type: str
    reason: str


@dataclass(frozen=True)
class EnvVar:
    """One container environment variable an output type needs."""

    name: str
    secret: bool
    required: bool
    default: str | None
    description: str


@dataclass(frozen=True)
class OutputType:
    """One way of shipping events, with everything the templates and the sidecar need to know."""

    key: str
    label: str
    log_types: tuple[str, ...]
    logstash_plugins: tuple[str, ...]
    """Extra Logstash plugins beyond the stock image; ``()`` means the stock image."""
    env: tuple[EnvVar, ...]
    destination_env: tuple[str, ...]
    """Env var names whose (non-secret) values label the destination on the dashboard."""
    output_ids: Mapping[str, tuple[str, ...]]
    """Log type key -> output plugin ids serving it (a shared id appears under several keys)."""
    filter_ids: Mapping[str, tuple[str, ...]]
    """Log type key -> output-specific filter ids (empty tuple when there are none)."""
    unclassified_output_id: str | None = None
    """The output that sends unclassified events (webhook-test); ``None``: they are dropped by
    :data:`UNCLASSIFIED_DROP_ID`."""

    @property
    def uses_stock_image(self) -> bool:
        """True when the stock ``docker.elastic.co/logstash/logstash`` image suffices."""
        return not self.logstash_plugins

    def env_var(self, name: str) -> EnvVar:
        """The env var called ``name``; ``KeyError`` if this output type does not use it."""
        for var in self.env:
            if var.name == name:
                return var
        raise KeyError(name)

    def all_output_ids(self) -> tuple[str, ...]:
        """Every output plugin id of this type, each once, in log-type order."""
        return _unique(i for key in self.log_types for i in self.output_ids.get(key, ()))

    def all_filter_ids(self) -> tuple[str, ...]:
        """Every output-specific filter id of this type, each once, in log-type order."""
        return _unique(i for key in self.log_types for i in self.filter_ids.get(key, ()))


@dataclass(frozen=True)
class PluginRole:
    """How the sidecar counts one plugin id."""

    kind: RoleKind
    log_types: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class AzureStream:
    """Per-log-type Azure Log Ingestion settings: the DCR id and stream name env vars."""

    log_type: str
    token: str
    """Upper-case token in the env names ``AZURE_DCR_<token>_ID`` and ``AZURE_STREAM_<token>``."""
    default_stream: str

    @property
    def dcr_env(self) -> str:
        return f"AZURE_DCR_{self.token}_ID"

    @property
    def stream_env(self) -> str:
        return f"AZURE_STREAM_{self.token}"


@dataclass(frozen=True)
class TlsSecret:
    """One piece of syslog-over-TLS material: a secret-store name and the file Logstash reads.

    The values live only in the secret store (SSM SecureString on AWS, a secret volume on ACI);
    the container script writes them to ``file`` in the TLS directory mounted into Logstash.
    """

    name: str
    file: str
    description: str
    client_auth_only: bool = False
    """Needed only for mutual TLS (the CA that client certificates must chain to)."""


SYSLOG_TLS_SECRETS: tuple[TlsSecret, ...] = (
    TlsSecret("SYSLOG_TLS_CERT", "server.crt", "PEM certificate (with chain) of the TLS listener."),
    TlsSecret("SYSLOG_TLS_KEY", "server.key", "PEM private key of that certificate (PKCS#8)."),
    TlsSecret(
        "SYSLOG_TLS_CA",
        "ca.crt",
        "PEM CA certificate(s) that syslog clients' certificates must chain to.",
        client_auth_only=True,
    ),
)

_OTHER = PluginRole("other", ())
_INPUT = PluginRole("input", ())


@dataclass(frozen=True)
class Catalog:
    """Log types, output types and the role of every known plugin id.

    Construction validates the data (unknown log types, ids claimed by two roles, output types
    whose ``output_ids`` do not cover exactly their ``log_types``) and raises ``ValueError``.
    """

    log_types: tuple[LogType, ...]
    output_types: Mapping[str, OutputType]
    profiles: Mapping[str, frozenset[str]]
    drop_filters: Mapping[str, DropFilter]
    global_filter_ids: frozenset[str]
    filter_ids: Mapping[str, tuple[str, ...]]
    """Log type key -> output-independent processing filter ids, in pipeline order."""
    filter_aliases: Mapping[str, str] = field(default_factory=lambda: types.MappingProxyType({}))
    """Extra filter ids recognised (not generated) -> log type key; alternative spellings."""
    classifier_ids: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: types.MappingProxyType({})
    )
    """Log type key -> the filters that classify it when there are several, each message
    passing exactly one (cmd: ``cmd-v1`` for AviatrixCMD, ``cmd-v2`` for AviatrixAPI). Default:
    the type's first filter. The sidecar's ``received`` is at least their sum."""
    _filter_roles: Mapping[str, PluginRole] = field(init=False, repr=False, compare=False)
    _output_roles: Mapping[str, PluginRole] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        filters, outputs = _build_roles(self)
        object.__setattr__(self, "_filter_roles", types.MappingProxyType(filters))
        object.__setattr__(self, "_output_roles", types.MappingProxyType(outputs))

    def classifiers(self, key: str) -> tuple[str, ...]:
        """The filter ids that classify messages of ``key`` (see :attr:`classifier_ids`)."""
        found = self.classifier_ids.get(key)
        if found:
            return found
        first = self.filter_ids.get(key, ())
        return first[:1]

    def log_type(self, key: str) -> LogType:
        """The log type called ``key``; ``KeyError`` if unknown."""
        for log_type in self.log_types:
            if log_type.key == key:
                return log_type
        raise KeyError(key)

    @property
    def log_type_keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.log_types)

    def role(self, plugin_id: str, kind: PluginKind) -> PluginRole:
        """How to count ``plugin_id`` of the given plugin kind; unknown ids are ``other``."""
        if kind == "input":
            return _INPUT if plugin_id in INPUT_IDS else _OTHER
        if kind == "filter":
            return self._filter_roles.get(plugin_id, _OTHER)
        if kind == "output":
            return self._output_roles.get(plugin_id, _OTHER)
        return _OTHER

    def detect_output_type(self, output_plugin_ids: Iterable[str]) -> str | None:
        """The output type a running pipeline uses, judged from its output plugin ids.

        Each id votes for every output type that lists it (exactly) or, for the per-type
        families, whose prefix it carries (``splunk-``, ``azure-``, ``webhook-``, ``zabbix-``,
        ``elasticsearch-``). The type with the most votes wins; a tie goes to the type whose own
        ids are best covered (so ``dynatrace-logs`` alone is ``dynatrace-logs``, and
        ``dynatrace-logs`` with ``dynatrace-metrics`` is ``dynatrace``), then to catalog order.
        ``None`` when no id matches any output type.
        """
        seen = frozenset(output_plugin_ids)
        best: tuple[int, float, int] | None = None
        best_key: str | None = None
        for index, (key, output_type) in enumerate(self.output_types.items()):
            own = frozenset(output_type.all_output_ids())
            prefix = _DETECTION_PREFIXES.get(key)
            votes = sum(
                1 for i in seen if i in own or (prefix is not None and i.startswith(prefix))
            )
            if votes == 0:
                continue
            coverage = len(seen & own) / len(own) if own else 0.0
            score = (votes, coverage, -index)
            if best is None or score > best:
                best, best_key = score, key
        return best_key

    def profile_types(self, profile: str) -> frozenset[str]:
        """Log type keys a ``LOG_PROFILE`` value forwards; ``KeyError`` if unknown."""
        return self.profiles[profile]

    def known_plugin_ids(self) -> frozenset[str]:
        """Every input, filter and output plugin id the catalog knows."""
        return frozenset(INPUT_IDS) | frozenset(self._filter_roles) | frozenset(self._output_roles)


# --------------------------------------------------------------------------------------------
# Validation and role tables
# --------------------------------------------------------------------------------------------


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _claim(
    table: dict[str, PluginRole],
    claims: dict[str, str],
    plugin_id: str,
    role: PluginRole,
    where: str,
) -> None:
    """Record ``plugin_id`` -> ``role``; an id may be claimed again only with the same role."""
    previous = table.get(plugin_id)
    if previous is not None and previous != role:
        raise ValueError(
            f"plugin id {plugin_id!r} has two roles: {previous} ({claims[plugin_id]}) "
            f"and {role} ({where})"
        )
    table[plugin_id] = role
    claims.setdefault(plugin_id, where)


def _build_roles(
    catalog: Catalog,
) -> tuple[dict[str, PluginRole], dict[str, PluginRole]]:
    keys = [t.key for t in catalog.log_types]
    known = frozenset(keys)
    if len(known) != len(keys):
        raise ValueError("duplicate log type keys")
    if len({t.dashed for t in catalog.log_types}) != len(keys):
        raise ValueError("duplicate dashed log type names")

    def check_types(where: str, log_types: Iterable[str]) -> None:
        unknown = sorted(set(log_types) - known)
        if unknown:
            raise ValueError(f"{where}: unknown log types {unknown}")

    filters: dict[str, PluginRole] = {}
    outputs: dict[str, PluginRole] = {}
    claims: dict[str, str] = {}
    unclassified_outputs: set[str] = set()

    check_types("filter_ids", catalog.filter_ids)
    for key, ids in catalog.filter_ids.items():
        for plugin_id in ids:
            _claim(filters, claims, plugin_id, PluginRole("log_type", (key,)), f"filters {key}")
    check_types("filter_aliases", catalog.filter_aliases.values())
    for plugin_id, key in catalog.filter_aliases.items():
        _claim(filters, claims, plugin_id, PluginRole("log_type", (key,)), "filter aliases")
    for plugin_id, drop in catalog.drop_filters.items():
        if plugin_id != drop.id:
            raise ValueError(f"drop filter keyed {plugin_id!r} has id {drop.id!r}")
        check_types(f"drop {plugin_id}", (drop.log_type,))
        role = PluginRole("drop", (drop.log_type,), drop.reason)
        _claim(filters, claims, plugin_id, role, "drops")
    for plugin_id in catalog.global_filter_ids:
        _claim(filters, claims, plugin_id, PluginRole("global", ()), "globals")
    _claim(filters, claims, UNCLASSIFIED_FILTER_ID, PluginRole("unclassified", ()), "unclassified")
    unclassified_drop = PluginRole("drop", (), UNCLASSIFIED_DROP_REASON)
    _claim(filters, claims, UNCLASSIFIED_DROP_ID, unclassified_drop, "unclassified")

    served: dict[str, list[str]] = {}
    for name, output_type in catalog.output_types.items():
        where = f"output type {name}"
        if name != output_type.key:
            raise ValueError(f"output type keyed {name!r} has key {output_type.key!r}")
        check_types(where, output_type.log_types)
        if set(output_type.output_ids) != set(output_type.log_types):
            raise ValueError(f"{where}: output_ids must cover exactly its log types")
        if not set(output_type.filter_ids) <= set(output_type.log_types):
            raise ValueError(f"{where}: filter_ids name log types it does not send")
        for var in output_type.env:
            if not _ENV_NAME.match(var.name):
                raise ValueError(f"{where}: invalid env var name {var.name!r}")
        names = {v.name for v in output_type.env}
        if len(names) != len(output_type.env):
            raise ValueError(f"{where}: duplicate env var names")
        if not set(output_type.destination_env) <= names:
            raise ValueError(f"{where}: destination_env names an env var it does not define")
        if any(output_type.env_var(n).secret for n in output_type.destination_env):
            raise ValueError(f"{where}: a secret cannot label the destination")
        for key, ids in output_type.output_ids.items():
            if not ids:
                raise ValueError(f"{where}: no output id for {key}")
            for plugin_id in ids:
                types_served = served.setdefault(plugin_id, [])
                if key not in types_served:
                    types_served.append(key)
        for key, ids in output_type.filter_ids.items():
            for plugin_id in ids:
                _claim(filters, claims, plugin_id, PluginRole("log_type", (key,)), where)
        if output_type.unclassified_output_id is not None:
            unclassified_outputs.add(output_type.unclassified_output_id)

    order = {key: index for index, key in enumerate(keys)}
    for plugin_id, served_types in served.items():
        if plugin_id in filters:
            raise ValueError(f"plugin id {plugin_id!r} is both a filter and an output")
        outputs[plugin_id] = PluginRole(
            "output", tuple(sorted(served_types, key=order.__getitem__))
        )
    for plugin_id in sorted(unclassified_outputs):
        if plugin_id in filters or plugin_id in outputs:
            raise ValueError(f"unclassified output id {plugin_id!r} is already used")
        # An output of no log type: the sidecar counts what it sends in the `other` row.
        outputs[plugin_id] = PluginRole("output", ())

    check_types("classifier_ids", catalog.classifier_ids)
    for key, ids in catalog.classifier_ids.items():
        if not set(ids) <= set(catalog.filter_ids.get(key, ())):
            raise ValueError(f"classifier_ids {key}: {list(ids)} are not all filters of {key}")
    for profile, members in catalog.profiles.items():
        check_types(f"profile {profile}", members)
    return filters, outputs


# --------------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------------

_LOG_TYPES: tuple[LogType, ...] = (
    LogType("microseg", "microseg", "L4 Microseg"),
    LogType("mitm", "mitm", "L7 MITM/DCF"),
    LogType("suricata", "suricata", "Suricata IDS"),
    LogType("fqdn", "fqdn", "FQDN Firewall"),
    LogType("cmd", "cmd", "Controller CMD"),
    LogType("gw_net_stats", "gw-net-stats", "GW Net Stats"),
    LogType("gw_sys_stats", "gw-sys-stats", "GW Sys Stats"),
    LogType("tunnel_status", "tunnel-status", "Tunnel Status"),
    LogType("vpn_session", "vpn-session", "VPN Session"),
)

LOG_TYPE_KEYS: tuple[str, ...] = tuple(t.key for t in _LOG_TYPES)
_DASHED: Mapping[str, str] = types.MappingProxyType({t.key: t.dashed for t in _LOG_TYPES})

_STATS_TYPES: tuple[str, ...] = ("gw_net_stats", "gw_sys_stats")
_NON_STATS_TYPES: tuple[str, ...] = tuple(k for k in LOG_TYPE_KEYS if k not in _STATS_TYPES)
_ASIM_TYPES: tuple[str, ...] = ("microseg", "mitm", "suricata")

_PROFILES: Mapping[str, frozenset[str]] = types.MappingProxyType(
    {
        "all": frozenset(LOG_TYPE_KEYS),
        "security": frozenset({"suricata", "mitm", "microseg", "fqdn", "cmd", "vpn_session"}),
        "networking": frozenset({"gw_net_stats", "gw_sys_stats", "tunnel_status"}),
    }
)

# Output-independent filters per log type, in pipeline order (FORMATS.md sections 2-3).
_FILTER_IDS: Mapping[str, tuple[str, ...]] = types.MappingProxyType(
    {
        "microseg": (
            "microseg",
            "microseg-legacy-defaults",
            "microseg-session-enrichment",
            "microseg-field-conversion",
        ),
        "mitm": (
            "mitm",
            "mitm-json",
            "mitm-timestamp",
            "mitm-map-to-microseg",
            "mitm-map-drop-to-deny",
            "mitm-url-parts",
            "mitm-decrypted-by",
            "mitm-request-bytes",
            "mitm-response-bytes",
            "mitm-sid",
            "mitm-session-time",
            "mitm-tls-message",
            "mitm-field-conversion",
        ),
        "suricata": ("suricata", "suricata-data", "suricata-process"),
        "fqdn": ("fqdn",),
        "cmd": ("cmd-v1", "cmd-set-hostname", "cmd-default-reason", "cmd-v2"),
        "gw_net_stats": ("gw_net_stats", "save-raw-net-rates", "gw_net_stats-rate-conversion"),
        "gw_sys_stats": (
            "gw_sys_stats",
            "cpu-cores-parse",
            "gw_sys_stats-field-conversion",
            "sys-stats-hec-payload",
        ),
        "tunnel_status": ("tunnel_status",),
        "vpn_session": ("vpn-session",),
    }
)

# Types classified by more than one filter (the others: their first filter).
_CLASSIFIER_IDS: Mapping[str, tuple[str, ...]] = types.MappingProxyType(
    {"cmd": ("cmd-v1", "cmd-v2")}
)

_DROP_FILTERS: Mapping[str, DropFilter] = types.MappingProxyType(
    {
        d.id: d
        for d in (
            DropFilter("suricata-non-json-drop", "suricata", "Non-JSON/notices"),
            DropFilter("suricata-json-failure-drop", "suricata", "Parse failures"),
            DropFilter("suricata-stats-drop", "suricata", "Stats filtered"),
        )
    }
)

# The sidecar issue spelled the non-ASIM Azure filters with the underscore type key; the
# pipelines use the dashed form. Both are recognised, only the dashed one is generated.
_AZURE_TIMEGEN_TYPES: tuple[str, ...] = tuple(k for k in LOG_TYPE_KEYS if k not in _ASIM_TYPES)
_FILTER_ALIASES: Mapping[str, str] = types.MappingProxyType(
    {
        f"{key}-azure-{step}": key
        for key in _AZURE_TIMEGEN_TYPES
        if key != _DASHED[key]
        for step in ("timegen", "cleanup")
    }
)

# Azure Log Ingestion streams. Tokens follow the original's variable names (netsession,
# websession, ids, ...); fqdn and vpn_session are sent too, so they get their own variables.
AZURE_STREAMS: Mapping[str, AzureStream] = types.MappingProxyType(
    {
        s.log_type: s
        for s in (
            AzureStream("microseg", "NETSESSION", "Custom-AviatrixNetworkSession_CL"),
            AzureStream("mitm", "WEBSESSION", "Custom-AviatrixWebSession_CL"),
            AzureStream("suricata", "IDS", "Custom-AviatrixIDS_CL"),
            AzureStream("fqdn", "FQDN", "Custom-AviatrixFQDN_CL"),
            AzureStream("cmd", "CMD", "Custom-AviatrixCmd_CL"),
            AzureStream("gw_net_stats", "GW_NET_STATS", "Custom-AviatrixGwNetStats_CL"),
            AzureStream("gw_sys_stats", "GW_SYS_STATS", "Custom-AviatrixGwSysStats_CL"),
            AzureStream("tunnel_status", "TUNNEL_STATUS", "Custom-AviatrixTunnelStatus_CL"),
            AzureStream("vpn_session", "VPN_SESSION", "Custom-AviatrixVPNSession_CL"),
        )
    }
)

# Prefix families used by detection for ids the catalog does not list exactly.
_DETECTION_PREFIXES: Mapping[str, str] = types.MappingProxyType(
    {
        "splunk-hec": "splunk-",
        "azure-log-ingestion": "azure-",
        "webhook-test": "webhook-",
        "zabbix": "zabbix-",
        "elasticsearch": "elasticsearch-",
    }
)


def _var(
    name: str,
    description: str,
    *,
    secret: bool = False,
    required: bool = True,
    default: str | None = None,
) -> EnvVar:
    return EnvVar(name, secret, required and default is None, default, description)


_COMMON_ENV: tuple[EnvVar, ...] = (
    _var(
        "LOG_PROFILE",
        "Which log types to forward: all, security or networking.",
        default="all",
    ),
    _var(
        "XPACK_MONITORING_ENABLED",
        "Logstash X-Pack monitoring; off, the sidecar polls the :9600 API instead.",
        default="false",
    ),
)

_SPLUNK_ENV: tuple[EnvVar, ...] = (
    _var("SPLUNK_ADDRESS", "Splunk HEC base URL with scheme, e.g. https://splunk.example.com."),
    _var("SPLUNK_PORT", "Splunk HEC port.", default="8088"),
    _var(
        "SPLUNK_HEC_AUTH",
        "Splunk HEC token (sent as 'Authorization: Splunk <token>').",
        secret=True,
    ),
    _var(
        "FLATTEN_SURICATA",
        "Flatten nested Suricata JSON into top-level fields for Splunk.",
        default="true",
    ),
)

_AZURE_ENV: tuple[EnvVar, ...] = (
    _var("AZURE_CLIENT_APP_ID", "Entra ID application (client) id used to write to the DCR."),
    _var("AZURE_CLIENT_APP_SECRET", "Client secret of that application.", secret=True),
    _var("AZURE_TENANT_ID", "Entra ID tenant id."),
    _var("AZURE_DCE_URL", "Data collection endpoint logs-ingestion URL."),
    *(
        v
        for s in AZURE_STREAMS.values()
        for v in (
            _var(s.dcr_env, f"Immutable id of the data collection rule for {s.log_type}."),
            _var(
                s.stream_env,
                f"DCR stream name for {s.log_type}.",
                default=s.default_stream,
            ),
        )
    ),
    _var(
        "AZURE_CLOUD",
        "Azure cloud: AzureCloud, AzureChinaCloud or AzureUSGovernment.",
        default="AzureCloud",
    ),
)

_DT_METRICS_ENV: tuple[EnvVar, ...] = (
    _var("DT_METRICS_URL", "Dynatrace metrics ingest URL (.../api/v2/metrics/ingest)."),
    _var("DT_API_TOKEN", "Dynatrace token with metrics ingest scope.", secret=True),
    _var("DT_METRIC_SOURCE", "Value of the 'source' metric dimension.", default="aviatrix"),
)

_DT_LOGS_ENV: tuple[EnvVar, ...] = (
    _var("DT_LOGS_URL", "Dynatrace logs ingest URL (.../api/v2/logs/ingest)."),
    _var("DT_LOGS_TOKEN", "Dynatrace token with logs ingest scope.", secret=True),
    _var("DT_LOG_SOURCE", "Value of the 'log.source' attribute on logs.", default="aviatrix"),
)

_ZABBIX_ENV: tuple[EnvVar, ...] = (
    _var("ZABBIX_SERVER", "Zabbix server or proxy host name or IP."),
    _var("ZABBIX_PORT", "Zabbix trapper port.", default="10051"),
    _var(
        "ZABBIX_HOST_PREFIX",
        "Prefix prepended to the gateway name to form the Zabbix host name.",
        default="",
    ),
)

_ES_ENV: tuple[EnvVar, ...] = (
    _var("ES_HOSTS", "Elasticsearch URLs with scheme, comma-separated."),
    _var("ES_USER", "Elasticsearch user with write access to the indices.", default="elastic"),
    _var("ES_PASSWORD", "Password of ES_USER.", secret=True),
    _var(
        "ES_INDEX_PREFIX",
        "Index name prefix; events go to <prefix>-<log type>-<date>.",
        default="aviatrix",
    ),
)

_WEBHOOK_ENV: tuple[EnvVar, ...] = (
    _var("WEBHOOK_URL", "URL every event is POSTed to (may embed a token).", secret=True),
)


def _per_type(prefix: str, log_types: Iterable[str]) -> Mapping[str, tuple[str, ...]]:
    return types.MappingProxyType({k: (f"{prefix}-{_DASHED[k]}",) for k in log_types})


def _no_filters(log_types: Iterable[str]) -> Mapping[str, tuple[str, ...]]:
    return types.MappingProxyType(dict.fromkeys(log_types, ()))


def _azure_filter_ids() -> Mapping[str, tuple[str, ...]]:
    ids: dict[str, tuple[str, ...]] = {}
    for key in LOG_TYPE_KEYS:
        if key in _ASIM_TYPES:
            steps = ["asim-common", "asim-mapping", "asim-int-coerce", "azure-cleanup"]
            if key == "suricata":
                steps.insert(0, "azure-flatten")
        else:
            steps = ["azure-timegen", "azure-cleanup"]
        ids[key] = tuple(f"{_DASHED[key]}-{step}" for step in steps)
    return types.MappingProxyType(ids)


_DT_LOG_BUILDERS: Mapping[str, tuple[str, ...]] = types.MappingProxyType(
    {k: (f"dynatrace-build-{_DASHED[k]}-log",) for k in _NON_STATS_TYPES}
)
_DT_METRIC_BUILDERS: Mapping[str, tuple[str, ...]] = types.MappingProxyType(
    {
        "gw_net_stats": ("dynatrace-build-net-stats-mint",),
        "gw_sys_stats": ("dynatrace-build-sys-stats-mint",),
    }
)


def _output_types() -> Mapping[str, OutputType]:
    all_types = LOG_TYPE_KEYS
    dt_logs_ids = dict.fromkeys(_NON_STATS_TYPES, ("dynatrace-logs",))
    dt_metrics_ids = dict.fromkeys(_STATS_TYPES, ("dynatrace-metrics",))
    built = (
        OutputType(
            key="splunk-hec",
            label="Splunk HEC",
            log_types=all_types,
            logstash_plugins=(),
            env=(*_SPLUNK_ENV, *_COMMON_ENV),
            destination_env=("SPLUNK_ADDRESS",),
            output_ids=_per_type("splunk", all_types),
            filter_ids=_no_filters(all_types),
        ),
        OutputType(
            key="azure-log-ingestion",
            label="Azure Log Ingestion (Sentinel)",
            log_types=all_types,
            logstash_plugins=("microsoft-sentinel-log-analytics-logstash-output-plugin",),
            env=(*_AZURE_ENV, *_COMMON_ENV),
            destination_env=("AZURE_DCE_URL",),
            output_ids=_per_type("azure", all_types),
            filter_ids=_azure_filter_ids(),
        ),
        OutputType(
            key="dynatrace",
            label="Dynatrace (logs and metrics)",
            log_types=all_types,
            logstash_plugins=(),
            env=(*_DT_LOGS_ENV, *_DT_METRICS_ENV, *_COMMON_ENV),
            destination_env=("DT_LOGS_URL", "DT_METRICS_URL"),
            output_ids=types.MappingProxyType(
                {k: (dt_logs_ids | dt_metrics_ids)[k] for k in all_types}
            ),
            filter_ids=types.MappingProxyType(
                {k: {**_DT_LOG_BUILDERS, **_DT_METRIC_BUILDERS}[k] for k in all_types}
            ),
        ),
        OutputType(
            key="dynatrace-logs",
            label="Dynatrace Logs",
            log_types=_NON_STATS_TYPES,
            logstash_plugins=(),
            env=(*_DT_LOGS_ENV, *_COMMON_ENV),
            destination_env=("DT_LOGS_URL",),
            output_ids=types.MappingProxyType(dt_logs_ids),
            filter_ids=_DT_LOG_BUILDERS,
        ),
        OutputType(
            key="dynatrace-metrics",
            label="Dynatrace Metrics",
            log_types=_STATS_TYPES,
            logstash_plugins=(),
            env=(*_DT_METRICS_ENV, *_COMMON_ENV),
            destination_env=("DT_METRICS_URL",),
            output_ids=types.MappingProxyType(dt_metrics_ids),
            filter_ids=_DT_METRIC_BUILDERS,
        ),
        OutputType(
            key="zabbix",
            label="Zabbix",
            log_types=_STATS_TYPES,
            logstash_plugins=("logstash-output-zabbix",),
            env=(*_ZABBIX_ENV, *_COMMON_ENV),
            destination_env=("ZABBIX_SERVER",),
            output_ids=types.MappingProxyType(
                {"gw_net_stats": ("zabbix-net-stats",), "gw_sys_stats": ("zabbix-sys-stats",)}
            ),
            filter_ids=types.MappingProxyType(
                {
                    "gw_net_stats": ("zabbix-build-net-stats-json",),
                    "gw_sys_stats": ("zabbix-build-sys-stats-json",),
                }
            ),
        ),
        OutputType(
            key="elasticsearch",
            label="Elasticsearch",
            log_types=all_types,
            logstash_plugins=(),
            env=(*_ES_ENV, *_COMMON_ENV),
            destination_env=("ES_HOSTS",),
            output_ids=_per_type("elasticsearch", all_types),
            filter_ids=_no_filters(all_types),
        ),
        OutputType(
            key="webhook-test",
            label="Webhook (test)",
            log_types=all_types,
            logstash_plugins=(),
            env=(*_WEBHOOK_ENV, *_COMMON_ENV),
            destination_env=(),
            output_ids=_per_type("webhook", all_types),
            filter_ids=_no_filters(all_types),
            unclassified_output_id=UNCLASSIFIED_OUTPUT_ID,
        ),
    )
    return types.MappingProxyType({o.key: o for o in built})


def default_catalog() -> Catalog:
    """The stashkit catalog: nine log types, eight output types."""
    return Catalog(
        log_types=_LOG_TYPES,
        output_types=_output_types(),
        profiles=_PROFILES,
        drop_filters=_DROP_FILTERS,
        global_filter_ids=GLOBAL_FILTER_IDS,
        filter_ids=_FILTER_IDS,
        filter_aliases=_FILTER_ALIASES,
        classifier_ids=_CLASSIFIER_IDS,
    )
