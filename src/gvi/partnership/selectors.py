"""Reads of the governance cycle: meetings, agenda generation, decisions and tasks.

Meetings and tasks are partnership records, not person data: they belong to a site, not to one
organisation, so they are scoped by explicit role checks here instead of the compartment table:

- a meeting is visible to users with an active membership at its site as coordinator, analyst,
  caseworker or probation officer; steering-group meetings also to the site's steering group members;
- a task is visible to the same site roles, to every active member of its owning organisation at the site,
  to its responsible user, and (for tasks decided at a steering-group meeting) to steering group members.

The agenda of a weekly review is built from a list of *agenda providers*, each a function
``(site, since) -> list[AgendaEntry]``. Later modules (sanctions, custom notifications) register
theirs with ``register_agenda_provider`` from their AppConfig.ready(), without editing this module.

An agenda is frozen when the meeting opens, read by everyone who reads the meeting and printed in the
minutes, so it is built from what the partnership shares at the site, never from what the user who
generates it happens to see (a provider is not told who that is):
- a point without an audience is the partnership's: site-level records that every meeting role reads
  (incidents, groups, conflicts, sanction episodes, tasks) and, over person-level records (notifications,
  entries due for review), counts for the whole site with 1–4 shown as "1–4", as on *Räckvidd*;
- an organisation's own detail (its exact figures per group, its own actions) is a point with that
  organisation as `audience`: only its members at the site read it, on the meeting page. Meeting mode (the
  projector) and the minutes show the partnership's points only, and decisions are filed under them.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop as N_

from gvi.analysis.suppression import suppress
from gvi.importing.text import name_key
from gvi.partnership.agenda_text import Joined, Moment, Phrase, choice, label
from gvi.partnership.models import AgendaItem, Area, Meeting, Membership, Organisation, Role, Site, Task

logger = logging.getLogger(__name__)

# Roles that see every meeting and task at their site, and the roles that run meetings.
MEETING_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER})
STEERING_ROLES = frozenset({Role.STEERING_MEMBER})
RUNNER_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST})
# Roles that may hold tasks: every role that belongs to a site.
TASK_ROLES = MEETING_ROLES | STEERING_ROLES | {Role.COMMUNITY_PARTNER}

# Meetings whose agenda is generated from incidents, risk and follow-up. A steering group works on
# aggregate level: its agenda is written by hand, so no incident or group detail reaches it.
GENERATED_AGENDA_TYPES = (Meeting.Type.WEEKLY_REVIEW, Meeting.Type.EXTRA)

DEFAULT_LOOKBACK_DAYS = 14  # without an earlier held weekly review
RISK_WINDOW_DAYS = 30  # fallback: conflicts with incidents in this window (or since the last review)
REVIEW_HORIZON_DAYS = 14


def _site_ids(user, roles) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(
        user.memberships.active()
        .filter(role__in=list(roles), site__isnull=False)
        .values_list("site_id", flat=True)
    )


def runner_site_ids(user) -> set[int]:
    """Sites where `user` may create and run meetings (coordinator or analyst)."""
    return _site_ids(user, RUNNER_ROLES)


def runner_sites(user):
    return Site.objects.filter(pk__in=runner_site_ids(user))


def may_run(user, site_id: int) -> bool:
    return site_id in runner_site_ids(user)


# ----- meetings -----


def meetings_visible_to(user):
    """The meetings `user` may see: the single entry point for meeting pages."""
    full = _site_ids(user, MEETING_ROLES)
    steering = _site_ids(user, STEERING_ROLES)
    if not full and not steering:
        return Meeting.objects.none()
    return Meeting.objects.filter(
        Q(site_id__in=full) | Q(site_id__in=steering, type=Meeting.Type.STEERING_GROUP)
    ).select_related("site", "chair")


def upcoming_meetings(user):
    return meetings_visible_to(user).filter(status=Meeting.Status.PLANNED).order_by("starts_at", "pk")


def past_meetings(user):
    return meetings_visible_to(user).exclude(status=Meeting.Status.PLANNED).order_by("-starts_at", "-pk")


def agenda_of(meeting: Meeting):
    """The partnership's agenda: the points every reader of the meeting reads (also meeting mode and the
    minutes). An organisation's own points are read through `organisation_agenda`."""
    return (
        meeting.agenda_items.filter(audience__isnull=True)
        .select_related("content_type")
        .prefetch_related("decisions")
    )


