"""Unit tests of the catalog: plugin id roles, output types, profiles and env vars.

The id tables below are written out by hand from FORMATS.md sections 3-6 and the sidecar issue,
not derived from the catalog, so a renamed id shows up as a failing case.
"""

from __future__ import annotations

import dataclasses
import re
import types

import pytest

from status_sidecar.catalog import (
    AZURE_STREAMS,
    INPUT_IDS,
    SYSLOG_TLS_SECRETS,
    UNCLASSIFIED_DROP_ID,
    UNCLASSIFIED_DROP_REASON,
    UNCLASSIFIED_FILTER_ID,
    UNCLASSIFIED_OUTPUT_ID,
    Catalog,
    DropFilter,
    EnvVar,
    LogType,
    OutputType,
    PluginKind,
    PluginRole,
    default_catalog,
)

CATALOG = default_catalog()

ALL_TYPES = (
    "microseg",
    "mitm",
    "suricata",
    "fqdn",
    "cmd",
    "gw_net_stats",
    "gw_sys_stats",
    "tunnel_status",
    "vpn_session",
)
STATS_TYPES = ("gw_net_stats", "gw_sys_stats")
NON_STATS_TYPES = tuple(t for t in ALL_TYPES if t not in STATS_TYPES)
DASHED = {
    "microseg": "microseg",
    "mitm": "mitm",
    "suricata": "suricata",
    "fqdn": "fqdn",
    "cmd": "cmd",
    "gw_net_stats": "gw-net-stats",
    "gw_sys_stats": "gw-sys-stats",
    "tunnel_status": "tunnel-status",
    "vpn_session": "vpn-session",
}

# FORMATS.md section 5: the 27 log-type filter ids the original sidecar knew.
ORIGINAL_LOG_TYPE_FILTERS = {
    "microseg": "microseg",
    "microseg-legacy-defaults": "microseg",
    "microseg-field-conversion": "microseg",
    "mitm": "mitm",
    "mitm-json": "mitm",
    "mitm-timestamp": "mitm",
    "mitm-map-to-microseg": "mitm",
    "mitm-map-drop-to-deny": "mitm",
    "mitm-url-parts": "mitm",
    "mitm-decrypted-by": "mitm",
    "mitm-field-conversion": "mitm",
    "suricata": "suricata",
    "suricata-data": "suricata",
    "suricata-process": "suricata",
    "fqdn": "fqdn",
    "cmd-v1": "cmd",
    "cmd-v2": "cmd",
    "cmd-set-hostname": "cmd",
    "cmd-default-reason": "cmd",
    "gw_net_stats": "gw_net_stats",
    "gw_net_stats-rate-conversion": "gw_net_stats",
    "save-raw-net-rates": "gw_net_stats",
    "gw_sys_stats": "gw_sys_stats",
    "gw_sys_stats-field-conversion": "gw_sys_stats",
    "cpu-cores-parse": "gw_sys_stats",
    "sys-stats-hec-payload": "gw_sys_stats",
    "tunnel_status": "tunnel_status",
}

# FORMATS.md section 5: the 21 Azure filter ids of 39bee9a.
ORIGINAL_AZURE_FILTERS = {
    **{
        f"{t}-{step}": t
        for t in ("suricata", "microseg", "mitm")
        for step in ("asim-common", "asim-mapping", "azure-cleanup", "asim-int-coerce")
    },
    "suricata-azure-flatten": "suricata",
    "gw-net-stats-azure-timegen": "gw_net_stats",
    "gw-sys-stats-azure-timegen": "gw_sys_stats",
    "cmd-azure-timegen": "cmd",
    "tunnel-status-azure-timegen": "tunnel_status",
    "gw-net-stats-azure-cleanup": "gw_net_stats",
    "gw-sys-stats-azure-cleanup": "gw_sys_stats",
    "cmd-azure-cleanup": "cmd",
    "tunnel-status-azure-cleanup": "tunnel_status",
}

