# CityLoop — two commands for a newcomer:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install demo test lint typecheck test-sqlite test-postgres bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## Build the demo city 云河市 and serve it on http://127.0.0.1:8000
demo: install
	$(BIN)/cityloop demo

## Lint, type-check, then the whole suite on SQLite and on PostgreSQL
test: install lint typecheck test-sqlite test-postgres

lint:
	$(BIN)/ruff check cityloop tests bench

typecheck:
	$(BIN)/mypy cityloop

test-sqlite:
	$(BIN)/pytest -p no:cacheprovider

test-postgres:
	CITYLOOP_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider

bench: install
	$(BIN)/python bench/intake_bench.py

clean:
	rm -rf $(VENV) .cityloop .pytest_cache .mypy_cache .ruff_cache
