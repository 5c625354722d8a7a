"""Reads of sanction episodes, actions and announced rules. Every read starts from `visible_to(user)`."""

from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from gvi.access.permissions import CREATE, VIEW, grant_for
from gvi.analysis import deterrence
from gvi.incidents.models import Incident
from gvi.partnership.models import Organisation
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode

S = SanctionEpisode.Status

# List filters (URL value -> label); "forsenade" are proposals past their decision deadline.
EPISODE_FILTERS = {
    "foreslagna": (gettext_lazy("Föreslagna"), Q(status=S.PROPOSED)),
    "forsenade": (gettext_lazy("Försenade beslut"), Q(status=S.PROPOSED)),
    "pagaende": (gettext_lazy("Pågående"), Q(status=S.OPEN)),
    "avslutade": (gettext_lazy("Avslutade"), Q(status=S.CLOSED)),
    "avstadda": (gettext_lazy("Avstådda"), Q(status=S.DISMISSED)),
}
OUTCOME_LABELS = {
    deterrence.MATCHED: gettext_lazy("Svaret motsvarade det utlovade"),
    deterrence.PARTIAL: gettext_lazy("Delvis som utlovat"),
    deterrence.NOT_MATCHED: gettext_lazy("Inte som utlovat"),
    deterrence.NO_RULE: gettext_lazy("Inget utlovat budskap gällde"),
    deterrence.PENDING: gettext_lazy("Bedöms när den utlovade tiden har gått"),
}
TRIGGER_WINDOW_DAYS = 180  # incidents offered as triggers when proposing an episode by hand


def _with_counts(episodes):
    return episodes.select_related("group", "site", "decided_by").annotate(
        first_trigger=Min("trigger_incidents__occurred_at"),
        trigger_count=Count("trigger_incidents", distinct=True),
    )


def episodes_for(user, show: str = "", group_id: int | None = None, now=None):
    """Episodes the user may see, newest first; `show` is one of EPISODE_FILTERS (or all)."""
    episodes = SanctionEpisode.objects.visible_to(user)
    if show in EPISODE_FILTERS:
        episodes = episodes.filter(EPISODE_FILTERS[show][1])
        if show == "forsenade":
            episodes = episodes.filter(decision_deadline__lt=now or timezone.now())
    if group_id:
        episodes = episodes.filter(group_id=group_id)
    return _with_counts(episodes).order_by("-proposed_at", "-pk")


def overdue_proposals(user, now=None):
    """Proposals past their decision deadline that `user` may see, the longest overdue first."""
    return _with_counts(
        SanctionEpisode.objects.visible_to(user).filter(
            status=S.PROPOSED, decision_deadline__lt=now or timezone.now()
        )
    ).order_by("decision_deadline", "pk")


def open_proposals(user):
    """Proposals awaiting a decision (overdue or not), the nearest deadline first."""
    return _with_counts(SanctionEpisode.objects.visible_to(user).filter(status=S.PROPOSED)).order_by(
        "decision_deadline", "pk"
    )


def trigger_incidents_of(episode: SanctionEpisode):
    return episode.trigger_incidents.select_related("area").order_by("occurred_at", "pk")


def first_trigger(episode: SanctionEpisode) -> Incident | None:
    return trigger_incidents_of(episode).first()


def trigger_choices(user, site_id: int | None = None, episode: SanctionEpisode | None = None):
    """Incidents offered as triggers: visible, recent, at the site; plus the episode's current ones."""
    since = timezone.now() - timedelta(days=TRIGGER_WINDOW_DAYS)
    incidents = Incident.objects.visible_to(user).filter(occurred_at__gte=since)
    if site_id:
        incidents = incidents.filter(site_id=site_id)
    if episode is not None:
        incidents = incidents | Incident.objects.visible_to(user).filter(sanction_episodes=episode)
    return incidents.distinct().select_related("area").order_by("-occurred_at")


def episode_actions(user, episode: SanctionEpisode):
    return (
        SanctionAction.objects.visible_to(user)
        .filter(episode=episode)
        .select_related("owner", "responsible")
        .order_by("owner__name", "due_date", "pk")
    )


def actions_by_organisation(user, episode: SanctionEpisode) -> list[tuple[Organisation, list]]:
    """The episode's actions the user may see, grouped by organisation (own organisation first)."""
    own = set(user.memberships.active().values_list("organisation_id", flat=True))
    grouped: dict[int, tuple[Organisation, list]] = {}
    for action in episode_actions(user, episode):
        grouped.setdefault(action.owner_id, (action.owner, []))[1].append(action)
    return sorted(grouped.values(), key=lambda pair: (pair[0].pk not in own, pair[0].name))


