"""Import of incident lists (CSV or .xlsx) through the same dry-run / all-or-nothing machinery as the group
audit (gvi.groups.importers). Registered as the kind ``incidenter`` when the app is ready."""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from gvi.groups import importers as base
from gvi.groups.services import creating_membership
from gvi.importing.text import name_key
from gvi.incidents.models import Incident, Involvement
from gvi.incidents.services import (
    code_involvement,
    prepare_incident,
    prepare_involvement,
    register_incident,
    save_prepared,
)
from gvi.partnership.selectors import AreaMatcher

INCIDENTS = "incidenter"
MIN_YEAR = 1900  # earlier moments are typing errors (and year 1 overflows the conversion to UTC)
DATETIME_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?)?")

TYPES = base._choices(
    {
        Incident.Type.SHOOTING: ["skjutning", "shooting"],
        Incident.Type.EXPLOSION: ["sprangning", "explosion"],
        Incident.Type.LETHAL: ["dodligt vald", "dodligt_vald", "lethal"],
        Incident.Type.ATTEMPTED_MURDER: ["forsok till mord", "mordforsok", "attempted murder"],
        Incident.Type.AGGRAVATED_ASSAULT: ["grov misshandel", "grov_misshandel", "aggravated assault"],
        Incident.Type.ARSON: ["mordbrand", "arson"],
        Incident.Type.OTHER: ["annat", "other"],
    }
)
STATUSES = base._choices(
    {
        Incident.Status.NEW: ["ny", "new"],
        Incident.Status.REVIEWED: ["genomgangen", "reviewed"],
        Incident.Status.CLOSED: ["avslutad", "closed"],
    }
)
MEMBER_STATUS = base._choices(
    {
        Involvement.MemberStatus.CONFIRMED: ["bekraftad", "confirmed"],
        Involvement.MemberStatus.SUSPECTED: ["misstankt", "suspected"],
        Involvement.MemberStatus.UNKNOWN: ["okand", "unknown"],
    }
)

COLUMNS = [
    base.Column("tidpunkt", "occurred_at", True, "ÅÅÅÅ-MM-DD TT:MM (lokal tid)"),
    base.Column(
        "typ",
        "type",
        True,
        "skjutning, sprangning, dodligt_vald, mordforsok, grov_misshandel, mordbrand, annat",
    ),
    base.Column("konstaterad_skjutning", "confirmed_shooting", description="ja/nej (endast skjutningar)"),
    base.Column("omrade", "area", description="Ett av platsens områden, med namn eller annan stavning"),
    base.Column("latitud", "latitude", description="WGS 84, t.ex. 59.2741"),
    base.Column("longitud", "longitude", description="WGS 84, t.ex. 15.2066"),
    base.Column("doda", "dead", description="Antal döda (heltal)"),
    base.Column("skadade", "injured", description="Antal skadade (heltal)"),
    base.Column("diarienummer", "police_reference", description="Polisens diarienummer"),
    base.Column("status", "status", description="ny, genomgangen eller avslutad (standard ny)"),
    base.Column("sammanfattning", "summary", description="Kort sammanfattning"),
    base.Column("grupper_misstankta", None, description="Namn på misstänkta grupper, åtskilda med |"),
    base.Column("grupper_utsatta", None, description="Namn på utsatta grupper, åtskilda med |"),
    base.Column("gruppkoppling", None, description="bekraftad, misstankt eller okand (standard misstankt)"),
]


def _coordinate(row: base.Row, column: str, low: float, high: float) -> Decimal | None:
    text = row.text(column).replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not low <= value <= high:
        row.error(
            _("kolumnen %(column)s ska vara ett tal från %(low)s till %(high)s")
            % {"column": column, "low": low, "high": high}
        )
        return None
    return value.quantize(Decimal("0.000001"))


def _moment(row: base.Row, column: str) -> datetime | None:
    value = row.raw(column)
    if isinstance(value, datetime):
        moment = value
    else:
        text = base._as_text(value)
        if not text:
            row.error(_("%(column)s saknas") % {"column": column})
            return None
        match = DATETIME_RE.fullmatch(text)
        try:
            moment = datetime.fromisoformat(match.group(1)).replace(
                hour=int(match.group(2) or 0), minute=int(match.group(3) or 0)
            )
        except (AttributeError, ValueError):
            row.error(
                _("felaktig tidpunkt '%(value)s' i kolumnen %(column)s (ange ÅÅÅÅ-MM-DD TT:MM)")
                % {"value": base._echo(text), "column": column}
            )
            return None
    if moment.year < MIN_YEAR:
        row.error(
            _("tidpunkten i kolumnen %(column)s ligger före år %(low)s") % {"column": column, "low": MIN_YEAR}
        )
        return None
    if moment.year > timezone.localdate().year:
        row.error(_("tidpunkten ligger i framtiden"))
        return None
    moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if moment > timezone.now():
        row.error(_("tidpunkten ligger i framtiden"))
        return None
    return moment


