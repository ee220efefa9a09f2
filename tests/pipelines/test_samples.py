"""Every rendered pipeline's classification and grok patterns, run over every sample.

The pipeline under test is the rendered one: its filter section (the classification chain, each
grok's ``match`` and ``pattern_definitions``, the conversions and drops) and its output section
are read from the parsed config and executed by :mod:`tests.pipelines.interpreter`; nothing is
restated here. For every message:

* it is classified as exactly its own type (``[@metadata][log_type]`` and the type's tag), and
  the filter ids it passes belong to that type only, as the sidecar counts them;
* the documented fields come out with the right values and conversions (FORMATS.md section 3),
  per sample where the sample says so;
* the suricata notice hits ``suricata-non-json-drop``; a message of no type is tagged
  ``unclassified``, passes ``unclassified`` and is dropped (or, for webhook-test, sent by
  ``webhook-unclassified``): nothing falls through;
* a classified event reaches exactly its type's outputs of the output type, and none when the
  profile does not forward the type.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from status_sidecar.catalog import UNCLASSIFIED_DROP_ID, UNCLASSIFIED_FILTER_ID
from tests.templates.logstash_config import Branch, Plugin
from tests.templates.support import CATALOG, OUTPUT_TYPES

from .interpreter import Run
from .support import (
    OWN_SAMPLES,
    PACKAGE_SAMPLES,
    UNCLASSIFIED,
    Sample,
    pipeline,
    read_samples,
    shared_samples,
)

OTHER = "other"
FAILURE_TAGS = ("_grokparsefailure", "_jsonparsefailure", "_dateparsefailure", "_groktimeout")


# --------------------------------------------------------------------------------------------
# Checking one run
# --------------------------------------------------------------------------------------------


def _same(expected: Any, actual: Any) -> bool:
    """Equal with types (1 is not True, 91 is not 91.0); dicts compare as subsets."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _same(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def counted_types(run: Run) -> set[str]:
    """The sidecar's rows this event counts in, judged from the filter ids it passed."""
    rows: set[str] = set()
    for plugin_id in run.filters:
        role = CATALOG.role(plugin_id, "filter")
        if role.kind in ("log_type", "drop"):
            rows.update(role.log_types or (OTHER,))
        elif role.kind in ("unclassified", "other"):
            rows.add(OTHER)
    return rows


def check(sample: Sample, run: Run, output_type: str, profile: str = "all") -> None:
    where = f"{sample.source} [{output_type}/{profile}]"
    expect = sample.expect
    expected_type = sample.expected_type
    spec = CATALOG.output_types[output_type]
    # Fields as the output-independent stage leaves them (Azure's cleanup, for one, removes
    # tags and raw fields afterwards); the outputs reached are judged on the final event.
    event = run.snapshot if run.snapshot is not None else run.event
    if run.dropped_by is None:
        assert run.snapshot is not None, f"{where}: never reached add-unix-time"

    for tag in FAILURE_TAGS:
        if tag == "_jsonparsefailure" and expect.get("drop") == "suricata-json-failure-drop":
            continue
        assert tag not in event.tags, f"{where}: {tag}"

    if expected_type is None:
        assert run.log_type is None, f"{where}: classified as {run.log_type}"
        assert UNCLASSIFIED in event.tags and UNCLASSIFIED_FILTER_ID in run.filters, where
        if spec.unclassified_output_id is None:
            assert run.dropped_by == UNCLASSIFIED_DROP_ID, where
        else:
            assert run.dropped_by is None, where
            assert run.outputs == [spec.unclassified_output_id], where
        assert OTHER in counted_types(run), where
        return

    assert run.log_type == expected_type, f"{where}: classified as {run.log_type!r}"
    assert expected_type in event.tags, where
    assert UNCLASSIFIED not in event.tags and UNCLASSIFIED_FILTER_ID not in run.filters, where
    assert counted_types(run) == {expected_type}, f"{where}: {run.filters}"
    assert len(run.grok_pattern) == 1, f"{where}: {run.grok_pattern}"
    if "pattern" in expect:
        assert list(run.grok_pattern.values()) == [expect["pattern"]], where

    drop = expect.get("drop")
    assert run.dropped_by == drop, f"{where}: dropped by {run.dropped_by}"
    if drop is None:
        assert event.get("date") is None, f"{where}: date not turned into @timestamp"
        forwarded = expected_type in CATALOG.profile_types(profile)
        expected_outputs = (
            list(spec.output_ids[expected_type])
            if forwarded and expected_type in spec.log_types
            else []
        )
        assert run.outputs == expected_outputs, f"{where}: outputs {run.outputs}"

    for name, value in expect.get("fields", {}).items():
        actual = _plain(event.get(f"[{name}]"))
        assert _same(value, actual), f"{where}: {name} = {actual!r}, expected {value!r}"
    for name in expect.get("absent", []):
        assert not event.has(f"[{name}]"), f"{where}: {name} = {event.get(f'[{name}]')!r}"
    for name, length in expect.get("lengths", {}).items():
        actual = event.get(f"[{name}]")
        assert isinstance(actual, str) and len(actual) == length, f"{where}: {name}"
    for tag in expect.get("tags", []):
        assert tag in event.tags, f"{where}: tag {tag}"
    for plugin_id in expect.get("filters", []):
        assert plugin_id in run.filters, f"{where}: {plugin_id} not passed"
    for plugin_id in expect.get("not_filters", []):
        assert plugin_id not in run.filters, f"{where}: {plugin_id} passed"


