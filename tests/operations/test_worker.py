"""The worker's guarantees, in-process: a task's writes and its completion commit together; a task of a
dead worker goes back to the queue (and fails after too many attempts); a worker that lost its claim
leaves no trace."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gvi.operations.models import ScheduledRun, WorkerHeartbeat
from gvi.operations.worker import beat, recover_abandoned, run_ready_tasks
from tests.operations import probe_tasks

pytestmark = pytest.mark.django_db


def rows(marker: str) -> int:
    return ScheduledRun.objects.filter(job=f"probe:{marker}").count()


def test_a_task_runs_once_and_records_its_result():
    result = probe_tasks.record.enqueue("a")
    assert run_ready_tasks() == ["SUCCESSFUL"]
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL" and row.return_value == "a" and rows("a") == 1
    assert run_ready_tasks() == []


def test_a_failing_task_leaves_none_of_its_writes():
    result = probe_tasks.record_then_fail.enqueue("b")
    assert run_ready_tasks() == ["FAILED"]
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "FAILED" and "probe failure" in row.traceback and rows("b") == 0


def test_a_worker_that_lost_its_claim_rolls_back():
    result = probe_tasks.record_and_lose_claim.enqueue("c")
    assert run_ready_tasks() == ["lost"]
    assert rows("c") == 0 and DBTaskResult.objects.get(pk=result.id).status == "RUNNING"


def _claimed_by(worker_id: str, minutes_ago: int, attempts: int = 1) -> DBTaskResult:
    result = probe_tasks.record.enqueue("d")
    started = timezone.now() - timedelta(minutes=minutes_ago)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING",
        started_at=started,
        worker_ids=[f"earlier-{n}" for n in range(attempts - 1)] + [worker_id],
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_a_task_of_a_dead_worker_is_requeued_and_then_runs():
    task = _claimed_by("dead-worker", minutes_ago=5)
    assert recover_abandoned() == {"requeued": 1, "failed": 0}
    assert DBTaskResult.objects.get(pk=task.pk).status == "READY"
    assert run_ready_tasks() == ["SUCCESSFUL"] and rows("d") == 1


def test_a_task_of_a_live_worker_or_a_fresh_claim_is_left_alone():
    beat("live-worker", timezone.now())
    live = _claimed_by("live-worker", minutes_ago=5)
    fresh = _claimed_by("no-heartbeat-yet", minutes_ago=0)
    assert recover_abandoned() == {"requeued": 0, "failed": 0}
    assert {DBTaskResult.objects.get(pk=t.pk).status for t in (live, fresh)} == {"RUNNING"}


def test_a_stale_heartbeat_counts_as_dead(settings):
    beat("stale-worker", timezone.now())
    WorkerHeartbeat.objects.filter(pk="stale-worker").update(
        seen_at=timezone.now() - timedelta(seconds=settings.GVI_WORKER_STALE_SECONDS + 1)
    )
    _claimed_by("stale-worker", minutes_ago=5)
    assert recover_abandoned()["requeued"] == 1


def test_a_task_whose_workers_keep_dying_fails_after_the_last_attempt(settings):
    task = _claimed_by("dead-worker", minutes_ago=5, attempts=settings.GVI_TASK_MAX_ATTEMPTS)
    assert recover_abandoned() == {"requeued": 0, "failed": 1}
    row = DBTaskResult.objects.get(pk=task.pk)
    assert row.status == "FAILED" and "AbandonedTooOften" in row.exception_class_path
