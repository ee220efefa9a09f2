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


# The unit convention (templates/README.md): number x unit, K=1024, M=1024^2, G=1024^3,
# T=1024^4, the unit letter in either case, a trailing b/B ignored, no unit = 1; rounded to an
# integer. Anything else is not a rate: the field keeps its text (the builders leave it out).
RATES: dict[str, int | None] = {
    "186.97Kb": round(186.97 * 1024),
    "158.35KB": round(158.35 * 1024),
    "3.73": 4,
    "0": 0,
    "12B": 12,
    "12b": 12,
    "1.5MB": round(1.5 * 1024**2),
    "2.1 MB": round(2.1 * 1024**2),
    "1.2GB": round(1.2 * 1024**3),
    "3Tb": 3 * 1024**4,
    "7kb": 7 * 1024,
    " 5.5K ": round(5.5 * 1024),
    "N/A": None,
    "1.2.3Kb": None,
    "-5Kb": None,
    "5Xb": None,
    "": None,
}


def test_should_apply_the_unit_to_net_rates() -> None:
    names = ("total_rx_rate", "total_tx_rate", "total_rx_tx_rate")
    cases = [("net_rates", dict.fromkeys(names, raw), {}) for raw in RATES]
    for raw, event in zip(RATES, run_ruby(cases), strict=True):
        expected = RATES[raw]
        values = [event[name] for name in names]
        if expected is None:
            assert values == [raw] * 3  # not a rate: left as it was
        else:
            assert values == [expected] * 3, raw
            assert all(type(v) is int for v in values), raw


def test_should_read_rates_the_same_way_in_every_builder() -> None:
    fields = ("total_rx_rate", "total_tx_rate", "total_rx_tx_rate")
    cases: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for raw in RATES:
        raw_meta = {f"raw_{f}": raw for f in (*fields, "total_rx_cum")}
        cases.append(("zabbix_net", {"gateway": "gw", "@metadata": dict(raw_meta)}, {}))
        cases.append(("dynatrace_net_mint", {"gateway": "gw", "@metadata": dict(raw_meta)}, {}))
    events = run_ruby(cases)
    for index, raw in enumerate(RATES):
        zabbix, dynatrace = events[2 * index], events[2 * index + 1]
        value = json.loads(zabbix["@metadata"]["zabbix_value"])
        expected = RATES[raw]
        if expected is None:
            assert value == {}, raw
            assert dynatrace["@metadata"]["dt_mint"] == "", raw
            continue
        assert value == dict.fromkeys((*fields, "total_rx_cum"), expected), raw
        lines = dynatrace["@metadata"]["dt_mint"].splitlines()
        assert len(lines) == 4, raw
        assert all(f" gauge,{expected} " in line for line in lines), raw


def _cores(text: str) -> list[dict[str, int]]:
    """cpu_cores_parsed written short: ``1:2/16/4`` is name:min/max/avg, ``-`` = absent."""
    cores = []
    for item in text.split():
        name, _, stats = item.partition(":")
        core = {"name": int(name)}
        for key, value in zip(("busy_min", "busy_max", "busy_avg"), stats.split("/"), strict=True):
            if value != "-":
                core[key] = int(value)
        cores.append(core)
    return cores


def _busy(lo: int | None, hi: int | None, avg: int | None, t: int = 1772664933) -> str:
    parts = [f"start:{{seconds:{t}  nanos:1}}", f"end:{{seconds:{t + 40}  nanos:2}}"]
    parts += [f"{k}:{v}" for k, v in (("min", lo), ("max", hi), ("avg", avg)) if v is not None]
    return "busy:{" + "  ".join(parts) + "}"


def _list(*items: str) -> str:
    return "[" + "  ".join(items) + "]"