# FORMATS.md section 5: ids present only at HEAD.
HEAD_ONLY_FILTERS = {
    "microseg-session-enrichment": "microseg",
    "mitm-request-bytes": "mitm",
    "mitm-response-bytes": "mitm",
    "mitm-sid": "mitm",
    "mitm-session-time": "mitm",
    "mitm-tls-message": "mitm",
    "vpn-session": "vpn_session",
    "vpn-session-azure-timegen": "vpn_session",
    "vpn-session-azure-cleanup": "vpn_session",
    "dynatrace-build-vpn-session-log": "vpn_session",
}

BUILDER_FILTERS = {
    "dynatrace-build-microseg-log": "microseg",
    "dynatrace-build-mitm-log": "mitm",
    "dynatrace-build-suricata-log": "suricata",
    "dynatrace-build-fqdn-log": "fqdn",
    "dynatrace-build-cmd-log": "cmd",
    "dynatrace-build-tunnel-status-log": "tunnel_status",
    "dynatrace-build-net-stats-mint": "gw_net_stats",
    "dynatrace-build-sys-stats-mint": "gw_sys_stats",
    "zabbix-build-net-stats-json": "gw_net_stats",
    "zabbix-build-sys-stats-json": "gw_sys_stats",
}

# The sidecar issue's spellings and stashkit's own fqdn Azure handling.
STASHKIT_FILTERS = {
    "gw_net_stats-azure-timegen": "gw_net_stats",
    "gw_net_stats-azure-cleanup": "gw_net_stats",
    "gw_sys_stats-azure-timegen": "gw_sys_stats",
    "gw_sys_stats-azure-cleanup": "gw_sys_stats",
    "tunnel_status-azure-timegen": "tunnel_status",
    "tunnel_status-azure-cleanup": "tunnel_status",
    "vpn_session-azure-timegen": "vpn_session",
    "vpn_session-azure-cleanup": "vpn_session",
    "fqdn-azure-timegen": "fqdn",
    "fqdn-azure-cleanup": "fqdn",
}

EXPECTED_FILTERS = {
    **ORIGINAL_LOG_TYPE_FILTERS,
    **ORIGINAL_AZURE_FILTERS,
    **HEAD_ONLY_FILTERS,
    **BUILDER_FILTERS,
    **STASHKIT_FILTERS,
}

EXPECTED_DROPS = {
    "suricata-non-json-drop": "Non-JSON/notices",
    "suricata-json-failure-drop": "Parse failures",
    "suricata-stats-drop": "Stats filtered",
}

EXPECTED_OUTPUTS: dict[str, tuple[str, ...]] = {
    **{
        f"{prefix}-{DASHED[t]}": (t,)
        for prefix in ("splunk", "azure", "webhook")
        for t in ALL_TYPES
    },
    **{f"elasticsearch-{DASHED[t]}": (t,) for t in ALL_TYPES},
    "zabbix-net-stats": ("gw_net_stats",),
    "zabbix-sys-stats": ("gw_sys_stats",),
    "dynatrace-logs": NON_STATS_TYPES,
    "dynatrace-metrics": STATS_TYPES,
}

AUTO_ID = "6c4f7e4c0b8e1b5a2d8a3f1e9c7b6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99"

OUTPUT_TYPE_KEYS = (
    "splunk-hec",
    "azure-log-ingestion",
    "dynatrace",
    "dynatrace-logs",
    "dynatrace-metrics",
    "zabbix",
    "elasticsearch",
    "webhook-test",
)

SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# ------------------------------------------------------------------------------------------
# Log types and profiles
# ------------------------------------------------------------------------------------------


def test_should_list_nine_log_types_in_order_with_dashed_forms_and_labels() -> None:
    assert CATALOG.log_types == (
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
    assert CATALOG.log_type_keys == ALL_TYPES


@pytest.mark.parametrize(
    ("key", "label"), [("gw_sys_stats", "GW Sys Stats"), ("mitm", "L7 MITM/DCF")]
)
def test_should_look_up_log_type_by_key(key: str, label: str) -> None:
    assert CATALOG.log_type(key).label == label


@pytest.mark.parametrize("key", ["gw-net-stats", "ci-test", "", "other"])
def test_should_raise_key_error_for_unknown_log_type(key: str) -> None:
    with pytest.raises(KeyError):
        CATALOG.log_type(key)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("all", set(ALL_TYPES)),
        ("security", {"suricata", "mitm", "microseg", "fqdn", "cmd", "vpn_session"}),
        ("networking", {"gw_net_stats", "gw_sys_stats", "tunnel_status"}),
    ],
)
def test_should_resolve_log_profiles(profile: str, expected: set[str]) -> None:
    assert CATALOG.profile_types(profile) == frozenset(expected)
    assert CATALOG.profiles[profile] == frozenset(expected)


