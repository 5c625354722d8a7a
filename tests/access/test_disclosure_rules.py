"""Disclosures across sites and disclosures that grant nothing (issue 22).

- A site is a compartment: a disclosure opens a record to the receiving organisation at the record's own
  site. It reaches another site only by an explicit "annan plats" choice, with a legal ground that holds
  whatever the site, and both sites' coordinators see it on *Utlämnanden*.
- The community partner's organisation (whose role never reads person data), the national layer and the
  operator are refused as recipients, with a message that says why.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.access.services import DisclosureRequest, disclose
from gvi.groups.models import Person
from gvi.partnership.models import Organisation, Role
from tests.factories import MembershipFactory, PersonFactory, SiteFactory, UserFactory, verified_login

DUTY_TEXT = "Lag om uppgiftsskyldighet, 1 §"


def _end(days: int = 30):
    return timezone.now() + timedelta(days=days)


def _form_end(days: int = 30) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


COMMUNITY_REFUSED = "Lokalsamhällets organisationer kan inte ta emot uppgifter om enskilda"
OTHER_SITE_NEEDED = "annan plats"


@pytest.fixture
def person(world):
    return PersonFactory(site=world.site_a, owner=world.orgs[("a", "police")], alias="Person U-022")


@pytest.fixture
def site_b_users(world):
    """An analyst of site B's police and a coordinator of site B's municipality, at site B."""
    analyst = UserFactory(username="analytiker_b")
    MembershipFactory(
        user=analyst, organisation=world.orgs[("b", "police")], site=world.site_b, role=Role.ANALYST
    )
    coordinator = UserFactory(username="samordnare_b")
    MembershipFactory(
        user=coordinator,
        organisation=world.orgs[("b", "municipality")],
        site=world.site_b,
        role=Role.COORDINATOR,
    )
    return {"analyst": analyst, "coordinator": coordinator}


def _visible(user, person) -> bool:
    return Person.objects.visible_to(user).filter(pk=person.pk).exists()


def _form_url(person, other_site=False) -> str:
    url = reverse("groups:person_disclose", args=[person.pk])
    return url + "?annan-plats=1" if other_site else url


# ----- a site is a compartment -----


@pytest.mark.django_db
def test_a_disclosure_opens_the_record_only_at_its_own_site(world, person, site_b_users):
    """A disclosure recorded to another site's organisation without the other-site choice opens nothing
    there: the receiving organisation has no members at the record's site."""
    Disclosure.objects.create(
        from_organisation=person.owner,
        to_organisation=world.orgs[("b", "police")],
        content_type_id=_person_type(),
        object_id=person.pk,
        legal_ground=Disclosure.LegalGround.OSL_10_28,
        purpose="Utredning",
        decided_by=world.users[Role.ANALYST],
        expires_at=_end(),
    )
    assert not _visible(site_b_users["analyst"], person)
    # An organisation working at both sites reads a same-site disclosure only through its members there.
    both = world.orgs[("a", "probation")]
    both.sites.add(world.site_b)
    at_b = UserFactory(username="frivard_b")
    MembershipFactory(user=at_b, organisation=both, site=world.site_b, role=Role.PROBATION_OFFICER)
    disclose(
        world.users[Role.ANALYST],
        person,
        DisclosureRequest(
            to_organisation_id=both.pk, legal_ground="osl_10_2", purpose="Samverkan", expires_at=_end()
        ),
    )
    assert _visible(world.users[Role.PROBATION_OFFICER], person)
    assert not _visible(at_b, person)


@pytest.mark.django_db
def test_the_form_offers_the_sites_partners_and_refuses_another_site_without_the_choice(world, person):
    client = verified_login(Client(), world.users[Role.ANALYST])
    page = client.get(_form_url(person)).content.decode()
    assert f'value="{world.orgs[("a", "municipality")].pk}"' in page
    assert f'value="{world.orgs[("b", "police")].pk}"' not in page  # another site's organisation
    assert f'value="{world.orgs[("a", "community")].pk}"' not in page  # never reads person data
    assert _form_url(person, other_site=True) in page  # the explicit way to another site
    response = client.post(
        _form_url(person),
        {
            "to_organisation": world.orgs[("b", "police")].pk,
            "legal_ground": "osl_10_28",
            "legal_ground_text": DUTY_TEXT,
            "purpose": "Utredning",
            "expires_at": _form_end(),
        },
    )
    assert response.status_code == 200 and OTHER_SITE_NEEDED in response.content.decode()
    assert not Disclosure.objects.filter(object_id=person.pk, content_type_id=_person_type()).exists()
    with pytest.raises(ValidationError):
        disclose(
            world.users[Role.ANALYST],
            person,
            DisclosureRequest(
                to_organisation_id=world.orgs[("b", "police")].pk,
                legal_ground="osl_10_28",
                legal_ground_text=DUTY_TEXT,
                purpose="x",
                expires_at=_end(),
            ),
        )


