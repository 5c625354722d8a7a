"""Aggregate statistics. Site figures are computed from scoped rows; national figures leave a site only
as predefined tables with small counts suppressed."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

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


def national_table() -> tuple[list[dict], list[int]]:
    """Serious incidents per site and year, with counts 1–4 suppressed. No person-level data."""
    rows = (
        Incident.objects.annotate(year=ExtractYear("occurred_at"))
        .values("site__name", "year")
        .annotate(n=Count("id"))
        .order_by("site__name", "year")
    )
    table: dict[str, dict[int, int | None]] = {}
    years: set[int] = set()
    for row in rows:
        table.setdefault(row["site__name"], {})[row["year"]] = suppress(row["n"])
        years.add(row["year"])
    ordered_years = sorted(years)
    sites = Site.objects.filter(is_active=True).values_list("name", flat=True)
    return [
        {"site": name, "values": [table.get(name, {}).get(year, 0) for year in ordered_years]}
        for name in sites
    ], ordered_years


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
    return Incident.objects.filter(site=site)


def violence_by_month(incidents, months: int = 60, today: date | None = None) -> list[MonthRow]:
    """Per calendar month over the last `months` months, zero-filled, oldest first. Aggregate queries only."""
    starts = month_starts(months, today)
    group_involved = Exists(Involvement.objects.filter(incident=OuterRef("pk"), group__isnull=False))
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


# Published figures, used until a site sets its own. The lead should check the citations before release.
DEFAULT_UNIT_COSTS = {
    UnitCost.Key.HOSPITAL_PER_GUNSHOT_PATIENT: DefaultCost(
        215_000,
        130_000,
        300_000,
        "Publicerade uppskattningar av sjukhusvård för skottskadade: 130 000–300 000 kr per patient "
        "(mittvärdet används).",
    ),
    UnitCost.Key.SOCIETAL_PER_SHOOTING: DefaultCost(
        75_000_000,
        None,
        None,
        "Socioekonomisk beräkning av samhällets totala kostnad för en skjutning: omkring 75 miljoner kr.",
    ),
    UnitCost.Key.STATISTICAL_LIFE: DefaultCost(
        40_500_000,
        None,
        None,
        "Värdet av ett statistiskt liv enligt Trafikverkets samhällsekonomiska kalkylvärden (ASEK): "
        "40,5 miljoner kr.",
    ),
    UnitCost.Key.INVESTIGATION_HOURS: DefaultCost(
        None, None, None, "Inget publicerat standardvärde: ange polisens egna timmar per incident."
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


def cost_estimates(totals: dict[str, int], costs: list[CostRow]) -> list[CostEstimate]:
    """Counts over a period times unit costs. The lines overlap and must not be added together."""
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
        CostEstimate(
            _("Polisens utredningsresurser"),
            totals["serious"],
            per_incident,
            None if per_incident is None else per_incident * totals["serious"],
            None,
            None,
        ),
    ]


# --- Perceived safety ---------------------------------------------------------------------------------

SURVEY_COLUMNS = ("area", "year", "indicator", "value", "source")


@dataclass
class ImportResult:
    saved: int = 0
    errors: list[str] = field(default_factory=list)


def import_survey_csv(site, text: str) -> ImportResult:
    """Rows of area, year, indicator, value, source (comma or semicolon separated, header required).

    All or nothing: any invalid row aborts the import and is reported by line number.
    """
    result = ImportResult()
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=dialect)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in SURVEY_COLUMNS if column not in header]
    if missing:
        result.errors.append(_("Kolumner saknas: %(columns)s") % {"columns": ", ".join(missing)})
        return result
    parsed = []
    for line_number, raw in enumerate(reader, start=2):
        row = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        try:
            year = int(row["year"])
            value = Decimal(row["value"].replace(",", ".").replace("\u00a0", "").replace(" ", ""))
            if not (1900 <= year <= 2100) or not row["area"] or not row["indicator"] or not row["source"]:
                raise ValueError
            if not value.is_finite():
                raise ValueError
        except (ValueError, InvalidOperation):
            result.errors.append(_("Rad %(line)s är ofullständig eller felaktig.") % {"line": line_number})
            continue
        parsed.append((row["area"][:120], year, row["indicator"][:200], value, row["source"][:300]))
    if result.errors:
        return result
    with transaction.atomic():
        for area, year, indicator, value, source in parsed:
            SurveyValue.objects.update_or_create(
                site=site,
                area=area,
                year=year,
                indicator=indicator,
                defaults={"value": value, "source": source},
            )
    result.saved = len(parsed)
    return result


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

        figures["deterrence"] = site_figures([site.pk])
    except Exception:  # noqa: BLE001
        figures["deterrence"] = None
    return figures


# --- Impact ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Impact:
    result: object | None  # gvi.analysis.impact.ItsResult
    reason: str = ""


def site_impact(rows: list[MonthRow], start: date | None, indicator: str = "serious") -> Impact:
    """Interrupted time series of the monthly counts around the site's GVI start."""
    if start is None:
        return Impact(None, _("Platsen har inget startdatum för GVI, så någon effekt kan inte skattas."))
    labels = [row.month for row in rows]
    first = start.strftime("%Y-%m") if start.day == 1 else _next_month(start).strftime("%Y-%m")
    if first not in labels or labels.index(first) == 0:
        return Impact(None, _("Startdatumet ligger utanför den period som visas."))
    from gvi.analysis.impact import NEGBIN, fit_its, too_few_events, too_few_reading

    counts = [getattr(row, indicator) for row in rows]
    start_index = labels.index(first)
    sides = (sum(counts[:start_index]), sum(counts[start_index:]), start_index, len(counts) - start_index)
    if too_few_events(*sides):
        return Impact(None, too_few_reading(*sides))
    try:
        result = fit_its(counts, start_index, int(labels[0][5:7]), family=NEGBIN)
    except Exception:  # noqa: BLE001 - a model that cannot be fitted is reported, not raised
        return Impact(None, _("Modellen kunde inte skattas på dessa data."))
    return Impact(result)


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
