# SuperSmart developer commands. `make demo` and `make test` set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup setup-dev demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.base

setup: $(VENV)/.base

setup-dev: $(VENV)/.dev

demo: setup
	$(BIN)/supersmart demo

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Slow tests (real models, > 30 s) run in their own step first; the default suite closes the run.
test: lint
	$(BIN)/pytest -m slow -q || [ $$? -eq 5 ]
	$(BIN)/pytest

bench: setup-dev
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/scrape.py
	$(BIN)/python benchmarks/retrieval.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
