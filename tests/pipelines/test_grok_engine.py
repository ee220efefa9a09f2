"""The test grok engine itself: expansion, captures, conversions, Ruby regex semantics."""

from __future__ import annotations

import pytest

from .grok import GrokError, GrokLibrary, base_patterns, match_first, read_patterns


def test_should_expand_named_and_unnamed_references() -> None:
    grok = GrokLibrary().compile("%{IPV4:src} -> %{IPV4}")
    assert grok.match("a 10.0.0.1 -> 10.0.0.2 b") == {"src": "10.0.0.1"}
    assert grok.match("10.0.0.1 -> nowhere") is None


def test_should_capture_into_field_references_and_convert() -> None:
    library = GrokLibrary({"PAIR": r"%{INT:[a][n]:int}/%{NUMBER:[@metadata][f]:float}"})
    assert library.compile("x=%{PAIR}").match("x=-12/3.5") == {"[a][n]": -12, "[@metadata][f]": 3.5}


def test_should_keep_oniguruma_named_groups_as_fields() -> None:
    library = GrokLibrary({"GW": r"GW-(?<gw_hostname>\S+)-%{IPV4:gw_ip}"})
    fields = library.compile("%{GW}").match("GW-a-b-10-1-10.1.2.3")
    assert fields == {"gw_hostname": "a-b-10-1", "gw_ip": "10.1.2.3"}
    # lookbehinds are not named groups
    assert GrokLibrary().compile(r"(?<![0-9])%{INT:n}").match("x42") == {"n": "42"}


def test_should_not_set_empty_or_absent_captures() -> None:
    grok = GrokLibrary().compile(r"a=%{DATA:a}, b=(?:%{WORD:b})?;")
    assert grok.match("a=, b=;") == {}
    assert grok.match("a=1, b=x;") == {"a": "1", "b": "x"}


def test_should_let_definitions_override_base_patterns() -> None:
    assert GrokLibrary({"WORD": "[0-9]+"}).compile("%{WORD:w}").match("abc 12") == {"w": "12"}


def test_should_use_ruby_semantics_for_classes_and_anchors() -> None:
    word = GrokLibrary().compile("^%{WORD:w}$")
    assert word.match("caf\u00e9") is None  # \w is ASCII, as in Ruby
    assert GrokLibrary().compile("^%{WORD:w}$").match("x y\nzz") == {"w": "zz"}  # ^ $ per line
    assert GrokLibrary().compile(r"a.b").match("a\nb") is None


def test_should_take_the_first_matching_pattern() -> None:
    library = GrokLibrary()
    assert match_first(library, ["%{INT:n}x", "%{WORD:w}"], "abc 5x") == (0, {"n": "5"})
    assert match_first(library, ["%{INT:n}x", "%{WORD:w}"], "abc") == (1, {"w": "abc"})
    assert match_first(library, ["%{INT:n}x"], "abc") is None


def test_should_refuse_unknown_and_cyclic_patterns() -> None:
    with pytest.raises(GrokError, match=r"unknown grok pattern %\{NOPE\}"):
        GrokLibrary().compile("%{NOPE:x}")
    with pytest.raises(GrokError, match="refers to itself: A -> B -> A"):
        GrokLibrary({"A": "%{B}", "B": "x%{A}"}).compile("%{A}")
    with pytest.raises(GrokError, match="does not compile"):
        GrokLibrary({"BAD": "(unclosed"}).compile("%{BAD}")


def test_should_read_pattern_files() -> None:
    patterns = read_patterns("# comment\n\nA [a-z]+\nB %{A}:%{A:x}\n")
    assert patterns == {"A": "[a-z]+", "B": "%{A}:%{A:x}"}
    with pytest.raises(GrokError, match="line 1"):
        read_patterns("not-a-name x")


def test_should_know_the_standard_patterns_the_project_uses() -> None:
    base = base_patterns()
    for name in ("SYSLOGTIMESTAMP", "TIMESTAMP_ISO8601", "IP", "NOTSPACE", "GREEDYDATA", "INT"):
        assert name in base
    stamp = GrokLibrary().compile("^%{SYSLOGTIMESTAMP:t}")
    assert stamp.match("Mar  4 22:54:27 x") == {"t": "Mar  4 22:54:27"}
    iso = GrokLibrary().compile("^%{TIMESTAMP_ISO8601:t}")
    assert iso.match("2026-03-04T22:58:43.573005+00:00 x") == {
        "t": "2026-03-04T22:58:43.573005+00:00"
    }
    assert GrokLibrary().compile("%{IP:ip}").match("fe80::1 x") == {"ip": "fe80::1"}
