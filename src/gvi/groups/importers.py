"""Import of the group audit (kartläggning) from CSV or Excel: validated row by row, all-or-nothing.

Three kinds of file, each with Swedish column headers (docs/import-format.md describes them):

- ``grupper``    groups at the importer's site;
- ``personer``   person entries owned by the importer's organisation;
- ``medlemskap`` memberships of existing persons (alias or personnummer) in existing groups (name).

CSV files are UTF-8 (with or without BOM) with comma, semicolon or tab as delimiter (detected from the
header row); Excel files are .xlsx (the first worksheet). Row 1 is the header, so "Rad 4" is the fourth
row as Excel shows it.

`dry_run` and `import_file` run the very same code: every row goes through the write services
(`gvi.groups.services`) inside one transaction. The dry run always rolls back; the import commits only if
no row failed. So the dry run reports exactly the errors the import would hit, and an import is never
half done. Personal identity numbers are never echoed in messages.

A batched importer (incidents: `_Importer.batched`) checks every row first without writing and then, if
all rows passed, saves them with bulk statements (in the same transaction; a database error falls back to
the row-by-row path).
"""

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from gvi.access import identity
from gvi.groups.models import (
    NAMES_CHECKED,
    Confidence,
    Group,
    GroupMembership,
    MembershipCriterion,
    Person,
    groups_named,
)
from gvi.groups.services import (
    create_group,
    create_membership,
    create_person,
    creating_membership,
    default_review_date,
)
from gvi.importing import files
from gvi.importing.files import ImportFileError, Table, file_too_big_message  # noqa: F401 - used by the views
from gvi.importing.text import name_key, normalise_name, parse_date

logger = logging.getLogger(__name__)

GROUPS = "grupper"
PERSONS = "personer"
MEMBERSHIPS = "medlemskap"
# The kinds of file this module imports. Other apps add theirs with `register_kind` (incidents do).
KINDS = [GROUPS, PERSONS, MEMBERSHIPS]
MODELS = {GROUPS: Group, PERSONS: Person, MEMBERSHIPS: GroupMembership}
RECORD_TYPES = {kind: model._meta.label_lower for kind, model in MODELS.items()}
LABELS = {GROUPS: _lazy("grupper"), PERSONS: _lazy("personer"), MEMBERSHIPS: _lazy("medlemskap")}
COUNT_LABELS = {
    GROUPS: lambda n: ngettext("%(count)s grupp", "%(count)s grupper", n),
    PERSONS: lambda n: ngettext("%(count)s person", "%(count)s personer", n),
    MEMBERSHIPS: lambda n: ngettext("%(count)s medlemskap", "%(count)s medlemskap", n),
}

MAX_FILE_BYTES = files.MAX_FILE_BYTES
MAX_ROWS = files.MAX_ROWS
MAX_CELL_ECHO = 40
SMALLINT_MAX = 32767

PERSONAL_NUMBER_RE = re.compile(r"(\d{2})?\d{6}[-+]?\d{4}")
INTEGER_RE = re.compile(r"[+-]?\d{1,9}")


def kind_label(kind: str) -> str:
    return str(LABELS.get(kind, kind))


def _count_of(kind: str, count: int) -> str:
    return COUNT_LABELS[kind](count) % {"count": count}


def register_kind(kind: str, model, columns: list, importer, label, count_label) -> None:
    """Let another app import its records through the same dry-run / all-or-nothing machinery."""
    if kind not in KINDS:
        KINDS.append(kind)
    MODELS[kind] = model
    RECORD_TYPES[kind] = model._meta.label_lower
    COLUMNS[kind] = columns
    IMPORTERS[kind] = importer
    LABELS[kind] = label
    COUNT_LABELS[kind] = count_label  # n -> ngettext(...) with a %(count)s placeholder


# ----- the column format -----


@dataclass(frozen=True)
class Column:
    name: str  # the header, as written in the file (ASCII, lower case)
    field: str | None = None  # the model field, to map model validation errors back to the column
    required: bool = False  # the column must be present and every row must have a value
    description: str = ""


