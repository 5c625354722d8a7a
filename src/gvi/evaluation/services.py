"""Writes of the evaluation module: unit costs, imports (survey series, investigation hours, aggregate
packages). Each is one transaction; imports are all-or-nothing and report problems in Swedish by row and
column. Nothing here holds person data.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.evaluation.models import (
    AggregatePackage,
    ImpactModel,
    ImportedAggregate,
    InvestigationHours,
    Population,
    PublishedMonth,
    SurveyValue,
    UnitCost,
)
from gvi.importing import files
from gvi.incidents.models import Incident
from gvi.partnership.selectors import AreaMatcher

SURVEY_COLUMNS = ("area", "year", "indicator", "value", "source")
HOURS_COLUMNS = ("incident_type", "year", "month", "hours", "source")
POPULATION_COLUMNS = ("year", "month", "population", "source")
MAX_ROWS = 20_000


@dataclass
class ImportResult:
    saved: int = 0
    errors: list[str] = field(default_factory=list)


class TableError(Exception):
    """The file cannot be imported as a whole; `messages` are Swedish."""

    def __init__(self, *messages: str):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


# --- Reading CSV and Excel ------------------------------------------------------------------------------


def read_table(filename: str, content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """CSV or Excel .xlsx through the shared hardened reader (`gvi.importing.files`): a header of lower
    case names and rows as {column: text}. A row with more cells than the header (typically a decimal
    comma in a comma-separated file) is refused here, not cut silently."""
    try:
        table = files.read_table(content, name=filename, max_rows=MAX_ROWS, require_rows=False)
    except files.ImportFileError as error:
        raise TableError(" ".join(error.messages)) from None
    header = [files.cell_text(name).lstrip("\ufeff").strip().lower() for name in table.header]
    rows, errors = [], []
    for line, cells in table.rows:
        texts = [files.cell_text(cell) for cell in cells]
        if any(texts[len(header) :]) or any(
            text and not name for name, text in zip(header, texts, strict=False)
        ):
            comma = "," if table.delimiter == "," else ""
            errors.append(
                _("Rad %(line)s: raden har fler värden än rubrikraden har kolumner.%(hint)s")
                % {
                    "line": line,
                    "hint": _(
                        " Ett decimaltal med kommatecken (31,5) måste stå inom citattecken i en "
                        "kommaavgränsad fil – eller spara filen med semikolon som avgränsare."
                    )
                    if comma
                    else "",
                }
            )
            continue
        rows.append((line, {name: text for name, text in zip(header, texts, strict=False) if name}))
    if errors:
        raise TableError(*errors[:50])
    return header, rows


def read_csv(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    return read_table("fil.csv", text.encode("utf-8"))


def _problem(line: int, column: str, text: str) -> str:
    return _("Rad %(line)s, kolumn %(column)s: %(problem)s") % {
        "line": line,
        "column": column,
        "problem": text,
    }


def _decimal(raw: str) -> Decimal:
    value = Decimal(raw.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    if not value.is_finite():
        raise InvalidOperation
    return value


def _counted(rows: list, progress):
    """The rows, telling `progress(done, total)` (gvi.operations.imports.Progress) how far the check is."""
    total = len(rows)
    for done, item in enumerate(rows, start=1):
        yield item
        if progress is not None:
            progress(done, total)


def _replace(model, site, key: tuple[str, ...], rows: list[dict]) -> None:
    """Store the checked rows, each replacing a stored row of the same site and key: one transaction, a
    few statements in all (a row-by-row update_or_create of 20 000 rows held the database for minutes)."""
    wanted = {tuple(row[name] for name in key) for row in rows}
    stored = model.objects.filter(site=site).values_list("pk", *key)
    replaced = [pk for pk, *values in stored.iterator() if tuple(values) in wanted]
    with transaction.atomic():
        for start in range(0, len(replaced), 500):
            model.objects.filter(pk__in=replaced[start : start + 500]).delete()
        model.objects.bulk_create([model(site=site, **row) for row in rows], batch_size=500)


def _missing(header: list[str], required: tuple[str, ...]) -> list[str]:
    return [column for column in required if column not in header]


# --- Survey series ----------------------------------------------------------------------------------


def import_survey_rows(site, header, rows, progress=None) -> ImportResult:
    """Rows of area, year, indicator, value, source; all or nothing."""
    result = ImportResult()
    missing = _missing(header, SURVEY_COLUMNS)
    if missing:
        result.errors.append(_("Kolumner saknas: %(columns)s") % {"columns": ", ".join(missing)})
        return result
    if not rows:
        result.errors.append(_("Filen innehåller inga datarader."))
        return result
    parsed, seen = [], {}
    areas = AreaMatcher(site.pk)  # the site's areas by name or alias, as the incident import matches them
    for line, row in _counted(rows, progress):
        errors = []
        for column in ("area", "indicator", "source"):
            if not row.get(column):
                errors.append(_problem(line, column, _("värdet saknas.")))
        area = areas.match(row["area"]) if row.get("area") else None
        if row.get("area") and area is None:
            errors.append(_problem(line, "area", areas.unknown_message(row["area"]) + "."))
        try:
            year = int(row.get("year", ""))
            if not 1900 <= year <= 2100:
                raise ValueError
        except ValueError:
            errors.append(_problem(line, "year", _("ange ett år mellan 1900 och 2100.")))
        try:
            # as stored (two decimals, at most ten digits): 99999999,999 rounds to 100000000,00
            value = _decimal(row.get("value", "")).quantize(Decimal("0.01"))
            if abs(value) >= Decimal("1e8"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(_problem(line, "value", _("ange ett tal under 100 000 000, till exempel 31,5.")))
        if errors:
            result.errors.extend(errors)
            continue
        key = (area.pk, year, row["indicator"][:200].casefold())
        if key in seen:
            result.errors.append(
                _problem(
                    line,
                    "indicator",
                    _("samma område, år och indikator finns redan på rad %(row)s.") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = line
        parsed.append((area.name, year, row["indicator"][:200], value, row["source"][:300]))
    if result.errors:
        return result
    _replace(
        SurveyValue,
        site,
        ("area", "year", "indicator"),
        [
            {"area": area, "year": year, "indicator": indicator, "value": value, "source": source}
            for area, year, indicator, value, source in parsed
        ],
    )
    result.saved = len(parsed)
    return result


def import_survey_csv(site, text: str) -> ImportResult:
    return import_survey_file(site, "fil.csv", text.encode("utf-8"))


def import_survey_file(site, filename: str, content: bytes, progress=None) -> ImportResult:
    try:
        header, rows = read_table(filename, content)
    except TableError as error:
        return ImportResult(errors=error.messages)
    return import_survey_rows(site, header, rows, progress)


# --- Investigation hours --------------------------------------------------------------------------------


def _incident_type(raw: str) -> str | None:
    text = raw.strip().lower()
    for value, label in Incident.Type.choices:
        if text in {value.lower(), str(label).lower()}:
            return value
    return None


def _year_and_month(line: int, row: dict, errors: list) -> tuple[int | None, int | None]:
    """The row's year (1900–2100) and month (1–12, or None for the whole year); problems go to `errors`."""
    year = month = None
    try:
        year = int(row.get("year", ""))
        if not 1900 <= year <= 2100:
            raise ValueError
    except ValueError:
        errors.append(_problem(line, "year", _("ange ett år mellan 1900 och 2100.")))
        year = None
    if row.get("month"):
        try:
            month = int(row["month"])
            if not 1 <= month <= 12:
                raise ValueError
        except ValueError:
            errors.append(_problem(line, "month", _("ange en månad 1–12 eller lämna tomt för helt år.")))
            month = None
    return year, month


