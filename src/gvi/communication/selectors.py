"""Reads of direct communication. Every query of records starts from `visible_to(user)`.

Counts that cross organisations (how many invitations a call-in has in total, whether a group's members
had a notification recently) are group- or event-level aggregates and never name a person; they are
documented where they are computed.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from gvi.access.decorators import user_roles
from gvi.access.permissions import CHANGE, VIEW, role_may
from gvi.communication.models import (
    CallIn,
    CallInChecklistItem,
    CallInInvitation,
    CommunicationBack,
    Notification,
)
from gvi.groups.models import Group, GroupMembership, Person
from gvi.incidents.models import Incident, Involvement

logger = logging.getLogger(__name__)

SUGGESTION_INCIDENT_DAYS = 30  # incidents this recent suggest a notification ...
SUGGESTION_QUIET_DAYS = 90  # ... to a group none of whose members had one in this many days

CALL_IN = "communication.callin"
INVITATION = "communication.callininvitation"
NOTIFICATION = "communication.notification"
COMMUNICATION_BACK = "communication.communicationback"


def may(user, record_type: str, action: str = VIEW) -> bool:
    return any(role_may(role, record_type, action) for role in user_roles(user))


def sees_person_contacts(user) -> bool:
    """Whether the user's role may see invitations and notifications at all (never the community partner)."""
    return may(user, INVITATION) or may(user, NOTIFICATION)


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# ----- call-ins -----


def call_ins_for(user, status: str = "", when: str = ""):
    call_ins = CallIn.objects.visible_to(user).select_related("site", "owner")
    if status:
        call_ins = call_ins.filter(status=status)
    now = timezone.now()
    if when == "kommande":
        call_ins = call_ins.filter(starts_at__gte=now).order_by("starts_at")
    elif when == "tidigare":
        call_ins = call_ins.filter(starts_at__lt=now)
    return call_ins.prefetch_related("target_groups")


def home_summary(user) -> dict | None:
    """What a start page shows of direct communication (template communication/_home.html); None for
    roles that see no call-ins. Person contacts appear only as the user's own counts."""
    if not may(user, CALL_IN):
        return None
    call_ins = (
        CallIn.objects.visible_to(user)
        .filter(status=CallIn.Status.PLANNED, starts_at__gte=start_of(timezone.localdate()))
        .annotate(open_items=Count("checklist", filter=Q(checklist__done=False)))
        .order_by("starts_at")[:5]
    )
    contacts = sees_person_contacts(user)
    return {
        "call_ins": list(call_ins),
        "my_items": my_checklist_items(user),
        "follow_ups": CallInInvitation.objects.visible_to(user)
        .filter(attended=CallInInvitation.Attendance.NO, follow_up_done=False)
        .count()
        if contacts
        else None,
        "planned_notifications": Notification.objects.visible_to(user)
        .filter(outcome=Notification.Outcome.PLANNED)
        .count()
        if contacts
        else None,
        "may_suggest": may(user, NOTIFICATION, "create"),
        "today": timezone.localdate(),
    }


def my_checklist_items(user) -> list[CallInChecklistItem]:
    """Open preparations of planned call-ins that the user's organisations are responsible for.

    This is the community partner's "own tasks" in direct communication (and everyone else's)."""
    visible = CallIn.objects.visible_to(user).filter(status=CallIn.Status.PLANNED)
    organisation_ids = list(
        user.memberships.active().filter(site__isnull=False).values_list("organisation_id", flat=True)
    )
    return list(
        CallInChecklistItem.objects.filter(
            call_in__in=visible, responsible_id__in=organisation_ids, done=False
        )
        .select_related("call_in", "responsible")
        .order_by("due_date", "call_in__starts_at", "order")
    )


def invitations_of(user, call_in: CallIn):
    """The invitations to `call_in` that the user may see (their organisation's, or disclosed)."""
    return (
        CallInInvitation.objects.visible_to(user)
        .filter(call_in=call_in)
        .select_related("person", "owner")
        .order_by("person__alias")
    )


@dataclass(frozen=True)
class InvitationCounts:
    invited: int
    attended: int
    absent: int
    unknown: int


def invitation_counts(call_in: CallIn) -> InvitationCounts:
    """How many are invited / came, over every organisation's invitations: a count, no person.

    Shown only to roles that may see person contacts (the coordinator plans chairs and follow-up)."""
    counts = CallInInvitation.unscoped_all_sites.filter(call_in=call_in).aggregate(
        n_invited=Count("pk"),
        n_attended=Count("pk", filter=Q(attended=CallInInvitation.Attendance.YES)),
        n_absent=Count("pk", filter=Q(attended=CallInInvitation.Attendance.NO)),
        n_unknown=Count("pk", filter=Q(attended=CallInInvitation.Attendance.UNKNOWN)),
    )
    return InvitationCounts(**{key[2:]: value for key, value in counts.items()})