# --------------------------------------------------------------------------------------------
# The samples
# --------------------------------------------------------------------------------------------


def own_samples() -> list[Sample]:
    samples: list[Sample] = []
    for path in sorted(OWN_SAMPLES.glob("*.log")):
        samples.extend(read_samples(path, "own"))
    return samples


def package_samples() -> list[Sample]:
    samples: list[Sample] = []
    for path in sorted(PACKAGE_SAMPLES.glob("*.log")):
        samples.extend(read_samples(path, "package"))
    return samples


# Expectations for the real messages, written from FORMATS.md section 3 (file, line) -> expect.
REAL_EXPECT: Mapping[tuple[str, int], Mapping[str, Any]] = {
    ("microseg.log", 1): {
        "pattern": 1,
        "fields": {
            "gw_hostname": "avx-gw-test",
            "src_mac": "aa:bb:cc:dd:ee:ff",
            "dst_mac": "11:22:33:44:55:66",
            "proto": "TCP",
            "src_port": 443,
            "dst_port": 8080,
            "action": "PERMIT",
            "src_ip": "unknown",
            "dst_ip": "unknown",
            "uuid": "legacy-format",
            "enforced": "unknown",
            "@timestamp": "2026-03-04T22:54:27+00:00",
        },
        "not_filters": ["microseg-session-enrichment"],
    },
    ("microseg.log", 2): {
        "pattern": 0,
        "fields": {
            "syslog_pri": "158",
            "gw_hostname": "frontend-eks-spoke",
            "gw_ip": "18.216.17.241",
            "uuid": "51321a3b-e5e2-4ab3-9594-e97a51799e15",
            "src_mac": "02:64:c0:e4:c9:b1",
            "dst_mac": "02:55:21:72:8c:63",
            "ip_size": "60",
            "src_ip": "100.64.242.5",
            "dst_ip": "10.5.0.8",
            "proto": "TCP",
            "src_port": 37368,
            "dst_port": 80,
            "data_hex": "0x",
            "action": "PERMIT",
            "enforced": True,
            "session_id": "15625921951502722107",
            "session_event": "0",
            "session_end_reason": "0",
            "session_pkt_cnt": "0",
            "session_byte_cnt": "0",
            "session_dur": "0",
            "@timestamp": "2026-03-04T22:54:34+00:00",
        },
        "absent": ["event", "@version", "type", "host", "date"],
        "tags": ["microseg", "ebpf"],
        "filters": ["microseg-session-enrichment", "microseg-field-conversion"],
    },
    ("microseg.log", 6): {"fields": {"action": "DENY", "enforced": False, "src_port": 57476}},
    ("mitm.log", 1): {
        "fields": {
            "syslog_pri": "153",
            "gw_hostname": "frontend-eks-spoke",
            "action": "Permit",
            "src_ip": "100.64.242.5",
            "src_port": 52792,
            "dst_ip": "140.82.112.3",
            "dst_port": 443,
            "enforced": True,
            "proto": "TCP",
            "uuid": "1b513efd-dcb0-4bb5-8ea7-a43b482cad7a",
            "mitm_sni_hostname": "github.com",
            "mitm_reason": "POLICY",
            "mitm_session_stage": "start",
            "mitm_stage": "SNI",
            "mitm_ids": True,
            "mitm_priority": "LOG_ALERT",
            "@timestamp": "2026-03-04T22:57:01+00:00",
        },
        "absent": ["gw_ip", "date", "mitm_url_parts", "mitm_request_bytes", "host", "type"],
    },
    ("mitm.log", 2): {
        "fields": {
            "mitm_message": "unable to get local issuer certificate",
            "mitm_session_time": 104080,
        }
    },
    ("mitm.log", 9): {
        "fields": {
            "action": "Deny",
            "mitm_reason": "IPS_POLICY_DENY",
            "mitm_sid": "2036237",
            "mitm_url_parts": "example.com/",
            "mitm_decrypted_by": "3822a647-d2b2-4e04-9be3-6808da41110e",
            "mitm_request_bytes": 92,
        },
        "absent": ["mitm_response_bytes"],
    },
    ("mitm.log", 12): {
        "fields": {"action": "Deny", "enforced": False, "dst_port": 31337},
        "absent": ["uuid", "mitm_sni_hostname"],  # missing keys leave no %{...} text
    },
    ("suricata.log", 1): {
        "fields": {
            "gw_hostname": "backend-eks-spoke",
            "type": "syslog",
            "suricataDataJson": {"event_type": "alert", "alert": {"signature_id": 2100498}},
            "@timestamp": "2026-03-04T22:57:01+00:00",
        },
        "filters": ["suricata-data", "suricata-process"],
    },
    ("suricata_nonjson_dropped.log", 1): {"drop": "suricata-non-json-drop"},
    ("fqdn.log", 1): {
        "fields": {
            "gateway": "gcp-spoke-2",
            "sip": "10.20.12.130",
            "dip": "13.224.10.88",
            "hostname": "www.espn.com",
            "state": "MATCHED",
            "drop": "BLACKLISTED",
            "rule": "*.espn.com,SourceIP:IGNORE;0;0;443",
            "@timestamp": "2021-01-02T16:42:54.990606+00:00",
        },
        "absent": ["syslog_pri"],
    },
    ("fqdn.log", 4): {
        "fields": {"state": "NO_MATCH", "drop": "NOT_WHITELISTED"},
        "absent": ["rule"],
    },
    ("fqdn.log", 9): {"fields": {"gateway": "Aviatrix-GW", "hostname": "google.com"}},
    ("cmd.log", 1): {
        "pattern": 1,
        "tags": ["cmd", "V1Api"],
        "fields": {
            "controller_ip": "10.0.0.120",
            "gw_hostname": "Controller-10.0.0.120",
            "action": "USER_LOGIN_MANAGEMENT",
            "result": "Success",
            "reason": "",
            "@timestamp": "2026-03-04T22:58:22+00:00",
        },
        "absent": ["username"],
    },
    ("cmd.log", 2): {
        "pattern": 0,
        "fields": {
            "action": "DISABLE_RSYSLOG_FORWARDER",
            "args": "['--rtn_file', '/dev/null', 'disable_rsyslog_forwarder', '--index', '1']",
            "result": "Success",
            "reason": "",
            "username": "admin",
        },
    },
    ("gw_net_stats.log", 1): {
        "fields": {
            "gateway": "controller",
            "public_ip": "18.190.163.185",
            "private_ip": "10.0.0.120",
            "interface": "eth0",
            "total_rx_rate": "186.97Kb",
            "total_rx_cum": "718.5MB",
            "total_rx_tx_cum": "1.2GB",
            "conntrack_count": "1267",
            "@metadata": {"raw_total_rx_rate": "186.97Kb", "raw_total_rx_tx_cum": "1.2GB"},
        },
        "absent": ["alias", "conntrack_allowance_available", "conntrack_usage_rate"],
        "filters": ["save-raw-net-rates", "gw_net_stats-rate-conversion"],
    },
    ("gw_net_stats.log", 4): {
        "fields": {"alias": "k8s-transit", "private_ip": "10.2.0.90", "interface": "eth-fn1"},
        "absent": ["public_ip"],
    },
    ("gw_net_stats.log", 7): {
        "fields": {
            "bw_in_limit_exceeded": "5445",
            "pps_limit_exceeded": "4424",
            "conntrack_usage_rate": "0.05",
        }
    },
    ("gw_sys_stats.log", 1): {
        "fields": {
            "gateway": "controller",
            "cpu_idle": 91.0,
            "memory_free": 1509804,
            "memory_available": 4847420,
            "memory_total": 8027376,
            "disk_total": 65842432,
            "disk_free": 49704556,
        },
        "absent": ["cpu_cores", "alias"],
        "not_filters": ["cpu-cores-parse"],
    },
    ("gw_sys_stats.log", 2): {
        "fields": {"gateway": "backend-eks-spoke", "alias": "backend-eks-spoke", "cpu_idle": 99.0},
        "filters": ["cpu-cores-parse", "sys-stats-hec-payload"],
    },
    ("tunnel_status.log", 1): {
        "fields": {
            "syslog_pri": "14",
            "src_gw": "oregon-transit(AWS us-west-2)",
            "dst_gw": "100.20.53.124(NA NA)",
            "gateway": "oregon-transit",
            "old_state": "Down",
            "new_state": "Up",
            "@timestamp": "2026-03-04T22:58:43.573005+00:00",
        }
    },
    ("vpn_session.log", 1): {
        "fields": {
            "vpn_user": "cmchenr",
            "vpn_status": "active",
            "vpn_gateway": "egress-vpn-gw",
            "vpn_virtual_ip": "192.168.43.6",
            "vpn_public_ip": "45.26.1.144",
            "vpn_login": "2026-03-10 12:37:39",
            "vpn_logout": "N/A",
            "vpn_client_platform": "mac",
            "vpn_client_version": "AVPNC-2.17.7",
            "@timestamp": "2026-03-10T12:37:41+00:00",
        },
        "absent": ["vpn_gateway_ip"],  # `GatewayIP=` is empty
    },
    ("vpn_session.log", 4): {
        "fields": {"vpn_gateway_ip": "52.52.76.149", "vpn_rx_bytes": "2.1 MB"},
    },
    ("cmd_no_pri.log", 1): {"pattern": 1, "absent": ["syslog_pri"]},
    ("tunnel_status_no_pri.log", 2): {"fields": {"gateway": "backend-eks-spoke"}},
    ("microseg_v01_config_comment.log", 1): {"type": None},  # cut after DATA=0x
}

