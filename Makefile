# stashkit: `make demo` and `make test` are the two set-up commands on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench tf-check venv system-deps clean

$(BIN)/.installed: pyproject.toml sidecar/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ./sidecar -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

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