def audience_ids(user, site_id: int) -> set[int]:
    """The organisations whose own agenda points `user` reads at the site: those the user works for there
    in a role that reads the meeting (each of those roles reads its organisation's person-level records)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(
        user.memberships.active()
        .filter(site_id=site_id, role__in=list(MEETING_ROLES))
        .values_list("organisation_id", flat=True)
    )


def organisation_agenda(user, meeting: Meeting) -> list[tuple[Organisation, list[AgendaItem]]]:
    """The meeting's points that hold the detail of the user's own organisations, per organisation."""
    items = (
        meeting.agenda_items.filter(audience_id__in=audience_ids(user, meeting.site_id))
        .select_related("audience")
        .order_by("audience__name", "order", "pk")
    )
    grouped: dict[int, tuple[Organisation, list[AgendaItem]]] = {}
    for item in items:
        grouped.setdefault(item.audience_id, (item.audience, []))[1].append(item)
    return list(grouped.values())


def decisions_of(meeting: Meeting):
    return meeting.decisions.select_related("agenda_item", "decided_by").prefetch_related(
        models.Prefetch("tasks", queryset=Task.objects.select_related("owner", "responsible", "group"))
    )


def tasks_of_meeting(meeting: Meeting):
    return (
        Task.objects.filter(decision__meeting=meeting)
        .select_related("owner", "responsible", "decision", "group")
        .order_by("due_date", "pk")
    )


def last_held_review(site, before: datetime | None = None, exclude_pk: int | None = None) -> Meeting | None:
    reviews = Meeting.objects.filter(
        site=site,
        type=Meeting.Type.WEEKLY_REVIEW,
        status__in=[Meeting.Status.HELD, Meeting.Status.CLOSED],
    )
    if before is not None:
        reviews = reviews.filter(starts_at__lt=before)
    if exclude_pk is not None:
        reviews = reviews.exclude(pk=exclude_pk)
    return reviews.order_by("-starts_at").first()


def agenda_since(site, meeting: Meeting | None = None, now: datetime | None = None) -> datetime:
    """Start of the period an agenda covers: the last held weekly review, or the last 14 days."""
    now = now or timezone.now()
    before = meeting.starts_at if meeting is not None else now
    previous = last_held_review(site, before=before, exclude_pk=meeting.pk if meeting else None)
    return previous.starts_at if previous else now - timedelta(days=DEFAULT_LOOKBACK_DAYS)


def organisations_at(site):
    return Organisation.objects.filter(sites=site).order_by("name")


def members_at(site, roles=None):
    """Active memberships at `site` (for choosing a chair or a responsible user)."""
    memberships = Membership.objects.active().filter(site=site).select_related("user", "organisation")
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return memberships.order_by("organisation__name", "user__last_name", "user__username")


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# ----- agenda generation -----


@dataclass
class AgendaEntry:
    """One generated agenda point before it is snapshotted into an AgendaItem."""

    kind: str
    title: object  # a str, or text read in the reader's language (gvi.partnership.agenda_text)
    summary: object = ""
    reference: models.Model | None = None  # what the point is about (stored as content type + id)
    weight: float = 0.0  # within a section, higher comes first (risk ratio)
    rank: int | None = None  # section; defaults from the kind
    data: dict = field(default_factory=dict)  # facts shown with the point (JSON-serialisable)
    audience: Organisation | None = None  # None: the partnership's point; else only this organisation's

    def sort_key(self) -> tuple:
        rank = self.rank if self.rank is not None else KIND_RANK.get(self.kind, 80)
        return (rank, -self.weight)


KIND_RANK = {
    AgendaItem.Kind.RISK: 10,
    AgendaItem.Kind.INCIDENT: 20,
    AgendaItem.Kind.SANCTION: 30,
    AgendaItem.Kind.NOTIFICATION: 40,
    AgendaItem.Kind.OVERDUE_TASK: 50,
    AgendaItem.Kind.REVIEW_DUE: 60,
    AgendaItem.Kind.MANUAL: 90,
}

AgendaProvider = Callable[..., list[AgendaEntry]]
# name -> provider, in registration order. Register a provider under an existing name to replace it.
AGENDA_PROVIDERS: dict[str, AgendaProvider] = {}


def register_agenda_provider(name: str, provider: AgendaProvider | None = None):
    """Add (or replace) an agenda provider: ``provider(site, since) -> list[AgendaEntry]``. It reads what
    the partnership at `site` shares (see the module docstring): points without an audience hold no exact
    count 1–4 over person-level records (use `site_count`), and an organisation's own detail goes into
    points with that organisation as audience.

    Usable directly or as a decorator: ``@register_agenda_provider("sanctions")``.
    """

    def add(function: AgendaProvider) -> AgendaProvider:
        AGENDA_PROVIDERS[name] = function
        return function

    return add(provider) if provider is not None else add


def _fmt_dt(value: datetime) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i")


def _fmt_date(value: date) -> str:
    return date_format(value, "Y-m-d")


SUPPRESSED = "1–4"


def site_count(count: int) -> str:
    """A count over every organisation's person-level records at the site, as the partnership reads it:
    1 to 4 is shown as "1–4" (the rule of *Räckvidd* and of the national tables)."""
    value = suppress(count)
    return SUPPRESSED if value is None else str(value)


def published_counts(counts: dict[str, int]) -> dict[str, int | None]:
    """`counts` as stored with a shared point: None where the count is 1–4."""
    return {key: suppress(value) for key, value in counts.items()}


def _load_retaliation_risk():
    """The risk model's picture of what a site's partnership shares, or None while gvi.incidents.risk
    does not exist."""
    try:
        from gvi.incidents.risk import shared_retaliation_risk
    except ImportError:
        return None
    return shared_retaliation_risk


def risk_alerts(site) -> list | None:
    """Raised alerts from the retaliation-risk model fitted to what the partnership at `site` shares (not
    to one organisation's coding of persons), most urgent first (the model's own order), or None when the
    model is not available, fails, or has too little data to say anything."""
    shared_retaliation_risk = _load_retaliation_risk()
    if shared_retaliation_risk is None:
        return None
    try:
        result = shared_retaliation_risk(site)
    except Exception:  # the meeting must go on: fall back to the conflict list
        logger.exception("retaliation_risk failed for site %s; using the conflict fallback", site.pk)
        return None
    if not getattr(result, "enough_data", True):
        return None
    return list(getattr(result, "alerts", None) or [])


def _group_facts(groups) -> list[dict]:
    return [{"id": group.pk, "name": group.name} for group in groups]


def _number(alert, *names) -> float:
    for name in names:
        value = getattr(alert, name, None)
        if value is not None:
            return float(value)
    return 0.0


def _risk_entries_from_alerts(alerts) -> list[AgendaEntry]:
    """One point per alert, in the model's order; `weight` keeps that order and ranks the incidents."""
    entries = []
    for position, alert in enumerate(alerts):
        groups = list(getattr(alert, "groups", None) or [])
        names = getattr(alert, "label", None) or " – ".join(group.name for group in groups)
        title = getattr(alert, "title", None) or Phrase(N_("Förhöjd risk: %(label)s"), label=names)
        ratio = _number(alert, "excess_ratio")
        expected = _number(alert, "expected_30d", "expected_30")
        relation = getattr(alert, "relation", None)
        entries.append(
            AgendaEntry(
                kind=AgendaItem.Kind.RISK,
                title=title,
                summary=getattr(alert, "explanation_text", None)
                or str(getattr(alert, "explanation", "") or ""),
                reference=relation or (groups[0] if groups else None),
                weight=float(len(alerts) - position),
                data={
                    "groups": _group_facts(groups),
                    "excess_ratio": round(ratio, 2),
                    "expected_30d": round(expected, 2),
                },
            )
        )
    return entries


