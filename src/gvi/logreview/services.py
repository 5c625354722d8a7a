"""Writes of the log follow-up: a round begins (sample and flags), is signed off with a note; a lookup of
one person's log is itself logged. Every act is a row in the access-log chain."""

import random
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.models import AccessLog, Disclosure
from gvi.access.services import append_log_entry
from gvi.groups.models import GroupMembership, Person
from gvi.incidents.models import Involvement
from gvi.logreview import flags as flagging
from gvi.logreview.models import FollowUpRound
from gvi.logreview.selectors import dpo_memberships, in_period, organisation_log
from gvi.partnership.models import Task

SAMPLE_SIZE = 20
# A round's period is at most a year: flags are computed over every row of the period at once.
MAX_PERIOD_DAYS = 366

_secure = random.SystemRandom()


def dpo_membership_for(user, organisation_id):
    membership = dpo_memberships(user).filter(organisation_id=organisation_id).first()
    if membership is None:
        raise PermissionDenied(_("Du är inte dataskyddsombud för organisationen."))
    return membership


def _rows(queryset) -> list[flagging.LogRow]:
    fields = (
        "seq",
        "at",
        "user_id_logged",
        "username",
        "organisation_id_logged",
        "record_type",
        "record_id",
        "action",
    )
    return [flagging.LogRow(*values) for values in queryset.values_list(*fields).iterator(chunk_size=5000)]


def _record_ids(rows, model) -> list[int]:
    label = model._meta.label_lower
    return sorted(
        {int(row.record_id) for row in rows if row.record_type == label and row.record_id.isdigit()}
    )


def _disclosure_windows(rows) -> list[flagging.DisclosureWindow]:
    from django.contrib.contenttypes.models import ContentType

    windows = []
    types = {row.record_type for row in rows if row.action in flagging.READ_ACTIONS}
    for record_type in types:
        app_label, _dot, model = record_type.partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is None:
            continue
        ids = {
            int(row.record_id) for row in rows if row.record_type == record_type and row.record_id.isdigit()
        }
        found = Disclosure.objects.filter(
            content_type=content_type, object_id__in=ids, expires_at__isnull=False
        ).values_list("object_id", "to_organisation_id", "decided_at", "expires_at", "to_site_id")
        for object_id, to_org, decided_at, expires_at, to_site in found:
            windows.append(
                flagging.DisclosureWindow(
                    record_type, str(object_id), to_org, decided_at, expires_at, to_site is not None
                )
            )
    return windows


def _record_groups(rows) -> dict:
    """(record type, id) -> ids of the groups the record is about, for the records tasks can speak to:
    a person (through its group memberships), a group membership, an involvement naming a group."""
    found = {}
    person_label = Person._meta.label_lower
    for person_id, group_id in GroupMembership._base_manager.filter(
        person_id__in=_record_ids(rows, Person)
    ).values_list("person_id", "group_id"):
        found.setdefault((person_label, str(person_id)), set()).add(group_id)
    for model in (GroupMembership, Involvement):
        label = model._meta.label_lower
        for pk, group_id in model._base_manager.filter(
            pk__in=_record_ids(rows, model), group__isnull=False
        ).values_list("pk", "group_id"):
            found.setdefault((label, str(pk)), set()).add(group_id)
    return found


def _task_spans(rows) -> list[flagging.TaskSpan]:
    """Tasks about a group, per responsible user: active from creation until done (or, when cancelled, until
    its last change; the task keeps no separate cancellation time)."""
    users = {row.user_id_logged for row in rows}
    spans = []
    tasks = Task.objects.filter(responsible_id__in=users, group__isnull=False).values_list(
        "responsible_id", "group_id", "created_at", "status", "done_at", "updated_at"
    )
    for user_id, group_id, created_at, status, done_at, updated_at in tasks:
        end = None
        if status == Task.Status.DONE:
            end = done_at
        elif status == Task.Status.CANCELLED:
            end = updated_at
        spans.append(flagging.TaskSpan(user_id, group_id, created_at, end))
    return spans


def compute_flags(rows) -> list[flagging.Flag]:
    """Every flag over `rows` (LogRow-like), with what the database knows about disclosures and tasks."""
    return [
        *flagging.many_persons(rows),
        *flagging.after_hours(rows),
        *flagging.near_expiry(rows, _disclosure_windows(rows)),
        *flagging.no_active_task(rows, _record_groups(rows), _task_spans(rows)),
    ]


@transaction.atomic
def begin_round(
    user, organisation, period_start, period_end, sample_size: int = SAMPLE_SIZE
) -> FollowUpRound:
    """Begin a follow-up round: count the period's rows, draw a random sample of its reads, compute flags."""
    membership = dpo_membership_for(user, organisation.pk)
    if period_end < period_start:
        raise ValidationError({"period_end": _("Periodens slut måste ligga på eller efter dess början.")})
    if (period_end - period_start) > timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationError({"period_end": _("En omgång omfattar högst ett år.")})
    if period_start > timezone.localdate():
        raise ValidationError({"period_start": _("Perioden har inte börjat än.")})
    period = in_period(organisation_log([organisation.pk]), period_start, period_end)
    rows = _rows(period)
    reads = [row.seq for row in rows if row.action in flagging.READ_ACTIONS]
    sample = sorted(_secure.sample(reads, min(sample_size, len(reads))))
    followup = FollowUpRound(
        organisation=organisation,
        period_start=period_start,
        period_end=period_end,
        created_by=user,
        row_count=len(rows),
        read_count=len(reads),
        sample_seqs=sample,
        flags=[flag.as_dict() for flag in compute_flags(rows)],
    )
    followup.full_clean()
    followup._history_user = user
    followup.save()
    purpose = _("Period %(start)s–%(end)s") % {
        "start": period_start.isoformat(),
        "end": period_end.isoformat(),
    }
    append_log_entry(user, followup, AccessLog.Action.FOLLOWUP, purpose, membership)
    return followup


@transaction.atomic
def sign_off(user, followup: FollowUpRound, note: str) -> FollowUpRound:
    membership = dpo_membership_for(user, followup.organisation_id)
    locked = FollowUpRound.objects.select_for_update().get(pk=followup.pk)
    if locked.is_signed:
        raise ValidationError(_("Omgången är redan signerad."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"note": _("Skriv en anteckning om vad uppföljningen visade innan du signerar.")}
        )
    locked.note, locked.signed_by, locked.signed_at = note, user, timezone.now()
    locked.full_clean()
    locked._history_user = user
    locked.save()
    append_log_entry(user, locked, AccessLog.Action.SIGNOFF, "", membership)
    return locked


def log_person_lookup(user, person: Person):
    """The officer's own lookup of "who has read this person" is a row in the chain too."""
    membership = dpo_membership_for(user, person.owner_id)
    return append_log_entry(user, person, AccessLog.Action.LOOKUP, _("Logguppföljning"), membership)
