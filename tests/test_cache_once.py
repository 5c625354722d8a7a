"""Requests that miss the cache together compute a costly value once."""

import threading
import time

from django.core.cache import cache

from gvi.cache_once import get_or_compute


def test_concurrent_misses_compute_once():
    cache.clear()
    calls = []
    start = threading.Barrier(8)

    def compute():
        calls.append(1)
        time.sleep(0.05)  # long enough for the other threads to arrive while it runs
        return {"value": 42}

    results = []

    def request():
        start.wait()
        results.append(get_or_compute("test", "gvi:test:key", 60, compute))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and results == [{"value": 42}] * 8


def test_a_nested_value_of_another_kind_does_not_deadlock():
    cache.clear()
    outer = get_or_compute(
        "outer", "gvi:test:outer", 60, lambda: get_or_compute("inner", "gvi:test:inner", 60, lambda: 2) + 1
    )
    assert outer == 3 and cache.get("gvi:test:inner") == 2