def sees_all_actions(user, episode: SanctionEpisode) -> bool:
    """Whether the user sees every organisation's actions at the episode's site (the coordinator)."""
    for membership in user.memberships.active():
        found = grant_for(membership.role, "sanctions.sanctionaction")
        if (
            found
            and VIEW in found.actions
            and found.scope == "site"
            and membership.site_id == episode.site_id
        ):
            return True
    return False


def action_creating_organisations(user, episode: SanctionEpisode) -> list[Organisation]:
    """The user's organisations that may add actions to this episode."""
    return [
        m.organisation
        for m in user.memberships.active().select_related("organisation")
        if m.site_id == episode.site_id
        and (found := grant_for(m.role, "sanctions.sanctionaction"))
        and CREATE in found.actions
    ]


# ----- communicating back -----


def communications_referring_to(episode_ids) -> dict[int, list]:
    """Communications back that name episodes through the communication app's own `refers_to` slot."""
    from django.contrib.contenttypes.models import ContentType

    model = SanctionEpisode.communications.field.related_model
    found: dict[int, list] = {}
    for communication in model.unscoped_all_sites.filter(
        refers_to_type=ContentType.objects.get_for_model(SanctionEpisode), refers_to_id__in=list(episode_ids)
    ):
        found.setdefault(communication.refers_to_id, []).append(communication)
    return found


def episode_communications(episode: SanctionEpisode) -> list:
    """The communications back about an episode: linked from the episode or referring to it, oldest first."""
    linked = {c.pk: c for c in episode.communications.all()}
    for communication in communications_referring_to([episode.pk]).get(episode.pk, []):
        linked.setdefault(communication.pk, communication)
    return sorted(linked.values(), key=lambda c: (getattr(c, "date", None) or date.min, c.pk))


# ----- announced rules -----


def rules_for(user):
    return AnnouncedRule.objects.visible_to(user).prefetch_related("groups").order_by("-announced_on", "-pk")


def applicable_rule(episode: SanctionEpisode) -> AnnouncedRule | None:
    """The announced rule that applied when the episode's incidents happened.

    A rule applies to a triggering incident when it had been announced by the incident's day and was
    still valid, names the incident's type (or no type) and names the episode's group (or no group).
    Rules naming the group win over general ones, then the most recently announced.
    """
    triggers = list(trigger_incidents_of(episode))
    if not triggers:
        return None
    candidates = []
    for rule in AnnouncedRule.unscoped_all_sites.filter(site_id=episode.site_id).prefetch_related("groups"):
        group_ids = {group.pk for group in rule.groups.all()}
        if group_ids and episode.group_id not in group_ids:
            continue
        for incident in triggers:
            day = timezone.localtime(incident.occurred_at).date()
            if rule.is_valid_on(day) and (not rule.trigger_types or incident.type in rule.trigger_types):
                candidates.append((bool(group_ids), rule.announced_on, rule.pk, rule))
                break
    if not candidates:
        return None
    return max(candidates, key=lambda item: item[:3])[3]


def days_to_first_action(episode: SanctionEpisode, actions=None, triggered_at=None) -> float | None:
    """Whole days from the (first) triggering incident to the first day a lever was applied."""
    if triggered_at is None:
        trigger = first_trigger(episode)
        triggered_at = trigger.occurred_at if trigger is not None else None
    actions = list(actions if actions is not None else episode.actions.all())
    started = [action.started_on for action in actions if action.started_on and action.is_applied]
    if triggered_at is None or not started:
        return None
    return deterrence.days_between(timezone.localtime(triggered_at).date(), min(started))


def rule_match(episode: SanctionEpisode, actions=None, triggered_at=None) -> deterrence.RuleMatch:
    """Did the response match what was announced? Counts every organisation's applied actions."""
    rule = episode.announced_rule if episode.announced_rule_id else None
    if rule is None and episode.status == S.PROPOSED:
        rule = applicable_rule(episode)
    actions = list(actions if actions is not None else episode.actions.all())
    applied = {action.lever for action in actions if action.is_applied}
    if rule is None:
        return deterrence.match_rule(None, applied)
    if triggered_at is None:
        trigger = first_trigger(episode)
        triggered_at = trigger.occurred_at if trigger is not None else None
    # A response that is over is judged as it stands; one under way only once the promised time is out.
    elapsed = None
    if episode.status not in (S.CLOSED, S.DISMISSED) and triggered_at is not None:
        elapsed = deterrence.days_between(_local_day(triggered_at), timezone.localdate())
    return deterrence.match_rule(
        rule.levers,
        applied,
        rule.respond_within_days,
        days_to_first_action(episode, actions, triggered_at),
        days_elapsed=elapsed,
    )


