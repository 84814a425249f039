# Tanbo: `make demo` runs the demo, `make test` the whole test suite. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TANBO_DATA_DIR ?= $(CURDIR)/.tanbo

WEB := api/web
CONSOLE := $(WEB)/dist/index.html
WEB_SOURCES := $(WEB)/package.json $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json \
	$(shell find $(WEB)/src -type f 2>/dev/null)

.PHONY: install console demo test lint bench screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tanbo needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

# The browser console (Node.js and npm from the machine): npm ci from the committed lock file,
# then vite build into api/web/dist, which `tanbo serve` serves at /console/.
$(WEB)/node_modules/.installed: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(CONSOLE): $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && npm run build

console: $(CONSOLE)

demo: $(STAMP) $(CONSOLE)
	$(BIN)/tanbo demo

test: $(STAMP) $(CONSOLE)
	scripts/ensure-postgres
	scripts/ensure-mosquitto
	scripts/ensure-chromium
	$(BIN)/pytest -n 4  # four workers on two cores: the suite mostly waits (simulated flights, servers, CLI processes)

screenshots: $(STAMP) $(CONSOLE)
	scripts/ensure-chromium
	TANBO_SCREENSHOTS=docs/console $(BIN)/pytest -q -p no:cacheprovider tests/console

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP) $(CONSOLE)
	scripts/ensure-postgres
	scripts/ensure-chromium
	$(BIN)/python bench/import.py
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/sim.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/irrigation.py
	$(BIN)/python bench/agronomy.py
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/console.py

clean:
	rm -rf $(VENV) .tanbo .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
