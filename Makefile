# GVI – the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: demo test test-calendar install install-test install-soak lint serve clean soak bench lock

# The fast suite runs on every core (pytest-xdist); locally the PostgreSQL test database is kept between
# runs (pytest-django's --reuse-db still applies new migrations). CI starts from nothing.
PYTEST_PARALLEL ?= -n auto
ifeq ($(CI),)
PYTEST_REUSE ?= --reuse-db
endif

# Installs come from the lock files in requirements/ (exact versions with their hashes, made by `make lock`
# from pyproject.toml), so an install is reproducible and can be audited on a connected machine.
$(VENV)/.installed: pyproject.toml requirements/base.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements/base.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.txt
	$(PY) -m pip install -q --require-hashes -r requirements/test.txt
	touch $@

install: $(VENV)/.installed
	$(PY) -m gvi.cli compile_translations

install-test: $(VENV)/.installed-test
	$(PY) -m gvi.cli compile_translations

demo: install
	GVI_DEMO_MODE=true $(PY) -m gvi.cli demo --port $(PORT)

# Before the tests: lint and format, the import contracts of pyproject.toml ([tool.importlinter], see
# docs/architecture.md), Django's system checks and no missing migration.
test: install-test
	$(PY) -m ruff check src tests soak
	$(PY) -m ruff format --check src tests soak
	$(VENV)/bin/lint-imports
	$(PY) -m gvi.cli check
	$(PY) -m gvi.cli makemigrations --check --dry-run
	$(PY) -m pytest -m "not browser and not slow" --ignore=tests/browser $(PYTEST_PARALLEL) $(PYTEST_REUSE)
	$(PY) -m pytest tests/browser

# The fast suite on SQLite under libfaketime at the hard dates (month end in UTC vs Stockholm, new year,
# both daylight-saving nights, 29 February): `make test-calendar CALENDAR="--pick 2"` runs two of them,
# rotating by the day; `CALENDAR="--only leap-day"` one. Needs Debian's faketime.
CALENDAR ?= --all
test-calendar: install-test
	$(PY) soak/calendar_run.py $(CALENDAR) -- $(PYTEST_PARALLEL)

$(VENV)/.installed-soak: $(VENV)/.installed-test requirements/soak.txt
	$(PY) -m pip install -q --require-hashes -r requirements/soak.txt
	touch $@

install-soak: $(VENV)/.installed-soak

# The long trust runs (durability under SIGKILL, load, long fuzzing budgets, pip-audit):
# writes docs/trust-report.md. Needs PostgreSQL at 127.0.0.1:5432.
soak: install-soak
	$(PY) soak/run.py

# The national-scale benchmark suite: writes docs/benchmarks.md. Needs PostgreSQL at 127.0.0.1:5432.
bench: install-test
	$(PY) -m gvi.cli bench

lint: install-test
	$(PY) -m ruff check src tests soak
	$(PY) -m ruff format --check src tests soak

clean:
	rm -rf $(VENV) var

# Re-resolve the lock files after a change to pyproject.toml (needs PyPI): the runtime set, then the test and
# soak sets constrained to it, for every platform (--universal) and Python 3.11 and newer.
LOCK_TOOLS := .lock-tools
lock:
	test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install -q uv)
	$(LOCK_TOOLS)/bin/uv pip compile -q pyproject.toml --universal --python-version 3.11 --generate-hashes \
		$(LOCK_UPGRADE) -o requirements/base.txt
	$(LOCK_TOOLS)/bin/uv pip compile -q pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--extra test -c requirements/base.txt -o requirements/test.txt
	$(LOCK_TOOLS)/bin/uv pip compile -q pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--extra test --extra soak -c requirements/test.txt -o requirements/soak.txt