REAL_TYPES: Mapping[str, str] = {
    "suricata_nonjson_dropped.log": "suricata",
    "cmd_no_pri.log": "cmd",
    "tunnel_status_no_pri.log": "tunnel_status",
    "microseg_v01_config_comment.log": "microseg",
}

SC4S_TYPES: Mapping[str, str] = {
    "AviatrixVPNSession": "vpn_session",
    "AviatrixTunnelStatusChange": "tunnel_status",
    "AviatrixCMD": "cmd",
    "AviatrixGwMicrosegPacket": "microseg",
    "AviatrixGwNetStats": "gw_net_stats",
    "AviatrixGwSysStats": "gw_sys_stats",
    "AviatrixFQDNRule": "fqdn",
}


def real_samples() -> list[Sample]:
    root = shared_samples()
    if root is None:
        pytest.skip("../shared/fixtures/aviatrix/samples is not present")
    samples: list[Sample] = []
    paths = sorted(root.glob("*.log")) + sorted((root / "variants").glob("*.log"))
    for path in paths:
        log_type = REAL_TYPES.get(path.name, path.stem)
        for sample in read_samples(path, "real", log_type):
            number = int(sample.source.rsplit(":", 1)[1])
            expect = REAL_EXPECT.get((path.name, number), {})
            samples.append(Sample(sample.source, log_type, sample.text, expect))
    # SC4S's test harness: `<13> <ISO timestamp> <host> ...` (a space after the PRI)
    template = root / "templates" / "sc4s_test_aviatrix.jinja"
    for number, text in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
        message = (
            text.replace("{{mark}}", "<13>")
            .replace("{{ timestamp }}", "2026-03-05T09:30:00.123456+00:00")
            .replace("{{ host }}", "sc4s-host")
        )
        log_type = next(t for marker, t in SC4S_TYPES.items() if marker in message)
        expect = {"fields": {"syslog_pri": "13", "@timestamp": "2026-03-05T09:30:00.123456+00:00"}}
        samples.append(Sample(f"real/{template.name}:{number}", log_type, message, expect))
    return samples


