"""Retaliation risk: a self-exciting model of serious incidents per group and per conflicting pair.

Reads start from `visible_to(user)` like every other selector: incidents, involvements, groups and
conflict relations at the user's site, nothing else. Involvements are read as (incident, group, relation,
member status) only: **persons never enter the model**, and no score is ever put on a person. The page is
therefore not a logged person read (as with the group network).

Streams (all in days, over the last `WINDOW_DAYS`):
- per group: the incidents with an involvement of that group whose member status is confirmed or
  suspected;
- per active conflict relation: the incidents linked to that relation, or involving both groups (with a
  confirmed or suspected link).

The pooled model (`gvi.analysis.hawkes.fit_pooled`) shares the branching ratio α and the decay β across
streams, with one background μ per stream. The fit is cached per site, fit end (the current hour) and a
digest of exactly the data the user sees, so users who see different data never share an entry, and a new
incident (or a new coding) forces a new fit.

Pages never fit: the worker (gvi.incidents.tasks) computes the picture after changes (debounced, through
gvi.operations.recompute) and every hour, for every *access scope* at the site — the set of rows a user
sees, derived from the permission table (`risk_scope`) — and stores it (`RiskSnapshot`, one
`RiskStreamState` per group and conflict). `retaliation_risk(user, site)` reads the snapshot of the user's
own scope, so what a page shows is what that user's access allows, and shows nothing while the snapshot
rests on a disclosure that was revoked or has expired.

`shared_retaliation_risk(site)` reads one more snapshot the worker stores per site, of what the whole
partnership at a site reads (its incidents, groups and conflicts and the involvements that name no person):
the weekly agenda's risk points, read by every organisation there.

Note: involvements are compartmented per owning organisation (`incidents.involvement` has scope OWN), so
a user whose organisation neither owns nor was disclosed the involvements sees incidents but not which
groups they concern, and gets no streams. That is the access model working as designed.
"""

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import numpy as np
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from gvi.access.decorators import user_roles
from gvi.access.models import Disclosure
from gvi.access.permissions import OWN, VIEW, grant_for, role_may
from gvi.analysis import hawkes
from gvi.cache_once import get_or_compute
from gvi.groups.models import Group, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement, RiskSnapshot, RiskStreamState
from gvi.partnership.agenda_text import Joined, Moment, Phrase, label
from gvi.partnership.models import Membership, Site

WINDOW_DAYS = 3 * 365  # the model is fitted on the last three years
MIN_STREAM_DAYS = 90  # a conflict registered recently is still observed over at least this long
MIN_EVENTS = 10  # fewer events in all streams together: no model

# An alert ("raised above usual"): the self-exciting model beats the constant-rate baseline at the site
# (AIC gain > 0), the intensity is at least RATIO times the stream's usual (long-run) level μ/(1 − α), and
# at least EXTRA_30 more events than usual are expected over the next 30 days.
ALERT_RATIO = 1.5
ALERT_EXTRA_30 = 0.25
TRIGGERS = 3  # the largest contributors listed
TRIGGER_MIN_SHARE = 0.1  # ... that explain at least this share of the excess
EXPLAINED_TRIGGERS = 2  # ... of which the explanation names at most this many

# Fit bounds with domain knowledge: a mean delay between 12 hours and 90 days (slower clustering is trend
# or season, not retaliation); a background of at least about one event in
# 270 years, so that a quiet stream does not get a zero background and an infinite ratio.
BETA_BOUNDS = (1 / 90, 2.0)
MU_BOUNDS = (1e-5, 10.0)
# TNC reaches the same optimum as L-BFGS-B (the analysis tests check it) without SciPy's per-iteration
# threaded BLAS calls: on a busy two-core host a site fit took 0.2–1.2 s with L-BFGS-B, 0.05–0.13 s with TNC.
FIT_METHOD = "TNC"
CACHE_SECONDS = 24 * 3600
CACHE_VERSION = 1
REGION_GRID = 13  # grid points per axis of the profile-likelihood region (intervals)

SPARK_DAYS = 90
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 180, 40, 2

GROUP = "group"
CONFLICT = "conflict"

# The incident type in the definite form, for "Risken höjd efter skjutningen 12 mars ...".
TYPE_DEFINITE = {
    Incident.Type.SHOOTING: gettext_lazy("skjutningen"),
    Incident.Type.EXPLOSION: gettext_lazy("sprängningen"),
    Incident.Type.LETHAL: gettext_lazy("det dödliga våldet"),
    Incident.Type.ATTEMPTED_MURDER: gettext_lazy("mordförsöket"),
    Incident.Type.AGGRAVATED_ASSAULT: gettext_lazy("den grova misshandeln"),
    Incident.Type.ARSON: gettext_lazy("mordbranden"),
    Incident.Type.OTHER: gettext_lazy("händelsen"),
}


# --------------------------------------------------------------------------------------------------
# Presentation types (templates read attributes)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """A past incident that still raises the intensity now."""

    incident: Incident
    occurred_at: datetime
    type_label: str
    contribution_30: float  # its part of the current intensity, in events per 30 days
    share: float  # of the excess, 0–1
    remaining: float  # further incidents it is still expected to trigger directly

    @property
    def share_percent(self) -> int:
        return round(self.share * 100)


