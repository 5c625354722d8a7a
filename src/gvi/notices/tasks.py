"""The notices' background tasks: a scheduled scan that records and queues notices, and one delivery
task per notice (never run inside a page request)."""

from gvi.operations.background import task


@task()
def collect_notices() -> dict[str, int]:
    """Scheduled every five minutes (gvi.operations.schedule): record what is due, queue deliveries."""
    from gvi.notices.services import collect_and_dispatch

    return collect_and_dispatch()


@task()
def deliver_notice(notice_id: int) -> str:
    from gvi.notices.services import deliver

    return deliver(notice_id)
