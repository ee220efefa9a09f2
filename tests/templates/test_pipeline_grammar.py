"""The Logstash config grammar parser, and every rendered pipeline checked with it.

Checks on each rendered pipeline: it parses; plugin ids are unique and known to the catalog (or
are input ids); each catalog output id of the output type appears exactly once, and so does
every filter id the pipeline must carry; every ``${VAR}`` is set by the output's container
environment or has a default; outputs honour LOG_PROFILE (except webhook-test).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from stashkit.config import DeploymentConfig
from stashkit.render import container_environment
from status_sidecar.catalog import UNCLASSIFIED_DROP_ID, UNCLASSIFIED_FILTER_ID

from .support import CATALOG, OUTPUT_TYPES, RENDERER, make_config

lark = pytest.importorskip("lark", reason="lark (a dev dependency) is not installed")

from .logstash_config import (  # noqa: E402 - needs lark
    Bareword,
    Branch,
    Config,
    Hash,
    LogstashConfigError,
    Node,
    Plugin,
    parse,
)

# --------------------------------------------------------------------------------------------
# The parser on small hand-written configs
# --------------------------------------------------------------------------------------------

VALID = {
    "minimal": "input { stdin { } }",
    "comments": """
        # a comment
        input { stdin { } } # trailing
        filter { } output { stdout { codec => rubydebug } }
    """,
    "values": """
        filter {
          mutate {
            id => "m1"
            add_field => { "a" => "b" "[x][y]" => "%{c}" 12 => 'single' }
            convert => { "n" => "integer" }
            remove_field => ["a", "b"]
            nested => [1, -2.5, "x", ["y"], { "k" => "v" }]
            enabled => true
            port => 5044
          }
        }
    """,
    "plugin_value": 'input { tcp { port => 1 codec => json_lines { charset => "UTF-8" } } }',
    "quoted_names": """filter { "my-plugin" { "odd key" => 1 } }""",
    "escaped_quotes": r"""filter { grok { match => { "message" => "a\"b" } id => 'it\'s' } }""",
    "hyphenated_plugin": "output { microsoft-sentinel-log-analytics-logstash-output-plugin { } }",
    "conditionals": """
        filter {
          if [type] == "syslog" and [a][b] != 1 {
            drop { }
          } else if "x" in [tags] or "y" not in [tags] {
            mutate { }
          } else if [message] =~ /^\\{.*\\/x/ nand [m] !~ "abc" {
            mutate { }
          } else if !([a] > 1 xor [b] <= 2) and ![c] {
            mutate { }
          } else if [a] in ["p", "q"] and [b] >= -1 and [c] < 3.5 {
            mutate { }
          } else if ([a]) {
            if [x] { if [y] { } }
          } else {
            mutate { }
          }
        }
    """,
    "several_sections": "input { } filter { } output { } filter { }",
    "method_call": 'filter { if upcase([a], "x") == "X" { } }',
    "field_ref_with_at": "filter { if [@metadata][x] { } }",
}

INVALID = {
    "empty": "",
    "unknown_section": "inputs { }",
    "unclosed_brace": "input { stdin { }",
    "missing_arrow": 'filter { mutate { id "x" } }',
    "commas_between_attributes": "filter { mutate { a => 1, b => 2 } }",
    "commas_in_hash": 'filter { mutate { h => { "a" => 1, "b" => 2 } } }',
    "unterminated_string": 'filter { mutate { id => "x } }',
    "single_char_bareword": "filter { mutate { a => b } }",
    "bad_operator": 'filter { if [a] === "x" { } }',
    "else_without_body": "filter { if [a] { } else }",
    "else_if_without_condition": "filter { if [a] { } else if { } }",
    "dangling_boolean": "filter { if [a] and { } }",
    "condition_missing": "filter { if { } }",
    "plugin_outside_section": "stdin { }",
    "regex_unterminated": "filter { if [a] =~ /abc { } }",
    "array_trailing_comma": 'filter { m { a => ["x",] } }',
}


@pytest.mark.parametrize("name", VALID, ids=list(VALID))
def test_should_parse_a_valid_config(name: str) -> None:
    parse(VALID[name])


@pytest.mark.parametrize("name", INVALID, ids=list(INVALID))
def test_should_reject_an_invalid_config(name: str) -> None:
    with pytest.raises(LogstashConfigError, match=r"line \d+ column \d+"):
        parse(INVALID[name])


def test_should_build_values_of_the_right_types() -> None:
    config = parse(VALID["values"])
    ((kind, plugin),) = list(config.plugins())
    assert (kind, plugin.name, plugin.id) == ("filter", "mutate", "m1")
    fields = plugin.get("add_field")
    assert isinstance(fields, Hash)
    assert fields.get("[x][y]") == "%{c}"
    assert fields.get("a") == "b"
    assert plugin.get("remove_field") == ["a", "b"]
    assert plugin.get("nested") == [1, -2.5, "x", ["y"], fields.__class__((("k", "v"),))]
    assert plugin.get("enabled") == Bareword("true")
    assert plugin.get("port") == 5044


def test_should_keep_text_as_written_except_the_escaped_quote() -> None:
    config = parse(VALID["escaped_quotes"])
    ((_, plugin),) = list(config.plugins())
    match = plugin.get("match")
    assert isinstance(match, Hash)
    assert match.get("message") == 'a"b'
    assert plugin.id == "it's"
    assert parse(r'filter { m { a => "x\n\\y" } }').strings == [r"x\n\\y"]


def test_should_treat_a_one_element_array_in_a_condition_as_a_field_reference() -> None:
    config = parse('filter { if [a] in ["x"] { } }')
    (condition,) = config.conditions()
    refs = list(condition.scan_values(lambda v: isinstance(v, lark.Token)))
    assert [str(t) for t in refs if t.type == "FIELD_REF"] == ["[a]", '["x"]']


def test_should_report_where_the_error_is() -> None:
    with pytest.raises(LogstashConfigError, match=r"^line 3 column \d+: syntax error"):
        parse("input {\n  stdin { }\n  tcp { port => => 1 }\n}")


def test_should_list_env_references_with_defaults() -> None:
    config = parse('output { http { url => "${A}/x/${B:dflt}" h => { "k" => "${C:}" } } }')
    assert config.env_references() == [("A", None), ("B", "dflt"), ("C", "")]


# --------------------------------------------------------------------------------------------
# Every rendered pipeline
# --------------------------------------------------------------------------------------------


def _variants() -> Iterator[tuple[str, DeploymentConfig]]:
    for output_type in OUTPUT_TYPES:
        yield f"{output_type}", make_config(output_type)
        yield f"{output_type}-tls", make_config(output_type, tls=True, client_auth=True)
        yield f"{output_type}-networking", make_config(output_type, log_profile="networking")


VARIANTS = dict(_variants())
_PARSED: dict[str, tuple[str, Config]] = {}


def rendered(name: str) -> tuple[str, Config]:
    if name not in _PARSED:
        text = RENDERER.pipeline(VARIANTS[name])
        _PARSED[name] = (text, parse(text))
    return _PARSED[name]


@pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
def pipeline(request: pytest.FixtureRequest) -> tuple[DeploymentConfig, Config]:
    name: str = request.param
    return VARIANTS[name], rendered(name)[1]


def _expected_filter_ids(config: DeploymentConfig) -> Counter[str]:
    output_type = CATALOG.output_types[config.output_type]
    ids: list[str] = [i for k in CATALOG.log_type_keys for i in CATALOG.filter_ids.get(k, ())]
    ids += list(CATALOG.drop_filters)
    ids += sorted(CATALOG.global_filter_ids)
    ids.append(UNCLASSIFIED_FILTER_ID)
    if output_type.unclassified_output_id is None:
        ids.append(UNCLASSIFIED_DROP_ID)
    ids += list(output_type.all_filter_ids())
    return Counter(ids)


def test_should_parse_every_rendered_pipeline(pipeline: tuple[DeploymentConfig, Config]) -> None:
    _config, parsed = pipeline
    assert [s.kind for s in parsed.sections] == ["input", "filter", "output"]


def test_should_give_every_plugin_a_unique_known_id(
    pipeline: tuple[DeploymentConfig, Config],
) -> None:
    _config, parsed = pipeline
    plugins = list(parsed.plugins())
    missing = [(kind, p.name, p.line) for kind, p in plugins if p.id is None]
    assert missing == []
    ids = Counter(p.id for _, p in plugins)
    assert [i for i, n in ids.items() if n > 1] == []
    for kind, plugin in plugins:
        assert plugin.id is not None
        role = CATALOG.role(plugin.id, kind)  # type: ignore[arg-type]
        assert role.kind != "other", f"{kind} id {plugin.id} is not in the catalog"
        assert (role.kind == "input") is (kind == "input")


def test_should_carry_exactly_the_catalog_ids(pipeline: tuple[DeploymentConfig, Config]) -> None:
    config, parsed = pipeline
    output_type = CATALOG.output_types[config.output_type]
    outputs = Counter(p.id for _, p in parsed.plugins("output"))
    expected_outputs = Counter(output_type.all_output_ids())
    if output_type.unclassified_output_id is not None:
        expected_outputs[output_type.unclassified_output_id] += 1
    assert outputs == expected_outputs
    filters = Counter(p.id for _, p in parsed.plugins("filter"))
    assert filters == _expected_filter_ids(config)
    inputs = [p.id for _, p in parsed.plugins("input")]
    assert inputs == ["syslog-tcp", "syslog-udp"] + (["syslog-tls"] if config.tls.enabled else [])


def test_should_reference_only_variables_the_container_sets(
    pipeline: tuple[DeploymentConfig, Config],
) -> None:
    config, parsed = pipeline
    provided = container_environment(config, CATALOG.output_types[config.output_type])
    refs = parsed.env_references()
    assert refs, "an output without any ${VAR} is suspicious"
    unset = sorted({name for name, default in refs if default is None and name not in provided})
    assert unset == []
    assert ("LOG_PROFILE", "all") in refs


def test_should_listen_for_syslog_on_the_configured_ports(
    pipeline: tuple[DeploymentConfig, Config],
) -> None:
    config, parsed = pipeline
    inputs = {p.id: p for _, p in parsed.plugins("input")}
    assert inputs["syslog-tcp"].name == "tcp" and inputs["syslog-udp"].name == "udp"
    assert inputs["syslog-tcp"].get("port") == inputs["syslog-udp"].get("port") == 5000
    if config.tls.enabled:
        tls = inputs["syslog-tls"]
        assert (tls.name, tls.get("port")) == ("tcp", 6514)
        assert tls.get("ssl_enabled") == Bareword("true")
        assert tls.get("ssl_client_authentication") == "required"


@pytest.mark.parametrize("client_auth", [False, True], ids=["tls", "mtls"])
def test_should_configure_the_tls_input_with_the_tcp_plugin_options(client_auth: bool) -> None:
    """logstash-input-tcp 6.4+ (Logstash 8.x) names: ssl_enabled, ssl_certificate, ssl_key,
    ssl_certificate_authorities, ssl_client_authentication. Its server-mode default for
    ssl_client_authentication is "required", so plain TLS must say "none" explicitly."""
    config = make_config("splunk-hec", tls=True, client_auth=client_auth)
    inputs = {p.id: p for _, p in parse(RENDERER.pipeline(config)).plugins("input")}
    tls = inputs["syslog-tls"]
    assert tls.get("ssl_certificate") == "/usr/share/logstash/config/tls/server.crt"
    assert tls.get("ssl_key") == "/usr/share/logstash/config/tls/server.key"
    if client_auth:
        assert tls.get("ssl_client_authentication") == "required"
        assert tls.get("ssl_certificate_authorities") == ["/usr/share/logstash/config/tls/ca.crt"]
    else:
        assert tls.get("ssl_client_authentication") == "none"
        assert tls.get("ssl_certificate_authorities") is None
    deprecated = {"ssl_enable", "ssl_cert", "ssl_verify", "ssl_extra_chain_certs"}
    assert not deprecated & {name for name, _ in tls.attributes}


def _outputs_with_conditions(
    body: tuple[Node, ...], conditions: tuple[str, ...] = ()
) -> Iterator[tuple[Plugin, tuple[str, ...]]]:
    for node in body:
        if isinstance(node, Plugin):
            yield node, conditions
        elif isinstance(node, Branch):
            for clause in node.clauses:
                text = _condition_text(clause.condition) if clause.condition is not None else ""
                yield from _outputs_with_conditions(clause.body, (*conditions, text))


def _condition_text(tree: lark.Tree[lark.Token]) -> str:
    return " ".join(str(v) for v in tree.scan_values(lambda v: not isinstance(v, lark.Tree)))


def test_should_route_outputs_by_log_type_and_profile(
    pipeline: tuple[DeploymentConfig, Config],
) -> None:
    config, parsed = pipeline
    (section,) = [s for s in parsed.sections if s.kind == "output"]
    for plugin, conditions in _outputs_with_conditions(section.body):
        joined = " ".join(conditions)
        if plugin.id == "webhook-unclassified":
            assert "unclassified" in joined
            continue
        assert "[@metadata][log_type]" in joined, plugin.id
        assert ("[@metadata][log_profile]" in joined) is (config.output_type != "webhook-test")


def test_should_never_write_a_one_element_array_in_a_condition() -> None:
    for name in VARIANTS:
        for condition in rendered(name)[1].conditions():
            for token in condition.scan_values(lambda v: isinstance(v, lark.Token)):
                assert not (token.type == "FIELD_REF" and token.startswith('["')), (name, token)


def test_should_write_ruby_code_as_single_quoted_strings() -> None:
    _text, parsed = rendered("dynatrace")
    codes = [p.get("code") for _, p in parsed.plugins("filter") if p.name == "ruby"]
    assert codes and all(isinstance(c, str) and "event" in c for c in codes)


def test_should_render_identically_twice() -> None:
    config = make_config("azure-log-ingestion")
    assert RENDERER.pipeline(config) == RENDERER.pipeline(config)


def test_should_classify_in_the_documented_order() -> None:
    _text, parsed = rendered("splunk-hec")
    (section,) = [s for s in parsed.sections if s.kind == "filter"]
    chain = next(n for n in section.body if isinstance(n, Branch))
    grok_ids = [next(p.id for p in _first_plugins(c.body)) for c in chain.clauses]
    assert [c.kind for c in chain.clauses] == ["if"] + ["else if"] * (len(chain.clauses) - 1)
    first_ids = {k: CATALOG.filter_ids[k][0] for k in CATALOG.log_type_keys}
    assert grok_ids == [first_ids[k] for k in CATALOG.log_type_keys]


def _first_plugins(body: tuple[Node, ...]) -> Iterator[Plugin]:
    for node in body:
        if isinstance(node, Plugin):
            yield node
        else:
            for clause in node.clauses:
                yield from _first_plugins(clause.body)