@dataclass(frozen=True)
class SparkRow:
    day: datetime
    intensity_30: float
    incidents: int  # in the seven days up to `day`


@dataclass(frozen=True)
class Sparkline:
    """A small SVG line of the intensity over the last SPARK_DAYS days (events per 30 days).

    Coordinates are strings with a decimal point, so that templates never localise them.
    """

    points: str  # "x,y x,y ..." for <polyline>
    background_y: str
    ticks: list[str]  # x of the incidents in the period
    peak_30: float
    rows: list[SparkRow]  # weekly, for the table alternative
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT
    tick_top: int = SPARK_HEIGHT - 8


@dataclass
class RiskAlert:
    """The state of one stream (a group, or a pair of groups in conflict) at `now`.

    Intensities are events per day in the model; the *_30 figures are per 30 days for display.
    """

    key: str
    kind: str  # GROUP | CONFLICT
    groups: tuple[Group, ...]
    relation: GroupRelation | None
    intensity: float
    background: float
    usual: float
    excess_ratio: float
    expected_7: float
    expected_30: float
    usual_7: float
    usual_30: float
    half_life_days: float
    fade_days: float
    n_events: int
    raised: bool
    # 95 % intervals of the expected counts over the profile-likelihood region (nan: not computed)
    expected_7_low: float = math.nan
    expected_7_high: float = math.nan
    expected_30_low: float = math.nan
    expected_30_high: float = math.nan
    triggers: list[Trigger] = field(default_factory=list)
    explanation: str = ""
    explanation_text: object = None  # the same as text read in the reader's language (agenda snapshots)
    sparkline: Sparkline | None = None

    @property
    def group(self) -> Group:
        return self.groups[0]

    @property
    def label(self) -> str:
        return " – ".join(g.name for g in self.groups)

    @property
    def excess(self) -> float:
        return self.intensity - self.background

    @property
    def intensity_30(self) -> float:
        return self.intensity * 30

    @property
    def background_30(self) -> float:
        return self.background * 30

    @property
    def extra_30(self) -> float:
        return self.expected_30 - self.usual_30

    @property
    def is_conflict(self) -> bool:
        return self.kind == CONFLICT

    @property
    def fade_days_rounded(self) -> int:
        return _round_days(self.fade_days)

    @property
    def half_life_rounded(self) -> int:
        return _round_days(self.half_life_days)


@dataclass(frozen=True)
class FitSummary:
    """Model diagnostics for the page's <details>."""

    alpha: float
    beta: float
    loglik: float
    poisson_loglik: float
    n_events: int
    n_streams: int
    converged: bool
    window_days: int
    fitted_to: datetime
    # 95 % profile-likelihood intervals of the excitation (branching ratio) and the decay rate
    alpha_low: float = math.nan
    alpha_high: float = math.nan
    beta_low: float = math.nan
    beta_high: float = math.nan
    weak: bool = True  # the excitation is weakly identified (said on the page in words)

    @property
    def half_life(self) -> float:
        return hawkes.half_life(self.beta)

    @property
    def half_life_low(self) -> float:
        return hawkes.half_life(self.beta_high) if self.beta_high > 0 else math.nan

    @property
    def half_life_high(self) -> float:
        return hawkes.half_life(self.beta_low) if self.beta_low > 0 else math.nan

    @property
    def self_exciting(self) -> bool:
        """Whether the self-exciting model beats the constant rate (AIC): only then can an alert be raised."""
        return self.aic_gain > 0

    @property
    def mean_delay(self) -> float:
        return 1 / self.beta

    @property
    def loglik_gain(self) -> float:
        return self.loglik - self.poisson_loglik

    @property
    def aic_gain(self) -> float:
        return 2 * self.loglik_gain - 4


@dataclass
class RiskPicture:
    site: Site | None
    now: datetime  # the moment the picture describes
    alerts: list[RiskAlert]  # raised only, largest excess first
    states: Mapping[str, RiskAlert]  # every stream, raised or not
    fit: FitSummary | None
    n_events: int = 0
    enough_data: bool = False
    computed_at: datetime | None = None  # when the worker computed it (read from the read model)
    pending: bool = False  # not computed yet for this user's scope: the worker is on it
    stale: bool = False  # the site changed since; a recomputation is queued

    @property
    def window_days(self) -> int:
        return WINDOW_DAYS


@dataclass
class GroupRisk:
    """One group's risk for its page: its own stream's state and the raised alerts that concern it."""

    group: Group
    state: RiskAlert | None
    alerts: list[RiskAlert]
    fit: FitSummary | None


@dataclass
class RiskSuggestion:
    """A group at raised risk: a candidate for a custom notification (decided by people, not here)."""

    group: Group
    site: Site
    alerts: list[RiskAlert]

    @property
    def excess(self) -> float:
        return max(a.excess for a in self.alerts)

    @property
    def excess_ratio(self) -> float:
        return max(a.excess_ratio for a in self.alerts)

    @property
    def reason(self) -> str:
        return self.alerts[0].explanation


