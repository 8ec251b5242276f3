# Breakfix: `make run` serves the platform, `make test` runs every check. Nothing else to install
# by hand: the targets set up what they need (Python env from uv.lock, Debian packages, the
# local Kubernetes control plane when Go is there).
SHELL := /bin/bash
PYTHON := .venv/bin/python
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: help python env run test lint fmt typecheck check pytest clean

help:
	@echo "make run            serve Breakfix at http://127.0.0.1:8000 (with worker, beat, Redis, control plane)"
	@echo "make test           ruff, mypy, import-linter, manage.py check and pytest (PostgreSQL when possible)"
	@echo "make cluster-up     start the local Kubernetes control plane; make cluster-down stops it"
	@echo "make bench-…        benchmarks (controlplane, checks, provision, scale, dashboard); JSON on the last line"

python:
	@platform/scripts/python-env

env: python
	@platform/scripts/dotenv

run: env
	@platform/scripts/system-packages redis bwrap
	@$(MAKE) --no-print-directory cluster-up
	@platform/scripts/run

lint: python
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	.venv/bin/lint-imports

fmt: python
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

typecheck: python
	$(PYTHON) -m mypy .

check: env
	$(PYTHON) manage.py check
	$(PYTHON) manage.py makemigrations --check --dry-run

# The suite runs on PostgreSQL when one can be started here, on SQLite otherwise (it says which).
pytest: env
	@platform/scripts/test $(PYTEST_ARGS)

test: env
	@platform/scripts/system-packages redis postgres chromium bwrap || echo "[test] continuing without some system packages; tests needing them will say so"
	@$(MAKE) --no-print-directory controlplane-if-go
	@$(MAKE) --no-print-directory lint typecheck check
	@platform/scripts/test $(PYTEST_ARGS)

# Builds the control plane when Go is there (a warm cache takes seconds); without Go the live
# tests say how to get one (and fail under BREAKFIX_REQUIRE_LIVE=1).
controlplane-if-go:
	@if command -v go >/dev/null 2>&1; then platform/controlplane/build; else echo "[test] Go is not installed: the control plane cannot be built here"; fi

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache staticfiles test-db.sqlite3

-include $(wildcard platform/*/*.mk)
