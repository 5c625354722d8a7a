"""The import assistant: a practitioner's group-audit workbook (one sheet, title rows, merged group cells,
their own headings and words) into groups, persons and memberships, with only the mapping choices.

The sheet is read by the shared hardened reader (`gvi.importing.files`, same limits and caps); merged
cells of a workbook are filled down from their top-left cell. The user picks the header row, maps each
column to a field (pre-filled from Swedish synonyms), maps every unknown value of a choice column once to
an allowed value, and supplies defaults for the facts the sheet lacks. From the sheet and the mapping this
module builds the three tables of the ordinary imports (`grupper`, `personer`, `medlemskap`) and runs the
ordinary importers on them in ONE transaction (`importers.run_tables`): the same validation, the usual dry
run, all or nothing. A value taken from a default is noted in the record's text ("standardvärde vid
import"). Groups and persons that already exist (the next audit round) are reused, not created again.
"""

import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from gvi.access import identity
from gvi.groups import importers
from gvi.groups.importers import (
    BOOLEANS,
    CONFIDENCE_CODES,
    CONFIDENCES,
    CRITERIA,
    CRITERION_CODES,
    GROUP_STATUS,
    GROUP_STATUS_CODES,
    GROUPS,
    MEMBERSHIPS,
    PERSONS,
    ROLE_CODES,
    ROLES,
    _as_text,
    _key,
)
from gvi.groups.models import Group, Person, groups_named
from gvi.importing import files
from gvi.importing.files import ImportFileError, Table
from gvi.importing.text import contains_personal_number, name_key

YES_NO = {True: "ja", False: "nej"}
PREVIEW_ROWS = 15
MAX_MERGED_RANGES = 10_000
MAX_DISTINCT_VALUES = 50  # distinct unknown values of one choice column offered for mapping
DEFAULTED = _lazy("standardvärde vid import")
IGNORE = ""


@dataclass(frozen=True)
class Field:
    key: str
    label: object
    targets: tuple  # ((kind, column), ...) in the ordinary import files
    required: bool = False  # needs a column or a default
    synonyms: tuple = ()  # headings (folded with `_key`) recognised for this field
    choices: dict | None = None  # code -> label of the allowed values
    accepted: dict | None = None  # folded spelling -> value, as the importer accepts them
    value_synonyms: dict = field(default_factory=dict)  # folded practitioner's word -> code
    date: bool = False


