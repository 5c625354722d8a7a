"""Incident pages: list with filters, registration, coding of involvement, timeline and map."""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.decorators import record_permission_required
from gvi.access.permissions import CHANGE, CREATE
from gvi.access.selectors import may_create, read_record, visible_record
from gvi.access.services import EditConflict, granting_membership, log_reads, remove_record
from gvi.analysis.charts import timeline
from gvi.analysis.geo import fit_view
from gvi.groups.forms import ConfirmVersionForm
from gvi.groups.services import creating_membership
from gvi.incidents import selectors, services
from gvi.incidents.forms import IncidentFilterForm, IncidentForm, InvolvementForm
from gvi.incidents.models import Incident, Involvement
from gvi.paging import capped_page
from gvi.pickers import MIN_LENGTH, field_name, search_param
from gvi.web.forms import save_form

TIMELINE_MAX = 400
MAP_MAX = 2000


def _filters(request):
    form = IncidentFilterForm(request.GET or None)
    return form, form.filters() if request.GET else {}


@record_permission_required("incidents.incident")
def incident_list(request):
    form, filters = _filters(request)
    incidents = selectors.incidents_for(request.user, filters)
    return render(
        request,
        "incidents/incident_list.html",
        {
            "page": capped_page(request, incidents, 50),
            "filter_form": form,
            "groups": selectors.groups_for_filter(request.user),
            "may_create": may_create(request.user, Incident),
        },
    )


@record_permission_required("incidents.incident", CREATE)
def incident_create(request):
    site_id = creating_membership(request.user, Incident).site_id
    form = IncidentForm(
        request.POST or None,
        initial={"occurred_at": timezone.localtime().replace(second=0)},
        site_id=site_id,
    )
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.register_incident(request.user, form.changes(), site_id=site_id),
            "incidents/incident_form.html",
            context,
            lambda incident: f"/incidenter/{incident.pk}/",
        )
    return render(request, "incidents/incident_form.html", context)


@record_permission_required("incidents.incident")
def incident_detail(request, pk):
    incident = read_record(request.user, Incident, pk)
    # The coding form lives on its own page: at a large site its choices run to thousands of persons,
    # groups and conflicts, which every reader of the incident would otherwise pay for.
    may_code = may_create(request.user, Involvement)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "involvements": selectors.involvements_of(request.user, incident),
            "may_change": granting_membership(request.user, incident, CHANGE) is not None,
            "may_code": may_code,
            "group_involved": services.group_involved(incident),
        },
    )


@record_permission_required("incidents.incident", CHANGE)
def incident_edit(request, pk):
    incident = visible_record(request.user, Incident, pk, CHANGE)
    form = IncidentForm(request.POST or None, instance=incident)
    context = {"form": form, "incident": incident}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_incident(
                request.user, incident, form.changes(), form.cleaned_data["version"]
            ),
            "incidents/incident_form.html",
            context,
            lambda saved: f"/incidenter/{saved.pk}/",
        )
    return render(request, "incidents/incident_form.html", context)


@record_permission_required("incidents.involvement", CREATE)
def involvement_create(request, pk):
    incident = visible_record(request.user, Incident, pk)
    form = _involvement_form(request, incident)
    context = {"form": form, "incident": incident, "creating": True}
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in InvolvementForm.Meta.fields}
        return save_form(
            request,
            form,
            lambda: services.code_involvement(request.user, incident, data),
            "incidents/involvement_form.html",
            context,
            lambda involvement: f"/incidenter/{incident.pk}/",
        )
    return render(request, "incidents/involvement_form.html", context)


def _involvement_form(request, incident, **kwargs) -> InvolvementForm:
    """The coding form with its search pickers; the records a no-JavaScript search showed are logged as
    read, one row each, like any list of persons."""
    form = InvolvementForm(
        request.POST or None,
        site_id=incident.site_id,
        searches=request.GET,
        **selectors.coding_choices(request.user, incident),
        **kwargs,
    )
    log_reads(request.user, form.shown)
    return form


