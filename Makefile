# GVI – the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: demo test install install-test install-soak lint serve clean soak bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed
	$(PY) -m gvi.cli compile_translations

install-test: $(VENV)/.installed-test
	$(PY) -m gvi.cli compile_translations

demo: install
	GVI_DEMO_MODE=true $(PY) -m gvi.cli demo --port $(PORT)

test: install-test
	$(PY) -m ruff check src tests soak
	$(PY) -m gvi.cli makemigrations --check --dry-run
	$(PY) -m pytest -m "not browser and not slow" --ignore=tests/browser
	$(PY) -m pytest tests/browser

$(VENV)/.installed-soak: $(VENV)/.installed-test
	$(PY) -m pip install -q -e ".[test,soak]"
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
