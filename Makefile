# stashkit: `make demo` and `make test` are the two set-up commands on a fresh machine.
#
# Every Python package comes from uv.lock (`uv sync --frozen`: nothing is resolved at install
# time). uv itself is the pinned UV_VERSION, installed on first use into the stashkit cache
# directory (the tests' tool cache, which CI keeps); `make UV=uv ...` uses another one.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STASHKIT_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/stashkit
UV_HOME := $(STASHKIT_CACHE_DIR)/uv-$(UV_VERSION)
UV_BOOTSTRAP := $(UV_HOME)/bin/uv
UV ?= $(UV_BOOTSTRAP)
# Bootstrapped only when it is the one used (`make UV=uv` needs none).
UV_NEEDED := $(filter $(UV_BOOTSTRAP),$(UV))
# The interpreter is the one .python-version names (the image's), unless UV_PYTHON says
# otherwise (CI's matrix); never a download: only the package index is reachable.
export UV_PYTHON_DOWNLOADS ?= never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# The sidecar image's requirements (context sidecar/ cannot see uv.lock): exported from the lock.
SIDECAR_EXPORT = $(UV) export --frozen --quiet --package status-sidecar --no-dev \
	--no-emit-workspace --no-editable

.PHONY: demo test lint bench tf-check venv lock system-deps clean

$(UV_BOOTSTRAP):
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/.installed: pyproject.toml sidecar/pyproject.toml uv.lock .python-version | $(UV_NEEDED)
	$(UV) sync --frozen --extra dev
	touch $@

venv: $(BIN)/.installed

# After changing a dependency: re-lock, and re-export what the sidecar image installs.
lock: | $(UV_NEEDED)
	$(UV) lock
	$(SIDECAR_EXPORT) > sidecar/requirements.lock

system-deps:
	bash ci/install-system-deps.sh

demo: venv
	$(BIN)/python -m tests.fakes.demo

test:
	bash ci/check

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Terraform: fmt, loader, terraform test, validate + plan of every deployment against the
# stand-in providers (real aws/azurerm schemas, offline), checkov. `make test` runs it too.
tf-check: venv
	$(BIN)/pytest -q -p no:cacheprovider tests/terraform

bench: venv system-deps
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
