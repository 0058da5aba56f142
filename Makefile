# Yorisoi — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export YORISOI_DEV ?= 1

.PHONY: run test lint unit browser-deps browser-repeat bench clean

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

## make run: install, migrate, seed demo data and serve http://127.0.0.1:8000 on SQLite
run: $(VENV)/.runtime
	$(PY) scripts/serve.py

browser-deps:
	bash scripts/install-browser.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check app scripts tests
	$(VENV)/bin/ruff format --check app scripts tests
	$(VENV)/bin/mypy app

## make test: lint, then the whole suite on SQLite and PostgreSQL (and Chromium)
test: $(VENV)/.dev browser-deps lint
	$(PY) -m pytest -q

## make browser-repeat: the browser suite RUNS times in a row (default 5), to catch flakes
browser-repeat: $(VENV)/.dev browser-deps
	bash scripts/repeat-browser.sh $(or $(RUNS),5)

## make bench: the service against a bare websocket relay, in one run (< 5 min on 2 cores)
bench: $(VENV)/.dev
	$(PY) scripts/bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache yorisoi.db* test-output