# --------------------------------------------------------------------------------------------------
# Reading what the user may see
# --------------------------------------------------------------------------------------------------


def risk_sites(user) -> list[Site]:
    """The sites where `user` holds a role that may view incidents (the roles that get the risk page)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if not any(role_may(role, "incidents.incident", "view") for role in user_roles(user)):
        return []
    ids = {
        m.site_id
        for m in user.memberships.active()
        if m.site_id and role_may(m.role, "incidents.incident", "view")
    }
    return list(Site.objects.filter(pk__in=ids).order_by("name"))


@dataclass
class _SiteData:
    origin: datetime  # time zero of the model
    end: float  # fit end in days
    groups: dict[int, Group]
    relations: dict[int, GroupRelation]
    incidents: dict[int, Incident]
    streams: list[hawkes.Stream]
    events: dict[str, list[int]]  # stream key -> incident ids in time order


def _days(moment: datetime, origin: datetime) -> float:
    return (moment - origin).total_seconds() / 86400


def _fit_end(now: datetime) -> datetime:
    """The current hour's end: fits are reused within the hour (and refitted when the data changes)."""
    floor = now.replace(minute=0, second=0, microsecond=0)
    return floor if floor == now else floor + timedelta(hours=1)


def _user_rows(user):
    """The rows the model reads for `user`: what `visible_to` gives the user."""
    return lambda model: model.objects.visible_to(user)


def _shared_rows(model):
    """The rows every role that reads incidents at a site reads there: the site's incidents, groups and
    conflicts (site-level records) and the involvements that name no person (`Involvement.shared_rows`).
    No organisation's own coding of a person and no disclosure."""
    rows = model.unscoped_all_sites.all()
    return rows if model.shared_rows is None else rows.filter(model.shared_rows)


def _site_data(user, site: Site, now: datetime) -> _SiteData:
    return _site_data_from(_user_rows(user), site, now)


def _site_data_from(rows_of, site: Site, now: datetime) -> _SiteData:
    """The streams at `site` from the rows `rows_of(model)` gives (then filtered to the site)."""
    fit_end = _fit_end(now)
    origin = fit_end - timedelta(days=WINDOW_DAYS)
    end = float(WINDOW_DAYS)
    incidents_qs = rows_of(Incident).filter(site=site, occurred_at__gt=origin, occurred_at__lte=now)
    incidents = {
        i.pk: i
        for i in incidents_qs.select_related("area").only(
            "id", "type", "occurred_at", "area__name", "site_id"
        )
    }
    groups = {g.pk: g for g in rows_of(Group).filter(site=site)}
    relations = {
        r.pk: r
        for r in rows_of(GroupRelation)
        .filter(site=site, type=GroupRelation.Type.CONFLICT, deactivated_at__isnull=True)
        .order_by("pk")
        if r.group_a_id in groups and r.group_b_id in groups
    }
    linked: dict[int, set[int]] = {}  # incident -> groups with a confirmed or suspected link
    by_relation: dict[int, set[int]] = {}  # relation -> incidents linked to it
    rows = (
        rows_of(Involvement)
        .filter(site=site, incident__in=incidents_qs)
        # Four eyes: an involvement coded on a person who is only proposed (or rejected) does not count.
        .filter(Q(person__isnull=True) | Person.in_force_q("person__"))
        .values_list("incident_id", "group_id", "relation_id", "member_status")
    )
    for incident_id, group_id, relation_id, status in rows:
        if incident_id not in incidents:
            continue
        if group_id in groups and status in Involvement.GROUP_INVOLVED_STATUSES:
            linked.setdefault(incident_id, set()).add(group_id)
        if relation_id in relations:
            by_relation.setdefault(relation_id, set()).add(incident_id)

    def ordered(ids) -> list[int]:
        return sorted(ids, key=lambda pk: (incidents[pk].occurred_at, pk))

    # One pass over the linked incidents (not one per group or relation): per group, and per pair of
    # groups linked to the same incident (the relations between them).
    by_group: dict[int, list[int]] = {}
    by_pair: dict[tuple[int, int], set[int]] = {}
    for incident_id, found in linked.items():
        for group_id in found:
            by_group.setdefault(group_id, []).append(incident_id)
        if len(found) > 1:
            members = sorted(found)
            for index, group_a in enumerate(members):
                for group_b in members[index + 1 :]:
                    by_pair.setdefault((group_a, group_b), set()).add(incident_id)
    events: dict[str, list[int]] = {}
    starts: dict[str, float] = {}
    for pk in sorted(groups):
        events[f"g{pk}"] = ordered(by_group.get(pk, ()))
        starts[f"g{pk}"] = 0.0
    for pk, relation in relations.items():
        pair = tuple(sorted((relation.group_a_id, relation.group_b_id)))
        both = set(by_group.get(pair[0], ())) if pair[0] == pair[1] else by_pair.get(pair, set())
        events[f"r{pk}"] = ordered(both | by_relation.get(pk, set()))
        start = 0.0
        if relation.since:
            since = timezone.make_aware(datetime.combine(relation.since, time.min))
            start = min(max(_days(since, origin), 0.0), end - MIN_STREAM_DAYS)
        starts[f"r{pk}"] = start
    streams = [
        hawkes.Stream(_stream_times([incidents[i].occurred_at for i in ids], origin), end, starts[key], key)
        for key, ids in events.items()
    ]
    return _SiteData(origin, end, groups, relations, incidents, streams, events)


