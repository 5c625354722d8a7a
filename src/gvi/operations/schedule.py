"""The scheduled jobs, defined here in code (no cron lines): what runs when, enqueued by `gvi worker`.

Each job has a cadence that names its latest *slot* at any moment (the purge's slot on 29 November at
10:00 is 29 November 03:30; the risk job's at 10:20 is 10:05). A worker's housekeeping enqueues a job
when its latest slot has no `ScheduledRun` row yet, creating that row in the same transaction; the unique
(job, slot) pair makes sure that of several workers exactly one enqueues it. After a downtime each job
runs once for the latest slot missed, not once per missed slot.

Daily jobs use Stockholm's wall clock, after the daylight-saving changes (02:00–03:00) so a slot always
exists exactly once a day; hourly jobs use whole hours of UTC.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from gvi.operations.models import ScheduledRun


@dataclass(frozen=True)
class Daily:
    hour: int
    minute: int = 0

    def latest_slot(self, now: datetime) -> datetime:
        local = timezone.localtime(now)
        slot = timezone.make_aware(datetime.combine(local.date(), time(self.hour, self.minute)))
        if slot > now:
            slot = timezone.make_aware(
                datetime.combine(local.date() - timedelta(days=1), time(self.hour, self.minute))
            )
        return slot

    def describe(self) -> str:
        return _("dagligen %(hh)02d.%(mm)02d") % {"hh": self.hour, "mm": self.minute}


@dataclass(frozen=True)
class Hourly:
    minute: int = 0

    def latest_slot(self, now: datetime) -> datetime:
        utc = now.astimezone(UTC)
        slot = utc.replace(minute=self.minute, second=0, microsecond=0)
        if slot > utc:
            slot -= timedelta(hours=1)
        return slot

    def describe(self) -> str:
        return _("varje timme, %(mm)02d minuter över") % {"mm": self.minute}


@dataclass(frozen=True)
class EveryMinutes:
    """Every `minutes` minutes of UTC (a divisor of 60): 10:23 with 5 is the 10:20 slot."""

    minutes: int

    def latest_slot(self, now: datetime) -> datetime:
        utc = now.astimezone(UTC)
        return utc.replace(minute=utc.minute - utc.minute % self.minutes, second=0, microsecond=0)

    def describe(self) -> str:
        return _("var %(n)d:e minut") % {"n": self.minutes}


@dataclass(frozen=True)
class Job:
    name: str
    task_path: str
    cadence: Daily | Hourly | EveryMinutes
    description: str

    @property
    def task(self):
        return import_string(self.task_path)


SCHEDULE = [
    Job("purge", "gvi.operations.tasks.purge", Daily(3, 30), _("Gallring enligt reglerna för omprövning")),
    Job(
        "audit-verify",
        "gvi.access.tasks.verify_access_log",
        Daily(4, 0),
        _("Verifiering av åtkomstloggens kedja"),
    ),
    Job(
        "audit-anchor",
        "gvi.access.tasks.anchor_access_log",
        Daily(4, 15),
        _("Förankring av åtkomstloggens kedja utanför databasen"),
    ),
    Job("risk", "gvi.incidents.tasks.recompute_all_risk", Hourly(5), _("Omräkning av hämndrisken")),
    Job("network", "gvi.groups.tasks.recompute_all_networks", Daily(4, 30), _("Omräkning av nätverksmåtten")),
    Job("prune", "gvi.operations.tasks.prune", Daily(5, 0), _("Rensning av gamla jobbresultat")),
    Job("notices", "gvi.notices.tasks.collect_notices", EveryMinutes(5), _("Aviseringar per e-post")),
]


def enqueue_due(now: datetime | None = None, schedule: list[Job] | None = None) -> list[str]:
    """Enqueue every job whose latest slot has not been enqueued yet; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in SCHEDULE if schedule is None else schedule:
        slot = job.cadence.latest_slot(now)
        if ScheduledRun.objects.filter(job=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot)
                result = job.task.enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:  # another worker enqueued this slot at the same moment
            continue
        enqueued.append(job.name)
    return enqueued
