"""Tasks for the worker tests only: each application writes one row that the test can count.

A row is a `ScheduledRun` named "probe:<marker>" with the moment it was written as its slot, so a task
applied twice leaves two rows."""

import time

from django.utils import timezone

from gvi.operations.background import TaskContext, task
from gvi.operations.models import ScheduledRun


@task()
def record(marker: str, seconds: float = 0.0) -> str:
    ScheduledRun.objects.create(job=f"probe:{marker}", slot=timezone.now())
    time.sleep(seconds)  # the write is made, not yet committed: a kill now must roll it back
    return marker


@task()
def record_then_fail(marker: str) -> None:
    ScheduledRun.objects.create(job=f"probe:{marker}", slot=timezone.now())
    raise RuntimeError("probe failure")


@task(takes_context=True)
def record_and_lose_claim(context: TaskContext, marker: str) -> str:
    """As if another worker had taken the task over while this one ran it."""
    from django_tasks_db.models import DBTaskResult

    ScheduledRun.objects.create(job=f"probe:{marker}", slot=timezone.now())
    DBTaskResult.objects.filter(pk=context.task_result.id).update(started_at=timezone.now())
    return marker


def _survey_then_fail(job, content, progress):
    from gvi.evaluation import services

    services.import_survey_file(job.site, job.file_name, content, progress=progress)  # writes the rows
    raise RuntimeError("probe failure after the import wrote its rows")


@task()
def import_then_fail(job_id: int) -> dict:
    from gvi.operations import imports

    return imports.run(job_id, _survey_then_fail)
