"""Writes of the governance cycle: one function per business action, transactional and versioned.

Coordinators and analysts at a meeting's site run it (create, edit, generate the agenda, open, close,
record decisions and assign tasks). Tasks may also be changed by the owning organisation's members at
the site and by the responsible user. Every change goes through simple-history with its author; meetings
and tasks carry a version for optimistic locking (a stale form raises EditConflict).
"""

import json

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.services import EditConflict, save_versioned
from gvi.importing.text import name_key, normalise_name
from gvi.partnership import agenda_text, selectors
from gvi.partnership.models import AgendaItem, Area, Decision, Meeting, Task

MEETING_FIELDS = ("type", "starts_at", "place", "chair", "attendees", "notes")
TASK_FIELDS = ("title", "owner", "responsible", "group", "due_date", "note", "status")


def _require_runner(user, site_id: int) -> None:
    if not selectors.may_run(user, site_id):
        raise PermissionDenied(_("Endast samordnare och analytiker på platsen kan leda möten."))


def _require_open(meeting: Meeting) -> None:
    if meeting.is_closed:
        raise ValidationError(_("Mötet är avslutat och kan inte längre ändras."))


def _check_participants(meeting: Meeting, participants) -> list:
    participants = list(participants or [])
    allowed = set(selectors.organisations_at(meeting.site).values_list("pk", flat=True))
    if any(org.pk not in allowed for org in participants):
        raise ValidationError({"participants": _("Välj bland organisationerna i samverkan på platsen.")})
    return participants


def _lock(record):
    """Re-read `record`'s row under a lock: concurrent writers to one meeting queue up."""
    return type(record)._base_manager.select_for_update().get(pk=record.pk)


# ----- meetings -----


@transaction.atomic
def create_meeting(user, site, data: dict, participants=()) -> Meeting:
    _require_runner(user, site.pk)
    meeting = Meeting(site=site, created_by=user, **{k: v for k, v in data.items() if k in MEETING_FIELDS})
    participants = _check_participants(meeting, participants)
    if errors := meeting.chair_errors():
        raise ValidationError(errors)
    meeting._history_user = user
    meeting.full_clean()
    meeting.save()
    meeting.participants.set(participants)
    return meeting


@transaction.atomic
def update_meeting(
    user, meeting: Meeting, changes: dict, expected_version: int, participants=None
) -> Meeting:
    _require_runner(user, meeting.site_id)
    _require_open(meeting)
    previous_chair = Meeting.objects.filter(pk=meeting.pk).values_list("chair_id", flat=True).first()
    for name, value in changes.items():
        if name in MEETING_FIELDS:
            setattr(meeting, name, value)
    if meeting.chair_id != previous_chair and (errors := meeting.chair_errors()):
        raise ValidationError(errors)
    checked = _check_participants(meeting, participants) if participants is not None else None
    save_versioned(meeting, expected_version, user=user)
    if checked is not None:
        meeting.participants.set(checked)
    return meeting


def _snapshot(meeting: Meeting, entries, start: int = 1) -> list[AgendaItem]:
    items = []
    for order, entry in enumerate(entries, start=start):
        reference = entry.reference
        data = {name: agenda_text.to_data(value) for name, value in (entry.data or {}).items()}
        words = {
            part: agenda_text.to_data(text)
            for part, text in (("title", entry.title), ("summary", entry.summary))
            if agenda_text.is_text(text)
        }
        if words:
            data["_text"] = words  # read in the reader's language (AgendaItem.shown_title)
        item = AgendaItem(
            meeting=meeting,
            order=order,
            kind=entry.kind,
            title=agenda_text.swedish(entry.title)[:300],
            summary=agenda_text.swedish(entry.summary or "")[:4000],
            content_type=ContentType.objects.get_for_model(reference) if reference is not None else None,
            object_id=reference.pk if reference is not None else None,
            data=data,
            is_generated=True,
            audience=entry.audience,
        )
        item.full_clean()
        items.append(item)
    return AgendaItem.objects.bulk_create(items)


@transaction.atomic
def refresh_agenda(user, meeting: Meeting) -> list[AgendaItem]:
    """Generate (or regenerate) the agenda of a planned review and snapshot it. Points added by hand
    stay, after the generated ones. Once the meeting is opened the agenda no longer changes."""
    _require_runner(user, meeting.site_id)
    locked = _lock(meeting)
    if locked.status != Meeting.Status.PLANNED:
        raise ValidationError(_("Dagordningen kan bara uppdateras innan mötet hålls."))
    if locked.type not in selectors.GENERATED_AGENDA_TYPES:
        raise ValidationError(_("Dagordningen för styrgruppsmöten skrivs för hand."))
    now = timezone.now()
    since = selectors.agenda_since(locked.site, meeting=locked, now=now)
    entries = selectors.generate_agenda(locked.site, since)  # the partnership's, whoever generates it
    locked.agenda_items.filter(is_generated=True).delete()
    items = _snapshot(locked, entries)
    for order, manual in enumerate(locked.agenda_items.filter(is_generated=False), start=len(items) + 1):
        if manual.order != order:
            manual.order = order
            manual.save(update_fields=["order"])
    # The agenda's period is bookkeeping, not an edit of the meeting: the version stays.
    Meeting.objects.filter(pk=locked.pk).update(agenda_since=since, agenda_generated_at=now)
    meeting.agenda_since, meeting.agenda_generated_at = since, now
    return items


