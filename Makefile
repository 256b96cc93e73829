# seed-assets — every README command is a target here. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format ui bench chaos clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --compile-bytecode --python $(PYTHON) --quiet
	@touch $@

install: $(VENV)/.synced ## Create .venv and install the project from uv.lock
	@# The project's own bytecode too (uv compiles the dependencies'); up-to-date files are skipped.
	@$(BIN)/python -m compileall -q seed_assets jobs bench > /dev/null

demo: install ## Seed 10,000 users and 30 days of activity into the embedded PostgreSQL
	$(BIN)/seed up --users 10000 --days 30

test: install ## Run the whole test suite (it starts its own embedded PostgreSQL)
	$(BIN)/pytest -q

lint: install ## ruff, pyright and the lock-file check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(UV) lock --check

format: install ## Apply ruff's formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ui: install ## Start the Dagster UI on the same database and instance
	$(BIN)/seed ui

bench: install ## Run the benchmarks, record them (bench/results/) and render bench/RESULTS.md
	$(BIN)/python -m bench

chaos: install ## Run the chaos suite (kill -9, races, drift, guard, bad input); figures into docs
	$(BIN)/python -m chaos run --out chaos/results.json --docs docs/operations.md

clean: ## Remove the virtual environments and the local database
	rm -rf .venv .uv .seed
