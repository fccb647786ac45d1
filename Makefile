# CityLoop — two commands for a newcomer:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The fuzzing stage's own scratch database (dropped and rebuilt on every run).
PG_FUZZ_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/fuzz

.PHONY: install demo test lint typecheck test-suites test-sqlite test-postgres test-deploy test-web e2e fuzz browser nginx bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# The web console, built into the package (served at /). npm install follows package-lock.json
# (npm ci rejects a lock without every platform's optional rollup binary).
web/node_modules/.installed: web/package.json web/package-lock.json
	npm --prefix web install --no-audit --no-fund --loglevel=error
	touch $@

cityloop/web_dist/index.html: web/node_modules/.installed $(shell find web/src -type f) web/index.html web/vite.config.ts
	npm --prefix web run build

install: $(VENV)/.installed cityloop/web_dist/index.html

## Build the demo city 云河市 and serve it on http://127.0.0.1:8000
demo: install
	$(BIN)/cityloop demo

## Lint, type-check, the whole suite on SQLite and on PostgreSQL, then the console's unit
## and browser tests
test: install lint typecheck test-suites test-deploy fuzz test-web e2e

lint:
	$(BIN)/ruff check cityloop tests bench
	$(BIN)/ruff format --check cityloop tests bench

typecheck:
	$(BIN)/mypy cityloop

# The SQLite and the PostgreSQL runs side by side, a core each (much of each run waits on the
# servers, workers and brokers its tests start); their ports, Redis databases and live channels
# are their own (tests/conftest.py). Each run's output is printed whole when it ends.
test-suites:
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite:
	$(BIN)/pytest -p no:cacheprovider

test-postgres:
	CITYLOOP_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider

# nginx in front of two `cityloop serve` instances, PostgreSQL, Redis and a jobs worker, on a
# scratch database beside PG_TEST_URL's (tests/deployment; deploy/nginx/cityloop.conf).
test-deploy: install nginx
	CITYLOOP_DEPLOY_TEST=1 CITYLOOP_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider tests/deployment

# schemathesis over the whole OpenAPI document, as anonymous and six roles, against a served
# demo city on PostgreSQL; fails on any 5xx, dropped connection or answer the document does not
# declare (tests/fuzz/run_fuzz.py; docs/RELIABILITY.md, "Fuzzing").
fuzz: install
	$(BIN)/python tests/fuzz/run_fuzz.py --database-url $(PG_FUZZ_URL)

# Debian's nginx for the deployment test (the same package the docs deploy).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	  (apt-get update -qq && apt-get install -y -qq nginx >/dev/null)

# Debian's Chromium (no browser download) and CJK fonts for readable screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . || \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

test-web: install
	npm --prefix web test

e2e: install browser
	npm --prefix web run e2e

bench: install
	$(BIN)/python bench/intake_bench.py

clean:
	rm -rf $(VENV) .cityloop .pytest_cache .mypy_cache .ruff_cache