def _conflict_fallback(site, since: datetime) -> list[AgendaEntry]:
    """Active conflicts with incidents involving either group, most recent incident first. Incidents and
    conflicts are site-level records; which groups an incident concerns is read as on the group page."""
    from gvi.groups.models import GroupRelation
    from gvi.incidents.models import Incident, Involvement

    window_start = min(since, timezone.now() - timedelta(days=RISK_WINDOW_DAYS))
    incidents = Incident.unscoped_all_sites.filter(site=site, occurred_at__gte=window_start)
    latest_by_group = dict(
        Involvement.unscoped_all_sites.filter(incident__in=incidents, group__isnull=False)
        .values("group_id")
        .annotate(latest=Max("incident__occurred_at"))
        .values_list("group_id", "latest")
    )
    if not latest_by_group:
        return []
    conflicts = (
        GroupRelation.unscoped_all_sites.filter(
            site=site, type=GroupRelation.Type.CONFLICT, deactivated_at__isnull=True
        )
        .filter(Q(group_a_id__in=latest_by_group) | Q(group_b_id__in=latest_by_group))
        .select_related("group_a", "group_b")
    )
    found = []
    for relation in conflicts:
        latest = max(
            moment
            for moment in (latest_by_group.get(relation.group_a_id), latest_by_group.get(relation.group_b_id))
            if moment
        )
        found.append((latest, relation))
    found.sort(key=lambda pair: pair[0], reverse=True)
    total = len(found)
    return [
        AgendaEntry(
            kind=AgendaItem.Kind.RISK,
            title=Phrase(N_("Konflikt: %(a)s – %(b)s"), a=relation.group_a.name, b=relation.group_b.name),
            summary=Phrase(
                N_(
                    "Aktiv konflikt med incident %(when)s. Intensitet %(intensity)s av 5. Bedöm risken för hämnd."
                ),
                when=Moment(latest),
                intensity=relation.intensity,
            ),
            reference=relation,
            weight=float(total - position),
            data={
                "groups": _group_facts([relation.group_a, relation.group_b]),
                "latest_incident": _fmt_dt(latest),
            },
        )
        for position, (latest, relation) in enumerate(found)
    ]