COLUMNS: dict[str, list[Column]] = {
    GROUPS: [
        Column("namn", "name", True, "Gruppens namn; unikt på platsen"),
        Column("andra_namn", "aliases", description="Andra namn gruppen går under"),
        Column("omrade", "area", description="Område"),
        Column("status", "status", description="aktiv, vilande eller upplost (standard aktiv)"),
        Column("storlek_fran", "size_min", description="Uppskattad storlek, lägst (heltal)"),
        Column("storlek_till", "size_max", description="Uppskattad storlek, högst (heltal)"),
        Column("valdsniva", "violence_tier", description="1–4 (standard 1)"),
        Column("kallor", "sources", description="Källor"),
        Column("nasta_granskning", "next_review", description="ÅÅÅÅ-MM-DD (standard om ett år)"),
    ],
    PERSONS: [
        Column("ref", None, description="Filens egen nyckel för personen; unik i filen, sparas inte"),
        Column("alias", "alias", True, "Visningsalias"),
        Column("personnummer", "personal_number", description="Personnummer eller samordningsnummer"),
        Column("fodelsear", "birth_year", description="Födelseår (ÅÅÅÅ)"),
        Column("aldersgrupp", "age_band", description="u15, 15-17, 18-20, 21-25, 26-35 eller 36+"),
        Column("under_18", "is_minor", description="ja/nej"),
        Column("misstankt", "is_suspected_perpetrator", description="ja/nej"),
        Column("brottsoffer", "is_victim", description="ja/nej"),
        Column("i_riskzon", "is_at_risk", description="ja/nej"),
        Column("omprovas", "review_date", description="ÅÅÅÅ-MM-DD (standard enligt omprövningstiden)"),
        Column("anteckning", "notes", description="Anteckning"),
    ],
    MEMBERSHIPS: [
        Column("person", "person", True, "Alias eller personnummer för en befintlig person"),
        Column("grupp", "group", True, "Namnet på en befintlig grupp på platsen"),
        Column("roll", "role", True, "karna eller associerad"),
        Column("fran", "valid_from", True, "ÅÅÅÅ-MM-DD"),
        Column("till", "valid_to", description="ÅÅÅÅ-MM-DD"),
        Column("grund", "criteria", True, "En eller flera grunder åtskilda med |"),
        Column("underlag", "evidence_note", True, "Beskrivning av underlaget"),
        Column("tillforlitlighet", "confidence", True, "hog, medel eller lag"),
        Column("omprovas", "review_date", description="ÅÅÅÅ-MM-DD (standard enligt omprövningstiden)"),
    ],
}


