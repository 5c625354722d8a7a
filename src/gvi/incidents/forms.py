from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gvi.groups.forms import DATE
from gvi.incidents.models import Incident, Involvement
from gvi.pickers import SearchPicker, search_param
from gvi.web.forms import VersionedModelForm

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(VersionedModelForm):
    class Meta:
        model = Incident
        fields = [
            "type",
            "confirmed_shooting",
            "occurred_at",
            "area",
            "latitude",
            "longitude",
            "dead",
            "injured",
            "police_reference",
            "status",
            "summary",
        ]
        widgets = {"occurred_at": DATETIME, "summary": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "confirmed_shooting": _("Enligt Polisens definition av konstaterad skjutning."),
            "latitude": _("Valfritt, WGS 84 (t.ex. 59.2741)."),
        }

    def __init__(self, *args, site_id=None, **kwargs):
        """The area is chosen from the site's active areas (and the incident's own, if deactivated since)."""
        from django.db.models import Q

        from gvi.partnership.models import Area

        super().__init__(*args, **kwargs)
        site_id = self.instance.site_id if self.instance.pk else site_id
        current = Q(pk=self.instance.area_id) if self.instance.area_id else Q(pk__in=[])
        field = self.fields["area"]
        field.queryset = Area.objects.filter(Q(site_id=site_id, is_active=True) | current).order_by("name")
        field.empty_label = _("Inget område angivet")
        field.help_text = _("Platsens områden; samordnaren lägger till och ändrar dem under Områden.")

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Ange både latitud och longitud, eller ingen av dem."))
        return data


class InvolvementForm(VersionedModelForm):
    class Meta:
        model = Involvement
        fields = ["group", "person", "role", "member_status", "confidence", "relation"]
        help_texts = {
            "member_status": _("Lämna 'Okänd' så fylls den i från registrerade medlemskap när det går."),
            "relation": _("Konflikten som incidenten hör till, om den är känd."),
        }

    def __init__(
        self, *args, persons=None, groups=None, relations=None, site_id=None, searches=None, **kwargs
    ):
        """Persons, groups and conflicts are chosen with search pickers (gvi.pickers), never from a select
        of every visible row; the posted id is still validated against the scoped queryset. `searches`
        (the page's GET) carries the no-JavaScript searches; `shown` lists the records they showed."""
        from gvi.incidents.selectors import picker_matches

        super().__init__(*args, **kwargs)
        self.shown = []
        searches = searches or {}
        for name, queryset in (("person", persons), ("group", groups), ("relation", relations)):
            field = self.fields[name]
            field.queryset = queryset
            query = {"falt": name, **({"plats": site_id} if site_id else {})}
            widget = SearchPicker(
                search_url=f"{reverse(f'incidents:pick_{name}')}?{urlencode(query)}",
                label_from_instance=field.label_from_instance,
            )
            widget.is_required, widget.queryset = field.required, queryset
            text = str(searches.get(search_param(name), ""))[:120]
            if text.strip() and queryset is not None:
                widget.query = text
                widget.matches, _more = picker_matches(name, queryset, text)
                self.shown += widget.matches
            field.widget = widget

    # "A group, a person or both" is the model's rule (Involvement.clean), said once from there.


class IncidentFilterForm(forms.Form):
    """The list's filters; invalid values are ignored rather than shown as errors."""

    fran = forms.DateField(label=_("Från"), required=False, widget=DATE)
    till = forms.DateField(label=_("Till"), required=False, widget=DATE)
    typ = forms.ChoiceField(label=_("Typ"), required=False, choices=[("", _("Alla"))] + Incident.Type.choices)
    omrade = forms.CharField(label=_("Område"), required=False, max_length=120)  # an area's name or alias
    grupp = forms.IntegerField(label=_("Grupp"), required=False, min_value=1, max_value=2**62)

    def filters(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
