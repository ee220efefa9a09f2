"""A parser of the Logstash configuration language, written from its documented grammar.

Logstash has no Python parser, and there is no Logstash on these machines, so the rendered
pipelines are checked with this one. It follows Logstash's own grammar (``grammar.treetop`` in
logstash-core, described in "Structure of a config file" and "Accessing event data and fields"):

* a config is one or more sections ``input``/``filter``/``output`` ``{ ... }``;
* a section or branch body holds plugins and branches; a plugin is ``name { attribute* }`` where
  the name is a bareword (letters, digits, ``_``, ``-``) or a string;
* an attribute is ``name => value``; a value is a plugin (``codec => json { }``), a bareword
  (``[A-Za-z_][A-Za-z0-9_]+``), a string, a number, an array ``[v, v]`` or a hash
  ``{ key => value key => value }`` (hash entries are not comma-separated);
* strings are double- or single-quoted; a backslash escapes only the quote character (the text is
  kept as written: Logstash processes escapes only with ``config.support_escapes``);
* conditionals: ``if COND { } else if COND { } else { }`` where COND combines expressions with
  ``and``, ``or``, ``xor``, ``nand``; an expression is ``( COND )``, ``!( COND )``, ``![field]``,
  ``rvalue in rvalue``, ``rvalue not in rvalue``, ``rvalue (==|!=|<|>|<=|>=) rvalue``,
  ``rvalue (=~|!~) (string|/regex/)`` or an rvalue alone; an rvalue is a string, number, field
  reference ``[a][b]``, array, method call ``name(args)`` or ``/regex/``;
* ``#`` starts a comment outside strings. Like Logstash, ``["x"]`` in a condition is a field
  reference (selector), not a one-element array.

Parsing never evaluates anything. :func:`parse` returns a small tree (:class:`Config`) and
raises :class:`LogstashConfigError` with the line and column of the first error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Union

import lark

GRAMMAR = r"""
start: section+
section: SECTION_TYPE "{" body "}"
body: (plugin | branch)*

plugin: plugin_name "{" attribute* "}"
plugin_name: NAME | string
attribute: attribute_name "=>" value
attribute_name: NAME | string

?value: plugin
      | NAME            -> bareword
      | NUMBER          -> number
      | string
      | array
      | hash
array: "[" [value ("," value)*] "]"
hash: "{" hash_entry* "}"
hash_entry: hash_key "=>" value
?hash_key: NUMBER -> number
         | NAME -> bareword
         | string

branch: if_clause else_if_clause* else_clause?
if_clause: "if" condition "{" body "}"
else_if_clause: "else" "if" condition "{" body "}"
else_clause: "else" "{" body "}"

condition: expression (bool_op expression)*
!bool_op: "and" | "or" | "xor" | "nand"
?expression: "(" condition ")"                    -> group
           | "!" "(" condition ")"                -> not_group
           | "!" FIELD_REF                        -> not_field
           | rvalue "in" rvalue                   -> in_expr
           | rvalue "not" "in" rvalue             -> not_in_expr
           | rvalue COMPARE_OP rvalue             -> compare
           | rvalue REGEX_OP (string | REGEX)     -> regex_match
           | rvalue                               -> truthy
?rvalue: string
       | NUMBER -> number
       | FIELD_REF -> field_ref
       | array
       | method_call
       | REGEX -> regex
method_call: NAME "(" [rvalue ("," rvalue)*] ")"

string: DQ_STRING | SQ_STRING