def _key(value: str) -> str:
    """Fold a value for lenient matching: no diacritics, lower case, '_' as space, dashes as '-'."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("_", " ")
    return " ".join(text.split())


def _header_key(value) -> str:
    return _key(_as_text(value).lstrip("\ufeff")).replace("-", "_").replace(" ", "_")


def _choices(mapping: dict[str, list[str]]) -> dict[str, str]:
    """value -> accepted spellings (folded with `_key`)."""
    return {_key(spelling): value for value, spellings in mapping.items() for spelling in [value, *spellings]}


GROUP_STATUS_CODES = {
    Group.Status.ACTIVE: "aktiv",
    Group.Status.DORMANT: "vilande",
    Group.Status.DISSOLVED: "upplost",
}
ROLE_CODES = {GroupMembership.Role.CORE: "karna", GroupMembership.Role.ASSOCIATE: "associerad"}
CONFIDENCE_CODES = {Confidence.HIGH: "hog", Confidence.MEDIUM: "medel", Confidence.LOW: "lag"}
CRITERION_CODES = {
    MembershipCriterion.SELF_ADMISSION: "egen_uppgift",
    MembershipCriterion.POLICE_INTELLIGENCE: "underrattelse",
    MembershipCriterion.OBSERVED_WITH_GROUP: "iakttagen",
    MembershipCriterion.CO_OFFENDING: "brott_tillsammans",
    MembershipCriterion.SOCIAL_MEDIA: "sociala_medier",
    MembershipCriterion.SYMBOLS: "symboler",
    MembershipCriterion.VICTIM_OF_RIVALS: "utsatt_av_rivaler",
    MembershipCriterion.PARTNER_INFORMATION: "samverkanspart",
    MembershipCriterion.OTHER: "annat",
}
# The Swedish source labels of the model choices, so files written with the labels import as well.
CRITERION_LABELS = {
    MembershipCriterion.SELF_ADMISSION: "Egen uppgift om medlemskap",
    MembershipCriterion.POLICE_INTELLIGENCE: "Underrättelseinformation",
    MembershipCriterion.OBSERVED_WITH_GROUP: "Upprepat iakttagen med gruppen",
    MembershipCriterion.CO_OFFENDING: "Misstänkt för brott tillsammans med medlemmar",
    MembershipCriterion.SOCIAL_MEDIA: "Öppna sociala medier",
    MembershipCriterion.SYMBOLS: "Gruppens symboler eller tatueringar",
    MembershipCriterion.VICTIM_OF_RIVALS: "Utsatt för våld av rivaliserande grupp",
    MembershipCriterion.PARTNER_INFORMATION: "Uppgift från samverkanspart",
    MembershipCriterion.OTHER: "Annat (beskrivs i underlaget)",
}
MINOR_AGE_BANDS = {Person.AgeBand.UNDER_15, Person.AgeBand.AGE_15_17}

GROUP_STATUS = _choices(
    {Group.Status.ACTIVE: ["aktiv"], Group.Status.DORMANT: ["vilande"], Group.Status.DISSOLVED: ["upplost"]}
)
TIERS = _choices({1: ["låg"], 2: ["medel"], 3: ["hög"], 4: ["driver våldet"]})
AGE_BANDS = _choices(
    {
        Person.AgeBand.UNDER_15: ["under 15"],
        Person.AgeBand.AGE_15_17: [],
        Person.AgeBand.AGE_18_20: [],
        Person.AgeBand.AGE_21_25: [],
        Person.AgeBand.AGE_26_35: [],
        Person.AgeBand.OVER_35: ["36 eller äldre"],
    }
)
ROLES = _choices(
    {
        GroupMembership.Role.CORE: ["karna", "kärnmedlem", "karnmedlem"],
        GroupMembership.Role.ASSOCIATE: ["associerad"],
    }
)
CONFIDENCES = _choices(
    {Confidence.HIGH: ["hog", "hög"], Confidence.MEDIUM: ["medel"], Confidence.LOW: ["lag", "låg"]}
)
CRITERIA = _choices({value: [code, CRITERION_LABELS[value]] for value, code in CRITERION_CODES.items()})
BOOLEANS = {
    **{spelling: True for spelling in ("ja", "j", "yes", "y", "sant", "true", "x", "1")},
    **{spelling: False for spelling in ("nej", "n", "no", "falskt", "false", "0")},
}


# ----- the report -----


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


def read_table(uploaded_file) -> Table:
    """Read a CSV or .xlsx upload (the shared hardened reader, `gvi.importing.files`)."""
    return files.read_table(uploaded_file, max_rows=MAX_ROWS)


def check_header(kind: str, header: list) -> dict[str, int]:
    """Column name -> position. Unknown, repeated and missing required columns are reported together."""
    known = {column.name for column in COLUMNS[kind]}
    positions: dict[str, int] = {}
    errors = []
    unknown = []
    for index, raw in enumerate(header):
        name = _header_key(raw)
        if not name:
            continue
        if name not in known:
            unknown.append(_as_text(raw))
        elif name in positions:
            errors.append(_("Kolumnen ”%(name)s” förekommer mer än en gång.") % {"name": name})
        else:
            positions[name] = index
    if unknown:
        errors.insert(
            0,
            _("Okända kolumner: %(unknown)s. Tillåtna kolumner för %(kind)s: %(known)s.")
            % {
                "unknown": ", ".join(f"”{_echo(name)}”" for name in unknown),
                "kind": kind_label(kind),
                "known": ", ".join(column.name for column in COLUMNS[kind]),
            },
        )
    missing = [column.name for column in COLUMNS[kind] if column.required and column.name not in positions]
    if missing:
        errors.append(_("Obligatoriska kolumner saknas: %(missing)s.") % {"missing": ", ".join(missing)})
    if errors:
        names = {_header_key(raw) for raw in header} - {""}
        for other in KINDS:
            if other != kind and names and names <= {column.name for column in COLUMNS[other]}:
                errors.append(
                    _("Filen ser ut att innehålla %(other)s – välj den typen av import i stället.")
                    % {"other": kind_label(other)}
                )
        raise ImportFileError(*errors)
    return positions


# ----- cell values -----


_as_text = files.cell_text


def _echo(value) -> str:
    """A cell value for an error message: short and on one line."""
    text = " ".join(_as_text(value).split())
    return text if len(text) <= MAX_CELL_ECHO else text[: MAX_CELL_ECHO - 1] + "…"


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:] if message else message


class Row:
    """One data row: typed accessors that collect plain Swedish errors instead of raising."""

    def __init__(self, number: int, cells: dict[str, object]):
        self.number = number
        self.cells = cells
        self.errors: list[str] = []
        self.interpretations: list[tuple[str, str, date]] = []  # (how, as written, as read)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def _missing(self, column: str) -> None:
        self.error(_("%(column)s saknas") % {"column": column})

    def raw(self, column: str) -> object:
        return self.cells.get(column)

    def text(self, column: str, required: bool = False) -> str:
        value = _as_text(self.cells.get(column))
        if required and not value:
            self._missing(column)
        return value

    def date(self, column: str, required: bool = False) -> date | None:
        value = self.cells.get(column)
        text = _as_text(value)
        if not text:
            if required:
                self._missing(column)
            return None
        parsed, how = parse_date(value)
        if parsed is None:
            self.error(
                _(
                    "felaktigt datum '%(value)s' i kolumnen %(column)s (ange ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller D/M ÅÅÅÅ)"
                )
                % {"value": _echo(text), "column": column}
            )
            return None
        if how:
            self.interpretations.append((how, text, parsed))
        return parsed

    def integer(self, column: str, minimum: int, maximum: int) -> int | None:
        value = self.cells.get(column)
        text = _as_text(value).replace(" ", "").replace("\u00a0", "")
        if not text:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif INTEGER_RE.fullmatch(text):
            number = int(text)
        else:
            self.error(
                _("kolumnen %(column)s ska vara ett heltal, inte '%(value)s'")
                % {"column": column, "value": _echo(text)}
            )
            return None
        if not minimum <= number <= maximum:
            self.error(
                _("kolumnen %(column)s ska vara ett heltal från %(min)s till %(max)s")
                % {"column": column, "min": minimum, "max": maximum}
            )
            return None
        return number

    def boolean(self, column: str) -> bool | None:
        value = self.cells.get(column)
        if isinstance(value, bool):
            return value
        text = _as_text(value)
        if not text:
            return None
        found = BOOLEANS.get(_key(text))
        if found is None:
            self.error(
                _("kolumnen %(column)s ska vara ja eller nej, inte '%(value)s'")
                % {"column": column, "value": _echo(text)}
            )
        return found

    def choice(self, column: str, choices: dict[str, object], allowed: str, required: bool = False):
        text = _as_text(self.cells.get(column))
        if not text:
            if required:
                self._missing(column)
            return None
        found = choices.get(_key(text))
        if found is None:
            self.error(
                _("okänt värde '%(value)s' i kolumnen %(column)s (tillåtna värden: %(allowed)s)")
                % {"value": _echo(text), "column": column, "allowed": allowed}
            )
        return found

    def criteria(self, column: str) -> list[str]:
        parts = [part.strip() for part in self.text(column).split("|") if part.strip()]
        if not parts:
            self._missing(column)
            return []
        codes = []
        for part in parts:
            code = CRITERIA.get(_key(part))
            if code is None:
                self.error(
                    _("okänd grund '%(value)s' (tillåtna värden: %(allowed)s)")
                    % {"value": _echo(part), "allowed": ", ".join(CRITERION_CODES.values())}
                )
            elif code not in codes:
                codes.append(str(code))
        return codes

    def add_validation_error(self, error: ValidationError, columns: dict[str, str]) -> None:
        """Map a model ValidationError back to the file's columns."""
        if hasattr(error, "error_dict"):
            for field_name, messages in error.message_dict.items():
                column = columns.get(field_name)
                for message in messages:
                    if column:
                        self.error(
                            _("kolumnen %(column)s: %(message)s")
                            % {"column": column, "message": _lower_first(message)}
                        )
                    else:
                        self.error(_lower_first(message))
        else:
            for message in error.messages:
                self.error(_lower_first(message))


