# CitiMeasure developer commands. On a fresh machine, `make run` and `make test` are all you need.
#
#   make install           create .venv, pip install -e ".[test]", npm ci (only when inputs changed)
#   make run               install, migrate, load the demo data, serve http://127.0.0.1:8000
#   make test              install, then run the test suite (see "Tests" below)
#   make lint              ruff check + ruff format --check
#   make migrations-check  fail if a model change has no migration
#   make check-deploy      manage.py check --deploy under production-like settings
#
# Tests: `make test` runs everything the environment can run. Without DATABASE_URL (the
# embedded SQLite mode) the tests marked `integration` — they need the real PostgreSQL, Redis
# and a Celery worker — are deselected, and a line says so. With DATABASE_URL and REDIS_URL set,
# static files are collected (production mode serves them from the manifest) and the whole
# suite runs; an integration test that cannot reach its service fails.
# Extra pytest arguments go in PYTEST_ARGS; they come last, so they win:
#   make test PYTEST_ARGS='tests/e2e -x'
#   make test PYTEST_ARGS='-m "not browser"'

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST_ARGS ?=

# Stamps: reinstall only when the dependency declarations change.
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

ifeq ($(strip $(DATABASE_URL)),)
TEST_SELECTION := -m "not integration"
else
TEST_SELECTION :=
endif

.PHONY: install run test lint migrations-check check-deploy

install: $(PY_STAMP) $(NODE_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[test]"
	@touch $@

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@if [ -f package-lock.json ]; then echo "npm ci"; npm ci --no-audit --no-fund; \
	else echo "npm install"; npm install --no-audit --no-fund; fi
	@touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py compute_scores
	$(PY) manage.py runserver 127.0.0.1:8000

# In production mode pages name static files by their hashed names from the manifest that
# collectstatic writes, exactly as in a deployment, so the tests collect them first.
test: install
ifeq ($(strip $(DATABASE_URL)),)
	@echo "make test: DATABASE_URL is not set (embedded SQLite mode), so tests marked" \
	      "'integration' are deselected; set DATABASE_URL and REDIS_URL to run them too."
else
	$(PY) manage.py collectstatic --noinput
endif
	$(BIN)/pytest $(TEST_SELECTION) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Production mode (DATABASE_URL set) with every required variable. The hosts are under the
# reserved .invalid domain on purpose: `check` must not connect to any of them.
check-deploy: install
	env -u DEBUG -u SECURE_SSL_REDIRECT -u SECURE_COOKIES -u SECURE_HSTS_SECONDS \
	  DATABASE_URL=postgres://citimeasure@db.invalid:5432/citimeasure \
	  REDIS_URL=redis://redis.invalid:6379/0 \
	  SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	  ALLOWED_HOSTS=citimeasure.invalid \
	  EMAIL_HOST=smtp.invalid \
	  $(PY) manage.py check --deploy --fail-level WARNING
