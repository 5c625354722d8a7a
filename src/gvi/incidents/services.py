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

import copy
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from gvi.access.permissions import CHANGE
from gvi.access.services import granting_membership, save_versioned
from gvi.groups.models import Confidence, GroupMembership, GroupRelation
from gvi.groups.services import creating_membership
from gvi.incidents import consequences
from gvi.incidents.models import Incident, Involvement
from gvi.operations import recompute

BATCH_SIZE = 1000  # rows per INSERT in the batched path
# Foreign keys the batched path does not look up again in full_clean: the caller passes the membership
# (site, owner), loaded objects (group, person) or records created in the same batch (incident).
PREPARED_FKS = ["site", "owner", "incident", "person", "group", "relation"]


def _require(user, record, action=CHANGE):
    if granting_membership(user, record, action) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))


def _resolve_area(data: dict, site_id: int) -> dict:
    """An area given by name (the API) becomes the site's Area of that name or alias; unknown is refused."""
    text = data.get("area")
    if not isinstance(text, str):
        return data
    data = {**data, "area": None}
    if text.strip():
        from gvi.partnership.selectors import AreaMatcher

        matcher = AreaMatcher(site_id)
        data["area"] = matcher.match(text)
        if data["area"] is None:
            message = matcher.unknown_message(text)
            raise ValidationError({"area": message[:1].upper() + message[1:] + "."})
    return data


@transaction.atomic
def register_incident(user, data: dict, site_id: int | None = None) -> Incident:
    membership = creating_membership(user, Incident, site_id)
    data = _resolve_area(data, membership.site_id)
    if data.get("area") is not None and not data["area"].is_active:
        raise ValidationError(
            {"area": _("Området används inte längre. Välj ett av platsens aktiva områden.")}
        )
    incident = Incident(**data, site_id=membership.site_id, owner_id=membership.organisation_id)
    incident._history_user = user
    incident.full_clean()
    incident.save()
    recompute.request(recompute.RISK, incident.site_id)
    return incident


@transaction.atomic
def update_incident(user, incident: Incident, changes: dict, expected_version: int) -> Incident:
    _require(user, incident)
    changes = _resolve_area(changes, incident.site_id)
    if changes.get("area") is not None and changes["area"] != incident.area and not changes["area"].is_active:
        raise ValidationError(
            {"area": _("Området används inte längre. Välj ett av platsens aktiva områden.")}
        )
    for field, value in changes.items():
        setattr(incident, field, value)
    saved = save_versioned(incident, expected_version, user=user)
    recompute.request(recompute.RISK, saved.site_id)
    return saved


def current_memberships(person, on_date):
    """Approved memberships only (four eyes): a proposal never attributes an incident to a group."""
    return (
        GroupMembership.unscoped_all_sites.in_force()
        .filter(person=person, deactivated_at__isnull=True, valid_from__lte=on_date)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
    )


def _attribute(involvement: Involvement) -> None:
    """Fill in what the attribution rules derive; leave what the analyst chose explicitly."""
    incident = involvement.incident
    on_date = timezone.localtime(incident.occurred_at).date()
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
    if involvement.member_status in Involvement.GROUP_INVOLVED_STATUSES and not involvement.group_id:
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
    conflicts = GroupRelation.unscoped_all_sites.filter(
        site_id=incident.site_id, type=GroupRelation.Type.CONFLICT, deactivated_at__isnull=True
    ).filter(
        Q(group_a_id__in=suspects, group_b_id__in=victims)
        | Q(group_a_id__in=victims, group_b_id__in=suspects)
    )
    conflict = conflicts.order_by("-intensity", "pk").first()
    if conflict is None:
        return
    for involvement in involvements:
        if involvement.group_id in (conflict.group_a_id, conflict.group_b_id):
            involvement.relation = conflict
            involvement._history_user = user
            involvement.save(update_fields=["relation", "updated_at"])


