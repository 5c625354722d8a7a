"""Writes of the offer of help: one function per business action, transactional, versioned and scoped.

Every function checks the caller's grant on the case (support.* rows in gvi.access.permissions: only the
owning social-services organisation's caseworkers may create and change), validates with full_clean
(clear Swedish messages), and saves through simple-history so every change is versioned with its author.
Edits of existing rows take the version the user started from (optimistic locking: EditConflict).
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.permissions import CHANGE, CREATE, role_may
from gvi.access.services import granting_membership, save_versioned
from gvi.groups.models import Person
from gvi.groups.services import creating_membership, default_review_date
from gvi.partnership.models import Membership, Organisation, Role
from gvi.support.models import (
    CLOSED_STATUSES,
    CaseStatus,
    Contact,
    Fact,
    IntakeRoute,
    NeedAssessment,
    NeedDomain,
    NeedStatus,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
)

# Fields a caseworker may change with update_case; status moves between the open states only (closing
# has its own action, close_case, which also ends facts that stop being true).
CASE_FIELDS = frozenset(
    {
        "pseudonym",
        "person",
        "intake_route",
        "referred_by",
        "requested_at",
        "first_contact_date",
        "consent_status",
        "consent_scope",
        "consent_date",
        "threat_assessment",
        "protected_identity",
        "relocation",
        "is_minor",
        "guardian_contacted",
        "guardian_contacted_on",
        "guardian_note",
        "mentor",
        "mentor_name",
        "follow_up_date",
        "help_offered",
        "agreed_follow_up",
        "notes",
        "status",
        "review_date",
    }
)
PLAN_FIELDS = frozenset({"domain", "goal", "intervention", "provider", "start", "end", "status"})
NEED_FIELDS = frozenset({"status", "note", "assessed_on"})
FACT_FIELDS = frozenset(
    {
        "fact",
        "statement_text",
        "to_organisation",
        "legal_ground",
        "legal_ground_text",
        "purpose",
        "expires_at",
    }
)


def _require_change(user, case: SupportCase):
    membership = granting_membership(user, case, CHANGE)
    if membership is None:
        raise PermissionDenied(_("Du får inte ändra det här stödärendet."))
    return membership


def _check_fields(changes: dict, allowed: frozenset) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("Okända fält: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def _apply(record, changes: dict, allowed: frozenset) -> None:
    _check_fields(changes, allowed)
    for field, value in changes.items():
        setattr(record, field, value)


def _check_person(user, person: Person | None) -> None:
    """A case may be linked only to a person entry the caseworker may already see."""
    if person is not None and not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("Du kan inte se den personposten."))


def _check_open_status(status) -> None:
    if status in CLOSED_STATUSES:
        raise ValidationError({"status": _("Avsluta ärendet med åtgärden Avsluta.")})


def _save_new(user, record):
    record._history_user = user
    record.full_clean()
    record.save()
    return record


def _create_needs(user, case: SupportCase) -> None:
    for domain in NeedDomain.values:
        _save_new(
            user, NeedAssessment(case=case, site_id=case.site_id, owner_id=case.owner_id, domain=domain)
        )


# ----- the case -----


@transaction.atomic
def open_case(user, data: dict, site_id: int | None = None) -> SupportCase:
    """Register a new request for help. The case is owned by the caseworker's organisation at their site;
    a need row per domain is created (not yet assessed)."""
    data = dict(data)
    _check_fields(data, CASE_FIELDS)
    _check_open_status(data.get("status"))
    _check_person(user, data.get("person"))
    if site_id is None and data.get("person") is not None:
        site_id = data["person"].site_id  # a caseworker at several sites: the person's site
    membership = creating_membership(user, SupportCase, site_id)
    case = SupportCase(**data)
    case.site_id, case.owner_id = membership.site_id, membership.organisation_id
    if not data.get("status"):
        case.status = CaseStatus.ACTIVE if case.first_contact_date else CaseStatus.REQUESTED
    if not case.review_date:
        case.review_date = default_review_date(case.is_minor)
    _save_new(user, case)
    _create_needs(user, case)
    return case


def receiving_organisation(site_id: int) -> Organisation:
    """The social-services organisation at a site that receives referrals: the municipality organisation
    with the most active caseworkers there (lowest id on a tie)."""
    found = (
        Organisation.objects.filter(
            type=Organisation.Type.MUNICIPALITY,
            memberships__site_id=site_id,
            memberships__role=Role.CASEWORKER,
            memberships__is_active=True,
            memberships__user__is_active=True,
        )
        .annotate(caseworkers=Count("memberships"))
        .order_by("-caseworkers", "pk")
        .first()
    )
    if found is None:
        raise ValidationError(_("Det finns ingen socialtjänst med aktiva socialsekreterare på platsen."))
    return found


@transaction.atomic
def open_case_from_referral(
    user, person: Person, route: str, requested_at: date, help_offered: str = "", agreed_follow_up: str = ""
) -> SupportCase:
    """Someone asked for help at a call-in or a custom notification: refer them to social services.

    Called by the communication module. The referring user must see the person and work at its site; the
    new case is owned by the site's social-services organisation (the user's own, if they are a caseworker
    there). The referring user does not see the case afterwards unless they work in that organisation:
    callers must not show the returned case to anyone but through SupportCase.objects.visible_to.
    The person entry's alias becomes the case's working name; consent is not yet asked. The help offered
    and the follow-up agreed at the contact go with the case; `referred_by` names the referring
    organisation (the route is already the case's intake route).
    """
    if route not in IntakeRoute.values:
        raise ValidationError({"intake_route": _("Okänd väg in.")})
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("Du kan inte se den personposten."))
    memberships = Membership.objects.active().filter(user=user, site_id=person.site_id)
    if not memberships.exists():
        raise PermissionDenied(_("Du arbetar inte på personens plats."))
    own = next(
        (m for m in memberships if role_may(m.role, "support.supportcase", CREATE)),
        None,
    )
    owner_id = own.organisation_id if own else receiving_organisation(person.site_id).pk
    referring = (own or memberships.select_related("organisation").first()).organisation
    case = SupportCase(
        site_id=person.site_id,
        owner_id=owner_id,
        pseudonym=person.alias[:80],
        person=person,
        intake_route=route,
        referred_by=referring.name[:200],
        help_offered=(help_offered or "")[:4000],
        agreed_follow_up=(agreed_follow_up or "")[:4000],
        requested_at=requested_at,
        is_minor=person.is_minor,
        status=CaseStatus.REQUESTED,
        review_date=default_review_date(person.is_minor),
    )
    _save_new(user, case)
    _create_needs(user, case)
    return case


@transaction.atomic
def update_case(user, case: SupportCase, changes: dict, expected_version: int) -> SupportCase:
    _require_change(user, case)
    changes = dict(changes)
    if "status" in changes:
        _check_open_status(changes["status"])
        if case.is_closed:
            raise ValidationError({"status": _("Ärendet är avslutat och kan inte öppnas igen här.")})
    if "person" in changes and changes["person"] is not None and changes["person"].pk != case.person_id:
        _check_person(user, changes["person"])
    _apply(case, changes, CASE_FIELDS)
    if case.deactivated_at and case.review_date and case.review_date >= timezone.localdate():
        case.deactivated_at = None  # reviewed: kept until the new review date
    return save_versioned(case, expected_version, user=user)


@transaction.atomic
def close_case(
    user, case: SupportCase, outcome: str, closed_on: date, reason: str, expected_version: int
) -> SupportCase:
    """Close with an outcome, a date and a reason. A fact "has an active support contact" stops being
    true: its disclosures are revoked in the same transaction."""
    _require_change(user, case)
    if outcome not in CLOSED_STATUSES:
        raise ValidationError({"status": _("Välj ett utfall för avslutet.")})
    if case.is_closed:
        raise ValidationError({"status": _("Ärendet är redan avslutat.")})
    case.status, case.closed_on, case.closing_reason = outcome, closed_on, reason
    if closed_on:
        case.review_date = max(case.review_date, default_review_date(case.is_minor, closed_on))
    saved = save_versioned(case, expected_version, user=user)
    for fact in SupportFactDisclosure.unscoped_all_sites.filter(case=case, fact=Fact.ACTIVE_SUPPORT).active():
        _revoke(user, fact)
    return saved


# ----- needs, plan and contacts -----


def _need_row(case: SupportCase, domain: str) -> NeedAssessment:
    if domain not in NeedDomain.values:
        raise ValidationError({"domain": _("Okänt behovsområde.")})
    need = NeedAssessment.unscoped_all_sites.filter(case=case, domain=domain).first()
    if need is None:  # rows are created with the case; a purged or missing row is recreated
        need = NeedAssessment(case=case, site_id=case.site_id, owner_id=case.owner_id, domain=domain)
    return need


@transaction.atomic
def assess_need(user, case: SupportCase, domain: str, changes: dict, expected_version: int) -> NeedAssessment:
    """Set the status (and note) of one need domain of a case."""
    _require_change(user, case)
    need = _need_row(case, domain)
    changes = dict(changes)
    if "assessed_on" not in changes and changes.get("status", need.status) != NeedStatus.NOT_ASSESSED:
        changes["assessed_on"] = timezone.localdate()
    _apply(need, changes, NEED_FIELDS)
    if need.pk is None:
        return _save_new(user, need)
    return save_versioned(need, expected_version, user=user)


@transaction.atomic
def assess_needs(user, case: SupportCase, rows: list[tuple[str, dict, int]]) -> list[NeedAssessment]:
    """The whole needs grid at once: (domain, changes, expected version) per row, all or nothing."""
    return [assess_need(user, case, domain, changes, version) for domain, changes, version in rows]


@transaction.atomic
def add_plan_item(user, case: SupportCase, data: dict) -> PlanItem:
    _require_change(user, case)
    item = PlanItem(case=case, site_id=case.site_id, owner_id=case.owner_id)
    _apply(item, data, PLAN_FIELDS)
    return _save_new(user, item)


@transaction.atomic
def update_plan_item(user, item: PlanItem, changes: dict, expected_version: int) -> PlanItem:
    if granting_membership(user, item, CHANGE) is None:
        raise PermissionDenied(_("Du får inte ändra den här planpunkten."))
    _apply(item, changes, PLAN_FIELDS)
    return save_versioned(item, expected_version, user=user)


@transaction.atomic
def log_contact(user, case: SupportCase, data: dict) -> Contact:
    """Log a meeting, call, message or home visit. The first contact sets the case's first-contact date;
    every contact keeps an open case from being flagged for review."""
    _require_change(user, case)
    contact = Contact(case=case, site_id=case.site_id, owner_id=case.owner_id, by=user)
    for field in ("date", "type", "note"):
        if field in data:
            setattr(contact, field, data[field])
    _save_new(user, contact)
    locked = SupportCase.unscoped_all_sites.select_for_update().get(pk=case.pk)
    changed = False
    if locked.first_contact_date is None or contact.date < locked.first_contact_date:
        locked.first_contact_date = contact.date
        changed = True
    if not locked.is_closed:
        keep_until = default_review_date(locked.is_minor, contact.date)
        if keep_until > locked.review_date:
            locked.review_date = keep_until
            changed = True
    if changed:
        save_versioned(locked, locked.version, user=user)
        case.refresh_from_db()
    return contact


# ----- fact disclosures -----


@transaction.atomic
def record_fact_disclosure(user, case: SupportCase, data: dict) -> SupportFactDisclosure:
    """Disclose one fact of the case to one organisation, with legal ground and purpose; the decision is
    registered with the caseworker's name. The case itself stays closed to the recipient."""
    _require_change(user, case)
    fact = SupportFactDisclosure(case=case, site_id=case.site_id, owner_id=case.owner_id, decided_by=user)
    _apply(fact, data, FACT_FIELDS)
    fact.decided_at = timezone.now()
    return _save_new(user, fact)


def _revoke(user, fact: SupportFactDisclosure) -> SupportFactDisclosure:
    fact.revoked_at = timezone.now()
    fact.revoked_by = user
    return save_versioned(fact, fact.version, user=user)


@transaction.atomic
def revoke_fact_disclosure(user, fact: SupportFactDisclosure) -> SupportFactDisclosure:
    """The owning organisation ends a disclosure now; revoking twice changes nothing."""
    if granting_membership(user, fact.case, CHANGE) is None:
        raise PermissionDenied(_("Endast den utlämnande organisationen kan återkalla uppgiften."))
    if fact.revoked_at is not None:
        return fact
    return _revoke(user, fact)
