# PS Ops: `make run` for the app with demo data, `make test` for the suite.
# Needs only Python 3.11; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-fast lint format stop status bench clean

$(INSTALLED): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "PS Ops needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,local]"
	@touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/python -m psops.run_local

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

stop: install
	$(BIN)/python -m psops.local_services stop

status: install
	$(BIN)/python -m psops.local_services status

bench: install
	$(BIN)/python -m bench.provisioning

clean: stop
	rm -rf .data $(VENV)