def _is_minor(normalised: str, today: date) -> bool:
    day = int(normalised[6:8])
    day = day - identity.COORDINATION_OFFSET if day > identity.COORDINATION_OFFSET else day
    born = date(int(normalised[:4]), int(normalised[4:6]), day)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < 18


# ----- one importer per kind -----


class _Importer:
    kind: str

    def __init__(self, user, membership, today: date):
        self.user = user
        self.membership = membership
        self.site_id = membership.site_id
        self.organisation_id = membership.organisation_id
        self.today = today
        self.columns = {column.field: column.name for column in COLUMNS[self.kind] if column.field}
        # Scoped once per import (the user's memberships do not change meanwhile); rows created earlier in
        # the same import are seen by these querysets, so duplicates within the file are caught too.
        self.visible_groups = Group.objects.visible_to(user).filter(site_id=self.site_id)
        self.visible_persons = Person.objects.visible_to(user).filter(site_id=self.site_id)
        self.visible_memberships = GroupMembership.objects.visible_to(user).filter(site_id=self.site_id)

    # A batched importer checks every row first (`begin`, then `check_row` for each row: no writes) and,
    # if all rows passed, saves them together (`save_checked`); `import_row` remains its row-by-row path.
    batched = False

    def import_row(self, row: Row) -> str | None:
        raise NotImplementedError

    def begin(self, rows: list[Row]) -> None:
        """Batched importers: prefetch what checking `rows` needs."""

    def check_row(self, row: Row) -> str | None:
        """Batched importers: every check of `import_row`, without writing; the description or None."""
        raise NotImplementedError

    def save_checked(self) -> None:
        """Batched importers: write every row `check_row` passed."""
        raise NotImplementedError

    def check_review(self, row: Row, review: date | None, is_minor: bool) -> None:
        """A chosen review date lies between today and the longest review period (shorter for minors)."""
        if review is None:
            return
        if review < self.today:
            row.error(_("omprovas kan inte ligga före dagens datum"))
            return
        latest = default_review_date(is_minor, self.today)
        if review > latest:
            row.error(
                _("omprovas får vara senast %(latest)s (den längsta omprövningstiden%(minor)s)")
                % {"latest": latest.isoformat(), "minor": _(" för personer under 18") if is_minor else ""}
            )


