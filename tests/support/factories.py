"""Factories for support cases, and the records the access matrix needs.

The lead adds to tests.factories.build_world, after the other records:

    from tests.support.factories import add_support_records
    add_support_records(world)

which stores, for every organisation at both sites (like the other kinds), under
("supportcase" | "planitem" | "supportfact", site slug, org type):
a support case owned by that organisation (linked to a person entry of its own, "Stödperson <org id>",
consent given, so the world's other persons stay without support cases), one plan item of it,
and one fact disclosure of it to the site's police (or, for police-owned cases, municipality) organisation.
Only the municipality's cases are realistic; the others exist so every role has own / other-org /
other-site targets, exactly as for the other kinds.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.partnership.models import Organisation, Role
from gvi.support.models import (
    CaseStatus,
    ConsentStatus,
    Contact,
    Fact,
    IntakeRoute,
    NeedAssessment,
    NeedDomain,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
)
from tests.factories import CompartmentFactory, PersonFactory, UserFactory, marker


def _today():
    return timezone.localdate()


class SupportCaseFactory(CompartmentFactory):
    class Meta:
        model = SupportCase

    pseudonym = factory.Sequence(lambda n: f"Klient S-{n:03d}")
    intake_route = IntakeRoute.SELF_REFERRAL
    requested_at = factory.LazyFunction(lambda: _today() - timedelta(days=30))
    first_contact_date = factory.LazyFunction(lambda: _today() - timedelta(days=25))
    status = CaseStatus.ACTIVE
    review_date = factory.LazyFunction(lambda: _today() + timedelta(days=180))
    notes = "Hemlig anteckning i ärendet"


class NeedAssessmentFactory(CompartmentFactory):
    class Meta:
        model = NeedAssessment

    case = factory.SubFactory(SupportCaseFactory)
    domain = NeedDomain.HOUSING
    site = factory.SelfAttribute("case.site")
    owner = factory.SelfAttribute("case.owner")


class PlanItemFactory(CompartmentFactory):
    class Meta:
        model = PlanItem

    case = factory.SubFactory(SupportCaseFactory)
    site = factory.SelfAttribute("case.site")
    owner = factory.SelfAttribute("case.owner")
    domain = NeedDomain.EDUCATION_WORK
    goal = "Hemligt mål: komma in på gymnasiet"
    intervention = "Studievägledning"
    provider = "Vuxenutbildningen"
    start = factory.LazyFunction(lambda: _today() - timedelta(days=20))


class ContactFactory(CompartmentFactory):
    class Meta:
        model = Contact

    case = factory.SubFactory(SupportCaseFactory)
    site = factory.SelfAttribute("case.site")
    owner = factory.SelfAttribute("case.owner")
    date = factory.LazyFunction(lambda: _today() - timedelta(days=25))
    type = Contact.Type.MEETING
    note = "Hemlig samtalsanteckning"


class SupportFactDisclosureFactory(CompartmentFactory):
    class Meta:
        model = SupportFactDisclosure

    case = factory.SubFactory(SupportCaseFactory)
    site = factory.SelfAttribute("case.site")
    owner = factory.SelfAttribute("case.owner")
    fact = Fact.ACTIVE_SUPPORT
    to_organisation = factory.SubFactory("tests.factories.OrganisationFactory")
    legal_ground = Disclosure.LegalGround.CONSENT
    purpose = "Samordna insatser i samverkan"
    decided_by = factory.SubFactory(UserFactory)
    decided_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=180))


def need_rows(case):
    """The needs grid, as open_case creates it."""
    for domain in NeedDomain.values:
        NeedAssessmentFactory(case=case, domain=domain)


def add_support_records(world):
    """Support cases, plan items and fact disclosures for every organisation at both sites (once)."""
    if ("supportcase", "a", Organisation.Type.MUNICIPALITY) in world.records:
        return world
    for (slug, org_type), org in list(world.orgs.items()):
        if slug is None:
            continue
        site = world.site_a if slug == "a" else world.site_b
        case = SupportCaseFactory(
            pseudonym=marker("supportcase", slug, org_type),
            site=site,
            owner=org,
            person=PersonFactory(alias=f"Stödperson {org.pk}", site=site, owner=org),
            consent_status=ConsentStatus.GIVEN,
            consent_date=_today() - timedelta(days=25),
            consent_scope="Samverkan inom GVI",
        )
        need_rows(case)
        world.records[("supportcase", slug, org_type)] = case
        world.records[("planitem", slug, org_type)] = PlanItemFactory(case=case)
        ContactFactory(case=case)
        recipient = world.orgs[
            (slug, Organisation.Type.POLICE if org_type != Organisation.Type.POLICE else "municipality")
        ]
        world.records[("supportfact", slug, org_type)] = SupportFactDisclosureFactory(
            case=case, to_organisation=recipient, decided_by=world.users[Role.CASEWORKER]
        )
    return world


# ----- payloads for the access matrix's JSON routes: (world, role, record) -> dict -----


def support_case_payload(world, role, record):
    return {"pseudonym": "Ny klient", "intake_route": "hotline", "requested_at": _today().isoformat()}


def support_contact_payload(world, role, record):
    return {"date": _today().isoformat(), "type": "call", "note": "Samtal"}


def support_close_payload(world, role, record):
    return {
        "version": record.version,
        "outcome": "completed",
        "closed_on": _today().isoformat(),
        "closing_reason": "Har arbete och bostad",
    }