def _local_day(moment) -> date:
    return timezone.localtime(moment).date() if isinstance(moment, datetime) else moment


# ----- the weekly review -----


def _fmt(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def agenda_items(site, since) -> list:
    """Agenda provider for the weekly review: proposals awaiting a decision (overdue first), episodes
    running, and episodes closed since the last review. Returns gvi.partnership.selectors.AgendaEntry
    objects (kind "sanction"; `data["url"]` links the episode page).

    Episodes are the partnership's shared business; actions are each organisation's own (only the
    coordinator sees them all). So the partnership's point gives an episode's number of actions, as the
    episode page does for everyone, and each organisation gets a point of its own with how far its own
    actions have come."""
    from django.urls import reverse

    from gvi.partnership.agenda_text import Joined, Moment, Phrase, choice
    from gvi.partnership.selectors import AgendaEntry

    now = timezone.now()
    episodes = list(
        _with_counts(SanctionEpisode.unscoped_all_sites.filter(site=site))
        .filter(Q(status__in=[S.PROPOSED, S.OPEN]) | Q(status=S.CLOSED, end_date__gte=since.date()))
        .prefetch_related("actions__owner")
        .order_by("decision_deadline", "pk")
    )
    entries = []
    own_lines: dict[int, tuple[Organisation, list[str]]] = {}
    for episode in episodes:
        group = episode.group.name if episode.group_id else Phrase(N_("borttagen grupp"))
        facts = {
            "groups": [{"id": episode.group_id, "name": group}] if episode.group_id else [],
            "status": choice(episode, "status"),
            "state": episode.status,  # the agenda labels the point by it (AgendaItem.kind_label)
            "url": reverse("sanctions:episode_detail", args=[episode.pk]),
        }
        if episode.status == S.PROPOSED:
            overdue = episode.decision_deadline < now
            title = Phrase(N_("Beslut om ökat fokus: %(group)s"), group=group)
            summary = Phrase(
                N_("Beslutet är försenat: skulle fattas senast %(deadline)s.")
                if overdue
                else N_("Beslut ska fattas senast %(deadline)s."),
                deadline=Moment(episode.decision_deadline),
            )
            weight = (now - episode.decision_deadline).total_seconds() / 3600
            facts["due_date"] = _fmt(episode.decision_deadline)
        else:
            actions = list(episode.actions.all())
            if episode.status == S.OPEN:
                title = Phrase(N_("Pågående ökat fokus: %(group)s"), group=group)
            else:
                title = Phrase(N_("Avslutat ökat fokus: %(group)s"), group=group)
            summary = Phrase(
                N_("%(total)s åtgärder registrerade. Varje organisation följer upp sina egna."),
                total=len(actions),
            )
            weight = -1000.0
            by_owner: dict[int, list] = {}
            for action in actions:
                by_owner.setdefault(action.owner_id, []).append(action)
            for owned in by_owner.values():
                organisation = owned[0].owner
                own_lines.setdefault(organisation.pk, (organisation, []))[1].append(
                    Phrase(
                        N_(
                            "%(group)s: %(applied)s av %(total)s egna åtgärder påbörjade, %(late)s försenade."
                        ),
                        group=group,
                        applied=sum(1 for action in owned if action.is_applied),
                        total=len(owned),
                        late=sum(1 for action in owned if action.is_overdue),
                    )
                )
        entries.append(
            AgendaEntry(
                kind="sanction", title=title, summary=summary, reference=episode, weight=weight, data=facts
            )
        )
    for organisation, lines in sorted(own_lines.values(), key=lambda pair: pair[0].name):
        entries.append(
            AgendaEntry(
                kind="sanction",
                title=Phrase(N_("Egna åtgärder i ökat fokus: %(org)s"), org=organisation.short_name),
                summary=Joined("\n", lines),
                weight=-2000.0,
                audience=organisation,
            )
        )
    return entries


def ended_without_communication(user, since_days: int = 180) -> list:
    """Closed episodes with no communication back: the partnership still owes the groups its message."""
    recent = timezone.localdate() - timedelta(days=since_days)
    closed = list(
        SanctionEpisode.objects.visible_to(user)
        .filter(status=S.CLOSED, end_date__gte=recent, communications__isnull=True)
        .select_related("group")
        .order_by("-end_date", "-pk")
    )
    referred = communications_referring_to([episode.pk for episode in closed])
    return [episode for episode in closed if episode.pk not in referred]