class _GroupImporter(_Importer):
    kind = GROUPS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every name at the site (not only the visible ones: names are unique per site), by `name_key`.
        self.names = {
            name_key(name)
            for name in Group.objects.filter(site_id=self.site_id).values_list("name", flat=True)
        }

    def import_row(self, row: Row) -> str | None:
        data = {
            "name": row.text("namn", required=True),
            "aliases": row.text("andra_namn"),
            "area": row.text("omrade"),
            "status": row.choice("status", GROUP_STATUS, "aktiv, vilande, upplost") or Group.Status.ACTIVE,
            "size_min": row.integer("storlek_fran", 0, SMALLINT_MAX),
            "size_max": row.integer("storlek_till", 0, SMALLINT_MAX),
            "violence_tier": row.choice("valdsniva", TIERS, "1, 2, 3, 4") or Group.Tier.LOW,
            "sources": row.text("kallor"),
            "next_review": row.date("nasta_granskning") or default_review_date(False, self.today),
        }
        if row.errors:
            return None
        data["name"] = normalise_name(data["name"])
        if name_key(data["name"]) in self.names:
            row.error(_("gruppen '%(name)s' finns redan på platsen") % {"name": _echo(data["name"])})
            return None
        token = NAMES_CHECKED.set(True)
        try:
            group = create_group(self.user, data, site_id=self.site_id)
        finally:
            NAMES_CHECKED.reset(token)
        self.names.add(name_key(group.name))
        return group.name


class _PersonImporter(_Importer):
    kind = PERSONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refs: dict[str, int] = {}

    def import_row(self, row: Row) -> str | None:
        ref = row.text("ref")
        if ref:
            if _key(ref) in self.refs:
                row.error(
                    _("ref '%(ref)s' finns redan på rad %(row)s")
                    % {"ref": _echo(ref), "row": self.refs[_key(ref)]}
                )
            else:
                self.refs[_key(ref)] = row.number
        alias = row.text("alias", required=True)
        normalised = None
        raw_number = row.text("personnummer")
        if raw_number:
            try:
                normalised = identity.normalise_personal_number(raw_number, today=self.today)
            except ValidationError as error:
                row.error(
                    _("kolumnen personnummer: %(message)s") % {"message": _lower_first(error.messages[0])}
                )
        birth_year = row.integer("fodelsear", 1900, self.today.year)
        age_band = row.choice("aldersgrupp", AGE_BANDS, "u15, 15-17, 18-20, 21-25, 26-35, 36+") or ""
        minor_flag = row.boolean("under_18")
        data = {
            "alias": alias,
            "birth_year": birth_year,
            "age_band": age_band,
            "is_suspected_perpetrator": bool(row.boolean("misstankt")),
            "is_victim": bool(row.boolean("brottsoffer")),
            "is_at_risk": bool(row.boolean("i_riskzon")),
            "notes": row.text("anteckning"),
        }
        review = row.date("omprovas")
        if row.errors:
            return None
        if normalised and birth_year and birth_year != identity.birth_year_of(normalised):
            row.error(_("fodelsear stämmer inte med personnumret"))
        known = [
            minor_flag,
            _is_minor(normalised, self.today) if normalised else None,
            (age_band in MINOR_AGE_BANDS) if age_band else None,
        ]
        known = [value for value in known if value is not None]
        if len(set(known)) > 1:
            row.error(_("uppgifterna om ålder går inte ihop (under_18, aldersgrupp och personnummer)"))
        data["is_minor"] = known[0] if known else False
        data["review_date"] = review
        self.check_review(row, review, data["is_minor"])
        if normalised:
            duplicate = Person.objects.filter(
                site_id=self.site_id,
                owner_id=self.organisation_id,
                personal_number_hash=identity.personal_number_hash(normalised),
            ).first()
            if duplicate:
                row.error(
                    _("en person med samma personnummer finns redan: '%(alias)s'")
                    % {"alias": _echo(duplicate.alias)}
                )
        if row.errors:
            return None
        person = create_person(self.user, data, personal_number=normalised)
        return person.alias + (_(" (under 18)") if person.is_minor else "")


