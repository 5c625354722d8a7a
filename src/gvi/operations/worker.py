"""`gvi worker`: django-tasks-db's database worker, made safe against a process that dies mid-task.

The backport's worker claims a task (status RUNNING, committed), runs it, then marks it done. A worker
killed in between leaves the task RUNNING for ever, and a worker killed after the task's writes but
before the mark would, if the task were simply retried, apply it twice. This worker closes both gaps:

- **one transaction per task**: the task's writes and its SUCCESSFUL mark commit together, and the mark
  is conditional on the claim still being this worker's (same `started_at`, still RUNNING). A kill
  rolls the writes back; a worker that lost its claim rolls its writes back too. A task is therefore
  applied at most once.
- **heartbeats**: every worker renews a `WorkerHeartbeat` row from a housekeeping thread. A RUNNING task
  whose claiming worker has no recent heartbeat was abandoned: any worker hands it back to the queue
  (conditionally, so two workers never both do), and it runs again, at most `GVI_TASK_MAX_ATTEMPTS` times
  in all. A task is therefore never lost.
- the same housekeeping thread enqueues the scheduled jobs that are due (gvi.operations.schedule).
"""

import logging
import os
import socket
import threading
from datetime import timedelta
from traceback import format_exception

from django.conf import settings
from django.db import OperationalError, close_old_connections, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskContext, TaskResultStatus, normalize_json, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult

from gvi.operations.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_ROWS_KEPT = timedelta(days=1)


class ClaimLost(Exception):
    """The task was handed to another worker while this one ran it; this run's writes are rolled back."""


class AbandonedTooOften(Exception):
    """Recorded as the failure of a task whose workers died `GVI_TASK_MAX_ATTEMPTS` times running it."""


def stale_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.GVI_WORKER_STALE_SECONDS)


def beat(worker_id: str, started_at) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(pk=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=started_at,
            seen_at=now,
        )


def recover_abandoned(now=None) -> dict[str, int]:
    """Hand RUNNING tasks of dead workers back to the queue (or fail them after too many attempts).

    A task counts as abandoned when the worker that claimed it last has no heartbeat since
    `GVI_WORKER_STALE_SECONDS` and the claim itself is older than that (a claim by a process that keeps
    no heartbeat, such as a test running tasks in-process, is given the same time)."""
    now = now or timezone.now()
    limit = stale_before(now)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=limit).values_list("worker_id", flat=True))
    requeued = failed = 0
    candidates = DBTaskResult.objects.running().filter(started_at__lt=limit)
    for row in candidates.only("id", "worker_ids", "started_at"):
        owner = row.worker_ids[-1] if row.worker_ids else None
        if owner in alive:
            continue
        claim = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        if len(row.worker_ids) >= settings.GVI_TASK_MAX_ATTEMPTS:
            error = AbandonedTooOften(f"the worker died {len(row.worker_ids)} times while running this task")
            failed += claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{__name__}.{AbandonedTooOften.__qualname__}",
                traceback="".join(format_exception(error)),
            )
        else:
            requeued += claim.update(status=TaskResultStatus.READY)
    if requeued or failed:
        logger.warning("Abandoned tasks: %s requeued, %s failed", requeued, failed)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_ROWS_KEPT).delete()
    return {"requeued": requeued, "failed": failed}


