"""Regenerate the committed schema cut from the pinned provider packages.

    .venv/bin/python -m tests.terraform.standin.regenerate [PROVIDER ...]

Downloads the pinned cdktf provider wheels (PyPI, into the cache directory), keeps the
resource and data source types that modules/ and deployments/ use, applies the fidelity
corrections below and writes tests/terraform/standin/schemas/<provider>.json. Run it when the
code starts using a new type (test_standin names the missing one). Naming providers downloads
only those (the aws and azurerm wheels are large); the others keep their committed cut, with
the fidelity corrections applied again (they are idempotent).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..tfbin import cache_dir
from . import PACKAGES
from .extract import extract

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SCHEMAS = HERE / "schemas"
SCANNED = ("modules", "deployments")
_TYPE = re.compile(r'^\s*(resource|data)\s+"([\w-]+)"', re.M)

# optional+computed attributes the code reads that cdktf does not mark computed: without this
# the stand-in plans them as null where the real provider plans "(known after apply)".
COMPUTED: dict[str, list[str]] = {
    "data_source_schemas/aws_region": ["region"],
    "data_source_schemas/aws_vpc": ["cidr_block"],
    "resource_schemas/aws_instance": ["private_ip", "private_dns"],
    "resource_schemas/aws_ssm_parameter": ["arn"],
}


# Write-only arguments (Terraform >= 1.11: sent to the provider, never stored in the plan or the
# state) and sensitive attributes, which cdktf does not record either. Marked here so that
# Terraform treats them as the real provider's schema makes it: a write-only value never
# reaches `terraform show -json`, and an output of a sensitive attribute must be sensitive.
WRITE_ONLY: dict[str, list[str]] = {
    "resource_schemas/aws_ssm_parameter": ["value_wo"],
}
# Arguments whose change replaces the resource (the provider's RequiresReplace), which the plan
# must show as delete + create: "*" marks every argument of the type. The stand-in compares
# them between the prior state and the proposed one.
REQUIRES_REPLACE: dict[str, list[str]] = {
    "resource_schemas/random_password": ["*"],
    "resource_schemas/random_string": ["*"],
}
SENSITIVE: dict[str, list[str]] = {
    "resource_schemas/aws_ssm_parameter": ["value", "value_wo"],
    "resource_schemas/random_password": ["result", "bcrypt_hash"],
}


def used_types(root: Path = REPO) -> dict[str, set[tuple[str, str]]]:
    """provider -> {(kind, type)} used by the .tf files under modules/ and deployments/."""
    used: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for base in SCANNED:
        for tf in sorted((root / base).rglob("*.tf")):
            if ".terraform" in tf.parts:
                continue
            for kind, name in _TYPE.findall(tf.read_text()):
                provider = name.split("_", 1)[0]
                if provider in PACKAGES:  # terraform_data is built in
                    used[provider].add((kind, name))
    return used


def download(spec: str) -> Path:
    dest = cache_dir() / "standin-packages"
    name, version = spec.split("==")
    stem = f"{name.replace('-', '_')}-{version}-"
    found = sorted(dest.glob(f"{stem}*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest), spec],
            check=True,
        )
        found = sorted(dest.glob(f"{stem}*.whl"))
    return found[0]


def _mark(provider: str, schema: dict[str, Any], table: dict[str, list[str]], flag: str) -> None:
    for key, attrs in table.items():
        kind, type_name = key.split("/")
        if not type_name.startswith(provider + "_"):
            continue
        entry = schema[kind].get(type_name)
        if entry is None:
            continue
        attributes = entry["block"]["attributes"]
        if attrs == ["*"]:  # every argument (not the computed-only attributes)
            attrs = [n for n, a in attributes.items() if a.get("required") or a.get("optional")]
        for attr in attrs:
            attributes[attr][flag] = True


def apply_computed(provider: str, schema: dict[str, Any]) -> None:
    """The fidelity corrections: optional+computed, write-only and sensitive attributes."""
    _mark(provider, schema, COMPUTED, "computed")
    _mark(provider, schema, WRITE_ONLY, "write_only")
    _mark(provider, schema, SENSITIVE, "sensitive")
    _mark(provider, schema, REQUIRES_REPLACE, "_standin_requires_replace")


def _committed_cut(provider: str, wanted: set[tuple[str, str]]) -> dict[str, Any]:
    """The committed schema of ``provider``, cut to ``wanted`` (it cannot grow without the
    package: a missing type is reported below)."""
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{provider}.json").read_text())
    for kind, section in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
        names = {name for k, name in wanted if k == kind}
        schema[section] = {n: s for n, s in schema[section].items() if n in names}
    return schema


def main(argv: list[str] | None = None) -> int:
    named = set(sys.argv[1:] if argv is None else argv)
    unknown = sorted(named - set(PACKAGES))
    if unknown:
        print(f"unknown provider(s): {', '.join(unknown)}; one of {sorted(PACKAGES)}")
        return 2
    used = used_types()
    SCHEMAS.mkdir(exist_ok=True)
    for provider, (spec, _version) in PACKAGES.items():
        wanted = used.get(provider, set())
        if named and provider not in named:
            schema = _committed_cut(provider, wanted)
        else:
            schema = extract(download(spec), keep=wanted)
        missing = sorted(
            f"{kind} {name}"
            for kind, name in wanted
            if name
            not in schema["resource_schemas" if kind == "resource" else "data_source_schemas"]
        )
        if missing:
            print(f"{provider}: not in {spec}: {', '.join(missing)}", file=sys.stderr)
            return 1
        apply_computed(provider, schema)
        out = SCHEMAS / f"{provider}.json"
        out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(
            f"{provider} {schema['_standin']['provider_version']}: "
            f"{len(schema['resource_schemas'])} resources, "
            f"{len(schema['data_source_schemas'])} data sources -> "
            f"{out.relative_to(REPO)} ({out.stat().st_size} bytes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
