"""The worker's jobs for the network read model (gvi.groups.network)."""

from gvi.operations import recompute
from gvi.operations.background import task


@task()
def recompute_network(site_id: int) -> dict:
    """Recompute one site's network measures and layout (requested after changes, debounced)."""
    from gvi.groups.network import recompute_site
    from gvi.partnership.models import Site

    generation = recompute.started(recompute.NETWORK, site_id)
    site = Site.objects.filter(pk=site_id).first()
    groups = recompute_site(site).group_count if site else 0
    follow_up = recompute.finished(recompute.NETWORK, site_id, generation)
    return {"site": site_id, "groups": groups, "follow_up": follow_up}


@task()
def recompute_all_networks() -> dict:
    """The daily run (retention deactivates relations without a change of their own). One task per site."""
    return {"sites": recompute.request_everywhere(recompute.NETWORK)}