def persons_to_invite(user, call_in: CallIn):
    """Persons the user may see at the call-in's site, not yet invited; target-group members first."""
    invited = CallInInvitation.unscoped_all_sites.filter(call_in=call_in).values("person_id")
    persons = (
        Person.objects.visible_to(user)
        .filter(site_id=call_in.site_id, deactivated_at__isnull=True)
        .exclude(pk__in=invited)
    )
    return persons.order_by("alias")


@dataclass
class EmptyPicker:
    """Why a person picker is empty, and whom to ask: the access rules show a user only the persons their
    organisation owns or has had disclosed. `hidden_members` says whether the group (if any) has active
    members the user does not see (a group-level fact: the group page counts its members too)."""

    organisation: str
    group: Group | None = None
    group_owner: str = ""
    owners: list[str] = field(default_factory=list)
    hidden_members: bool = True


def empty_picker(user, persons, site_id: int, group: Group | None = None, call_in: CallIn | None = None):
    """An EmptyPicker when `persons` (a picker's choices) is empty, else None."""
    if persons.exists():
        return None
    membership = user.memberships.active().filter(site_id=site_id).select_related("organisation").first()
    found = EmptyPicker(organisation=membership.organisation.name if membership else "")
    if group is not None:
        found.group = group
        found.group_owner = group.owner.name
        found.hidden_members = active_memberships().filter(group=group).exists()
    elif call_in is not None:
        found.owners = sorted({g.owner.name for g in call_in.target_groups.select_related("owner")})
    return found


# ----- notifications -----


def notifications_for(user, outcome: str = "", query: str = "", group_id: int | None = None):
    notifications = Notification.objects.visible_to(user).select_related("person", "owner")
    if outcome:
        notifications = notifications.filter(outcome=outcome)
    if query:
        notifications = notifications.filter(person__alias__icontains=query)
    if group_id:
        notifications = notifications.filter(
            person__memberships__group_id=group_id, person__memberships__deactivated_at__isnull=True
        ).distinct()
    return notifications.order_by("-date", "-pk")


def persons_for_notification(user, group_id: int | None = None, today: date | None = None):
    """Persons the user may see and plan a notification for; optionally the active members of a group."""
    persons = Person.objects.visible_to(user).filter(deactivated_at__isnull=True)
    if group_id:
        persons = persons.filter(
            pk__in=active_memberships(today).filter(group_id=group_id).values("person_id")
        )
    return persons.order_by("alias")


def contacts_of_person(user, person: Person) -> dict:
    """The person's invitations and notifications the user may see (for the person page)."""
    return {
        "invitations": CallInInvitation.objects.visible_to(user)
        .filter(person=person)
        .select_related("call_in")
        .order_by("-call_in__starts_at"),
        "notifications": Notification.objects.visible_to(user).filter(person=person).order_by("-date", "-pk"),
    }


def visible_repeat_of(user, notification: Notification) -> Notification | None:
    """The earlier notification this one repeats, if the user may see it (it may be another org's)."""
    if not notification.repeat_of_id:
        return None
    return Notification.objects.visible_to(user).filter(pk=notification.repeat_of_id).first()


