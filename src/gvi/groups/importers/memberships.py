"""The ``medlemskap`` import: memberships of existing persons in existing groups."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from gvi.access import identity
from gvi.groups.importers.columns import (
    CONFIDENCES,
    MEMBERSHIPS,
    PERSONAL_NUMBER_RE,
    ROLES,
    _echo,
    _lower_first,
)
from gvi.groups.importers.rows import Row, _Importer
from gvi.groups.models import Group, Person, groups_named
from gvi.groups.services import create_membership


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
