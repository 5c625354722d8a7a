"""The worker's jobs for the retaliation-risk read model (gvi.incidents.risk)."""

from gvi.operations import recompute
from gvi.operations.background import task


@task()
def recompute_risk(site_id: int) -> dict:
    """Recompute every scope's risk picture at one site (requested after changes, debounced)."""
    from gvi.incidents.risk import recompute_site
    from gvi.partnership.models import Site

    generation = recompute.started(recompute.RISK, site_id)
    site = Site.objects.filter(pk=site_id).first()
    scopes = recompute_site(site) if site else 0
    follow_up = recompute.finished(recompute.RISK, site_id, generation)
    return {"site": site_id, "scopes": scopes, "follow_up": follow_up}


@task()
def recompute_all_risk() -> dict:
    """The hourly run: the risk moves with time even when nothing changes. One task per site."""
    return {"sites": recompute.request_everywhere(recompute.RISK)}
