"""One data row with typed accessors, and the base class of every importer."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gvi.access import identity
from gvi.groups.importers.columns import (
    BOOLEANS,
    COLUMNS,
    CRITERIA,
    CRITERION_CODES,
    INTEGER_RE,
    _as_text,
    _echo,
    _key,
    _lower_first,
)
from gvi.groups.models import Group, GroupMembership, Person
from gvi.groups.services import default_review_date
from gvi.importing.text import parse_date


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