@pytest.mark.parametrize("profile", ["operations", "ALL", ""])
def test_should_raise_key_error_for_unknown_profile(profile: str) -> None:
    with pytest.raises(KeyError):
        CATALOG.profile_types(profile)


def test_should_split_all_types_between_security_and_networking() -> None:
    security = CATALOG.profile_types("security")
    networking = CATALOG.profile_types("networking")
    assert not security & networking
    assert security | networking == CATALOG.profile_types("all")


# ------------------------------------------------------------------------------------------
# Roles
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("plugin_id", "log_type"), sorted(EXPECTED_FILTERS.items()))
def test_should_map_filter_id_to_its_log_type(plugin_id: str, log_type: str) -> None:
    assert CATALOG.role(plugin_id, "filter") == PluginRole("log_type", (log_type,))


@pytest.mark.parametrize(("plugin_id", "reason"), sorted(EXPECTED_DROPS.items()))
def test_should_map_drop_filter_to_suricata_with_reason(plugin_id: str, reason: str) -> None:
    assert CATALOG.role(plugin_id, "filter") == PluginRole("drop", ("suricata",), reason)
    assert CATALOG.drop_filters[plugin_id] == DropFilter(plugin_id, "suricata", reason)


def test_should_know_exactly_the_three_suricata_drops() -> None:
    assert set(CATALOG.drop_filters) == set(EXPECTED_DROPS)


@pytest.mark.parametrize("plugin_id", ["date-to-timestamp", "add-unix-time"])
def test_should_map_global_filters(plugin_id: str) -> None:
    assert CATALOG.role(plugin_id, "filter") == PluginRole("global", ())
    assert plugin_id in CATALOG.global_filter_ids


def test_should_map_unclassified_filter() -> None:
    assert UNCLASSIFIED_FILTER_ID == "unclassified"
    assert CATALOG.role("unclassified", "filter") == PluginRole("unclassified", ())


def test_should_map_the_unclassified_drop_and_output_to_no_log_type() -> None:
    assert UNCLASSIFIED_DROP_ID == "unclassified-drop"
    assert UNCLASSIFIED_OUTPUT_ID == "webhook-unclassified"
    assert CATALOG.role("unclassified-drop", "filter") == PluginRole(
        "drop", (), UNCLASSIFIED_DROP_REASON
    )
    assert CATALOG.role("webhook-unclassified", "output") == PluginRole("output", ())
    assert CATALOG.output_types["webhook-test"].unclassified_output_id == "webhook-unclassified"
    others = [o for o in CATALOG.output_types.values() if o.key != "webhook-test"]
    assert all(o.unclassified_output_id is None for o in others)
    assert CATALOG.detect_output_type(["webhook-unclassified"]) == "webhook-test"


def test_should_know_the_syslog_inputs() -> None:
    assert INPUT_IDS == ("syslog-tcp", "syslog-udp", "syslog-tls")
    for plugin_id in INPUT_IDS:
        assert CATALOG.role(plugin_id, "input") == PluginRole("input", ())
        assert CATALOG.role(plugin_id, "filter") == PluginRole("other", ())


def test_should_name_the_syslog_tls_secrets_and_files() -> None:
    assert [(s.name, s.file, s.client_auth_only) for s in SYSLOG_TLS_SECRETS] == [
        ("SYSLOG_TLS_CERT", "server.crt", False),
        ("SYSLOG_TLS_KEY", "server.key", False),
        ("SYSLOG_TLS_CA", "ca.crt", True),
    ]
    secret_envs = {v.name for o in CATALOG.output_types.values() for v in o.env}
    assert not {s.name for s in SYSLOG_TLS_SECRETS} & secret_envs  # files, never env vars