def risk_provider(site, since) -> list[AgendaEntry]:
    """(2) Conflicts with rising risk: the risk model's alerts, or active conflicts with recent incidents."""
    alerts = risk_alerts(site)
    if alerts is None:
        return _conflict_fallback(site, since)
    return _risk_entries_from_alerts(alerts)


def incident_provider(site, since) -> list[AgendaEntry]:
    """(1) Every incident at the site since the last review, newest first."""
    from gvi.groups.models import Group
    from gvi.incidents.models import Incident, Involvement

    incidents = list(
        Incident.unscoped_all_sites.filter(site=site, occurred_at__gte=since)
        .select_related("area")
        .order_by("-occurred_at")
    )
    groups_by_incident: dict[int, list] = {}
    # Incidents and groups are site-level records every meeting role reads; the incident-group link is
    # read as on the group page (incidents.selectors.incidents_of_group), as (incident, group) only: persons
    # are never read.
    site_groups = Group.unscoped_all_sites.filter(site=site)
    for involvement in (
        Involvement.unscoped_all_sites.filter(incident__in=incidents, group__in=site_groups)
        .select_related("group")
        .order_by("group__name")
    ):
        groups = groups_by_incident.setdefault(involvement.incident_id, [])
        if involvement.group not in groups:
            groups.append(involvement.group)
    entries = []
    for incident in incidents:
        groups = groups_by_incident.get(incident.pk, [])
        harm = Phrase(N_("%(dead)s döda, %(injured)s skadade"), dead=incident.dead, injured=incident.injured)
        entries.append(
            AgendaEntry(
                kind=AgendaItem.Kind.INCIDENT,
                title=Joined(
                    " ",
                    [choice(incident, "type"), Moment(incident.occurred_at)]
                    + ([incident.area_name] if incident.area_name else []),
                ),
                summary=(incident.summary or "").strip(),
                reference=incident,
                data={
                    "groups": _group_facts(groups),
                    "harm": harm,
                    "status": choice(incident, "status"),
                },
            )
        )
    return entries