def _note_evidence(relation: GroupRelation | None, incident: Incident, user) -> None:
    on_date = timezone.localtime(incident.occurred_at).date()
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
    consequences.propose_sanctions(incident)
    recompute.request(recompute.RISK, incident.site_id)
    return involvement


@transaction.atomic
def update_involvement(user, involvement: Involvement, changes: dict, expected_version: int) -> Involvement:
    _require(user, involvement)
    for field, value in changes.items():
        setattr(involvement, field, value)
    _check(involvement)
    saved = save_versioned(involvement, expected_version, user=user)
    _note_evidence(saved.relation, saved.incident, user)
    consequences.propose_sanctions(saved.incident)
    recompute.request(recompute.RISK, saved.site_id)
    return saved


def group_involved(incident: Incident) -> bool:
    """The police definition used by later measures: a group member confirmed or suspected as involved."""
    return incident.involvements.filter(Involvement.group_involved_q()).exists()


# ----- the batched path (imports): the same checks and rules, written with a few bulk statements -----
#
# `prepare_incident` and `prepare_involvement` run every check of `register_incident` and
# `code_involvement` without writing; `save_prepared` then writes what they prepared exactly as calling
# `register_incident` and `code_involvement` row after row would leave it: the same records and values,
# the same conflict links and latest-evidence dates (the attribution rules are replayed in memory in the
# same order), a history row for every version the one-by-one path writes, and the same sanction
# proposals.


def prepare_incident(data: dict, membership) -> Incident:
    """The incident `register_incident` would create through `membership`, validated but not saved."""
    incident = Incident(**data, site_id=membership.site_id, owner_id=membership.organisation_id)
    # the membership's site and organisation exist; the area is one the importer loaded for the site
    incident.full_clean(exclude=["site", "owner", "area"])
    return incident


def prepare_involvement(user, incident: Incident, data: dict, membership) -> Involvement:
    """The involvement `code_involvement` would create (before conflict linking), validated, not saved.

    `membership` is `creating_membership(user, Involvement, incident.site_id)`; `data` holds loaded
    group / person objects. `incident` may be unsaved (it is saved with the batch).
    """
    involvement = Involvement(
        incident=incident, site_id=incident.site_id, owner_id=membership.organisation_id, **data
    )
    if involvement.person_id and granting_membership(user, involvement.person, "view") is None:
        raise PermissionDenied(_("Du kan inte koppla en person som du inte får se."))
    _attribute(involvement)
    _check(involvement)
    involvement.full_clean(exclude=PREPARED_FKS)
    return involvement


def _conflict_for(involvements: list[Involvement], conflicts_by_group: dict) -> GroupRelation | None:
    """`_link_conflict`'s choice for the unlinked involvements of one incident (in memory)."""
    suspects = {i.group_id for i in involvements if i.role == Involvement.Role.SUSPECT}
    victims = {i.group_id for i in involvements if i.role == Involvement.Role.VICTIM}
    if not suspects or not victims:
        return None
    candidates = [
        conflict
        for group_id in suspects
        for conflict in conflicts_by_group.get(group_id, ())
        if (conflict.group_a_id in suspects and conflict.group_b_id in victims)
        or (conflict.group_a_id in victims and conflict.group_b_id in suspects)
    ]
    # The strongest conflict, as `order_by("-intensity", "pk").first()`: equal intensities, the oldest.
    return max(candidates, key=lambda conflict: (conflict.intensity, -conflict.pk), default=None)


