"""Run a rendered Logstash pipeline's filter and output sections over a message, in Python.

The pipeline is taken from its parsed form (``tests/templates/logstash_config.py``), never
re-stated here: the conditionals, the grok ``match`` / ``pattern_definitions`` and the other
filters' settings are read from the AST and executed with Logstash's semantics for what stashkit
uses:

* conditions: ``in`` / ``not in`` (substring for a string field, membership for an array),
  ``== != < > <= >=``, ``=~ !~`` (Ruby regex), ``[field]`` truthiness, ``![field]``, ``( )``,
  ``!( )`` and ``and or xor nand`` (a mix of different operators without parentheses is refused:
  stashkit never writes one, and precedence would be a guess);
* filters: ``grok`` (:mod:`tests.pipelines.grok`), ``mutate`` (replace, convert, copy, then
  add_field / add_tag / remove_field, in mutate's own order), ``drop``, ``json``, ``date``
  (ISO8601, UNIX and the Joda patterns the pipelines use) and ``ruby`` (recorded, not run: the
  ruby snippets run under a real Ruby in tests/templates/test_ruby_snippets.py);
* common options apply only when a filter succeeds; ``%{field}`` references are expanded in
  added values; ``${VAR:default}`` is substituted from the given environment;
* inputs: the event starts as the input plugin builds it (``type``, ``add_field``), with the
  raw line in ``message`` and ``[event][original]`` (Logstash 8 codecs in ECS mode).

A :class:`Run` records every filter id the event passed (what the sidecar sees as ``events.in``),
the drop that removed it, and the output ids it reached.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import lark
import regex

from tests.templates.logstash_config import (
    ENV_REF,
    Bareword,
    Branch,
    Config,
    Hash,
    Node,
    Plugin,
)

from .grok import GrokLibrary

_FLAGS = regex.ASCII | regex.MULTILINE | regex.VERSION0
_SPRINTF = regex.compile(r"%\{([^}]+)\}")


class Unsupported(NotImplementedError):
    """The pipeline uses something this interpreter does not model (extend it, do not skip)."""


class Dropped(Exception):
    """Raised by a drop filter: the event leaves the pipeline (Logstash cancels it)."""

    def __init__(self, plugin_id: str) -> None:
        super().__init__(plugin_id)
        self.plugin_id = plugin_id


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


def field_path(ref: str) -> list[str]:
    """``[a][b]`` -> ``["a", "b"]``; a bare name is one key."""
    ref = ref.strip()
    if ref.startswith("["):
        parts = regex.findall(r"\[([^\]]*)\]", ref)
        if "".join(f"[{p}]" for p in parts) != ref:
            raise Unsupported(f"field reference {ref!r}")
        return parts
    return [ref]


class Event:
    """A Logstash event as nested dicts; ``@metadata`` is a field like the others."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get(self, ref: str) -> Any:
        node: Any = self.data
        for key in field_path(ref):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def has(self, ref: str) -> bool:
        node: Any = self.data
        for key in field_path(ref):
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def set(self, ref: str, value: Any) -> None:
        keys = field_path(ref)
        node = self.data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1]] = value

    def remove(self, ref: str) -> None:
        keys = field_path(ref)
        node: Any = self.data
        for key in keys[:-1]:
            if not isinstance(node, dict) or key not in node:
                return
            node = node[key]
        if isinstance(node, dict):
            node.pop(keys[-1], None)

    @property
    def tags(self) -> list[str]:
        tags = self.data.get("tags")
        return list(tags) if isinstance(tags, list) else []

    def tag(self, name: str) -> None:
        tags = self.data.setdefault("tags", [])
        if name not in tags:
            tags.append(name)

    def sprintf(self, text: str) -> str:
        def value(match: regex.Match[str]) -> str:
            found = self.get(match.group(1))
            if found is None:
                return match.group(0)  # Logstash leaves a missing reference as written
            if isinstance(found, dict | list):
                return json.dumps(found, separators=(",", ":"))
            if isinstance(found, bool):
                return "true" if found else "false"
            return str(found)

        return _SPRINTF.sub(value, text)


# --------------------------------------------------------------------------------------------
# Values of plugin settings
# --------------------------------------------------------------------------------------------