def test_should_have_own_samples_for_every_type_and_an_unclassified_file() -> None:
    own = {p.stem for p in OWN_SAMPLES.glob("*.log")}
    assert own == {*CATALOG.log_type_keys, UNCLASSIFIED}
    shipped = {p.stem for p in PACKAGE_SAMPLES.glob("*.log")}
    assert shipped == set(CATALOG.log_type_keys)


def test_should_expect_only_lines_that_exist() -> None:
    samples = real_samples()
    sources = {s.source.split("/", 1)[1] for s in samples}
    for name, line in REAL_EXPECT:
        assert any(src.endswith(f"{name}:{line}") for src in sources), (name, line)


@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_should_classify_and_parse_the_real_samples(output_type: str) -> None:
    samples = real_samples()
    assert len(samples) >= 60
    flow = pipeline(output_type)
    for sample in samples:
        check(sample, flow.run(sample.text), output_type)


@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_should_classify_and_parse_the_own_samples(output_type: str) -> None:
    flow = pipeline(output_type)
    for sample in own_samples():
        check(sample, flow.run(sample.text), output_type)


@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_should_classify_the_shipped_replay_samples(output_type: str) -> None:
    flow = pipeline(output_type)
    samples = package_samples()
    assert {s.log_type for s in samples} == set(CATALOG.log_type_keys)
    for sample in samples:
        run = flow.run(sample.text)
        check(sample, run, output_type)
        assert run.dropped_by is None, sample.source  # replayed samples are all counted