@transaction.atomic
def add_agenda_item(user, meeting: Meeting, title: str, summary: str = "") -> AgendaItem:
    _require_runner(user, meeting.site_id)
    locked = _lock(meeting)
    _require_open(locked)
    last = locked.agenda_items.aggregate(last=Max("order"))["last"] or 0
    item = AgendaItem(
        meeting=locked, order=last + 1, kind=AgendaItem.Kind.MANUAL, title=title, summary=summary
    )
    if not (title or "").strip():
        raise ValidationError({"title": _("Ange en rubrik för punkten.")})
    item.full_clean()
    item.save()
    return item


ALLOWED_TRANSITIONS = {
    Meeting.Status.PLANNED: {Meeting.Status.HELD},
    Meeting.Status.HELD: {Meeting.Status.CLOSED},
    Meeting.Status.CLOSED: set(),
}


@transaction.atomic
def change_meeting_status(user, meeting: Meeting, status: str, expected_version: int) -> Meeting:
    """Open a planned meeting (its agenda is snapshotted one last time) or close a held one."""
    _require_runner(user, meeting.site_id)
    if status not in ALLOWED_TRANSITIONS.get(meeting.status, set()):
        raise ValidationError(
            _("Mötet kan inte gå från %(old)s till %(new)s.")
            % {
                "old": Meeting.Status(meeting.status).label,
                "new": Meeting.Status(status).label if status in Meeting.Status.values else status,
            }
        )
    if meeting.version != expected_version:
        raise EditConflict(meeting, expected_version)
    if status == Meeting.Status.HELD and meeting.type in selectors.GENERATED_AGENDA_TYPES:
        refresh_agenda(user, meeting)
    meeting.status = status
    return save_versioned(meeting, expected_version, user=user)


@transaction.atomic
def record_decision(user, meeting: Meeting, text: str, agenda_item: AgendaItem | None = None) -> Decision:
    _require_runner(user, meeting.site_id)
    locked = _lock(meeting)
    if locked.status != Meeting.Status.HELD:
        raise ValidationError(_("Beslut registreras när mötet har öppnats och innan det avslutas."))
    decision = Decision(meeting=locked, agenda_item=agenda_item, text=text, decided_by=user)
    decision._history_user = user
    decision.full_clean()
    decision.save()
    return decision


# ----- tasks -----


@transaction.atomic
def create_task(user, decision: Decision, data: dict) -> Task:
    """Assign an action decided at a meeting to an organisation and one of its members at the site."""
    meeting = decision.meeting
    _require_runner(user, meeting.site_id)
    _require_open(meeting)
    task = Task(decision=decision, site_id=meeting.site_id, created_by=user)
    for name, value in data.items():
        if name in TASK_FIELDS and name != "status":
            setattr(task, name, value)
    errors = task.responsible_errors()
    try:
        task.full_clean()
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    task._history_user = user
    task.save()
    return task


@transaction.atomic
def update_task(user, task: Task, changes: dict, expected_version: int) -> Task:
    if not selectors.may_change_task(user, task):
        raise PermissionDenied(_("Du får inte ändra den här uppgiften."))
    before = Task.objects.filter(pk=task.pk).values("owner_id", "responsible_id").first() or {}
    for name, value in changes.items():
        if name in TASK_FIELDS:
            setattr(task, name, value)
    reassigned = (task.owner_id, task.responsible_id) != (
        before.get("owner_id"),
        before.get("responsible_id"),
    )
    if reassigned and (errors := task.responsible_errors()):
        raise ValidationError(errors)
    return save_versioned(task, expected_version, user=user)


@transaction.atomic
def set_task_status(user, task: Task, status: str, expected_version: int) -> Task:
    if status not in Task.Status.values:
        raise ValidationError({"status": _("Okänd status.")})
    return update_task(user, task, {"status": status}, expected_version)


# ----- areas: the coordinator keeps the site's list -----

MAX_ALIASES = 30
MAX_OUTLINE_POINTS = 500


def _require_area_keeper(user, site_id: int) -> None:
    if not selectors.may_manage_areas(user, site_id):
        raise PermissionDenied(_("Endast platsens samordnare kan ändra platsens områden."))


