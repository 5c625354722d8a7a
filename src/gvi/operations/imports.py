"""Imports run by the worker, with their progress shown on a page while they run.

`start` stores the uploaded file encrypted in an `ImportJob` and enqueues the app's task in the same
transaction; the task calls `run`, which hands the app's *runner* the file and a `Progress` and stores the
runner's outcome (a JSON-able dict) encrypted on the job. The task runs in one transaction together with
its completion mark (gvi.operations.worker), so the outcome and the import's writes commit together, and a
killed worker leaves the job waiting for the retry with nothing written.

Progress cannot go through the database: the import's own transaction hides it from every other
connection until it commits. It goes to the `progress` cache (Redis when GVI_CACHE_URL is set, so any web
machine sees it; otherwise files under GVI_DATA_DIR, which web and worker on one machine share). Where
neither reaches the web process the page says only that the import is running.
"""

import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gvi.access import identity
from gvi.operations.models import ImportJob

JOBS_KEPT = timedelta(days=1)
PROGRESS_SECONDS = 0.5  # at most two progress writes a second

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def _encrypt(data: bytes) -> bytes:
    return Fernet(identity.field_key()).encrypt(data)


def _decrypt(data: bytes) -> bytes:
    return Fernet(identity.field_key()).decrypt(bytes(data))


def start(task, *, user, site, kind: str, file_name: str, content: bytes) -> ImportJob:
    """Store the file and enqueue `task(job_id)`; both or neither."""
    with transaction.atomic():
        job = ImportJob.objects.create(
            public_id=uuid.uuid4(),
            kind=kind,
            user=user,
            site=site,
            file_name=file_name[:200],
            content=_encrypt(content),
            created_at=timezone.now(),
        )
        result = task.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
        job.task_id = str(result.id)
    return job


def continue_with(task, job: ImportJob, kind: str) -> ImportJob | None:
    """A new job for the file a finished job kept (the confirmed import of a checked file), which the
    first job then gives up; None when the file is gone (confirmed already, or too old)."""
    with transaction.atomic():
        source = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
        if source is None or not bytes(source.content):
            return None
        follow = ImportJob.objects.create(
            public_id=uuid.uuid4(),
            kind=kind,
            user=source.user,
            site=source.site,
            file_name=source.file_name,
            content=bytes(source.content),
            created_at=timezone.now(),
        )
        source.content = b""
        source.save(update_fields=["content"])
        result = task.enqueue(follow.pk)
        follow.task_id = str(result.id)
        follow.save(update_fields=["task_id"])
    return follow


class Progress:
    """`progress(done, total)` while the rows are checked; `progress.stage(text)` between the phases."""

    def __init__(self, job_id: int):
        self.key = f"import-job:{job_id}"
        self.last_write = 0.0
        self.state = {"done": 0, "total": 0, "stage": ""}

    def __call__(self, done: int, total: int) -> None:
        self.state.update(done=done, total=total)
        if time.monotonic() - self.last_write >= PROGRESS_SECONDS or done == total:
            self._write()

    def stage(self, text: str) -> None:
        self.state["stage"] = str(text)
        self._write()

    def _write(self) -> None:
        self.last_write = time.monotonic()
        caches["progress"].set(self.key, dict(self.state), timeout=int(JOBS_KEPT.total_seconds()))


def run(job_id: int, runner: Callable[[ImportJob, bytes, Progress], dict], keep_file: bool = False) -> dict:
    """The task's body: run the import once and keep its outcome on the job. The file is dropped, unless
    `keep_file` and the outcome has no errors (a checked file waiting for the user's confirmation)."""
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.finished_at is not None:
        return {"job": job_id, "skipped": True}
    progress = Progress(job.pk)
    progress.stage("running")
    outcome = runner(job, _decrypt(job.content), progress)
    job.outcome = _encrypt(json.dumps(outcome).encode())
    if not (keep_file and not outcome.get("errors")):
        job.content = b""
    job.finished_at = timezone.now()
    job.save(update_fields=["outcome", "content", "finished_at"])
    return {"job": job_id, "ok": not outcome.get("errors")}


def job_for(user, public_id, kinds: tuple[str, ...]) -> ImportJob | None:
    """The user's own job of one of `kinds`; nobody sees another user's import."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return ImportJob.objects.filter(public_id=public_id, user=user, kind__in=kinds).first()


def state(job: ImportJob) -> str:
    if job.finished_at is not None:
        return DONE
    status = DBTaskResult.objects.filter(pk=job.task_id).values_list("status", flat=True).first()
    if status == "READY":
        return QUEUED
    if status == "RUNNING":
        return RUNNING
    return FAILED  # the task failed, or finished without the job (it cannot), or its row was pruned


def progress_of(job: ImportJob) -> dict | None:
    return caches["progress"].get(f"import-job:{job.pk}")


def outcome_of(job: ImportJob) -> dict | None:
    if not job.outcome:
        return None
    try:
        return json.loads(_decrypt(job.outcome))
    except (InvalidToken, ValueError):
        return None


def prune(now=None) -> int:
    """Finished and abandoned jobs older than JOBS_KEPT (their files and outcomes with them)."""
    deleted, _ = ImportJob.objects.filter(created_at__lt=(now or timezone.now()) - JOBS_KEPT).delete()
    return deleted
