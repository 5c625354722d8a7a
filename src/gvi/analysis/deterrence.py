"""Swiftness, certainty and predictability of group sanctions: pure computation, no database.

The caller (gvi.sanctions.metrics) turns sanction episodes and incidents into the plain facts below;
this module only counts and summarises them, so the figures have one definition and exact tests.

Definitions
-----------
- Durations are in days from the triggering incident: two datetimes give fractional days
  (hours / 24); when either end is a date, whole calendar days between the two dates.
- Swiftness: median and 90th percentile (linear interpolation between closest ranks) of the days to the
  decision, to the first action and to communicating back; and the share of decisions taken before the
  decision deadline, where a proposal still undecided after its deadline counts as late.
- Certainty: the share of sanctionable incidents (confirmed or suspected group involvement on the
  perpetrator side) that were followed by an episode the partnership decided to run (open or closed).
  An incident counts as "followed by a response" only when the episode's decision came after the
  incident (`decided_after`): an incident attached to an episode already decided was not answered by it.
  Per group, each (incident, group) pair counts once.
- Percentiles: the 90th percentile is reported only from MIN_N_P90 values on ("för få" below).
- Predictability: the share of closed episodes with an applicable announced rule whose response matched
  what had been announced; closed episodes without any announced rule are counted separately.
- Communication: the share of closed episodes that were communicated back.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

PROPOSED = "proposed"
OPEN = "open"
DISMISSED = "dismissed"
CLOSED = "closed"
STATUSES = (PROPOSED, OPEN, DISMISSED, CLOSED)
WENT_AHEAD = (OPEN, CLOSED)  # the partnership decided to run the episode
DECIDED = (OPEN, DISMISSED, CLOSED)

MATCHED = "matched"
PARTIAL = "partial"
NOT_MATCHED = "not_matched"
NO_RULE = "no_rule"
PENDING = "pending"  # the promised time has not yet run out: not judged yet
RULE_OUTCOMES = (MATCHED, PARTIAL, NOT_MATCHED, NO_RULE, PENDING)


# ----- small statistics -----


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks; None without values."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)


def days_between(start: date | datetime, end: date | datetime) -> float:
    """Days from `start` to `end`: fractional for two datetimes, whole calendar days otherwise."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start).total_seconds() / 86400
    start_day = start.date() if isinstance(start, datetime) else start
    end_day = end.date() if isinstance(end, datetime) else end
    return float((end_day - start_day).days)


def quarter_of(moment: date | datetime) -> tuple[int, int]:
    """(year, quarter 1–4) of a date or datetime."""
    return moment.year, (moment.month - 1) // 3 + 1


MIN_N_P90 = 10  # fewer values than this: the 90th percentile is not shown ("för få")


def decided_after(occurred_at: date | datetime, decided_at: date | datetime | None) -> bool:
    """Whether a decision at `decided_at` came after an incident at `occurred_at` (a response to it).

    No decision: False. Two datetimes compare as moments; when either is a date, by calendar day, and a
    decision on the incident's own day counts as after it."""
    if decided_at is None:
        return False
    if isinstance(occurred_at, datetime) and isinstance(decided_at, datetime):
        return decided_at >= occurred_at
    return days_between(occurred_at, decided_at) >= 0


