"""A grok engine for the tests: Logstash's grok semantics on Python's ``regex`` module.

There is no Logstash here, so the rendered pipelines' grok filters are run by this engine. It
does what the grok filter does with the options stashkit uses:

* ``%{NAME}`` expands to the named pattern (non-capturing), ``%{NAME:field}`` captures it into
  ``field`` (a field reference such as ``[@metadata][x]`` is fine), ``%{NAME:field:int}`` /
  ``:float`` converts the capture; Oniguruma named groups ``(?<field>...)`` in a pattern capture
  too (grok keeps them as fields);
* patterns come from a library: the standard base patterns the project needs
  (``tests/pipelines/grok-base-patterns``, the same definitions as logstash-patterns-core's
  ecs-v1 set) plus a grok filter's ``pattern_definitions``, which override the base ones;
* regexes follow Ruby/Oniguruma: ``\\w \\d \\s \\b`` are ASCII (``regex.ASCII``), ``^``/``$``
  match at line boundaries (``regex.MULTILINE``), ``.`` stops at a newline;
* a match is a search anywhere in the value (grok is unanchored unless the pattern says ``^``);
  with several patterns the first that matches wins (``break_on_match``);
* ``keep_empty_captures => false`` (the default): a capture that is empty or did not take part
  sets no field.

Expansion is recursive with cycle detection; an unknown pattern name is an error, as it is for
Logstash at start-up.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import regex

BASE_PATTERNS_FILE = Path(__file__).with_name("grok-base-patterns")

_REFERENCE = regex.compile(r"%\{(?P<name>\w+)(?::(?P<field>[^:}]+))?(?::(?P<type>int|float))?\}")
# An Oniguruma named group, not a lookbehind (``(?<=``, ``(?<!``): the name starts with a letter.
_NAMED_GROUP = regex.compile(r"(?<!\\)(?:\\\\)*\K\(\?<(?P<name>[A-Za-z_@\[][^>]*)>")
_FLAGS = regex.ASCII | regex.MULTILINE | regex.VERSION0


class GrokError(ValueError):
    """A pattern cannot be expanded or compiled (unknown name, cycle, bad regex)."""


def read_patterns(text: str, source: str = "patterns") -> dict[str, str]:
    """``NAME regex`` lines (``#`` comments and blank lines skipped) as a dict."""
    patterns: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, body = line.partition(" ")
        if not sep or not regex.fullmatch(r"\w+", name):
            raise GrokError(f"{source} line {number}: expected 'NAME regex'")
        patterns[name] = body.strip()
    return patterns


@functools.cache
def base_patterns() -> Mapping[str, str]:
    return read_patterns(BASE_PATTERNS_FILE.read_text(encoding="utf-8"), BASE_PATTERNS_FILE.name)


@dataclass(frozen=True)
class Capture:
    field: str
    convert: str | None  # "int", "float" or None


@dataclass(frozen=True)
class Grok:
    """One compiled grok pattern."""

    source: str
    expanded: str
    compiled: regex.Pattern[str]
    captures: Mapping[str, Capture]  # regex group name -> field

    def match(self, value: str) -> dict[str, object] | None:
        """The fields the pattern captures from ``value``, or ``None`` when it does not match."""
        found = self.compiled.search(value)
        if found is None:
            return None
        fields: dict[str, object] = {}
        for group, capture in self.captures.items():
            text = found.group(group)
            if text is None or text == "":
                continue  # keep_empty_captures => false
            fields[capture.field] = _convert(text, capture.convert)
        return fields


def _convert(text: str, kind: str | None) -> object:
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return int(float(text))
    if kind == "float":
        return float(text)
    return text


class GrokLibrary:
    """Base patterns plus custom definitions; compiles grok expressions (memoised)."""

    def __init__(
        self, definitions: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
    ) -> None:
        self.patterns: dict[str, str] = dict(base_patterns() if base is None else base)
        self.patterns.update(definitions or {})
        self._cache: dict[str, Grok] = {}

    def compile(self, pattern: str) -> Grok:
        cached = self._cache.get(pattern)
        if cached is not None:
            return cached
        captures: dict[str, Capture] = {}
        expanded = self._expand(pattern, captures, ())
        try:
            compiled = regex.compile(expanded, _FLAGS)
        except regex.error as exc:
            raise GrokError(f"{pattern!r} does not compile: {exc}") from exc
        grok = Grok(pattern, expanded, compiled, captures)
        self._cache[pattern] = grok
        return grok

    def _expand(self, text: str, captures: dict[str, Capture], stack: tuple[str, ...]) -> str:
        # Oniguruma named groups first (in this text only; expansions handle their own).
        def named(match: regex.Match[str]) -> str:
            group = f"g{len(captures)}"
            captures[group] = Capture(match.group("name"), None)
            return f"(?P<{group}>"

        text = _NAMED_GROUP.sub(named, text)

        def reference(match: regex.Match[str]) -> str:
            name = match.group("name")
            if name in stack:
                raise GrokError(f"pattern {name} refers to itself: {' -> '.join((*stack, name))}")
            body = self.patterns.get(name)
            if body is None:
                raise GrokError(f"unknown grok pattern %{{{name}}}")
            inner = self._expand(body, captures, (*stack, name))
            field = match.group("field")
            if field is None:
                return f"(?:{inner})"
            group = f"g{len(captures)}"
            captures[group] = Capture(field, match.group("type"))
            return f"(?P<{group}>{inner})"

        return _REFERENCE.sub(reference, text)


def match_first(
    library: GrokLibrary, patterns: Iterable[str], value: str
) -> tuple[int, dict[str, object]] | None:
    """(index, fields) of the first pattern matching ``value`` (grok's break_on_match)."""
    for index, pattern in enumerate(patterns):
        fields = library.compile(pattern).match(value)
        if fields is not None:
            return index, fields
    return None
