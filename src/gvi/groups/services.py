"""Writes of the group audit: one function per business action, transactional, versioned and scoped.

Every function checks the caller's grant for the action on the record's site and owner, validates the
record with full_clean (clear Swedish messages), and saves through simple-history so every change is
versioned with its author.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access import identity
from gvi.access.models import AccessLog, CompartmentedRecord, RetainedRecord
from gvi.access.permissions import CHANGE, CREATE, REVEAL, VIEW, grant_for
from gvi.access.services import append_log_entry, granting_membership, log_access, save_versioned
from gvi.groups.models import (
    PERSONAL_NUMBER_IN_TEXT,
    AuditRound,
    EntryState,
    Group,
    GroupMembership,
    GroupRelation,
    Person,
    ProposedEntry,
)
from gvi.importing.text import contains_personal_number
from gvi.partnership.models import Membership, Role


def default_review_date(is_minor: bool, today: date | None = None) -> date:
    """Minors get a shorter review period than adults (both configurable)."""
    days = settings.GVI_REVIEW_DAYS_MINOR if is_minor else settings.GVI_REVIEW_DAYS_ADULT
    return (today or timezone.localdate()) + timedelta(days=days)


def creating_membership(user, model, site_id: int | None = None) -> Membership:
    """The membership through which `user` creates a `model` record: it fixes the record's site and owner."""
    record_type = model._meta.label_lower
    for membership in user.memberships.active().select_related("organisation", "site"):
        found = grant_for(membership.role, record_type)
        if found and CREATE in found.actions and membership.site_id and site_id in (None, membership.site_id):
            return membership
    raise PermissionDenied(_("Din roll får inte skapa den här typen av post."))


def _require(user, record: CompartmentedRecord, action: str) -> None:
    if granting_membership(user, record, action) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))


def _create(user, record: CompartmentedRecord, site_id: int | None = None) -> CompartmentedRecord:
    membership = creating_membership(user, type(record), site_id)
    record.site_id = membership.site_id
    record.owner_id = membership.organisation_id
    if isinstance(record, ProposedEntry) and proposes_entries(membership):
        record.entry_state = EntryState.PROPOSED
        record.proposed_by = user
        record.proposed_at = timezone.now()
    record._history_user = user
    record.full_clean()
    record.save()
    return record


def _apply(record, changes: dict) -> None:
    for field, value in changes.items():
        setattr(record, field, value)


# ----- four eyes: proposed entries -----


def proposes_entries(membership: Membership) -> bool:
    """An analyst's new person or membership entry waits for a second person (README "Fyra ögon"). Always on
    for analysts, whatever the organisation: no analyst alone can put a person into the audit."""
    return membership.role == Role.ANALYST


def entry_approvers(entry: ProposedEntry):
    """Memberships that may decide on `entry`: active, marked `approves_entries`, of the owning organisation
    at the entry's site, with a role that may view the entry type. The proposer is excluded by the caller."""
    label = type(entry)._meta.label_lower
    candidates = Membership.objects.active().filter(
        approves_entries=True, organisation_id=entry.owner_id, site_id=entry.site_id
    )
    return [
        m
        for m in candidates.select_related("user", "organisation").order_by("pk")
        if (found := grant_for(m.role, label)) is not None and VIEW in found.actions
    ]


def approving_entry_membership(user, entry: ProposedEntry) -> Membership | None:
    """The user's membership through which it decides on `entry`: a second person, never the proposer."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if entry.proposed_by_id is not None and user.pk == entry.proposed_by_id:
        return None
    return next((m for m in entry_approvers(entry) if m.user_id == user.pk), None)


def _locked_proposal(user, entry: ProposedEntry, expected_version: int):
    approver = approving_entry_membership(user, entry)
    if approver is None:
        raise PermissionDenied(_("Du kan inte besluta om den här registreringen."))
    locked = type(entry)._base_manager.select_for_update().get(pk=entry.pk)
    if locked.entry_state != EntryState.PROPOSED:
        raise ValidationError(_("Registreringen väntar inte på godkännande."))
    return approver, locked


def _entry_decided(site_id: int) -> None:
    """An approved person's involvements now count in the risk model: the worker recomputes it."""
    from gvi.operations import recompute

    recompute.request(recompute.RISK, site_id)