@pytest.mark.parametrize(("plugin_id", "log_types"), sorted(EXPECTED_OUTPUTS.items()))
def test_should_map_output_id_to_the_log_types_it_serves(
    plugin_id: str, log_types: tuple[str, ...]
) -> None:
    assert CATALOG.role(plugin_id, "output") == PluginRole("output", log_types)


@pytest.mark.parametrize(
    ("plugin_id", "log_types"),
    [
        (
            "dynatrace-logs",
            ("microseg", "mitm", "suricata", "fqdn", "cmd", "tunnel_status", "vpn_session"),
        ),
        ("dynatrace-metrics", ("gw_net_stats", "gw_sys_stats")),
    ],
)
def test_should_map_shared_dynatrace_outputs_to_several_types(
    plugin_id: str, log_types: tuple[str, ...]
) -> None:
    assert CATALOG.role(plugin_id, "output").log_types == log_types


@pytest.mark.parametrize(
    ("plugin_id", "kind"),
    [
        (AUTO_ID, "filter"),
        (AUTO_ID, "output"),
        ("my-custom-mutate", "filter"),
        ("zabbix-gw-net-stats", "output"),  # section 5: spelled that way only in the wish list
        ("zabbix-microseg", "output"),
        ("dynatrace-build-gw-net-stats-log", "filter"),
        ("microseg-throttle", "filter"),  # removed before 39bee9a
        ("Microseg", "filter"),  # ids are case-sensitive
        ("", "filter"),
        ("splunk-microseg", "filter"),  # an output id is not a filter
        ("microseg", "output"),  # a filter id is not an output
        ("suricata-stats-drop", "output"),
        ("microseg", "input"),
        ("splunk-microseg", "codec"),
        ("udp-5000", "input"),
    ],
)
def test_should_classify_unknown_ids_as_other(plugin_id: str, kind: PluginKind) -> None:
    assert CATALOG.role(plugin_id, kind) == PluginRole("other", ())


def test_should_know_every_expected_id() -> None:
    expected = (
        set(EXPECTED_FILTERS)
        | set(EXPECTED_DROPS)
        | set(EXPECTED_OUTPUTS)
        | {"date-to-timestamp", "add-unix-time", "unclassified"}
        | {"unclassified-drop", "webhook-unclassified", *INPUT_IDS}
    )
    assert expected <= CATALOG.known_plugin_ids()


def test_should_know_no_id_outside_the_expected_tables() -> None:
    expected = (
        set(EXPECTED_FILTERS)
        | set(EXPECTED_DROPS)
        | set(EXPECTED_OUTPUTS)
        | {"date-to-timestamp", "add-unix-time", "unclassified"}
        | {"unclassified-drop", "webhook-unclassified", *INPUT_IDS}
    )
    assert CATALOG.known_plugin_ids() == expected


def test_should_give_every_known_id_exactly_one_role() -> None:
    for plugin_id in CATALOG.known_plugin_ids():
        roles = [
            role
            for kind in ("input", "filter", "output")
            if (role := CATALOG.role(plugin_id, kind)).kind != "other"
        ]
        assert len(roles) == 1, (plugin_id, roles)


def test_should_classify_every_base_filter_id_to_its_own_type() -> None:
    for key, ids in CATALOG.filter_ids.items():
        for plugin_id in ids:
            assert CATALOG.role(plugin_id, "filter") == PluginRole("log_type", (key,))


# ------------------------------------------------------------------------------------------
# Output types
# ------------------------------------------------------------------------------------------


def test_should_define_exactly_the_eight_output_types() -> None:
    assert tuple(CATALOG.output_types) == OUTPUT_TYPE_KEYS
    for key, output_type in CATALOG.output_types.items():
        assert output_type.key == key
        assert output_type.label