@pytest.mark.parametrize("profile", ["security", "networking"])
@pytest.mark.parametrize("output_type", ["splunk-hec", "dynatrace", "azure-log-ingestion"])
def test_should_forward_only_the_profile_types(output_type: str, profile: str) -> None:
    flow = pipeline(output_type, profile)
    for sample in package_samples() + own_samples():
        check(sample, flow.run(sample.text), output_type, profile)


def test_should_ignore_the_profile_for_webhook_test() -> None:
    flow = pipeline("webhook-test", "networking")
    for sample in package_samples():
        run = flow.run(sample.text)
        assert run.outputs == [f"webhook-{CATALOG.log_type(str(sample.log_type)).dashed}"]


def test_should_accept_every_input() -> None:
    flow = pipeline("splunk-hec")
    (sample,) = read_samples(PACKAGE_SAMPLES / "tunnel_status.log", "package")[:1]
    for input_id in ("syslog-tcp", "syslog-udp"):
        run = flow.run(sample.text, input_id)
        assert (run.log_type, run.outputs) == ("tunnel_status", ["splunk-tunnel-status"])


# --------------------------------------------------------------------------------------------
# The classification chain, read from the rendered pipeline
# --------------------------------------------------------------------------------------------


def _chain() -> Branch:
    flow = pipeline("splunk-hec")
    return next(n for n in flow.filter_body if isinstance(n, Branch))


