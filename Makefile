# capmarket — developer entry points. `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
SCALE  ?= full
TEST_WORKERS ?= 2

.PHONY: install demo serve worker test check lint format typecheck imports migrations-check deploy-check bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The demo serves plain HTTP on this machine: no https redirect, no secure-only cookies, no client certificates (no
# TLS front) and no service hours (open at any time); production keeps them all (README, "Access").
DEMO_ENV := CAPMARKET_HTTPS=0 CAPMARKET_CLIENT_CERTIFICATES=0 CAPMARKET_SERVICE_HOURS=0
VAR_DIR  := $(or $(CAPMARKET_VAR_DIR),var)

## demo: install, migrate, load the demo market (once) and serve the web UI on http://$(HOST):$(PORT)
demo: install
	$(BIN)/capmarket migrate --noinput
	$(BIN)/capmarket demo-data --seed 1 --scale $(SCALE) --if-empty
	$(BIN)/capmarket demo-logins
	@mkdir -p "$(VAR_DIR)"
	@echo "background-job worker: $(VAR_DIR)/worker.log (stops with the server)"
	$(DEMO_ENV) $(BIN)/capmarket worker > "$(VAR_DIR)/worker.log" 2>&1 & WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/capmarket runserver $(HOST):$(PORT)

serve: install
	$(DEMO_ENV) $(BIN)/capmarket runserver $(HOST):$(PORT)

## worker: a background-job worker (embedded queue in var/queue/, or CELERY_BROKER_URL)
worker: install
	$(BIN)/capmarket worker

## test: the whole test suite (unit, integration, functional with a headless browser)
test: install
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy capmarket tests

imports: install
	$(BIN)/lint-imports

migrations-check: install
	$(BIN)/capmarket makemigrations --check --dry-run

## deploy-check: Django's deployment checklist on production settings (debug off, https on, a real key and host,
## client certificates on with the TLS front's shared secret)
deploy-check: install
	env -u CAPMARKET_DEBUG -u CAPMARKET_HTTPS DJANGO_SETTINGS_MODULE=capmarket.config.settings \
	  CAPMARKET_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  CAPMARKET_CLIENT_CERT_PROXY_SECRET="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
	  CAPMARKET_ALLOWED_HOSTS=capmarket.example.jp $(BIN)/capmarket check --deploy --fail-level WARNING

## check: everything CI checks
check: lint typecheck imports migrations-check deploy-check test

## bench: full-scale benchmarks; they print figures, they do not assert times
bench: install
	$(BIN)/python -m tests.bench.calc_bench
	$(BIN)/python -m tests.bench.dataset_bench
	$(BIN)/python -m tests.bench.registry_bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
