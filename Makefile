# Yorisoi — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export YORISOI_DEV ?= 1

.PHONY: run test lint unit browser-deps browser-repeat bench clean lock audit

# Every install comes from the lock files, pinned with hashes (`make lock` regenerates them
# from pyproject.toml with uv); the project itself is installed on top without dependencies.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock"

$(VENV)/.runtime: pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(DEV_LOCK) $(VENV)/.runtime
	$(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

## make lock: re-pin every dependency (with hashes) from pyproject.toml
lock:
	test -x $(VENV)/bin/uv || $(PY) -m pip install -q 'uv>=0.4'
	$(UV_COMPILE) pyproject.toml scripts/build-requirements.in -o $(LOCK)
	$(UV_COMPILE) pyproject.toml scripts/build-requirements.in --extra dev -o $(DEV_LOCK)

## make audit: known vulnerabilities in the locked releases (says so when it cannot check)
audit: $(VENV)/.dev
	$(PY) scripts/audit.py

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

## make bench: the service against a bare websocket relay, in one run (~12 min on 2 cores)
bench: $(VENV)/.dev
	$(PY) scripts/bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache yorisoi.db* test-output
