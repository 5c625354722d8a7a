"""Export of the group audit: what the user may export, as CSV (for Excel) or .xlsx, and every person-level
row exported is written to the access log in the same transaction. No log, no data.

- Rows come only from ``Model.objects.visible_to(user, EXPORT)``: the user's own organisation's persons
  and memberships at the user's site, the site's groups. Disclosed records are readable, not exportable.
- Deactivated records (overdue for review, awaiting purge) are not exported.
- Personal identity numbers are never exported, only whether one is registered.
- Spreadsheet formula injection is neutralised: text starting with =, +, -, @, tab or carriage return gets
  a leading apostrophe, and in .xlsx every text cell is written as a string, never as a formula.
- Values use the import vocabulary (docs/import-format.md): aktiv/vilande/upplost, ja/nej, karna/associerad,
  hog/medel/lag and the criterion codes.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gvi.access.decorators import user_roles
from gvi.access.models import AccessLog
from gvi.access.permissions import EXPORT, role_may
from gvi.access.services import granting_membership, log_access
from gvi.groups.importers import (
    CONFIDENCE_CODES,
    CRITERION_CODES,
    GROUP_STATUS_CODES,
    GROUPS,
    MEMBERSHIPS,
    MODELS,
    PERSONS,
    RECORD_TYPES,
    ROLE_CODES,
)
from gvi.groups.models import Group, GroupMembership, Person

FORMATS = ("csv", "xlsx")
KINDS = (GROUPS, PERSONS, MEMBERSHIPS)  # what this module exports (imports cover more kinds)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def may_export(user, kind: str) -> bool:
    return kind in RECORD_TYPES and any(
        role_may(role, RECORD_TYPES[kind], EXPORT) for role in user_roles(user)
    )


def exportable_kinds(user) -> list[str]:
    return [kind for kind in KINDS if may_export(user, kind)]


def _yes_no(value: bool) -> str:
    return "ja" if value else "nej"


def _site_and_owner(record) -> list:
    return [record.site.name, record.owner.short_name]


HEADERS = {
    GROUPS: [
        "id",
        "namn",
        "andra_namn",
        "omrade",
        "status",
        "storlek_fran",
        "storlek_till",
        "valdsniva",
        "kallor",
        "senast_granskad",
        "nasta_granskning",
        "plats",
        "agare",
        "version",
    ],
    PERSONS: [
        "id",
        "alias",
        "personnummer_registrerat",
        "fodelsear",
        "aldersgrupp",
        "under_18",
        "misstankt",
        "brottsoffer",
        "i_riskzon",
        "omprovas",
        "anteckning",
        "plats",
        "agare",
        "version",
    ],
    MEMBERSHIPS: [
        "id",
        "person",
        "person_id",
        "grupp",
        "grupp_id",
        "roll",
        "fran",
        "till",
        "grund",
        "underlag",
        "tillforlitlighet",
        "omprovas",
        "plats",
        "agare",
        "version",
    ],
}


def _group_row(group: Group) -> list:
    return [
        group.pk,
        group.name,
        group.aliases,
        group.area,
        GROUP_STATUS_CODES.get(group.status, group.status),
        group.size_min,
        group.size_max,
        group.violence_tier,
        group.sources,
        group.last_reviewed,
        group.next_review,
        *_site_and_owner(group),
        group.version,
    ]


def _person_row(person: Person) -> list:
    return [
        person.pk,
        person.alias,
        _yes_no(bool(person.personal_number_hash)),  # never the number itself
        person.birth_year,
        person.age_band,
        _yes_no(person.is_minor),
        _yes_no(person.is_suspected_perpetrator),
        _yes_no(person.is_victim),
        _yes_no(person.is_at_risk),
        person.review_date,
        person.notes,
        *_site_and_owner(person),
        person.version,
    ]


def _membership_row(membership: GroupMembership) -> list:
    return [
        membership.pk,
        membership.person.alias,
        membership.person_id,
        membership.group.name,
        membership.group_id,
        ROLE_CODES.get(membership.role, membership.role),
        membership.valid_from,
        membership.valid_to,
        "|".join(CRITERION_CODES.get(code, code) for code in membership.criteria),
        membership.evidence_note,
        CONFIDENCE_CODES.get(membership.confidence, membership.confidence),
        membership.review_date,
        *_site_and_owner(membership),
        membership.version,
    ]


ROW_BUILDERS = {GROUPS: _group_row, PERSONS: _person_row, MEMBERSHIPS: _membership_row}


def exportable(user, kind: str):
    """The records of `kind` that `user` may export: the only source of exported rows."""
    model = MODELS[kind]
    records = model.objects.visible_to(user, EXPORT).select_related("site", "owner")
    if kind == MEMBERSHIPS:
        records = records.select_related("person", "group")
    if hasattr(model, "deactivated_at"):
        records = records.filter(deactivated_at__isnull=True)
    if hasattr(records, "in_force"):  # four eyes: the exported audit holds approved entries only
        records = records.in_force()
    return records.order_by(*model._meta.ordering, "pk")


def _log_exports(user, records, purpose: str) -> int:
    """One access-log row per exported person-level record, through the membership that grants export."""
    logged = 0
    memberships = {}
    for record in records:
        if not getattr(record, "logs_reads", False):
            continue
        key = (record.site_id, record.owner_id)
        if key not in memberships:
            memberships[key] = granting_membership(user, record, EXPORT)
        log_access(user, record, action=AccessLog.Action.EXPORT, purpose=purpose, membership=memberships[key])
        logged += 1
    return logged


def export_table(user, kind: str, purpose: str = "") -> tuple[list[str], list[list]]:
    """Header and rows of `kind` for `user`; logs every person-level row. Call inside a transaction."""
    if kind not in KINDS or not may_export(user, kind):
        raise PermissionDenied(_("Din roll får inte exportera den här typen av uppgifter."))
    records = list(exportable(user, kind))
    _log_exports(user, records, purpose or _("Export av %(kind)s") % {"kind": kind})
    build = ROW_BUILDERS[kind]
    return HEADERS[kind], [build(record) for record in records]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
        )
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Swedish Excel opens correctly by double-click."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(sheet, value):
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)))
        cell.data_type = "s"  # text is text: never a formula, whatever it starts with
        return cell
    if isinstance(value, datetime):
        value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def to_xlsx(header: list[str], rows: list[list], title: str = "Export") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_xlsx_cell(sheet, name) for name in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class ExportFile:
    kind: str
    format: str
    content: bytes
    filename: str
    content_type: str
    count: int


@transaction.atomic
def export_records(user, kind: str, fmt: str, purpose: str = "") -> ExportFile:
    """Build the export file and log it, in one transaction: if logging fails, no file is produced."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    header, rows = export_table(user, kind, purpose)
    content = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, title=kind)
    filename = f"gvi-{kind}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return ExportFile(kind, fmt, content, filename, CONTENT_TYPES[fmt], len(rows))
