"""Background jobs of the access model, run by `gvi worker` on the schedule in gvi.operations.schedule."""

import logging

from gvi.operations.background import task

logger = logging.getLogger(__name__)


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


@task()
def verify_access_log() -> dict:
    """The nightly walk of the access-log chain (as `gvi audit verify`). A break is logged as an error
    for the operators' monitoring and kept as the task's result."""
    from gvi.access.audit import verify_chain

    report = verify_chain()
    if not report.ok:
        logger.error("Access-log chain broken at row %s: %s", report.first_break_seq, report.reason)
    return {
        "ok": report.ok,
        "rows_checked": report.rows_checked,
        "first_break_seq": report.first_break_seq,
        "reason": report.reason,
    }
