"""Reads of the offer of help. Every read starts from `visible_to(user)` (the owning social-services
organisation) or, for disclosed facts, from `SupportFactDisclosure.objects.received_by(user)`.

For other modules:
- ``facts_for_person(user, person)``: the facts disclosed to the user's organisation about a person (each
  one logged as read), for the person page (template ``support/_facts_for_person.html``);
- ``help_uptake(person_ids, contacted_on)``: aggregate uptake after a communication (reach figures);
- ``national_support_table()``: suppressed per-site figures for the national layer;
- ``case_summary(user)`` and ``received_fact_count(user)``: counts for the start page;
- ``nav_flags(roles)``: which support menu entries a set of roles gets.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from gvi.access.models import AccessLog
from gvi.access.permissions import EXPORT, VIEW, role_may
from gvi.access.services import log_access
from gvi.groups.models import Person
from gvi.partnership.models import Organisation
from gvi.support.models import (
    CLOSED_STATUSES,
    NON_RECIPIENT_TYPES,
    OPEN_STATUSES,
    RECIPIENT_ROLES,
    Contact,
    NeedAssessment,
    NeedDomain,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
    recipient_memberships,
)
from gvi.support.statistics import (  # noqa: F401  (re-exported for other modules)
    STATISTICS_ROLES,
    help_uptake,
    national_support_table,
    statistics_for,
)

CASE_TYPE = "support.supportcase"


def nav_flags(roles) -> dict:
    """Menu entries: the case list for the social-services compartment, the facts page for recipients,
    the statistics page for the partnership at a site."""
    roles = set(roles)
    return {
        "support_cases": any(role_may(role, CASE_TYPE, VIEW) for role in roles),
        "support_facts": bool(roles & RECIPIENT_ROLES),
        "support_statistics": bool(roles & STATISTICS_ROLES),
    }


# ----- cases -----

STATUS_FILTERS = {"oppna": OPEN_STATUSES, "avslutade": CLOSED_STATUSES}


def cases_for(
    user,
    status: str = "",
    route: str = "",
    overdue: bool = False,
    query: str = "",
    show: str = "",
    action: str = VIEW,
    today: date | None = None,
):
    """The cases the user may see, filtered. `status` is a status value or "oppna"/"avslutade";
    `overdue` keeps open cases whose follow-up date has passed; `show="inaktiverade"` lists the cases
    deactivated for overdue review instead of the active ones."""
    today = today or timezone.localdate()
    cases = SupportCase.objects.visible_to(user, action).select_related("site", "owner", "mentor")
    cases = cases.filter(deactivated_at__isnull=show != "inaktiverade")
    if status in STATUS_FILTERS:
        cases = cases.filter(status__in=STATUS_FILTERS[status])
    elif status:
        cases = cases.filter(status=status)
    if route:
        cases = cases.filter(intake_route=route)
    if overdue:
        cases = cases.filter(status__in=OPEN_STATUSES, follow_up_date__lt=today)
    if query:
        cases = cases.filter(pseudonym__icontains=query)
    return cases.order_by("-requested_at", "-pk")


def case_summary(user, today: date | None = None) -> dict:
    """Counts for a caseworker's start page (only the user's own organisation's cases)."""
    today = today or timezone.localdate()
    cases = SupportCase.objects.visible_to(user).filter(deactivated_at__isnull=True)
    open_cases = cases.filter(status__in=OPEN_STATUSES)
    return {
        "open": open_cases.count(),
        "awaiting_first_contact": open_cases.filter(first_contact_date__isnull=True).count(),
        "follow_up_overdue": open_cases.filter(follow_up_date__lt=today).count(),
        "review_overdue": cases.filter(review_date__lt=today).count(),
    }


def needs_of(user, case: SupportCase) -> list:
    """The needs grid in the fixed domain order."""
    rows = {need.domain: need for need in NeedAssessment.objects.visible_to(user).filter(case=case)}
    return [rows[domain] for domain in NeedDomain.values if domain in rows]


def plan_of(user, case: SupportCase):
    return PlanItem.objects.visible_to(user).filter(case=case).order_by("start", "pk")