def import_hours_file(site, filename: str, content: bytes, progress=None) -> ImportResult:
    """Rows of incident_type, year, month (empty for the whole year), hours, source; all or nothing."""
    result = ImportResult()
    try:
        header, rows = read_table(filename, content)
    except TableError as error:
        return ImportResult(errors=error.messages)
    missing = _missing(header, HOURS_COLUMNS)
    if missing:
        result.errors.append(_("Kolumner saknas: %(columns)s") % {"columns": ", ".join(missing)})
        return result
    if not rows:
        result.errors.append(_("Filen innehåller inga datarader."))
        return result
    parsed, keys = [], {}
    for line, row in _counted(rows, progress):
        errors = []
        incident_type = _incident_type(row.get("incident_type", ""))
        if incident_type is None:
            errors.append(
                _problem(
                    line,
                    "incident_type",
                    _("okänd incidenttyp; använd någon av %(types)s.")
                    % {"types": ", ".join(value for value, _label in Incident.Type.choices)},
                )
            )
        year, month = _year_and_month(line, row, errors)
        try:
            hours = _decimal(row.get("hours", "")).quantize(Decimal("0.1"))
            if hours < 0 or hours >= Decimal("1e8"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(_problem(line, "hours", _("ange antal timmar, till exempel 1250 eller 37,5.")))
        if not row.get("source"):
            errors.append(_problem(line, "source", _("värdet saknas.")))
        key = (incident_type, year, month)
        if not errors and key in keys:
            errors.append(
                _problem(line, "incident_type", _("samma typ och period finns redan på en tidigare rad."))
            )
        if errors:
            result.errors.extend(errors)
            continue
        keys[key] = line
        parsed.append((incident_type, year, month, hours, row["source"][:300]))
    if result.errors:
        return result
    result.errors.extend(_hours_counted_twice(site, keys))
    if result.errors:
        return result
    _replace(
        InvestigationHours,
        site,
        ("incident_type", "year", "month"),
        [
            {"incident_type": kind, "year": year, "month": month, "hours": hours, "source": source}
            for kind, year, month, hours, source in parsed
        ],
    )
    result.saved = len(parsed)
    return result


def _hours_counted_twice(site, keys: dict) -> list[str]:
    """A whole-year figure and month figures for the same type and year would be counted twice: refused
    within the file and against what is stored (rows of the file replace stored rows of the same period)."""
    errors = []
    by_year: dict[tuple, set] = {}
    for incident_type, year, month in keys:
        by_year.setdefault((incident_type, year), set()).add(month)
    for (incident_type, year), months in by_year.items():
        line = min(keys[(incident_type, year, month)] for month in months)
        stored = set(
            InvestigationHours.objects.filter(site=site, incident_type=incident_type, year=year).values_list(
                "month", flat=True
            )
        )
        if None in months and months - {None}:
            problem = _("både helår och enskilda månader för samma typ och år i filen (räknas dubbelt).")
        elif None in months and stored - {None}:
            problem = _(
                "helår för en typ och ett år som redan har månadsvärden sparade (räknas dubbelt); ange "
                "månaderna i stället eller ta bort de sparade värdena först."
            )
        elif months - {None} and None in stored:
            problem = _(
                "månadsvärden för en typ och ett år som redan har ett helårsvärde sparat (räknas dubbelt); "
                "ange helåret i stället eller ta bort det sparade värdet först."
            )
        else:
            continue
        errors.append((line, _problem(line, "month", problem)))
    return [message for _line, message in sorted(errors)]


# --- Population ----------------------------------------------------------------------------------------


def import_population_file(site, filename: str, content: bytes, progress=None) -> ImportResult:
    """Rows of year, month (empty for the whole year), population, source; all or nothing."""
    result = ImportResult()
    try:
        header, rows = read_table(filename, content)
    except TableError as error:
        return ImportResult(errors=error.messages)
    missing = _missing(header, POPULATION_COLUMNS)
    if missing:
        result.errors.append(_("Kolumner saknas: %(columns)s") % {"columns": ", ".join(missing)})
        return result
    parsed, keys = [], set()
    for line, row in _counted(rows, progress):
        errors = []
        year, month = _year_and_month(line, row, errors)
        population = None
        try:
            population = int(_decimal(row.get("population", "")))
            if not 1 <= population < 100_000_000:
                raise ValueError
        except (InvalidOperation, ValueError):
            errors.append(
                _problem(line, "population", _("ange folkmängden som ett heltal, till exempel 58 213."))
            )
        if not row.get("source"):
            errors.append(_problem(line, "source", _("värdet saknas.")))
        if not errors and (year, month) in keys:
            errors.append(_problem(line, "year", _("samma period finns redan på en tidigare rad.")))
        if errors:
            result.errors.extend(errors)
            continue
        keys.add((year, month))
        parsed.append((year, month, population, row["source"][:300]))
    if result.errors:
        return result
    _replace(
        Population,
        site,
        ("year", "month"),
        [
            {"year": year, "month": month, "population": population, "source": source}
            for year, month, population, source in parsed
        ],
    )
    result.saved = len(parsed)
    return result


# --- The pre-specified impact model ---------------------------------------------------------------------


@transaction.atomic
def specify_impact_model(
    site, change: str, seasonality: bool, comparison: bool, note: str = "", by: str = ""
) -> ImpactModel:
    """Write down the site's impact model with today's date. A new specification replaces the old one and
    gets a new date, so a model changed after the start is shown as specified after the start."""
    if change not in ImpactModel.Change.values:
        raise ValueError(f"unknown change {change!r}")
    spec, _created = ImpactModel.objects.update_or_create(
        site=site,
        defaults={
            "change": change,
            "seasonality": bool(seasonality),
            "comparison": bool(comparison),
            "note": note.strip()[:2000],
            "specified_at": timezone.now(),
            "specified_by": by[:150],
        },
    )
    return spec


# --- Unit costs -----------------------------------------------------------------------------------------


def save_unit_costs(site, raw_values: dict[str, tuple[str, str]]) -> list[str]:
    """`raw_values` maps each key to (value as typed, source). Empty value: back to the default."""
    errors, updates = [], []
    for key in UnitCost.Key:
        raw, source = raw_values.get(key.value, ("", ""))
        raw = raw.replace(" ", "").replace("\u00a0", "").strip()
        source = source.strip()[:300]
        if not raw:
            updates.append((key, None, ""))
            continue
        if not raw.isdigit() or len(raw) > 14:
            errors.append(_("%(label)s: ange ett heltal i kronor.") % {"label": key.label})
            continue
        if not source:
            errors.append(_("%(label)s: ange källan till värdet.") % {"label": key.label})
            continue
        updates.append((key, int(raw), source))
    if errors:
        return errors
    with transaction.atomic():
        for key, value, source in updates:
            if value is None:
                UnitCost.objects.filter(site=site, key=key).delete()
            else:
                UnitCost.objects.update_or_create(
                    site=site, key=key, defaults={"value": value, "source": source}
                )
    return []


# --- Aggregate packages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageImport:
    package: AggregatePackage
    values: int
    replaced: int


@transaction.atomic
def import_aggregate_package(data: bytes, trusted, imported_by: str = "") -> PackageImport:
    """Verify a signed package and store its values, replacing the same source's earlier values for the
    years it covers. Raises aggregate_package.PackageError (Swedish message); then nothing is stored."""
    from gvi.evaluation.aggregate_package import PackageError, verify

    verified = verify(data, trusted)
    years = sorted({period[:4] for _site, period, _indicator, _value in verified.values})
    indicators = sorted({indicator for _site, _period, indicator, _value in verified.values})
    earlier = ImportedAggregate.objects.filter(source=verified.source, indicator__in=indicators)
    for year in years:
        newer = (
            earlier.filter(period__startswith=year, package__created_at__gte=verified.created_at)
            .select_related("package")
            .order_by("-package__created_at")
            .first()
        )
        if newer is not None:
            raise PackageError(
                _(
                    "Ett paket från samma källa skapat %(created)s finns redan för %(year)s; det här paketet "
                    "skapades %(this)s. Bara ett nyare paket kan ersätta värdena. Inget importerades."
                )
                % {
                    "created": timezone.localtime(newer.package.created_at).strftime("%Y-%m-%d %H:%M"),
                    "year": year,
                    "this": timezone.localtime(verified.created_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
    replaced = 0
    for year in years:
        replaced += earlier.filter(period__startswith=year).delete()[0]
    package = AggregatePackage.objects.create(
        source=verified.source,
        installation=verified.installation,
        key_fingerprint=verified.fingerprint,
        sha256=verified.sha256,
        created_at=verified.created_at,
        imported_by=imported_by[:150],
    )
    ImportedAggregate.objects.bulk_create(
        ImportedAggregate(
            package=package,
            source=verified.source,
            site_name=site,
            period=period,
            indicator=indicator,
            value=value,
        )
        for site, period, indicator, value in verified.values
    )
    AggregatePackage.objects.filter(values__isnull=True).exclude(pk=package.pk).delete()
    return PackageImport(package, len(verified.values), replaced)


def publish_month(month, sites: list[str], counts: dict[str, list[int]]) -> PublishedMonth:
    """Fix a complete month for the national tables (once: a month already published stays as it was).
    Two requests publishing the same month at once both get the first one's record."""
    try:
        with transaction.atomic():
            published, _created = PublishedMonth.objects.get_or_create(
                month=month, defaults={"sites": list(sites), "counts": counts}
            )
    except IntegrityError:  # published by a concurrent request between the read and the insert
        published = PublishedMonth.objects.get(month=month)
    return published