@pytest.mark.django_db
def test_another_site_by_explicit_choice_and_a_ground_that_allows_it(world, person, site_b_users):
    client = verified_login(Client(), world.users[Role.ANALYST])
    url = _form_url(person, other_site=True)
    page = client.get(url).content.decode()
    assert 'name="to_site"' in page and 'name="confirm_other_site"' in page
    assert f'value="{world.orgs[("b", "police")].pk}"' in page
    data = {
        "to_site": world.site_b.pk,
        "to_organisation": world.orgs[("b", "police")].pk,
        "legal_ground": "osl_10_18a",  # the local crime-prevention partnership: not across sites
        "purpose": "Utredning av skjutning",
        "confirm_other_site": "on",
        "legal_ground_text": DUTY_TEXT,
        "expires_at": _form_end(),
    }
    refused = client.post(url, data)
    assert (
        refused.status_code == 200
        and "räcker inte för ett utlämnande till en annan plats" in refused.content.decode()
    )
    unconfirmed = client.post(url, {**data, "legal_ground": "osl_10_28", "confirm_other_site": ""})
    assert unconfirmed.status_code == 200
    assert not Disclosure.objects.filter(object_id=person.pk, content_type_id=_person_type()).exists()
    assert client.post(url, {**data, "legal_ground": "osl_10_28"}).status_code == 302
    disclosure = Disclosure.objects.get(object_id=person.pk, content_type_id=_person_type())
    assert (disclosure.site, disclosure.to_site) == (world.site_a, world.site_b)
    assert _visible(site_b_users["analyst"], person)
    assert not _visible(world.users[Role.CASEWORKER], person)  # at site A nothing changed
    received = verified_login(Client(), site_b_users["analyst"]).get(reverse("access:disclosures"))
    assert reverse("groups:person_detail", args=[person.pk]) in received.content.decode()
    # Both sites' coordinators see it, whichever organisation they work for; nobody else.
    for coordinator in (world.users[Role.COORDINATOR], site_b_users["coordinator"]):
        html = verified_login(Client(), coordinator).get(reverse("access:disclosures")).content.decode()
        assert "Utlämnanden mellan platser" in html and "Utredning av skjutning" in html, coordinator
    third = UserFactory(username="samordnare_c")
    site_c = SiteFactory(name="Ort C", slug="c")
    org_c = world.orgs[("a", "municipality")]
    org_c.sites.add(site_c)
    MembershipFactory(user=third, organisation=org_c, site=site_c, role=Role.COORDINATOR)
    html = verified_login(Client(), third).get(reverse("access:disclosures")).content.decode()
    assert "Utredning av skjutning" not in html


@pytest.mark.django_db
def test_other_site_choice_names_a_site_the_recipient_works_at(world, person):
    with pytest.raises(ValidationError) as raised:
        disclose(
            world.users[Role.ANALYST],
            person,
            DisclosureRequest(
                to_organisation_id=world.orgs[("a", "municipality")].pk,
                legal_ground="osl_10_28",
                legal_ground_text=DUTY_TEXT,
                purpose="x",
                expires_at=_end(),
                to_site_id=world.site_b.pk,
            ),
        )
    assert "to_organisation" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        disclose(
            world.users[Role.ANALYST],
            person,
            DisclosureRequest(
                to_organisation_id=world.orgs[("a", "municipality")].pk,
                legal_ground="osl_10_28",
                legal_ground_text=DUTY_TEXT,
                purpose="x",
                expires_at=_end(),
                to_site_id=world.site_a.pk,
            ),
        )
    assert "to_site" in raised.value.message_dict


# ----- disclosures that grant nothing -----


@pytest.mark.django_db
def test_the_community_partners_organisation_is_refused_with_a_reason(world, person):
    community = world.orgs[("a", Organisation.Type.COMMUNITY)]
    client = verified_login(Client(), world.users[Role.ANALYST])
    response = client.post(
        _form_url(person),
        {
            "to_organisation": community.pk,
            "legal_ground": "consent",
            "purpose": "Stöd",
            "expires_at": _form_end(),
            "consent_given_on": timezone.localdate().isoformat(),
            "consent_method": "written",
        },
    )
    assert response.status_code == 200
    assert COMMUNITY_REFUSED in response.content.decode()
    assert not Disclosure.objects.filter(object_id=person.pk, content_type_id=_person_type()).exists()
    for refused in (community, world.orgs[(None, "national")], world.orgs[(None, "operator")]):
        with pytest.raises(ValidationError) as raised:
            disclose(
                world.users[Role.ANALYST],
                person,
                DisclosureRequest(
                    to_organisation_id=refused.pk, legal_ground="consent", purpose="Stöd", expires_at=_end()
                ),
            )
        assert "to_organisation" in raised.value.message_dict


def _person_type():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Person).pk
