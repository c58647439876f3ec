# ExecSupport: `make demo` and `make test` work on a fresh clone with only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DEBUG ?= true

LOCK := requirements/deploy.lock
SBOM ?= sbom.cdx.json

.PHONY: demo demo-reset test install install-dev lint format check run worker beat clean help lock sbom audit

help:
	@echo "make demo   - install, migrate SQLite, load demo data, compute scores, serve on :8000"
	@echo "make demo-reset - delete the demo data and load it again"
	@echo "make test   - install (with test tools) and run the whole suite (TEST_WORKERS=auto)"
	@echo "make lint   - ruff check, ruff format --check, mypy (django-stubs, DRF stubs) and lint-imports (.importlinter)"
	@echo "make lock   - pin the runtime dependencies with hashes in $(LOCK) (the image installs it)"
	@echo "make sbom   - CycloneDX SBOM of $(LOCK) in $(SBOM)"
	@echo "make audit  - pip-audit $(LOCK): fails on a known vulnerability"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo's notification emails go to files in .demo-mail/ rather than flooding the terminal.
demo: export EMAIL_URL ?= filemail:///.demo-mail
demo: install
	$(BIN)/python manage.py migrate --no-input
	@# Refresh scores of an existing demo to today (a no-op on a fresh database), then seed
	@# (which computes its own scores) and print the demo logins either way.
	$(BIN)/python manage.py recompute_gaps --no-progress
	$(BIN)/python manage.py seed_demo --if-empty
	@echo "Notification emails of the demo are written to .demo-mail/"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Start the demo over: delete what seed_demo loaded and load it again (DEBUG=true, exported above).
demo-reset: export EMAIL_URL ?= filemail:///.demo-mail
demo-reset: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --reset

# pytest-xdist: one worker per core (TEST_WORKERS=0 runs in this process). The tests that
# flush one Redis database and start real Celery workers stay on one worker (xdist_group).
TEST_WORKERS ?= auto
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The stubs' plugin imports the settings; type-checking needs no production secret.
	DEBUG=true $(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The deployed image installs exactly these pins (pip --require-hashes). Existing pins are kept
# while they satisfy pyproject.toml; `make lock LOCK_ARGS=--upgrade` moves everything forward.
lock: $(VENV)/.installed-dev
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links $(LOCK_ARGS) --output-file $(LOCK) pyproject.toml

sbom: $(VENV)/.installed-dev
	$(BIN)/cyclonedx-py requirements $(LOCK) --pyproject pyproject.toml --mc-type application \
		--output-reproducible --of JSON -o $(SBOM)
	@echo "CycloneDX SBOM written to $(SBOM)"

# A known vulnerability fails; an unreachable advisory service is reported, not a failure.
audit: $(VENV)/.installed-dev
	$(BIN)/python tools/pip_audit_gate.py $(LOCK)

worker: install
	$(BIN)/celery -A execsupport worker --loglevel=INFO

beat: install
	$(BIN)/celery -A execsupport beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles $(SBOM) .pytest_cache .ruff_cache db.sqlite3 db.sqlite3-* .test-db.sqlite3*
