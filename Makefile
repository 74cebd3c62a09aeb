# Agent Hub: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
HOST ?= 127.0.0.1
PORT ?= 3000
SEED_DEMO ?= 1

export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_CHECK_LATEST_VERSION := 0
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: install install-test run test test-unit test-e2e test-scaleout lint chromium clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## run: install, migrate, add the demo data once (SEED_DEMO=0 skips it) and serve the app on the
## embedded defaults (SQLite + LanceDB in ./data)
run: install
	$(BIN)/agenthub migrate
	@if [ "$(SEED_DEMO)" != "0" ]; then $(BIN)/agenthub seed-demo; fi
	@echo "Agent Hub starts at http://$(HOST):$(PORT)  (first start builds the web front end, ~1 min)"
	$(BIN)/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT) --backend-host $(HOST)

## chromium: Debian's Chromium for the end-to-end tests (Playwright cannot download its own here)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## test: install test dependencies and run the whole suite (unit, integration, end-to-end).
## Two pytest processes: Playwright's sync API keeps an event loop running for its session,
## which async unit tests in the same process cannot share.
test: install-test chromium
	$(BIN)/pytest tests/unit tests/integration $(PYTEST_ARGS)
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)
	$(BIN)/pytest tests/scaleout $(PYTEST_ARGS)

## test-scaleout: the scale-out profile (2 app instances, 2 workers) and its fault tests; needs
## DATABASE_URL=postgresql://... and redis-server (skipped, saying so, without them)
test-scaleout: install-test chromium
	$(BIN)/pytest tests/scaleout $(PYTEST_ARGS)

test-unit: install-test
	$(BIN)/pytest tests/unit tests/integration $(PYTEST_ARGS)

test-e2e: install-test chromium
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy backend dashboard marketplace billing
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf .web .web-* .states
