"""Sharing is an explicit, recorded act: a disclosure opens one record to one organisation until it ends."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.access.services import DisclosureRequest, disclose, revoke_disclosure
from gvi.groups.models import Person
from gvi.partnership.models import Organisation, Role
from tests.factories import PersonFactory, verified_login


@pytest.fixture
def police_person(world):
    return PersonFactory(
        site=world.site_a, owner=world.orgs[("a", Organisation.Type.POLICE)], alias="Person D-001"
    )


def _visible(user, person):
    return Person.objects.visible_to(user).filter(pk=person.pk).exists()


@pytest.mark.django_db
def test_disclosure_opens_one_record_to_one_organisation(world, police_person):
    analyst, caseworker = world.users[Role.ANALYST], world.users[Role.CASEWORKER]
    probation = world.users[Role.PROBATION_OFFICER]
    assert not _visible(caseworker, police_person)
    social = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    disclosure = disclose(
        analyst,
        police_person,
        DisclosureRequest(
            to_organisation_id=social.pk,
            legal_ground="osl_10_2",
            purpose="Planera hembesök",
            expires_at=timezone.now() + timedelta(days=30),
        ),
    )
    assert _visible(caseworker, police_person)
    assert not _visible(probation, police_person)  # other organisation: still closed
    assert not Person.objects.visible_to(caseworker, "change").filter(pk=police_person.pk).exists()
    assert disclosure.decided_by == analyst and disclosure.from_organisation_id == police_person.owner_id


@pytest.mark.django_db
def test_expired_and_revoked_disclosures_close_the_record_again(world, police_person):
    analyst, caseworker = world.users[Role.ANALYST], world.users[Role.CASEWORKER]
    social = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    expired = disclose(
        analyst,
        police_person,
        DisclosureRequest(
            to_organisation_id=social.pk,
            legal_ground="osl_10_2",
            purpose="Kort",
            expires_at=timezone.now() + timedelta(hours=1),
        ),
    )
    assert _visible(caseworker, police_person)
    Disclosure.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not _visible(caseworker, police_person)
    second = disclose(
        analyst,
        police_person,
        DisclosureRequest(
            to_organisation_id=social.pk,
            legal_ground="consent",
            purpose="x",
            expires_at=timezone.now() + timedelta(days=30),
            consent_given_on=timezone.localdate(),
            consent_method="written",
        ),
    )
    assert _visible(caseworker, police_person)
    with pytest.raises(PermissionDenied):
        revoke_disclosure(caseworker, second)
    revoke_disclosure(analyst, second)
    assert not _visible(caseworker, police_person)


@pytest.mark.django_db
def test_only_the_owner_may_disclose(world, police_person):
    caseworker = world.users[Role.CASEWORKER]
    probation_org = world.orgs[("a", Organisation.Type.PROBATION)]
    with pytest.raises(PermissionDenied):
        disclose(
            caseworker,
            police_person,
            DisclosureRequest(
                to_organisation_id=probation_org.pk,
                legal_ground="osl_10_2",
                purpose="x",
                expires_at=timezone.now() + timedelta(days=30),
            ),
        )
    assert not Disclosure.objects.filter(object_id=police_person.pk).exists()


@pytest.mark.django_db
def test_disclosure_form_requires_ground_and_purpose_and_records_it(world, police_person):
    client = verified_login(Client(), world.users[Role.ANALYST])
    url = reverse("groups:person_disclose", args=[police_person.pk])
    social = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    response = client.post(url, {"to_organisation": social.pk, "legal_ground": "other", "purpose": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Beskriv den rättsliga grunden." in html and "Detta fält måste fyllas i." in html
    assert not Disclosure.objects.filter(object_id=police_person.pk).exists()
    response = client.post(
        url,
        {
            "to_organisation": social.pk,
            "legal_ground": "osl_10_28",
            "legal_ground_text": "14 kap. 1 § socialtjänstlagen",
            "purpose": "Stöd",
            "expires_at": (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get(object_id=police_person.pk, content_type__model="person")
    assert (disclosure.to_organisation, disclosure.legal_ground, disclosure.purpose) == (
        social,
        "osl_10_28",
        "Stöd",
    )
    caseworker = verified_login(Client(), world.users[Role.CASEWORKER])
    assert caseworker.get(reverse("groups:person_detail", args=[police_person.pk])).status_code == 200