# --------------------------------------------------------------------------------------------------
# The cached fit
# --------------------------------------------------------------------------------------------------


def _date_only(moment: datetime) -> bool:
    """An incident known only to the day (imported dates land at 00:00 local time)."""
    local = timezone.localtime(moment)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def _stream_times(moments: list[datetime], origin: datetime) -> np.ndarray:
    """Days since `origin`; date-only incidents spread evenly within their day
    (`hawkes.spread_within_day`), so that they do not tie at midnight and read as instant retaliation.
    `moments` are in time order, and so are the times returned."""
    times = np.array([_days(moment, origin) for moment in moments], dtype=float)
    date_only = [index for index, moment in enumerate(moments) if _date_only(moment)]
    if date_only:
        times[date_only] = hawkes.spread_within_day(times[date_only])
    return np.sort(times, kind="stable")


def _cache_key(site: Site, data: _SiteData) -> str:
    """Site, fit end, the latest incident and a digest of exactly the streams the user sees."""
    latest = max((i.occurred_at for i in data.incidents.values()), default=None)
    payload = {
        "site": site.pk,
        "origin": data.origin.isoformat(),
        "streams": [
            [s.key, round(s.start, 6), [round(t, 6) for t in s.times.tolist()]] for s in data.streams
        ],
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    stamp = latest.strftime("%Y%m%dT%H%M%S") if latest else "none"
    return f"gvi:risk:v{CACHE_VERSION}:site{site.pk}:{stamp}:{digest}"


def _fit(site: Site, data: _SiteData) -> hawkes.PooledFit:
    key = _cache_key(site, data)
    return get_or_compute(
        "risk-fit",
        key,
        CACHE_SECONDS,
        lambda: hawkes.fit_pooled(
            data.streams, mu_bounds=MU_BOUNDS, beta_bounds=BETA_BOUNDS, method=FIT_METHOD
        ),
    )


# --------------------------------------------------------------------------------------------------
# Building the picture
# --------------------------------------------------------------------------------------------------


def _round_days(days: float) -> int:
    if not math.isfinite(days):
        return 999
    return max(1, math.ceil(days))


def _sparkline(times: np.ndarray, t_now: float, origin: datetime, mu: float, alpha: float, beta: float):
    grid = t_now - np.arange(SPARK_DAYS, -1, -1, dtype=float)  # SPARK_DAYS + 1 daily points up to now
    path = hawkes.intensity_path(times, grid, mu, alpha, beta) * 30
    usual = mu / (1 - alpha) * 30
    top = max(float(path.max()), usual * 1.5, 1e-9)
    inner_w = SPARK_WIDTH - 2 * SPARK_PAD
    inner_h = SPARK_HEIGHT - 2 * SPARK_PAD - 8  # room for the incident ticks below

    def x_of(t: float) -> str:
        return f"{SPARK_PAD + (t - grid[0]) / SPARK_DAYS * inner_w:.1f}"

    def y_of(value: float) -> str:
        return f"{SPARK_PAD + inner_h - value / top * inner_h:.1f}"

    points = " ".join(f"{x_of(t)},{y_of(v)}" for t, v in zip(grid.tolist(), path.tolist(), strict=True))
    in_period = times[(times > grid[0]) & (times <= t_now)]
    rows = []
    for index in range(SPARK_DAYS, -1, -7)[::-1]:
        day_t = float(grid[index])
        rows.append(
            SparkRow(
                day=origin + timedelta(days=day_t),
                intensity_30=float(path[index]),
                incidents=int(np.sum((times > day_t - 7) & (times <= day_t))),
            )
        )
    return Sparkline(
        points=points,
        background_y=y_of(mu * 30),
        ticks=[x_of(float(t)) for t in in_period],
        peak_30=float(path.max()),
        rows=rows,
    )


def _explanation(alert: RiskAlert, now: datetime) -> Phrase:
    """The alert in words, as text read in the reader's language (the agenda keeps it so)."""
    same_year = timezone.localtime(now).year
    events = [
        Joined(
            " ",
            [
                label(TYPE_DEFINITE.get(t.incident.type, TYPE_DEFINITE[Incident.Type.OTHER])),
                Moment(
                    t.occurred_at, "j F" if timezone.localtime(t.occurred_at).year == same_year else "j F Y"
                ),
            ],
        )
        for t in alert.triggers[:EXPLAINED_TRIGGERS]
    ]
    named = Joined(Phrase(N_(" och ")), events) if events else Phrase(N_("flera incidenter"))
    days = alert.fade_days_rounded
    if alert.kind == CONFLICT:
        return Phrase(
            N_("Risken höjd efter %(events)s mellan %(a)s och %(b)s; avtar under ungefär %(days)s dagar."),
            events=named,
            a=alert.groups[0].name,
            b=alert.groups[1].name,
            days=days,
        )
    return Phrase(
        N_("Risken höjd för %(group)s efter %(events)s; avtar under ungefär %(days)s dagar."),
        group=alert.groups[0].name,
        events=named,
        days=days,
    )


def _state(
    data: _SiteData,
    fit: hawkes.PooledFit,
    stream: hawkes.Stream,
    t_now: float,
    now: datetime,
    region: hawkes.LikelihoodRegion | None = None,
):
    mu, alpha, beta = fit.params(stream.key)
    state = hawkes.stream_state(stream.times, t_now, mu, alpha, beta)
    if stream.key.startswith("g"):
        kind, relation = GROUP, None
        groups = (data.groups[int(stream.key[1:])],)
    else:
        kind, relation = CONFLICT, data.relations[int(stream.key[1:])]
        groups = (data.groups[relation.group_a_id], data.groups[relation.group_b_id])
    raised = (
        hawkes.raised_above_usual(state.intensity, mu, alpha, ALERT_RATIO, fit.aic_gain)
        and state.extra_expected(30) >= ALERT_EXTRA_30
    )
    limit = ALERT_RATIO * state.usual - mu  # the excess at which λ falls below RATIO × usual
    fade = 0.0 if state.excess <= limit else math.log(state.excess / limit) / beta
    low_7 = high_7 = low_30 = high_30 = math.nan
    if region is not None:
        low_7, high_7 = region.expected_interval(stream.times, t_now, stream.key, 7)
        low_30, high_30 = region.expected_interval(stream.times, t_now, stream.key, 30)
    alert = RiskAlert(
        key=stream.key,
        kind=kind,
        groups=groups,
        relation=relation,
        intensity=state.intensity,
        background=mu,
        usual=state.usual,
        excess_ratio=state.ratio,
        expected_7=state.expected(7),
        expected_30=state.expected(30),
        usual_7=state.usual_expected(7),
        usual_30=state.usual_expected(30),
        half_life_days=state.half_life,
        fade_days=fade,
        n_events=state.n_events,
        raised=raised,
        expected_7_low=low_7,
        expected_7_high=high_7,
        expected_30_low=low_30,
        expected_30_high=high_30,
        sparkline=_sparkline(stream.times, t_now, data.origin, mu, alpha, beta),
    )
    ids = data.events[stream.key]
    for part in hawkes.contributions(
        stream.times, t_now, alpha, beta, top=TRIGGERS, min_share=TRIGGER_MIN_SHARE
    ):
        incident = data.incidents[ids[part.index]]
        alert.triggers.append(
            Trigger(
                incident=incident,
                occurred_at=incident.occurred_at,
                type_label=str(incident.get_type_display()),
                contribution_30=part.intensity * 30,
                share=part.share,
                remaining=part.remaining,
            )
        )
    if raised:
        alert.explanation_text = _explanation(alert, now)
        alert.explanation = str(alert.explanation_text)
    return alert


def _empty(site, now, n_events=0, fit=None) -> RiskPicture:
    return RiskPicture(site=site, now=now, alerts=[], states={}, fit=fit, n_events=n_events)


def _latest_rows(site: Site) -> list:
    from gvi.operations.recompute import latest_marks

    return latest_marks(site.pk, SCOPED_MODELS)


def compute_picture(user, site: Site, now: datetime | None = None) -> RiskPicture:
    """Fit the model and build the picture at `site` from what `user` sees, at `now` (default: this
    minute). The worker's computation (and the tests'): pages read the stored result instead."""
    now = now or timezone.now().replace(second=0, microsecond=0)
    if site.pk not in {s.pk for s in risk_sites(user)}:
        return _empty(None, now)
    return _compute(_user_rows(user), site, now)


def compute_shared_picture(site: Site, now: datetime | None = None) -> RiskPicture:
    """As `compute_picture`, from what the whole partnership at `site` reads (`_shared_rows`)."""
    return _compute(_shared_rows, site, now or timezone.now().replace(second=0, microsecond=0))


def _compute(rows_of, site: Site, now: datetime) -> RiskPicture:
    data = _site_data_from(rows_of, site, now)
    n_events = len({i for ids in data.events.values() for i in ids})
    if sum(s.n_events for s in data.streams) < MIN_EVENTS:
        return _empty(site, now, n_events)
    fit = _fit(site, data)
    if not fit.n_events or not math.isfinite(fit.beta):
        return _empty(site, now, n_events)
    region = hawkes.likelihood_region(
        data.streams, fit, mu_bounds=MU_BOUNDS, beta_bounds=BETA_BOUNDS, grid=REGION_GRID
    )
    summary = FitSummary(
        alpha=fit.alpha,
        beta=fit.beta,
        loglik=fit.loglik,
        poisson_loglik=fit.poisson_loglik,
        n_events=fit.n_events,
        n_streams=fit.n_streams,
        converged=fit.converged,
        window_days=WINDOW_DAYS,
        fitted_to=data.origin + timedelta(days=data.end),
        alpha_low=region.alpha[0],
        alpha_high=region.alpha[1],
        beta_low=region.beta[0],
        beta_high=region.beta[1],
        weak=region.weakly_identified or fit.aic_gain <= 0,
    )
    t_now = _days(now, data.origin)
    states = {stream.key: _state(data, fit, stream, t_now, now, region) for stream in data.streams}
    alerts = sorted(
        (a for a in states.values() if a.raised),
        key=lambda a: (-a.excess, a.label.lower(), a.key),
    )
    return RiskPicture(
        site=site, now=now, alerts=alerts, states=states, fit=summary, n_events=n_events, enough_data=True
    )


# --------------------------------------------------------------------------------------------------
# The read model: who sees the same picture, computing it for every such scope, reading it back
# --------------------------------------------------------------------------------------------------

SCOPED_MODELS = (Incident, Involvement, Group, GroupRelation)
SHARED_SCOPE = "shared"  # the partnership's snapshot (never a digest: those are 64 hex digits)
STATES_SHOWN = 100  # the page's table of every group and conflict shows at most this many


def risk_scope(user, site: Site) -> str:
    """A digest of everything that decides which rows of the models the picture reads `user` sees at
    `site`, following `gvi.access.models.membership_q` grant by grant: per model, whether the user sees
    every row at the site, or else which organisations' own rows and whether the shared rows; and to which
    organisations disclosures count. Users with the same scope see the same rows, so they may share a
    snapshot; users who may see different rows never do."""
    memberships = [m for m in user.memberships.active() if m.site_id] if user.is_active else []
    parts = {}
    for model in SCOPED_MODELS:
        label = model._meta.label_lower
        site_wide, shared, own, disclosed = False, False, set(), set()
        for membership in memberships:
            found = grant_for(membership.role, label)
            may_view = found is not None and VIEW in found.actions
            if may_view:
                disclosed.add(membership.organisation_id)
            if membership.site_id != site.pk:
                continue
            if model.shared_rows is not None:
                shared_grant = grant_for(membership.role, model.shared_record_type)
                shared = shared or (shared_grant is not None and VIEW in shared_grant.actions)
            if may_view:
                if found.scope == OWN:
                    own.add(membership.organisation_id)
                else:
                    site_wide = True
        parts[label] = {
            "site": site_wide,
            "own": [] if site_wide else sorted(own),
            "shared": shared and not site_wide,
            "disclosed": sorted(disclosed),
        }
    payload = json.dumps({"site": site.pk, "models": parts}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _disclosure_digest(user) -> str:
    """The active disclosures, of the record types the picture reads, to the organisations whose
    disclosures count for `user` (as in `risk_scope`): a revoked or expired one changes the digest."""
    organisations = {
        m.organisation_id
        for m in (user.memberships.active() if user.is_active else [])
        if m.site_id and any(role_may(m.role, model._meta.label_lower, VIEW) for model in SCOPED_MODELS)
    }
    types = ContentType.objects.get_for_models(*SCOPED_MODELS).values()
    ids = (
        Disclosure.objects.active()
        .filter(to_organisation_id__in=organisations, content_type__in=types)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def _site_users(site: Site):
    from django.contrib.auth import get_user_model

    members = Membership.objects.active().filter(site=site).values("user_id")
    return get_user_model().objects.filter(is_active=True, pk__in=members).order_by("pk")


def recompute_site(site: Site, now: datetime | None = None, users=None) -> int:
    """Compute and store the picture at `site` for every scope its members have (or only for `users`'
    scopes). One fit per distinct data set: scopes that see the same streams share the cached fit.
    Returns the number of scopes stored."""
    now = now or timezone.now().replace(second=0, microsecond=0)
    scopes: dict[str, object] = {}
    for user in _site_users(site) if users is None else users:
        if site.pk in {s.pk for s in risk_sites(user)}:
            scopes.setdefault(risk_scope(user, site), user)
    source = _latest_rows(site)
    for scope, user in scopes.items():
        _store(site, scope, _disclosure_digest(user), source, compute_picture(user, site, now))
    if users is None:  # the whole site: the partnership's snapshot too
        _store(site, SHARED_SCOPE, "", source, compute_shared_picture(site, now))
        RiskSnapshot.objects.filter(site=site).exclude(scope__in=[*scopes, SHARED_SCOPE]).delete()
    return len(scopes)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _restore(value: float | None) -> float:
    return math.inf if value is None else value


FIGURES = (
    "intensity",
    "background",
    "usual",
    "expected_7",
    "expected_30",
    "usual_7",
    "usual_30",
    "half_life_days",
    "fade_days",
)
INTERVALS = ("expected_7_low", "expected_7_high", "expected_30_low", "expected_30_high")


def _store(site: Site, scope: str, disclosures: str, source: list, picture: RiskPicture) -> RiskSnapshot:
    fit = picture.fit
    snapshot, _created = RiskSnapshot.objects.update_or_create(
        site=site,
        scope=scope,
        defaults={
            "computed_at": picture.now,
            "disclosures": disclosures,
            "source": source,
            "enough_data": picture.enough_data,
            "n_events": picture.n_events,
            "n_streams": len(picture.states),
            "fit": None
            if fit is None
            else {
                "alpha": fit.alpha,
                "beta": fit.beta,
                "loglik": fit.loglik,
                "poisson_loglik": fit.poisson_loglik,
                "n_events": fit.n_events,
                "n_streams": fit.n_streams,
                "converged": fit.converged,
                "window_days": fit.window_days,
                "fitted_to": fit.fitted_to.isoformat(),
                "alpha_low": _finite(fit.alpha_low),
                "alpha_high": _finite(fit.alpha_high),
                "beta_low": _finite(fit.beta_low),
                "beta_high": _finite(fit.beta_high),
                "weak": fit.weak,
            },
        },
    )
    snapshot.streams.all().delete()
    rank = {alert.key: index for index, alert in enumerate(picture.alerts)}
    RiskStreamState.objects.bulk_create(
        [
            RiskStreamState(
                snapshot=snapshot,
                key=state.key,
                kind=state.kind,
                group_a_id=state.groups[0].pk,
                group_b_id=state.groups[1].pk if len(state.groups) > 1 else None,
                relation_id=state.relation.pk if state.relation else None,
                raised=state.raised,
                rank=rank.get(state.key),
                excess_ratio=_finite(state.excess_ratio) or 0.0,
                n_events=state.n_events,
                figures={name: _finite(getattr(state, name)) for name in FIGURES}
                | {name: _finite(getattr(state, name)) for name in INTERVALS}
                | {"excess_ratio": _finite(state.excess_ratio)},
                triggers=[
                    {
                        "incident": t.incident.pk,
                        "contribution_30": t.contribution_30,
                        "share": t.share,
                        "remaining": t.remaining,
                    }
                    for t in state.triggers
                ],
                sparkline=None
                if state.sparkline is None
                else {
                    "points": state.sparkline.points,
                    "background_y": state.sparkline.background_y,
                    "ticks": state.sparkline.ticks,
                    "peak_30": state.sparkline.peak_30,
                    "rows": [[r.day.isoformat(), r.intensity_30, r.incidents] for r in state.sparkline.rows],
                },
            )
            for state in picture.states.values()
        ],
        batch_size=500,
    )
    return snapshot


def _fit_summary(stored: dict | None) -> FitSummary | None:
    if stored is None:
        return None
    restored = {**stored, "fitted_to": datetime.fromisoformat(stored["fitted_to"])}
    for name in ("alpha_low", "alpha_high", "beta_low", "beta_high"):
        restored[name] = math.nan if restored.get(name) is None else restored[name]
    return FitSummary(**restored)


class StoredStates(Mapping):
    """A snapshot's stream states, read on demand (a site can have thousands): `states[key]` reads one."""

    def __init__(self, snapshot: RiskSnapshot, rows_of):
        self.snapshot = snapshot
        self.rows_of = rows_of

    def _rows(self):
        return self.snapshot.streams.all()

    def __getitem__(self, key: str) -> RiskAlert:
        found = _alerts(self.snapshot, self.rows_of, self._rows().filter(key=key))
        if not found:
            raise KeyError(key)
        return found[0]

    def __iter__(self):
        return iter(self._rows().order_by("key").values_list("key", flat=True))

    def __len__(self) -> int:
        return self.snapshot.n_streams

    def values(self):
        return _alerts(self.snapshot, self.rows_of, self._rows().order_by("key"))

    def top(self, limit: int) -> list[RiskAlert]:
        """The streams with the most incidents, at most `limit` (the page's table)."""
        return _alerts(self.snapshot, self.rows_of, self._rows().order_by("-n_events", "key")[:limit])


def _alerts(snapshot: RiskSnapshot, rows_of, rows) -> list[RiskAlert]:
    """Rows of a snapshot as RiskAlert objects, with the groups, conflicts and incidents read through
    `rows_of` (`visible_to` of the reader: a row whose group or conflict the reader no longer sees is left
    out)."""
    rows = list(rows)
    group_ids = {r.group_a_id for r in rows} | {r.group_b_id for r in rows if r.group_b_id}
    groups = {g.pk: g for g in rows_of(Group).filter(pk__in=group_ids)}
    relation_ids = {r.relation_id for r in rows if r.relation_id}
    relations = {r.pk: r for r in rows_of(GroupRelation).filter(pk__in=relation_ids)}
    incident_ids = {t["incident"] for r in rows for t in r.triggers}
    incidents = {
        i.pk: i
        for i in rows_of(Incident)
        .filter(pk__in=incident_ids)
        .select_related("area")
        .only("id", "type", "occurred_at", "area__name", "site_id")
    }
    found = []
    for row in rows:
        members = [row.group_a_id] + ([row.group_b_id] if row.group_b_id else [])
        if any(pk not in groups for pk in members) or (row.relation_id and row.relation_id not in relations):
            continue
        figures = {name: _restore(row.figures.get(name)) for name in FIGURES}
        alert = RiskAlert(
            key=row.key,
            kind=row.kind,
            groups=tuple(groups[pk] for pk in members),
            relation=relations.get(row.relation_id),
            excess_ratio=_restore(row.figures.get("excess_ratio")),
            n_events=row.n_events,
            raised=row.raised,
            **figures,
            **{name: math.nan if row.figures.get(name) is None else row.figures[name] for name in INTERVALS},
        )
        for part in row.triggers:
            incident = incidents.get(part["incident"])
            if incident is None:
                continue
            alert.triggers.append(
                Trigger(
                    incident=incident,
                    occurred_at=incident.occurred_at,
                    type_label=str(incident.get_type_display()),
                    contribution_30=part["contribution_30"],
                    share=part["share"],
                    remaining=part["remaining"],
                )
            )
        if row.sparkline:
            spark = row.sparkline
            alert.sparkline = Sparkline(
                points=spark["points"],
                background_y=spark["background_y"],
                ticks=spark["ticks"],
                peak_30=spark["peak_30"],
                rows=[SparkRow(datetime.fromisoformat(day), value, n) for day, value, n in spark["rows"]],
            )
        if alert.raised:
            alert.explanation_text = _explanation(alert, snapshot.computed_at)
            alert.explanation = str(alert.explanation_text)
        found.append(alert)
    return found


def _resolve_site(user, site) -> Site | None:
    sites = risk_sites(user)
    if site is None:
        return sites[0] if sites else None
    pk = site.pk if isinstance(site, Site) else site
    return next((s for s in sites if s.pk == pk), None)


def retaliation_risk(user, site: Site | int | None = None) -> RiskPicture:
    """The retaliation-risk picture at `site` (default: the user's first site) from what `user` sees, as
    the worker last computed it; never fits a model. A site the user holds no incident-viewing role at
    gives an empty picture, never data.

    No snapshot for the user's scope yet, or one resting on a disclosure that has since been revoked or
    has expired: nothing is shown (`pending`) and a recomputation is requested at once. A snapshot older
    than the site's latest change is shown (`stale`) while a recomputation is requested."""
    from gvi.operations import recompute

    now = timezone.now()
    site = _resolve_site(user, site)
    if site is None:
        return _empty(None, now)
    snapshot = RiskSnapshot.objects.filter(site=site, scope=risk_scope(user, site)).first()
    if snapshot is None or snapshot.disclosures != _disclosure_digest(user):
        recompute.request(recompute.RISK, site.pk, delay_seconds=0)
        return RiskPicture(site=site, now=now, alerts=[], states={}, fit=None, pending=True)
    return _picture_from(snapshot, site, _user_rows(user))


def shared_retaliation_risk(site: Site) -> RiskPicture:
    """The picture at `site` from what the whole partnership there reads, as the worker last computed it:
    for the weekly review's agenda, which every organisation at the site reads, so that no organisation's
    own coding of persons reaches the others through an alert. The caller checks who may ask."""
    from gvi.operations import recompute

    snapshot = RiskSnapshot.objects.filter(site=site, scope=SHARED_SCOPE).first()
    if snapshot is None:
        recompute.request(recompute.RISK, site.pk, delay_seconds=0)
        return RiskPicture(site=site, now=timezone.now(), alerts=[], states={}, fit=None, pending=True)
    return _picture_from(snapshot, site, _shared_rows)


def _picture_from(snapshot: RiskSnapshot, site: Site, rows_of) -> RiskPicture:
    from gvi.operations import recompute

    stale = snapshot.source != _latest_rows(site)
    if stale:
        recompute.request(recompute.RISK, site.pk)
    if not snapshot.enough_data:
        return RiskPicture(
            site=site,
            now=snapshot.computed_at,
            alerts=[],
            states={},
            fit=None,
            n_events=snapshot.n_events,
            computed_at=snapshot.computed_at,
            stale=stale,
        )
    return RiskPicture(
        site=site,
        now=snapshot.computed_at,
        alerts=_alerts(snapshot, rows_of, snapshot.streams.filter(rank__isnull=False).order_by("rank")),
        states=StoredStates(snapshot, rows_of),
        fit=_fit_summary(snapshot.fit),
        n_events=snapshot.n_events,
        enough_data=True,
        computed_at=snapshot.computed_at,
        stale=stale,
    )


def group_risk(user, group: Group) -> GroupRisk | None:
    """The risk for one group's page; None when the user may not see the group or its incidents."""
    if not Group.objects.visible_to(user).filter(pk=group.pk).exists():
        return None
    site = next((s for s in risk_sites(user) if s.pk == group.site_id), None)
    if site is None:
        return None
    picture = retaliation_risk(user, site)
    return GroupRisk(
        group=group,
        state=picture.states.get(f"g{group.pk}"),
        alerts=[a for a in picture.alerts if any(g.pk == group.pk for g in a.groups)],
        fit=picture.fit,
    )


def suggested_notifications(user) -> list[RiskSuggestion]:
    """The groups at raised risk at all the user's sites, most raised first.

    A raised conflict puts both groups on the list (either side may act next). Each suggestion carries the
    alerts that concern the group, the largest first.
    """
    found: dict[int, RiskSuggestion] = {}
    for site in risk_sites(user):
        for alert in retaliation_risk(user, site).alerts:
            for group in alert.groups:
                suggestion = found.setdefault(group.pk, RiskSuggestion(group=group, site=site, alerts=[]))
                suggestion.alerts.append(alert)
    return sorted(found.values(), key=lambda s: (-s.excess, s.group.name.lower(), s.group.pk))
