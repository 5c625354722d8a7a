"""Aggregate statistics. Site figures are computed from scoped rows; national figures leave a site only
as predefined tables with small counts suppressed."""

from datetime import date

from django.db.models import Count
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone

from gvi.analysis.suppression import suppress
from gvi.incidents.models import Incident
from gvi.partnership.models import Site


def month_starts(months: int, today: date | None = None) -> list[date]:
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
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
