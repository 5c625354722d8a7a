"""The business rules of a support case: intake, consent, the child-specific flow, closing, needs, plan,
contacts, referrals from the communication module, and optimistic locking (services, pages and API)."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.services import EditConflict
from gvi.partnership.models import Organisation, Role
from gvi.support import services
from gvi.support.models import CaseStatus, NeedAssessment, NeedDomain, PlanItem, SupportCase
from tests.factories import verified_login

MUNICIPALITY, POLICE = Organisation.Type.MUNICIPALITY, Organisation.Type.POLICE


def today():
    return timezone.localdate()


@pytest.fixture
def caseworker(world):
    return world.users[Role.CASEWORKER]


@pytest.fixture
def case(world):
    return world.records[("supportcase", "a", MUNICIPALITY)]


def _open(caseworker, **data):
    base = {"pseudonym": "Klient X", "intake_route": "hotline", "requested_at": today() - timedelta(days=3)}
    return services.open_case(caseworker, {**base, **data})


@pytest.mark.django_db
def test_open_case_creates_the_needs_grid_and_owns_the_case(world, caseworker):
    case = _open(caseworker)
    assert (case.site, case.owner) == (world.site_a, world.orgs[("a", MUNICIPALITY)])
    assert case.status == CaseStatus.REQUESTED and case.version == 1
    assert [
        n.domain for n in NeedAssessment.unscoped_all_sites.filter(case=case).order_by("pk")
    ] == NeedDomain.values
    assert case.history.first().history_user == caseworker
    contacted = _open(caseworker, first_contact_date=today())
    assert contacted.status == CaseStatus.ACTIVE


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.PROBATION_OFFICER, Role.COORDINATOR, Role.COMMUNITY_PARTNER]
)
def test_only_caseworkers_open_cases(world, role):
    with pytest.raises(PermissionDenied):
        _open(world.users[role])


@pytest.mark.django_db
def test_a_minor_case_needs_guardian_contact_or_a_reason_to_be_active(caseworker):
    with pytest.raises(ValidationError) as error:
        _open(caseworker, is_minor=True, status="active", first_contact_date=today())
    assert "guardian_contacted" in error.value.message_dict
    requested = _open(caseworker, is_minor=True)  # a request may be registered before contact
    with pytest.raises(ValidationError):
        services.update_case(caseworker, requested, {"status": "active"}, requested.version)
    requested.refresh_from_db()
    with pytest.raises(ValidationError, match="vårdnadshavaren"):
        services.update_case(caseworker, requested, {"guardian_contacted": True}, requested.version)
    requested.refresh_from_db()
    services.update_case(
        caseworker,
        requested,
        {"status": "active", "guardian_contacted": True, "guardian_contacted_on": today()},
        requested.version,
    )
    with_reason = _open(
        caseworker, is_minor=True, status="active", guardian_note="Kontakten skulle utsätta barnet för fara"
    )
    assert with_reason.status == CaseStatus.ACTIVE


@pytest.mark.django_db
def test_minors_get_a_shorter_review_period(caseworker, settings):
    adult, minor = _open(caseworker), _open(caseworker, is_minor=True)
    assert (adult.review_date - today()).days == settings.GVI_REVIEW_DAYS_ADULT
    assert (minor.review_date - today()).days == settings.GVI_REVIEW_DAYS_MINOR


@pytest.mark.django_db
def test_closing_requires_outcome_date_and_reason(caseworker, case):
    with pytest.raises(ValidationError) as error:
        services.close_case(caseworker, case, "completed", today(), "  ", case.version)
    assert "closing_reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.close_case(caseworker, case, "active", today(), "Klart", case.version)
    with pytest.raises(ValidationError):
        services.update_case(caseworker, case, {"status": "completed"}, case.version)
    case.refresh_from_db()
    closed = services.close_case(
        caseworker, case, "completed", today(), "Har arbete och bostad", case.version
    )
    assert closed.is_closed and closed.closed_on == today()
    with pytest.raises(ValidationError):
        services.close_case(caseworker, closed, "moved", today(), "igen", closed.version)


@pytest.mark.django_db
def test_closing_through_the_page_requires_a_reason(world, case):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    url = reverse("support:case_close", args=[case.pk])
    response = client.post(url, {"version": case.version, "outcome": "completed", "closed_on": today()})
    assert response.status_code == 200 and "Ange skälet" in response.content.decode()
    assert 'data-confirm="' in response.content.decode()
    ok = client.post(
        url,
        {
            "version": case.version,
            "outcome": "dropped_out",
            "closed_on": today(),
            "closing_reason": "Slutade",
        },
    )
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DROPPED_OUT


@pytest.mark.django_db
def test_a_person_link_needs_consent_unless_the_case_came_by_referral(world, caseworker):
    person = world.records[("person", "a", MUNICIPALITY)]
    with pytest.raises(ValidationError) as error:
        _open(caseworker, person=person)
    assert "person" in error.value.message_dict
    consented = _open(caseworker, person=person, consent_status="given", consent_date=today())
    assert consented.person == person
    with pytest.raises(ValidationError):
        services.update_case(caseworker, consented, {"consent_status": "withdrawn"}, consented.version)
    consented.refresh_from_db()
    services.update_case(
        caseworker, consented, {"consent_status": "withdrawn", "person": None}, consented.version
    )
    assert _open(caseworker, person=person, intake_route="notification").person == person


@pytest.mark.django_db
def test_a_caseworker_cannot_link_a_person_entry_it_cannot_see(world, caseworker):
    hidden = world.records[("person", "a", POLICE)]
    with pytest.raises(PermissionDenied):
        _open(caseworker, person=hidden, intake_route="notification")


@pytest.mark.django_db
def test_a_referral_from_a_notification_lands_in_social_services(world):
    """The communication module calls open_case_from_referral for the police officer who delivered the
    notification: the case belongs to social services and the officer cannot see it."""
    analyst = world.users[Role.ANALYST]
    person = world.records[("person", "a", POLICE)]
    case = services.open_case_from_referral(analyst, person, "notification", today())
    assert case.owner == world.orgs[("a", MUNICIPALITY)] and case.site == world.site_a
    assert case.person == person and case.pseudonym == person.alias and case.status == CaseStatus.REQUESTED
    assert case.needs.count() == len(NeedDomain.values)
    assert not SupportCase.objects.visible_to(analyst).filter(pk=case.pk).exists()
    assert SupportCase.objects.visible_to(world.users[Role.CASEWORKER]).filter(pk=case.pk).exists()
    own = services.open_case_from_referral(
        world.users[Role.CASEWORKER], world.records[("person", "a", MUNICIPALITY)], "call_in", today()
    )
    assert own.owner == world.orgs[("a", MUNICIPALITY)]


@pytest.mark.django_db
def test_a_referral_needs_a_visible_person_and_a_known_route(world):
    analyst = world.users[Role.ANALYST]
    with pytest.raises(PermissionDenied):
        services.open_case_from_referral(
            analyst, world.records[("person", "a", MUNICIPALITY)], "call_in", today()
        )
    with pytest.raises(PermissionDenied):
        services.open_case_from_referral(
            world.users[Role.COMMUNITY_PARTNER], world.records[("person", "a", POLICE)], "call_in", today()
        )
    with pytest.raises(ValidationError):
        services.open_case_from_referral(analyst, world.records[("person", "a", POLICE)], "rumour", today())


@pytest.mark.django_db
def test_a_referral_to_a_site_without_social_services_is_refused(world):
    from gvi.partnership.models import Membership

    Membership.objects.filter(role=Role.CASEWORKER).update(is_active=False)
    with pytest.raises(ValidationError, match="socialtjänst"):
        services.open_case_from_referral(
            world.users[Role.ANALYST], world.records[("person", "a", POLICE)], "call_in", today()
        )


@pytest.mark.django_db
def test_logging_contacts_sets_the_first_contact_and_keeps_the_case(caseworker, settings):
    case = _open(caseworker, requested_at=today() - timedelta(days=10))
    SupportCase.unscoped_all_sites.filter(pk=case.pk).update(review_date=today() + timedelta(days=5))
    case.refresh_from_db()
    services.log_contact(
        caseworker, case, {"date": today() - timedelta(days=2), "type": "call", "note": "Hörde av sig"}
    )
    assert case.first_contact_date == today() - timedelta(days=2) and case.version == 2
    services.log_contact(caseworker, case, {"date": today() - timedelta(days=6), "type": "meeting"})
    case.refresh_from_db()
    assert case.first_contact_date == today() - timedelta(days=6)
    assert case.review_date == today() - timedelta(days=2) + timedelta(days=settings.GVI_REVIEW_DAYS_ADULT)
    assert case.contacts.count() == 2 and case.contacts.first().by == caseworker
    with pytest.raises(ValidationError):
        services.log_contact(caseworker, case, {"date": today() + timedelta(days=1), "type": "call"})
    with pytest.raises(ValidationError):
        services.log_contact(caseworker, case, {"date": today() - timedelta(days=30), "type": "call"})


@pytest.mark.django_db
def test_needs_and_plan(caseworker, case):
    need = services.assess_need(
        caseworker, case, "housing", {"status": "identified", "note": "Bostadslös"}, 1
    )
    assert need.assessed_on == today() and need.version == 2
    with pytest.raises(EditConflict):
        services.assess_need(caseworker, case, "housing", {"status": "met"}, 1)
    with pytest.raises(ValidationError):
        services.assess_need(caseworker, case, "weather", {"status": "met"}, 1)
    item = services.add_plan_item(
        caseworker,
        case,
        {"domain": "housing", "goal": "Eget boende", "intervention": "Träningslägenhet", "start": today()},
    )
    with pytest.raises(ValidationError):
        services.update_plan_item(caseworker, item, {"end": today() - timedelta(days=1)}, item.version)
    item.refresh_from_db()
    services.update_plan_item(caseworker, item, {"status": PlanItem.Status.ONGOING}, item.version)
    with pytest.raises(EditConflict):
        services.update_plan_item(caseworker, item, {"status": PlanItem.Status.DONE}, 1)


@pytest.mark.django_db
def test_the_needs_grid_is_all_or_nothing(caseworker, case):
    rows = [
        ("housing", {"status": "identified", "note": ""}, 1),
        ("family", {"status": "no_need", "note": ""}, 99),
    ]
    with pytest.raises(EditConflict):
        services.assess_needs(caseworker, case, rows)
    assert NeedAssessment.unscoped_all_sites.get(case=case, domain="housing").status == "not_assessed"


@pytest.mark.django_db
def test_the_coordinator_reads_but_does_not_change(world, case):
    coordinator = world.users[Role.COORDINATOR]
    with pytest.raises(PermissionDenied):
        services.update_case(coordinator, case, {"notes": "x"}, case.version)
    with pytest.raises(PermissionDenied):
        services.log_contact(coordinator, case, {"date": today(), "type": "call"})


# ----- optimistic locking -----


@pytest.mark.django_db
def test_two_edits_from_one_version_conflict(caseworker, case):
    first, second = (
        SupportCase.unscoped_all_sites.get(pk=case.pk),
        SupportCase.unscoped_all_sites.get(pk=case.pk),
    )
    services.update_case(caseworker, first, {"notes": "Första"}, 1)
    with pytest.raises(EditConflict):
        services.update_case(caseworker, second, {"notes": "Andra"}, 1)
    stored = SupportCase.unscoped_all_sites.get(pk=case.pk)
    assert (stored.notes, stored.version) == ("Första", 2)


def _form(case, **changes):
    data = {
        "pseudonym": case.pseudonym,
        "intake_route": case.intake_route,
        "requested_at": case.requested_at.isoformat(),
        "first_contact_date": case.first_contact_date.isoformat(),
        "status": case.status,
        "person": case.person_id or "",
        "consent_status": case.consent_status,
        "consent_scope": case.consent_scope,
        "consent_date": case.consent_date.isoformat() if case.consent_date else "",
        "threat_assessment": case.threat_assessment,
        "review_date": case.review_date.isoformat(),
        "notes": case.notes,
        "version": case.version,
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_stale_page_edit_gets_409_and_keeps_the_newer_data(world, case):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    url = reverse("support:case_edit", args=[case.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, _form(case, notes="Först")).status_code == 302
    stale = client.post(url, _form(case, notes="Gammal"))
    assert stale.status_code == 409 and "Konflikt" in stale.content.decode()
    case.refresh_from_db()
    assert case.notes == "Först" and case.version == 2


@pytest.mark.django_db
def test_a_stale_needs_grid_gets_409(world, case):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    url = reverse("support:needs_edit", args=[case.pk])
    data = {}
    for need in case.needs.all():
        data[f"status_{need.domain}"] = need.status
        data[f"note_{need.domain}"] = need.note
        data[f"version_{need.domain}"] = need.version
    assert client.post(url, {**data, "status_housing": "identified"}).status_code == 302
    assert client.post(url, {**data, "status_housing": "met"}).status_code == 409
    assert NeedAssessment.unscoped_all_sites.get(case=case, domain="housing").status == "identified"


@pytest.mark.django_db
def test_the_api_answers_409_on_a_stale_version(world, case):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    url = f"/api/v1/support/cases/{case.pk}"
    first = client.patch(url, json.dumps({"version": 1, "notes": "API"}), content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, json.dumps({"version": 1, "notes": "Gammal"}), content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    close = client.post(
        f"{url}/close",
        json.dumps(
            {"version": 1, "outcome": "completed", "closed_on": today().isoformat(), "closing_reason": "x"}
        ),
        content_type="application/json",
    )
    assert close.status_code == 409


@pytest.mark.django_db
def test_the_api_round_trip(world):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    created = client.post(
        "/api/v1/support/cases",
        json.dumps(
            {"pseudonym": "API-klient", "intake_route": "family", "requested_at": today().isoformat()}
        ),
        content_type="application/json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    contact = client.post(
        f"/api/v1/support/cases/{pk}/contacts",
        json.dumps({"date": today().isoformat(), "type": "home_visit", "note": "Första besöket"}),
        content_type="application/json",
    )
    assert contact.status_code == 201
    detail = client.get(f"/api/v1/support/cases/{pk}").json()
    assert detail["first_contact_date"] == today().isoformat()
    assert len(detail["needs"]) == len(NeedDomain.values) and detail["plan_items"] == []
    minor = client.post(
        "/api/v1/support/cases",
        json.dumps(
            {
                "pseudonym": "Ung",
                "intake_route": "family",
                "requested_at": today().isoformat(),
                "is_minor": True,
                "status": "active",
            }
        ),
        content_type="application/json",
    )
    assert minor.status_code == 422 and "guardian_contacted" in minor.json()["detail"]
    bad_close = client.post(
        f"/api/v1/support/cases/{pk}/close",
        json.dumps(
            {"version": 2, "outcome": "completed", "closed_on": today().isoformat(), "closing_reason": ""}
        ),
        content_type="application/json",
    )
    assert bad_close.status_code == 422
    listing = client.get("/api/v1/support/cases?status=requested").json()
    assert pk in [row["id"] for row in listing["items"]]
    assert "notes" not in listing["items"][0]


@pytest.mark.django_db
def test_the_caseworker_flow_through_the_pages(world):
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    assert client.get(reverse("support:case_create")).status_code == 200
    response = client.post(
        reverse("support:case_create"),
        {
            "pseudonym": "Klient sida",
            "intake_route": "self_referral",
            "requested_at": today().isoformat(),
            "status": "requested",
            "consent_status": "not_asked",
            "threat_assessment": "requested",
            "mentor": world.users[Role.CASEWORKER].pk,
            "follow_up_date": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    case = SupportCase.unscoped_all_sites.get(pseudonym="Klient sida")
    detail = reverse("support:case_detail", args=[case.pk])
    assert response["Location"] == detail
    assert (
        client.post(
            reverse("support:contact_create", args=[case.pk]),
            {"date": today().isoformat(), "type": "meeting", "note": "Första mötet"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("support:plan_item_create", args=[case.pk]),
            {"goal": "Arbete", "intervention": "Praktik", "status": "planned", "start": today().isoformat()},
        ).status_code
        == 302
    )
    item = PlanItem.unscoped_all_sites.get(case=case)
    assert (
        client.post(
            reverse("support:plan_item_edit", args=[item.pk]),
            {"goal": "Arbete", "intervention": "Praktik", "status": "ongoing", "version": item.version},
        ).status_code
        == 302
    )
    page = client.get(detail).content.decode()
    assert "Första mötet" in page and "Praktik" in page and "Pågår" in page
    listing = client.get(reverse("support:case_list"), {"forsenad": "1"}).content.decode()
    assert "Klient sida" in listing
    assert (
        "Klient sida"
        not in client.get(reverse("support:case_list"), {"status": "avslutade"}).content.decode()
    )
    assert (
        "Klient sida" in client.get(reverse("support:case_list"), {"vag": "self_referral"}).content.decode()
    )
    assert "Klient sida" not in client.get(reverse("support:case_list"), {"vag": "hotline"}).content.decode()


@pytest.mark.django_db
def test_the_case_list_paginates(world, caseworker):
    for n in range(55):
        _open(caseworker, pseudonym=f"Klient {n:02d}")
    client = verified_login(Client(), caseworker)
    first = client.get(reverse("support:case_list")).content.decode()
    assert "Sida 1 av 2" in first
    assert "Sida 2 av 2" in client.get(reverse("support:case_list"), {"sida": 2}).content.decode()


@pytest.mark.django_db
def test_an_empty_list_says_so(world):
    from gvi.support.models import SupportCase as Case

    Case.unscoped_all_sites.all().delete()
    client = verified_login(Client(), world.users[Role.CASEWORKER])
    assert "Inga ärenden matchar urvalet" in client.get(reverse("support:case_list")).content.decode()
    facts = verified_login(Client(), world.users[Role.PROBATION_OFFICER]).get(
        reverse("support:facts_received")
    )
    assert "Inga uppgifter från socialtjänsten" in facts.content.decode()
