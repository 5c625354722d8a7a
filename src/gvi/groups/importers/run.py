"""Running an import: every row through the kind's importer in one transaction, all or nothing."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.groups.importers.columns import IMPORTERS, KINDS, MODELS, _as_text, _echo, _lower_first, kind_label
from gvi.groups.importers.reading import check_header, read_table
from gvi.groups.importers.report import ImportReport, RowError
from gvi.groups.importers.rows import Row, _Importer
from gvi.groups.services import creating_membership
from gvi.importing.files import ImportFileError, Table

logger = logging.getLogger("gvi.groups.importers")


class _Rollback(Exception):
    """Leave the transaction without writing anything."""


def dry_run(user, kind: str, uploaded_file, progress=None) -> ImportReport:
    """Validate every row exactly as the import would, and write nothing. `progress(done, total)` is told
    how far the rows are (gvi.operations.imports.Progress, when the worker runs it)."""
    return _run(user, kind, uploaded_file, commit=False, progress=progress)


def import_file(user, kind: str, uploaded_file, progress=None) -> ImportReport:
    """Import every row in one transaction; if any row fails, nothing is written."""
    return _run(user, kind, uploaded_file, commit=True, progress=progress)


def _run(user, kind: str, uploaded_file, commit: bool, progress=None) -> ImportReport:
    report = ImportReport(
        kind=kind, dry_run=not commit, filename=str(getattr(uploaded_file, "name", "") or "")
    )
    if kind not in KINDS:
        report.file_errors.append(
            _("Okänd typ av import '%(kind)s'. Välj %(kinds)s.")
            % {"kind": _echo(kind), "kinds": ", ".join(KINDS)}
        )
        return report
    try:
        membership = creating_membership(user, MODELS[kind])
    except PermissionDenied:
        report.file_errors.append(_("Din roll får inte importera %(kind)s.") % {"kind": kind_label(kind)})
        return report
    report.site = membership.site.name
    report.organisation = membership.organisation.name
    try:
        table = read_table(uploaded_file)
        positions = check_header(kind, table.header)
    except ImportFileError as error:
        report.file_errors.extend(error.messages)
        return report
    report.rows = len(table.rows)
    report.reading = table.assumptions()
    importer = IMPORTERS[kind](user, membership, timezone.localdate())
    try:
        with transaction.atomic():
            if importer.batched:
                _import_batched(importer, report, table.rows, positions, progress)
            else:
                for done, (number, cells) in enumerate(table.rows, start=1):
                    _import_row(importer, report, number, cells, positions)
                    if progress is not None:
                        progress(done, len(table.rows))
            if not commit or not report.ok:
                raise _Rollback
            report.committed = True
    except _Rollback:
        pass
    return report


def _make_row(number: int, cells: list, positions: dict) -> Row | None:
    """The row's named cells, or None if a cell outside the named columns has a value."""
    named = set(positions.values())
    if any(_as_text(cell) for index, cell in enumerate(cells) if index not in named):
        return None
    return Row(
        number, {name: cells[index] if index < len(cells) else None for name, index in positions.items()}
    )


def _unnamed_column_error(number: int) -> RowError:
    return RowError(number, _("värde i en kolumn utan rubrik"))


def _import_batched(
    importer: _Importer, report: ImportReport, table_rows: list, positions: dict, progress=None
) -> None:
    """Check every row without writing (same checks, same messages), then save them all in one go.

    Nothing is written unless every row passed. If the batch cannot be saved (a database error), its
    savepoint is rolled back and the rows are imported one by one instead, so the report names the row.
    """
    rows = [(number, _make_row(number, cells, positions)) for number, cells in table_rows]
    try:
        with transaction.atomic():
            importer.begin([row for _number, row in rows if row is not None])
    except DatabaseError:
        logger.exception("Import could not prepare the batch; importing row by row")
        for number, cells in table_rows:
            _import_row(importer, report, number, cells, positions)
        return
    checked = []
    for done, (number, row) in enumerate(rows, start=1):
        if progress is not None:
            progress(done, len(rows))
        if row is None:
            report.row_errors.append(_unnamed_column_error(number))
            continue
        description = None
        try:
            description = importer.check_row(row)
        except ValidationError as error:
            row.add_validation_error(error, importer.columns)
        except PermissionDenied as error:
            row.error(_lower_first(str(error)) or _("du får inte skapa den här posten"))
        except DatabaseError:
            logger.exception("Import row %s could not be checked", number)
            row.error(_("raden kunde inte sparas (databasfel)"))
        if row.errors:
            report.row_errors.extend(RowError(number, message) for message in row.errors)
        elif description is not None:
            checked.append((number, description))
            report.note_dates(number, row)
    if report.ok and checked:
        try:
            with transaction.atomic():
                importer.save_checked()
        except DatabaseError:
            logger.exception("Import batch could not be saved; importing row by row")
            for number, cells in table_rows:
                _import_row(importer, report, number, cells, positions)
            return
    report.created.extend(checked)  # as row by row: the rows that passed, even if others failed


def _import_row(importer: _Importer, report: ImportReport, number: int, cells: list, positions: dict) -> None:
    row = _make_row(number, cells, positions)
    if row is None:
        report.row_errors.append(_unnamed_column_error(number))
        return
    description = None
    try:
        with transaction.atomic():  # a savepoint per row: a failed row never poisons the transaction
            description = importer.import_row(row)
            if row.errors:
                transaction.set_rollback(True)
    except ValidationError as error:
        row.add_validation_error(error, importer.columns)
    except PermissionDenied as error:
        row.error(_lower_first(str(error)) or _("du får inte skapa den här posten"))
    except DatabaseError:
        logger.exception("Import row %s could not be saved", number)
        row.error(_("raden kunde inte sparas (databasfel)"))
    if row.errors:
        report.row_errors.extend(RowError(number, message) for message in row.errors)
    elif description is not None:
        report.created.append((number, description))
        report.note_dates(number, row)


def run_tables(user, tables: list[tuple[str, Table]], commit: bool, filename: str = "") -> list[ImportReport]:
    """Several kinds from tables already read (the import assistant), in ONE transaction: each table in
    turn through its kind's importer (so a later kind sees the records an earlier one created), and
    nothing is written unless every row of every table passed. One report per table, in order."""
    reports = []
    prepared = []
    for kind, table in tables:
        report = ImportReport(kind=kind, dry_run=not commit, filename=filename)
        reports.append(report)
        try:
            membership = creating_membership(user, MODELS[kind])
        except PermissionDenied:
            report.file_errors.append(_("Din roll får inte importera %(kind)s.") % {"kind": kind_label(kind)})
            continue
        report.site = membership.site.name
        report.organisation = membership.organisation.name
        report.rows = len(table.rows)
        try:
            positions = check_header(kind, table.header)
        except ImportFileError as error:
            report.file_errors.extend(error.messages)
            continue
        prepared.append((report, table, positions, membership))
    if any(not report.ok for report in reports):
        return reports
    today = timezone.localdate()
    try:
        with transaction.atomic():
            for report, table, positions, membership in prepared:
                importer = IMPORTERS[report.kind](user, membership, today)
                for number, cells in table.rows:
                    _import_row(importer, report, number, cells, positions)
            if not commit or not all(report.ok for report in reports):
                raise _Rollback
            for report in reports:
                report.committed = True
    except _Rollback:
        pass
    return reports
