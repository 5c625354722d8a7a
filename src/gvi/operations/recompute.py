"""Debounced recomputation of a site's read models (retaliation risk, network measures) by the worker.

A change (an incident registered, a coding changed, a relation added) calls `request(kind, site_id)` in
its own transaction, so the request exists exactly when the change committed. The first request creates
a `PendingRecomputation` row and enqueues the task to run `GVI_RECOMPUTE_DEBOUNCE_SECONDS` later; later
requests only bump the row's generation, so a burst of changes gives one recomputation.

The task reads the generation when it starts (`started`) and removes the row at the end only if the
generation is unchanged (`finished`): a request that arrived while it ran — whose change the task may not
have seen — leaves the row in place and gets a follow-up run. On PostgreSQL the conditional delete and the
request's update lock the same row, so one of them always sees the other.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from gvi.operations.models import PendingRecomputation

RISK = "risk"
NETWORK = "network"
TASKS = {
    RISK: "gvi.incidents.tasks.recompute_risk",
    NETWORK: "gvi.groups.tasks.recompute_network",
}
# A queued recomputation that has not finished after this long (it failed, or its task was pruned) is
# enqueued again by the next request.
REENQUEUE_AFTER = timedelta(minutes=10)


def _enqueue(kind: str, site_id: int, run_after) -> None:
    import_string(TASKS[kind]).using(run_after=run_after).enqueue(site_id)


def request(kind: str, site_id: int, delay_seconds: float | None = None) -> None:
    """Ask for `kind` to be recomputed at `site_id` (after the debounce delay unless given)."""
    if kind not in TASKS:
        raise ValueError(kind)
    now = timezone.now()
    delay = settings.GVI_RECOMPUTE_DEBOUNCE_SECONDS if delay_seconds is None else delay_seconds
    pending = PendingRecomputation.objects.filter(kind=kind, site_id=site_id)
    if pending.update(generation=F("generation") + 1, requested_at=now):
        if pending.filter(enqueued_at__lt=now - REENQUEUE_AFTER).update(enqueued_at=now):
            _enqueue(kind, site_id, now)
        return
    try:
        with transaction.atomic():
            PendingRecomputation.objects.create(kind=kind, site_id=site_id, requested_at=now, enqueued_at=now)
    except IntegrityError:  # a concurrent request created it first
        pending.update(generation=F("generation") + 1, requested_at=now)
        return
    _enqueue(kind, site_id, now + timedelta(seconds=delay))


def request_everywhere(kind: str, delay_seconds: float = 0) -> int:
    """`request` for every site (scheduled runs, after a purge); returns the number of sites."""
    from gvi.partnership.models import Site

    ids = list(Site.objects.values_list("pk", flat=True))
    for site_id in ids:
        request(kind, site_id, delay_seconds)
    return len(ids)


def started(kind: str, site_id: int) -> int | None:
    """The generation a recomputation starting now covers (None: nothing was pending)."""
    return (
        PendingRecomputation.objects.filter(kind=kind, site_id=site_id)
        .values_list("generation", flat=True)
        .first()
    )


def finished(kind: str, site_id: int, generation: int | None) -> bool:
    """Clear the request this run covered; returns True when a follow-up run was enqueued."""
    if generation is None:  # nothing was pending; a request made meanwhile has its own task queued
        return False
    pending = PendingRecomputation.objects.filter(kind=kind, site_id=site_id)
    if pending.filter(generation=generation).delete()[0]:
        return False
    now = timezone.now()
    if pending.update(enqueued_at=now):  # requested again while this run worked
        _enqueue(kind, site_id, now + timedelta(seconds=settings.GVI_RECOMPUTE_DEBOUNCE_SECONDS))
        return True
    return False


def is_pending(kind: str, site_id: int) -> bool:
    return PendingRecomputation.objects.filter(kind=kind, site_id=site_id).exists()


def latest_marks(site_id: int, models) -> list:
    """In one query: per model the site's highest row id (a new row, also from bulk imports) and highest
    history id (every change and removal through the services writes a history row). Stored with a read
    model, they tell a page that the site changed since it was computed. Both are read backwards along
    the primary key, so the cost does not grow with the data."""
    probes, params = [], []
    for model in models:
        for table, key in ((model._meta.db_table, "id"), (model.history.model._meta.db_table, "history_id")):
            probes.append(f'(SELECT MAX("{key}") FROM "{table}" WHERE "site_id" = %s)')
            params.append(site_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(probes), params)
        return list(cursor.fetchone())