def _replay_attribution(prepared, site_id: int, user):
    """Replay `_link_conflict` and `_note_evidence` in coding order, in memory.

    Sets `relation` on the involvements; returns the involvements linked (each gets a second history
    version, as the one-by-one path saves it again) and the latest-evidence changes in order as
    (relation, date, incident).
    """
    conflicts_by_group: dict[int, list[GroupRelation]] = {}
    conflicts = GroupRelation.unscoped_all_sites.filter(
        site_id=site_id, type=GroupRelation.Type.CONFLICT, deactivated_at__isnull=True
    )
    for conflict in conflicts:
        for group_id in {conflict.group_a_id, conflict.group_b_id}:
            conflicts_by_group.setdefault(group_id, []).append(conflict)
    evidence = {}  # relation pk -> its latest evidence so far
    linked, evidence_changes = [], []
    for incident, involvements in prepared:
        on_date = timezone.localtime(incident.occurred_at).date()
        for coded in range(1, len(involvements) + 1):
            unlinked = [i for i in involvements[:coded] if i.group_id is not None and i.relation_id is None]
            conflict = _conflict_for(unlinked, conflicts_by_group)
            if conflict is not None:
                for involvement in unlinked:
                    if involvement.group_id in (conflict.group_a_id, conflict.group_b_id):
                        involvement.relation = conflict
                        linked.append(involvement)
            relation = involvements[coded - 1].relation
            if relation is not None:
                latest = evidence.get(relation.pk, relation.last_evidence)
                if latest is None or latest < on_date:
                    evidence[relation.pk] = on_date
                    evidence_changes.append((relation, on_date, incident))
    return linked, evidence_changes


def _as_created(involvement: Involvement) -> Involvement:
    """The involvement as `code_involvement` first saves it: before it is linked to a conflict."""
    created = copy.copy(involvement)
    created.relation_id = None
    return created


@transaction.atomic
def save_prepared(user, prepared: list[tuple[Incident, list[Involvement]]]) -> None:
    """Write prepared incidents and their involvements as register_incident + code_involvement would."""
    incidents = [incident for incident, _involvements in prepared]
    bulk_create_with_history(
        incidents, Incident, batch_size=BATCH_SIZE, default_user=user, default_change_reason=None
    )
    site_ids = {incident.site_id for incident in incidents}
    for site_id in site_ids:
        recompute.request(recompute.RISK, site_id)
    linked, evidence_changes = [], []
    for site_id in site_ids:
        at_site = [
            (incident, involvements) for incident, involvements in prepared if incident.site_id == site_id
        ]
        site_linked, site_changes = _replay_attribution(at_site, site_id, user)
        linked += site_linked
        evidence_changes += site_changes

    involvements = [involvement for _incident, coded in prepared for involvement in coded]
    if involvements:
        Involvement.unscoped_all_sites.bulk_create(involvements, batch_size=BATCH_SIZE)
        history = Involvement.history
        history.bulk_history_create(
            [_as_created(i) for i in involvements],
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=None,
        )
        history.bulk_history_create(
            linked, batch_size=BATCH_SIZE, update=True, default_user=user, default_change_reason=None
        )

    if evidence_changes:
        now = timezone.now()
        versions, latest = [], {}
        for relation, on_date, incident in evidence_changes:
            version = copy.copy(relation)
            version.last_evidence = on_date
            version.updated_at = now
            version._history_user = user
            version._change_reason = f"incident {incident.pk}"
            versions.append(version)
            latest[relation.pk] = (relation, on_date)
        for relation, on_date in latest.values():
            relation.last_evidence = on_date
            relation.updated_at = now
        GroupRelation.unscoped_all_sites.bulk_update(
            [relation for relation, _on_date in latest.values()],
            ["last_evidence", "updated_at"],
            batch_size=BATCH_SIZE,
        )
        GroupRelation.history.bulk_history_create(
            versions, batch_size=BATCH_SIZE, update=True, default_user=user
        )

    # Sanction proposals: only incidents inside the proposal window propose anything (propose_episodes
    # checks again); a day's margin so that none is left out by the clock moving on.
    since = timezone.now() - timedelta(days=consequences.proposal_window_days() + 1)
    for incident, coded in prepared:
        if coded and incident.occurred_at >= since:
            consequences.propose_sanctions(incident)
