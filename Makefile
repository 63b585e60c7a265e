# SuperSmart developer commands. `make demo` and `make test` set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup setup-dev demo serve test lint bench adapter-report eval-report eval-real-report clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# llama-cpp-python compiled for any x86-64 CPU: the default native build emits instructions
# (AMX) that many VMs advertise but cannot run (SIGILL at the first answer). pip's own wheel
# cache ignores CMAKE_ARGS, so it is bypassed; the portable wheel is kept in a cache of ours.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_WHEELS ?= $(HOME)/.cache/supersmart/wheels/llama-cpp-python-$(LLAMA_CPP_VERSION)-portable

$(VENV)/.llama: | $(BIN)/python
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "Building llama-cpp-python $(LLAMA_CPP_VERSION) for any x86-64 CPU (~5-15 min, once)"; \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" $(BIN)/python -m pip wheel --quiet \
	    --no-cache-dir --no-deps -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi
	$(BIN)/python -m pip install --quiet $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	touch $@

$(VENV)/.base: pyproject.toml $(VENV)/.llama | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[llm]"
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.llama | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.base

setup: $(VENV)/.base

setup-dev: $(VENV)/.dev

# Imports and indexes the sample catalogue, answers three questions, then serves the chat
# page and API on http://127.0.0.1:8000 (Ctrl-C stops it).
demo: setup
	$(BIN)/supersmart demo

serve: setup
	$(BIN)/supersmart serve

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Slow tests (real models, > 30 s) run in their own step first; the default suite closes the run.
# With SUPERSMART_TESTS_NO_SKIPS=1 (.ci/run sets it) a skipped test fails either step.
# Each step says how long it took (a CPU without native bfloat16 shows here first).
test: lint
	@t=$$(date +%s); $(BIN)/pytest -m slow -q --durations=5; rc=$$?; \
	  echo "slow tests: $$(( $$(date +%s) - t )) s"; exit $$rc
	@t=$$(date +%s); $(BIN)/pytest; rc=$$?; \
	  echo "default tests: $$(( $$(date +%s) - t )) s"; exit $$rc

bench: setup-dev
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/scrape.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/chat.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/train.py
	$(BIN)/python benchmarks/targets.py

# The committed report of the shipped adapter: base model vs adapter on questions about
# sample-catalogue products it never saw in training (~10 min on 2 cores).
# The shipped adapter through the whole service on the real development questions (../shared/data),
# against AGAINST (an adapter.gguf; default: the bare model).
AGAINST ?=
adapter-report: setup-dev
	$(BIN)/supersmart adapters report --questions real \
	  --adapter finetune/adapters/default/adapter.gguf $(if $(AGAINST),--against $(AGAINST)) \
	  --out finetune/adapters/default/REPORT.md

# The committed evaluation report: every technique on the sample question set (~30 min on 2
# cores; an interrupted run resumes without --fresh).
eval-report: setup-dev
	$(BIN)/supersmart eval --fresh --out evaluation/reports/sample

# The committed real-data report: the service and the data-only answers on ~400 questions built
# from ../shared/data (~15 min on 2 cores); figures only, the data is not ours to copy.
eval-real-report: setup-dev
	$(BIN)/supersmart eval --questions real --answerers service,composed --no-retrieval \
	  --no-answers --fresh --out evaluation/reports/real

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
