# RJChronos: `make run` sets everything up and starts the demo; `make test` runs every suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv must never download an interpreter: it uses the Python 3.11 already installed.
export UV_PYTHON_DOWNLOADS := never

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
RJC := $(VENV)/bin/rjchronos
PY := $(VENV)/bin/python
# On CI the lock file must already match pyproject.toml.
UV_SYNC_FLAGS := $(if $(CI),--locked,)

.PHONY: help setup webui run test test-services lint format bench

help:
	@echo "make run     set up (uv, Python and web UI dependencies, database) and start the demo"
	@echo "             on http://$(HOST):$(PORT)/ (the first admin's password is printed once)"
	@echo "make test    set up, check the test services, build the web UI, make sure chromium and"
	@echo "             poppler are installed, run every test suite with its duration"
	@echo "make setup   uv (installed with pip if missing) and uv sync: every package of the workspace"
	@echo "             (the torch plugin and torch come with pip: scripts/ensure-torch, run by"
	@echo "             make lint, make test and make bench)"
	@echo "make lint    ruff check, ruff format --check, mypy"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make bench   run the benchmarks in bench/ (never part of make test)"

# --inexact: keep what scripts/ensure-torch installed with pip (torch is outside uv's lock).
setup:
	@uv=$$(scripts/ensure-uv) && "$$uv" sync --all-packages --inexact $(UV_SYNC_FLAGS)

webui:
	@scripts/webui build

run: setup webui
	$(RJC) db upgrade
	$(RJC) demo --host $(HOST) --port $(PORT)

test-services: setup
	@scripts/test-services

test: setup test-services webui
	@scripts/ensure-torch
	@scripts/ensure-chromium
	@scripts/ensure-snmpbulkwalk
	@scripts/ensure-poppler
	@scripts/test-suites

lint:
	@scripts/ensure-torch
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	exit $$status

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup test-services
	@scripts/ensure-torch
	@scripts/ensure-snmpbulkwalk
	@scripts/ensure-chromium
	@set -e; for bench in bench/[!_]*.py; do echo "==> $$bench"; $(PY) "$$bench"; done