def contacts_of(user, case: SupportCase):
    return Contact.objects.visible_to(user).filter(case=case).select_related("by").order_by("-date", "-pk")


def fact_disclosures_of(user, case: SupportCase):
    """Owner side: every fact disclosure of the case, active or not."""
    return (
        SupportFactDisclosure.objects.visible_to(user)
        .filter(case=case)
        .select_related("to_organisation", "decided_by", "revoked_by")
    )


def other_cases_of_person(user, case: SupportCase):
    if not case.person_id:
        return SupportCase.objects.none()
    return SupportCase.objects.visible_to(user).filter(person_id=case.person_id).exclude(pk=case.pk)


def person_visible(user, person_id: int | None) -> bool:
    return bool(person_id) and Person.objects.visible_to(user).filter(pk=person_id).exists()


def linkable_persons(user, case: SupportCase | None = None):
    """Persons a case may be linked to: those the user sees at their sites (and the current link)."""
    persons = Person.objects.visible_to(user).filter(deactivated_at__isnull=True)
    if case is not None and case.person_id:
        persons = Person.unscoped_all_sites.filter(Q(pk__in=persons.values("pk")) | Q(pk=case.person_id))
    return persons.order_by("alias")


def recipient_organisations(case: SupportCase):
    """Organisations in the partnership at the case's site that may receive a fact."""
    return (
        Organisation.objects.filter(sites=case.site_id)
        .exclude(pk=case.owner_id)
        .exclude(type__in=list(NON_RECIPIENT_TYPES))
        .order_by("name")
    )


def exportable_cases(user):
    return cases_for(user, action=EXPORT).filter(deactivated_at__isnull=True)


# ----- facts disclosed to the user's organisation -----


@dataclass(frozen=True)
class ReceivedFact:
    """What a recipient sees of a disclosed fact: the statement, never the case."""

    id: int
    statement: str
    person_id: int | None
    person_alias: str | None
    from_organisation: str
    legal_ground: str
    purpose: str
    decided_at: datetime
    expires_at: datetime | None


def facts_received(user, at=None):
    return SupportFactDisclosure.objects.received_by(user, at).select_related("owner", "case", "case__person")


def received_fact_count(user) -> int:
    """A count for the start page; it shows no fact, so it is not logged."""
    return facts_received(user).count()


def present_facts(user, facts, via: str = AccessLog.Action.VIEW) -> list[ReceivedFact]:
    """Turn disclosed facts into what the recipient may see, logging each one as read in the same
    transaction (no log, no data). The person's alias is shown only if the user may already see that
    person entry."""
    facts = list(facts)
    if not facts:
        return []
    person_ids = {fact.case.person_id for fact in facts if fact.case.person_id}
    visible = set(Person.objects.visible_to(user).filter(pk__in=person_ids).values_list("pk", flat=True))
    memberships = list(recipient_memberships(user))
    shown = []
    for fact in facts:
        membership = next(
            (
                m
                for m in memberships
                if m.site_id == fact.site_id and m.organisation_id == fact.to_organisation_id
            ),
            None,
        )
        log_access(user, fact, action=via, membership=membership)
        person_id = fact.case.person_id if fact.case.person_id in visible else None
        shown.append(
            ReceivedFact(
                id=fact.pk,
                statement=fact.statement,
                person_id=person_id,
                person_alias=fact.case.person.alias if person_id else None,
                from_organisation=fact.owner.short_name,
                legal_ground=str(fact.get_legal_ground_display()),
                purpose=fact.purpose,
                decided_at=fact.decided_at,
                expires_at=fact.expires_at,
            )
        )
    return shown


def facts_for_person(user, person: Person, via: str = AccessLog.Action.VIEW) -> list[ReceivedFact]:
    """The active facts disclosed to the user's organisation about `person`, logged as read. Empty
    unless the user may see the person entry."""
    if person is None or not person_visible(user, person.pk):
        return []
    return present_facts(user, facts_received(user).filter(case__person_id=person.pk), via=via)


def support_cases_for_person(user, person: Person):
    """The owner's own cases for a person (links on the person page); empty for everyone else."""
    if person is None:
        return SupportCase.objects.none()
    return SupportCase.objects.visible_to(user).filter(person_id=person.pk).order_by("-requested_at")
