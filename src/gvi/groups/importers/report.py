"""What a dry run found or an import did: row errors and the report (also as JSON for the worker)."""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gvi.groups.importers.columns import _count_of, _echo, kind_label


@dataclass
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("Rad %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportReport:
    """What a dry run found or an import did. `ok` means no file error and no row error."""

    kind: str
    dry_run: bool
    filename: str = ""
    site: str = ""
    organisation: str = ""
    rows: int = 0
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    created: list[tuple[int, str]] = field(default_factory=list)  # (row, short description)
    committed: bool = False
    reading: list[str] = field(default_factory=list)  # what the reader assumed (encoding, delimiter)
    dates_read: dict[str, list] = field(default_factory=dict)  # how -> [count, row, as written, as read]

    def note_dates(self, number: int, row) -> None:
        for how, text, parsed in row.interpretations:
            seen = self.dates_read.setdefault(how, [0, number, text, parsed])
            seen[0] += 1

    @property
    def assumptions(self) -> list[str]:
        """What was assumed in reading the file, for the preview: encoding, delimiter, date formats."""
        lines = list(self.reading)
        for how, (count, number, text, parsed) in self.dates_read.items():
            lines.append(
                ngettext(
                    "%(count)s datum skrivet som %(how)s har tolkats som dag och månad, t.ex. rad %(row)s: "
                    "'%(text)s' → %(date)s.",
                    "%(count)s datum skrivna som %(how)s har tolkats som dag och månad, t.ex. rad %(row)s: "
                    "'%(text)s' → %(date)s.",
                    count,
                )
                % {"count": count, "how": how, "row": number, "text": _echo(text), "date": parsed.isoformat()}
                if how != "Excel-serienummer"
                else ngettext(
                    "%(count)s datum angivet som Excel-serienummer har tolkats, t.ex. rad %(row)s: "
                    "%(text)s → %(date)s.",
                    "%(count)s datum angivna som Excel-serienummer har tolkats, t.ex. rad %(row)s: "
                    "%(text)s → %(date)s.",
                    count,
                )
                % {"count": count, "row": number, "text": _echo(text), "date": parsed.isoformat()}
            )
        return lines

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.row_errors

    @property
    def errors(self) -> list[str]:
        return [*self.file_errors, *(str(error) for error in self.row_errors)]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + len(self.row_errors)

    @property
    def created_count(self) -> int:
        return len(self.created)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    def summary(self) -> str:
        if self.file_errors:
            return _("Filen kunde inte importeras. Inget har sparats.")
        if self.row_errors:
            if self.dry_run:
                return _(
                    "Förhandsgranskning: %(errors)s fel i filens %(rows)s rader. Rätta filen och ladda upp "
                    "den igen. Inget har sparats."
                ) % {"errors": self.error_count, "rows": self.rows}
            return _("Importen avbröts på grund av %(errors)s fel. Inget har sparats.") % {
                "errors": self.error_count
            }
        what = _count_of(self.kind, self.created_count)
        if self.dry_run:
            return _(
                "Förhandsgranskning: alla %(rows)s rader är giltiga. Importen skapar %(what)s vid "
                "%(site)s med %(organisation)s som ägare. Inget har sparats ännu."
            ) % {"rows": self.rows, "what": what, "site": self.site, "organisation": self.organisation}
        return _("Importen är klar: %(what)s skapades vid %(site)s med %(organisation)s som ägare.") % {
            "what": what,
            "site": self.site,
            "organisation": self.organisation,
        }

    def lines(self) -> list[str]:
        """The report as text lines (for the command line)."""
        return [
            *self.assumptions,
            *self.errors,
            *(f"Rad {row}: {text}" for row, text in self.created),
            self.summary(),
        ]


def report_to_outcome(report: ImportReport) -> dict:
    """The report as JSON-able data, for an import run by the worker (kept encrypted on its job)."""
    return {
        "kind": report.kind,
        "dry_run": report.dry_run,
        "filename": report.filename,
        "site": report.site,
        "organisation": report.organisation,
        "rows": report.rows,
        "file_errors": [str(error) for error in report.file_errors],
        "row_errors": [[error.row, str(error.message)] for error in report.row_errors],
        "created": [[row, str(text)] for row, text in report.created],
        "committed": report.committed,
        "reading": [str(line) for line in report.reading],
        "dates_read": {
            str(how): [count, row, text, parsed.isoformat()]
            for how, (count, row, text, parsed) in report.dates_read.items()
        },
        "errors": report.errors,
    }


def report_from_outcome(outcome: dict) -> ImportReport:
    return ImportReport(
        kind=outcome["kind"],
        dry_run=outcome["dry_run"],
        filename=outcome["filename"],
        site=outcome["site"],
        organisation=outcome["organisation"],
        rows=outcome["rows"],
        file_errors=list(outcome["file_errors"]),
        row_errors=[RowError(row, message) for row, message in outcome["row_errors"]],
        created=[(row, text) for row, text in outcome["created"]],
        committed=outcome["committed"],
        reading=list(outcome["reading"]),
        dates_read={
            how: [count, row, text, date.fromisoformat(parsed)]
            for how, (count, row, text, parsed) in outcome["dates_read"].items()
        },
    )
