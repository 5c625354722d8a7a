"""Example budgets and measurements shared by the trust tests (see conftest.py for the knobs)."""

import json
import os
import threading

from django.db import connection

_stats_lock = threading.Lock()


def scale() -> int:
    try:
        return max(1, int(os.environ.get("GVI_TRUST_SCALE", "1")))
    except ValueError:
        return 1


def examples(base: int) -> int:
    """An example budget: `base` in the fast suite, `base * GVI_TRUST_SCALE` in a soak run."""
    return base * scale()


def hypothesis_settings(**extra) -> dict:
    """Settings for the trust suite's @settings: no deadline, no example database, and in the fast suite
    (scale 1) derandomized, so CI runs the same examples every time; soak runs (scale > 1) explore."""
    return {"deadline": None, "database": None, "derandomize": scale() == 1, **extra}


def record_stat(name: str, **values) -> None:
    """Append one measurement to $GVI_TRUST_STATS (if set), for the trust report."""
    target = os.environ.get("GVI_TRUST_STATS")
    if not target:
        return
    line = json.dumps({"name": name, "vendor": connection.vendor, **values}, default=str)
    with _stats_lock, open(target, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