FIELDS = [
    Field(
        "group_name",
        _lazy("Grupp: namn"),
        ((GROUPS, "namn"), (MEMBERSHIPS, "grupp")),
        True,
        ("grupp", "gruppnamn", "gruppens namn", "natverk", "gang"),
    ),
    Field("group_area", _lazy("Grupp: område"), ((GROUPS, "omrade"),), synonyms=("omrade", "stadsdel")),
    Field(
        "group_status",
        _lazy("Grupp: status"),
        ((GROUPS, "status"),),
        synonyms=("status", "gruppstatus"),
        choices=GROUP_STATUS_CODES,
        accepted=GROUP_STATUS,
        value_synonyms={"upplost": "upplost", "nedlagd": "upplost", "inaktiv": "vilande", "aktiv": "aktiv"},
    ),
    Field(
        "person_alias",
        _lazy("Person: alias"),
        ((PERSONS, "alias"),),
        True,
        ("namn", "alias", "smeknamn", "person", "kallas"),
    ),
    Field(
        "person_number",
        _lazy("Person: personnummer"),
        ((PERSONS, "personnummer"),),
        synonyms=("personnummer", "pnr", "personnr", "samordningsnummer", "person nr"),
    ),
    Field(
        "person_birth_year",
        _lazy("Person: födelseår"),
        ((PERSONS, "fodelsear"),),
        synonyms=("fodelsear", "fodd", "ar"),
    ),
    Field(
        "person_note",
        _lazy("Person: anteckning"),
        ((PERSONS, "anteckning"),),
        synonyms=("anteckningar", "anteckning", "kommentar", "kommentarer", "ovrigt", "notering"),
    ),
    *(
        Field(
            key,
            label,
            ((PERSONS, column),),
            synonyms=synonyms,
            choices=YES_NO,
            accepted=BOOLEANS,
        )
        for key, label, column, synonyms in (
            ("person_suspected", _lazy("Person: misstänkt gärningsperson"), "misstankt", ("misstankt",)),
            ("person_victim", _lazy("Person: brottsoffer"), "brottsoffer", ("brottsoffer", "utsatt")),
            ("person_at_risk", _lazy("Person: i riskzon"), "i_riskzon", ("i riskzon", "riskzon")),
        )
    ),
    Field(
        "role",
        _lazy("Medlemskap: roll"),
        ((MEMBERSHIPS, "roll"),),
        True,
        ("roll", "stallning", "position"),
        choices=ROLE_CODES,
        accepted=ROLES,
        value_synonyms={
            "ledare": "karna",
            "ledning": "karna",
            "medlem": "karna",
            "karna": "karna",
            "periferi": "associerad",
            "perifer": "associerad",
            "hangaround": "associerad",
            "hang around": "associerad",
            "sympatisor": "associerad",
            "kringfigur": "associerad",
            "associerad": "associerad",
        },
    ),
    Field(
        "valid_from",
        _lazy("Medlemskap: från"),
        ((MEMBERSHIPS, "fran"),),
        True,
        ("datum", "fran", "fr o m", "from", "sedan", "startdatum"),
        date=True,
    ),
    Field(
        "valid_to",
        _lazy("Medlemskap: till"),
        ((MEMBERSHIPS, "till"),),
        synonyms=("till", "t o m", "tom"),
        date=True,
    ),
    Field(
        "criteria",
        _lazy("Medlemskap: grund"),
        ((MEMBERSHIPS, "grund"),),
        True,
        ("kalla", "grund", "kriterium", "kriterier"),
        choices=CRITERION_CODES,
        accepted=CRITERIA,
        value_synonyms={
            "polisen": "underrattelse",
            "polis": "underrattelse",
            "underrattelse": "underrattelse",
            "soc": "samverkanspart",
            "socialtjansten": "samverkanspart",
            "frivarden": "samverkanspart",
            "kriminalvarden": "samverkanspart",
            "skolan": "samverkanspart",
            "egen uppgift": "egen_uppgift",
            "sjalv": "egen_uppgift",
            "iakttagen": "iakttagen",
            "sociala medier": "sociala_medier",
        },
    ),
    Field(
        "evidence",
        _lazy("Medlemskap: underlag"),
        ((MEMBERSHIPS, "underlag"),),
        True,
        ("underlag", "beskrivning"),
    ),
    Field(
        "confidence",
        _lazy("Medlemskap: tillförlitlighet"),
        ((MEMBERSHIPS, "tillforlitlighet"),),
        True,
        ("tillforlitlighet", "sakerhet", "bedomning"),
        choices=CONFIDENCE_CODES,
        accepted=CONFIDENCES,
        value_synonyms={"saker": "hog", "bekraftad": "hog", "trolig": "medel", "osaker": "lag"},
    ),
    Field(
        "review",
        _lazy("Medlemskap: omprövas"),
        ((MEMBERSHIPS, "omprovas"),),
        synonyms=("omprovas", "omprovning", "omprovningsdatum"),
        date=True,
    ),
]
FIELDS_BY_KEY = {item.key: item for item in FIELDS}
SYNONYMS = {synonym: item.key for item in FIELDS for synonym in item.synonyms}
# The column of each kind that carries the note that a value was defaulted.
NOTE_COLUMNS = {GROUPS: "kallor", MEMBERSHIPS: "underlag", PERSONS: "anteckning"}
# The fields a default can stand in for (never a name, an alias or a personal number).
DEFAULTABLE = {
    "group_status",
    "group_area",
    "person_suspected",
    "person_victim",
    "person_at_risk",
    "role",
    "valid_from",
    "valid_to",
    "criteria",
    "evidence",
    "confidence",
    "review",
}
KIND_OF_FIELD = {item.key: item.targets[0][0] for item in FIELDS}


# ----- the sheet -----


@dataclass
class Sheet:
    rows: list[tuple[int, list]]  # every non-empty row, numbered as Excel shows it, merged cells filled
    merged_filled: int = 0  # cells filled from a merged range
    reading: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(cells) for _number, cells in self.rows), default=0)

    def row(self, number: int) -> list | None:
        for row_number, cells in self.rows:
            if row_number == number:
                return cells
        return None

    def header(self, number: int) -> list[str]:
        cells = self.row(number) or []
        return [_as_text(cells[index]) if index < len(cells) else "" for index in range(self.width)]

    def data_rows(self, header_row: int) -> list[tuple[int, list]]:
        return [(number, cells) for number, cells in self.rows if number > header_row]