def substitute_env(value: Any, env: Mapping[str, str]) -> Any:
    """``${NAME}`` / ``${NAME:default}`` in strings, recursively (Logstash does it at load)."""
    if isinstance(value, str):

        def one(match: regex.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is None:
                raise Unsupported(f"${{{name}}} is not set and has no default")
            return str(default)

        return ENV_REF.sub(one, value)
    if isinstance(value, list):
        return [substitute_env(v, env) for v in value]
    if isinstance(value, Hash):
        return Hash(tuple((k, substitute_env(v, env)) for k, v in value.entries))
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def as_pairs(value: Any) -> list[tuple[str, Any]]:
    """A hash setting (or the legacy flat array form ``[k, v, k, v]``) as pairs."""
    if value is None:
        return []
    if isinstance(value, Hash):
        return [(str(k), v) for k, v in value.entries]
    if isinstance(value, list) and len(value) % 2 == 0:
        return [(str(value[i]), value[i + 1]) for i in range(0, len(value), 2)]
    raise Unsupported(f"expected a hash, got {value!r}")


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, Bareword) and value.value == "true")


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------


def _regex_literal(token: str) -> regex.Pattern[str]:
    body = token[1:-1].replace("\\/", "/")
    return regex.compile(body, _FLAGS)


class Conditions:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def evaluate(self, tree: lark.Tree[lark.Token], event: Event) -> bool:
        children = list(tree.children)
        result = self.expression(children[0], event)
        operators = {str(op.children[0]) for op in children[1::2] if isinstance(op, lark.Tree)}
        if len(operators) > 1:
            raise Unsupported(f"mixed boolean operators without parentheses: {operators}")
        for op_node, operand in zip(children[1::2], children[2::2], strict=True):
            op = str(op_node.children[0]) if isinstance(op_node, lark.Tree) else str(op_node)
            right = self.expression(operand, event)
            if op == "and":
                result = result and right
            elif op == "or":
                result = result or right
            elif op == "xor":
                result = result != right
            elif op == "nand":
                result = not (result and right)
            else:
                raise Unsupported(op)
        return result

    def expression(self, node: Any, event: Event) -> bool:
        if not isinstance(node, lark.Tree):
            return bool(self.value(node, event))
        kind = node.data
        kids = node.children
        if kind == "group":
            return self.evaluate(kids[0], event)
        if kind == "not_group":
            return not self.evaluate(kids[0], event)
        if kind == "not_field":
            return not _truthy(event.get(str(kids[0])))
        if kind in ("in_expr", "not_in_expr"):
            needle, haystack = self.value(kids[0], event), self.value(kids[1], event)
            found = _contains(haystack, needle)
            return found if kind == "in_expr" else not found
        if kind == "compare":
            left, op, right = self.value(kids[0], event), str(kids[1]), self.value(kids[2], event)
            return _compare(left, op, right)
        if kind == "regex_match":
            subject = self.value(kids[0], event)
            op = str(kids[1])
            pattern_node = kids[2]
            if isinstance(pattern_node, lark.Token):
                pattern = _regex_literal(str(pattern_node))
            else:
                pattern = regex.compile(str(pattern_node), _FLAGS)
            matched = isinstance(subject, str) and pattern.search(subject) is not None
            return matched if op == "=~" else not matched
        if kind == "truthy":
            return _truthy(self.value(kids[0], event))
        if kind == "condition":
            return self.evaluate(node, event)
        raise Unsupported(f"condition node {kind}")

    def value(self, node: Any, event: Event) -> Any:
        if isinstance(node, lark.Tree):
            if node.data == "field_ref":
                return event.get(str(node.children[0]))
            if node.data == "regex":
                return _regex_literal(str(node.children[0]))
            raise Unsupported(f"rvalue {node.data}")
        if isinstance(node, str):
            return substitute_env(node, self.env)
        if isinstance(node, int | float | list):
            return node
        raise Unsupported(f"rvalue {node!r}")


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, str):
        return isinstance(needle, str) and needle in haystack
    if isinstance(haystack, list):
        return needle in haystack
    if isinstance(haystack, dict):
        return needle in haystack
    return False


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == "<":
            return bool(left < right)
        if op == ">":
            return bool(left > right)
        if op == "<=":
            return bool(left <= right)
        if op == ">=":
            return bool(left >= right)
    except TypeError:
        return False
    raise Unsupported(op)


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def _convert_integer(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        # Ruby String#to_i on the text without thousands separators: leading digits only.
        found = regex.match(r"\s*([+-]?\d+)", value.replace(",", ""))
        return int(found.group(1)) if found else 0
    return value


def _convert_float(value: Any) -> Any:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        found = regex.match(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)", value)
        return float(found.group(1)) if found else 0.0
    return value


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _convert_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value  # mutate leaves an unrecognised value as it was


_CONVERTERS: Mapping[str, Callable[[Any], Any]] = {
    "integer": _convert_integer,
    "float": _convert_float,
    "boolean": _convert_boolean,
    "string": lambda v: (
        v if isinstance(v, str) else json.dumps(v) if isinstance(v, dict) else str(v)
    ),
}


def _joda_regex(pattern: str) -> regex.Pattern[str]:
    """The Joda-Time patterns the pipelines use, as a regex with named parts."""
    tokens = regex.findall(r"(y+|M+|d+|H+|m+|s+|S+|Z+|'[^']*'|[^yMdHmsSZ']+)", pattern)
    parts = []
    for token in tokens:
        if token.startswith("'"):
            parts.append(regex.escape(token[1:-1]))
        elif token[0] == "y":
            parts.append(r"(?P<year>\d{4})")
        elif token == "MMM":
            parts.append(r"(?P<mon>[A-Za-z]{3})")
        elif token[0] == "M":
            parts.append(r"(?P<month>\d{1,2})")
        elif token[0] == "d":
            parts.append(r"(?P<day>\d{1,2})")
        elif token[0] == "H":
            parts.append(r"(?P<hour>\d{1,2})")
        elif token[0] == "m":
            parts.append(r"(?P<minute>\d{1,2})")
        elif token[0] == "s":
            parts.append(r"(?P<second>\d{1,2})")
        elif token[0] == "S":
            parts.append(rf"(?P<fraction>\d{{{len(token)}}})")
        elif token[0] == "Z":
            parts.append(r"(?P<zone>Z|[+-]\d\d:?\d\d)")
        else:
            parts.append(regex.escape(token))
    return regex.compile("".join(parts) + r"\Z", regex.ASCII)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ISO8601 = regex.compile(
    r"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)[T ](?P<hour>\d\d):(?P<minute>\d\d)"
    r"(?::(?P<second>\d\d)(?:[.,](?P<fraction>\d+))?)?(?P<zone>Z|[+-]\d\d:?\d\d)?\Z"
)


def parse_date(text: str, fmt: str, now: dt.datetime) -> dt.datetime | None:
    """What the date filter makes of ``text`` with one format (UTC when no zone is given)."""
    if fmt == "UNIX":
        try:
            return dt.datetime.fromtimestamp(float(text), dt.UTC)
        except (ValueError, OverflowError):
            return None
    if fmt == "UNIX_MS":
        try:
            return dt.datetime.fromtimestamp(float(text) / 1000, dt.UTC)
        except (ValueError, OverflowError):
            return None
    found = (_ISO8601 if fmt == "ISO8601" else _joda_regex(fmt)).match(text)
    if found is None:
        return None
    parts = found.groupdict()
    if parts.get("mon"):
        month = _MONTHS.get(parts["mon"].lower())
        if month is None:
            return None
    else:
        month = int(parts["month"])
    zone = dt.UTC
    if parts.get("zone") and parts["zone"] != "Z":
        sign = 1 if parts["zone"][0] == "+" else -1
        digits = parts["zone"][1:].replace(":", "")
        zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    fraction = (parts.get("fraction") or "0")[:6].ljust(6, "0")
    year = int(parts["year"]) if parts.get("year") else now.year
    try:
        return dt.datetime(
            year,
            month,
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts.get("second") or 0),
            int(fraction),
            tzinfo=zone,
        )
    except ValueError:
        return None


