# The two commands: `make run` and `make test`. Everything else here serves them.
.DEFAULT_GOAL := run
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Development settings (DEBUG=true, a random SECRET_KEY) live in the git-ignored .env that `install`
# writes, so the README's commands also work outside make. Production sets neither file nor DEBUG.
export PYTHONUNBUFFERED := 1
LOCKS := requirements/base.txt requirements/dev.txt
# Every platform and Python 3.12+, with hashes, so one lock serves Debian, macOS and the image.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.12 --generate-hashes

# The first Python 3.12+ on PATH (.python-version points pyenv at 3.12).
PYTHON ?= $(shell for p in python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: run test install lock lint typecheck pytest bench system-packages clean

# From the lock (every extra: dev, train, embedded), then the project itself without resolving again.
$(VENV)/.installed: pyproject.toml $(LOCKS)
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# Development only (git-ignored, never in an image): written once, kept afterwards.
.env: | $(VENV)/.installed
	@umask 077 && $(PY) -c 'import secrets; print("# Development settings, written by make install (git-ignored; never used in production).\nDEBUG=true\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@echo "Wrote $@ (DEBUG=true and a random SECRET_KEY, for development)"

install: $(VENV)/.installed .env

# Regenerate the locks from pyproject.toml: base.txt is what production installs, dev.txt adds every extra.
lock: $(VENV)/.installed
	$(LOCK) -o requirements/base.txt
	$(LOCK) --extra dev --extra train --extra embedded -o requirements/dev.txt

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	@echo ""
	@echo "  Newsroom claims is at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@echo "  Ctrl-C stops the app, its task worker and its database."
	@echo ""
	@# The task worker (URL imports, monitoring, link checks) runs beside the server; both join the one
	@# embedded PostgreSQL that the first manage.py started. Ctrl-C (or the server ending) stops it too.
	@$(MANAGE) procrastinate worker --concurrency 4 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(MANAGE) runserver $(HOST):$(PORT)

system-packages:
	bash scripts/system-packages.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: install
	$(VENV)/bin/mypy

pytest: install system-packages
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench: install
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
