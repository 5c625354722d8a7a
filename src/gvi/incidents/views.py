"""Incident pages: list with filters, registration, coding of involvement, timeline and map."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from gvi.access.decorators import record_permission_required
from gvi.access.permissions import CHANGE, CREATE
from gvi.access.selectors import may_create, read_record, visible_record
from gvi.access.services import EditConflict, granting_membership, remove_record
from gvi.analysis.charts import timeline
from gvi.analysis.geo import fit_view
from gvi.groups.forms import ConfirmVersionForm
from gvi.groups.services import creating_membership
from gvi.incidents import selectors, services
from gvi.incidents.forms import IncidentFilterForm, IncidentForm, InvolvementForm
from gvi.incidents.models import Incident, Involvement
from gvi.paging import capped_page

TIMELINE_MAX = 400
MAP_MAX = 2000


class QuickSelect(forms.Select):
    """Django's Select with the same HTML, but the options written directly instead of one template render
    each: a site's coding choices run to thousands of persons, groups and conflicts."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(iter(self.choices))  # not list(choices): that asks a queryset for its length first
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups: the ordinary way
        self.choices = []
        try:
            empty = super().render(name, value, attrs, renderer)
        finally:
            self.choices = choices
        selected_values = set(self.format_value(value))
        options, has_selected = [], False
        for option_value, label in choices:
            option_value = "" if option_value is None else option_value
            selected = not has_selected and str(option_value) in selected_values
            has_selected |= selected
            options.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    option_value,
                    mark_safe(" selected") if selected else "",
                    label,
                )
            )
        head, end, tail = empty.rpartition("\n</select>")
        return mark_safe(head + "".join(options) + end + tail)


def _quick(form):
    """The involvement form with its choice fields rendered by QuickSelect (same HTML, same validation)."""
    for name in ("person", "group", "relation"):
        widget = form.fields[name].widget
        quick = QuickSelect(attrs=widget.attrs)
        quick.choices = widget.choices
        quick.is_required = widget.is_required
        form.fields[name].widget = quick
    return form


def _save(request, form, save, template, context, success):
    try:
        record = save()
    except EditConflict as conflict:
        return render(request, template, {**context, "form": form, "conflict": conflict}, status=409)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return render(request, template, {**context, "form": form})
    except PermissionDenied as error:
        form.add_error(None, str(error))
        return render(request, template, {**context, "form": form}, status=403)
    messages.success(request, _("Ändringarna är sparade."))
    return redirect(success(record))


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
        return _save(
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
        return _save(
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
    form = _quick(InvolvementForm(request.POST or None, **selectors.coding_choices(request.user, incident)))
    context = {"form": form, "incident": incident, "creating": True}
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in InvolvementForm.Meta.fields}
        return _save(
            request,
            form,
            lambda: services.code_involvement(request.user, incident, data),
            "incidents/involvement_form.html",
            context,
            lambda involvement: f"/incidenter/{incident.pk}/",
        )
    return render(request, "incidents/involvement_form.html", context)


@record_permission_required("incidents.involvement", CHANGE)
def involvement_edit(request, pk):
    involvement = visible_record(request.user, Involvement, pk, CHANGE)
    incident = involvement.incident
    form = _quick(
        InvolvementForm(
            request.POST or None, instance=involvement, **selectors.coding_choices(request.user, incident)
        )
    )
    context = {"form": form, "incident": incident, "involvement": involvement}
    if request.method == "POST" and form.is_valid():
        return _save(
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