def read_sheet(data: bytes, name: str) -> Sheet:
    """Every row of the upload's first sheet, through the shared reader (its limits and caps); a
    workbook's merged cells are then filled from their top-left cell. Raises ImportFileError."""
    table = files.read_table(data, name=name, max_rows=importers.MAX_ROWS, require_rows=False)
    rows = [(1, list(table.header)), *((number, list(cells)) for number, cells in table.rows)]
    sheet = Sheet(rows=rows, reading=table.assumptions())
    if table.format == "xlsx":
        sheet.merged_filled = _fill_merged(data, sheet)
        if sheet.merged_filled:
            sheet.reading.append(
                _("%(count)s celler i sammanfogade områden har fyllts med områdets värde.")
                % {"count": sheet.merged_filled}
            )
    return sheet


def _fill_merged(data: bytes, sheet: Sheet) -> int:
    """Fill the cells of every merged range with its top-left value. The workbook has already passed the
    reader's caps (size unpacked, rows, columns, cells), so loading it once more is bounded."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001 - the reader accepted it; a failure here only means no merged cells
        return 0
    try:
        ranges = (
            list(workbook.worksheets[0].merged_cells.ranges)[:MAX_MERGED_RANGES]
            if workbook.worksheets
            else []
        )
    finally:
        workbook.close()
    by_number = dict(sheet.rows)
    filled = 0
    for merged in ranges:
        top = by_number.get(merged.min_row)
        if top is None or len(top) < merged.min_col:
            continue
        value = top[merged.min_col - 1]
        for number in range(merged.min_row, merged.max_row + 1):
            cells = by_number.get(number)
            if cells is None:
                continue
            for column in range(merged.min_col, min(merged.max_col, files.MAX_COLUMNS) + 1):
                while len(cells) < column:
                    cells.append(None)
                if (number, column) != (merged.min_row, merged.min_col) and not _as_text(cells[column - 1]):
                    cells[column - 1] = value
                    filled += 1
    return filled


# ----- guessing the mapping -----


def _heading_key(text) -> str:
    return _key(_as_text(text)).replace(".", " ").replace(":", "").replace("/", " ").strip()


def guess_field(heading) -> str:
    return SYNONYMS.get(" ".join(_heading_key(heading).split()), IGNORE)


def guess_header_row(sheet: Sheet) -> int:
    """The first of the first rows whose cells match most known headings (the first row if none does)."""
    best, best_score = sheet.rows[0][0] if sheet.rows else 1, 0
    for number, cells in sheet.rows[:PREVIEW_ROWS]:
        score = len({guess_field(cell) for cell in cells} - {IGNORE})
        if score > best_score:
            best, best_score = number, score
    return best


@dataclass
class Mapping:
    """The choices (no person data in the header row, headings, choice values and defaults)."""

    header_row: int
    columns: dict[int, str]  # column index -> field key
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {folded value: code}
    defaults: dict[str, str] = field(default_factory=dict)  # field -> value

    def as_data(self) -> dict:
        return {
            "header_row": self.header_row,
            "columns": {str(index): key for index, key in self.columns.items()},
            "values": self.values,
            "defaults": self.defaults,
        }

    @classmethod
    def from_data(cls, data: dict) -> "Mapping":
        return cls(
            header_row=int(data.get("header_row") or 1),
            columns={
                int(index): key for index, key in (data.get("columns") or {}).items() if key in FIELDS_BY_KEY
            },
            values={
                key: dict(value) for key, value in (data.get("values") or {}).items() if key in FIELDS_BY_KEY
            },
            defaults={
                key: str(value) for key, value in (data.get("defaults") or {}).items() if key in FIELDS_BY_KEY
            },
        )

    def column_of(self, key: str) -> int | None:
        for index, mapped in sorted(self.columns.items()):
            if mapped == key:
                return index
        return None


def guess_columns(sheet: Sheet, header_row: int, saved: dict | None = None) -> dict[int, str]:
    """Column index -> field: the saved mapping's heading first, else the synonyms; each field once."""
    columns, used = {}, set()
    for index, heading in enumerate(sheet.header(header_row)):
        key = (saved or {}).get(_heading_key(heading)) or guess_field(heading)
        if key and key in FIELDS_BY_KEY and key not in used:
            columns[index] = key
            used.add(key)
    return columns