def overdue_task_provider(site, since) -> list[AgendaEntry]:
    """(3) Tasks at the site that are past their due date and not done."""
    today = timezone.localdate()
    tasks = (
        Task.objects.filter(site=site, status__in=Task.ACTIVE_STATUSES, due_date__lt=today)
        .select_related("owner", "responsible")
        .order_by("due_date", "pk")
    )
    return [
        AgendaEntry(
            kind=AgendaItem.Kind.OVERDUE_TASK,
            title=task.title,
            summary=Phrase(
                N_("%(owner)s, ansvarig %(who)s. Skulle vara klar %(due)s."),
                owner=task.owner.short_name,
                who=display_name(task.responsible) or Phrase(N_("ingen utsedd")),
                due=Moment(task.due_date, "Y-m-d"),
            ),
            reference=task,
            weight=float((today - task.due_date).days),
            data={"due_date": _fmt_date(task.due_date), "owner": task.owner.short_name},
        )
        for task in tasks
    ]


def review_provider(site, since) -> list[AgendaEntry]:
    """(4) Group reviews falling due within two weeks, and the entries whose review is overdue: for the
    partnership as counts for the whole site (persons and memberships with 1–4 as "1–4"; relations are
    group-level records), and for each owning organisation its own exact counts. Names of persons never
    reach an agenda."""
    from gvi.groups.models import Group
    from gvi.groups.selectors import overdue_at_site

    today = timezone.localdate()
    horizon = today + timedelta(days=REVIEW_HORIZON_DAYS)
    entries = [
        AgendaEntry(
            kind=AgendaItem.Kind.REVIEW_DUE,
            title=Phrase(N_("Granskning av %(group)s"), group=group.name),
            summary=Phrase(N_("Nästa granskning %(when)s."), when=Moment(group.next_review, "Y-m-d")),
            reference=group,
            weight=float((horizon - group.next_review).days),
            data={"groups": _group_facts([group]), "next_review": _fmt_date(group.next_review)},
        )
        for group in Group.unscoped_all_sites.filter(site=site, next_review__lte=horizon)
        .exclude(status=Group.Status.DISSOLVED)
        .order_by("next_review", "name")
    ]
    overdue = overdue_at_site(site, today)
    counts = {key: queryset.count() for key, queryset in overdue.items()}
    if any(counts.values()):
        entries.append(
            AgendaEntry(
                kind=AgendaItem.Kind.REVIEW_DUE,
                title=Phrase(N_("Försenade omprövningar i kartläggningen")),
                summary=Phrase(
                    N_(
                        "%(p)s personposter, %(m)s medlemskap och %(r)s relationer är försenade på platsen "
                        "(alla organisationers poster). De inaktiveras efter respittiden och gallras sedan."
                    ),
                    p=site_count(counts["persons"]),
                    m=site_count(counts["memberships"]),
                    r=counts["relations"],
                ),
                data={
                    "counts": {
                        **published_counts({k: counts[k] for k in ("persons", "memberships")}),
                        "relations": counts["relations"],
                    }
                },
            )
        )
    by_owner: dict[int, dict[str, int]] = {}
    for key in ("persons", "memberships"):
        for owner_id, number in (
            overdue[key].order_by().values_list("owner_id").annotate(n=models.Count("pk"))
        ):
            by_owner.setdefault(owner_id, {"persons": 0, "memberships": 0})[key] = number
    for organisation in Organisation.objects.filter(pk__in=list(by_owner)).order_by("name"):
        own = by_owner[organisation.pk]
        entries.append(
            AgendaEntry(
                kind=AgendaItem.Kind.REVIEW_DUE,
                title=Phrase(N_("Försenade omprövningar: %(org)s"), org=organisation.short_name),
                summary=Phrase(
                    N_(
                        "%(p)s personposter och %(m)s medlemskap som %(org)s äger är försenade. Gå igenom dem "
                        "i kartläggningen innan de inaktiveras."
                    ),
                    p=own["persons"],
                    m=own["memberships"],
                    org=organisation.short_name,
                ),
                data={"counts": own},
                audience=organisation,
            )
        )
    return entries


def sanctions_placeholder(site, since) -> list[AgendaEntry]:
    """(5) Sanction episodes in progress. Replaced by gvi.sanctions when it registers "sanctions"."""
    return []


def notifications_placeholder(site, since) -> list[AgendaEntry]:
    """(5) Custom notifications in progress. Replaced by gvi.communication when it registers "notifications"."""
    return []


