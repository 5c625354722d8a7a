"""The retention engine: overdue review → flagged; past the grace period → deactivated; then purged.

Purging deletes the record, what cascades from it, and the version history of all of it. Removed records
(deleted by a user) keep their history for the purge period, then that history is purged too. A run is
reported by counts only. Runs from `gvi purge` and daily as a scheduled job of `gvi worker`
(gvi.operations.tasks.purge, gvi.operations.schedule).
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gvi.access.models import IdempotencyKey, RetainedRecord, RetentionRun

logger = logging.getLogger(__name__)


@dataclass
class RetentionResult:
    today: date
    deactivated: dict[str, int] = field(default_factory=dict)
    purged: dict[str, int] = field(default_factory=dict)
    history_purged: int = 0

    @property
    def total_purged(self) -> int:
        return sum(self.purged.values())


# What must happen before rows of a model are purged, by model label: each hook gets the doomed ids. Apps
# whose records outlive another app's (a decision on a data-subject request outlives the person entry)
# register here in their AppConfig.ready, so the purge stays one explicit, transactional walk.
BEFORE_PURGE: dict[str, list] = {}


def register_before_purge(label: str, hook) -> None:
    hooks = BEFORE_PURGE.setdefault(label, [])
    if hook not in hooks:
        hooks.append(hook)


def retained_models() -> list[type[RetainedRecord]]:
    return [model for model in apps.get_models() if issubclass(model, RetainedRecord)]


# API idempotency keys (no person data) only need to outlive a client's retries.
IDEMPOTENCY_DAYS = 30


def grace_days() -> int:
    return settings.GVI_REVIEW_GRACE_DAYS


def purge_after_days() -> int:
    return settings.GVI_PURGE_AFTER_DAYS


def overdue(queryset, today: date):
    """Active records whose review date has passed: flagged to their owners."""
    return queryset.filter(review_date__lt=today, deactivated_at__isnull=True)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _history_ids_to_purge(model, ids) -> int:
    if not ids:
        return 0
    deleted, _ = model.history.model.objects.filter(id__in=list(ids)).delete()
    return deleted


def _cascaded(record_model, ids):
    """Models whose rows are deleted with `record_model` rows (through CASCADE), with the ids affected."""
    found = []
    for related in record_model._meta.related_objects:
        if related.on_delete.__name__ != "CASCADE" or not hasattr(related.related_model, "history"):
            continue
        child_ids = list(
            related.related_model._base_manager.filter(**{f"{related.field.name}__in": ids}).values_list(
                "pk", flat=True
            )
        )
        if child_ids:
            found.append((related.related_model, child_ids))
            found.extend(_cascaded(related.related_model, child_ids))
    return found


@transaction.atomic
def run_retention(today: date | None = None, triggered_by: str = "command") -> RetentionResult:
    today = today or timezone.localdate()
    result = RetentionResult(today=today)
    now = _start_of(today)
    deactivate_before = today - timedelta(days=grace_days())
    purge_before = now - timedelta(days=purge_after_days())
    for model in retained_models():
        label = model._meta.label_lower
        to_deactivate = model._base_manager.filter(
            review_date__lt=deactivate_before, deactivated_at__isnull=True
        )
        count = 0
        for record in to_deactivate.iterator():
            # Stamp the day it became due, not the day of this run: a run after a gap (a weekend down,
            # a restore) must not extend the life of what was already due for purging.
            record.deactivated_at = min(now, _start_of(record.review_date + timedelta(days=grace_days() + 1)))
            record._change_reason = "retention: review overdue past grace period"
            record.save(update_fields=["deactivated_at"])
            count += 1
        if count:
            result.deactivated[label] = count
        doomed = list(
            model._base_manager.filter(deactivated_at__lt=purge_before).values_list("pk", flat=True)
        )
        # Four eyes (gvi.groups.models.ProposedEntry): proposals never approved in time, and rejected ones
        # once their reason has been kept as long, go with their history.
        expired_proposals = getattr(model, "expired_proposals", None)
        if expired_proposals is not None:
            doomed = sorted(set(doomed) | set(expired_proposals(today).values_list("pk", flat=True)))
        if doomed:
            cascaded = _cascaded(model, doomed)
            for hook in BEFORE_PURGE.get(label, []):
                hook(doomed)
            model._base_manager.filter(pk__in=doomed).delete()
            result.purged[label] = result.purged.get(label, 0) + len(doomed)
            result.history_purged += _history_ids_to_purge(model, doomed)
            _forget_references_in_history(model, doomed)
            for child_model, child_ids in cascaded:
                child_label = child_model._meta.label_lower
                result.purged[child_label] = result.purged.get(child_label, 0) + len(child_ids)
                result.history_purged += _history_ids_to_purge(child_model, child_ids)
    result.history_purged += _purge_history_of_removed(purge_before)
    IdempotencyKey.objects.filter(created_at__lt=now - timedelta(days=IDEMPOTENCY_DAYS)).delete()
    RetentionRun.objects.create(
        today=today,
        deactivated=result.deactivated,
        purged=result.purged,
        history_purged=result.history_purged,
        triggered_by=triggered_by,
    )
    return result


def _forget_references_in_history(model, ids) -> None:
    """Rows that survive a purge (SET_NULL) lose the reference in their history too."""
    for related in model._meta.related_objects:
        if related.on_delete.__name__ != "SET_NULL" or not hasattr(related.related_model, "history"):
            continue
        column = related.field.attname
        related.related_model.history.model.objects.filter(**{f"{column}__in": ids}).update(**{column: None})


def _purge_history_of_removed(before: datetime) -> int:
    """History of records a user removed, once the removal is older than the purge period."""
    total = 0
    for model in [m for m in apps.get_models() if hasattr(m, "history") and hasattr(m, "site")]:
        history = model.history.model.objects
        removed_ids = history.filter(history_type="-", history_date__lt=before).values_list("id", flat=True)
        removed_ids = set(removed_ids) - set(
            model._base_manager.filter(pk__in=removed_ids).values_list("pk", flat=True)
        )
        if removed_ids:
            total += history.filter(id__in=removed_ids).delete()[0]
    return total