def initial_mapping(sheet: Sheet, saved=None) -> Mapping:
    """The mapping offered first: a saved one (ImportMapping) applied to this sheet, else the guesses."""
    if saved is not None:
        header_row = saved.header_row if sheet.row(saved.header_row) is not None else guess_header_row(sheet)
        mapping = Mapping(header_row, guess_columns(sheet, header_row, saved.columns))
        mapping.values = {key: dict(value) for key, value in saved.values.items() if key in FIELDS_BY_KEY}
        mapping.defaults = {key: str(value) for key, value in saved.defaults.items() if key in FIELDS_BY_KEY}
        return fill_value_guesses(sheet, mapping)
    header_row = guess_header_row(sheet)
    return fill_value_guesses(sheet, Mapping(header_row, guess_columns(sheet, header_row)))


def fill_value_guesses(sheet: Sheet, mapping: Mapping) -> Mapping:
    """Every unknown choice value not yet mapped gets the synonyms' guess (if there is one)."""
    for key, values in unknown_values(sheet, mapping).items():
        chosen = mapping.values.setdefault(key, {})
        for value in values:
            if not chosen.get(_key(value)) and guess_value(key, value):
                chosen[_key(value)] = guess_value(key, value)
    return mapping


def unknown_values(sheet: Sheet, mapping: Mapping) -> dict[str, list[str]]:
    """For each mapped choice column: its distinct values the importer does not accept as written."""
    found = {}
    for index, key in sorted(mapping.columns.items()):
        item = FIELDS_BY_KEY[key]
        if item.accepted is None:
            continue
        seen = {}
        for _number, cells in sheet.data_rows(mapping.header_row):
            text = _as_text(cells[index]) if index < len(cells) else ""
            if text and _key(text) not in item.accepted and _key(text) not in seen:
                seen[_key(text)] = text
        if seen:
            found[key] = list(seen.values())[:MAX_DISTINCT_VALUES]
    return found


def guess_value(key: str, value: str) -> str:
    item = FIELDS_BY_KEY[key]
    return item.value_synonyms.get(_key(value), "")


def missing_fields(mapping: Mapping) -> list[Field]:
    """Fields with no column: the ones a default can be given for (required ones must have one)."""
    mapped = set(mapping.columns.values())
    return [item for item in FIELDS if item.key not in mapped and item.key in DEFAULTABLE]


def mapping_errors(mapping: Mapping) -> list[str]:
    mapped = set(mapping.columns.values())
    errors = [
        _("Ingen kolumn är kopplad till fältet ”%(field)s”.") % {"field": FIELDS_BY_KEY[key].label}
        for key in ("group_name", "person_alias")
        if key not in mapped
    ]
    errors.extend(
        _("Fältet ”%(field)s” saknar kolumn: ange ett standardvärde.") % {"field": item.label}
        for item in missing_fields(mapping)
        if item.required and not mapping.defaults.get(item.key)
    )
    return errors


# ----- building the three tables -----


@dataclass
class Built:
    tables: list[tuple[str, Table]]
    defaulted: dict[str, list[int]] = field(default_factory=dict)  # field label -> row numbers
    reused_groups: list[str] = field(default_factory=list)
    reused_persons: int = 0


def build_tables(user, sheet: Sheet, mapping: Mapping) -> Built:
    """The `grupper`, `personer` and `medlemskap` tables of the ordinary imports, from the sheet and the
    mapping. Groups and persons the user already sees at the site are reused (not in the tables)."""
    columns = {kind: [] for kind in (GROUPS, PERSONS, MEMBERSHIPS)}
    for item in FIELDS:
        for kind, column in item.targets:
            if item.key in mapping.columns.values() or mapping.defaults.get(item.key):
                columns[kind].append(column)
    columns[MEMBERSHIPS][:0] = ["person"]
    for kind, note in NOTE_COLUMNS.items():
        if note not in columns[kind]:
            columns[kind].append(note)
    rows = {kind: [] for kind in columns}
    built = Built(tables=[])
    site_id = importers.creating_membership(user, Group).site_id
    groups = Group.objects.visible_to(user).filter(site_id=site_id)
    persons = Person.objects.visible_to(user).filter(site_id=site_id)
    seen_groups, seen_persons = set(), set()
    numbered_aliases = {}  # folded alias -> the personnummer it was given with earlier in the sheet
    for number, cells in sheet.data_rows(mapping.header_row):
        values, defaulted = _row_values(cells, mapping)
        if not any(_as_text(value) for value in values.values()):
            continue
        for key in defaulted:
            built.defaulted.setdefault(str(FIELDS_BY_KEY[key].label), []).append(number)
        group_name = _as_text(values.get("group_name"))
        if group_name and name_key(group_name) not in seen_groups:
            seen_groups.add(name_key(group_name))
            if groups_named(groups, group_name).exists():
                built.reused_groups.append(group_name)
            else:
                rows[GROUPS].append((number, _kind_cells(GROUPS, columns[GROUPS], values, defaulted)))
        person_key, reference, exists = _person_key(user, persons, values)
        alias_key = _key(_as_text(values.get("person_alias")))
        if person_key.startswith("pnr:"):
            numbered_aliases.setdefault(alias_key, (person_key, reference))
        elif alias_key in numbered_aliases:  # the same alias given without its number on a later row
            person_key, reference = numbered_aliases[alias_key]
        if person_key not in seen_persons:
            seen_persons.add(person_key)
            if exists:
                built.reused_persons += 1
            else:
                rows[PERSONS].append((number, _kind_cells(PERSONS, columns[PERSONS], values, defaulted)))
        membership = _kind_cells(MEMBERSHIPS, columns[MEMBERSHIPS][1:], values, defaulted)
        rows[MEMBERSHIPS].append((number, [reference, *membership]))
    built.tables = [
        (kind, Table(header=list(columns[kind]), rows=rows[kind])) for kind in columns if rows[kind]
    ]
    return built


