"""Disclosures across sites, disclosures that grant nothing (issue 22), and legal grounds that fit (issue 20).

- A site is a compartment: a disclosure opens a record to the receiving organisation at the record's own
  site. It reaches another site only by an explicit "annan plats" choice, with a legal ground that holds
  whatever the site, and both sites' coordinators see it on *Utlämnanden*.
- The community partner's organisation (whose role never reads person data), the national layer and the
  operator are refused as recipients, with a message that says why.
- The legal ground must fit who discloses to whom and about whom (gvi.access.disclosure_rules): one test
  per rule, then the form and the service refusing a ground that does not fit, storing nothing.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from gvi.access import disclosure_rules as rules
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


# ----- the legal ground fits who discloses to whom (issue 20.4: gvi.access.disclosure_rules) -----

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _facts(**changes) -> rules.Facts:
    values = {"decided_at": NOW, "expires_at": NOW + timedelta(days=30), "ground_text": "", "under_21": None}
    values.update(changes)
    return rules.Facts(**values)


def test_the_table_has_one_row_per_legal_ground_and_only_known_organisation_types():
    assert [rule.ground for rule in rules.RULES] == list(Disclosure.LegalGround.values)
    for rule in rules.RULES:
        assert rule.source and rule.summary and rule.max_days > 0, rule.ground
        assert rule.senders | rule.recipients <= set(Organisation.Type.values), rule.ground
        # Organisations that never read person data receive under no ground.
        assert not rule.recipients & {"community", "national", "operator"}, rule.ground


def test_osl_10_2_holds_between_authorities():
    assert rules.errors_for("osl_10_2", "police", "municipality", _facts()) == {}
    assert rules.errors_for("osl_10_2", "probation", "police", _facts()) == {}
    assert "to_organisation" in rules.errors_for("osl_10_2", "police", "community", _facts())


def test_osl_10_18a_runs_from_social_services_to_the_police_about_a_person_under_21():
    assert rules.errors_for("osl_10_18a", "municipality", "police", _facts(under_21=True)) == {}
    wrong_way = rules.errors_for("osl_10_18a", "police", "municipality", _facts(under_21=True))
    assert "gäller inte utlämnanden från Polisen" in wrong_way["legal_ground"]
    to_probation = rules.errors_for("osl_10_18a", "municipality", "probation", _facts(under_21=True))
    assert "gäller inte utlämnanden till Kriminalvården (frivården)" in to_probation["to_organisation"]
    adult = rules.errors_for("osl_10_18a", "municipality", "police", _facts(under_21=False))
    assert "har fyllt 21" in adult["legal_ground"]
    unknown = rules.errors_for("osl_10_18a", "municipality", "police", _facts(under_21=None))
    assert "ålder framgår inte" in unknown["legal_ground"]


def test_under_21_is_judged_from_birth_year_age_band_and_the_minor_flag():
    on = date(2026, 6, 1)
    assert rules.is_under_21(2006, "", False, on) is True  # turns 20 this year
    assert rules.is_under_21(2004, "", False, on) is False  # turns 22
    assert rules.is_under_21(2005, "", False, on) is None  # turns 21 this year: cannot tell
    assert rules.is_under_21(2005, "18-20", False, on) is True  # the age band settles it
    assert rules.is_under_21(None, "21-25", False, on) is False
    assert rules.is_under_21(None, "", True, on) is True  # under 18
    assert rules.is_under_21(None, "", False, on) is None


def test_osl_10_27_needs_a_described_balance_and_does_not_lift_social_services_secrecy():
    described = _facts(ground_text="Akut fara för liv")
    assert rules.errors_for("osl_10_27", "police", "municipality", described) == {}
    assert "legal_ground_text" in rules.errors_for("osl_10_27", "police", "municipality", _facts())
    social = rules.errors_for("osl_10_27", "municipality", "police", described)
    assert "gäller inte socialtjänstens sekretess" in social["legal_ground"]


def test_osl_10_28_names_the_provision_that_lays_down_the_duty():
    assert rules.errors_for("osl_10_28", "municipality", "probation", _facts(ground_text="SoL 14:1")) == {}
    missing = rules.errors_for("osl_10_28", "municipality", "probation", _facts())
    assert missing["legal_ground_text"] == "Ange den lag eller förordning som ålägger uppgiftsskyldigheten."


def test_the_duty_to_disclose_act_runs_to_law_enforcement_only():
    assert rules.errors_for("duty_2025", "municipality", "police", _facts()) == {}
    assert rules.errors_for("duty_2025", "probation", "police", _facts()) == {}
    assert "to_organisation" in rules.errors_for("duty_2025", "municipality", "probation", _facts())
    assert "legal_ground" in rules.errors_for("duty_2025", "police", "police", _facts())


def test_consent_needs_a_recorded_consent():
    assert rules.errors_for("consent", "police", "municipality", _facts(consent_recorded=True)) == {}
    missing = rules.errors_for("consent", "police", "municipality", _facts())
    assert "Registrera samtycket" in missing["consent_given_on"]


def test_another_ground_is_described():
    assert rules.errors_for("other", "police", "municipality", _facts(ground_text="Särskild lag")) == {}
    assert rules.errors_for("other", "police", "municipality", _facts())["legal_ground_text"] == (
        "Beskriv den rättsliga grunden."
    )


def test_every_disclosure_ends_within_its_grounds_maximum():
    open_ended = rules.errors_for("osl_10_2", "police", "municipality", _facts(expires_at=None))
    assert "Inga utlämnanden gäller tills vidare" in open_ended["expires_at"]
    last = NOW + timedelta(days=365)
    assert rules.errors_for("osl_10_2", "police", "municipality", _facts(expires_at=last)) == {}
    end_of_last_day = last.replace(hour=21, minute=59)  # 23:59 in Stockholm (summer time): the last day
    assert rules.errors_for("osl_10_2", "police", "municipality", _facts(expires_at=end_of_last_day)) == {}
    too_long = rules.errors_for(
        "osl_10_2", "police", "municipality", _facts(expires_at=last + timedelta(days=1))
    )
    assert "högst 365 dagar" in too_long["expires_at"]
    before = rules.errors_for("osl_10_2", "police", "municipality", _facts(expires_at=NOW))
    assert before["expires_at"] == "Slutdatumet måste ligga efter beslutet."


@override_settings(GVI_DISCLOSURE_MAX_DAYS={"osl_10_2": 10})
def test_the_maximum_is_configurable_per_ground():
    assert rules.max_days("osl_10_2") == 10 and rules.max_days("consent") == 365
    errors = rules.errors_for(
        "osl_10_2", "police", "municipality", _facts(expires_at=NOW + timedelta(days=11))
    )
    assert "högst 10 dagar" in errors["expires_at"]


def test_an_unknown_ground_is_refused():
    assert "legal_ground" in rules.errors_for("okand", "police", "municipality", _facts())


# ----- the rules at the form and the service: refused with the Swedish message, nothing stored -----


@pytest.mark.django_db
def test_the_form_refuses_a_ground_that_does_not_fit_and_stores_nothing(world, person):
    """The police may not use 10:18 a (it runs from social services to the police)."""
    client = verified_login(Client(), world.users[Role.ANALYST])
    with override_settings(GVI_DISCLOSURE_MAX_DAYS={"osl_10_27": 14}):
        form = client.get(_form_url(person)).content.decode()
    assert "Längsta tid per grund" in form and "OSL 10 kap. 27 § (generalklausulen) 14 dagar" in form
    data = {
        "to_organisation": world.orgs[("a", "municipality")].pk,
        "legal_ground": "osl_10_18a",
        "purpose": "Samverkan",
        "expires_at": _form_end(),
    }
    response = client.post(_form_url(person), data)
    assert response.status_code == 200
    assert "OSL (2009:400) 10 kap. 18 a § gäller inte utlämnanden från Polisen" in response.content.decode()
    assert not Disclosure.objects.filter(object_id=person.pk, content_type_id=_person_type()).exists()
    too_long = client.post(
        _form_url(person), {**data, "legal_ground": "osl_10_2", "expires_at": _form_end(400)}
    )
    assert "högst 365 dagar" in too_long.content.decode()
    no_end = client.post(_form_url(person), {**data, "legal_ground": "osl_10_2", "expires_at": ""})
    assert "Inga utlämnanden gäller tills vidare" in no_end.content.decode()
    assert not Disclosure.objects.filter(object_id=person.pk, content_type_id=_person_type()).exists()
    assert client.post(_form_url(person), {**data, "legal_ground": "osl_10_2"}).status_code == 302


@pytest.mark.django_db
def test_social_services_disclose_to_the_police_under_18a_only_for_a_person_under_21(world):
    caseworker = world.users[Role.CASEWORKER]  # of the municipality
    police = world.orgs[("a", "police")]
    kw = {"site": world.site_a, "owner": world.orgs[("a", "municipality")]}
    year = timezone.localdate().year
    young = PersonFactory(alias="Ung", birth_year=year - 19, **kw)
    adult = PersonFactory(alias="Vuxen", birth_year=year - 30, **kw)
    unknown = PersonFactory(alias="Okänd ålder", birth_year=None, age_band="", is_minor=False, **kw)

    def request():
        return DisclosureRequest(
            to_organisation_id=police.pk,
            legal_ground="osl_10_18a",
            purpose="Förebygga brott",
            expires_at=_end(),
        )

    assert disclose(caseworker, young, request()).legal_ground == "osl_10_18a"
    for refused, words in ((adult, "har fyllt 21"), (unknown, "ålder framgår inte")):
        with pytest.raises(ValidationError) as raised:
            disclose(caseworker, refused, request())
        assert words in raised.value.message_dict["legal_ground"][0]
        assert not Disclosure.objects.filter(object_id=refused.pk, content_type_id=_person_type()).exists()


@pytest.mark.django_db
def test_consent_is_recorded_with_date_method_and_recorder(world, person):
    client = verified_login(Client(), world.users[Role.ANALYST])
    data = {
        "to_organisation": world.orgs[("a", "municipality")].pk,
        "legal_ground": "consent",
        "purpose": "Stöd",
        "expires_at": _form_end(),
    }
    refused = client.post(_form_url(person), data)
    assert refused.status_code == 200 and "Registrera samtycket" in refused.content.decode()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future = client.post(_form_url(person), {**data, "consent_given_on": tomorrow, "consent_method": "oral"})
    assert "Samtycket kan inte vara lämnat efter beslutet." in future.content.decode()
    assert not Disclosure.objects.filter(object_id=person.pk, content_type_id=_person_type()).exists()
    given = timezone.localdate().isoformat()
    ok = client.post(_form_url(person), {**data, "consent_given_on": given, "consent_method": "oral"})
    assert ok.status_code == 302
    disclosure = Disclosure.objects.get(object_id=person.pk, content_type_id=_person_type())
    assert (
        disclosure.consent_given_on.isoformat(),
        disclosure.consent_method,
        disclosure.consent_recorded_by,
    ) == (
        given,
        "oral",
        world.users[Role.ANALYST],
    )


def test_the_readme_holds_the_rule_table_as_the_module_has_it():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Utlämnanden och rättslig grund", 1)[1].split("\n## ", 1)[0]
    assert rules.readme_table() in section


@pytest.mark.django_db
def test_the_data_migration_ends_an_open_ended_fact_at_its_decision_plus_the_maximum(world):
    """support 0003 (like access 0009 for record disclosures, whose column is now required)."""
    import importlib

    from django.apps import apps

    from gvi.support.models import SupportFactDisclosure

    migration = importlib.import_module("gvi.support.migrations.0003_end_open_fact_disclosures")
    fact = world.records[("supportfact", "a", "municipality")]
    decided = timezone.now() - timedelta(days=400)
    SupportFactDisclosure.unscoped_all_sites.filter(pk=fact.pk).update(expires_at=None, decided_at=decided)
    migration.end_open_facts(apps, None)
    fact.refresh_from_db()
    assert fact.expires_at == decided + timedelta(days=rules.max_days(fact.legal_ground))
    assert (
        not SupportFactDisclosure.unscoped_all_sites.active().filter(pk=fact.pk).exists()
    )  # decided too long ago
