"""The sanctions API: list, get, create and patch with optimistic locking (409), decide and close."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gvi.access.services import issue_api_token
from gvi.partnership.models import Role
from tests.factories import verified_login
from tests.sanctions.factories import add_sanction_records

C, A, P, S = Role.COORDINATOR, Role.ANALYST, Role.PROBATION_OFFICER, Role.STEERING_MEMBER
BASE = "/api/v1/sanctions"


def call(client, method, url, payload=None):
    body = json.dumps(payload or {})
    return getattr(client, method)(BASE + url, body, content_type="application/json")


@pytest.fixture
def records(world):
    add_sanction_records(world)
    return world


@pytest.mark.django_db
def test_episode_lifecycle_through_the_api(records):
    analyst = verified_login(Client(), records.users[A])
    group = records.records[("relation", "a", "police")].group_b
    incident = records.records[("incident", "a", "police")]
    created = call(
        analyst, "post", "/episodes", {"group_id": group.pk, "trigger_incident_ids": [incident.pk]}
    )
    assert created.status_code == 201, created.content
    episode = created.json()
    assert episode["status"] == "proposed" and episode["trigger_incident_ids"] == [incident.pk]
    pk = episode["id"]
    duplicate = call(
        analyst, "post", "/episodes", {"group_id": group.pk, "trigger_incident_ids": [incident.pk]}
    )
    assert duplicate.status_code == 422

    patched = call(analyst, "patch", f"/episodes/{pk}", {"version": 1, "decision_note": "Underlag"})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = call(analyst, "patch", f"/episodes/{pk}", {"version": 1, "decision_note": "Gammalt"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2

    decided = call(analyst, "post", f"/episodes/{pk}/decision", {"version": 2, "run": True})
    assert decided.status_code == 200 and decided.json()["status"] == "open"
    assert decided.json()["decided_by"] == records.users[A].username
    again = call(analyst, "post", f"/episodes/{pk}/decision", {"version": 3, "run": True})
    assert again.status_code == 422

    closed = call(analyst, "post", f"/episodes/{pk}/close", {"version": 3, "end_reason": "effect_seen"})
    assert closed.status_code == 200 and closed.json()["end_date"] == timezone.localdate().isoformat()
    listing = analyst.get(BASE + "/episodes?status=closed").json()
    assert [item["id"] for item in listing["items"]] == [pk]


@pytest.mark.django_db
def test_actions_through_the_api(records):
    officer = verified_login(Client(), records.users[P])
    episode = records.records[("sanctionepisode", "a", "police")]
    created = call(
        officer,
        "post",
        "/actions",
        {
            "episode_id": episode.pk,
            "lever": "drug_tests",
            "responsible_id": records.users[P].pk,
            "due_date": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    action = created.json()
    assert action["owner_id"] == records.orgs[("a", "probation")].pk and action["status"] == "planned"
    wrong_lever = call(officer, "post", "/actions", {"episode_id": episode.pk, "lever": "tax_audits"})
    assert wrong_lever.status_code == 422
    done = call(
        officer,
        "patch",
        f"/actions/{action['id']}",
        {"version": 1, "status": "done", "checks_made": 4, "result": "Fyra kontroller"},
    )
    assert done.status_code == 200
    body = done.json()
    assert (
        body["status"] == "done" and body["started_on"] == body["done_on"] == timezone.localdate().isoformat()
    )
    stale = call(officer, "patch", f"/actions/{action['id']}", {"version": 1, "arrests": 1})
    assert stale.status_code == 409
    unknown_user = call(
        officer, "patch", f"/actions/{action['id']}", {"version": 2, "responsible_id": 999999}
    )
    assert unknown_user.status_code == 404


@pytest.mark.django_db
def test_rules_through_the_api(records):
    coordinator = verified_login(Client(), records.users[C])
    group = records.records[("group", "a", "police")]
    created = call(
        coordinator,
        "post",
        "/rules",
        {
            "title": "Nästa skjutning",
            "message": "Nästa skjutning leder till ökat fokus.",
            "announced_on": "2025-05-01",
            "trigger_types": ["shooting"],
            "group_ids": [group.pk],
            "levers": ["targeted_controls"],
            "respond_within_days": 2,
        },
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["group_ids"] == [group.pk] and rule["respond_within_days"] == 2
    patched = call(coordinator, "patch", f"/rules/{rule['id']}", {"version": 1, "group_ids": []})
    assert patched.status_code == 200 and patched.json()["group_ids"] == []
    bad = call(coordinator, "patch", f"/rules/{rule['id']}", {"version": 2, "levers": ["nope"]})
    assert bad.status_code == 422
    reader = verified_login(Client(), records.users[Role.COMMUNITY_PARTNER])
    assert reader.get(f"{BASE}/rules/{rule['id']}").status_code == 200
    assert call(reader, "patch", f"/rules/{rule['id']}", {"version": 2}).status_code == 403


@pytest.mark.django_db
def test_metrics_through_the_api_with_a_token(records):
    token = issue_api_token(records.users[S], "dashboard")
    response = Client().get(BASE + "/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    body = response.json()
    assert body["site_ids"] == [records.site_a.pk]
    assert body["site"]["episodes"]["open"] == 4
    assert set(body["site"]) >= {"certainty", "to_decision", "predictability", "communicated"}
    # Below MIN_N_P90 values the 90th percentile is "too few", as on the pages: null, not a raw figure.
    from gvi.analysis.deterrence import MIN_N_P90

    to_decision = body["site"]["to_decision"]
    assert 0 < to_decision["n"] < MIN_N_P90 and to_decision["median"] is not None
    assert to_decision["p90"] is None
    community = issue_api_token(records.users[Role.COMMUNITY_PARTNER], "x")
    assert Client().get(BASE + "/metrics", HTTP_AUTHORIZATION=f"Bearer {community}").status_code == 403
