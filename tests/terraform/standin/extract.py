"""Rebuild a provider schema from a prebuilt CDK-for-Terraform provider package.

The wheel (PyPI `cdktf-cdktf-provider-<name>`) carries `_jsii/<name>@<ver>.jsii.tgz`, an npm
tarball whose `package/lib/<module>/index.js` files cdktf generated from `terraform providers
schema -json`. That JavaScript is very regular: this module reads it with regular expressions
and writes the schema back in the shape of `terraform providers schema -json` (one provider).

Recovered: attribute names, attribute vs block (cdktf's `listMapperHcl(fn, isBlock)` carries
the schema's own flag), block nesting and max_items = 1, min_items = 1 for required blocks,
types, required vs optional, computed-only attributes. Not recovered: optional+computed
(guessed by a few rules, corrected by regenerate.COMPUTED), sensitive, deprecation,
descriptions, validators.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any

Block = dict[str, Any]

TOP_RE = re.compile(r"^(?:class (\w+) extends ([\w.]+) \{|function (\w+)\(struct\) \{)", re.M)
ENTRY_RE = re.compile(
    r'^[ \t]+"?([\w-]+)"?: \{\n[ \t]+value: (.*?),\n[ \t]+isBlock: (true|false),\n'
    r'[ \t]+type: "(\w+)",\n[ \t]+storageClassType: "(\w+)",\n[ \t]+\}',
    re.M,
)
COMPUTED_RE = re.compile(
    r"^    // ([\w-]+) - computed: true, optional: false, required: false\n"
    r"    get (\w+)\(\) \{\n        return (.*?);\n    \}",
    re.M,
)
RESET_RE = re.compile(
    r"^    reset\w+\(\) \{\n        this\._(\w+)(?:\.internalValue)? = undefined;", re.M
)
GETTER_RE = re.compile(r"^    get (\w+)\(\) \{\n        return (.*?);\n    \}", re.M)
NEW_RE = re.compile(r'this\._(\w+) = new (\w+)\(this, "([\w-]+)"(?:, (true|false))?\)')
RTYPE_RE = re.compile(r"terraformResourceType: '([\w-]+)'")
PVER_RE = re.compile(r"providerVersion: '([^']+)'")

PRIM = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
ATTR_FN: dict[str, Any] = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getBooleanListAttribute": ["list", "bool"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
    "interpolationForAttribute": "dynamic",
}
ATTR_FN_RE = re.compile(r"(" + "|".join(ATTR_FN) + r")\('([\w-]+)'\)")
KINDS = {
    "cdktf.TerraformResource": "resource",
    "cdktf.TerraformDataSource": "data",
    "cdktf.TerraformProvider": "provider",
}


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def sct_type(kind: str, sct: str) -> Any:
    """cty type of a primitive-collection storageClassType (stringList, ...)."""
    m = re.match(r"^(string|number|boolean|any)((?:List|Map)*)$", sct)
    if not m:
        return None
    t: Any = PRIM[m.group(1)]
    suffixes = re.findall(r"List|Map", m.group(2))
    for i, suf in enumerate(suffixes):
        if i == len(suffixes) - 1 and kind in ("list", "set", "map"):
            t = [kind, t]
        else:
            t = ["list" if suf == "List" else "map", t]
    return t


def _attr_fn_type(expr: str) -> Any:
    m = ATTR_FN_RE.search(expr)
    if not m:
        return None
    t = ATTR_FN[m.group(1)]
    if "Fn.tolist(" in expr and isinstance(t, list) and t[0] == "list":
        t = ["set", t[1]]
    return t


class Module:
    """One generated index.js: its classes and struct functions."""

    def __init__(self, text: str) -> None:
        self.classes: dict[str, tuple[str, str]] = {}
        self.funcs: dict[str, str] = {}
        starts = list(TOP_RE.finditer(text))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            body = text[m.start() : end]
            if m.group(1):
                self.classes[m.group(1)] = (m.group(2), body)
            else:
                self.funcs[m.group(3)] = body

    def class_body(self, name: str) -> str:
        c = self.classes.get(name)
        return c[1] if c else ""

    def object_type_of(self, outref_class: str, depth: int = 0) -> Any:
        """cty object type from all getters of an OutputReference class."""
        body = self.class_body(outref_class)
        news = {f: (cls, snake, wrap) for f, cls, snake, wrap in NEW_RE.findall(body)}
        attrs: dict[str, Any] = {}
        for getter, expr in GETTER_RE.findall(body):
            if getter == "internalValue":
                continue
            t = _attr_fn_type(expr)
            if t is not None:
                attrs[ATTR_FN_RE.search(expr).group(2)] = t  # type: ignore[union-attr]
                continue
            m = re.match(r"^this\._(\w+)$", expr)
            if m and m.group(1) in news and depth < 12:
                cls, snake, wrap = news[m.group(1)]
                attrs[snake] = self.complex_type(cls, wrap, depth + 1)
        return ["object", attrs]

    def complex_type(self, cls: str, wrap: str, depth: int = 0) -> Any:
        if cls.endswith("OutputReference"):
            return self.object_type_of(cls, depth)
        if cls.endswith("List"):
            obj = self.object_type_of(cls[:-4] + "OutputReference", depth)
            return ["set" if wrap == "true" else "list", obj]
        if cls.endswith("Map"):
            return ["map", self.object_type_of(cls[:-3] + "OutputReference", depth)]
        return "dynamic"

    def computed_attrs(self, body: str) -> dict[str, Any]:
        news = {f: (cls, snake, wrap) for f, cls, snake, wrap in NEW_RE.findall(body)}
        out: dict[str, Any] = {}
        for snake, _getter, expr in COMPUTED_RE.findall(body):
            t = _attr_fn_type(expr)
            if t is None:
                m = re.match(r"^this\._(\w+)$", expr)
                if m and m.group(1) in news:
                    cls, _snake, wrap = news[m.group(1)]
                    t = self.complex_type(cls, wrap)
                else:
                    t = "dynamic"
            out[snake] = {"type": t, "computed": True}
        return out

    def block_from_entries(self, entries: str, owner_body: str | None, depth: int = 0) -> Block:
        """Schema block from the synthesizeHclAttributes entries of a class or a struct
        function; owner_body is the class that has the resetX() methods."""
        block: Block = {"attributes": {}, "block_types": {}}
        resets = set(RESET_RE.findall(owner_body)) if owner_body is not None else None
        for snake, value, is_block, kind, sct in ENTRY_RE.findall(entries):
            cm = re.search(r"(?:this\._|struct\.)(\w+)", value)
            camel = cm.group(1) if cm else snake
            optional = (
                resets is None
                or camel in resets
                or f"    reset{cap(camel)}() {{" in (owner_body or "")
            )
            fns = re.findall(r"(?<!cdktf\.)\b(\w+ToHclTerraform)\b", value)
            prim = sct_type(kind, sct) if not fns else None
            lm = re.search(r"listMapperHcl\(\w+, (true|false)\)", value)
            if lm:  # cdktf passes the schema's own "is a block" flag here
                real_block = lm.group(1) == "true"
            elif "hashMapperHcl" in value:
                real_block = False
            else:  # max_items = 1 blocks and NestingSingle blocks (timeouts)
                real_block = is_block == "true" and bool(fns)
            a: dict[str, Any]
            if real_block:
                sub = (
                    self.struct_block(fns[0], depth)
                    if fns
                    else {"attributes": {}, "block_types": {}}
                )
                if kind == "struct":
                    nb: dict[str, Any] = {"nesting_mode": "single", "block": sub}
                else:
                    nb = {"nesting_mode": kind if kind in ("list", "set") else "list", "block": sub}
                    if not lm:
                        nb["max_items"] = 1
                    if not optional:
                        nb["min_items"] = 1
                block["block_types"][snake] = nb
                continue
            if prim is not None:
                a = {"type": prim}
            elif fns:
                sub = self.struct_block(fns[0], depth)
                mode = {"struct": "single"}.get(kind, kind)
                if (
                    any(x.get("required") for x in sub["attributes"].values())
                    and not sub["block_types"]
                ):
                    # plugin-framework nested attributes keep per-attribute flags
                    a = {"nested_type": {"attributes": sub["attributes"], "nesting_mode": mode}}
                else:
                    # SDKv2 "attributes as blocks": a list/set of objects, optional+computed
                    obj = block_object_type(sub)
                    a = {"type": obj if mode == "single" else [mode, obj]}
                    if lm:
                        a["computed"] = True
            else:
                a = {"type": "dynamic"}
            a["optional" if optional else "required"] = True
            block["attributes"][snake] = a
        return block

    def struct_block(self, fn: str, depth: int = 0) -> Block:
        if depth > 16:
            return {"attributes": {}, "block_types": {}}
        body = self.funcs.get(fn, "")
        outref = cap(fn[: -len("ToHclTerraform")]) + "OutputReference"
        owner = self.classes.get(outref)
        owner_body = owner[1] if owner else None
        blk = self.block_from_entries(body, owner_body, depth + 1)
        if owner_body:
            for k, v in self.computed_attrs(owner_body).items():
                blk["attributes"].setdefault(k, v)
        return blk


def attr_type(a: dict[str, Any]) -> Any:
    if "type" in a:
        return a["type"]
    nt = a["nested_type"]
    obj = ["object", {k: attr_type(v) for k, v in nt["attributes"].items()}]
    return obj if nt["nesting_mode"] == "single" else [nt["nesting_mode"], obj]


def block_object_type(blk: Block) -> Any:
    """cty object type of a block body (used for object-typed attributes)."""
    t = {k: attr_type(v) for k, v in blk["attributes"].items()}
    for k, nb in blk["block_types"].items():
        inner = block_object_type(nb["block"])
        mode = nb["nesting_mode"]
        t[k] = inner if mode == "single" else ["set" if mode == "set" else "list", inner]
    return ["object", t]


def has_dynamic(blk: Block) -> bool:
    if any("dynamic" in json.dumps(attr_type(a)) for a in blk["attributes"].values()):
        return True
    return any(has_dynamic(nb["block"]) for nb in blk["block_types"].values())


def fix_dynamic_in_sets(blk: Block, path: str, notes: list[str]) -> None:
    """cdktf replaces too-deeply nested schema parts by "any"; Terraform rejects
    dynamic-typed attributes inside NestingSet blocks, so such sets become lists."""
    for a_name, a in blk["attributes"].items():
        if a.get("type") == "dynamic" and not a.get("computed"):
            notes.append(
                f"{path}.{a_name}: nested schema not in the package (cdktf skipped it); "
                "accepted as a dynamic attribute"
            )
    for n, nb in blk["block_types"].items():
        if nb["nesting_mode"] == "set" and has_dynamic(nb["block"]):
            nb["nesting_mode"] = "list"
        fix_dynamic_in_sets(nb["block"], f"{path}.{n}", notes)


def guess_optional_computed(block: Block) -> None:
    """Rules for optional+computed, which cdktf does not record."""
    attrs = block["attributes"]
    for name, a in attrs.items():
        if a.get("optional") and (name in ("id", "tags_all") or f"{name}_prefix" in attrs):
            a["computed"] = True
    for nb in block["block_types"].values():
        guess_optional_computed(nb["block"])


def extract_module(text: str) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(kind, type name, schema entry, provider version) of every type in one index.js."""
    mod = Module(text)
    found = []
    for base, body in mod.classes.values():
        kind = KINDS.get(base)
        m = RTYPE_RE.search(body)
        if not kind or not m:
            continue
        i = body.find("synthesizeHclAttributes() {")
        blk = mod.block_from_entries(body[i:] if i >= 0 else "", body)
        for k, v in mod.computed_attrs(body).items():
            blk["attributes"].setdefault(k, v)
        if kind == "provider":
            blk["attributes"].pop("alias", None)
        else:
            guess_optional_computed(blk)
        notes: list[str] = []
        fix_dynamic_in_sets(blk, m.group(1), notes)
        entry: dict[str, Any] = {"version": 0, "block": blk}
        if notes:
            entry["_standin_notes"] = notes
        pv = PVER_RE.search(body)
        found.append((kind, m.group(1), entry, pv.group(1) if pv else None))
    return found


