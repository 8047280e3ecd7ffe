# tpop_kb: setup, app and tests.
#
#   make app     serve the pages with Voila: http://127.0.0.1:8866/voila/render/index.ipynb
#   make test    ruff + the whole pytest suite (unit, notebooks through nbval, Chromium)
#   make lint    ruff only
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
HOST ?= 127.0.0.1
PORT ?= 8866
CHROMIUM := /usr/bin/chromium
# apt-get as root, or through sudo when there is one.
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo 2>/dev/null)

.PHONY: help venv install app test lint browser clean distclean

help:
	@echo "make app        serve the pages: http://$(HOST):$(PORT)/voila/render/index.ipynb"
	@echo "make test       ruff + pytest (unit, notebooks, browser); installs what is missing"
	@echo "make lint       ruff check"
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
app: $(VENV)/.installed-app
	@echo "Landing page: http://$(HOST):$(PORT)/voila/render/index.ipynb"
	$(BIN)/voila notebooks --Voila.ip=$(HOST) --port=$(PORT) --no-browser

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

# -- cleaning ----------------------------------------------------------------------

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis test-results *.egg-info
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	  -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
