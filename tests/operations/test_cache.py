"""The shared cache: the database cache by default and Redis with GVI_CACHE_URL, each seen by every
process (a value one process stores, another reads). Redis is a real server on loopback."""

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("GVI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def in_another_process(code: str, **env: str) -> dict:
    program = "import django, json\ndjango.setup()\nfrom django.core.cache import cache\n" + code
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "gvi.settings", **env}
    completed = subprocess.run(
        [sys.executable, "-c", program],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_default_cache_is_the_database(monkeypatch):
    monkeypatch.delenv("GVI_CACHE_URL", raising=False)
    found = in_another_process(
        "from django.conf import settings\n"
        "print(json.dumps({'backend': settings.CACHES['default']['BACKEND'], "
        "'table': settings.CACHES['default']['LOCATION']}))"
    )
    assert found == {"backend": "django.core.cache.backends.db.DatabaseCache", "table": "gvi_cache"}


@pytest.mark.django_db
def test_the_database_cache_stores_in_the_shared_table(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gvi_cache"}
    }
    cache = caches["default"]
    key = f"gvi:test:{uuid.uuid4().hex}"
    cache.set(key, {"value": 42}, 60)
    assert cache.get(key) == {"value": 42}
    assert cache.add(key, "other", 60) is False  # the primitive a cross-process lock is built on
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM gvi_cache WHERE cache_key LIKE %s", [f"%{key}"])
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(not redis_reachable(), reason="no Redis server on 127.0.0.1:6379")
def test_with_gvi_cache_url_every_process_shares_redis(settings):
    key = f"gvi:test:{uuid.uuid4().hex}"
    stored = in_another_process(
        f"cache.set({key!r}, {{'from': 'another process'}}, 60)\n"
        "from django.conf import settings\n"
        "print(json.dumps({'backend': settings.CACHES['default']['BACKEND']}))",
        GVI_CACHE_URL=REDIS_URL,
    )
    assert stored == {"backend": "django.core.cache.backends.redis.RedisCache"}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    cache = caches["default"]
    try:
        assert cache.get(key) == {"from": "another process"}
        assert cache.add(key, "other", 60) is False
    finally:
        cache.delete(key)