def open_tarball(path: Path) -> tarfile.TarFile:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
            data = z.read(name)
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    return tarfile.open(path, mode="r:gz")


def extract(package: Path, keep: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The provider schema in `package`, cut to the `keep` (kind, type) pairs when given
    (kind: resource or data)."""
    schema: dict[str, Any] = {"provider": None, "resource_schemas": {}, "data_source_schemas": {}}
    pname = pver = None
    with open_tarball(package) as tf:
        for member in tf:
            if not (member.isfile() and member.name.endswith("/index.js")):
                continue
            if "/lib/" not in member.name or member.name.count("/") != 3:
                continue
            handle = tf.extractfile(member)
            text = handle.read().decode("utf-8") if handle else ""
            if "terraformResourceType:" not in text:
                continue
            for kind, tname, s, ver in extract_module(text):
                if kind == "provider":
                    schema["provider"] = s
                    pname, pver = tname, ver
                elif keep is not None and (kind, tname) not in keep:
                    continue
                elif kind == "resource":
                    schema["resource_schemas"][tname] = s
                else:
                    schema["data_source_schemas"][tname] = s
                pver = pver or ver
    if schema["provider"] is None:
        schema["provider"] = {"version": 0, "block": {"attributes": {}, "block_types": {}}}
    if pname == "azurerm":  # cdktf makes every provider argument optional; features is required
        schema["provider"]["block"]["block_types"].get("features", {}).update(min_items=1)
    schema["_standin"] = {"provider": pname, "provider_version": pver, "package": package.name}
    return schema
