# The two commands a newcomer needs: `make run` (the app) and `make test` (the suite).
# Each first installs the system packages it needs (tools/system-packages.txt, through
# apt-get on Debian/Ubuntu), then creates .venv on first use. The tested
# torch/torchaudio pair is pinned here; pyproject.toml states the supported ranges.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_PINS := torch==2.14.1 torchaudio==2.11.0
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench system-run system-test

system-run:
	@$(PYTHON) tools/system_deps.py run

system-test:
	@$(PYTHON) tools/system_deps.py test

# What the app needs; the test extra (linters, test tools) only for test, lint and bench.
$(STAMP): pyproject.toml Makefile
	@echo "Installing the app's Python packages into $(VENV): the first time about 3 GB to" \
		"download, 6 GB on disk, most of it the CUDA libraries of PyTorch's Linux wheels" \
		"(README, 'Set up': CPU-only wheels)."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PINS)
	$(BIN)/python -m pip install -q -e . $(TORCH_PINS)
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test]' $(TORCH_PINS)
	touch $@

run: system-run $(STAMP)
	$(BIN)/captions-tui $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: system-test lint
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

bench: system-test $(TEST_STAMP)
	$(BIN)/python -m bench.latency $(ARGS)
