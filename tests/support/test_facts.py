"""A fact disclosure exposes one fact statement to exactly the named organisation, is logged when viewed,
and disappears when it expires or is revoked."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import AccessLog
from gvi.partnership.models import Organisation, Role
from gvi.support import services
from gvi.support.models import Fact, SupportFactDisclosure
from gvi.support.selectors import facts_for_person, facts_received
from tests.factories import MembershipFactory, UserFactory, verified_login
from tests.support.factories import PlanItemFactory

POLICE, MUNICIPALITY = Organisation.Type.POLICE, Organisation.Type.MUNICIPALITY
PROBATION = Organisation.Type.PROBATION
FACT_TYPE = "support.supportfactdisclosure"


@pytest.fixture
def case(world):
    """The site-A social-services case, linked to a police-owned person (via a call-in referral), with
    no fact disclosed yet. Every other world fact is removed so the tests see only their own."""
    SupportFactDisclosure.unscoped_all_sites.all().delete()
    case = world.records[("supportcase", "a", MUNICIPALITY)]
    case.person = world.records[("person", "a", POLICE)]
    case.intake_route = "call_in"
    case.relocation = True
    case.save()
    PlanItemFactory(case=case, goal="Flytt till annan ort", intervention="Skyddat boende")
    return case


def _disclose(world, case, to_type=PROBATION, **extra):
    data = {
        "fact": Fact.RELOCATION,
        "to_organisation": world.orgs[("a", to_type)],
        "legal_ground": "osl_10_2",
        "purpose": "Anpassa villkoren i frivården",
        "expires_at": timezone.now() + timedelta(days=30),
        **extra,
    }
    return services.record_fact_disclosure(world.users[Role.CASEWORKER], case, data)


def _page(world, role):
    return verified_login(Client(), world.users[role]).get(reverse("support:facts_received"))


def _fact_logs(fact):
    return AccessLog.objects.filter(record_type=FACT_TYPE, record_id=str(fact.pk))


@pytest.mark.django_db
def test_only_the_named_organisation_sees_only_the_fact(world, case):
    fact = _disclose(world, case)
    page = _page(world, Role.PROBATION_OFFICER)
    html = page.content.decode()
    assert "Är i en flyttprocess" in html and "Anpassa villkoren" in html
    for secret in ("Hemlig anteckning", "Flytt till annan ort", "Skyddat boende", "Hemlig samtalsanteckning"):
        assert secret not in html
    # probation cannot see the police-owned person entry: no alias, no link
    assert case.person.alias not in html and "Personposten är inte synlig för dig" in html
    for role in (Role.ANALYST, Role.COORDINATOR):  # police, and the caseworker's own coordinator
        assert "flyttprocess" not in _page(world, role).content.decode()
    for role in (Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR):
        assert _page(world, role).status_code == 403
    # the case and its parts stay closed to the recipient
    client = verified_login(Client(), world.users[Role.PROBATION_OFFICER])
    assert client.get(reverse("support:case_detail", args=[case.pk])).status_code == 403
    assert client.get(f"/api/v1/support/cases/{case.pk}").status_code == 404
    assert _fact_logs(fact).count() == 1


@pytest.mark.django_db
def test_the_recipient_sees_the_alias_only_of_a_person_it_already_sees(world, case):
    _disclose(world, case, to_type=POLICE, fact=Fact.ACTIVE_SUPPORT, purpose="Undvik dubbla insatser")
    html = _page(world, Role.ANALYST).content.decode()
    assert case.person.alias in html
    assert reverse("groups:person_detail", args=[case.person_id]) in html


@pytest.mark.django_db
def test_each_view_is_logged_with_the_recipients_membership(world, case):
    fact = _disclose(world, case)
    probation = world.users[Role.PROBATION_OFFICER]
    _page(world, Role.PROBATION_OFFICER)
    _page(world, Role.PROBATION_OFFICER)
    api = verified_login(Client(), probation).get("/api/v1/support/facts").json()
    assert api["count"] == 1 and api["items"][0]["statement"] == "Är i en flyttprocess"
    assert set(api["items"][0]) == {
        "id",
        "statement",
        "person_id",
        "person_alias",
        "from_organisation",
        "legal_ground",
        "purpose",
        "decided_at",
        "expires_at",
    }
    logs = list(_fact_logs(fact).order_by("seq"))
    assert [log.action for log in logs] == ["view", "view", "api"]
    assert {(log.username, log.role, log.organisation_id_logged) for log in logs} == {
        (probation.username, Role.PROBATION_OFFICER, world.orgs[("a", PROBATION)].pk)
    }


@pytest.mark.django_db
def test_facts_for_person_and_the_partial(world, case):
    fact = _disclose(world, case, to_type=POLICE, fact=Fact.ACTIVE_SUPPORT)
    analyst = world.users[Role.ANALYST]
    shown = facts_for_person(analyst, case.person)
    assert [f.statement for f in shown] == ["Har en aktiv stödkontakt hos socialtjänsten"]
    assert _fact_logs(fact).count() == 1
    request = RequestFactory().get("/")
    request.user = analyst
    html = Template("{% load support_tags %}{% support_facts_for_person person %}").render(
        Context({"request": request, "person": case.person})
    )
    assert "Uppgifter från socialtjänsten" in html and "aktiv stödkontakt" in html
    assert "Hemlig" not in html and "Flytt" not in html
    assert _fact_logs(fact).count() == 2
    # another organisation's user: nothing, even for a person it may see
    assert facts_for_person(world.users[Role.PROBATION_OFFICER], case.person) == []


@pytest.mark.django_db
def test_the_owner_sees_its_own_cases_on_the_person_page(world, case):
    caseworker = world.users[Role.CASEWORKER]
    person = world.records[("person", "a", MUNICIPALITY)]
    case.person = person
    case.save()
    request = RequestFactory().get("/")
    request.user = caseworker
    html = Template("{% load support_tags %}{% support_facts_for_person person %}").render(
        Context({"request": request, "person": person})
    )
    assert case.pseudonym in html and reverse("support:case_detail", args=[case.pk]) in html


@pytest.mark.django_db
def test_expired_and_revoked_facts_disappear(world, case):
    fact = _disclose(world, case, expires_at=timezone.now() + timedelta(hours=1))
    probation = world.users[Role.PROBATION_OFFICER]
    assert facts_received(probation).count() == 1
    SupportFactDisclosure.unscoped_all_sites.filter(pk=fact.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert facts_received(probation).count() == 0
    assert "flyttprocess" not in _page(world, Role.PROBATION_OFFICER).content.decode()

    second = _disclose(world, case)
    assert facts_received(probation).count() == 1
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    response = client.post(reverse("support:fact_revoke", args=[second.pk]))
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.revoked_at is not None and second.revoked_by == world.users[Role.CASEWORKER]
    assert facts_received(probation).count() == 0
    assert verified_login(Client(), probation).get("/api/v1/support/facts").json()["count"] == 0


@pytest.mark.django_db
def test_a_deactivated_case_takes_its_facts_with_it(world, case):
    _disclose(world, case)
    case.deactivated_at = timezone.now()
    case.save()
    assert facts_received(world.users[Role.PROBATION_OFFICER]).count() == 0


@pytest.mark.django_db
def test_closing_revokes_the_fact_of_an_active_support_contact(world, case):
    active = _disclose(world, case, to_type=POLICE, fact=Fact.ACTIVE_SUPPORT)
    relocation = _disclose(world, case)
    case.refresh_from_db()
    services.close_case(
        world.users[Role.CASEWORKER], case, "moved", timezone.localdate(), "Flyttade", case.version
    )
    active.refresh_from_db()
    relocation.refresh_from_db()
    assert active.revoked_at is not None and relocation.revoked_at is None


@pytest.mark.django_db
def test_recipients_at_another_site_see_nothing(world, case):
    _disclose(world, case)
    other = UserFactory(username="frivard-b")
    MembershipFactory(
        user=other, organisation=world.orgs[("a", PROBATION)], site=world.site_b, role=Role.PROBATION_OFFICER
    )
    assert facts_received(other).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fact": Fact.OTHER, "statement_text": ""}, "statement_text"),
        ({"fact": Fact.OTHER, "statement_text": "x" * 201}, "statement_text"),
        ({"legal_ground": "other"}, "legal_ground_text"),
        ({"legal_ground": "consent"}, "legal_ground"),  # no consent recorded in the case
        ({"purpose": ""}, "purpose"),
        ({"fact": Fact.COMPLETED}, "fact"),  # the case is not completed
        ({"expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
        # The legal ground fits who discloses to whom, and every fact ends (gvi.access.disclosure_rules).
        ({"expires_at": None}, "expires_at"),
        ({"expires_at": timezone.now() + timedelta(days=400)}, "expires_at"),
        ({"legal_ground": "osl_10_18a"}, "to_organisation"),  # to frivården: 18 a runs to the police
        ({"legal_ground": "osl_10_27", "legal_ground_text": "Avvägning"}, "legal_ground"),  # not SoL secrecy
        ({"legal_ground": "osl_10_28"}, "legal_ground_text"),
    ],
)
def test_fact_rules(world, case, changes, field):
    case.consent_status = "not_asked"
    case.save()
    with pytest.raises(ValidationError) as error:
        _disclose(world, case, **changes)
    assert field in error.value.message_dict


@pytest.mark.django_db
def test_facts_go_only_to_partner_authorities_at_the_site(world, case):
    with pytest.raises(ValidationError, match="egna organisationen"):
        _disclose(world, case, to_type=MUNICIPALITY)
    with pytest.raises(ValidationError, match="kan inte ta emot"):
        _disclose(world, case, to_type=Organisation.Type.COMMUNITY)
    with pytest.raises(ValidationError, match="samverkan på ärendets plats"):
        _disclose(world, case, to_organisation=world.orgs[("b", POLICE)])


@pytest.mark.django_db
def test_a_pseudonymous_case_discloses_nothing(world, case):
    case.person = None
    case.save()
    with pytest.raises(ValidationError, match="personpost"):
        _disclose(world, case)


@pytest.mark.django_db
def test_recording_a_fact_through_the_page(world, case):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    url = reverse("support:fact_create", args=[case.pk])
    form = client.get(url).content.decode()
    assert (
        world.orgs[("a", POLICE)].name in form
        and world.orgs[("a", Organisation.Type.COMMUNITY)].name not in form
    )
    response = client.post(
        url,
        {
            "fact": "other",
            "statement_text": "Har fått arbete via kommunens arbetsmarknadsenhet",
            "to_organisation": world.orgs[("a", PROBATION)].pk,
            "legal_ground": "osl_10_2",
            "purpose": "Samordning av villkor",
            "expires_at": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    fact = SupportFactDisclosure.unscoped_all_sites.get(case=case)
    assert fact.statement == "Har fått arbete via kommunens arbetsmarknadsenhet"
    assert fact.decided_by == world.users[Role.CASEWORKER]
    assert timezone.localtime(fact.expires_at).date() == timezone.localdate() + timedelta(days=30)
    detail = client.get(reverse("support:case_detail", args=[case.pk])).content.decode()
    assert "arbetsmarknadsenhet" in detail and "Återkalla" in detail