def test_should_pair_each_busy_with_the_name_before_it() -> None:
    busy_first = _list(_busy(2, 16, 4), "name:1", _busy(1, 13, 3), "name:-1", _busy(2, 14, 4))
    name_first = _list(
        *("name:2", _busy(None, 8, 2), "name:3", _busy(None, 5, 1), "name:-1"),
        *(_busy(None, 6, 1), _busy(None, 6, 1), "name:1", _busy(None, 5, 1)),
    )
    name_only = _list("name:4", "name:-1", _busy(1, 2, None))
    first, second, third, empty, garbage = run_ruby(
        [
            ("cpu_cores", {"cpu_cores": busy_first, "cpu_idle": 99.0}, {}),
            ("cpu_cores", {"cpu_cores": name_first, "cpu_idle": 95.0}, {}),
            ("cpu_cores", {"cpu_cores": name_only, "cpu_idle": 97.0}, {}),
            ("cpu_cores", {"cpu_cores": "[]", "cpu_idle": 90.0}, {}),
            ("cpu_cores", {"cpu_cores": 'name:x busy:{"}" min:1', "cpu_idle": 80.5}, {}),
        ]
    )
    # busy first: that busy is core 0 (proto3 prints no name:0); the aggregate is the last one
    assert first["cpu_cores_parsed"] == _cores("0:2/16/4 1:1/13/3 -1:2/14/4")
    assert [first[f"cpu_aggregate_busy_{k}"] for k in ("min", "max", "avg")] == [2, 14, 4]
    assert (first["cpu_busy"], first["cpu_core_count"]) == (4, 2)
    assert second["cpu_cores_parsed"] == _cores("2:-/8/2 3:-/5/1 -1:-/6/1 0:-/6/1 1:-/5/1")
    assert "cpu_aggregate_busy_min" not in second
    assert (second["cpu_aggregate_busy_max"], second["cpu_aggregate_busy_avg"]) == (6, 1)
    assert (second["cpu_busy"], second["cpu_core_count"]) == (1, 4)
    # a name without busy is a core without values; an aggregate without avg gives its max
    assert third["cpu_cores_parsed"] == [{"name": 4}, {"name": -1, "busy_min": 1, "busy_max": 2}]
    assert (third["cpu_busy"], third["cpu_core_count"]) == (2, 1)
    # nothing to pair: busy from cpu_idle, one decimal; no aggregate fields
    assert (empty["cpu_cores_parsed"], empty["cpu_busy"], empty["cpu_core_count"]) == ([], 10.0, 0)
    assert "cpu_aggregate_busy_avg" not in empty
    # garbage: the one well-formed busy:{...} (no values) is core 0; nothing raises
    assert garbage["cpu_cores_parsed"] == [{"name": 0}]
    assert (garbage["cpu_busy"], garbage["cpu_core_count"]) == (19.5, 1)


def test_should_keep_the_aggregate_within_its_cores_on_real_samples() -> None:
    """On every real gateway sample the name:-1 aggregate lies within its cores' range (it is
    their average at each instant) and the cores are numbered 0..n-1: the pairing is right."""
    path = SAMPLES / "gw_sys_stats.log"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "cpu_cores=" in line]
    assert lines
    cases = [("cpu_cores", {"cpu_cores": line.split("cpu_cores=", 1)[1]}, {}) for line in lines]
    for line, event in zip(lines, run_ruby(cases), strict=True):
        cores = event["cpu_cores_parsed"]
        names = sorted(c["name"] for c in cores if c["name"] != -1)
        assert names == list(range(len(names))), line
        assert event["cpu_core_count"] == len(names)
        (aggregate,) = [c for c in cores if c["name"] == -1]
        others = [c for c in cores if c["name"] != -1]
        for key in ("busy_min", "busy_max", "busy_avg"):
            if key in aggregate:
                values = [c[key] for c in others]
                assert min(values) <= aggregate[key] <= max(values), (key, line)


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


def test_should_run_exactly_the_tested_code_in_every_rendered_pipeline(tmp_path: Path) -> None:
    """Every ruby filter of every rendered pipeline is one of the snippet files tested above,
    or the inline add-unix-time, run here."""
    pytest.importorskip("lark", reason="lark (a dev dependency) is not installed")
    from .logstash_config import parse
    from .support import OUTPUT_TYPES, RENDERER, make_config

    snippets = {p.read_text(encoding="utf-8").strip(): p.stem for p in RUBY_DIR.glob("*.rb")}
    inline: dict[str, str] = {}
    used: set[str] = set()
    for output_type in OUTPUT_TYPES:
        parsed = parse(RENDERER.pipeline(make_config(output_type)))
        for _, plugin in parsed.plugins("filter"):
            if plugin.name != "ruby":
                continue
            code = plugin.get("code")
            assert isinstance(code, str)
            if code.strip() in snippets:
                used.add(snippets[code.strip()])
            else:
                inline[str(plugin.id)] = code
    assert used == set(snippets.values())  # no snippet file is dead code
    assert list(inline) == ["add-unix-time"]
    if RUBY is None:
        pytest.skip("ruby is not installed (Debian package ruby)")
    path = tmp_path / "add_unix_time.rb"
    path.write_text(inline["add-unix-time"], encoding="utf-8")
    payload = [{"code": str(path), "event": {"@timestamp": 1772665021.75}, "env": {}}]
    result = subprocess.run(
        [RUBY, "-e", DRIVER], input=json.dumps(payload), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    (event,) = json.loads(result.stdout)
    assert event["unix_time"] == 1772665021
