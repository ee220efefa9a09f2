"""Every ruby filter of the pipelines, run under a real Ruby against a stand-in Logstash Event.

The stand-in implements what the snippets use of the Event API: ``get``/``set``/``remove`` with
field references (``[@metadata][x]``), ``to_hash`` (without ``@metadata``) and ``tag``;
``@timestamp`` answers ``to_i``/``to_f``. One Ruby process runs all cases of a test. Skipped when
Ruby is not installed (Debian ``ruby``; ``ci/install-system-deps.sh`` installs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stashkit.render import TEMPLATES_DIR

RUBY = shutil.which("ruby")
RUBY_DIR = TEMPLATES_DIR / "pipeline" / "ruby"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aviatrix" / "samples"

DRIVER = r"""
require "json"
class StandInTimestamp
  def initialize(seconds) @seconds = seconds end
  def to_i; @seconds.to_i end
  def to_f; @seconds.to_f end
end
class StandInEvent
  def initialize(data)
    @data = data
    @data["@timestamp"] = StandInTimestamp.new(@data["@timestamp"] || 1772665021.5)
  end
  def path(ref) ref.start_with?("[") ? ref.scan(/\[([^\]]+)\]/).flatten : [ref] end
  def get(ref)
    path(ref).reduce(@data) { |node, key| node.is_a?(Hash) ? node[key] : nil }
  end
  def set(ref, value)
    keys = path(ref)
    parent = keys[0..-2].reduce(@data) { |node, key| node[key] ||= {} }
    parent[keys.last] = value
  end
  def remove(ref)
    keys = path(ref)
    parent = keys[0..-2].reduce(@data) { |node, key| node.is_a?(Hash) ? node[key] : nil }
    parent.delete(keys.last) if parent.is_a?(Hash)
  end
  def tag(name) (@data["tags"] ||= []) << name end
  def to_hash
    @data.reject { |k, _| k == "@metadata" }.merge("@timestamp" => @data["@timestamp"].to_i)
  end
  def dump
    @data.merge("@timestamp" => @data["@timestamp"].to_f)
  end
end
results = JSON.parse(STDIN.read).map do |c|
  c["env"].each { |k, v| ENV[k] = v }
  event = StandInEvent.new(c["event"])
  eval(File.read(c["code"]), binding, c["code"])
  c["env"].each_key { |k| ENV.delete(k) }
  event.dump