@pytest.mark.parametrize(
    ("key", "log_types"),
    [
        ("splunk-hec", ALL_TYPES),
        ("azure-log-ingestion", ALL_TYPES),
        ("dynatrace", ALL_TYPES),
        ("dynatrace-logs", NON_STATS_TYPES),
        ("dynatrace-metrics", STATS_TYPES),
        ("zabbix", STATS_TYPES),
        ("elasticsearch", ALL_TYPES),
        ("webhook-test", ALL_TYPES),
    ],
)
def test_should_send_the_documented_log_types(key: str, log_types: tuple[str, ...]) -> None:
    assert CATALOG.output_types[key].log_types == log_types


@pytest.mark.parametrize("key", OUTPUT_TYPE_KEYS)
def test_should_cover_exactly_its_log_types_with_output_ids(key: str) -> None:
    output_type = CATALOG.output_types[key]
    assert set(output_type.output_ids) == set(output_type.log_types)
    for log_type, ids in output_type.output_ids.items():
        assert ids, log_type
        for plugin_id in ids:
            role = CATALOG.role(plugin_id, "output")
            assert role.kind == "output"
            assert log_type in role.log_types


@pytest.mark.parametrize("key", OUTPUT_TYPE_KEYS)
def test_should_key_output_filters_by_its_own_log_types(key: str) -> None:
    output_type = CATALOG.output_types[key]
    assert set(output_type.filter_ids) <= set(output_type.log_types)
    for log_type, ids in output_type.filter_ids.items():
        for plugin_id in ids:
            assert CATALOG.role(plugin_id, "filter") == PluginRole("log_type", (log_type,))


@pytest.mark.parametrize(
    ("key", "log_type", "output_ids", "filter_ids"),
    [
        ("splunk-hec", "gw_sys_stats", ("splunk-gw-sys-stats",), ()),
        (
            "azure-log-ingestion",
            "suricata",
            ("azure-suricata",),
            (
                "suricata-azure-flatten",
                "suricata-asim-common",
                "suricata-asim-mapping",
                "suricata-asim-int-coerce",
                "suricata-azure-cleanup",
            ),
        ),
        (
            "azure-log-ingestion",
            "fqdn",
            ("azure-fqdn",),
            ("fqdn-azure-timegen", "fqdn-azure-cleanup"),
        ),
        (
            "azure-log-ingestion",
            "tunnel_status",
            ("azure-tunnel-status",),
            ("tunnel-status-azure-timegen", "tunnel-status-azure-cleanup"),
        ),
        ("dynatrace", "fqdn", ("dynatrace-logs",), ("dynatrace-build-fqdn-log",)),
        ("dynatrace", "gw_net_stats", ("dynatrace-metrics",), ("dynatrace-build-net-stats-mint",)),
        (
            "dynatrace-logs",
            "vpn_session",
            ("dynatrace-logs",),
            ("dynatrace-build-vpn-session-log",),
        ),
        (
            "dynatrace-metrics",
            "gw_sys_stats",
            ("dynatrace-metrics",),
            ("dynatrace-build-sys-stats-mint",),
        ),
        ("zabbix", "gw_net_stats", ("zabbix-net-stats",), ("zabbix-build-net-stats-json",)),
        ("zabbix", "gw_sys_stats", ("zabbix-sys-stats",), ("zabbix-build-sys-stats-json",)),
        ("elasticsearch", "cmd", ("elasticsearch-cmd",), ()),
        ("webhook-test", "vpn_session", ("webhook-vpn-session",), ()),
    ],
)
def test_should_name_output_and_filter_ids_per_log_type(
    key: str, log_type: str, output_ids: tuple[str, ...], filter_ids: tuple[str, ...]
) -> None:
    output_type = CATALOG.output_types[key]
    assert output_type.output_ids[log_type] == output_ids
    assert output_type.filter_ids.get(log_type, ()) == filter_ids


def test_should_generate_only_dashed_azure_filter_ids() -> None:
    generated = set(CATALOG.output_types["azure-log-ingestion"].all_filter_ids())
    assert not {i for i in generated if "_" in i}
    assert set(CATALOG.filter_aliases) == {i for i in STASHKIT_FILTERS if "_" in i}


