"""Liveness and readiness: no authentication, nothing revealed but which check failed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gvi.operations.models import WorkerHeartbeat
from gvi.operations.worker import beat

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_a_session(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("partnership:health"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readiness_needs_a_recent_worker_heartbeat(client, settings):
    response = client.get(reverse("partnership:readiness"))
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "ok", "worker": "failed"},
    }
    beat("worker-1", timezone.now())
    response = client.get(reverse("partnership:readiness"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }
    WorkerHeartbeat.objects.update(
        seen_at=timezone.now() - timedelta(seconds=settings.GVI_WORKER_STALE_SECONDS + 1)
    )
    assert client.get(reverse("partnership:readiness")).status_code == 503


def test_readiness_reports_unapplied_migrations(client, monkeypatch):
    from gvi.operations import health

    beat("worker-1", timezone.now())
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)]
    )
    response = client.get(reverse("partnership:readiness"))
    assert response.status_code == 503 and response.json()["checks"]["migrations"] == "failed"


def test_readiness_refuses_other_methods(client):
    assert client.post(reverse("partnership:readiness")).status_code == 405
