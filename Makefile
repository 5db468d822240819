# The two commands of the README: `make run` (the system with demo data) and `make test`.
# Both honour DATABASE_URL, REDIS_URL, EXPO_PUSH_URL, PORT … already set in the environment.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

export DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge
export REDIS_URL ?= redis://127.0.0.1:6379/0
export PORT ?= 8000

.PHONY: install services migrate lint typecheck test run bench

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
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

test: install services lint typecheck
	$(BIN)/pytest

run: migrate
	$(BIN)/python -m tools.demo_seed
	$(BIN)/python -m tools.dev_run