def test_should_keep_combined_dynatrace_the_union_of_its_halves() -> None:
    outputs = CATALOG.output_types
    combined = outputs["dynatrace"]
    for half in (outputs["dynatrace-logs"], outputs["dynatrace-metrics"]):
        for log_type in half.log_types:
            assert combined.output_ids[log_type] == half.output_ids[log_type]
            assert combined.filter_ids[log_type] == half.filter_ids[log_type]
    assert combined.all_output_ids() == ("dynatrace-logs", "dynatrace-metrics")


@pytest.mark.parametrize(
    ("key", "plugins"),
    [
        ("splunk-hec", ()),
        ("azure-log-ingestion", ("microsoft-sentinel-log-analytics-logstash-output-plugin",)),
        ("dynatrace", ()),
        ("dynatrace-logs", ()),
        ("dynatrace-metrics", ()),
        ("zabbix", ("logstash-output-zabbix",)),
        ("elasticsearch", ()),
        ("webhook-test", ()),
    ],
)
def test_should_record_extra_logstash_plugins(key: str, plugins: tuple[str, ...]) -> None:
    output_type = CATALOG.output_types[key]
    assert output_type.logstash_plugins == plugins
    assert output_type.uses_stock_image is (plugins == ())


# ------------------------------------------------------------------------------------------
# Output type detection
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", OUTPUT_TYPE_KEYS)
def test_should_detect_each_output_type_from_its_own_ids(key: str) -> None:
    ids = CATALOG.output_types[key].all_output_ids()
    assert CATALOG.detect_output_type(ids) == key
    assert CATALOG.detect_output_type([*reversed(ids), AUTO_ID]) == key


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["dynatrace-metrics", "dynatrace-logs"], "dynatrace"),
        (["dynatrace-logs"], "dynatrace-logs"),
        (["dynatrace-metrics"], "dynatrace-metrics"),
        (["zabbix-sys-stats"], "zabbix"),
        (["zabbix-custom"], "zabbix"),
        (["elasticsearch-microseg", AUTO_ID], "elasticsearch"),
        (["elasticsearch-custom-index"], "elasticsearch"),
        (["splunk-cmd"], "splunk-hec"),
        (["splunk-some-future-type"], "splunk-hec"),
        (["azure-fqdn"], "azure-log-ingestion"),
        (["webhook-mitm", "stdout-debug"], "webhook-test"),
        # mixed families: the family with the most ids wins
        (["splunk-cmd", "splunk-fqdn", "webhook-cmd"], "splunk-hec"),
        (["splunk-cmd", "webhook-cmd", "webhook-fqdn"], "webhook-test"),
        (["zabbix-net-stats", "zabbix-sys-stats", "dynatrace-metrics"], "zabbix"),
        # a tie goes to catalog order
        (["splunk-cmd", "webhook-cmd"], "splunk-hec"),
        # duplicates count once
        (["webhook-cmd", "webhook-cmd", "splunk-cmd"], "splunk-hec"),
        ([], None),
        ([AUTO_ID], None),
        (["file-ci-test", "stdout", "dynatrace-other"], None),
        (["SPLUNK-cmd"], None),
    ],
)
def test_should_detect_output_type_from_mixed_or_unknown_ids(
    ids: list[str], expected: str | None
) -> None:
    assert CATALOG.detect_output_type(ids) == expected


def test_should_detect_from_any_iterable() -> None:
    assert CATALOG.detect_output_type(i for i in ("dynatrace-logs", "dynatrace-metrics")) == (
        "dynatrace"
    )


# ------------------------------------------------------------------------------------------
# Environment variables
# ------------------------------------------------------------------------------------------

EXPECTED_SECRETS = {
    "splunk-hec": {"SPLUNK_HEC_AUTH"},
    "azure-log-ingestion": {"AZURE_CLIENT_APP_SECRET"},
    "dynatrace": {"DT_API_TOKEN", "DT_LOGS_TOKEN"},
    "dynatrace-logs": {"DT_LOGS_TOKEN"},
    "dynatrace-metrics": {"DT_API_TOKEN"},
    "zabbix": set(),
    "elasticsearch": {"ES_PASSWORD"},
    "webhook-test": {"WEBHOOK_URL"},
}


