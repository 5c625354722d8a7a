"""The group audit pages: add, correct, remove and review entries, audit rounds, the audit as of a date."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import AccessLog
from gvi.groups.models import AuditRound, Group, GroupMembership, GroupRelation, Person
from gvi.partnership.models import Role
from tests.factories import verified_login


@pytest.fixture
def analyst(world):
    return verified_login(Client(), world.users[Role.ANALYST])


def _group_data(**changes):
    data = {
        "name": "Testgruppen",
        "aliases": "",
        "area": "Centrum",
        "status": "active",
        "violence_tier": 2,
        "next_review": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_analyst_adds_corrects_and_removes_a_group(analyst, world):
    response = analyst.post(reverse("groups:group_create"), _group_data())
    group = Group.unscoped_all_sites.get(name="Testgruppen")
    assert response.status_code == 302 and response.url == f"/grupper/{group.pk}/"
    assert (group.site, group.owner) == (world.site_a, world.orgs[("a", "police")])
    response = analyst.post(
        reverse("groups:group_edit", args=[group.pk]), _group_data(status="dormant", version=1)
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.status, group.version) == ("dormant", 2)
    page = analyst.get(reverse("groups:group_detail", args=[group.pk])).content.decode()
    assert "Statushistorik" in page and page.count("Vilande") >= 2
    confirm = analyst.get(reverse("groups:record_remove", args=["grupp", group.pk]))
    assert confirm.status_code == 200 and "Ja, ta bort" in confirm.content.decode()
    assert Group.unscoped_all_sites.filter(pk=group.pk).exists()
    response = analyst.post(reverse("groups:record_remove", args=["grupp", group.pk]), {"version": 2})
    assert response.status_code == 302
    assert not Group.unscoped_all_sites.filter(pk=group.pk).exists()
    removal = Group.history.filter(id=group.pk).first()
    assert removal.history_type == "-" and removal.history_user == world.users[Role.ANALYST]


@pytest.mark.django_db
def test_group_validation_messages_are_swedish_and_nothing_is_saved(analyst):
    response = analyst.post(reverse("groups:group_create"), _group_data(name="", size_min=10, size_max=2))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Detta fält måste fyllas i." in html and "Övre gränsen kan inte vara mindre" in html
    assert not Group.unscoped_all_sites.filter(area="Centrum", name="").exists()


@pytest.mark.django_db
def test_membership_needs_basis_and_evidence(analyst, world):
    person = world.record("person", Role.ANALYST, "own")
    group = world.record("group", Role.ANALYST, "own")
    url = reverse("groups:membership_create")
    base = {
        "person": person.pk,
        "group": group.pk,
        "role": "core",
        "valid_from": timezone.localdate().isoformat(),
        "confidence": "high",
    }
    response = analyst.post(url, {**base, "evidence_note": ""})
    html = response.content.decode()
    assert "Ange minst en grund för registreringen." in html and "Detta fält måste fyllas i." in html
    before = GroupMembership.unscoped_all_sites.count()
    response = analyst.post(
        url, {**base, "criteria": ["self_admission", "social_media"], "evidence_note": "Samtal"}
    )
    assert response.status_code == 302
    membership = GroupMembership.unscoped_all_sites.latest("pk")
    assert GroupMembership.unscoped_all_sites.count() == before + 1
    assert membership.criteria == ["self_admission", "social_media"]
    assert membership.review_date == timezone.localdate() + timedelta(days=365)


@pytest.mark.django_db
def test_membership_of_a_minor_gets_the_shorter_review(analyst, world, settings):
    settings.GVI_REVIEW_DAYS_MINOR = 120
    person = world.record("person", Role.ANALYST, "own")
    Person.unscoped_all_sites.filter(pk=person.pk).update(is_minor=True)
    analyst.post(
        reverse("groups:membership_create"),
        {
            "person": person.pk,
            "group": world.record("group", Role.ANALYST, "own").pk,
            "role": "associate",
            "valid_from": timezone.localdate().isoformat(),
            "criteria": ["observed_with_group"],
            "evidence_note": "Iakttagen",
            "confidence": "low",
        },
    )
    assert GroupMembership.unscoped_all_sites.latest("pk").review_date == timezone.localdate() + timedelta(
        days=120
    )


@pytest.mark.django_db
def test_caseworker_cannot_add_members_of_another_organisations_person(world):
    caseworker = verified_login(Client(), world.users[Role.CASEWORKER])
    police_person = world.record("person", Role.ANALYST, "own")
    response = caseworker.post(
        reverse("groups:membership_create"),
        {
            "person": police_person.pk,
            "group": world.record("group", Role.ANALYST, "own").pk,
            "role": "core",
            "valid_from": timezone.localdate().isoformat(),
            "criteria": ["self_admission"],
            "evidence_note": "x",
            "confidence": "high",
        },
    )
    assert response.status_code in (200, 403)
    assert not GroupMembership.unscoped_all_sites.filter(
        person=police_person, owner=world.org_of(Role.CASEWORKER)
    ).exists()


@pytest.mark.django_db
def test_relation_needs_two_different_groups_and_a_basis(analyst, world):
    group = world.record("group", Role.ANALYST, "own")
    other = world.record("group", Role.ANALYST, "other_org")
    url = reverse("groups:relation_create")
    data = {
        "group_a": group.pk,
        "group_b": group.pk,
        "type": "conflict",
        "intensity": 3,
        "confidence": "medium",
    }
    response = analyst.post(url, {**data, "basis": "Skottlossning"})
    assert "En grupp kan inte ha en relation till sig själv." in response.content.decode()
    response = analyst.post(url, {**data, "group_b": other.pk, "basis": "Skottlossning"})
    assert response.status_code == 302
    relation = GroupRelation.unscoped_all_sites.get(group_a=group, group_b=other)
    assert relation.owner == world.orgs[("a", "police")]


@pytest.mark.django_db
def test_review_confirmation_moves_the_review_date(analyst, world):
    person = world.record("person", Role.ANALYST, "own")
    Person.unscoped_all_sites.filter(pk=person.pk).update(
        review_date=timezone.localdate() - timedelta(days=3)
    )
    audit_page = analyst.get(reverse("groups:audit")).content.decode()
    assert person.alias in audit_page
    response = analyst.post(reverse("groups:record_reviewed", args=["person", person.pk]), {"version": 1})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.review_date > timezone.localdate() and person.version == 2
    assert person.alias not in analyst.get(reverse("groups:audit")).content.decode()


@pytest.mark.django_db
def test_person_create_with_personal_number_and_reveal_page(analyst, world):
    response = analyst.post(
        reverse("groups:person_create"),
        {"alias": "Person N-100", "is_at_risk": "on", "personal_number": "811218-9876", "age_band": "36+"},
    )
    person = Person.unscoped_all_sites.get(alias="Person N-100")
    assert response.status_code == 302
    detail = analyst.get(reverse("groups:person_detail", args=[person.pk])).content.decode()
    assert "811218" not in detail and "registrerat (dolt)" in detail
    response = analyst.post(reverse("groups:person_reveal", args=[person.pk]), {"purpose": "Hembesök"})
    assert "19811218-9876" in response.content.decode()
    assert AccessLog.objects.filter(action="reveal", record_id=str(person.pk), purpose="Hembesök").exists()
    bad = analyst.post(
        reverse("groups:person_create"), {"alias": "X", "is_at_risk": "on", "personal_number": "1"}
    )
    assert "10 eller 12 siffror" in bad.content.decode()


@pytest.mark.django_db
def test_audit_round_records_changes_since_last_round(analyst, world):
    participants = [world.orgs[("a", "police")].pk, world.orgs[("a", "municipality")].pk]
    response = analyst.post(
        reverse("groups:audit_round_create"),
        {
            "held_on": timezone.localdate().isoformat(),
            "participants": participants,
            "note": "Vårens genomgång",
        },
    )
    assert response.status_code == 302
    audit_round = AuditRound.unscoped_all_sites.get()
    assert audit_round.site == world.site_a and set(
        audit_round.participants.values_list("pk", flat=True)
    ) == set(participants)
    assert (
        audit_round.changes["group"]["added"]
        == Group.unscoped_all_sites.filter(site=world.site_a).count()
        > 0
    )
    assert "Vårens genomgång" in analyst.get(reverse("groups:audit")).content.decode()


@pytest.mark.django_db
def test_audit_as_of_a_date_shows_the_state_then(analyst, world):
    group = world.record("group", Role.ANALYST, "own")
    Group.history.filter(id=group.pk).update(history_date="2020-01-01T00:00:00Z")
    analyst.post(
        reverse("groups:group_edit", args=[group.pk]),
        _group_data(name="Nytt namn", version=group.version),
    )
    then = analyst.get(reverse("groups:audit_as_of") + "?datum=2021-01-01").content.decode()
    now = analyst.get(reverse("groups:audit_as_of")).content.decode()
    assert group.name in then and "Nytt namn" not in then
    assert "Nytt namn" in now
    other_site = world.record("group", Role.ANALYST, "other_site")
    assert other_site.name not in now
    bad = analyst.get(reverse("groups:audit_as_of") + "?datum=igår")
    assert bad.status_code == 200 and "ÅÅÅÅ-MM-DD" in bad.content.decode()


@pytest.mark.django_db
def test_start_page_flags_overdue_entries(analyst, world):
    person = world.record("person", Role.ANALYST, "own")
    Person.unscoped_all_sites.filter(pk=person.pk).update(
        review_date=timezone.localdate() - timedelta(days=1)
    )
    html = analyst.get(reverse("partnership:home")).content.decode()
    assert "1 personposter" in html and "försenade" in html