SECTION_TYPE: "input" | "filter" | "output"
COMPARE_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
REGEX_OP: "=~" | "!~"
NAME: /[A-Za-z0-9_-]+/
NUMBER.2: /-?[0-9]+(\.[0-9]*)?(?![A-Za-z0-9_-])/
DQ_STRING: /"(?:[\\]"|[^"])*+"/
SQ_STRING: /'(?:[\\]'|[^'])*+'/
REGEX: /\/(?:[\\]\/|[^\/])*+\//
FIELD_REF: /(\[[^\]\[,]+\])+/
COMMENT: /#[^\n]*/

%import common.WS
%ignore WS
%ignore COMMENT
"""

_PARSER = lark.Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)

_BAREWORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]+\Z")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


class LogstashConfigError(ValueError):
    """The text is not a valid Logstash configuration; the message gives line and column."""


@dataclass(frozen=True)
class Bareword:
    value: str


@dataclass(frozen=True)
class Plugin:
    name: str
    attributes: tuple[tuple[str, Value], ...]
    line: int

    def get(self, name: str) -> Value | None:
        """The value of the last attribute called ``name`` (Logstash keeps the last one)."""
        found: Value | None = None
        for key, value in self.attributes:
            if key == name:
                found = value
        return found

    @property
    def id(self) -> str | None:
        value = self.get("id")
        return value if isinstance(value, str) else None


Value = Union[str, int, float, Bareword, list["Value"], "Hash", Plugin]


@dataclass(frozen=True)
class Hash:
    entries: tuple[tuple[str | int | float, Value], ...]

    def get(self, key: str) -> Value | None:
        for k, v in self.entries:
            if k == key:
                return v
        return None


@dataclass(frozen=True)
class Clause:
    kind: str  # "if", "else if" or "else"
    condition: lark.Tree[lark.Token] | None
    body: tuple[Node, ...]


@dataclass(frozen=True)
class Branch:
    clauses: tuple[Clause, ...]


Node = Union[Plugin, Branch]  # noqa: UP007


@dataclass(frozen=True)
class Section:
    kind: str  # input, filter or output
    body: tuple[Node, ...]


@dataclass
class Config:
    sections: tuple[Section, ...]
    strings: list[str] = field(default_factory=list)
    """Every string literal (unquoted text), in conditions too, in source order."""

    def plugins(self, kind: str | None = None) -> Iterator[tuple[str, Plugin]]:
        """(section kind, plugin) for every plugin at any depth, in source order. Plugins used
        as attribute values (codecs) are not listed."""
        for section in self.sections:
            if kind is None or section.kind == kind:
                for plugin in _walk(section.body):
                    yield section.kind, plugin

    def conditions(self) -> Iterator[lark.Tree[lark.Token]]:
        for section in self.sections:
            yield from _conditions(section.body)

    def env_references(self) -> list[tuple[str, str | None]]:
        """Every ``${NAME}`` / ``${NAME:default}`` in string literals: (name, default or None)."""
        refs = []
        for text in self.strings:
            for match in ENV_REF.finditer(text):
                refs.append((match.group(1), match.group(2)))
        return refs


def _walk(body: tuple[Node, ...]) -> Iterator[Plugin]:
    for node in body:
        if isinstance(node, Plugin):
            yield node
        else:
            for clause in node.clauses:
                yield from _walk(clause.body)


def _conditions(body: tuple[Node, ...]) -> Iterator[lark.Tree[lark.Token]]:
    for node in body:
        if isinstance(node, Branch):
            for clause in node.clauses:
                if clause.condition is not None:
                    yield clause.condition
                yield from _conditions(clause.body)


def _unquote(token: lark.Token) -> str:
    text = str(token)
    quote = text[0]
    # Only the quote character is escaped; the rest is kept as written (support_escapes: false).
    return text[1:-1].replace("\\" + quote, quote)


class _Builder(lark.Transformer[lark.Token, Config]):
    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []

    def string(self, items: list[lark.Token]) -> str:
        text = _unquote(items[0])
        self.strings.append(text)
        return text

    def number(self, items: list[lark.Token]) -> int | float:
        text = str(items[0])
        return float(text) if "." in text else int(text)

    def bareword(self, items: list[lark.Token]) -> Bareword:
        text = str(items[0])
        if not _BAREWORD.match(text):
            raise LogstashConfigError(
                f"line {items[0].line} column {items[0].column}: {text!r} is not a bareword"
            )
        return Bareword(text)

    def array(self, items: list[Value | None]) -> list[Value]:
        return [i for i in items if i is not None]

    def hash_entry(self, items: list[object]) -> tuple[object, object]:
        key, value = items
        if isinstance(key, Bareword):
            key = key.value
        return key, value

    def hash(self, items: list[tuple[str | int | float, Value]]) -> Hash:
        return Hash(tuple(items))

    def plugin_name(self, items: list[object]) -> str:
        return str(items[0])

    def attribute_name(self, items: list[object]) -> str:
        return str(items[0])

    def attribute(self, items: list[object]) -> tuple[object, object]:
        return items[0], items[1]

    @lark.v_args(meta=True)
    def plugin(self, meta: lark.tree.Meta, items: list[object]) -> Plugin:
        name = items[0]
        assert isinstance(name, str)
        attributes = tuple(i for i in items[1:] if isinstance(i, tuple))
        return Plugin(name, attributes, meta.line)  # type: ignore[arg-type]

    def body(self, items: list[Node]) -> tuple[Node, ...]:
        return tuple(items)

    def if_clause(self, items: list[object]) -> Clause:
        return Clause("if", items[0], items[1])  # type: ignore[arg-type]

    def else_if_clause(self, items: list[object]) -> Clause:
        return Clause("else if", items[0], items[1])  # type: ignore[arg-type]

    def else_clause(self, items: list[object]) -> Clause:
        return Clause("else", None, items[0])  # type: ignore[arg-type]

    def branch(self, items: list[Clause]) -> Branch:
        return Branch(tuple(items))

    def section(self, items: list[object]) -> Section:
        return Section(str(items[0]), items[1])  # type: ignore[arg-type]

    def start(self, items: list[Section]) -> Config:
        return Config(tuple(items), self.strings)


def parse(text: str) -> Config:
    """Parse a Logstash configuration; :class:`LogstashConfigError` on any syntax error."""
    try:
        tree = _PARSER.parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        context = exc.get_context(text, span=30).strip().replace("\n", " | ")
        raise LogstashConfigError(
            f"line {exc.line} column {exc.column}: syntax error near {context!r}"
        ) from None
    try:
        config = _Builder().transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, LogstashConfigError):
            raise exc.orig_exc from None
        raise
    return config
