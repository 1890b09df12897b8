# The two commands a newcomer needs: `make run` (the app) and `make test` (the suite).
# Each first installs the system packages it needs (tools/system-packages.txt, through
# apt-get on Debian/Ubuntu), then creates .venv on first use. The tested
# torch/torchaudio pair is pinned here; pyproject.toml states the supported ranges.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_PINS := torch==2.14.1 torchaudio==2.11.0
STAMP := $(VENV)/.installed

.PHONY: run test lint bench system-run system-test

system-run:
	@$(PYTHON) tools/system_deps.py run

system-test:
	@$(PYTHON) tools/system_deps.py test

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PINS)
	$(BIN)/python -m pip install -q -e '.[test]' $(TORCH_PINS)
	touch $@

run: system-run $(STAMP)
	$(BIN)/captions-tui $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: system-test lint
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

bench: system-test $(STAMP)
	$(BIN)/python -m bench.latency $(ARGS)
