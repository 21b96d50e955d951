# PS Ops: `make run` for the app with demo data, `make test` for the suite.
# Needs only Python 3.11 (everything else goes into .venv), except the browser
# journeys of `make test`, which also need Chromium and npm (.ci/run installs both).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
AXE := node_modules/axe-core/axe.min.js

.PHONY: install run test test-unit test-browser lint lint-ruff lint-types lint-imports lint-templates check-deploy format stop status test-pgbouncer bench bench-quick bench-pages bench-provisioning bench-audit bench-load clean

$(INSTALLED): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "PS Ops needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,local]"
	@touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/python -m devtools.run_local

# The whole suite: unit and integration tests, then the browser journeys (in this
# order even under make -j).
test: install
	$(MAKE) test-unit
	$(MAKE) test-browser

test-unit: install
	$(BIN)/python -m pytest --ignore=tests/e2e

# Browser journeys (tests/e2e): Chromium from the system, axe-core from npm.
test-browser: install $(AXE)
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || { echo "The browser tests need Chromium at $${CHROMIUM:-/usr/bin/chromium} (Debian: apt-get install chromium; or set CHROMIUM)."; exit 1; }
	$(BIN)/python -m pytest tests/e2e

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "The browser tests need npm to install axe-core (Debian: apt-get install npm)."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

# The tenancy and isolation tests, and the Celery worker's, through PgBouncer in
# session mode in front of the embedded PostgreSQL (Debian: apt-get install pgbouncer).
PGBOUNCER_TESTS := tests/psops/tenancy tests/engagements/views/test_cross_tenant.py \
	tests/psops/test_access_table.py tests/handoffs/test_packet_permissions.py \
	tests/config/test_celery_worker.py tests/health/kpis/test_cache.py
# (Less the one that checks a second process reaches the embedded server directly.)
test-pgbouncer: install
	$(BIN)/python -m devtools.pgbouncer -- $(BIN)/python -m pytest $(PGBOUNCER_TESTS) \
		--deselect tests/psops/tenancy/test_admin_and_demo.py::test_another_process_reaches_the_same_embedded_servers

# Everything that holds the code's shape; .pre-commit-config.yaml runs the same targets.
lint: lint-ruff lint-types lint-imports lint-templates check-deploy

lint-ruff: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The django-stubs plugin imports config.settings, which refuses to load without
# server URLs; these placeholders are never connected to (importing settings and
# django.setup() open no connection).
MYPY_ENV := DATABASE_URL=postgres://mypy/mypy REDIS_URL=redis://mypy SECRET_KEY=mypy-only PSOPS_EMBEDDED_SERVERS=false
lint-types: install
	$(MYPY_ENV) $(BIN)/mypy

# The layer contracts in pyproject.toml ([tool.importlinter]).
lint-imports: install
	$(BIN)/lint-imports

lint-templates: install
	$(BIN)/djlint --lint templates engagements/templates handoffs/templates capacity/templates health/templates psops/outbox/templates psops/audit/templates

# Django's deployment checks with production settings (https, no DEBUG, a real
# secret); any warning fails. Nothing is connected to.
DEPLOY_ENV := DEBUG=false DATABASE_URL=postgres://deploy-check/psops REDIS_URL=redis://deploy-check \
	SECRET_KEY=deploy-check-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP \
	PSOPS_BASE_DOMAIN=psops.example.com PSOPS_EMBEDDED_SERVERS=false
check-deploy: install
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

stop: install
	$(BIN)/python -m devtools.local_services stop

status: install
	$(BIN)/python -m devtools.local_services status

# Pages at 100, 1,000 and 10,000 engagements, the risk scans over 200 tenants,
# provisioning, the audit trail; JSON in artifacts/bench/ (bench/run.py). bench-quick: about 2 minutes.
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

# One part alone: the main pages at one size (--engagements), or provisioning.
bench-pages: install
	$(BIN)/python -m bench.pages

bench-provisioning: install
	$(BIN)/python -m bench.provisioning

# What the audit trail costs writes, and its page at a million entries.
bench-audit: install
	$(BIN)/python -m bench.audit

# 50 signed-in people for 60 s against the make-run web server, loopback only.
bench-load: install
	$(BIN)/python -m bench.load

clean: stop
	rm -rf .data $(VENV) node_modules artifacts