def active_memberships(today: date | None = None):
    """Current, non-deactivated memberships: the 'active members' of reach and suggestions. Unscoped:
    callers restrict it (visible_to) or use it only for group-level counts."""
    today = today or timezone.localdate()
    # Approved entries only (four eyes): a proposal is nobody's "active member" in reach or statistics.
    return (
        GroupMembership.unscoped_all_sites.in_force()
        .filter(deactivated_at__isnull=True, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    )


# ----- suggestions -----


@dataclass
class NotificationSuggestion:
    """A group the partnership may want to notify. Group level only: no person is ever scored here."""

    group: Group
    risk_reason: str = ""
    excess_ratio: float | None = None
    incidents: list = field(default_factory=list)
    members: int = 0
    last_notification: date | None = None

    @property
    def at_raised_risk(self) -> bool:
        return self.excess_ratio is not None


def _risk_suggestions(user, now=None) -> list:
    """gvi.incidents.risk.suggested_notifications, or [] when the risk model is unavailable or fails."""
    try:
        from gvi.incidents.risk import suggested_notifications
    except (ImportError, AttributeError):
        return []
    try:
        return list(suggested_notifications(user) or [])  # the worker's latest picture, not `now`
    except Exception:  # the page must load without the model, as the weekly agenda does
        logger.exception("suggested_notifications failed; suggestions without risk alerts")
        return []


def notification_suggestions(user, today: date | None = None, now: datetime | None = None):
    """Groups to consider for custom notifications, most urgent first.

    - groups at raised retaliation risk (gvi.incidents.risk.suggested_notifications), and
    - groups with a confirmed or suspected involvement in an incident of the last
      SUGGESTION_INCIDENT_DAYS days, none of whose active members had a notification (of any outcome,
      planned ones included, also when planned for a later day) in the last SUGGESTION_QUIET_DAYS days.

    Incidents come from what the user may see; which groups an incident involves and whether a group's
    members had a notification are group-level facts read across organisations (as the weekly agenda
    reads them), so that two partners do not plan the same visit. No person is listed or scored.
    """
    today = today or timezone.localdate()
    found: dict[int, NotificationSuggestion] = {}
    for suggestion in _risk_suggestions(user, now):
        group = suggestion.group
        entry = found.setdefault(group.pk, NotificationSuggestion(group=group))
        entry.excess_ratio = float(getattr(suggestion, "excess_ratio", 0.0) or 0.0)
        entry.risk_reason = str(getattr(suggestion, "reason", "") or "")

    visible_groups = Group.objects.visible_to(user).exclude(status=Group.Status.DISSOLVED)
    recent = Incident.objects.visible_to(user).filter(
        occurred_at__gte=start_of(today - timedelta(days=SUGGESTION_INCIDENT_DAYS))
    )
    involvements = (
        Involvement.unscoped_all_sites.filter(
            incident__in=recent,
            group__in=visible_groups,
            member_status__in=Involvement.GROUP_INVOLVED_STATUSES,
        )
        .select_related("incident__area", "group")
        .order_by("-incident__occurred_at")
    )
    by_group: dict[int, tuple[Group, list]] = {}
    for involvement in involvements:
        group, incidents = by_group.setdefault(involvement.group_id, (involvement.group, []))
        if involvement.incident not in incidents:
            incidents.append(involvement.incident)

    group_ids = set(found) | set(by_group)
    pairs = list(
        active_memberships(today).filter(group_id__in=group_ids).values_list("group_id", "person_id")
    )
    member_sets: dict[int, set[int]] = {}
    for group_id, person_id in pairs:
        member_sets.setdefault(group_id, set()).add(person_id)
    last_by_person = dict(
        Notification.unscoped_all_sites.filter(person_id__in={p for _g, p in pairs})
        .order_by()
        .values("person_id")
        .annotate(last=Max("date"))
        .values_list("person_id", "last")
    )
    last_by_group = {
        group_id: max((last_by_person[p] for p in persons if p in last_by_person), default=None)
        for group_id, persons in member_sets.items()
    }
    quiet_since = today - timedelta(days=SUGGESTION_QUIET_DAYS)

    for group_id, (group, incidents) in by_group.items():
        last = last_by_group.get(group_id)
        if group_id not in found and last is not None and last >= quiet_since:
            continue  # notified recently enough
        entry = found.setdefault(group_id, NotificationSuggestion(group=group))
        entry.incidents = incidents
    for group_id, entry in found.items():
        entry.members = len(member_sets.get(group_id, ()))
        entry.last_notification = last_by_group.get(group_id)
    return sorted(
        found.values(),
        key=lambda s: (
            not s.at_raised_risk,
            -(s.excess_ratio or 0.0),
            -(s.incidents[0].occurred_at.timestamp() if s.incidents else 0),
            s.group.name.lower(),
        ),
    )


# ----- communicating back -----


def communications_back_for(user, group_id: int | None = None):
    records = (
        CommunicationBack.objects.visible_to(user)
        .select_related("owner", "refers_to_incident", "call_in", "refers_to_type")
        .prefetch_related("audience_groups")
    )
    if hasattr(CommunicationBack, "sanction_episodes"):  # the M2M gvi.sanctions adds from its side
        records = records.prefetch_related("sanction_episodes")
    if group_id:
        records = records.filter(audience_groups__id=group_id)
    return records.order_by("-date", "-pk")


def changeable_ids(user, model, records) -> set[int]:
    """The ids among `records` that the user may change (one query)."""
    ids = [record.pk for record in records]
    return set(model.objects.visible_to(user, CHANGE).filter(pk__in=ids).values_list("pk", flat=True))


def may_change(user, record) -> bool:
    from gvi.access.services import granting_membership

    return granting_membership(user, record, CHANGE) is not None
