"""Scheduled jobs: one enqueue per slot whichever worker asks, catch-up once after a downtime, and the
daily purge (formerly a thread of `gvi serve`) runs through the worker."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from gvi.access.models import RetentionRun
from gvi.operations.models import ScheduledRun
from gvi.operations.schedule import SCHEDULE, Daily, Hourly, Job, enqueue_due
from gvi.operations.worker import run_ready_tasks

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def test_a_daily_slot_is_today_once_its_time_has_come_and_yesterday_before():
    cadence = Daily(3, 30)
    assert cadence.latest_slot(at(2026, 11, 29, 10, 0)) == at(2026, 11, 29, 3, 30)
    assert cadence.latest_slot(at(2026, 11, 29, 3, 29)) == at(2026, 11, 28, 3, 30)
    assert cadence.latest_slot(at(2026, 11, 29, 3, 30)) == at(2026, 11, 29, 3, 30)


@pytest.mark.parametrize("day", [(2027, 3, 28), (2026, 10, 25)])  # the daylight-saving nights
def test_a_daily_slot_exists_once_on_the_daylight_saving_nights(day):
    cadence = Daily(3, 30)
    slots = {cadence.latest_slot(at(*day, 0, 0) + timedelta(minutes=15 * n)) for n in range(4 * 24)}
    assert len(slots) == 2  # the evening before's and this day's, nothing in between
    assert at(*day, 3, 30) in slots


def test_an_hourly_slot_follows_whole_utc_hours():
    cadence = Hourly(5)
    assert cadence.latest_slot(at(2026, 11, 29, 10, 20)) == at(2026, 11, 29, 10, 5)
    assert cadence.latest_slot(at(2026, 11, 29, 10, 4)) == at(2026, 11, 29, 9, 5)


def test_every_scheduled_job_names_a_task():
    for job in SCHEDULE:
        assert callable(job.task.enqueue), job.name


@pytest.mark.django_db
def test_each_slot_is_enqueued_once_whoever_asks():
    job = Job("probe-job", "tests.operations.probe_tasks.record", Daily(3, 30), "probe")
    now = at(2026, 11, 29, 10, 0)
    assert enqueue_due(now, [job]) == ["probe-job"]
    assert enqueue_due(now, [job]) == []  # a second worker, same moment
    assert enqueue_due(now + timedelta(hours=12), [job]) == []  # same slot later in the day
    assert enqueue_due(now + timedelta(days=1), [job]) == ["probe-job"]
    assert ScheduledRun.objects.filter(job="probe-job").count() == 2


@pytest.mark.django_db
def test_after_a_downtime_a_job_runs_once_not_once_per_missed_slot():
    job = Job("probe-job", "tests.operations.probe_tasks.record", Daily(3, 30), "probe")
    enqueue_due(at(2026, 11, 1, 10, 0), [job])
    assert enqueue_due(at(2026, 11, 29, 10, 0), [job]) == ["probe-job"]
    assert ScheduledRun.objects.filter(job="probe-job").count() == 2


@pytest.mark.django_db
def test_the_daily_purge_runs_through_the_worker():
    now = timezone.now()
    enqueued = enqueue_due(now, [j for j in SCHEDULE if j.name == "purge"])
    assert enqueued == ["purge"]
    assert run_ready_tasks() == ["SUCCESSFUL"]
    run = RetentionRun.objects.get()
    assert run.triggered_by == "daily" and run.today == timezone.localdate()