def _pick(request, kind: str):
    """A search picker's partial: the matches for the search text, or (`vald`) the chosen record."""
    name = field_name(request.GET.get("falt")) or kind
    site = request.GET.get("plats", "")
    rows = selectors.picker_rows(
        request.user, kind, int(site) if site.isdigit() and len(site) <= 18 else None
    )
    query = {"falt": name, **({"plats": site} if site.isdigit() else {})}
    context = {"name": name, "id": f"id_{name}", "search_url": f"{request.path}?{urlencode(query)}"}
    if "vald" in request.GET:
        raw = request.GET["vald"]
        chosen = rows.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) <= 18 else None
        if chosen is not None:
            log_reads(request.user, [chosen])
        context.update(value=chosen.pk if chosen else "", label=str(chosen) if chosen else "")
        return render(request, "includes/_picker_chosen.html", context)
    text = request.GET.get(search_param(name)) or request.GET.get("q", "")
    matches, capped = selectors.picker_matches(kind, rows, text[:120])
    log_reads(request.user, matches)
    context.update(
        matches=[(record.pk, str(record)) for record in matches],
        capped=capped,
        too_short=len(text.strip()) < MIN_LENGTH,
        min_length=MIN_LENGTH,
    )
    return render(request, "includes/_picker_results.html", context)


@record_permission_required("groups.person")
def pick_person(request):
    return _pick(request, "person")


@record_permission_required("groups.group")
def pick_group(request):
    return _pick(request, "group")


@record_permission_required("groups.grouprelation")
def pick_relation(request):
    return _pick(request, "relation")


@record_permission_required("incidents.involvement", CHANGE)
def involvement_edit(request, pk):
    involvement = visible_record(request.user, Involvement, pk, CHANGE)
    incident = involvement.incident
    form = _involvement_form(request, incident, instance=involvement)
    context = {"form": form, "incident": incident, "involvement": involvement}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_involvement(
                request.user, involvement, form.changes(), form.cleaned_data["version"]
            ),
            "incidents/involvement_form.html",
            context,
            lambda saved: f"/incidenter/{incident.pk}/",
        )
    return render(request, "incidents/involvement_form.html", context)


@record_permission_required("incidents.involvement", CHANGE)
def involvement_remove(request, pk):
    involvement = visible_record(request.user, Involvement, pk, CHANGE)
    form = ConfirmVersionForm(request.POST or None, initial={"version": involvement.version})
    context = {"form": form, "record": involvement, "back": f"/incidenter/{involvement.incident_id}/"}
    if request.method == "POST" and form.is_valid():
        try:
            remove_record(request.user, involvement, form.cleaned_data["version"])
        except EditConflict as conflict:
            return render(request, "groups/remove.html", {**context, "conflict": conflict}, status=409)
        messages.success(request, _("Inblandningen är borttagen."))
        return redirect(context["back"])
    return render(request, "groups/remove.html", context)


@record_permission_required("incidents.incident")
def incident_timeline(request):
    form, filters = _filters(request)
    if not filters.get("fran"):
        filters["fran"] = timezone.localdate() - timedelta(days=180)
    incidents = list(selectors.incidents_for(request.user, filters)[:TIMELINE_MAX])
    truncated = len(incidents) == TIMELINE_MAX
    end = timezone.now()
    start = selectors.start_of_day(filters["fran"])
    if truncated:  # the window drawn is the stretch the shown incidents cover, not the empty rest
        start = max(start, selectors.start_of_day(timezone.localtime(incidents[-1].occurred_at).date()))
    lanes, marks = timeline(selectors.timeline_events(request.user, incidents), start, end)
    return render(
        request,
        "incidents/timeline.html",
        {
            "filter_form": form,
            "groups": selectors.groups_for_filter(request.user),
            "lanes": [(label, (index + 0.5) * 28 + 4, (index + 1) * 28) for index, label in enumerate(lanes)],
            "marks": marks,
            "height": max(len(lanes), 1) * 28 + 30,
            "start": start,
            "end": end,
            "incidents": incidents,
            "truncated": truncated,
        },
    )


@record_permission_required("incidents.incident")
def incident_map(request):
    form, filters = _filters(request)
    incidents = list(selectors.incidents_for(request.user, filters)[:MAP_MAX])
    located = selectors.located(incidents)
    view = fit_view(
        [(incident, float(incident.latitude), float(incident.longitude)) for incident in located],
        tile_url=settings.GVI_MAP_TILE_URL,
        shapes=selectors.map_areas(request.user, incidents, located),
    )
    return render(
        request,
        "incidents/map.html",
        {
            "filter_form": form,
            "groups": selectors.groups_for_filter(request.user),
            "view": view,
            "located_count": len(located),
            "unlocated_count": len(incidents) - len(located),
            "tile_attribution": settings.GVI_MAP_TILE_ATTRIBUTION,
            "truncated": len(incidents) == MAP_MAX,
        },
    )
