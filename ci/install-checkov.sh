#!/usr/bin/env bash
# Installs the pinned checkov (tests/terraform/checkov_env.py: CHECKOV_VERSION) into its own venv
# under the cache directory ($STASHKIT_CACHE_DIR, else ~/.cache/stashkit), plus the Terraform
# shim and the stand-in providers' runtime. The tests do the same on first use; CI runs this
# first so the downloads land in a cacheable directory.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
from tests.terraform.checkov_env import checkov_bin
from tests.terraform.standin.mirror import mirror_dir
from tests.terraform.tfbin import terraform_bin

print("terraform:", terraform_bin())
print("checkov:  ", checkov_bin())
print("stand-ins:", mirror_dir())
PY
