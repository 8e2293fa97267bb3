# Vestige: the commands a developer and CI use. GNU make; run `make help` for the list.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:

VENV := .venv
PY := $(VENV)/bin/python
VESTIGE := $(VENV)/bin/vestige
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k import -x"`.
PYTEST_ARGS ?=
PYTEST := $(PY) -m pytest -p no:cacheprovider
# Folders ruff checks (benchmarks/ only where it exists).
LINT_PATHS := src tests $(wildcard benchmarks)

.PHONY: help install system-deps run test test-sqlite test-postgres lint bench bench-quick bench-neardup clean

help:
	@echo "make install      virtualenv in .venv with Vestige and its dev tools (editable)"
	@echo "make system-deps  Debian packages: chromium, ffmpeg, postgresql, libmagic1, openssl, fonts"
	@echo "make run          set up ./vestige-data with an admin and the demo case, serve on $(HOST):$(PORT)"
	@echo "make lint         ruff check, mypy, and a check that no migration is missing"
	@echo "make test         lint, then pytest on SQLite, then pytest on a throwaway PostgreSQL"
	@echo "make bench        import benchmark (1 GB + 20,000 small files); bench-quick: 100 MB + 2,000"
	@echo "make bench-neardup  near-duplicate search over 100,000 texts + 100,000 images"
	@echo "make clean        remove .venv, caches and test artifacts"

# The virtualenv; Debian's python3 needs python3-venv for it.
$(PY):
	@if ! python3 -m venv $(VENV); then \
		rm -rf $(VENV); scripts/system-deps.sh venv; python3 -m venv $(VENV); \
	fi

# Reinstall only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml | $(PY)
	scripts/system-deps.sh build
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	scripts/system-deps.sh all

run: install
	scripts/system-deps.sh run
	$(VESTIGE) init
	$(VESTIGE) user create admin --admin --if-missing
	$(VESTIGE) demo --owner admin
	@echo
	@echo "================================================================================"
	@echo " Vestige: open http://$(HOST):$(PORT)/ and log in as 'admin' with the password"
	@echo " printed above when the account was created. Lost it? Set a new one with:"
	@echo "     $(VESTIGE) user password admin"
	@echo " Data lives in $${VESTIGE_DATA_DIR:-./vestige-data}. Ctrl-C stops the server."
	@echo "================================================================================"
	@echo
	$(VESTIGE) serve --host $(HOST) --port $(PORT)

# mypy's Django plugin and the migration check load the settings, which create a data folder:
# they get a throwaway one (not ./vestige-data, which `make run` uses).
LINT_DATA := test-artifacts/lint-data
lint: install
	$(VENV)/bin/ruff check $(LINT_PATHS)
	@rm -rf $(LINT_DATA)
	VESTIGE_DATA_DIR=$(LINT_DATA) $(VENV)/bin/mypy src
	VESTIGE_DATA_DIR=$(LINT_DATA) $(PY) -m django makemigrations --check --dry-run \
		--settings=tests.settings
	@rm -rf $(LINT_DATA)

test: install system-deps lint test-sqlite test-postgres

# Every test, browser ones included, on SQLite.
test-sqlite: install
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(PYTEST) $(PYTEST_ARGS)

# The same suite on PostgreSQL, less the browser tests (they exercise no database difference).
test-postgres: install
	@echo "== pytest on PostgreSQL =="
	scripts/with-postgres.sh $(PYTEST) -m "not browser" $(PYTEST_ARGS)

bench: install
	$(PY) benchmarks/bench_import.py

bench-quick: install
	$(PY) benchmarks/bench_import.py --quick

bench-neardup: install
	$(PY) benchmarks/bench_neardup.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts benchmarks/results/tmp \
		build dist src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