@dataclass
class Run:
    """What happened to one event."""

    event: Event
    filters: list[str] = field(default_factory=list)
    dropped_by: str | None = None
    outputs: list[str] = field(default_factory=list)
    grok_pattern: dict[str, int] = field(default_factory=dict)
    """grok id -> index of the pattern that matched (in its ``match`` list)."""
    snapshot: Event | None = None
    """A copy of the event right after the filter ``Pipeline.snapshot_after`` (the end of the
    output-independent stage), before output-specific filters reshape it."""

    @property
    def log_type(self) -> Any:
        return self.event.get("[@metadata][log_type]")


class Pipeline:
    """The filter and output sections of one parsed pipeline, ready to run events."""

    def __init__(
        self,
        config: Config,
        env: Mapping[str, str] | None = None,
        *,
        now: dt.datetime | None = None,
        snapshot_after: str = "add-unix-time",
    ) -> None:
        self.env = dict(env or {})
        self.snapshot_after = snapshot_after
        self.now = now or dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
        self.conditions = Conditions(self.env)
        self.inputs = {p.id: p for _, p in config.plugins("input")}
        self.filter_body = _section(config, "filter")
        self.output_body = _section(config, "output")
        self._libraries: dict[int, GrokLibrary] = {}

    # -- public ----------------------------------------------------------------------------

    def new_event(self, message: str, input_id: str = "syslog-udp") -> Event:
        plugin = self.inputs[input_id]
        data: dict[str, Any] = {
            "message": message,
            "@version": "1",
            "@timestamp": self.now,
            "event": {"original": message},
            "host": {"ip": "192.0.2.10"},
        }
        event = Event(data)
        kind = plugin.get("type")
        if isinstance(kind, str):
            event.set("type", kind)
        for key, value in as_pairs(substitute_env(plugin.get("add_field"), self.env)):
            event.set(key, event.sprintf(str(value)))
        return event

    def run(self, message: str, input_id: str = "syslog-udp") -> Run:
        run = Run(self.new_event(message, input_id))
        try:
            self._body(self.filter_body, run)
        except Dropped as exc:
            run.dropped_by = exc.plugin_id
            return run
        for plugin in self._reached(self.output_body, run.event):
            run.outputs.append(str(plugin.id))
        return run

    def groks(self) -> Iterator[tuple[Plugin, GrokLibrary, dict[str, list[str]]]]:
        """Every grok filter with its library and ``match`` (field -> patterns)."""
        for plugin in _plugins(self.filter_body):
            if plugin.name == "grok":
                yield plugin, self._library(plugin), self._matches(plugin)

    # -- sections ----------------------------------------------------------------------------

    def _body(self, body: tuple[Node, ...], run: Run) -> None:
        for node in body:
            if isinstance(node, Plugin):
                self._filter(node, run)
                continue
            for clause in node.clauses:
                if clause.condition is None or self.conditions.evaluate(
                    clause.condition, run.event
                ):
                    self._body(clause.body, run)
                    break

    def _reached(self, body: tuple[Node, ...], event: Event) -> Iterator[Plugin]:
        for node in body:
            if isinstance(node, Plugin):
                yield node
                continue
            for clause in node.clauses:
                if clause.condition is None or self.conditions.evaluate(clause.condition, event):
                    yield from self._reached(clause.body, event)
                    break

    # -- filters -----------------------------------------------------------------------------

    def _filter(self, plugin: Plugin, run: Run) -> None:
        plugin_id = str(plugin.id)
        run.filters.append(plugin_id)
        event = run.event
        handler = getattr(self, f"_filter_{plugin.name}", None)
        if handler is None:
            raise Unsupported(f"filter plugin {plugin.name} ({plugin_id})")
        if handler(plugin, run):
            self._decorate(plugin, event)
        if plugin_id == self.snapshot_after:
            run.snapshot = Event(copy.deepcopy(event.data))

    def _decorate(self, plugin: Plugin, event: Event) -> None:
        """Common options, applied after a successful filter."""
        for key, value in as_pairs(self._setting(plugin, "add_field")):
            for item in as_list(value):
                name = event.sprintf(key)
                added = event.sprintf(str(item))
                current = event.get(name)
                if current is None:
                    event.set(name, added)
                elif isinstance(current, list):
                    current.append(added)
                else:
                    event.set(name, [current, added])
        for tag in as_list(self._setting(plugin, "add_tag")):
            event.tag(event.sprintf(str(tag)))
        for ref in as_list(self._setting(plugin, "remove_field")):
            event.remove(event.sprintf(str(ref)))
        for tag in as_list(self._setting(plugin, "remove_tag")):
            if tag in event.tags:
                event.data["tags"] = [t for t in event.tags if t != tag]

    def _setting(self, plugin: Plugin, name: str) -> Any:
        return substitute_env(plugin.get(name), self.env)

    def _library(self, plugin: Plugin) -> GrokLibrary:
        key = id(plugin)
        if key not in self._libraries:
            definitions = {str(k): str(v) for k, v in as_pairs(plugin.get("pattern_definitions"))}
            self._libraries[key] = GrokLibrary(definitions)
        return self._libraries[key]

    def _matches(self, plugin: Plugin) -> dict[str, list[str]]:
        return {k: [str(p) for p in as_list(v)] for k, v in as_pairs(plugin.get("match"))}

    def _filter_grok(self, plugin: Plugin, run: Run) -> bool:
        if plugin.get("patterns_dir") is not None:
            raise Unsupported("patterns_dir: the pipelines carry pattern_definitions inline")
        library = self._library(plugin)
        event = run.event
        for source, patterns in self._matches(plugin).items():
            value = event.get(source)
            if not isinstance(value, str):
                continue
            for index, pattern in enumerate(patterns):
                fields = library.compile(pattern).match(value)
                if fields is None:
                    continue
                for name, captured in fields.items():
                    event.set(name, captured)
                run.grok_pattern[str(plugin.id)] = index
                return True
        for tag in _on_failure(plugin, "_grokparsefailure"):
            event.tag(str(tag))
        return False

    def _filter_mutate(self, plugin: Plugin, run: Run) -> bool:
        event = run.event
        known = {"id", "replace", "convert", "copy", "add_field", "add_tag", "remove_field"}
        unknown = {name for name, _ in plugin.attributes} - known
        if unknown:
            raise Unsupported(f"mutate options {sorted(unknown)}")
        # mutate's order: ... replace, convert, ..., copy; then the common options.
        for key, value in as_pairs(self._setting(plugin, "replace")):
            event.set(event.sprintf(key), event.sprintf(str(value)))
        for key, kind in as_pairs(self._setting(plugin, "convert")):
            current = event.get(key)
            if current is None:
                continue
            converter = _CONVERTERS.get(str(kind))
            if converter is None:
                raise Unsupported(f"mutate convert to {kind}")
            if isinstance(current, list):
                event.set(key, [converter(v) for v in current])
            else:
                event.set(key, converter(current))
        for source, target in as_pairs(self._setting(plugin, "copy")):
            if event.has(source):
                event.set(str(target), copy.deepcopy(event.get(source)))
        return True

    def _filter_drop(self, plugin: Plugin, run: Run) -> bool:
        raise Dropped(str(plugin.id))

    def _filter_json(self, plugin: Plugin, run: Run) -> bool:
        event = run.event
        source = str(plugin.get("source"))
        target = plugin.get("target")
        text = event.get(source)
        if not isinstance(text, str):
            return False
        try:
            parsed = json.loads(text)
        except ValueError:
            if not is_true(plugin.get("skip_on_invalid_json")):
                for tag in _on_failure(plugin, "_jsonparsefailure"):
                    event.tag(str(tag))
            return False
        if target is None:
            if not isinstance(parsed, dict):
                event.tag("_jsonparsefailure")
                return False
            for key, value in parsed.items():
                event.set(key, value)
        else:
            event.set(str(target), parsed)
        return True

    def _filter_date(self, plugin: Plugin, run: Run) -> bool:
        event = run.event
        match = as_list(plugin.get("match"))
        source, formats = str(match[0]), [str(f) for f in match[1:]]
        value = event.get(source)
        if value is None:
            return False
        for fmt in formats:
            parsed = parse_date(str(value), fmt, self.now)
            if parsed is not None:
                event.set(str(plugin.get("target") or "@timestamp"), parsed)
                return True
        for tag in _on_failure(plugin, "_dateparsefailure"):
            event.tag(str(tag))
        return False

    def _filter_ruby(self, plugin: Plugin, run: Run) -> bool:
        return True  # run under a real Ruby in tests/templates/test_ruby_snippets.py


def _on_failure(plugin: Plugin, default: str) -> list[Any]:
    value = plugin.get("tag_on_failure")
    return [default] if value is None else as_list(value)


def _section(config: Config, kind: str) -> tuple[Node, ...]:
    body: list[Node] = []
    for section in config.sections:
        if section.kind == kind:
            body.extend(section.body)
    return tuple(body)


def _plugins(body: tuple[Node, ...]) -> Iterator[Plugin]:
    for node in body:
        if isinstance(node, Plugin):
            yield node
        elif isinstance(node, Branch):
            for clause in node.clauses:
                yield from _plugins(clause.body)