class _MembershipImporter(_Importer):
    kind = MEMBERSHIPS

    def import_row(self, row: Row) -> str | None:
        person_value = row.text("person", required=True)
        group_name = row.text("grupp", required=True)
        data = {
            "role": row.choice("roll", ROLES, "karna, associerad", required=True),
            "valid_from": row.date("fran", required=True),
            "valid_to": row.date("till"),
            "criteria": row.criteria("grund"),
            "evidence_note": row.text("underlag", required=True),
            "confidence": row.choice("tillforlitlighet", CONFIDENCES, "hog, medel, lag", required=True),
            "review_date": row.date("omprovas"),
        }
        person = self._person(row, person_value) if person_value else None
        group = self._group(row, group_name) if group_name else None
        if row.errors:
            return None
        overlapping = self.visible_memberships.filter(person=person, group=group)
        overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=data["valid_from"]))
        if data["valid_to"]:
            overlapping = overlapping.filter(valid_from__lte=data["valid_to"])
        if overlapping.exists():
            row.error(
                _("'%(person)s' är redan registrerad i gruppen '%(group)s' under samma period")
                % {"person": _echo(person.alias), "group": _echo(group.name)}
            )
        self.check_review(row, data["review_date"], person.is_minor)
        if row.errors:
            return None
        try:
            membership = create_membership(self.user, {**data, "person": person, "group": group})
        except PermissionDenied:
            row.error(
                _(
                    "du får inte registrera medlemskap för '%(person)s' (personen ägs av en annan organisation)"
                )
                % {"person": _echo(person.alias)}
            )
            return None
        return f"{person.alias} → {group.name} ({membership.get_role_display()})"

    def _person(self, row: Row, value: str) -> Person | None:
        persons = self.visible_persons
        if PERSONAL_NUMBER_RE.fullmatch(value.replace(" ", "")):
            try:
                normalised = identity.normalise_personal_number(value, today=self.today)
            except ValidationError as error:
                row.error(_("kolumnen person: %(message)s") % {"message": _lower_first(error.messages[0])})
                return None
            matches = list(persons.filter(personal_number_hash=identity.personal_number_hash(normalised))[:2])
            if not matches:
                row.error(_("ingen av de personer du har tillgång till har det angivna personnumret"))
                return None
            if len(matches) > 1:
                row.error(_("flera personer har det angivna personnumret"))
                return None
            return matches[0]
        matches = list(persons.filter(alias__iexact=value)[:2])
        if not matches:
            row.error(_("okänd person '%(person)s'") % {"person": _echo(value)})
            return None
        if len(matches) > 1:
            row.error(
                _("flera personer har aliaset '%(person)s' – ange personnummer i stället")
                % {"person": _echo(value)}
            )
            return None
        return matches[0]

    def _group(self, row: Row, name: str) -> Group | None:
        matches = list(groups_named(self.visible_groups, name)[:2])
        if len(matches) != 1:
            message = _("okänd grupp '%(group)s'") if not matches else _("flera grupper heter '%(group)s'")
            row.error(message % {"group": _echo(name)})
            return None
        return matches[0]


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


IMPORTERS = {GROUPS: _GroupImporter, PERSONS: _PersonImporter, MEMBERSHIPS: _MembershipImporter}


# ----- running an import -----


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
