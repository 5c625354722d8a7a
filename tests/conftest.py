import copy
import os
import time
from datetime import datetime

import pytest
from django.db import transaction
from django.test import override_settings

from tests.factories import build_world

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    """Under `make test-calendar` the clock must really be the fake one: a run on the real date would
    pass without proving anything."""
    start = os.environ.get("GVI_FAKE_CLOCK_START")
    if start:
        elapsed = time.time() - datetime.fromisoformat(start).timestamp()
        if not 0 <= elapsed < 4 * 3600:
            raise pytest.UsageError(f"the fake clock is not in effect: expected about {start}")


@pytest.fixture(scope="session", autouse=True)
def _every_view_imported():
    """Import the URLconf (every view and API module) before any test patches a module attribute: a view
    module first imported inside a test that swaps e.g. `gvi.support.services` would keep the stand-in
    for the rest of the run (`from gvi.support import services`) and fail later tests in that worker."""
    from django.urls import get_resolver

    assert get_resolver().url_patterns


@pytest.fixture(autouse=True)
def _swedish_after_each_test():
    """A request in English (the language cookie) leaves English active in the test's thread; the next
    test in that worker would then read English messages. Every test starts and ends in Swedish."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # The progressive sign-in delay is tested on its own (tests/access/test_throttle.py); elsewhere a test
    # may fail a sign-in and try again at once.
    settings.GVI_LOGIN_DELAY_SECONDS = 0
    settings.GVI_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchor.jsonl")
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test gets an empty cache of its own (cached values can be keyed by ids that a rolled-back test
    # reuses). The shared database and Redis caches are tested in tests/operations/test_cache.py.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # as configured without Redis: files that the worker writes and the web process reads
        "progress": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "progress"),
        },
    }
    from django.core.cache import cache

    cache.clear()


def build_shared_world():
    """What `world` holds in this directory; a conftest or module below overrides `shared_world_builder`
    to build another."""
    return build_world()


@pytest.fixture(scope="module")
def shared_world_builder():
    return build_shared_world


@pytest.fixture(scope="module")
def _module_world(shared_world_builder, django_db_setup, django_db_blocker):
    """The world built once per test module inside a transaction that is rolled back when the module
    ends. Each test runs inside it in its own savepoint (pytest-django's `db`), so every test starts from
    the same rows, and gets its own deep copy of the Python objects (as Django's setUpTestData does)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = shared_world_builder()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(request, _module_world, db):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction")
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        pytest.fail("`world` lives in a rolled-back transaction; a transactional test uses `fresh_world`")
    return copy.deepcopy(_module_world)


@pytest.fixture
def fresh_world(shared_world_builder, db):
    """A world built for this test alone (transactional tests, whose rows must be committed)."""
    return shared_world_builder()