class IncidentImporter(base._Importer):
    """Batched: `check_row` validates a row without writing, `save_checked` writes all rows at once.

    `import_row` (one row at a time through the write services, with a savepoint each) is the reference
    path; the import falls back to it when the batch cannot be saved (a database error), so that the
    report names the row.
    """

    kind = INCIDENTS
    batched = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._by_key: dict[str, object] | None = None  # name_key -> the group; no group is created
        self._areas = None  # the site's active areas by name and alias; no area is created
        self._existing_references: set[str] = set()
        self._file_references: set[str] = set()  # of rows checked so far that will be saved
        self._involvement_membership = None
        self._involvement_denied: PermissionDenied | None = None
        self.prepared: list[tuple[Incident, list[Involvement]]] = []

    def _group(self, name: str):
        """The visible group of that name by `name_key` (case, NFC and spaces aside); one lookup per import."""
        if self._by_key is None:
            self._by_key = {}
            for group in self.visible_groups.order_by("name", "pk"):
                self._by_key.setdefault(name_key(group.name), group)
        return self._by_key.get(name_key(name))

    def _area(self, row: base.Row):
        """The site's area named in the row (by name or alias, as group names are compared); an unknown
        area is refused with the list of the site's areas."""
        text = row.text("omrade")
        if not text:
            return None
        if self._areas is None:
            self._areas = AreaMatcher(self.site_id)
        area = self._areas.match(text)
        if area is None:
            row.error(self._areas.unknown_message(base._echo(text)))
        return area

    def _parse(self, row: base.Row):
        data = {
            "occurred_at": _moment(row, "tidpunkt"),
            "type": row.choice(
                "typ",
                TYPES,
                "skjutning, sprangning, dodligt_vald, mordforsok, grov_misshandel, mordbrand, annat",
                required=True,
            ),
            "confirmed_shooting": bool(row.boolean("konstaterad_skjutning")),
            "area": self._area(row),
            "latitude": _coordinate(row, "latitud", -90, 90),
            "longitude": _coordinate(row, "longitud", -180, 180),
            "dead": row.integer("doda", 0, 100) or 0,
            "injured": row.integer("skadade", 0, 100) or 0,
            "police_reference": row.text("diarienummer"),
            "status": row.choice("status", STATUSES, "ny, genomgangen, avslutad") or Incident.Status.NEW,
            "summary": row.text("sammanfattning"),
        }
        if (data["latitude"] is None) != (data["longitude"] is None) and not row.errors:
            row.error(_("ange både latitud och longitud, eller ingen av dem"))
        member_status = row.choice("gruppkoppling", MEMBER_STATUS, "bekraftad, misstankt, okand")
        involved = [
            (name, role)
            for column, role in (
                ("grupper_misstankta", Involvement.Role.SUSPECT),
                ("grupper_utsatta", Involvement.Role.VICTIM),
            )
            for name in (part.strip() for part in row.text(column).split("|"))
            if name
        ]
        groups = {}
        for name, _role in involved:
            group = self._group(name)
            if group is None:
                row.error(_("okänd grupp '%(name)s'") % {"name": base._echo(name)})
            groups[name] = group
        involvements = [
            {
                "group": groups[name],
                "role": role,
                "member_status": member_status or Involvement.MemberStatus.SUSPECTED,
                "confidence": "medium",
            }
            for name, role in involved
        ]
        return data, involvements

    @staticmethod
    def _duplicate(row: base.Row, reference: str) -> None:
        row.error(_("diarienumret %(ref)s finns redan på platsen") % {"ref": base._echo(reference)})

    @staticmethod
    def _describe(incident: Incident) -> str:
        return f"{incident.get_type_display()} {timezone.localtime(incident.occurred_at):%Y-%m-%d %H:%M}"

    # ----- one row at a time (the reference path) -----

    def import_row(self, row: base.Row) -> str | None:
        data, involvements = self._parse(row)
        if (
            data["police_reference"]
            and Incident.unscoped_all_sites.filter(
                site_id=self.site_id, police_reference=data["police_reference"]
            ).exists()
        ):
            self._duplicate(row, data["police_reference"])
        if row.errors:
            return None
        incident = register_incident(self.user, data, site_id=self.site_id)
        for involvement in involvements:
            code_involvement(self.user, incident, involvement)
        return self._describe(incident)

    # ----- batched: check every row, then save them all -----

    def begin(self, rows: list[base.Row]) -> None:
        """Look up, in a few queries, which of the file's police references exist at the site already."""
        references = sorted({row.text("diarienummer") for row in rows} - {""})
        for start in range(0, len(references), 500):
            self._existing_references.update(
                Incident.unscoped_all_sites.filter(
                    site_id=self.site_id, police_reference__in=references[start : start + 500]
                ).values_list("police_reference", flat=True)
            )

    def _membership_for_involvements(self):
        if self._involvement_membership is None and self._involvement_denied is None:
            try:
                self._involvement_membership = creating_membership(self.user, Involvement, self.site_id)
            except PermissionDenied as error:
                self._involvement_denied = error
        if self._involvement_denied is not None:
            raise self._involvement_denied
        return self._involvement_membership

    def check_row(self, row: base.Row) -> str | None:
        """Every check `import_row` makes (the same messages, in the same order), without writing."""
        data, involvements = self._parse(row)
        reference = data["police_reference"]
        if reference and (reference in self._existing_references or reference in self._file_references):
            self._duplicate(row, reference)
        if row.errors:
            return None
        incident = prepare_incident(data, self.membership)
        prepared = [
            prepare_involvement(self.user, incident, involvement, self._membership_for_involvements())
            for involvement in involvements
        ]
        if reference:
            self._file_references.add(reference)
        self.prepared.append((incident, prepared))
        return self._describe(incident)

    def save_checked(self) -> None:
        save_prepared(self.user, self.prepared)


def register() -> None:
    base.register_kind(
        INCIDENTS,
        Incident,
        COLUMNS,
        IncidentImporter,
        _lazy("incidenter"),
        lambda n: ngettext("%(count)s incident", "%(count)s incidenter", n),
    )
