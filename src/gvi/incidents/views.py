from datetime import date

from django.core.paginator import Paginator
from django.shortcuts import render

from gvi.access.decorators import record_permission_required
from gvi.access.selectors import read_record
from gvi.incidents.models import Incident, Involvement


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


@record_permission_required("incidents.incident")
def incident_list(request):
    incidents = Incident.objects.visible_to(request.user).select_related("site")
    kind = request.GET.get("typ", "")
    if kind in Incident.Type.values:
        incidents = incidents.filter(type=kind)
    start, end = _parse_date(request.GET.get("fran", "")), _parse_date(request.GET.get("till", ""))
    if start:
        incidents = incidents.filter(occurred_at__date__gte=start)
    if end:
        incidents = incidents.filter(occurred_at__date__lte=end)
    page = Paginator(incidents, 50).get_page(request.GET.get("sida"))
    return render(
        request,
        "incidents/incident_list.html",
        {"page": page, "types": Incident.Type.choices, "typ": kind, "fran": start, "till": end},
    )


@record_permission_required("incidents.incident")
def incident_detail(request, pk):
    incident = read_record(request.user, Incident, pk)
    involvements = (
        Involvement.objects.visible_to(request.user)
        .filter(incident=incident)
        .select_related("person", "group")
    )
    return render(
        request, "incidents/incident_detail.html", {"incident": incident, "involvements": involvements}
    )
