"""The kinds of import, their columns and the accepted spellings of choice values.

Other apps add their kinds with `register_kind` (incidents do)."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from gvi.groups.models import Confidence, Group, GroupMembership, MembershipCriterion, Person
from gvi.importing import files

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


# kind -> importer class (the built-in ones are added by the package's __init__).
IMPORTERS: dict = {}


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


_as_text = files.cell_text


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


def _echo(value) -> str:
    """A cell value for an error message: short and on one line."""
    text = " ".join(_as_text(value).split())
    return text if len(text) <= MAX_CELL_ECHO else text[: MAX_CELL_ECHO - 1] + "…"


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:] if message else message