@pytest.mark.parametrize(("key", "secrets"), sorted(EXPECTED_SECRETS.items()))
def test_should_flag_secret_env_vars(key: str, secrets: set[str]) -> None:
    output_type = CATALOG.output_types[key]
    assert {v.name for v in output_type.env if v.secret} == secrets


@pytest.mark.parametrize("key", OUTPUT_TYPE_KEYS)
def test_should_use_valid_shell_identifiers_once_each(key: str) -> None:
    names = [v.name for v in CATALOG.output_types[key].env]
    assert all(SHELL_NAME.match(n) for n in names), names
    assert all(n == n.upper() for n in names), names
    assert len(names) == len(set(names))


@pytest.mark.parametrize("key", OUTPUT_TYPE_KEYS)
def test_should_describe_every_env_var_and_keep_defaults_optional(key: str) -> None:
    for var in CATALOG.output_types[key].env:
        assert var.description.strip(), var.name
        assert "\n" not in var.description
        if var.default is not None:
            assert not var.required, var.name
        if var.secret:
            assert var.default is None, var.name


@pytest.mark.parametrize(
    ("key", "destination"),
    [
        ("splunk-hec", ("SPLUNK_ADDRESS",)),
        ("azure-log-ingestion", ("AZURE_DCE_URL",)),
        ("dynatrace", ("DT_LOGS_URL", "DT_METRICS_URL")),
        ("dynatrace-logs", ("DT_LOGS_URL",)),
        ("dynatrace-metrics", ("DT_METRICS_URL",)),
        ("zabbix", ("ZABBIX_SERVER",)),
        ("elasticsearch", ("ES_HOSTS",)),
        ("webhook-test", ()),
    ],
)
def test_should_label_destination_with_a_plain_env_var(
    key: str, destination: tuple[str, ...]
) -> None:
    output_type = CATALOG.output_types[key]
    assert output_type.destination_env == destination
    for name in destination:
        assert not output_type.env_var(name).secret


@pytest.mark.parametrize(
    ("key", "name", "required", "default"),
    [
        ("splunk-hec", "SPLUNK_ADDRESS", True, None),
        ("splunk-hec", "SPLUNK_PORT", False, "8088"),
        ("splunk-hec", "SPLUNK_HEC_AUTH", True, None),
        ("splunk-hec", "FLATTEN_SURICATA", False, "true"),
        ("splunk-hec", "LOG_PROFILE", False, "all"),
        ("azure-log-ingestion", "AZURE_CLIENT_APP_ID", True, None),
        ("azure-log-ingestion", "AZURE_TENANT_ID", True, None),
        ("azure-log-ingestion", "AZURE_CLOUD", False, "AzureCloud"),
        ("azure-log-ingestion", "AZURE_DCR_FQDN_ID", True, None),
        ("azure-log-ingestion", "AZURE_STREAM_VPN_SESSION", False, "Custom-AviatrixVPNSession_CL"),
        (
            "azure-log-ingestion",
            "AZURE_STREAM_NETSESSION",
            False,
            "Custom-AviatrixNetworkSession_CL",
        ),
        ("dynatrace", "DT_METRIC_SOURCE", False, "aviatrix"),
        ("dynatrace-logs", "DT_LOG_SOURCE", False, "aviatrix"),
        ("zabbix", "ZABBIX_PORT", False, "10051"),
        ("zabbix", "ZABBIX_HOST_PREFIX", False, ""),
        ("elasticsearch", "ES_HOSTS", True, None),
        ("elasticsearch", "ES_INDEX_PREFIX", False, "aviatrix"),
        ("webhook-test", "WEBHOOK_URL", True, None),
    ],
)
def test_should_define_env_var_requirement_and_default(
    key: str, name: str, required: bool, default: str | None
) -> None:
    var = CATALOG.output_types[key].env_var(name)
    assert (var.required, var.default) == (required, default)