register_agenda_provider("risk", risk_provider)
register_agenda_provider("incidents", incident_provider)
register_agenda_provider("sanctions", sanctions_placeholder)
register_agenda_provider("notifications", notifications_placeholder)
register_agenda_provider("overdue_tasks", overdue_task_provider)
register_agenda_provider("reviews", review_provider)


def _incident_weights(entries: list[AgendaEntry]) -> None:
    """Incidents involving a group with a risk point come first, ranked by that group's most urgent point;
    the others keep their order (newest first)."""
    urgency_by_group: dict[int, float] = {}
    for entry in entries:
        if entry.kind != AgendaItem.Kind.RISK:
            continue
        for group in entry.data.get("groups", []):
            urgency_by_group[group["id"]] = max(urgency_by_group.get(group["id"], 0.0), entry.weight)
    for entry in entries:
        if entry.kind == AgendaItem.Kind.INCIDENT:
            urgencies = [urgency_by_group.get(group["id"], 0.0) for group in entry.data.get("groups", [])]
            entry.weight = max(urgencies, default=0.0)


PROVIDER_LABELS = {
    "risk": _lazy("konflikter med stigande risk"),
    "incidents": _lazy("incidenter"),
    "sanctions": _lazy("sanktionsepisoder"),
    "notifications": _lazy("enskilda samtal"),
    "overdue_tasks": _lazy("försenade uppgifter"),
    "reviews": _lazy("omprövningar"),
}


def _run_provider(name: str, provider: AgendaProvider, site, since) -> list[AgendaEntry]:
    """One provider's points. A failing provider (a module under construction, a broken query) does not
    stop the meeting: its error is logged and the agenda says which part could not be fetched."""
    try:
        with transaction.atomic():  # a failed query must not break the request's transaction
            return list(provider(site, since) or [])
    except Exception:
        logger.exception("agenda provider %r failed for site %s", name, site.pk)
        return [
            AgendaEntry(
                kind=AgendaItem.Kind.MANUAL,
                title=Phrase(
                    N_("Kunde inte hämta %(part)s"),
                    part=label(PROVIDER_LABELS[name]) if name in PROVIDER_LABELS else name,
                ),
                summary=Phrase(
                    N_("Ett fel uppstod när dagordningen skapades. Gå igenom den delen manuellt.")
                ),
                rank=95,
                data={"provider": name},
            )
        ]


def generate_agenda(site, since: datetime | None = None) -> list[AgendaEntry]:
    """The agenda for a review at `site`, ordered by risk: risk points first (the risk model's order, or
    the most recently active conflict first), then incidents (those involving groups with a risk point
    first, otherwise newest first), sanctions, notifications, overdue tasks and reviews due. It is the
    same whoever generates it: the providers read what the partnership at the site shares, and put an
    organisation's own detail in points for that organisation (see the module docstring)."""
    since = since or agenda_since(site)
    entries: list[AgendaEntry] = []
    for name, provider in list(AGENDA_PROVIDERS.items()):
        entries.extend(_run_provider(name, provider, site, since))
    _incident_weights(entries)
    return sorted(entries, key=AgendaEntry.sort_key)  # stable: providers' own order breaks ties


# ----- tasks -----


def tasks_visible_to(user):
    """The tasks `user` may see (see the module docstring)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Task.objects.none()
    memberships = list(user.memberships.active().filter(site__isnull=False))
    if not memberships:
        return Task.objects.none()
    full = {m.site_id for m in memberships if m.role in MEETING_ROLES}
    steering = {m.site_id for m in memberships if m.role in STEERING_ROLES}
    any_site = {m.site_id for m in memberships}
    allowed = Q(site_id__in=full) | Q(
        site_id__in=steering, decision__meeting__type=Meeting.Type.STEERING_GROUP
    )
    allowed |= Q(site_id__in=any_site, responsible=user)
    for membership in memberships:
        allowed |= Q(site_id=membership.site_id, owner_id=membership.organisation_id)
    return Task.objects.filter(allowed).select_related("site", "owner", "responsible", "decision__meeting")


def may_change_task(user, task: Task) -> bool:
    """Coordinators and analysts at the site, the owning organisation's members there, and the
    responsible user may change a task."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if task.responsible_id == user.pk and user.memberships.active().filter(site_id=task.site_id).exists():
        return True
    return (
        user.memberships.active()
        .filter(site_id=task.site_id)
        .filter(Q(role__in=list(RUNNER_ROLES)) | Q(organisation_id=task.owner_id))
        .exists()
    )