def run_claimed(db_task_result: DBTaskResult) -> str:
    """Run a task this process has claimed; returns its final status. Used by the worker and by tests."""
    claim = DBTaskResult.objects.filter(
        pk=db_task_result.pk, status=TaskResultStatus.RUNNING, started_at=db_task_result.started_at
    )
    task = db_task_result.task
    task_result = db_task_result.task_result
    backend = task.get_backend()
    task_started.send(sender=type(backend), task_result=task_result)
    try:
        with transaction.atomic():
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            marked = claim.update(
                status=TaskResultStatus.SUCCESSFUL,
                finished_at=timezone.now(),
                return_value=normalize_json(value),
                exception_class_path="",
                traceback="",
            )
            if marked != 1:
                raise ClaimLost(str(db_task_result.pk))
    except ClaimLost:
        logger.warning("Task %s was handed to another worker; this run was rolled back", db_task_result.pk)
        return "lost"
    except (KeyboardInterrupt, SystemExit):
        claim.update(status=TaskResultStatus.READY)  # forced stop: rolled back, runs again elsewhere
        raise
    except OperationalError as error:
        # The database was unreachable or locked: the task's writes are rolled back; try again shortly.
        logger.warning("Task %s hit a database error, will run again: %s", db_task_result.pk, error)
        if len(db_task_result.worker_ids) >= settings.GVI_TASK_MAX_ATTEMPTS:
            _fail(claim, error)
            return TaskResultStatus.FAILED
        claim.update(status=TaskResultStatus.READY, run_after=timezone.now() + timedelta(seconds=5))
        return TaskResultStatus.READY
    except Exception as error:
        logger.exception("Task %s (%s) failed", db_task_result.pk, db_task_result.task_path)
        _fail(claim, error)
        db_task_result.refresh_from_db()
        task_finished.send(sender=type(backend), task_result=db_task_result.task_result)
        return TaskResultStatus.FAILED
    db_task_result.refresh_from_db()
    task_finished.send(sender=type(backend), task_result=db_task_result.task_result)
    return TaskResultStatus.SUCCESSFUL


def _fail(claim, error: BaseException) -> None:
    claim.update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        return_value=None,
        exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
        traceback="".join(format_exception(error)),
    )


class Worker(DatabaseWorker):
    """The backport's polling loop with transactional task runs, a heartbeat and the scheduler."""

    def __init__(self, *, housekeeping_seconds: float, schedule: bool, **options):
        super().__init__(**options)
        self.housekeeping_seconds = housekeeping_seconds
        self.schedule = schedule
        self.started_at = timezone.now()
        self._stop = threading.Event()

    def housekeeping(self) -> None:
        """Heartbeat, recovery of abandoned tasks and due scheduled jobs: each short, each retried on the
        next round if it fails (a locked SQLite file, a database restart)."""
        from gvi.operations.schedule import enqueue_due

        steps = [lambda: beat(self.worker_id, self.started_at), recover_abandoned]
        if self.schedule:
            steps.append(enqueue_due)
        for step in steps:
            try:
                with transaction.atomic():
                    step()
            except Exception:
                logger.exception(
                    "Worker housekeeping step failed; retried in %s s", self.housekeeping_seconds
                )
        close_old_connections()

    def _housekeeping_loop(self) -> None:
        while not self._stop.wait(self.housekeeping_seconds):
            self.housekeeping()

    def run(self) -> None:
        self.housekeeping()  # heartbeat before the first claim
        thread = threading.Thread(target=self._housekeeping_loop, name="gvi-worker-housekeeping", daemon=True)
        thread.start()
        try:
            super().run()
        finally:
            self._stop.set()
            thread.join(self.housekeeping_seconds + 30)
            try:
                WorkerHeartbeat.objects.filter(pk=self.worker_id).delete()
            except Exception:  # the database may be gone; the row then goes stale by itself
                logger.warning("Could not remove this worker's heartbeat")

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            self.running_task = True
            run_claimed(db_task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1


def run_ready_tasks(worker_id: str = "in-process", limit: int = 1000) -> list[str]:
    """Claim and run the tasks that are due, one at a time, in this process (tests, `gvi demo` setup).

    Each task still runs in its own transaction with a conditional completion, as in the worker."""
    statuses = []
    for _ in range(limit):
        with transaction.atomic():
            row = DBTaskResult.objects.ready().select_for_update(skip_locked=True).first()
            if row is None:
                break
            row.claim(worker_id)
        statuses.append(run_claimed(row))
    return statuses
