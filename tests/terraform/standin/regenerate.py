"""Regenerate the committed schema cut from the pinned provider packages.

    .venv/bin/python -m tests.terraform.standin.regenerate

Downloads the pinned cdktf provider wheels (PyPI, into the cache directory), keeps the
resource and data source types that modules/ and deployments/ use, applies the fidelity
corrections below and writes tests/terraform/standin/schemas/<provider>.json. Run it when the
code starts using a new type (test_standin names the missing one).
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


def apply_computed(provider: str, schema: dict[str, Any]) -> None:
    for key, attrs in COMPUTED.items():
        kind, type_name = key.split("/")
        if not type_name.startswith(provider + "_"):
            continue
        entry = schema[kind].get(type_name)
        if entry is None:
            continue
        for attr in attrs:
            entry["block"]["attributes"][attr]["computed"] = True


def main() -> int:
    used = used_types()
    SCHEMAS.mkdir(exist_ok=True)
    for provider, (spec, _version) in PACKAGES.items():
        wanted = used.get(provider, set())
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
