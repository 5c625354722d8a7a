"""Aggregate statistics. Site figures are computed from scoped rows; national figures leave a site only
as predefined tables with small counts suppressed."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from gvi.access.decorators import user_roles
from gvi.access.permissions import INCIDENT_LEVEL
from gvi.analysis.suppression import suppress
from gvi.evaluation.models import SurveyValue, UnitCost
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Site


def month_starts(months: int, today: date | None = None) -> list[date]:
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _month in range(months):
        starts.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


def monthly_incident_counts(incidents, months: int = 36) -> list[tuple[str, int]]:
    """Counts per calendar month over the last `months` months, zero-filled, oldest first."""
    starts = month_starts(months)
    rows = (
        incidents.filter(occurred_at__date__gte=starts[0])
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(n=Count("id"))
    )
    counts = {}
    for row in rows:
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        counts[month.replace(day=1)] = row["n"]
    return [(start.strftime("%Y-%m"), counts.get(start, 0)) for start in starts]


# --- National tables ---------------------------------------------------------------------------------
# Site statistics leave a site only as these tables: sites x months of one calendar year for one indicator,
# published with row totals (the site's year), column totals (all sites' month) and the grand total, counts
# 1–4 suppressed and secondary suppression so that no hidden value follows from the totals. The per-year
# table shows exactly these tables' row totals, so the two pages together give nothing away either.

NATIONAL_INDICATORS = {
    "serious": (_lazy("Dödligt och grovt våld"), Q()),
    "lethal": (_lazy("Dödligt våld"), Q(type=Incident.Type.LETHAL) | Q(dead__gt=0)),
    "shootings": (_lazy("Skjutningar"), Q(type=Incident.Type.SHOOTING)),
    "explosions": (_lazy("Sprängningar"), Q(type=Incident.Type.EXPLOSION)),
}


@dataclass(frozen=True)
class NationalRow:
    site: str
    values: list[int | None]
    total: int | None


@dataclass(frozen=True)
class NationalTable:
    indicator: str
    year: int
    months: list[str]  # YYYY-MM
    rows: list[NationalRow]
    column_totals: list[int | None]
    grand_total: int | None

    @property
    def label(self) -> str:
        return str(NATIONAL_INDICATORS[self.indicator][0]) if self.indicator in NATIONAL_INDICATORS else ""

    @property
    def has_counts(self) -> bool:
        return self.grand_total != 0


def _national_counts(indicator: str) -> dict[tuple[str, date], int]:
    """Incidents per site name and calendar month, all sites. An aggregate query: no row leaves it."""
    condition = NATIONAL_INDICATORS[indicator][1]
    rows = (
        Incident.unscoped_all_sites.filter(condition)
        .annotate(month=TruncMonth("occurred_at"))
        .order_by()
        .values("site__name", "month")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[str, date], int] = {}
    for row in rows:
        month = row["month"]
        month = (month.date() if hasattr(month, "date") else month).replace(day=1)
        counts[(row["site__name"], month)] = row["n"]
    return counts


def national_years(today: date | None = None) -> list[int]:
    """Calendar years with registered incidents at any site, up to this year, newest first."""
    today = today or timezone.localdate()
    years = {
        value.year
        for value in Incident.unscoped_all_sites.dates("occurred_at", "year")
        if value.year <= today.year
    }
    return sorted(years, reverse=True)


def _all_national_counts() -> dict[str, dict[tuple[str, date], int]]:
    return {indicator: _national_counts(indicator) for indicator in NATIONAL_INDICATORS}


def complete_months(year: int, today: date | None = None) -> list[date]:
    """The months of `year` that are over: only complete months are published (a month's counts are
    protected once, when it is complete, and every later version carries that pattern forward)."""
    today = today or timezone.localdate()
    if year > today.year:
        return []
    last_month = 12 if year < today.year else today.month - 1
    return [date(year, month, 1) for month in range(1, last_month + 1)]


def _month_is_over(month: date) -> bool:
    """Whether `month` is complete by the real clock (a table asked for another `today` never publishes
    a month that has not ended)."""
    today = timezone.localdate()
    return (month.year, month.month) < (today.year, today.month)


def published_months(months: list[date], counts) -> dict:
    """The complete months among `months`, each as first published (gvi.evaluation.models.PublishedMonth):
    a month not yet published is fixed now, with the sites active today and their counts."""
    from gvi.evaluation import services
    from gvi.evaluation.models import PublishedMonth

    found = {published.month: published for published in PublishedMonth.objects.filter(month__in=months)}
    waiting = [month for month in months if month not in found and _month_is_over(month)]
    if waiting:
        active = list(Site.objects.filter(is_active=True).values_list("name", flat=True))
        for month in waiting:
            month_counts = {
                ind: [counts[ind].get((name, month), 0) for name in active] for ind in NATIONAL_INDICATORS
            }
            found[month] = services.publish_month(month, active, month_counts)
    return found


def _on_rows(protected, month_sites: list[str], month_counts: dict, rows: list[str]):
    """A month protected over its own sites, laid out on the table's rows: a site the month was not
    published for has no value that month (None) and counts 0 towards nothing."""
    from gvi.analysis.suppression import ProtectedMonth

    where = {name: index for index, name in enumerate(month_sites)}
    cells = {
        ind: [protected.cells[ind][where[name]] if name in where else None for name in rows]
        for ind in protected.cells
    }
    raw = {
        ind: [month_counts[ind][where[name]] if name in where else 0 for name in rows] for ind in month_counts
    }
    return ProtectedMonth(cells=cells, totals=protected.totals), raw


def national_month_table(
    indicator: str, year: int, today: date | None = None, counts=None, sites=None
) -> NationalTable:
    """One protected table: sites x the complete months of `year`.

    Each month is protected as one column of every site and every indicator together (nested indicators
    such as lethal within serious protect each other), independently of the other months, and from the
    counts it had when it was first published (`published_months`): a month reads the same in every later
    year-to-date version, whatever is registered later. A site's year-to-date total is published only
    where all its months are (gvi.analysis.suppression.year_version). The rows are `sites` (the active
    sites) and any site a published month of the year holds, so a month's column total never stands
    beside fewer sites than it sums. `counts` maps every indicator to its counts (computed when not
    given)."""
    from gvi.analysis.suppression import protect_month, year_version

    months = complete_months(year, today)
    counts = _all_national_counts() if counts is None else counts
    if sites is None:
        sites = list(Site.objects.filter(is_active=True).values_list("name", flat=True))
    published = published_months(months, counts)
    rows = list(sites)
    for month in months:
        if month in published:
            rows += [name for name in published[month].sites if name not in rows]
    if not months or not rows:
        return NationalTable(indicator, year, [m.strftime("%Y-%m") for m in months],
                             [NationalRow(name, [], 0) for name in rows], [], 0)  # fmt: skip
    monthly, protected = [], []
    for month in months:
        if month in published:
            month_sites, month_counts = published[month].sites, published[month].counts
        else:
            month_sites = rows
            month_counts = {
                ind: [counts[ind].get((name, month), 0) for name in rows] for ind in NATIONAL_INDICATORS
            }
        month_protected, raw = _on_rows(protect_month(month_counts), month_sites, month_counts, rows)
        monthly.append(raw)
        protected.append(month_protected)
    version = year_version(monthly, len(months), protected=protected)
    return NationalTable(
        indicator=indicator,
        year=year,
        months=[month.strftime("%Y-%m") for month in months],
        rows=[
            NationalRow(name, values, total)
            for name, values, total in zip(
                rows, version.cells[indicator], version.row_totals[indicator], strict=True
            )
        ],
        column_totals=version.column_totals[indicator],
        grand_total=version.grand_totals[indicator],
    )


def national_tables(
    indicator: str = "serious", years: list[int] | None = None, today: date | None = None, sites=None
) -> list[NationalTable]:
    counts = _all_national_counts()
    years = national_years(today) if years is None else years
    return [national_month_table(indicator, year, today, counts, sites) for year in years]


def national_table(today: date | None = None) -> tuple[list[dict], list[int]]:
    """Serious incidents per site and year: the row totals of the suppressed month tables. No person."""
    tables = sorted(national_tables("serious", today=today), key=lambda table: table.year)
    years = [table.year for table in tables]
    sites = list(Site.objects.filter(is_active=True).values_list("name", flat=True))
    totals = {(row.site, table.year): row.total for table in tables for row in table.rows}
    return [
        {"site": name, "values": [totals.get((name, year), 0) for year in years]} for name in sites
    ], years


@dataclass(frozen=True)
class ImportedTable:
    installation: str
    source: str
    imported_at: object
    table: NationalTable


def imported_tables(indicator: str = "serious", year: int | None = None) -> list[ImportedTable]:
    """The tables imported from other installations, as they were published (already suppressed)."""
    from gvi.evaluation.models import AggregatePackage, ImportedAggregate

    values = ImportedAggregate.objects.filter(indicator=indicator).select_related("package")
    if year is not None:
        values = values.filter(period__startswith=str(year))
    grouped: dict[tuple[str, int], dict] = {}
    for value in values:
        item = grouped.setdefault(
            (value.source, int(value.period[:4])), {"package": value.package, "cells": {}, "months": set()}
        )
        if value.package.imported_at > item["package"].imported_at:
            item["package"] = value.package
        item["cells"][(value.site_name, value.period)] = value.value
        if len(value.period) == 7:
            item["months"].add(value.period)
    out = []
    for (source, table_year), item in sorted(grouped.items(), key=lambda pair: (pair[0][0], -pair[0][1])):
        months = sorted(item["months"])
        cells = item["cells"]
        sites = sorted({site for site, _period in cells if site})
        package: AggregatePackage = item["package"]
        out.append(
            ImportedTable(
                package.installation,
                source,
                package.imported_at,
                NationalTable(
                    indicator=indicator,
                    year=table_year,
                    months=months,
                    rows=[
                        NationalRow(
                            site,
                            [cells.get((site, month)) for month in months],
                            cells.get((site, str(table_year))),
                        )
                        for site in sites
                    ],
                    column_totals=[cells.get(("", month)) for month in months],
                    grand_total=cells.get(("", str(table_year))),
                ),
            )
        )
    return out


# --- The four goals at one site ----------------------------------------------------------------------

LETHAL_Q = Q(type=Incident.Type.LETHAL) | Q(dead__gt=0)


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    serious: int  # every registered lethal or serious incident
    lethal: int
    group_involved: int
    dead: int
    injured: int
    explosions: int
    shootings: int


INDICATORS = ("serious", "lethal", "group_involved", "dead", "injured", "explosions", "shootings")


def site_incidents(user, site):
    """The incident rows behind a site's aggregates.

    Roles that may view incidents count over what they may see (`visible_to`); others (the steering group)
    get the site's rows only as the input of aggregate queries: no caller may list them.
    """
    if user_roles(user) & set(INCIDENT_LEVEL):
        return Incident.objects.visible_to(user).filter(site=site)
    return Incident.unscoped_all_sites.filter(site=site)


def violence_by_month(incidents, months: int = 60, today: date | None = None) -> list[MonthRow]:
    """Per calendar month over the last `months` months, zero-filled, oldest first. Aggregate queries only."""
    starts = month_starts(months, today)
    group_involved = Exists(
        Involvement.unscoped_all_sites.filter(Involvement.group_involved_q(), incident=OuterRef("pk"))
    )
    rows = (
        incidents.filter(occurred_at__date__gte=starts[0])
        .annotate(month=TruncMonth("occurred_at"), has_group=group_involved)
        .order_by()
        .values("month")
        .annotate(
            serious=Count("id"),
            lethal=Count("id", filter=LETHAL_Q),
            group_involved=Count("id", filter=Q(has_group=True)),
            dead=Sum("dead"),
            injured=Sum("injured"),
            explosions=Count("id", filter=Q(type=Incident.Type.EXPLOSION)),
            shootings=Count("id", filter=Q(type=Incident.Type.SHOOTING)),
        )
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        by_month[month.replace(day=1)] = {key: row[key] or 0 for key in INDICATORS}
    empty = dict.fromkeys(INDICATORS, 0)
    return [MonthRow(start.strftime("%Y-%m"), **by_month.get(start, empty)) for start in starts]


def rolling(values: list[int], window: int = 12) -> list[int | None]:
    """Sum of the last `window` values at each point; None until a full window exists."""
    return [sum(values[i + 1 - window : i + 1]) if i + 1 >= window else None for i in range(len(values))]


def last_12_months(rows: list[MonthRow]) -> dict[str, int]:
    recent = rows[-12:]
    return {key: sum(getattr(row, key) for row in recent) for key in INDICATORS}


def previous_12_months(rows: list[MonthRow]) -> dict[str, int] | None:
    if len(rows) < 24:
        return None
    earlier = rows[-24:-12]
    return {key: sum(getattr(row, key) for row in earlier) for key in INDICATORS}


# --- Costs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultCost:
    value: int | None
    low: int | None
    high: int | None
    source: str


# Published figures, used until a site sets its own. Each carries its publication beside it. They are
# named, not linked: check the publication itself before relying on a figure, and prefer local figures.
DEFAULT_UNIT_COSTS = {
    UnitCost.Key.HOSPITAL_PER_GUNSHOT_PATIENT: DefaultCost(
        215_000,
        130_000,
        300_000,
        "Spann 130 000–300 000 kr per överlevande skottskadad patient (mittvärdet används). Lägre värdet: "
        "Holmström, Ahlbin, Pazooki och Granhed, studie av skottskadade vid Sahlgrenska "
        "universitetssjukhuset 1 januari 2013–30 juni 2014, Läkartidningen 2015 (direkta vårdkostnader "
        "utan eftervård). Högre värdet: Region Stockholms grova beräkning av akut- och eftervård för "
        "skottskadade 2020–2021, redovisad av SVT Nyheter i januari 2023.",
    ),
    UnitCost.Key.SOCIETAL_PER_SHOOTING: DefaultCost(
        75_000_000,
        None,
        None,
        "Nationalekonomen Ingvar Nilssons (Institutet för socialekologisk ekonomi) socioekonomiska "
        "beräkning: omkring 75 miljoner kr för en skjutning med en lindrigt och en svårt skadad, med "
        "kostnader för vård, polis, rättsväsende och kriminalvård (återgiven bland annat av Uppsala "
        "universitet 2023). Ett räkneexempel, inte ett genomsnitt för alla skjutningar.",
    ),
    UnitCost.Key.STATISTICAL_LIFE: DefaultCost(
        40_500_000,
        None,
        None,
        "Värdet av ett statistiskt liv i Trafikverkets samhällsekonomiska kalkylvärden (ASEK 6.1, 2018): "
        "40,5 miljoner kr i 2014 års priser, byggt på forskning vid Örebro universitet. Senare "
        "ASEK-versioner räknar upp värdet till nyare prisnivå.",
    ),
    UnitCost.Key.INVESTIGATION_HOURS: DefaultCost(
        None,
        None,
        None,
        "Inget publicerat standardvärde: ange polisens egna timmar per incident eller importera faktiska "
        "timmar.",
    ),
    UnitCost.Key.HOUR_COST: DefaultCost(
        None, None, None, "Inget publicerat standardvärde: ange polisens egen kostnad per timme."
    ),
}


@dataclass(frozen=True)
class CostRow:
    key: str
    label: str
    value: int | None
    low: int | None
    high: int | None
    source: str
    is_default: bool


def unit_costs(site) -> list[CostRow]:
    own = {cost.key: cost for cost in UnitCost.objects.filter(site=site)}
    rows = []
    for key in UnitCost.Key:
        default = DEFAULT_UNIT_COSTS[key]
        if key in own:
            cost = own[key]
            rows.append(CostRow(key, key.label, int(cost.value), None, None, cost.source, False))
        else:
            rows.append(
                CostRow(key, key.label, default.value, default.low, default.high, default.source, True)
            )
    return rows


@dataclass(frozen=True)
class CostEstimate:
    label: str
    count: int
    unit: int | None
    total: int | None
    low: int | None
    high: int | None
    kind: str = ""  # "faktiska" or "uppskattade" for the police line


ACTUAL = "faktiska"
ESTIMATED = "uppskattade"


@dataclass(frozen=True)
class PoliceHours:
    """Investigation hours over a period: imported actuals where present, else incidents to estimate."""

    actual_hours: Decimal
    actual_periods: int  # (month, incident type) pairs covered by imported actuals
    estimated_incidents: int  # incidents in (month, type) pairs without actuals
    sources: list[str]


def police_hours(site, incidents, months: list[str]) -> PoliceHours:
    """For each month (YYYY-MM) and incident type: imported hours for that month, or a whole-year figure
    spread evenly (a twelfth per month); where neither exists the month's incidents of that type are left
    to the unit-figure estimate."""
    from gvi.evaluation.models import InvestigationHours

    if not months:
        return PoliceHours(Decimal(0), 0, 0, [])
    first = date(int(months[0][:4]), int(months[0][5:7]), 1)
    counts: dict[tuple[str, str], int] = {}
    rows = (
        incidents.filter(occurred_at__date__gte=first)
        .annotate(month=TruncMonth("occurred_at"))
        .order_by()
        .values("month", "type")
        .annotate(n=Count("id"))
    )
    for row in rows:
        month = row["month"]
        label = (month.date() if hasattr(month, "date") else month).strftime("%Y-%m")
        if label in months:
            counts[(label, row["type"])] = row["n"]
    years = {int(label[:4]) for label in months}
    actual: dict[tuple[int, int | None, str], InvestigationHours] = {
        (row.year, row.month, row.incident_type): row
        for row in InvestigationHours.objects.filter(site=site, year__in=years)
    }
    hours, covered, estimated, sources = Decimal(0), 0, 0, []
    for label in months:
        year, month = int(label[:4]), int(label[5:7])
        for incident_type in Incident.Type.values:
            row = actual.get((year, month, incident_type))
            share = Decimal(1)
            if row is None:
                row, share = actual.get((year, None, incident_type)), Decimal(1) / 12
            if row is not None:
                hours += row.hours * share
                covered += 1
                if row.source not in sources:
                    sources.append(row.source)
            else:
                estimated += counts.get((label, incident_type), 0)
    return PoliceHours(hours.quantize(Decimal("0.1")), covered, estimated, sources)


def cost_estimates(
    totals: dict[str, int], costs: list[CostRow], police: PoliceHours | None = None
) -> list[CostEstimate]:
    """Counts over a period times unit costs. The lines overlap and must not be added together.

    With `police` (imported actual hours), the police line is split: actual hours times the hour cost
    ("faktiska"), and the incidents without actuals times the unit figures ("uppskattade").
    """
    by_key = {row.key: row for row in costs}

    def line(label, count, row: CostRow):
        def times(value):
            return None if value is None else count * value

        return CostEstimate(label, count, row.value, times(row.value), times(row.low), times(row.high))

    hours, hour_cost = by_key[UnitCost.Key.INVESTIGATION_HOURS], by_key[UnitCost.Key.HOUR_COST]
    per_incident = hours.value * hour_cost.value if hours.value and hour_cost.value else None
    return [
        line(_("Sjukvård för skadade"), totals["injured"], by_key[UnitCost.Key.HOSPITAL_PER_GUNSHOT_PATIENT]),
        line(
            _("Samhällskostnad för skjutningar"),
            totals["shootings"],
            by_key[UnitCost.Key.SOCIETAL_PER_SHOOTING],
        ),
        line(_("Förlorade liv (statistiskt värde)"), totals["dead"], by_key[UnitCost.Key.STATISTICAL_LIFE]),
        *_police_lines(totals["serious"], per_incident, hour_cost.value, police),
    ]


def _police_lines(serious: int, per_incident, hour_cost, police: PoliceHours | None) -> list[CostEstimate]:
    def estimate(count):
        return CostEstimate(
            _("Polisens utredningsresurser, uppskattade (incidenter × timmar per incident)"),
            count,
            per_incident,
            None if per_incident is None else per_incident * count,
            None,
            None,
            ESTIMATED,
        )

    if police is None or not police.actual_periods:
        return [estimate(serious)]
    hours = int(police.actual_hours.to_integral_value())
    lines = [
        CostEstimate(
            _("Polisens utredningsresurser, faktiska timmar (importerade)"),
            hours,
            hour_cost,
            None if not hour_cost else int(police.actual_hours * hour_cost),
            None,
            None,
            ACTUAL,
        )
    ]
    if police.estimated_incidents:
        lines.append(estimate(police.estimated_incidents))
    return lines


# --- Perceived safety ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveySeries:
    indicator: str
    area: str
    points: list[tuple[int, Decimal]]
    sources: list[str]


def survey_series(site) -> list[SurveySeries]:
    series: dict[tuple[str, str], SurveySeries] = {}
    for row in SurveyValue.objects.filter(site=site).order_by("indicator", "area", "year"):
        item = series.setdefault((row.indicator, row.area), SurveySeries(row.indicator, row.area, [], []))
        item.points.append((row.year, row.value))
        if row.source not in item.sources:
            item.sources.append(row.source)
    return list(series.values())


# --- Process figures from the other modules -----------------------------------------------------------


def process_figures(site) -> dict:
    """Reach and deterrence figures where those modules exist; a missing or failing module is left out."""
    figures = {}
    try:
        from gvi.communication.reach import site_reach

        figures["reach"] = site_reach(site).published()
    except Exception:  # noqa: BLE001 - optional module: degrade to "not available"
        figures["reach"] = None
    try:
        from gvi.sanctions.metrics import site_figures

        start = site.gvi_start_date
        if start is None:
            figures["deterrence"] = site_figures([site.pk])
            figures["deterrence_before"] = None
        else:
            # Before and after the site's GVI start apart: the years before the start are no measure of
            # the strategy's certainty.
            figures["deterrence"] = site_figures([site.pk], start=start)
            figures["deterrence_before"] = site_figures([site.pk], end=start - timedelta(days=1))
    except Exception:  # noqa: BLE001
        figures["deterrence"] = None
        figures["deterrence_before"] = None
    return figures


# --- Impact ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Impact:
    result: object | None  # gvi.analysis.impact.ItsResult
    reason: str = ""
    first_row: int = 0  # the series starts here: months before the first registered incident are no data
    spec: object | None = None  # the site's pre-specified ImpactModel, if any
    population_source: str = ""  # the sources of the population offset, when it was used
    population_note: str = ""  # why no population offset was used

    @property
    def description(self) -> str:
        from gvi.analysis.impact import model_description

        return model_description(self.result) if self.result is not None else ""


def monthly_population(site, labels: list[str]) -> tuple[list[float] | None, str]:
    """The site's population for each month label ("YYYY-MM"): a month's own figure, else its year's.
    (None, "") when any month has none; (values, sources) otherwise."""
    from gvi.evaluation.models import Population

    figures = list(Population.objects.filter(site=site))
    by_month = {(f.year, f.month): f for f in figures if f.month}
    by_year = {f.year: f for f in figures if not f.month}
    values, sources = [], set()
    for label in labels:
        year, month = int(label[:4]), int(label[5:7])
        figure = by_month.get((year, month)) or by_year.get(year)
        if figure is None:
            return None, ""
        values.append(float(figure.population))
        sources.add(figure.source)
    return values, "; ".join(sorted(sources))


def site_impact(rows: list[MonthRow], start: date | None, indicator: str = "serious", site=None) -> Impact:
    """Interrupted time series of the monthly counts around the site's GVI start.

    The site's pre-specified model (ImpactModel) decides the terms; without one, the default is a level
    change with seasonality. Quasi-Poisson with Newey-West standard errors; the population as offset when
    every month of the series has one."""
    if start is None:
        return Impact(None, _("Platsen har inget startdatum för GVI, så någon effekt kan inte skattas."))
    labels = [row.month for row in rows]
    first = start.strftime("%Y-%m") if start.day == 1 else _next_month(start).strftime("%Y-%m")
    if first not in labels or labels.index(first) == 0:
        return Impact(None, _("Startdatumet ligger utanför den period som visas."))
    from gvi.analysis.impact import FOURIER, HAC, QUASI, STEP, fit_its, too_few_events, too_few_reading

    spec = getattr(site, "impact_model", None) if site is not None else None
    # Months before the first registered incident are months without data (the platform, or the
    # imported history, starts there), not months without violence: counting them as zeros would invent
    # a rising trend before the start.
    first_row = next((index for index, row in enumerate(rows) if row.serious), len(rows))
    if labels.index(first) <= first_row:
        return Impact(None, _("Det finns inga registrerade incidenter före GVI-starten att jämföra med."))
    rows, labels = rows[first_row:], labels[first_row:]
    # The running month (today's, in Europe/Stockholm) is not a whole month yet: counted as one it would
    # read as a sudden fall. The model takes whole months only.
    if len(rows) > 1 and labels[-1] == timezone.localdate().strftime("%Y-%m"):
        rows, labels = rows[:-1], labels[:-1]
    if first not in labels:
        return Impact(
            None,
            _("GVI startade under den pågående månaden: det finns ännu ingen hel månad efter starten."),
            spec=spec,
        )
    counts = [getattr(row, indicator) for row in rows]
    start_index = labels.index(first)
    sides = (sum(counts[:start_index]), sum(counts[start_index:]), start_index, len(counts) - start_index)
    if too_few_events(*sides):
        return Impact(None, too_few_reading(*sides), spec=spec)
    population, sources = monthly_population(site, labels) if site is not None else (None, "")
    note = (
        ""
        if population is not None
        else _(
            "Ingen folkmängd är importerad för alla månader, så modellen räknar antal, inte antal per "
            "invånare: en växande eller krympande befolkning kan då se ut som en trend."
        )
    )
    try:
        result = fit_its(
            counts,
            start_index,
            int(labels[0][5:7]),
            family=QUASI,
            seasonality=FOURIER if spec is None or spec.seasonality else None,
            change=spec.change if spec is not None else STEP,
            exposure=population,
            autocorrelation=HAC,
        )
    except Exception:  # noqa: BLE001 - a model that cannot be fitted is reported, not raised
        return Impact(None, _("Modellen kunde inte skattas på dessa data."), spec=spec)
    return Impact(result, first_row=first_row, spec=spec, population_source=sources, population_note=note)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# --- Research export ---------------------------------------------------------------------------------

SUPPRESSED_MARK = ".."  # SCB's mark for "cannot be published"


def research_rows(site, rows: list[MonthRow]) -> list[list[str]]:
    """Monthly aggregates for researchers, every count from 1 to 4 suppressed.

    No totals and no rolling sums are included, so a suppressed cell cannot be derived from other cells
    (each cell is a separate count; none is the sum or difference of published ones).
    """
    header = ["site", "month", *INDICATORS]
    out = [header]
    for row in rows:
        values = [suppress(getattr(row, key)) for key in INDICATORS]
        out.append([site.slug, row.month, *(SUPPRESSED_MARK if v is None else str(v) for v in values)])
    return out


# --- Areas -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRow:
    area: str
    last: int  # the last 12 months
    previous: int  # the 12 months before

    @property
    def change(self) -> int:
        return self.last - self.previous


def violence_by_area(incidents, today: date | None = None) -> list[AreaRow]:
    """Serious incidents per area of the site's list (gvi.partnership.models.Area): last 12 months and the
    12 before.

    An aggregate query over the rows the caller may count, grouped by the area itself (so a renamed area
    keeps its history); areas with no incident in 24 months are left out; incidents without an area are
    shown as "Område ej angivet".
    """
    starts = month_starts(24, today)
    split = starts[12]
    rows = (
        incidents.filter(occurred_at__date__gte=starts[0])
        .order_by()
        .values("area_id", "area__name")
        .annotate(
            last=Count("id", filter=Q(occurred_at__date__gte=split)),
            previous=Count("id", filter=Q(occurred_at__date__lt=split)),
        )
    )
    found = [
        AreaRow(row["area__name"] if row["area_id"] else _("Område ej angivet"), row["last"], row["previous"])
        for row in rows
    ]
    return sorted(found, key=lambda row: (-row.last, -row.previous, row.area))


# --- Impact chart and comparison ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactPoint:
    month: str
    observed: int
    fitted: float
    counterfactual: float | None  # only from the start on: the pre-start trend carried forward


def impact_points(rows: list[MonthRow], impact: Impact, indicator: str = "serious") -> list[ImpactPoint]:
    result = impact.result
    if result is None:
        return []
    start = result.months_before
    return [
        ImpactPoint(
            row.month,
            getattr(row, indicator),
            float(result.fitted[index]),
            float(result.counterfactual[index]) if index >= start else None,
        )
        for index, row in enumerate(rows[impact.first_row :][: len(result.fitted)])  # whole months only
    ]


@dataclass(frozen=True)
class Comparison:
    result: object | None  # gvi.analysis.impact.DidResult
    labels: list[str]
    reason: str = ""


def comparison_series(user, site, months: int = 60, today: date | None = None) -> list[tuple[str, list[int]]]:
    """Monthly serious-incident series to compare the site with: the user's other sites without GVI
    before the end of the period (counted through the same scoping as the site's own), and imported
    national series that are complete (no suppressed month) over the period."""
    from gvi.evaluation.models import ImportedAggregate

    starts = month_starts(months, today)
    labels = [start.strftime("%Y-%m") for start in starts]
    out = []
    site_ids = user.memberships.active().exclude(site=None).values_list("site_id", flat=True)
    for other in Site.objects.filter(pk__in=list(site_ids), is_active=True).exclude(pk=site.pk):
        if other.gvi_start_date and other.gvi_start_date <= starts[-1]:
            continue  # treated within the period: not a comparison
        rows = violence_by_month(site_incidents(user, other), months=months, today=today)
        out.append((other.name, [row.serious for row in rows]))
    imported: dict[tuple[str, str], dict[str, int | None]] = {}
    for value in ImportedAggregate.objects.filter(indicator="serious", period__in=labels).exclude(
        site_name=""
    ):
        imported.setdefault((value.source, value.site_name), {})[value.period] = value.value
    own_names = {site.name}
    for (source, name), values in sorted(imported.items()):
        if name in own_names:
            continue
        if all(values.get(label) is not None for label in labels):
            out.append((f"{name} ({source})", [values[label] for label in labels]))
    return out


def site_comparison(rows: list[MonthRow], start: date | None, series) -> Comparison:
    """Difference-in-differences of the site's serious incidents against the comparison series."""
    labels = [name for name, _values in series]
    if not series:
        return Comparison(
            None,
            [],
            _(
                "Det finns inga jämförelseserier: andra platser du har tillgång till "
                "eller importerade nationella serier utan dolda värden."
            ),
        )
    if start is None:
        return Comparison(None, labels, _("Platsen har inget startdatum för GVI."))
    months = [row.month for row in rows]
    first = start.strftime("%Y-%m") if start.day == 1 else _next_month(start).strftime("%Y-%m")
    if first not in months or months.index(first) == 0:
        return Comparison(None, labels, _("Startdatumet ligger utanför den period som visas."))
    from gvi.analysis.impact import HAC, fit_did

    try:
        result = fit_did(
            [row.serious for row in rows],
            [values for _name, values in series],
            months.index(first),
            autocorrelation=HAC,
        )
    except Exception:  # noqa: BLE001 - a model that cannot be fitted is reported, not raised
        return Comparison(None, labels, _("Jämförelsen kunde inte skattas på dessa data."))
    return Comparison(result, labels)