def _row_values(cells: list, mapping: Mapping) -> tuple[dict, list[str]]:
    values, defaulted = {}, []
    for item in FIELDS:
        index = mapping.column_of(item.key)
        value = cells[index] if index is not None and index < len(cells) else None
        if not _as_text(value):
            default = mapping.defaults.get(item.key, "")
            if default:
                values[item.key] = default
                defaulted.append(item.key)
            continue
        if item.accepted is not None and _key(_as_text(value)) not in item.accepted:
            value = mapping.values.get(item.key, {}).get(_key(_as_text(value))) or value
        values[item.key] = value
    return values, defaulted


def _kind_cells(kind: str, columns: list[str], values: dict, defaulted: list[str]) -> list:
    by_column = {
        column: values.get(item.key) for item in FIELDS for target, column in item.targets if target == kind
    }
    note = NOTE_COLUMNS.get(kind)
    labels = [
        str(FIELDS_BY_KEY[key].label).split(": ", 1)[-1] for key in defaulted if KIND_OF_FIELD[key] == kind
    ]
    if note and labels:
        text = _as_text(by_column.get(note))
        by_column[note] = " ".join(part for part in (text, f"({DEFAULTED}: {', '.join(labels)})") if part)
    return [by_column.get(column) for column in columns]


def _person_key(user, persons, values: dict) -> tuple[str, str, bool]:
    """How the sheet's person is known within the file, what the membership row names it by, and whether
    the user already sees the person at the site."""
    alias = _as_text(values.get("person_alias"))
    raw_number = _as_text(values.get("person_number"))
    if raw_number:
        try:
            normalised = identity.normalise_personal_number(raw_number)
        except ValidationError:
            return "pnr:" + raw_number, raw_number, False  # the persons import reports it
        exists = persons.filter(personal_number_hash=identity.personal_number_hash(normalised)).exists()
        return "pnr:" + normalised, normalised, exists
    return "alias:" + _key(alias), alias, bool(alias) and persons.filter(alias__iexact=alias).exists()


def run(user, sheet: Sheet, mapping: Mapping, commit: bool, filename: str = ""):
    """The dry run (commit=False) or the import: the three tables through the ordinary importers in one
    transaction. Returns (built, reports)."""
    built = build_tables(user, sheet, mapping)
    if not built.tables:
        raise ImportFileError(_("Bladet har inga datarader under rubrikraden."))
    return built, importers.run_tables(user, built.tables, commit=commit, filename=filename)


def saveable_values(mapping: Mapping) -> dict:
    """The value mapping to save: only choice values mapped to an allowed value, never a personal number."""
    return {
        key: {value: code for value, code in values.items() if code and not contains_personal_number(value)}
        for key, values in mapping.values.items()
        if FIELDS_BY_KEY[key].choices is not None
    }


def saveable_columns(sheet: Sheet, mapping: Mapping) -> dict:
    header = sheet.header(mapping.header_row)
    return {
        _heading_key(header[index]): key
        for index, key in mapping.columns.items()
        if index < len(header) and header[index] and not contains_personal_number(header[index])
    }
