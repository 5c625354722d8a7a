"""Who sees what: the community partner sees call-in logistics and no person data, anywhere; other sites
are 404; reads of person contacts are logged on pages and in the API."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from gvi.access.models import AccessLog
from gvi.communication.models import CallInInvitation, Notification
from gvi.groups.models import Person
from gvi.partnership.models import Role
from tests.factories import verified_login

API = "/api/v1/communication"


def _client(world, role):
    return verified_login(Client(), world.users[role])


def _aliases():
    return list(Person.unscoped_all_sites.values_list("alias", flat=True))


@pytest.mark.django_db
def test_community_partner_sees_logistics_but_no_invitee_anywhere(comm_world):
    world = comm_world
    partner = _client(world, Role.COMMUNITY_PARTNER)
    call_in = world.record("callin", Role.ANALYST, "own")
    pages = [
        partner.get(reverse("communication:callin_list")),
        partner.get(reverse("communication:callin_detail", args=[call_in.pk])),
        partner.get(reverse("communication:communicationback_list")),
        partner.get(reverse("communication:reach")),
        partner.get(f"{API}/callins"),
        partner.get(f"{API}/callins/{call_in.pk}"),
        partner.get(f"{API}/invitations"),
        partner.get(f"{API}/invitations?call_in={call_in.pk}"),
        partner.get(f"{API}/notifications"),
        partner.get(f"{API}/communications-back"),
        partner.get(f"{API}/reach"),
    ]
    assert [page.status_code for page in pages] == [200] * len(pages)
    detail = pages[1].content.decode()
    assert "Mamma Exempel" in detail and "Vi vill inte att du ska dö." in detail and "Boka lokal" in detail
    assert "Inbjudna personer" not in detail and "inbjudna:" not in detail
    for page in pages:
        text = page.content.decode()
        assert not any(alias in text for alias in _aliases()), page.request["PATH_INFO"]
        assert "person_id" not in text
    assert pages[6].json() == {"items": [], "count": 0}
    assert pages[8].json() == {"items": [], "count": 0}
    for name in ("invitation_edit", "notification_detail"):
        kind = "invitation" if name.startswith("invitation") else "notification"
        record = world.record(kind, Role.ANALYST, "own")
        assert partner.get(reverse(f"communication:{name}", args=[record.pk])).status_code == 403
        assert partner.get(f"{API}/{kind}s/{record.pk}").status_code == 404
    assert not AccessLog.objects.filter(username=Role.COMMUNITY_PARTNER).exists()


@pytest.mark.django_db
def test_owner_sees_its_invitees_on_the_call_in_page_and_each_read_is_logged(comm_world):
    world = comm_world
    analyst = _client(world, Role.ANALYST)
    call_in = world.record("callin", Role.ANALYST, "own")
    invitation = world.records[("invitation", "a", "police")]
    page = analyst.get(reverse("communication:callin_detail", args=[call_in.pk])).content.decode()
    assert invitation.person.alias in page
    log = AccessLog.objects.filter(record_type="communication.callininvitation", record_id=str(invitation.pk))
    assert log.filter(username="analyst", action="view").count() == 1
    # Another organisation's staff at the site sees the call-in but not the police invitation.
    coordinator = _client(world, Role.COORDINATOR)
    page = coordinator.get(reverse("communication:callin_detail", args=[call_in.pk])).content.decode()
    assert invitation.person.alias not in page and "1 inbjudna" in page


@pytest.mark.django_db
def test_api_reads_of_person_contacts_are_logged_per_record(comm_world):
    world = comm_world
    analyst = _client(world, Role.ANALYST)
    notification = world.record("notification", Role.ANALYST, "own")
    assert analyst.get(f"{API}/notifications/{notification.pk}").status_code == 200
    rows = AccessLog.objects.filter(record_type="communication.notification", record_id=str(notification.pk))
    assert rows.filter(action="api").count() == 1
    listing = analyst.get(f"{API}/notifications").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == notification.pk
    assert rows.filter(action="api").count() == 2
    invitations = analyst.get(f"{API}/invitations").json()
    assert invitations["count"] == 1
    assert AccessLog.objects.filter(record_type="communication.callininvitation", action="api").count() == 1
    # Call-ins are logistics: no log.
    analyst.get(f"{API}/callins/{world.record('callin', Role.ANALYST, 'own').pk}")
    assert not AccessLog.objects.filter(record_type="communication.callin").exists()


@pytest.mark.django_db
def test_other_site_records_are_not_found(comm_world):
    world = comm_world
    for role in (Role.ANALYST, Role.COORDINATOR, Role.COMMUNITY_PARTNER):
        client = _client(world, role)
        call_in = world.record("callin", role, "other_site")
        assert client.get(reverse("communication:callin_detail", args=[call_in.pk])).status_code == 404
        assert client.get(f"{API}/callins/{call_in.pk}").status_code == 404
    analyst = _client(world, Role.ANALYST)
    notification = world.record("notification", Role.ANALYST, "other_site")
    assert (
        analyst.get(reverse("communication:notification_detail", args=[notification.pk])).status_code == 404
    )
    assert analyst.get(f"{API}/notifications/{notification.pk}").status_code == 404
    assert analyst.get(f"{API}/notifications/abc").status_code == 404
    assert analyst.get(reverse("communication:callin_detail", args=["0"])).status_code == 404


@pytest.mark.django_db
def test_steering_group_gets_only_the_suppressed_site_aggregate(comm_world):
    steering = _client(comm_world, Role.STEERING_MEMBER)
    page = steering.get(reverse("communication:reach")).content.decode()
    assert "Hela platsen" in page and "Per grupp" not in page
    assert steering.get(reverse("communication:callin_list")).status_code == 403
    rows = steering.get(f"{API}/reach").json()
    assert [row["site"] for row in rows] == ["Ort A"]
    national = _client(comm_world, Role.NATIONAL_ANALYST)
    assert national.get(f"{API}/reach").json() == []


@pytest.mark.django_db
def test_api_create_and_patch_with_optimistic_locking(comm_world):
    world = comm_world
    analyst = _client(world, Role.ANALYST)
    group = world.record("group", Role.ANALYST, "own")
    created = analyst.post(
        f"{API}/callins",
        json.dumps(
            {
                "title": "API-stormöte",
                "starts_at": "2030-03-12T17:00:00+01:00",
                "place": "Aulan",
                "target_group_ids": [group.pk],
                "speakers": [{"category": "healthcare", "name": "Kirurg"}],
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["target_group_ids"] == [group.pk] and body["speakers"][0]["category"] == "healthcare"
    assert len(body["checklist"]) == 7 and len(body["message_points"]) == 4  # the defaults
    url = f"{API}/callins/{body['id']}"
    ok = analyst.patch(
        url, json.dumps({"version": 1, "place": "Stora salen"}), content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = analyst.patch(
        url, json.dumps({"version": 1, "place": "Lilla salen"}), content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    other_site_group = world.record("group", Role.ANALYST, "other_site")
    bad = analyst.post(
        f"{API}/callins",
        json.dumps(
            {
                "title": "X",
                "starts_at": "2030-03-12T17:00:00+01:00",
                "place": "Y",
                "target_group_ids": [other_site_group.pk],
            }
        ),
        content_type="application/json",
    )
    assert bad.status_code == 404
    person = world.record("person", Role.ANALYST, "own")
    notification = analyst.post(
        f"{API}/notifications",
        json.dumps(
            {"person_id": person.pk, "date": "2030-02-01", "delivered_by": "polis", "outcome": "delivered"}
        ),
        content_type="application/json",
    )
    assert notification.status_code == 201 and notification.json()["is_repeat"] is True
    assert notification.json()["repeat_of_id"] == world.record("notification", Role.ANALYST, "own").pk
    invalid = analyst.patch(
        f"{API}/notifications/{notification.json()['id']}",
        json.dumps({"version": 1, "outcome": "refused", "asked_for_help": True}),
        content_type="application/json",
    )
    assert invalid.status_code == 422
    assert Notification.unscoped_all_sites.get(pk=notification.json()["id"]).outcome == "delivered"
    assert CallInInvitation.unscoped_all_sites.count() == 8
