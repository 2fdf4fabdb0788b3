# Lemari: `make run` sets up and serves the demo office; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export LEMARI_HOME ?= instance

# Both test targets use every core (pytest-xdist); each prints its 25 slowest tests.
.PHONY: run test test-fast install install-test translations system-deps clean-venv

run: system-deps install translations
	$(BIN)/lemari init
	$(BIN)/lemari demo
	$(BIN)/lemari serve

test: install-test translations
	scripts/system-deps.sh test
	$(BIN)/pytest -n auto --dist worksteal

# The inner loop: unit, contract and web tests on SQLite (no PostgreSQL, browser or slow runs).
test-fast: install-test translations
	$(BIN)/pytest -n auto --dist worksteal -m "(unit or contract or web) and not postgres and not slow"

system-deps:
	scripts/system-deps.sh runtime

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Lemari butuh Python 3.11 atau lebih baru")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $(STAMP)

install-test: $(STAMP).test

$(STAMP).test: pyproject.toml examples/lemari-surat-kehilangan/pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]' -e examples/lemari-surat-kehilangan
	touch $(STAMP) $(STAMP).test

translations: install
	$(BIN)/pybabel compile -d records/translations
