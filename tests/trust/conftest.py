"""The trust suite: property-based, fuzzing, concurrency, backup and retention evidence (issue 10).

Fast by default. Two knobs for the long (soak) runs:

- ``GVI_TRUST_SCALE=N`` multiplies every Hypothesis / schemathesis example budget by N;
- ``GVI_TRUST_STATS=FILE`` makes the tests append what they measured (JSON lines) to FILE, which
  ``soak/run.py`` turns into docs/trust-report.md.

Tests marked ``slow`` are skipped unless they are asked for: ``pytest -m slow tests/trust`` (any ``-m``
expression selects them normally) or ``GVI_TRUST_SLOW=1``.
"""

import os
from pathlib import Path

import pytest

TRUST_DIR = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: longer tests, excluded from the fast suite")


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr", "") or os.environ.get("GVI_TRUST_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest -m slow tests/trust` or GVI_TRUST_SLOW=1")
    for item in items:
        if "slow" in item.keywords and TRUST_DIR in Path(str(item.fspath)).parents:
            item.add_marker(skip)