def my_tasks(user, include_finished: bool = False):
    tasks = tasks_visible_to(user).filter(responsible=user)
    if not include_finished:
        tasks = tasks.filter(status__in=Task.ACTIVE_STATUSES)
    return tasks.order_by("due_date", "pk")


def open_tasks(user, status: str = ""):
    tasks = tasks_visible_to(user)
    tasks = tasks.filter(status=status) if status else tasks.filter(status__in=Task.ACTIVE_STATUSES)
    return tasks.order_by("due_date", "pk")


def overdue_tasks_for(user, today: date | None = None):
    """Overdue tasks for a start page: those the user is responsible for, those of the user's own
    organisations at their sites, and for coordinators every overdue task at their sites."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Task.objects.none()
    today = today or timezone.localdate()
    coordinated = _site_ids(user, {Role.COORDINATOR})
    mine = Q(responsible=user) | Q(site_id__in=coordinated)
    for membership in user.memberships.active().filter(site__isnull=False):
        mine |= Q(site_id=membership.site_id, owner_id=membership.organisation_id)
    return (
        tasks_visible_to(user)
        .filter(mine, status__in=Task.ACTIVE_STATUSES, due_date__lt=today)
        .order_by("due_date", "pk")
    )


def task_history(task: Task, limit: int = 20):
    return task.history.select_related("history_user").order_by("-history_date")[:limit]


def visible_group_ids(user, group_ids) -> set[int]:
    """The subset of `group_ids` the user may see: a task's group is shown only to those who may."""
    from gvi.groups.models import Group

    ids = {pk for pk in group_ids if pk}
    if not ids:
        return set()
    return set(Group.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def groups_for_tasks(user, site, keep: int | None = None):
    """Groups a task at `site` may reference: those the user sees there, not dissolved (the task's
    current group stays selectable)."""
    from gvi.groups.models import Group

    groups = Group.objects.visible_to(user).filter(site=site)
    return groups.filter(~Q(status=Group.Status.DISSOLVED) | Q(pk=keep)).order_by("name")


# ----- areas -----


def area_sites(user):
    """The sites whose area list the user keeps: those where they are an active coordinator."""
    site_ids = Membership.objects.active().filter(user=user, role=Role.COORDINATOR).values("site_id")
    return Site.objects.filter(pk__in=site_ids).order_by("name")


def may_manage_areas(user, site_id: int) -> bool:
    return Membership.objects.active().filter(user=user, role=Role.COORDINATOR, site_id=site_id).exists()


def areas_of(site_id: int, active_only: bool = False):
    areas = Area.objects.filter(site_id=site_id)
    if active_only:
        areas = areas.filter(is_active=True)
    return areas.order_by("name")


def areas_with_use(site_id: int):
    """The site's areas with the number of incidents that refer to each (an area in use is not deleted)."""
    return areas_of(site_id).annotate(incident_count=models.Count("incidents"))


class AreaMatcher:
    """Finds one of a site's active areas by its name or an alias, compared as import names are
    (`name_key`: case, Unicode form and spacing aside). One query per matcher."""

    def __init__(self, site_id: int):
        self.site_id = site_id
        self.areas = list(areas_of(site_id, active_only=True))
        self._by_key: dict[str, Area] = {}
        for area in self.areas:
            self._by_key.setdefault(area.key, area)
        for area in self.areas:
            for key in area.keys():
                self._by_key.setdefault(key, area)

    def match(self, text: str) -> Area | None:
        return self._by_key.get(name_key(text))

    def allowed(self) -> str:
        return ", ".join(area.name for area in self.areas)

    def unknown_message(self, text: str) -> str:
        """The Swedish error for an area not in the list, naming the allowed areas."""
        if not self.areas:
            return _(
                "okänt område '%(name)s': platsen har inga områden ännu (samordnaren lägger upp dem under "
                "Områden)"
            ) % {"name": text[:60]}
        return _("okänt område '%(name)s' (platsens områden: %(allowed)s)") % {
            "name": text[:60],
            "allowed": self.allowed(),
        }
