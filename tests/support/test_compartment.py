"""Social-services secrecy: police, probation, community partners (and everyone outside the owning
organisation) see nothing of a support case without a disclosed fact: no page, no API row, no search hit,
no export, no count that would reveal one person."""

import csv
import io
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from gvi.access.models import AccessLog
from gvi.access.services import DisclosureRequest, disclose
from gvi.partnership.models import Organisation, Role
from gvi.support.models import (
    Contact,
    NeedAssessment,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
)
from tests.factories import MembershipFactory, UserFactory, verified_login
from tests.support.factories import SupportCaseFactory

OUTSIDERS = [
    Role.ANALYST,
    Role.PROBATION_OFFICER,
    Role.COMMUNITY_PARTNER,
    Role.STEERING_MEMBER,
    Role.NATIONAL_ANALYST,
    Role.ADMINISTRATOR,
]
MUNICIPALITY = Organisation.Type.MUNICIPALITY


@pytest.fixture
def social_case(world):
    """The site-A social-services case: not disclosed to anyone (its world fact goes to the police)."""
    case = world.records[("supportcase", "a", MUNICIPALITY)]
    SupportFactDisclosure.unscoped_all_sites.all().delete()
    return case


def _client(world, role):
    return verified_login(Client(), world.users[role])


def _case_urls(world, case):
    plan_item = PlanItem.unscoped_all_sites.filter(case=case).first()
    return [
        reverse("support:case_detail", args=[case.pk]),
        reverse("support:case_edit", args=[case.pk]),
        reverse("support:case_close", args=[case.pk]),
        reverse("support:needs_edit", args=[case.pk]),
        reverse("support:plan_item_create", args=[case.pk]),
        reverse("support:contact_create", args=[case.pk]),
        reverse("support:fact_create", args=[case.pk]),
        reverse("support:plan_item_edit", args=[plan_item.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_get_no_case_page(world, social_case, role):
    client = _client(world, role)
    for url in _case_urls(world, social_case):
        assert client.get(url).status_code in (403, 404), url
    for url in [reverse("support:case_list"), reverse("support:case_export"), reverse("support:case_create")]:
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("support:case_list"), {"q": social_case.pseudonym}).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_get_nothing_from_the_api(world, social_case, role):
    client = _client(world, role)
    base = "/api/v1/support"
    assert client.get(f"{base}/cases/{social_case.pk}").status_code == 404
    for query in ["", "?status=active", "?route=self_referral", "?overdue=true"]:
        listing = client.get(f"{base}/cases{query}").json()
        assert listing == {"items": [], "count": 0}
    patched = client.patch(
        f"{base}/cases/{social_case.pk}", json.dumps({"version": 1}), content_type="application/json"
    )
    assert patched.status_code == 404
    contact = client.post(
        f"{base}/cases/{social_case.pk}/contacts",
        json.dumps({"date": social_case.requested_at.isoformat(), "type": "call"}),
        content_type="application/json",
    )
    assert contact.status_code == 404
    assert client.get(f"{base}/facts").json() == {"items": [], "count": 0}
    assert not Contact.unscoped_all_sites.filter(case=social_case, type="call").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_part_of_a_case_is_visible_to_outsiders(world, social_case, role):
    user = world.users[role]
    for model in (SupportCase, NeedAssessment, PlanItem, Contact, SupportFactDisclosure):
        assert not model.objects.visible_to(user).filter(site=world.site_a, owner=social_case.owner).exists()
        history = model.history.model.objects.filter(owner=social_case.owner)
        from gvi.access.models import compartment_q

        if model is not SupportFactDisclosure:
            assert not history.filter(compartment_q(user, model)).exists()


@pytest.mark.django_db
def test_the_owner_sees_own_cases_only(world, social_case):
    caseworker = world.users[Role.CASEWORKER]
    visible = set(SupportCase.objects.visible_to(caseworker).values_list("pk", flat=True))
    assert visible == {social_case.pk}
    coordinator = world.users[Role.COORDINATOR]
    assert set(SupportCase.objects.visible_to(coordinator).values_list("pk", flat=True)) == {social_case.pk}
    assert not SupportCase.objects.visible_to(coordinator, "change").exists()


@pytest.mark.django_db
def test_a_caseworker_of_another_municipal_organisation_sees_nothing(world, social_case):
    """Same site, same role, organisation of the same type: still another compartment."""
    school = Organisation.objects.create(name="Skolförvaltningen A", short_name="Skolan", type=MUNICIPALITY)
    school.sites.add(world.site_a)
    other = UserFactory(username="skolkurator")
    MembershipFactory(user=other, organisation=school, site=world.site_a, role=Role.CASEWORKER)
    client = verified_login(Client(), other)
    assert client.get(reverse("support:case_detail", args=[social_case.pk])).status_code == 404
    assert client.get("/api/v1/support/cases").json()["count"] == 0
    assert social_case.pseudonym not in client.get(reverse("support:case_list")).content.decode()


@pytest.mark.django_db
def test_a_whole_case_cannot_be_disclosed_with_the_generic_disclosure(world, social_case):
    caseworker = world.users[Role.CASEWORKER]
    police = world.orgs[("a", Organisation.Type.POLICE)]
    with pytest.raises(PermissionDenied):
        disclose(
            caseworker,
            social_case,
            DisclosureRequest(to_organisation_id=police.pk, legal_ground="osl_10_2", purpose="Test"),
        )


@pytest.mark.django_db
def test_the_person_page_partial_shows_outsiders_nothing(world, social_case):
    """The analyst sees the person entry, but not that it has a support case."""
    from django.template import Context, Template
    from django.test import RequestFactory

    person = world.records[("person", "a", Organisation.Type.POLICE)]
    SupportCaseFactory(
        site=world.site_a,
        owner=social_case.owner,
        person=person,
        intake_route="call_in",
        pseudonym="Hänvisad klient",
    )
    request = RequestFactory().get("/")
    request.user = world.users[Role.ANALYST]
    html = Template("{% load support_tags %}{% support_facts_for_person person %}").render(
        Context({"request": request, "person": person})
    )
    assert html.strip() == ""


@pytest.mark.django_db
def test_exports_are_the_owners_only_and_logged(world, social_case):
    other_site = world.records[("supportcase", "b", MUNICIPALITY)]
    caseworker_client = _client(world, Role.CASEWORKER)
    response = caseworker_client.post(reverse("support:case_export"), {"purpose": "Årsuppföljning"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [str(social_case.pk)]
    body = response.content.decode()
    assert other_site.pseudonym not in body and "Hemlig" not in body  # no notes, no plan, no contacts
    logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, record_type="support.supportcase")
    assert list(logged.values_list("record_id", "purpose")) == [(str(social_case.pk), "Årsuppföljning")]
    for role in [Role.COORDINATOR, *OUTSIDERS]:
        assert _client(world, role).post(reverse("support:case_export"), {"purpose": "x"}).status_code == 403


@pytest.mark.django_db
def test_the_case_page_is_logged_and_shows_the_owner_history_and_reads(world, social_case):
    client = _client(world, Role.CASEWORKER)
    page = client.get(reverse("support:case_detail", args=[social_case.pk]))
    assert page.status_code == 200
    assert (
        AccessLog.objects.filter(record_type="support.supportcase", record_id=str(social_case.pk)).count()
        == 1
    )
    html = page.content.decode()
    assert "Senaste läsningar" in html and "Ändringshistorik" in html and "Hemlig anteckning" in html


ONE = re.compile(r'class="figure">\s*1\s*<')


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ANALYST, Role.PROBATION_OFFICER])
def test_statistics_suppress_small_counts_outside_the_owner(world, social_case, role):
    """One case at site A: the partnership sees "1–4", never the pseudonym or an exact 1."""
    SupportCase.unscoped_all_sites.filter(site=world.site_a).exclude(pk=social_case.pk).delete()
    html = _client(world, role).get(reverse("support:statistics")).content.decode()
    assert "1–4" in html and "Små tal är dolda" in html
    assert social_case.pseudonym not in html
    assert not ONE.search(html)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.STEERING_MEMBER])
