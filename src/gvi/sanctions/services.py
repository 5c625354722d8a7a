"""Writes of sanction episodes, actions and announced rules: one function per business action,
transactional, versioned (optimistic locking) and scoped by the access table.

The proposal rule (`propose_episodes`) runs after an incident's involvement is coded: every group
involved on the perpetrator side with confirmed or suspected membership gets a proposed episode with a
decision deadline, unless it already has a proposed or running one (then the incident is added to it).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.permissions import CHANGE, VIEW
from gvi.access.services import EditConflict, granting_membership, remove_record, save_versioned
from gvi.groups.models import Group
from gvi.groups.services import creating_membership
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import is_active_member
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode

DEFAULT_DECISION_HOURS = 48
# Incidents coded more than this long after they happened (e.g. historical imports) propose nothing.
PROPOSAL_WINDOW_DAYS = 30
# Involvement roles that make a group answerable: the victim's group is not sanctioned for being hit.
ANSWERABLE_ROLES = (Involvement.Role.SUSPECT, Involvement.Role.OTHER)


def decision_hours() -> int:
    """Hours from the triggering incident to the decision deadline (setting GVI_SANCTION_DECISION_HOURS)."""
    return int(getattr(settings, "GVI_SANCTION_DECISION_HOURS", DEFAULT_DECISION_HOURS))


def decision_deadline(incident: Incident):
    return incident.occurred_at + timedelta(hours=decision_hours())


def sanctionable_groups(incident: Incident) -> list[Group]:
    """Groups involved in `incident` on the perpetrator side with confirmed or suspected membership."""
    group_ids = (
        incident.involvements.filter(Involvement.group_involved_q(), role__in=ANSWERABLE_ROLES)
        .values_list("group_id", flat=True)
        .distinct()
    )
    return list(
        Group.unscoped_all_sites.filter(pk__in=list(group_ids), site_id=incident.site_id).order_by("name")
    )


def _require(user, record, action: str = CHANGE) -> None:
    if granting_membership(user, record, action) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))


def may_lead(user, episode: SanctionEpisode) -> bool:
    """Deciding on and closing an episode is the partnership's lead: the coordinator at the site, or a
    member of the organisation that owns the episode who may change it. Other partners (e.g. another
    authority with an analyst's role) report their own actions but do not decide for the partnership."""
    from gvi.partnership.models import Role

    membership = granting_membership(user, episode, CHANGE)
    if membership is None:
        return False
    return (
        user.memberships.active().filter(site_id=episode.site_id, role=Role.COORDINATOR).exists()
        or user.memberships.active()
        .filter(site_id=episode.site_id, organisation_id=episode.owner_id)
        .exists()
    )


def _require_lead(user, episode: SanctionEpisode) -> None:
    if not may_lead(user, episode):
        raise PermissionDenied(
            _("Beslut om och avslut av episoden fattas av samordnaren eller den organisation som äger den.")
        )


def _check_version(record, expected_version) -> None:
    current = type(record)._base_manager.filter(pk=record.pk).values_list("version", flat=True).first()
    if current is None or current != expected_version:
        raise EditConflict(record, expected_version)


def _locked(record):
    """A fresh copy of `record`, locked for the rest of the transaction."""
    return type(record)._base_manager.select_for_update().get(pk=record.pk)


def _apply(record, changes: dict) -> None:
    for name, value in changes.items():
        setattr(record, name, value)


def _create(user, record, site_id: int | None = None):
    membership = creating_membership(user, type(record), site_id)
    record.site_id = membership.site_id
    record.owner_id = membership.organisation_id
    record._history_user = user
    record.full_clean()
    record.save()
    return record


# ----- the proposal rule -----


@transaction.atomic
def propose_episodes(incident: Incident, now=None) -> list[SanctionEpisode]:
    """Propose an episode for every answerable group of `incident`; return the new proposals.

    - a group with a proposed or running episode gets no second one: the incident joins that episode;
    - the decision deadline is the incident's time plus GVI_SANCTION_DECISION_HOURS (default 48);
    - incidents that happened more than PROPOSAL_WINDOW_DAYS ago propose nothing (late coding, imports).
    """
    now = now or timezone.now()
    if incident.occurred_at < now - timedelta(days=PROPOSAL_WINDOW_DAYS):
        return []
    created = []
    for group in sanctionable_groups(incident):
        active = (
            SanctionEpisode.unscoped_all_sites.select_for_update()
            .filter(group=group, status__in=SanctionEpisode.ACTIVE_STATUSES)
            .first()
        )
        if active is None:
            episode = SanctionEpisode(
                site_id=incident.site_id,
                owner_id=incident.owner_id,
                group=group,
                status=SanctionEpisode.Status.PROPOSED,
                proposed_at=now,
                decision_deadline=decision_deadline(incident),
            )
            episode._change_reason = f"proposed after incident {incident.pk}"
            try:
                with transaction.atomic():
                    episode.full_clean()
                    episode.save()
            except (IntegrityError, ValidationError):
                # Someone proposed one for the group in the meantime: join it instead.
                active = SanctionEpisode.unscoped_all_sites.filter(
                    group=group, status__in=SanctionEpisode.ACTIVE_STATUSES
                ).first()
                if active is None:
                    raise
            else:
                created.append(episode)
                active = episode
        active.trigger_incidents.add(incident)
    return created


# ----- episodes -----


def _check_triggers(group: Group, incidents) -> list[Incident]:
    incidents = list(incidents)
    if not incidents:
        raise ValidationError({"trigger_incidents": _("Välj minst en utlösande incident.")})
    if any(incident.site_id != group.site_id for incident in incidents):
        raise ValidationError({"trigger_incidents": _("Incidenterna måste höra till gruppens plats.")})
    return incidents


@transaction.atomic
def create_episode(user, group: Group, trigger_incidents, decision_note: str = "") -> SanctionEpisode:
    """Propose an episode by hand (e.g. from the weekly review). The deadline follows the earliest trigger."""
    incidents = _check_triggers(group, trigger_incidents)
    first = min(incidents, key=lambda incident: incident.occurred_at)
    episode = SanctionEpisode(
        group=group,
        status=SanctionEpisode.Status.PROPOSED,
        decision_deadline=decision_deadline(first),
        decision_note=decision_note,
    )
    _create(user, episode, group.site_id)
    episode.trigger_incidents.set(incidents)
    return episode


@transaction.atomic
def update_episode(
    user,
    episode: SanctionEpisode,
    changes: dict,
    expected_version: int,
    trigger_incidents=None,
    communications=None,
) -> SanctionEpisode:
    """Change an episode's details (not its status: see decide_episode and close_episode)."""
    _require(user, episode)
    changes = {k: v for k, v in changes.items() if k not in {"status", "group", "decided_at", "decided_by"}}
    _apply(episode, changes)
    saved = save_versioned(episode, expected_version, user=user)
    if trigger_incidents is not None and episode.group_id:
        saved.trigger_incidents.set(_check_triggers(episode.group, trigger_incidents))
    if communications is not None:
        set_communications(saved, communications)
    return saved


@transaction.atomic
def decide_episode(
    user,
    episode: SanctionEpisode,
    expected_version: int,
    *,
    run: bool,
    start_date=None,
    planned_end_date=None,
    announced_rule: AnnouncedRule | None = None,
    note: str = "",
) -> SanctionEpisode:
    """Record the decision on a proposal: run the episode (from `start_date`) or dismiss it."""
    _require_lead(user, episode)
    _check_version(episode, expected_version)
    episode = _locked(episode)  # the caller's object stays as it was if the decision is refused
    if episode.status != SanctionEpisode.Status.PROPOSED:
        raise ValidationError(_("Beslutet är redan fattat."))
    episode.decided_at = timezone.now()
    episode.decided_by = user
    episode.decision_note = note or episode.decision_note
    if run:
        from gvi.sanctions.selectors import applicable_rule

        episode.status = SanctionEpisode.Status.OPEN
        episode.start_date = start_date or timezone.localdate()
        episode.planned_end_date = planned_end_date
        episode.announced_rule = announced_rule or applicable_rule(episode)
    else:
        if not (note or "").strip():
            raise ValidationError({"note": _("Motivera varför ni avstår.")})
        episode.status = SanctionEpisode.Status.DISMISSED
    return save_versioned(episode, expected_version, user=user)


@transaction.atomic
def close_episode(
    user,
    episode: SanctionEpisode,
    expected_version: int,
    *,
    end_date=None,
    end_reason: str,
    end_note: str = "",
    communications=None,
) -> SanctionEpisode:
    """Close a running episode with a reason; link the communication back that followed it."""
    _require_lead(user, episode)
    _check_version(episode, expected_version)
    episode = _locked(episode)
    if episode.status != SanctionEpisode.Status.OPEN:
        raise ValidationError(_("Endast en pågående episod kan avslutas."))
    episode.status = SanctionEpisode.Status.CLOSED
    episode.end_date = end_date or timezone.localdate()
    episode.end_reason = end_reason
    episode.end_note = end_note
    saved = save_versioned(episode, expected_version, user=user)
    if communications is not None:
        set_communications(saved, communications)
    return saved


def set_communications(episode: SanctionEpisode, communications) -> None:
    """Link the communications back that told the groups why this happened (same site only)."""
    communications = list(communications)
    if any(item.site_id != episode.site_id for item in communications):
        raise ValidationError({"communications": _("Återkopplingen hör till en annan plats.")})
    episode.communications.set(communications)


# ----- actions -----


def _check_responsible(action: SanctionAction) -> None:
    if action.responsible_id and not is_active_member(action.responsible_id, action.site_id, action.owner_id):
        raise ValidationError(
            {"responsible": _("Den ansvariga måste vara aktiv medlem i din organisation på platsen.")}
        )


@transaction.atomic
def create_action(user, episode: SanctionEpisode, data: dict) -> SanctionAction:
    """An organisation adds one of its levers to an episode; it owns the action."""
    if granting_membership(user, episode, VIEW) is None:
        raise PermissionDenied(_("Du får inte se den här episoden."))
    membership = creating_membership(user, SanctionAction, episode.site_id)
    if not episode.is_active:
        raise ValidationError(_("Åtgärder kan bara läggas till föreslagna eller pågående episoder."))
    action = SanctionAction(
        **data, episode=episode, site_id=membership.site_id, owner_id=membership.organisation_id
    )
    _check_responsible(action)
    action._history_user = user
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def update_action(user, action: SanctionAction, changes: dict, expected_version: int) -> SanctionAction:
    """Only the owning organisation updates its action (status, dates, results)."""
    _require(user, action)
    responsible_changed = "responsible" in changes and changes["responsible"] != action.responsible
    _apply(action, {k: v for k, v in changes.items() if k not in {"episode", "owner", "site"}})
    if responsible_changed:
        _check_responsible(action)
    return save_versioned(action, expected_version, user=user)


@transaction.atomic
def remove_action(user, action: SanctionAction, expected_version: int) -> None:
    remove_record(user, action, expected_version)


# ----- announced rules -----


def _check_rule_groups(rule: AnnouncedRule, groups) -> list[Group]:
    groups = list(groups or [])
    if any(group.site_id != rule.site_id for group in groups):
        raise ValidationError({"groups": _("Grupperna måste höra till samma plats som budskapet.")})
    return groups


@transaction.atomic
def create_rule(user, data: dict, groups=None, site_id: int | None = None) -> AnnouncedRule:
    rule = _create(user, AnnouncedRule(**data), site_id)
    rule.groups.set(_check_rule_groups(rule, groups))
    return rule


@transaction.atomic
def update_rule(
    user, rule: AnnouncedRule, changes: dict, expected_version: int, groups=None
) -> AnnouncedRule:
    _require(user, rule)
    _apply(rule, changes)
    saved = save_versioned(rule, expected_version, user=user)
    if groups is not None:
        saved.groups.set(_check_rule_groups(saved, groups))
    return saved
