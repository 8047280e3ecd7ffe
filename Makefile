# tpop_kb: setup, app and tests.
#
#   make app     serve the pages with Voila: http://127.0.0.1:8866/voila/render/index.ipynb
#                (this machine only: always 127.0.0.1, no token)
#   make serve-shared   serve them to colleagues on the network, with a token
#                (HOST=0.0.0.0 PORT=8866; token from $TPOP_KB_TOKEN or generated; see
#                docs/security.md)
#   make test    ruff + the whole pytest suite (unit, notebooks through nbval, Chromium)
#   make lint    ruff only
#   make bench   the benchmarks of issue 8 (bulk triage, pages, many staff at once, Dask);
#                rewrites benchmarks/RESULTS.md. Takes a long time; run it on an idle machine.
#   make clean   caches and build output (make distclean also removes .venv)
#
# Everything runs in ./.venv, created with python3.11 (else python3) on first use.
# Stamp files in .venv remember what was installed; editing pyproject.toml
# reinstalls.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
# `make app` always binds 127.0.0.1; HOST is the address `make serve-shared` listens on.
HOST ?= 0.0.0.0
PORT ?= 8866
# The folder of pages (one notebook a page), and extra Voila options for serve-shared,
# e.g. VOILA_ARGS=--MappingKernelManager.cull_idle_timeout=600
NOTEBOOKS ?= notebooks
VOILA_ARGS ?=
CHROMIUM := /usr/bin/chromium
# apt-get as root, or through sudo when there is one.
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo 2>/dev/null)

.PHONY: help venv install app serve-shared test lint browser bench clean distclean

help:
	@echo "make app        serve the pages on this machine: http://127.0.0.1:$(PORT)/voila/render/index.ipynb"
	@echo "make serve-shared  serve them on the network ($(HOST):$(PORT)) with a token:"
	@echo "                TPOP_KB_TOKEN=... make serve-shared, or a new token is printed"
	@echo "make test       ruff + pytest (unit, notebooks, browser); installs what is missing"
	@echo "make lint       ruff check"
	@echo "make bench      run every benchmark and rewrite benchmarks/RESULTS.md (long; idle machine)"
	@echo "make clean      remove caches and build output; make distclean also removes .venv"

# -- environment -------------------------------------------------------------------

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 is needed (python3.11 or python3)." >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	@if ! $(PYTHON) -m venv $(VENV); then \
	  echo "python -m venv failed: installing Debian's venv package" >&2; \
	  rm -rf $(VENV); \
	  $(SUDO) apt-get update; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y python3.11-venv \
	    || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y python3-venv; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-app

install: $(VENV)/.installed-app

# -- the app -----------------------------------------------------------------------

# Voila reads ./voila.json (repository root); every notebook in notebooks/ is a page.
# Loopback only, whatever HOST or VOILA_ARGS say: this server has no token.
app: $(VENV)/.installed-app
	@echo "Landing page: http://127.0.0.1:$(PORT)/voila/render/index.ipynb"
	$(BIN)/voila $(NOTEBOOKS) --Voila.ip=127.0.0.1 --port=$(PORT) --no-browser

# The same pages for colleagues: ./voila.json, then config/shared/voila.py on top (token
# required, no tracebacks, sources stripped, images-only static files, a time limit on
# building a page, idle kernels shut down after 5 minutes, kernel caps, sign-in limits).
# The token comes from TPOP_KB_TOKEN (32 characters at least), else a new one is
# generated and printed with the address; Voila gets it through the environment
# (JUPYTER_TOKEN), never on its command line.
serve-shared: $(VENV)/.installed-app
	@if [ -n "$${TPOP_KB_TOKEN:-}" ]; then \
	  if [ "$${#TPOP_KB_TOKEN}" -lt 32 ]; then \
	    echo "TPOP_KB_TOKEN has $${#TPOP_KB_TOKEN} characters: a shared server needs 32 at least." >&2; \
	    echo "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'" >&2; \
	    exit 1; \
	  fi; \
	  token="$$TPOP_KB_TOKEN"; shown="<your TPOP_KB_TOKEN>"; \
	else \
	  token="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')"; \
	  shown="$$token"; \
	fi; \
	where="$(HOST)"; \
	if [ "$$where" = 0.0.0.0 ] || [ "$$where" = "::" ]; then where="$$(hostname)"; fi; \
	echo "Shared pages (token required): http://$$where:$(PORT)/voila/render/index.ipynb?token=$$shown"; \
	echo "Give colleagues this address; the token is valid until the server stops (Ctrl+C)."; \
	JUPYTER_TOKEN="$$token" exec $(BIN)/voila $(NOTEBOOKS) --Voila.ip=$(HOST) --port=$(PORT) \
	  --Voila.config_file_paths=config/shared --Voila.config_file_paths=. $(VOILA_ARGS)

# -- tests -------------------------------------------------------------------------

# Chromium for the browser tests: Debian's /usr/bin/chromium, else Playwright's own
# build when it is already downloaded, else apt-get install chromium.
browser: $(VENV)/.installed-test
	@if [ -x $(CHROMIUM) ]; then \
	  echo "Browser tests use $(CHROMIUM)"; \
	elif $(BIN)/python -c "import pathlib, sys; from playwright.sync_api import sync_playwright; \
	    p = sync_playwright().start(); ok = pathlib.Path(p.chromium.executable_path).exists(); \
	    p.stop(); sys.exit(0 if ok else 1)"; then \
	  echo "Browser tests use Playwright's Chromium"; \
	else \
	  echo "Installing Chromium (Debian package)"; \
	  $(SUDO) apt-get update; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# pytest's configuration (pyproject.toml) collects tests/ and notebooks/ (with
# --nbval-lax); a failure, or no test at all (exit code 5), fails make.
test: $(VENV)/.installed-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# -- benchmarks ----------------------------------------------------------------------

# Issue 8's measurements, each writing its section of benchmarks/RESULTS.md: the whole
# `triage` command (10k/100k/1M orders), the pages with kernels started on request and
# with a preheated pool (the setting docs/deployment.md recommends for serve-shared),
# 10 then 25 staff at once, and Dask beside pandas at 1M orders. The test extras hold
# everything they need (Playwright, Dask); Chromium comes from the `browser` target.
bench: $(VENV)/.installed-test browser
	$(BIN)/python benchmarks/bulk.py --write
	$(BIN)/python benchmarks/pages.py --write
	$(BIN)/python benchmarks/pages.py --write --preheat
	$(BIN)/python benchmarks/load.py --write
	$(BIN)/python benchmarks/dask_bench.py --write

# -- cleaning ----------------------------------------------------------------------

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis test-results *.egg-info
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	  -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
