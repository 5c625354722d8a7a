"""A client that retries a push (the answer was lost to a timeout or a restart) must not create the
incident twice: the same Idempotency-Key answers with the incident the first request created."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from gvi.access.models import IdempotencyKey
from gvi.access.retention import IDEMPOTENCY_DAYS, run_retention
from gvi.access.services import claim_idempotency_key, issue_api_token
from gvi.incidents.models import Incident
from gvi.partnership.models import Role
from tests.factories import GroupFactory, MembershipFactory

PAYLOAD = {"type": "shooting", "occurred_at": "2026-04-02T23:15:00+02:00", "area": "Centrum"}


@pytest.fixture
def push(world):
    token = issue_api_token(world.users[Role.ANALYST], "Polisens ärendesystem")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def send(payload=PAYLOAD, key=None):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
        return client.post(
            "/api/v1/incidents", json.dumps(payload), content_type="application/json", **headers
        )

    return send


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_incident(push):
    before = Incident.unscoped_all_sites.count()
    first = push(key="push-0001")
    again = push(key="push-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Incident.unscoped_all_sites.count() == before + 1
    other = push(key="push-0002")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert push().status_code == 201  # no key: every request is a new incident
    assert Incident.unscoped_all_sites.count() == before + 3


@pytest.mark.django_db
def test_keys_belong_to_their_user(push, world):
    first = push(key="delad-nyckel")
    colleague = MembershipFactory(
        site=world.site_a, role=Role.ANALYST, organisation=world.orgs[("a", "police")]
    )
    token = issue_api_token(colleague.user, "annat system")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/incidents",
        json.dumps(PAYLOAD),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="delad-nyckel",
    )
    assert response.status_code == 201 and response.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_a_failed_request_leaves_its_key_free(push, world):
    hidden = GroupFactory(site=world.site_b, owner=world.orgs[("b", "police")])
    before = Incident.unscoped_all_sites.count()
    failed = push({**PAYLOAD, "involvements": [{"group_id": hidden.pk, "role": "suspect"}]}, key="k-1")
    assert failed.status_code == 404
    assert (
        Incident.unscoped_all_sites.count() == before
        and not IdempotencyKey.objects.filter(key="k-1").exists()
    )
    assert push(key="k-1").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "har mellanslag", "x" * 101, "åäö"])
def test_a_malformed_key_is_refused_and_nothing_is_stored(push, key):
    before = Incident.unscoped_all_sites.count()
    response = push(key=key)
    assert response.status_code == 422, response.content
    assert Incident.unscoped_all_sites.count() == before and not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_key_cannot_be_reused_for_another_operation(world):
    analyst = world.users[Role.ANALYST]
    claim, earlier = claim_idempotency_key(analyst, "k-2", "incidents.push")
    assert earlier is None
    claim.object_id = 1
    claim.save()
    assert claim_idempotency_key(analyst, "k-2", "incidents.push") == (None, 1)
    with pytest.raises(ValidationError):
        claim_idempotency_key(analyst, "k-2", "something.else")


@pytest.mark.django_db
def test_retention_forgets_old_keys(push):
    push(key="gammal")
    push(key="ny")
    IdempotencyKey.objects.filter(key="gammal").update(
        created_at=IdempotencyKey.objects.get(key="gammal").created_at - timedelta(days=IDEMPOTENCY_DAYS + 1)
    )
    run_retention(today=timezone.localdate())
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["ny"]