@transaction.atomic
def approve_entry(user, entry: ProposedEntry, expected_version: int) -> ProposedEntry:
    """A second person approves a proposed entry with its basis in view: from now on it counts."""
    approver, locked = _locked_proposal(user, entry, expected_version)
    if isinstance(locked, GroupMembership) and not locked.person.is_in_force:
        raise ValidationError(_("Personen är inte godkänd. Godkänn personen först."))
    locked.entry_state, locked.decided_by, locked.decided_at = EntryState.APPROVED, user, timezone.now()
    saved = save_versioned(locked, expected_version, user=user)
    append_log_entry(user, saved, AccessLog.Action.ENTRY_OK, "", approver)
    _entry_decided(saved.site_id)
    return saved


@transaction.atomic
def reject_entry(user, entry: ProposedEntry, reason: str, expected_version: int) -> ProposedEntry:
    """A second person rejects a proposed entry; the reason stays on the entry until it is purged."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Ange skälet till avslaget.")})
    if contains_personal_number(reason):
        raise ValidationError({"reason": PERSONAL_NUMBER_IN_TEXT})
    approver, locked = _locked_proposal(user, entry, expected_version)
    locked.entry_state, locked.decided_by, locked.decided_at = EntryState.REJECTED, user, timezone.now()
    locked.rejection_reason = reason
    saved = save_versioned(locked, expected_version, user=user)
    append_log_entry(user, saved, AccessLog.Action.ENTRY_NO, "", approver)
    _entry_decided(saved.site_id)
    return saved


# ----- persons -----


def _store_personal_number(person: Person, raw: str | None) -> None:
    if raw is None:
        return
    if not raw.strip():
        person.personal_number_hash = ""
        person.personal_number_encrypted = ""
        return
    try:
        normalised = identity.normalise_personal_number(raw)
    except ValidationError as error:
        raise ValidationError({"personal_number": error.messages}) from None
    person.personal_number_hash = identity.personal_number_hash(normalised)
    person.personal_number_encrypted = identity.encrypt(normalised)
    if not person.birth_year:
        person.birth_year = identity.birth_year_of(normalised)


@transaction.atomic
def create_person(user, data: dict, personal_number: str | None = None) -> Person:
    person = Person(**data)
    if not person.review_date:
        person.review_date = default_review_date(person.is_minor)
    _store_personal_number(person, personal_number)
    return _create(user, person)


@transaction.atomic
def update_person(
    user, person: Person, changes: dict, expected_version: int, personal_number: str | None = None
) -> Person:
    _require(user, person, CHANGE)
    _apply(person, changes)
    _store_personal_number(person, personal_number)
    return save_versioned(person, expected_version, user=user)


def find_persons_by_personal_number(user, raw: str):
    """Match across records by keyed hash, within what the user may see."""
    digest = identity.personal_number_hash(identity.normalise_personal_number(raw))
    return Person.objects.visible_to(user).filter(personal_number_hash=digest)


@transaction.atomic
def reveal_personal_number(user, person: Person, purpose: str) -> str:
    """Decrypt the stored number for an authorised user; the reveal and its purpose are logged first."""
    membership = granting_membership(user, person, REVEAL)
    if membership is None:
        raise PermissionDenied(_("Din roll får inte visa personnummer."))
    if not (purpose or "").strip():
        raise ValidationError({"purpose": _("Ange varför du behöver se personnumret.")})
    if not person.personal_number_encrypted:
        raise ValidationError(_("Inget personnummer är registrerat."))
    log_access(user, person, action=AccessLog.Action.REVEAL, purpose=purpose, membership=membership)
    return identity.format_personal_number(identity.decrypt(person.personal_number_encrypted))


# ----- groups, memberships, relations -----


def _group_level_changed(site_id: int) -> None:
    """Groups and relations feed the network measures and the risk model: the worker recomputes them."""
    from gvi.operations import recompute

    recompute.request(recompute.NETWORK, site_id)
    recompute.request(recompute.RISK, site_id)


@transaction.atomic
def create_group(user, data: dict, site_id: int | None = None) -> Group:
    group = _create(user, Group(**data), site_id)
    _group_level_changed(group.site_id)
    return group


@transaction.atomic
def update_group(user, group: Group, changes: dict, expected_version: int) -> Group:
    _require(user, group, CHANGE)
    _apply(group, changes)
    saved = save_versioned(group, expected_version, user=user)
    _group_level_changed(saved.site_id)
    return saved


@transaction.atomic
def create_membership(user, data: dict) -> GroupMembership:
    membership = GroupMembership(**data)
    if not membership.review_date and membership.person_id:
        membership.review_date = default_review_date(membership.person.is_minor)
    if membership.person_id:
        _require(user, membership.person, CHANGE)
    return _create(user, membership, membership.person.site_id if membership.person_id else None)


@transaction.atomic
def update_membership(
    user, membership: GroupMembership, changes: dict, expected_version: int
) -> GroupMembership:
    _require(user, membership, CHANGE)
    _apply(membership, changes)
    return save_versioned(membership, expected_version, user=user)


@transaction.atomic
def create_relation(user, data: dict) -> GroupRelation:
    relation = GroupRelation(**data)
    if not relation.review_date:
        relation.review_date = default_review_date(False)
    site_id = relation.group_a.site_id if relation.group_a_id else None
    created = _create(user, relation, site_id)
    _group_level_changed(created.site_id)
    return created


@transaction.atomic
def update_relation(user, relation: GroupRelation, changes: dict, expected_version: int) -> GroupRelation:
    _require(user, relation, CHANGE)
    _apply(relation, changes)
    saved = save_versioned(relation, expected_version, user=user)
    _group_level_changed(saved.site_id)
    return saved


@transaction.atomic
def confirm_review(user, record: RetainedRecord, expected_version: int, next_review: date | None = None):
    """The owner has reviewed the entry: it stays (reactivated if it was deactivated) until the next review."""
    _require(user, record, CHANGE)
    is_minor = getattr(record, "is_minor", None)
    if is_minor is None and hasattr(record, "person"):
        is_minor = record.person.is_minor
    record.review_date = next_review or default_review_date(bool(is_minor))
    record.deactivated_at = None
    saved = save_versioned(record, expected_version, user=user)
    if isinstance(saved, GroupRelation):  # a reactivated relation is back in the network
        _group_level_changed(saved.site_id)
    return saved


@transaction.atomic
def record_audit_round(user, held_on: date, participant_ids: list[int], note: str = "") -> AuditRound:
    """A dated refresh of the audit; the change summary is computed from the version history."""
    membership = creating_membership(user, AuditRound)
    previous = AuditRound.unscoped_all_sites.filter(site_id=membership.site_id).order_by("-held_on").first()
    since = previous.held_on if previous else None
    audit_round = AuditRound(
        held_on=held_on, note=note, changes=audit_changes(membership.site_id, since, held_on)
    )
    _create(user, audit_round)
    audit_round.participants.set(participant_ids)
    return audit_round


def audit_changes(site_id: int, since: date | None, until: date) -> dict:
    """Counts of added / changed / removed groups, memberships and relations at a site in a period."""
    summary = {}
    for model in (Group, GroupMembership, GroupRelation, Person):
        history = model.history.model.objects.filter(site_id=site_id, history_date__date__lte=until)
        if issubclass(model, ProposedEntry):  # four eyes: a proposal is not in the audit (until approved)
            history = history.filter(entry_state=EntryState.APPROVED)
        if since:
            history = history.filter(history_date__date__gt=since)
        counts = {kind: history.filter(history_type=kind).values("id").distinct().count() for kind in "+~-"}
        summary[model._meta.model_name] = {
            "added": counts["+"],
            "changed": counts["~"],
            "removed": counts["-"],
        }
    return summary
