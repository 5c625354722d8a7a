"""Writes for incidents and their coded involvement (attribution), transactional and versioned.

Attribution rules, applied when an involvement is coded:
- an involvement names a person, a group or both, all at the incident's site;
- a person named together with a group: if the person has a current membership in that group, the member
  status defaults to "confirmed" (high-confidence membership) or "suspected"; otherwise "unknown";
- a person named without a group: their single current group (if exactly one) is filled in, as suspected;
- a link to a relation must be a relation in which the involvement's group is a party; when an incident
  has a suspect group and a victim group in a registered conflict, the involvements are linked to it;
- a relation linked to an incident gets the incident's date as its latest evidence, when it is newer.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from gvi.access.permissions import CHANGE
from gvi.access.services import granting_membership, save_versioned
from gvi.groups.models import Confidence, GroupMembership, GroupRelation
from gvi.groups.services import creating_membership
from gvi.incidents.models import Incident, Involvement

GROUP_INVOLVED = (Involvement.MemberStatus.CONFIRMED, Involvement.MemberStatus.SUSPECTED)


def _require(user, record, action=CHANGE):
    if granting_membership(user, record, action) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))


@transaction.atomic
def register_incident(user, data: dict, site_id: int | None = None) -> Incident:
    membership = creating_membership(user, Incident, site_id)
    incident = Incident(**data, site_id=membership.site_id, owner_id=membership.organisation_id)
    incident._history_user = user
    incident.full_clean()
    incident.save()
    return incident


@transaction.atomic
def update_incident(user, incident: Incident, changes: dict, expected_version: int) -> Incident:
    _require(user, incident)
    for field, value in changes.items():
        setattr(incident, field, value)
    return save_versioned(incident, expected_version, user=user)


def current_memberships(person, on_date):
    return GroupMembership.objects.filter(
        person=person, deactivated_at__isnull=True, valid_from__lte=on_date
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))


def _attribute(involvement: Involvement) -> None:
    """Fill in what the attribution rules derive; leave what the analyst chose explicitly."""
    incident = involvement.incident
    on_date = incident.occurred_at.date()
    if involvement.person_id:
        memberships = list(current_memberships(involvement.person, on_date).select_related("group"))
        if not involvement.group_id and len(memberships) == 1:
            involvement.group = memberships[0].group
            if involvement.member_status == Involvement.MemberStatus.UNKNOWN:
                involvement.member_status = Involvement.MemberStatus.SUSPECTED
        elif involvement.group_id and involvement.member_status == Involvement.MemberStatus.UNKNOWN:
            match = next((m for m in memberships if m.group_id == involvement.group_id), None)
            if match is not None:
                involvement.member_status = (
                    Involvement.MemberStatus.CONFIRMED
                    if match.confidence == Confidence.HIGH
                    else Involvement.MemberStatus.SUSPECTED
                )


def _check(involvement: Involvement) -> None:
    incident = involvement.incident
    errors = {}
    for field in ("person", "group"):
        linked = getattr(involvement, field)
        if linked is not None and linked.site_id != incident.site_id:
            errors[field] = _("Måste höra till samma plats som incidenten.")
    relation = involvement.relation
    if relation is not None:
        if relation.site_id != incident.site_id:
            errors["relation"] = _("Måste höra till samma plats som incidenten.")
        elif involvement.group_id not in (relation.group_a_id, relation.group_b_id):
            errors["relation"] = _("Gruppen är inte part i den valda relationen.")
    if involvement.member_status in GROUP_INVOLVED and not involvement.group_id:
        errors["member_status"] = _("Ange gruppen när gruppkopplingen är bekräftad eller misstänkt.")
    if errors:
        raise ValidationError(errors)


def _link_conflict(incident: Incident, user) -> None:
    """A suspect group and a victim group in a registered conflict: link their involvements to it."""
    involvements = list(incident.involvements.filter(group__isnull=False, relation__isnull=True))
    suspects = {i.group_id for i in involvements if i.role == Involvement.Role.SUSPECT}
    victims = {i.group_id for i in involvements if i.role == Involvement.Role.VICTIM}
    if not suspects or not victims:
        return
    conflicts = GroupRelation.objects.filter(
        site_id=incident.site_id, type=GroupRelation.Type.CONFLICT, deactivated_at__isnull=True
    ).filter(
        Q(group_a_id__in=suspects, group_b_id__in=victims)
        | Q(group_a_id__in=victims, group_b_id__in=suspects)
    )
    conflict = conflicts.order_by("-intensity").first()
    if conflict is None:
        return
    for involvement in involvements:
        if involvement.group_id in (conflict.group_a_id, conflict.group_b_id):
            involvement.relation = conflict
            involvement._history_user = user
            involvement.save(update_fields=["relation", "updated_at"])


def _note_evidence(relation: GroupRelation | None, incident: Incident, user) -> None:
    on_date = incident.occurred_at.date()
    if relation is not None and (relation.last_evidence is None or relation.last_evidence < on_date):
        relation.last_evidence = on_date
        relation._history_user = user
        relation._change_reason = f"incident {incident.pk}"
        relation.save(update_fields=["last_evidence", "updated_at"])


@transaction.atomic
def code_involvement(user, incident: Incident, data: dict) -> Involvement:
    """Record who (group and/or person) was involved in an incident, applying the attribution rules."""
    membership = creating_membership(user, Involvement, incident.site_id)
    involvement = Involvement(
        incident=incident, site_id=incident.site_id, owner_id=membership.organisation_id, **data
    )
    if involvement.person_id and granting_membership(user, involvement.person, "view") is None:
        raise PermissionDenied(_("Du kan inte koppla en person som du inte får se."))
    _attribute(involvement)
    _check(involvement)
    involvement._history_user = user
    involvement.full_clean()
    involvement.save()
    _link_conflict(incident, user)
    involvement.refresh_from_db()
    _note_evidence(involvement.relation, incident, user)
    _propose_sanctions(incident)
    return involvement


def _propose_sanctions(incident: Incident) -> None:
    """Group involvement proposes a sanction episode for the group (decided by people, within a deadline)."""
    from gvi.sanctions.services import propose_episodes  # imported here: sanctions builds on incidents

    propose_episodes(incident)


@transaction.atomic
def update_involvement(user, involvement: Involvement, changes: dict, expected_version: int) -> Involvement:
    _require(user, involvement)
    for field, value in changes.items():
        setattr(involvement, field, value)
    _check(involvement)
    saved = save_versioned(involvement, expected_version, user=user)
    _note_evidence(saved.relation, saved.incident, user)
    _propose_sanctions(saved.incident)
    return saved


def group_involved(incident: Incident) -> bool:
    """The police definition used by later measures: a group member confirmed or suspected as involved."""
    return incident.involvements.filter(group__isnull=False, member_status__in=GROUP_INVOLVED).exists()
