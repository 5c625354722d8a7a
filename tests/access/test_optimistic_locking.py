"""Two edits from the same version: the second gets a conflict, never a silent overwrite."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from gvi.access.services import EditConflict, save_versioned
from gvi.groups.models import Person
from gvi.groups.services import update_person
from gvi.partnership.models import Role
from tests.factories import verified_login


@pytest.mark.django_db
def test_service_rejects_the_second_of_two_edits_from_one_version(world):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    first = Person.unscoped_all_sites.get(pk=person.pk)
    second = Person.unscoped_all_sites.get(pk=person.pk)
    update_person(analyst, first, {"alias": "Första"}, expected_version=1)
    with pytest.raises(EditConflict):
        update_person(analyst, second, {"alias": "Andra"}, expected_version=1)
    stored = Person.unscoped_all_sites.get(pk=person.pk)
    assert (stored.alias, stored.version) == ("Första", 2)


@pytest.mark.django_db
def test_every_saved_change_is_versioned_with_its_author(world):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    update_person(analyst, person, {"notes": "ny uppgift"}, expected_version=person.version)
    latest = person.history.first()
    assert latest.notes == "ny uppgift" and latest.history_user == analyst and latest.history_type == "~"
    previous = latest.prev_record
    assert previous.notes == "" and [c.field for c in latest.diff_against(previous).changes] == ["notes"]
    assert (previous.version, latest.version) == (1, 2)


@pytest.mark.django_db
def test_a_failed_validation_does_not_bump_the_version(world):
    person = world.record("person", Role.ANALYST, "own")
    person.is_suspected_perpetrator = False  # no status at all is invalid
    with pytest.raises(Exception, match="minst en status"):
        save_versioned(person, expected_version=1)
    assert Person.unscoped_all_sites.get(pk=person.pk).version == 1


def _form_data(person, **changes):
    data = {
        "alias": person.alias,
        "age_band": person.age_band,
        "is_suspected_perpetrator": "on",
        "review_date": person.review_date.isoformat(),
        "notes": "",
        "version": person.version,
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_edit_form_with_a_stale_version_gets_a_conflict_page(world):
    person = world.record("person", Role.ANALYST, "own")
    url = reverse("groups:person_edit", args=[person.pk])
    alice = verified_login(Client(), world.users[Role.ANALYST])
    bob = verified_login(Client(), world.users[Role.ANALYST])
    assert alice.post(url, _form_data(person, alias="Alice ändrade")).status_code == 302
    response = bob.post(url, _form_data(person, alias="Bob ändrade"))
    assert response.status_code == 409
    assert "Konflikt" in response.content.decode()
    assert Person.unscoped_all_sites.get(pk=person.pk).alias == "Alice ändrade"


@pytest.mark.django_db
def test_api_patch_with_a_stale_version_gets_409(world):
    person = world.record("person", Role.ANALYST, "own")
    client = verified_login(Client(), world.users[Role.ANALYST])
    url = f"/api/v1/persons/{person.pk}"
    ok = client.patch(url, json.dumps({"version": 1, "alias": "Ett"}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.patch(url, json.dumps({"version": 1, "alias": "Två"}), content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert Person.unscoped_all_sites.get(pk=person.pk).alias == "Ett"
