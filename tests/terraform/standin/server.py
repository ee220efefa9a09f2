"""A schema-faithful stand-in Terraform provider (plugin protocol 6).

Serves a provider schema (the `terraform providers schema -json` shape of one provider) over
the go-plugin handshake and gRPC, so that Terraform core does all configuration checking
(unsupported arguments, types, missing required arguments, block counts) as with the real
provider. Plans mark every unset computed attribute "(known after apply)"; data sources
return placeholders; apply fills placeholders. It never talks to a cloud.

Run by Terraform through the mirror's launcher: python -m tests.terraform.standin.server
--schema FILE.json. Needs TF_DISABLE_PLUGIN_TLS=1 (Terraform's AutoMTLS client certificate is
ECDSA P-521, which grpcio's BoringSSL rejects).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc  # type: ignore[import-not-found, import-untyped, unused-ignore]
import msgpack  # type: ignore[import-not-found, import-untyped, unused-ignore]

MAGIC_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
UNKNOWN = msgpack.ExtType(0, b"\x00")

Json = Any
Block = dict[str, Any]
AttrFn = Callable[[Any, dict[str, Any], str], Any]


def load_pb2() -> ModuleType:
    """The tfplugin6 messages: generated code shipped in the pyvider wheel (only this file)."""
    spec = importlib.util.find_spec("pyvider")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("standin: package 'pyvider' (for tfplugin6_pb2) is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base / "protocols" / "tfprotov6" / "protobuf" / "tfplugin6_pb2.py"
    pb2_spec = importlib.util.spec_from_file_location("standin_tfplugin6_pb2", path)
    if pb2_spec is None or pb2_spec.loader is None:
        sys.exit(f"standin: cannot load {path}")
    module = importlib.util.module_from_spec(pb2_spec)
    pb2_spec.loader.exec_module(module)
    return module


pb: Any = load_pb2()
S: Any = pb.Schema
NEST_BLOCK = {
    "single": S.NestedBlock.SINGLE,
    "list": S.NestedBlock.LIST,
    "set": S.NestedBlock.SET,
    "map": S.NestedBlock.MAP,
    "group": S.NestedBlock.GROUP,
}
NEST_OBJ = {
    "single": S.Object.SINGLE,
    "list": S.Object.LIST,
    "set": S.Object.SET,
    "map": S.Object.MAP,
}


# ------------------------------------------------------------------------------- schema --
def pb_attr(name: str, a: dict[str, Any]) -> Any:
    at = S.Attribute(
        name=name,
        required=bool(a.get("required")),
        optional=bool(a.get("optional")),
        computed=bool(a.get("computed")),
        sensitive=bool(a.get("sensitive")),
        deprecated=bool(a.get("deprecated")),
        write_only=bool(a.get("write_only")),
        description=a.get("description", ""),
    )
    if "nested_type" in a:
        nt = a["nested_type"]
        obj = S.Object(nesting=NEST_OBJ[nt.get("nesting_mode", "single")])
        for n in sorted(nt.get("attributes", {})):
            obj.attributes.append(pb_attr(n, nt["attributes"][n]))
        at.nested_type.CopyFrom(obj)
    else:
        at.type = json.dumps(a["type"], separators=(",", ":")).encode()
    return at


def pb_block(blk: Block, version: int = 0) -> Any:
    b = S.Block(version=version, description=blk.get("description", ""))
    for n in sorted(blk.get("attributes", {})):
        b.attributes.append(pb_attr(n, blk["attributes"][n]))
    for n in sorted(blk.get("block_types", {})):
        nb = blk["block_types"][n]
        b.block_types.append(
            S.NestedBlock(
                type_name=n,
                block=pb_block(nb.get("block", {})),
                nesting=NEST_BLOCK[nb["nesting_mode"]],
                min_items=nb.get("min_items", 0),
                max_items=nb.get("max_items", 0),
            )
        )
    return b


def pb_schema(s: dict[str, Any]) -> Any:
    return S(version=s.get("version", 0), block=pb_block(s.get("block", {})))


def build_schema_response(schema: dict[str, Any]) -> bytes:
    r = pb.GetProviderSchema.Response()
    r.provider.CopyFrom(pb_schema(schema.get("provider") or {"block": {}}))
    for n, s in schema.get("resource_schemas", {}).items():
        r.resource_schemas[n].CopyFrom(pb_schema(s))
    for n, s in schema.get("data_source_schemas", {}).items():
        r.data_source_schemas[n].CopyFrom(pb_schema(s))
    r.server_capabilities.plan_destroy = True
    data: bytes = r.SerializeToString()
    return data


class Schema:
    """The JSON schema plus its serialized GetProviderSchema reply (prebuilt beside it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.json: dict[str, Any] = json.loads(path.read_text())

    def response_bytes(self) -> bytes:
        # Never written here: Terraform hashes the provider directory at init.
        cache = self.path.with_name(self.path.name + ".pb")
        if cache.exists():
            return cache.read_bytes()
        return build_schema_response(self.json)

    def block(self, kind: str, type_name: str) -> Block:
        s = self.json.get(kind, {}).get(type_name)
        block: Block = (s or {}).get("block", {})
        return block


# ------------------------------------------------------------------------------- values --
def unpack(dv: Any) -> Json:
    if dv.msgpack:
        return msgpack.unpackb(dv.msgpack, raw=False, strict_map_key=False)
    if dv.json:
        return json.loads(dv.json)
    return None


def pack(v: Json) -> Any:
    return pb.DynamicValue(msgpack=msgpack.packb(v, use_bin_type=True))


def placeholder(t: Json, name: str, ctx: str) -> Json:
    """A plausible stand-in value of cty type `t` for attribute `name` of type `ctx`."""
    if t == "string":
        if name == "json" or name.endswith("_json") or name == "policy":
            return "{}"
        if name == "arn" or name.endswith("_arn"):
            return f"arn:stub:{ctx}:{name}"
        if name.endswith("cidr_block"):  # code validates CIDRs it reads from data sources
            return "10.0.0.0/16"
        return f"stub-{ctx}-{name}"
    if t == "number":
        return 0
    if t == "bool":
        return False
    if isinstance(t, list):
        if t[0] in ("list", "set"):
            return []
        if t[0] == "map":
            return {}
        if t[0] == "object":
            return {k: placeholder(v, k, ctx) for k, v in t[1].items()}
        if t[0] == "tuple":
            return [placeholder(x, name, ctx) for x in t[1]]
    return None


def nested_placeholder(nt: dict[str, Any]) -> Json:
    mode = nt.get("nesting_mode")
    if mode == "map":
        return {}
    return [] if mode in ("list", "set") else None


def walk(obj: Json, blk: Block, fn: AttrFn) -> Json:
    """Apply fn(value, attr_schema, name) to every attribute of obj following blk, recursing
    into blocks and nested attribute objects."""
    if not isinstance(obj, dict):
        return obj
    for name, a in blk.get("attributes", {}).items():
        if name not in obj:
            continue
        v = obj[name]
        if "nested_type" in a and v is not None and not isinstance(v, msgpack.ExtType):
            inner = {"attributes": a["nested_type"].get("attributes", {})}
            _walk_each(v, inner, fn, a["nested_type"].get("nesting_mode", "single"))
        obj[name] = fn(v, a, name)
    for name, nb in blk.get("block_types", {}).items():
        v = obj.get(name)
        if v is None or isinstance(v, msgpack.ExtType):
            continue
        _walk_each(v, nb.get("block", {}), fn, nb["nesting_mode"])
    return obj


def _walk_each(v: Json, blk: Block, fn: AttrFn, mode: str) -> None:
    if mode in ("single", "group"):
        walk(v, blk, fn)
    elif mode == "map" and isinstance(v, dict):
        for e in v.values():
            walk(e, blk, fn)
    elif isinstance(v, list):
        for e in v:
            walk(e, blk, fn)


def mark_unknown(v: Json, a: dict[str, Any], name: str) -> Json:
    return UNKNOWN if v is None and a.get("computed") else v


def drop_write_only(v: Json, a: dict[str, Any], name: str) -> Json:
    """A provider returns null for a write-only argument in every plan and state (Terraform
    refuses anything else): the value reaches the provider, never the plan file or the state."""
    return None if a.get("write_only") else v


def requires_replace(blk: Block, prior: dict[str, Json], proposed: dict[str, Json]) -> list[str]:
    """Top-level arguments marked as replacing the resource (regenerate.REQUIRES_REPLACE) whose
    value changes: Terraform then plans delete + create, as for the real provider."""
    return sorted(
        name
        for name, a in blk.get("attributes", {}).items()
        if a.get("_standin_requires_replace") and prior.get(name) != proposed.get(name)
    )


def fill_known(ctx: str) -> AttrFn:
    def fn(v: Json, a: dict[str, Any], name: str) -> Json:
        if (v is None and a.get("computed")) or isinstance(v, msgpack.ExtType):
            if "nested_type" in a:
                return nested_placeholder(a["nested_type"])
            return placeholder(a.get("type", "dynamic"), name, ctx)
        return v

    return fn


def empty_object(blk: Block) -> dict[str, Json]:
    o: dict[str, Json] = dict.fromkeys(blk.get("attributes", {}))
    for n, nb in blk.get("block_types", {}).items():
        o[n] = {"list": [], "set": [], "map": {}}.get(nb["nesting_mode"])
    return o


# ------------------------------------------------------------------------------ service --
class Provider:
    """The tfplugin6.Provider service over one schema."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def GetMetadata(self, req: Any, ctx: Any) -> Any:
        r = pb.GetMetadata.Response()
        r.server_capabilities.plan_destroy = True
        for n in self.schema.json.get("resource_schemas", {}):
            r.resources.add(type_name=n)
        for n in self.schema.json.get("data_source_schemas", {}):
            r.data_sources.add(type_name=n)
        return r

    def GetResourceIdentitySchemas(self, req: Any, ctx: Any) -> Any:
        return pb.GetResourceIdentitySchemas.Response()

    def ValidateProviderConfig(self, req: Any, ctx: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, req: Any, ctx: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, req: Any, ctx: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, req: Any, ctx: Any) -> Any:
        return pb.ConfigureProvider.Response()

    def GetFunctions(self, req: Any, ctx: Any) -> Any:
        return pb.GetFunctions.Response()

    def StopProvider(self, req: Any, ctx: Any) -> Any:
        return pb.StopProvider.Response()

    def UpgradeResourceState(self, req: Any, ctx: Any) -> Any:
        r = pb.UpgradeResourceState.Response()
        if req.raw_state.json:
            r.upgraded_state.json = req.raw_state.json
        return r

    def ReadResource(self, req: Any, ctx: Any) -> Any:
        return pb.ReadResource.Response(new_state=req.current_state, private=req.private)

    def PlanResourceChange(self, req: Any, ctx: Any) -> Any:
        proposed = unpack(req.proposed_new_state)
        prior = unpack(req.prior_state)
        blk = self.schema.block("resource_schemas", req.type_name)
        if proposed is not None and prior is None:
            proposed = walk(proposed, blk, mark_unknown)
        if proposed is not None:
            proposed = walk(proposed, blk, drop_write_only)
        response = pb.PlanResourceChange.Response(
            planned_state=pack(proposed), planned_private=req.prior_private
        )
        if proposed is not None and prior is not None:
            for name in requires_replace(blk, prior, proposed):
                response.requires_replace.add().steps.add(attribute_name=name)
        return response

    def ApplyResourceChange(self, req: Any, ctx: Any) -> Any:
        planned = unpack(req.planned_state)
        if planned is not None:
            blk = self.schema.block("resource_schemas", req.type_name)
            planned = walk(planned, blk, fill_known(req.type_name))
            planned = walk(planned, blk, drop_write_only)
        return pb.ApplyResourceChange.Response(new_state=pack(planned), private=req.planned_private)

    def ImportResourceState(self, req: Any, ctx: Any) -> Any:
        obj = empty_object(self.schema.block("resource_schemas", req.type_name))
        if "id" in obj:
            obj["id"] = req.id
        r = pb.ImportResourceState.Response()
        r.imported_resources.add(type_name=req.type_name, state=pack(obj))
        return r

    def ReadDataSource(self, req: Any, ctx: Any) -> Any:
        blk = self.schema.block("data_source_schemas", req.type_name)
        state = walk(unpack(req.config), blk, fill_known(req.type_name))
        return pb.ReadDataSource.Response(state=pack(state))


METHODS = [
    "GetMetadata",
    "GetResourceIdentitySchemas",
    "ValidateProviderConfig",
    "ValidateResourceConfig",
    "ValidateDataResourceConfig",
    "ConfigureProvider",
    "GetFunctions",
    "StopProvider",
    "UpgradeResourceState",
    "ReadResource",
    "PlanResourceChange",
    "ApplyResourceChange",
    "ImportResourceState",
    "ReadDataSource",
]


def provider_handler(provider: Provider) -> Any:
    handlers = {}
    for m in METHODS:
        msg = getattr(pb, m)
        handlers[m] = grpc.unary_unary_rpc_method_handler(
            getattr(provider, m),
            request_deserializer=msg.Request.FromString,
            response_serializer=msg.Response.SerializeToString,
        )
    handlers["GetProviderSchema"] = grpc.unary_unary_rpc_method_handler(
        lambda req, ctx: provider.schema.response_bytes(),
        request_deserializer=lambda b: b,
        response_serializer=lambda b: b,
    )
    return grpc.method_handlers_generic_handler("tfplugin6.Provider", handlers)


def plugin_handlers(on_stop: Callable[[], None]) -> list[Any]:
    """go-plugin's own services: controller (shutdown), health, stdio."""

    def identity(b: bytes) -> bytes:
        return b

    def shutdown(req: bytes, ctx: Any) -> bytes:
        on_stop()
        return b""

    def health(req: bytes, ctx: Any) -> bytes:
        return b"\x08\x01"  # HealthCheckResponse{status: SERVING}

    def stdio(req: bytes, ctx: Any) -> Iterator[bytes]:
        return iter(())

    ident = {"request_deserializer": identity, "response_serializer": identity}
    return [
        grpc.method_handlers_generic_handler(
            "plugin.GRPCController",
            {"Shutdown": grpc.unary_unary_rpc_method_handler(shutdown, **ident)},
        ),
        grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(health, **ident)}
        ),
        grpc.method_handlers_generic_handler(
            "plugin.GRPCStdio",
            {"StreamStdio": grpc.unary_stream_rpc_method_handler(stdio, **ident)},
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True, type=Path)
    args = ap.parse_args(argv)
    if os.environ.get(MAGIC_KEY) != MAGIC_VALUE:
        sys.stderr.write("This is a Terraform plugin (stand-in provider); Terraform runs it.\n")
        return 1
    if os.environ.get("PLUGIN_CLIENT_CERT"):
        sys.stderr.write("standin: set TF_DISABLE_PLUGIN_TLS=1 (plugin mTLS is not supported)\n")
        return 1
    done = threading.Event()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_send_message_length", 1 << 30),
            ("grpc.max_receive_message_length", 1 << 30),
        ],
    )
    server.add_generic_rpc_handlers(
        [provider_handler(Provider(Schema(args.schema))), *plugin_handlers(done.set)]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    parent = os.getppid()

    def watchdog() -> None:  # never outlive Terraform, even if it dies without Shutdown
        while not done.wait(1.0):
            if os.getppid() != parent:
                done.set()

    threading.Thread(target=watchdog, daemon=True).start()
    sys.stdout.write(f"1|6|tcp|127.0.0.1:{port}|grpc\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    server.stop(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