def parse_aliases(text: str) -> list[str]:
    """Aliases as typed in the form: one per line (or separated by commas or |), normalised, no repeats."""
    aliases, seen = [], set()
    for part in (text or "").replace("|", "\n").replace(",", "\n").splitlines():
        alias = normalise_name(part)
        if alias and name_key(alias) not in seen:
            seen.add(name_key(alias))
            aliases.append(alias[:120])
    return aliases


def parse_outline(text: str) -> list[list[float]] | None:
    """An outline as typed: a JSON list of [latitude, longitude] pairs (WGS 84, like incident coordinates),
    or a GeoJSON Polygon ({"type": "Polygon", "coordinates": [[[longitude, latitude], ...]]}). Empty text
    is no outline."""
    text = (text or "").strip()
    if not text:
        return None
    invalid = ValidationError(
        {
            "outline": _(
                "Konturen ska vara en lista med minst tre punkter [latitud, longitud], till exempel "
                "[[59.27, 15.20], [59.28, 15.21], [59.27, 15.22]], eller en GeoJSON-polygon."
            )
        }
    )
    try:
        value = json.loads(text)
    except ValueError:
        raise invalid from None
    if isinstance(value, dict) and value.get("type") == "Polygon":
        rings = value.get("coordinates") or [[]]
        if not isinstance(rings, list) or not rings or not isinstance(rings[0], list):
            raise invalid
        value = [
            [point[1], point[0]] if isinstance(point, list) and len(point) >= 2 else None
            for point in rings[0]
        ]
    if not isinstance(value, list):
        raise invalid
    points = []
    for point in value:
        if not isinstance(point, list) or len(point) != 2:
            raise invalid
        if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in point):
            raise invalid
        lat, lon = float(point[0]), float(point[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise invalid
        points.append([round(lat, 6), round(lon, 6)])
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()  # a closed ring (as GeoJSON writes it): the map closes it anyway
    if len(points) < 3 or len(points) > MAX_OUTLINE_POINTS:
        raise invalid
    return points


def _check_area(area: Area) -> None:
    """The name is given, and no other area at the site is known by the same name or alias."""
    area.name = normalise_name(area.name)
    if not area.name:
        raise ValidationError({"name": _("Ange områdets namn.")})
    if len(area.aliases or []) > MAX_ALIASES:
        raise ValidationError({"aliases": _("Högst %(n)s andra stavningar.") % {"n": MAX_ALIASES}})
    keys = area.keys()
    for other in Area.objects.filter(site_id=area.site_id).exclude(pk=area.pk):
        clash = keys & other.keys()
        if clash:
            raise ValidationError(
                {
                    "aliases" if name_key(area.name) not in clash else "name": _(
                        "Området %(other)s heter redan så eller har den stavningen."
                    )
                    % {"other": other.name}
                }
            )


@transaction.atomic
def create_area(user, site, name: str, aliases=(), code: str = "", outline=None) -> Area:
    _require_area_keeper(user, site.pk)
    area = Area(site=site, name=name, aliases=list(aliases), code=normalise_name(code)[:20], outline=outline)
    _check_area(area)
    area._history_user = user
    area.save()
    return area


@transaction.atomic
def update_area(user, area: Area, name: str, aliases=(), code: str = "", outline=None) -> Area:
    """Rename an area, or change its aliases, code or outline. A rename keeps the old name as an alias, so
    files written with it still match, and moves the site's survey series to the new name."""
    _require_area_keeper(user, area.site_id)
    area = _lock(area)
    old_name = area.name
    area.name = normalise_name(name)
    aliases = list(aliases)
    if (
        old_name
        and name_key(old_name) != name_key(area.name)
        and name_key(old_name) not in {name_key(alias) for alias in aliases}
    ):
        aliases.append(old_name)
    area.aliases = [alias for alias in aliases if name_key(alias) != name_key(area.name)]
    area.code = normalise_name(code)[:20]
    area.outline = outline
    _check_area(area)
    area._history_user = user
    area.save()
    if old_name != area.name:
        from gvi.evaluation.models import SurveyValue

        SurveyValue.objects.filter(site_id=area.site_id, area=old_name).update(area=area.name)
    return area


@transaction.atomic
def set_area_active(user, area: Area, active: bool) -> Area:
    """Deactivate an area (no longer offered or accepted; incidents keep it) or take it back into use."""
    _require_area_keeper(user, area.site_id)
    area = _lock(area)
    area.is_active = active
    area._history_user = user
    area.save(update_fields=["is_active"])
    return area


@transaction.atomic
def delete_area(user, area: Area) -> None:
    """Delete an area no incident refers to (a mistaken entry); one in use can only be deactivated."""
    _require_area_keeper(user, area.site_id)
    area = _lock(area)
    if area.incidents.exists():
        raise ValidationError(
            _("Området används av incidenter och kan inte tas bort. Inaktivera det i stället.")
        )
    area._history_user = user
    area.delete()
