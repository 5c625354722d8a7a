"""Writes of the governance cycle: one function per business action, transactional and versioned.

Coordinators and analysts at a meeting's site run it (create, edit, generate the agenda, open, close,
record decisions and assign tasks). Tasks may also be changed by the owning organisation's members at
the site and by the responsible user. Every change goes through simple-history with its author; meetings
and tasks carry a version for optimistic locking (a stale form raises EditConflict).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.services import EditConflict, save_versioned
from gvi.partnership import selectors
from gvi.partnership.models import AgendaItem, Decision, Meeting, Task

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
        item = AgendaItem(
            meeting=meeting,
            order=order,
            kind=entry.kind,
            title=str(entry.title)[:300],
            summary=str(entry.summary or "")[:4000],
            content_type=ContentType.objects.get_for_model(reference) if reference is not None else None,
            object_id=reference.pk if reference is not None else None,
            data=entry.data or {},
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