def _groks(body: tuple[Any, ...]) -> Iterator[Plugin]:
    for node in body:
        if isinstance(node, Plugin):
            if node.name == "grok":
                yield node
        else:
            for clause in node.clauses:
                yield from _groks(clause.body)


def test_should_classify_with_one_chain_in_catalog_order() -> None:
    chain = _chain()
    assert [c.kind for c in chain.clauses] == ["if"] + ["else if"] * (len(chain.clauses) - 1)
    first_groks = [next(_groks(c.body)).id for c in chain.clauses]
    assert first_groks == [CATALOG.filter_ids[k][0] for k in CATALOG.log_type_keys]


def test_should_carry_every_grok_pattern_inline_and_compile_it() -> None:
    flow = pipeline("splunk-hec")
    groks = list(flow.groks())
    assert {str(p.id) for p, _, _ in groks} == {
        "microseg", "mitm", "suricata", "fqdn", "cmd-v1", "cmd-v2", "gw_net_stats",
        "gw_sys_stats", "tunnel_status", "vpn-session",
    }  # fmt: skip
    for plugin, library, matches in groks:
        assert plugin.get("patterns_dir") is None
        assert list(matches) == ["message"], plugin.id
        for pattern in matches["message"]:
            grok = library.compile(pattern)
            assert "%{" not in grok.expanded, plugin.id
            anchored = grok.expanded
            while anchored.startswith("(?:"):
                anchored = anchored[3:]
            assert anchored.startswith("^"), f"{plugin.id}: not anchored at the line start"


def test_should_route_a_marker_to_its_branch_only() -> None:
    """A line carrying two markers goes to the first branch of the chain and nowhere else."""
    flow = pipeline("splunk-hec")
    (sample,) = read_samples(PACKAGE_SAMPLES / "fqdn.log", "package")[:1]
    run = flow.run(sample.text + " AviatrixTunnelStatusChange")
    assert run.log_type == "fqdn" and counted_types(run) == {"fqdn"}


# --------------------------------------------------------------------------------------------
# Hostile lines: every pattern stays fast on long lines built from real keys
# --------------------------------------------------------------------------------------------

LIMIT_S = 0.5  # per 60 KB line, whole pipeline; the catastrophic cases took seconds to minutes


def _amplified(sample: Sample, size: int = 60_000) -> Iterator[str]:
    """Long lines from one sample: its body repeated (matching once, or cut so it never
    completes), and each of its key=value tokens repeated after the header."""
    text = sample.text
    head, _, body = text.partition(": ")
    if not body:
        return
    cut = body[: max(1, len(body) * 2 // 3)]
    yield head + ": " + (body + " ") * (size // (len(body) + 1))
    yield head + ": " + (cut + " ") * (size // (len(cut) + 1))
    for token in dict.fromkeys(body.split(" ")):
        if "=" in token or ":" in token:
            yield head + ": " + (token + " ") * (size // (len(token) + 1))


def test_should_stay_fast_on_amplified_lines() -> None:
    flow = pipeline("splunk-hec")
    samples = package_samples()
    root = shared_samples()
    if root is not None:
        samples += read_samples(root / "cmd.log", "real", "cmd")
    slowest = (0.0, "")
    for sample in samples:
        flow.run(sample.text)  # compile first
        for line in _amplified(sample):
            start = time.perf_counter()
            flow.run(line)
            elapsed = time.perf_counter() - start
            slowest = max(slowest, (elapsed, f"{sample.source}: {line[:120]}"))
    assert slowest[0] < LIMIT_S, slowest
