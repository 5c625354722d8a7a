"""A cached value computed once even when many requests miss at the same moment.

Without it, 16 requests arriving together for a costly picture (a model fit, network measures) all
miss the cache and all compute it. Threads of one server process wait for the first one instead. There
is one lock per kind of value (not per key, so locks never accumulate); a computation that needs
another cached value takes the kinds' locks always in the same order (the risk picture, then its data,
then its fit), so two requests can never wait for each other in a circle.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")
_LOCKS: dict[str, threading.RLock] = {}
_GUARD = threading.Lock()


def _lock(kind: str) -> threading.RLock:
    with _GUARD:
        return _LOCKS.setdefault(kind, threading.RLock())


def get_or_compute(kind: str, key: str, seconds: int, compute: Callable[[], T]) -> T:
    found = cache.get(key)
    if found is not None:
        return found
    with _lock(kind):
        found = cache.get(key)  # computed while this request waited
        if found is None:
            found = compute()
            cache.set(key, found, seconds)
    return found
