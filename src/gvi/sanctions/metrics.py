"""Swiftness, certainty and predictability: the ONE place these figures are computed.

The sanctions metrics page and the evaluation dashboard both call `deterrence_report` (or its parts).
This module reads the facts from the database; the definitions and the arithmetic live in the pure
module gvi.analysis.deterrence (see its docstring for the exact definitions).

Figures are aggregates over whole sites (like the evaluation statistics), so callers decide who may see
them; per-group rows name groups and belong only to users who may see those groups (`group_ids`).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone

from gvi.analysis import deterrence
from gvi.groups.models import Group
from gvi.incidents.models import Involvement
from gvi.sanctions.models import SanctionAction, SanctionEpisode
from gvi.sanctions.selectors import communications_referring_to, rule_match
from gvi.sanctions.services import ANSWERABLE_ROLES


@dataclass(frozen=True)
class GroupRow:
    group_id: int
    name: str
    figures: deterrence.DeterrenceFigures


@dataclass(frozen=True)
class QuarterRow:
    year: int
    quarter: int
    figures: deterrence.DeterrenceFigures

    @property
    def label(self) -> str:
        return f"{self.year} K{self.quarter}"


@dataclass(frozen=True)
class DeterrenceReport:
    site: deterrence.DeterrenceFigures
    groups: list[GroupRow] = field(default_factory=list)
    quarters: list[QuarterRow] = field(default_factory=list)
    start: date | None = None
    end: date | None = None


def _local(moment):
    if isinstance(moment, datetime) and timezone.is_aware(moment):
        return timezone.localtime(moment)
    return moment


def _communication_day(communication):
    return _local(communication.date)


def _in_window(moment, start: date | None, end: date | None) -> bool:
    day = moment.date() if hasattr(moment, "date") else moment
    return (start is None or day >= start) and (end is None or day <= end)


def _episodes(site_ids):
    return (
        SanctionEpisode.unscoped_all_sites.filter(site_id__in=list(site_ids))
        .select_related("announced_rule")
        .prefetch_related(
            Prefetch("trigger_incidents"),
            Prefetch("actions", queryset=SanctionAction.unscoped_all_sites.all()),
            "communications",
        )
    )


def episode_facts(episode: SanctionEpisode, referring=None) -> deterrence.EpisodeFacts:
    """One episode as the pure facts the figures need.

    Communications count whether the episode links them or they name the episode (`referring`: those
    found by selectors.communications_referring_to; looked up when not given)."""
    triggers = list(episode.trigger_incidents.all())
    triggered_at = _local(min((i.occurred_at for i in triggers), default=episode.proposed_at))
    actions = list(episode.actions.all())
    started = [a.started_on for a in actions if a.started_on and a.is_applied]
    if referring is None:
        referring = communications_referring_to([episode.pk]).get(episode.pk, [])
    days = [_communication_day(c) for c in [*episode.communications.all(), *referring]]
    communicated = min((d.date() if isinstance(d, datetime) else d for d in days if d), default=None)
    outcome = deterrence.NO_RULE
    if episode.status in deterrence.WENT_AHEAD:
        outcome = rule_match(episode, actions, triggered_at).outcome
    return deterrence.EpisodeFacts(
        key=episode.pk,
        group=episode.group_id,
        status=episode.status,
        triggered_at=triggered_at,
        deadline=_local(episode.decision_deadline),
        decided_at=_local(episode.decided_at),
        first_action_on=min(started, default=None),
        communicated_on=communicated,
        rule_outcome=outcome,
    )


def incident_facts(site_ids, start: date | None = None, end: date | None = None) -> list:
    """Every sanctionable incident at the sites in the window, with the groups that answered for it."""
    involvements = Involvement.unscoped_all_sites.filter(
        Involvement.group_involved_q(),
        site_id__in=list(site_ids),
        role__in=ANSWERABLE_ROLES,
    )
    if start:
        involvements = involvements.filter(incident__occurred_at__date__gte=start)
    if end:
        involvements = involvements.filter(incident__occurred_at__date__lte=end)
    groups: dict[int, set] = {}
    moments: dict[int, object] = {}
    for incident_id, group_id, occurred_at in involvements.values_list(
        "incident_id", "group_id", "incident__occurred_at"
    ):
        groups.setdefault(incident_id, set()).add(group_id)
        moments[incident_id] = _local(occurred_at)
    followed: dict[int, set] = {}
    pending: dict[int, set] = {}
    links = SanctionEpisode.trigger_incidents.through.objects.filter(incident_id__in=list(groups))
    for incident_id, group_id, status, decided_at in links.values_list(
        "incident_id", "sanctionepisode__group_id", "sanctionepisode__status", "sanctionepisode__decided_at"
    ):
        if status in deterrence.WENT_AHEAD:
            # a response only when the decision came after the incident (issue 18)
            if deterrence.decided_after(moments[incident_id], _local(decided_at)):
                followed.setdefault(incident_id, set()).add(group_id)
        elif status == deterrence.PROPOSED:
            pending.setdefault(incident_id, set()).add(group_id)
    return [
        deterrence.IncidentFacts(
            key=incident_id,
            occurred_at=moments[incident_id],
            groups=frozenset(group_ids),
            followed_groups=frozenset(followed.get(incident_id, ())),
            pending_groups=frozenset(pending.get(incident_id, ())),
        )
        for incident_id, group_ids in sorted(groups.items())
    ]


def all_episode_facts(site_ids, start: date | None = None, end: date | None = None) -> list:
    episodes = list(_episodes(site_ids))
    referring = communications_referring_to([episode.pk for episode in episodes])
    facts = [episode_facts(episode, referring.get(episode.pk, [])) for episode in episodes]
    return [fact for fact in facts if _in_window(fact.triggered_at, start, end)]


def site_figures(site_ids, start=None, end=None, now=None) -> deterrence.DeterrenceFigures:
    """The figures for one or more sites together, for episodes and incidents in the window."""
    return deterrence.figures(
        all_episode_facts(site_ids, start, end), incident_facts(site_ids, start, end), now or timezone.now()
    )


def deterrence_report(
    site_ids, start: date | None = None, end: date | None = None, now=None, group_ids=None
) -> DeterrenceReport:
    """Site figures, per-group rows (only for `group_ids`; None = none) and per-quarter rows."""
    now = now or timezone.now()
    episodes = all_episode_facts(site_ids, start, end)
    incidents = incident_facts(site_ids, start, end)
    groups = []
    if group_ids:
        wanted = set(group_ids)
        by_group = deterrence.figures_by_group(episodes, incidents, now)
        names = dict(
            Group.unscoped_all_sites.filter(pk__in=[g for g in by_group if g in wanted]).values_list(
                "pk", "name"
            )
        )
        groups = sorted(
            (GroupRow(pk, names[pk], figures) for pk, figures in by_group.items() if pk in names),
            key=lambda row: row.name,
        )
    quarters = [
        QuarterRow(year, quarter, figures)
        for (year, quarter), figures in deterrence.figures_by_quarter(episodes, incidents, now).items()
    ]
    return DeterrenceReport(
        site=deterrence.figures(episodes, incidents, now),
        groups=groups,
        quarters=quarters,
        start=start,
        end=end,
    )