end
puts JSON.generate(results)
"""


def run_ruby(cases: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[dict[str, Any]]:
    """Run (snippet name, event, env) cases; returns each event afterwards (with @metadata)."""
    if RUBY is None:
        pytest.skip("ruby is not installed (Debian package ruby)")
    payload = [
        {"code": str(RUBY_DIR / f"{name}.rb"), "event": event, "env": env}
        for name, event, env in cases
    ]
    result = subprocess.run(
        [RUBY, "-e", DRIVER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    events: list[dict[str, Any]] = json.loads(result.stdout)
    return events


def sample(name: str, index: int = 0) -> str:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path.read_text(encoding="utf-8").splitlines()[index]


pytestmark = pytest.mark.real


def test_should_have_a_case_for_every_snippet() -> None:
    covered = {
        "microseg_session", "net_rates", "cpu_cores", "sys_stats_hec", "suricata_process",
        "dynatrace_log", "dynatrace_sys_mint", "dynatrace_net_mint", "zabbix_sys", "zabbix_net",
        "asim_mapping", "azure_flatten",
    }  # fmt: skip
    assert {p.stem for p in RUBY_DIR.glob("*.rb")} == covered


def test_should_name_session_events_and_end_reasons() -> None:
    start, end, odd = run_ruby(
        [
            ("microseg_session", {"session_event": "0", "session_end_reason": "0"}, {}),
            ("microseg_session", {"session_event": "1", "session_end_reason": "5"}, {}),
            ("microseg_session", {"session_event": "1", "session_end_reason": "42"}, {}),
        ]
    )
    assert (start["session_event_type"], start["session_end_reason_text"]) == ("Start", "active")
    assert (end["session_event_type"], end["session_end_reason_text"]) == (
        "End",
        "tcp-rst-from-server",
    )
    assert odd["session_end_reason_text"] == "unknown"


def test_should_apply_the_unit_to_net_rates() -> None:
    (event,) = run_ruby(
        [
            (
                "net_rates",
                {"total_rx_rate": "186.97Kb", "total_tx_rate": "3.73", "total_rx_tx_rate": "1.5MB"},
                {},
            )
        ]
    )
    assert event["total_rx_rate"] == round(186.97 * 1024)
    assert event["total_tx_rate"] == 4
    assert event["total_rx_tx_rate"] == round(1.5 * 1024**2)


def test_should_pair_cpu_cores_both_ways() -> None:
    busy_first = sample("gw_sys_stats.log", 1).split("cpu_cores=", 1)[1]
    name_first = sample("gw_sys_stats.log", 2).split("cpu_cores=", 1)[1]
    first, second, empty = run_ruby(
        [
            ("cpu_cores", {"cpu_cores": busy_first, "cpu_idle": "99"}, {}),
            ("cpu_cores", {"cpu_cores": name_first, "cpu_idle": "100"}, {}),
            ("cpu_cores", {"cpu_cores": "[]", "cpu_idle": "90"}, {}),
        ]
    )
    assert first["cpu_cores_parsed"][0] == {"busy_min": 2, "busy_max": 16, "busy_avg": 4, "name": 1}
    assert first["cpu_aggregate_busy_avg"] == 3
    assert (first["cpu_busy"], first["cpu_core_count"]) == (3, 1)
    assert [c.get("name") for c in second["cpu_cores_parsed"]][:3] == [2, 3, -1]
    assert second["cpu_core_count"] >= 2
    assert (empty["cpu_busy"], empty["cpu_core_count"]) == (10.0, 0)


def test_should_build_the_hec_payloads() -> None:
    suricata_json = json.loads(sample("suricata.log").split("]: ", 1)[1])
    sys_event, nested, flat = run_ruby(
        [
            ("sys_stats_hec", {"gateway": "gw1", "cpu_idle": 91.0, "message": "raw"}, {}),
            ("suricata_process", {"suricataDataJson": suricata_json, "gw_hostname": "gw"}, {}),
            (
                "suricata_process",
                {"suricataDataJson": suricata_json, "gw_hostname": "gw"},
                {"FLATTEN_SURICATA": "true"},
            ),
        ]
    )
    payload = json.loads(sys_event["@metadata"]["sys_stats_hec_payload"])
    assert payload["sourcetype"] == "aviatrix:gateway:system"
    assert payload["event"] == {"gateway": "gw1", "cpu_idle": 91.0, "syslog": "raw"}
    hec = json.loads(nested["@metadata"]["suricata_hec_payload"])
    assert (hec["sourcetype"], hec["host"]) == ("aviatrix:ids", "gw")
    assert hec["time"] == 1772665021  # the JSON timestamp, not now
    assert "files" not in hec["event"] and "policy_id" not in hec["event"]["alert"]
    assert hec["event"]["alert"]["signature_id"] == 2100498
    flat_event = json.loads(flat["@metadata"]["suricata_hec_payload"])["event"]
    assert flat_event["signature_id"] == 2100498
    assert flat_event["meta_confidence"] == "Medium"
    assert flat_event["http_hostname"] == "testmynids.org"
    assert "meta_created_at" not in flat_event


def test_should_build_dynatrace_records_and_metric_lines() -> None:
    log, sys_lines, net_lines = run_ruby(
        [
            (
                "dynatrace_log",
                {
                    "@metadata": {"log_type": "fqdn"},
                    "message": "m",
                    "drop": "NOT_WHITELISTED",
                    "hostname": "x.com",
                },
                {"DT_LOG_SOURCE": "avx-lab"},
            ),
            (
                "dynatrace_sys_mint",
                {
                    "gateway": 'g"w',
                    "cpu_idle": 91.0,
                    "memory_total": 1000,
                    "memory_available": 250,
                    "cpu_cores_parsed": [{"name": 1, "busy_avg": 4}, {"name": -1, "busy_avg": 3}],
                },
                {},
            ),
            (
                "dynatrace_net_mint",
                {
                    "gateway": "gw",
                    "interface": "eth0",
                    "bw_in_limit_exceeded": "180",
                    "@metadata": {"raw_total_rx_rate": "186.97Kb", "raw_total_rx_cum": "1.2GB"},
                },
                {},
            ),
        ]
    )
    (record,) = json.loads(log["@metadata"]["dt_log"])
    assert record["aviatrix.event.type"] == "FQDNFilter"
    assert record["severity"] == "WARN"
    assert record["log.source"] == "avx-lab"
    assert record["timestamp"] == 1772665021500
    assert record["aviatrix.hostname"] == "x.com"
    lines = sys_lines["@metadata"]["dt_mint"].splitlines()
    assert (
        'aviatrix.gateway.cpu.idle,gateway="g\\"w",source="aviatrix" gauge,91.0 1772665021500'
        in lines
    )
    assert any(
        line.startswith("aviatrix.gateway.cpu.usage,") and ',core="1"' in line for line in lines
    )
    assert any(
        line.startswith("aviatrix.gateway.memory.usage,") and "gauge,75.0" in line for line in lines
    )
    net = net_lines["@metadata"]["dt_mint"].splitlines()
    assert any("net.bytes_rx," in line and f"gauge,{round(186.97 * 1024)} " in line for line in net)
    assert any("bw_in_limit_exceeded," in line and "count,delta=180" in line for line in net)


def test_should_build_zabbix_values() -> None:
    sys_event, net_event = run_ruby(
        [
            (
                "zabbix_sys",
                {"gateway": "gw", "cpu_idle": 90.0, "memory_total": 100, "memory_available": 25},
                {"ZABBIX_HOST_PREFIX": "avx-"},
            ),
            (
                "zabbix_net",
                {"gateway": "gw", "interface": "eth0", "@metadata": {"raw_total_tx_cum": "2KB"}},
                {},
            ),
        ]
    )
    meta = sys_event["@metadata"]
    assert (meta["zabbix_host"], meta["zabbix_key"]) == ("avx-gw", "aviatrix.sys_stats.raw")
    assert json.loads(meta["zabbix_value"])["memory_used_percent"] == 75.0
    meta = net_event["@metadata"]
    assert (meta["zabbix_host"], meta["zabbix_key"]) == ("gw", "aviatrix.net_stats.raw[eth0]")
    assert json.loads(meta["zabbix_value"]) == {"total_tx_cum": 2048}


def test_should_map_to_asim_and_flatten_for_azure() -> None:
    suricata_json = json.loads(sample("suricata.log").split("]: ", 1)[1])
    microseg, ids, flat = run_ruby(
        [
            (
                "asim_mapping",
                {"src_ip": "10.0.0.1", "dst_port": 443, "action": "DENY", "session_dur": "2400000"},
                {},
            ),
            ("asim_mapping", {"suricataDataJson": suricata_json}, {}),
            ("azure_flatten", {"suricataDataJson": suricata_json}, {}),
        ]
    )
    assert (microseg["SrcIpAddr"], microseg["DstPortNumber"]) == ("10.0.0.1", 443)
    assert (microseg["DvcAction"], microseg["EventResult"]) == ("Deny", "Failure")
    assert microseg["NetworkDuration"] == 2  # ns / 1e6 = ms, rounded
    assert (ids["DvcAction"], ids["EventSeverity"], ids["DstIpAddr"]) == (
        "Allow",
        "Medium",
        "100.64.59.124",
    )
    assert flat["ids_alert_signature_id"] == 2100498
    assert flat["ids_event_type"] == "alert"