def test_statistics_are_exact_inside_the_owning_organisation(world, social_case, role):
    """The world's coordinator and steering member work for the same municipal organisation."""
    SupportCase.unscoped_all_sites.filter(site=world.site_a).exclude(pk=social_case.pk).delete()
    html = _client(world, role).get(reverse("support:statistics")).content.decode()
    assert ONE.search(html) and "1–4" not in html
    assert social_case.pseudonym not in html


@pytest.mark.django_db
def test_statistics_are_closed_to_community_partners_and_the_national_layer(world):
    for role in (Role.COMMUNITY_PARTNER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR):
        assert _client(world, role).get(reverse("support:statistics")).status_code == 403


@pytest.mark.django_db
def test_forms_showing_case_content_and_api_reads_are_logged(world, social_case):
    client = _client(world, Role.CASEWORKER)
    logs = AccessLog.objects.filter(record_type="support.supportcase", record_id=str(social_case.pk))
    client.get(reverse("support:case_edit", args=[social_case.pk]))
    client.get(reverse("support:needs_edit", args=[social_case.pk]))
    client.get(f"/api/v1/support/cases/{social_case.pk}")
    client.patch(
        f"/api/v1/support/cases/{social_case.pk}",
        json.dumps({"version": social_case.version}),
        content_type="application/json",
    )
    assert list(logs.order_by("seq").values_list("action", flat=True)) == ["view", "view", "api", "api"]
    item = PlanItem.unscoped_all_sites.filter(case=social_case).first()
    client.get(reverse("support:plan_item_edit", args=[item.pk]))
    assert AccessLog.objects.filter(record_type="support.planitem", record_id=str(item.pk)).count() == 1
