"""Housekeeping: the task tables themselves, and the daily retention run of the access model."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gvi.operations import imports
from gvi.operations.background import task
from gvi.operations.models import ScheduledRun

RESULTS_KEPT = timedelta(days=30)


@task()
def prune() -> dict[str, int]:
    """Finished task results and scheduled-run rows older than 30 days (they hold no person data), and
    import jobs older than a day (their encrypted files and outcomes)."""
    before = timezone.now() - RESULTS_KEPT
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    runs, _ = ScheduledRun.objects.filter(slot__lt=before).delete()
    return {"task_results": results, "scheduled_runs": runs, "import_jobs": imports.prune()}


@task()
def purge() -> dict:
    """The daily retention run (as `gvi purge`); counts only."""
    from gvi.access.retention import run_retention
    from gvi.operations import recompute

    result = run_retention(triggered_by="daily")
    if result.deactivated or result.purged:  # relations and codings left the network and the risk model
        recompute.request_everywhere(recompute.NETWORK)
        recompute.request_everywhere(recompute.RISK)
    return {
        "today": result.today.isoformat(),
        "deactivated": result.deactivated,
        "purged": result.purged,
        "history_purged": result.history_purged,
    }
