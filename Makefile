# The two commands of the README: `make run` (the system with demo data) and `make test`.
# Both honour DATABASE_URL, REDIS_URL, EXPO_PUSH_URL, PORT … already set in the environment.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

export DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge
export REDIS_URL ?= redis://127.0.0.1:6379/0
export PORT ?= 8000
# Everything else defaults to production rules (settings.py): the Makefile is the development entry
# point, so it says dev (and the test suite says test itself).
export APP_ENV ?= dev

# The exact versions (with hashes) every install gets; `make lock` / `make upgrade` rewrite them.
LOCK := requirements/dev.lock
# pip-tools only compiles the lock files, so it lives in a throwaway venv of `make lock`/`upgrade`, pinned
# here: in the dev lock it would be installed everywhere and would upgrade itself while compiling.
PIP_TOOLS_VERSION := 7.7.0
# No index or find-links lines: those describe the machine that compiled, not the one that installs.
PIP_COMPILE_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host

.PHONY: install lock upgrade services migrate lint typecheck test run bench

# A new lock (or pyproject.toml) rebuilds the venv from scratch, so it never keeps a package the lock
# dropped. --no-build-isolation builds the editable install with the locked setuptools instead of
# whatever the index serves that day; `pip check` fails when pyproject.toml asks for something the
# lock lacks (a dependency added without `make lock`).
$(BIN)/.installed: $(LOCK) pyproject.toml
	@$(PYTHON) -m venv --clear $(VENV) 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv --clear $(VENV); }
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	@touch $@

install: $(BIN)/.installed

services:
	@scripts/services.sh up

migrate: install services
	$(BIN)/alembic upgrade head

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# The read-replica tests start private PostgreSQL clusters, which need the server tools even where
# the database itself is reachable elsewhere.
test: install services lint typecheck
	@scripts/services.sh server-tools
	$(BIN)/pytest

run: migrate
	$(BIN)/python -m tools.demo_seed
	$(BIN)/python -m tools.dev_run

# `make lock`: record pyproject.toml's dependencies, keeping every version already locked.
# `make upgrade`: the newest versions pyproject.toml allows. Either way: `make test`, then commit both.
# The main lock is what production installs (requirements.txt); the dev lock adds the [dev] tools and
# the build backend, constrained to the main lock's versions so tests run what production runs.
lock upgrade:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "the lock files are compiled for Python 3.11: run with PYTHON=python3.11" >&2; exit 1; }
	tools_venv=$$(mktemp -d) && trap 'rm -rf "$$tools_venv"' EXIT \
		&& $(PYTHON) -m venv "$$tools_venv" \
		&& "$$tools_venv/bin/pip" install -q pip-tools==$(PIP_TOOLS_VERSION) \
		&& "$$tools_venv/bin/pip-compile" $(PIP_COMPILE_FLAGS) $(if $(filter upgrade,$@),--upgrade) \
			-o requirements/main.lock pyproject.toml \
		&& "$$tools_venv/bin/pip-compile" $(PIP_COMPILE_FLAGS) $(if $(filter upgrade,$@),--upgrade) \
			--extra dev --build-deps-for editable -c requirements/main.lock -o $(LOCK) pyproject.toml