@dataclass(frozen=True)
class DurationSummary:
    n: int
    median: float | None
    p90: float | None

    @property
    def p90_reported(self) -> float | None:
        """The 90th percentile where there are enough values for it (MIN_N_P90); None: "för få"."""
        return self.p90 if self.n >= MIN_N_P90 else None

    @classmethod
    def of(cls, values: Iterable[float]) -> DurationSummary:
        values = list(values)
        return cls(len(values), median(values), percentile(values, 90))


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int

    @property
    def ratio(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        ratio = self.ratio
        return None if ratio is None else round(100 * ratio, 1)


# ----- announced rules -----


@dataclass(frozen=True)
class RuleMatch:
    """How an episode's response compares with the announced rule."""

    outcome: str  # one of RULE_OUTCOMES
    promised: frozenset = frozenset()
    applied: frozenset = frozenset()
    missing: frozenset = frozenset()
    on_time: bool | None = None  # None when the rule promised no time limit
    days_left: int | None = None  # while PENDING: whole days until the promised time runs out


def match_rule(
    promised: Iterable[str] | None,
    applied: Iterable[str],
    respond_within_days: int | None = None,
    days_to_first_action: float | None = None,
    days_elapsed: float | None = None,
) -> RuleMatch:
    """Compare the levers applied with the levers promised (None = no applicable rule).

    Matched: every promised lever was applied and, if the rule promised a time limit, the first action
    came within it. Partial: some but not all promised levers were applied, or all of them but too late.
    Not matched: none of the promised levers was applied. A rule that promised no lever is matched as soon
    as any lever is applied (in time).

    `days_elapsed` (days from the trigger to now, for a response still under way): a response that is not
    yet matched while the promised time has not run out is PENDING — a promise is judged only once its
    time has passed.
    """
    if promised is None:
        return RuleMatch(NO_RULE, applied=frozenset(applied))
    promised_set, applied_set = frozenset(promised), frozenset(applied)
    missing = promised_set - applied_set
    on_time = None
    if respond_within_days is not None:
        on_time = days_to_first_action is not None and days_to_first_action <= respond_within_days
    if promised_set:
        delivered = len(promised_set - missing)
    else:
        delivered = 1 if applied_set else 0
    if not delivered:
        outcome = NOT_MATCHED
    elif missing or on_time is False:
        outcome = PARTIAL
    else:
        outcome = MATCHED
    if (
        outcome != MATCHED
        and respond_within_days is not None
        and days_elapsed is not None
        and days_elapsed <= respond_within_days
    ):
        left = int(respond_within_days - days_elapsed)
        return RuleMatch(PENDING, promised_set, applied_set, missing, None, days_left=left)
    return RuleMatch(outcome, promised_set, applied_set, missing, on_time)


# ----- the figures -----


@dataclass(frozen=True)
class EpisodeFacts:
    """One sanction episode, reduced to what the figures need."""

    key: Hashable
    group: Hashable
    status: str  # one of STATUSES
    triggered_at: date | datetime  # the earliest triggering incident
    deadline: datetime | None = None
    decided_at: datetime | None = None
    first_action_on: date | None = None
    communicated_on: date | datetime | None = None
    rule_outcome: str = NO_RULE  # one of RULE_OUTCOMES

    def days_to(self, moment) -> float | None:
        return None if moment is None else days_between(self.triggered_at, moment)


@dataclass(frozen=True)
class IncidentFacts:
    """One sanctionable incident: the groups involved on the perpetrator side, and for which of them an
    episode that went ahead (open or closed) or a proposal still awaiting decision names it as trigger."""

    key: Hashable
    occurred_at: date | datetime
    groups: frozenset = frozenset()
    followed_groups: frozenset = frozenset()
    pending_groups: frozenset = frozenset()


@dataclass(frozen=True)
class DeterrenceFigures:
    episodes: dict = field(default_factory=dict)  # status -> count, plus "overdue"
    to_decision: DurationSummary = DurationSummary(0, None, None)
    to_first_action: DurationSummary = DurationSummary(0, None, None)
    to_communication: DurationSummary = DurationSummary(0, None, None)
    decided_in_time: Share = Share(0, 0)
    certainty: Share = Share(0, 0)
    awaiting_decision: int = 0  # sanctionable incidents whose proposal is not yet decided
    predictability: Share = Share(0, 0)
    without_rule: int = 0  # closed episodes for which nothing had been announced
    communicated: Share = Share(0, 0)

    @property
    def is_empty(self) -> bool:
        return not sum(self.episodes.values()) and not self.certainty.denominator


def _is_overdue(episode: EpisodeFacts, now: datetime | None) -> bool:
    return (
        episode.status == PROPOSED
        and episode.deadline is not None
        and now is not None
        and episode.deadline < now
    )


def figures(
    episodes: Iterable[EpisodeFacts], incidents: Iterable[IncidentFacts], now: datetime | None = None
) -> DeterrenceFigures:
    """All figures for one set of episodes and sanctionable incidents (one site, group or period)."""
    episodes = list(episodes)
    incidents = list(incidents)
    counts = {status: 0 for status in STATUSES}
    for episode in episodes:
        counts[episode.status] = counts.get(episode.status, 0) + 1
    counts["overdue"] = sum(1 for episode in episodes if _is_overdue(episode, now))

    decided = [e for e in episodes if e.status in DECIDED and e.decided_at is not None]
    went_ahead = [e for e in episodes if e.status in WENT_AHEAD]
    closed = [e for e in episodes if e.status == CLOSED]
    communicated = [e for e in episodes if e.communicated_on is not None]

    in_time = sum(1 for e in decided if e.deadline is None or e.decided_at <= e.deadline)
    timed = len(decided) + counts["overdue"]

    with_rule = [e for e in closed if e.rule_outcome != NO_RULE]
    return DeterrenceFigures(
        episodes=counts,
        to_decision=DurationSummary.of(e.days_to(e.decided_at) for e in decided),
        to_first_action=DurationSummary.of(
            e.days_to(e.first_action_on) for e in went_ahead if e.first_action_on is not None
        ),
        to_communication=DurationSummary.of(e.days_to(e.communicated_on) for e in communicated),
        decided_in_time=Share(in_time, timed),
        certainty=Share(sum(1 for i in incidents if i.followed_groups & i.groups), len(incidents)),
        awaiting_decision=sum(
            1 for i in incidents if not (i.followed_groups & i.groups) and i.pending_groups & i.groups
        ),
        predictability=Share(sum(1 for e in with_rule if e.rule_outcome == MATCHED), len(with_rule)),
        without_rule=len(closed) - len(with_rule),
        communicated=Share(sum(1 for e in closed if e.communicated_on is not None), len(closed)),
    )


def figures_by_group(
    episodes: Iterable[EpisodeFacts], incidents: Iterable[IncidentFacts], now: datetime | None = None
) -> dict[Hashable, DeterrenceFigures]:
    """Figures per group: each group's episodes, and each (incident, group) pair as one incident."""
    episodes = list(episodes)
    incidents = list(incidents)
    groups = {e.group for e in episodes} | {g for i in incidents for g in i.groups}
    result = {}
    for group in groups:
        own = frozenset({group})
        result[group] = figures(
            [e for e in episodes if e.group == group],
            [
                replace(
                    i,
                    groups=own,
                    followed_groups=i.followed_groups & own,
                    pending_groups=i.pending_groups & own,
                )
                for i in incidents
                if group in i.groups
            ],
            now,
        )
    return result


def figures_by_quarter(
    episodes: Iterable[EpisodeFacts], incidents: Iterable[IncidentFacts], now: datetime | None = None
) -> dict[tuple[int, int], DeterrenceFigures]:
    """Figures per (year, quarter) of the triggering incident, oldest first, without gaps."""
    episodes = list(episodes)
    incidents = list(incidents)
    quarters = {quarter_of(e.triggered_at) for e in episodes} | {quarter_of(i.occurred_at) for i in incidents}
    if not quarters:
        return {}
    first, last = min(quarters), max(quarters)
    result = {}
    year, quarter = first
    while (year, quarter) <= last:
        result[(year, quarter)] = figures(
            [e for e in episodes if quarter_of(e.triggered_at) == (year, quarter)],
            [i for i in incidents if quarter_of(i.occurred_at) == (year, quarter)],
            now,
        )
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return result
