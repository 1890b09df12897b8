# The two commands a newcomer needs: `make run` (the app) and `make test` (the suite).
# Each first installs the system packages it needs (tools/system-packages.txt, through
# apt-get on Debian/Ubuntu), then creates .venv on first use and installs the locked set:
# requirements/run.txt (the app) or requirements/test.txt (the app and its tests), every
# file pinned by hash. `make lock` refreshes both from pyproject.toml's ranges and the
# tested torch/torchaudio pair in requirements/pins.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# Two workers: the real-time tests (sound server, terminal, browser) share one, the
# rest run beside them (tests/conftest.py groups them).
PYTEST := $(BIN)/python -m pytest -q -ra -n 2 --dist loadgroup

.PHONY: run test test-fast lint lock bench system-run system-test speech-sample

system-run:
	@$(PYTHON) tools/system_deps.py run

system-test:
	@$(PYTHON) tools/system_deps.py test

$(BIN)/python:
	@echo "Creating $(VENV): the first install downloads about 3 GB (6 GB on disk), most of" \
		"it the CUDA libraries of PyTorch's Linux wheels (README, 'Set up': CPU-only wheels)."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The lock holds every package (dependencies of dependencies too), so the project itself
# goes in without resolving anything again.
$(RUN_STAMP): $(RUN_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(RUN_LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(TEST_STAMP): $(TEST_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(TEST_LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

# The real two-person sample in pyannote.audio's wheel (the VAD's known answer): that one
# wheel, pinned by sha256, not its 64 dependencies (tools/pyannote_sample.py).
SAMPLE := .work/pyannote-sample/sample.rttm

$(SAMPLE): tools/pyannote_sample.py | $(BIN)/python
	$(BIN)/python tools/pyannote_sample.py

speech-sample: $(SAMPLE)

run: system-run $(RUN_STAMP)
	$(BIN)/captions-tui $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: system-test lint $(SAMPLE)
	$(PYTEST) --durations=25 $(PYTEST_ARGS)

# The quick loop while working: no lint, no test marked slow.
test-fast: system-test $(TEST_STAMP) $(SAMPLE)
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

lock: | $(BIN)/python
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile -q pyproject.toml -c requirements/pins.txt --generate-hashes --universal \
		--python-version 3.10 --custom-compile-command "make lock" -o $(RUN_LOCK)
	$(BIN)/uv pip compile -q pyproject.toml -c requirements/pins.txt --generate-hashes --universal \
		--extra test --python-version 3.10 --custom-compile-command "make lock" -o $(TEST_LOCK)

bench: system-test $(TEST_STAMP)
	$(BIN)/python -m bench.latency $(ARGS)
