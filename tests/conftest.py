import pytest

from tests.factories import build_world


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Cached pictures (risk, network metrics) are keyed by ids that a rolled-back test can reuse.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db):
    return build_world()
