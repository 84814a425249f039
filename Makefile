# Tanbo: `make demo` runs the demo, `make test` the whole test suite. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TANBO_DATA_DIR ?= $(CURDIR)/.tanbo

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tanbo needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tanbo demo

test: $(STAMP)
	scripts/ensure-postgres
	scripts/ensure-mosquitto
	$(BIN)/pytest -n 4  # four workers on two cores: the suite mostly waits (simulated flights, servers, CLI processes)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	scripts/ensure-postgres
	$(BIN)/python bench/import.py
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/sim.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/irrigation.py
	$(BIN)/python bench/agronomy.py
	$(BIN)/python bench/dispatch.py

clean:
	rm -rf $(VENV) .tanbo .pytest_cache .mypy_cache .ruff_cache
