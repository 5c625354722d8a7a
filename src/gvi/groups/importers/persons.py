"""The ``personer`` import: person entries owned by the importer's organisation."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gvi.access import identity
from gvi.groups.importers.columns import AGE_BANDS, MINOR_AGE_BANDS, PERSONS, _echo, _key, _lower_first
from gvi.groups.importers.rows import Row, _Importer, _is_minor
from gvi.groups.models import Person
from gvi.groups.services import create_person


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
            duplicate = Person.unscoped_all_sites.filter(
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