def test_should_raise_key_error_for_env_var_an_output_does_not_use() -> None:
    with pytest.raises(KeyError):
        CATALOG.output_types["zabbix"].env_var("SPLUNK_ADDRESS")


def test_should_define_azure_stream_vars_for_every_type_it_sends() -> None:
    azure = CATALOG.output_types["azure-log-ingestion"]
    names = {v.name for v in azure.env}
    assert set(AZURE_STREAMS) == set(azure.log_types)
    for log_type in azure.log_types:
        stream = AZURE_STREAMS[log_type]
        assert stream.dcr_env in names
        assert stream.stream_env in names
        assert stream.default_stream.startswith("Custom-Aviatrix")
        assert stream.default_stream.endswith("_CL")
    assert {"AZURE_DCR_FQDN_ID", "AZURE_DCR_VPN_SESSION_ID", "AZURE_DCR_IDS_ID"} <= names


# ------------------------------------------------------------------------------------------
# Immutability and validation
# ------------------------------------------------------------------------------------------


def test_should_be_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOG.log_types = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOG.output_types["zabbix"].label = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CATALOG.output_types["zabbix"].output_ids["gw_net_stats"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        CATALOG.profiles["all"] = frozenset()  # type: ignore[index]


def test_should_build_equal_catalogs_on_each_call() -> None:
    assert default_catalog() == default_catalog()


def _with(**changes: object) -> Catalog:
    base: dict[str, object] = {
        "log_types": CATALOG.log_types,
        "output_types": CATALOG.output_types,
        "profiles": CATALOG.profiles,
        "drop_filters": CATALOG.drop_filters,
        "global_filter_ids": CATALOG.global_filter_ids,
        "filter_ids": CATALOG.filter_ids,
        "filter_aliases": CATALOG.filter_aliases,
        "classifier_ids": CATALOG.classifier_ids,
    }
    base.update(changes)
    return Catalog(**base)  # type: ignore[arg-type]


def _splunk_with(**changes: object) -> dict[str, OutputType]:
    splunk = dataclasses.replace(CATALOG.output_types["splunk-hec"], **changes)  # type: ignore[arg-type]
    return {**CATALOG.output_types, "splunk-hec": splunk}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"filter_ids": {**CATALOG.filter_ids, "fqdn": ("fqdn", "mitm-json")}},
            "two roles",
        ),
        (
            {"filter_ids": {**CATALOG.filter_ids, "cmd": ("cmd-v1", "splunk-fqdn")}},
            "both a filter and an output",
        ),
        ({"filter_ids": {**CATALOG.filter_ids, "nope": ("x",)}}, "unknown log types"),
        ({"filter_aliases": {"suricata-stats-drop": "suricata"}}, "two roles"),
        ({"global_filter_ids": frozenset({"fqdn"})}, "two roles"),
        ({"profiles": {"all": frozenset({"nope"})}}, "unknown log types"),
        (
            {"drop_filters": {"x-drop": DropFilter("x-drop", "nope", "reason")}},
            "unknown log types",
        ),
        (
            {"output_types": _splunk_with(output_ids=types.MappingProxyType({"cmd": ("x",)}))},
            "cover exactly",
        ),
        (
            {
                "output_types": _splunk_with(
                    filter_ids=types.MappingProxyType({"nope": ("x",)}),
                )
            },
            "does not send",
        ),
        (
            {"output_types": _splunk_with(env=(EnvVar("BAD-NAME", False, True, None, "d"),))},
            "invalid env var name",
        ),
        (
            {"output_types": _splunk_with(destination_env=("SPLUNK_HEC_AUTH",))},
            "secret",
        ),
        (
            {"output_types": _splunk_with(destination_env=("NOT_DEFINED",))},
            "does not define",
        ),
        (
            {"log_types": (*CATALOG.log_types, LogType("cmd", "cmd2", "Dup"))},
            "duplicate log type keys",
        ),
        ({"classifier_ids": {"cmd": ("cmd-v1", "fqdn")}}, "not all filters of cmd"),
        ({"classifier_ids": {"nope": ("x",)}}, "unknown log types"),
    ],
)
def test_should_reject_inconsistent_catalog_data(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _with(**changes)
