"""The retaliation-risk page: alerts for groups and conflicts, with their explanations and the model.

Thin: pick the site, call the selector, render. Group-level output only (persons never enter the model),
so the page is not a logged person read.
"""

from django.shortcuts import render

from gvi.access.decorators import record_permission_required
from gvi.incidents.risk import STATES_SHOWN, retaliation_risk, risk_sites


@record_permission_required("incidents.incident")
def risk_overview(request):
    sites = risk_sites(request.user)
    wanted = request.GET.get("plats", "")
    site = next((s for s in sites if s.slug == wanted), sites[0] if sites else None)
    picture = retaliation_risk(request.user, site) if site else None
    # The table of every group and conflict: the ones with the most incidents, at most STATES_SHOWN.
    shown = picture.states.top(STATES_SHOWN) if picture and picture.enough_data else []
    states = sorted(shown, key=lambda a: (a.kind, a.label.lower()))
    return render(
        request,
        "incidents/risk.html",
        {
            "picture": picture,
            "alerts": picture.alerts if picture else [],
            "states": states,
            "states_total": len(picture.states) if picture else 0,
            "sites": sites,
            "site": site,
        },
    )
