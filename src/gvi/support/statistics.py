"""Aggregate figures of the offer of help: counts only, never a row per person.

Inside the owning social-services organisation the site figures are exact. Everyone else in the
partnership (and the national layer) sees counts from 1 to 4 suppressed; where a suppressed count could be
worked out from a published total, the next smallest count of the same breakdown is suppressed as well
(secondary suppression). A median over fewer than five cases is not shown outside the owner.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from statistics import median

from django.db.models import Count
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone

from gvi.analysis.charts import BarChart, axis_bar_chart
from gvi.analysis.suppression import suppress
from gvi.partnership.models import Role, Site
from gvi.support.models import CLOSED_STATUSES, OPEN_STATUSES, CaseStatus, IntakeRoute, SupportCase

# The partnership at a site sees the aggregate figures; the national analyst sees only the national table.
STATISTICS_ROLES = frozenset(
    {Role.COORDINATOR, Role.STEERING_MEMBER, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER}
)
MIN_CASES_FOR_MEDIAN = 5
MONTHS = 12


def suppress_breakdown(counts: list[int], total: int) -> tuple[list[int | None], int | None]:
    """Suppress 1–4 in a breakdown and its total, so that no suppressed cell follows from the others."""
    cells: list[int | None] = [suppress(n) for n in counts]
    hidden = [i for i, value in enumerate(cells) if value is None]
    if len(hidden) == 1:
        candidates = [i for i, value in enumerate(cells) if value]  # published and not zero
        if candidates:
            smallest = min(candidates, key=lambda i: counts[i])
            cells[smallest] = None
    return cells, suppress(total)


def _median_days(pairs) -> tuple[float | None, int]:
    days = [(first - requested).days for requested, first in pairs if first is not None]
    return (float(median(days)) if days else None), len(days)


def month_starts(months: int, today: date) -> list[date]:
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


@dataclass
class SiteFigures:
    site: Site
    suppressed: bool
    since: date
    through: date  # today: the last month is the running month, counted up to this day
    months: list[tuple[str, int | None]] = field(default_factory=list)
    requests: int | None = 0
    routes: list[tuple[str, int | None]] = field(default_factory=list)
    open_cases: int | None = 0
    awaiting_first_contact: int | None = 0
    outcomes: list[tuple[str, int | None]] = field(default_factory=list)
    closed: int | None = 0
    median_days: float | None = None
    median_cases: int | None = 0

    @property
    def chart(self) -> BarChart:
        """The monthly requests with a value axis, the running month marked as incomplete. A suppressed
        month gets no bar (its value reads "1–4" in the bar's title and in the table)."""
        return axis_bar_chart(
            [(label, value or 0) for label, value in self.months],
            running=self.through.strftime("%Y-%m"),
            through=self.through,
        )

    @property
    def bars(self) -> list[dict]:
        return [
            {"bar": bar, "suppressed": value is None}
            for bar, (_label, value) in zip(self.chart.bars, self.months, strict=True)
        ]


def user_owns_all_cases_at(user, site: Site) -> bool:
    """True if every case at the site is owned by an organisation the user works for there."""
    owner_ids = set(
        SupportCase.unscoped_all_sites.filter(site=site).values_list("owner_id", flat=True).distinct()
    )
    own_ids = set(user.memberships.active().filter(site=site).values_list("organisation_id", flat=True))
    return owner_ids <= own_ids


def statistics_sites(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Site.objects.none()
    site_ids = user.memberships.active().filter(role__in=list(STATISTICS_ROLES)).values("site_id")
    return Site.objects.filter(pk__in=site_ids).order_by("name")


def site_figures(
    site: Site, suppressed: bool, today: date | None = None, months: int = MONTHS
) -> SiteFigures:
    today = today or timezone.localdate()
    starts = month_starts(months, today)
    since = starts[0]
    cases = SupportCase.unscoped_all_sites.filter(site=site)
    recent = cases.filter(requested_at__gte=since)
    figures = SiteFigures(site=site, suppressed=suppressed, since=since, through=today)

    per_month = {
        row["month"].replace(day=1): row["n"]
        for row in recent.annotate(month=TruncMonth("requested_at")).values("month").annotate(n=Count("id"))
    }
    month_counts = [per_month.get(start, 0) for start in starts]
    requests = sum(month_counts)
    per_route = dict(recent.values_list("intake_route").annotate(n=Count("id")))
    route_counts = [per_route.get(value, 0) for value in IntakeRoute.values]
    closed = cases.filter(status__in=CLOSED_STATUSES, closed_on__gte=since)
    per_outcome = dict(closed.values_list("status").annotate(n=Count("id")))
    outcome_counts = [per_outcome.get(value, 0) for value in CLOSED_STATUSES]
    open_cases = cases.filter(status__in=OPEN_STATUSES)
    open_count = open_cases.count()
    awaiting = open_cases.filter(first_contact_date__isnull=True).count()
    median_days, median_cases = _median_days(recent.values_list("requested_at", "first_contact_date"))

    month_labels = [start.strftime("%Y-%m") for start in starts]
    route_labels = [str(label) for label in IntakeRoute.labels]
    outcome_labels = [str(CaseStatus(value).label) for value in CLOSED_STATUSES]
    if suppressed:
        month_cells, figures.requests = suppress_breakdown(month_counts, requests)
        route_cells, _total = suppress_breakdown(route_counts, requests)
        outcome_cells, figures.closed = suppress_breakdown(outcome_counts, sum(outcome_counts))
        figures.open_cases, figures.awaiting_first_contact = suppress(open_count), suppress(awaiting)
        figures.median_cases = suppress(median_cases)
        figures.median_days = median_days if median_cases >= MIN_CASES_FOR_MEDIAN else None
    else:
        month_cells, route_cells, outcome_cells = month_counts, route_counts, outcome_counts
        figures.requests, figures.closed = requests, sum(outcome_counts)
        figures.open_cases, figures.awaiting_first_contact = open_count, awaiting
        figures.median_days, figures.median_cases = median_days, median_cases
    figures.months = list(zip(month_labels, month_cells, strict=True))
    figures.routes = list(zip(route_labels, route_cells, strict=True))
    figures.outcomes = list(zip(outcome_labels, outcome_cells, strict=True))
    return figures


def statistics_for(user, today: date | None = None) -> list[SiteFigures]:
    """The figures for every site where the user is in the partnership, suppressed unless they work for
    the organisation that owns the cases there."""
    return [
        site_figures(site, suppressed=not user_owns_all_cases_at(user, site), today=today)
        for site in statistics_sites(user)
    ]


def national_support_table() -> list[dict]:
    """Per site and year (of the request): requests, requests with a first contact, cases closed that
    year, of which completed, and the median days from request to first contact (five cases or more).
    Counts 1–4 are suppressed (None). No person-level data; sites without cases show zeros."""
    cases = SupportCase.unscoped_all_sites.all()
    requested = defaultdict(dict)
    for row in (
        cases.annotate(year=ExtractYear("requested_at"))
        .values("site_id", "year")
        .annotate(n=Count("id"), contacted=Count("first_contact_date"))
    ):
        requested[(row["site_id"], row["year"])] = row
    closed = defaultdict(dict)
    for row in (
        cases.filter(status__in=CLOSED_STATUSES, closed_on__isnull=False)
        .annotate(year=ExtractYear("closed_on"))
        .values("site_id", "year", "status")
        .annotate(n=Count("id"))
    ):
        closed[(row["site_id"], row["year"])][row["status"]] = row["n"]
    delays = defaultdict(list)
    for site_id, requested_at, first in cases.filter(first_contact_date__isnull=False).values_list(
        "site_id", "requested_at", "first_contact_date"
    ):
        delays[(site_id, requested_at.year)].append((first - requested_at).days)
    years = sorted({year for _site, year in requested} | {year for _site, year in closed})
    rows = []
    for site in Site.objects.filter(is_active=True).order_by("name"):
        for year in years:
            key = (site.pk, year)
            outcome = closed.get(key, {})
            days = delays.get(key, [])
            rows.append(
                {
                    "site": site.name,
                    "year": year,
                    "requests": suppress(requested.get(key, {}).get("n", 0)),
                    "first_contacts": suppress(requested.get(key, {}).get("contacted", 0)),
                    "closed": suppress(sum(outcome.values())),
                    "completed": suppress(outcome.get(CaseStatus.COMPLETED, 0)),
                    "median_days_to_first_contact": (
                        float(median(days)) if len(days) >= MIN_CASES_FOR_MEDIAN else None
                    ),
                }
            )
    return rows


def help_uptake(person_ids, contacted_on: dict[int, date]) -> dict:
    """How many of these persons asked for help on or after the day they were reached by a communication
    (a support case requested then or later), and the median days from the communication to the first
    support contact. Aggregates only, never ids, with counts 1–4 suppressed (None); a count equal to the
    number of persons is suppressed too (it would say that every one of them has a support case), and
    the median needs five persons with a first contact."""
    ids = {int(pk) for pk in person_ids}
    asked: set[int] = set()
    days: dict[int, int] = {}
    for person_id, requested_at, first in SupportCase.unscoped_all_sites.filter(
        person_id__in=ids
    ).values_list("person_id", "requested_at", "first_contact_date"):
        since = contacted_on.get(person_id)
        if since is None or requested_at < since:
            continue
        asked.add(person_id)
        if first is not None:
            delay = (first - since).days
            days[person_id] = min(days.get(person_id, delay), delay)

    def published(count: int) -> int | None:
        return None if count and count == len(ids) else suppress(count)

    return {
        "persons": len(ids),
        "asked_for_help": published(len(asked)),
        "with_first_contact": published(len(days)),
        "median_days_to_first_contact": (
            float(median(days.values())) if len(days) >= MIN_CASES_FOR_MEDIAN else None
        ),
    }
