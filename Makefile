# webchat-tui developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test bench screenshots lint emulator clean

$(BIN)/python:
	@echo "webchat-tui: creating the virtual environment in $(VENV) (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	@echo "webchat-tui: installing the app and its dependencies into $(VENV) (first run only, about a minute)"
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q webchat_tui  # an editable install leaves no bytecode: faster first start
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	@echo "webchat-tui: installing the app with its test tools into $(VENV) (first run only, about a minute)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q webchat_tui
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)  ## launch the app on the embedded emulator
	$(BIN)/webchat-tui

emulator: $(STAMP_RUN)  ## run the emulator standalone on 127.0.0.1:8765 with fixed ids
	$(BIN)/webchat-tui emulator --host 127.0.0.1 --port 8765 --seed 1234

test: $(STAMP_TEST)  ## run every test
	$(BIN)/python -m pytest -q

lint: $(STAMP_TEST)  ## formatting, lint, strict types on the whole package, import contracts
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy --strict webchat_tui
	$(BIN)/lint-imports

bench: $(STAMP_TEST)  ## run the benchmarks, write benchmarks/RESULTS.md and results.json
	$(BIN)/python -m benchmarks.run_all

screenshots: $(STAMP_TEST)  ## regenerate screenshots/*.svg
	$(BIN)/python -m tests.screenshots
	$(BIN)/python -m tests.agent.screenshots

clean:
	rm -rf $(VENV) build *.egg-info
