from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.groups.forms import DATE
from gvi.incidents.models import Incident
from gvi.sanctions.levers import Lever, levers_for
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode
from gvi.web.forms import VersionedModelForm


class IncidentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_type_display()} {timezone.localtime(obj.occurred_at):%Y-%m-%d %H:%M} {obj.area_name}".strip()


class CommunicationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.date:%Y-%m-%d} {obj.get_channel_display()}: {obj.message[:80]}"


def _communication_field(queryset):
    return CommunicationChoiceField(
        label=_("Återkoppling till grupperna"),
        queryset=queryset,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Den återkoppling som berättade för grupperna varför det här hände."),
    )


class EpisodeCreateForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Grupp"), queryset=None)
    trigger_incidents = IncidentChoiceField(
        label=_("Utlösande incidenter"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Välj minst en utlösande incident.")},
    )
    decision_note = forms.CharField(
        label=_("Underlag för beslutet"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=SanctionEpisode._meta.get_field("decision_note").help_text,
    )

    def __init__(self, *args, groups=None, incidents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["trigger_incidents"].queryset = incidents


class EpisodeEditForm(VersionedModelForm):
    trigger_incidents = IncidentChoiceField(
        label=_("Utlösande incidenter"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Välj minst en utlösande incident.")},
    )

    class Meta:
        model = SanctionEpisode
        fields = ["start_date", "planned_end_date", "announced_rule", "decision_note"]
        widgets = {
            "start_date": DATE,
            "planned_end_date": DATE,
            "decision_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, incidents=None, rules=None, communications=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger_incidents"].queryset = incidents
        if not self.is_bound:
            self.initial["trigger_incidents"] = list(
                self.instance.trigger_incidents.values_list("pk", flat=True)
            )
        self.fields["announced_rule"].queryset = rules
        if self.instance.status not in (SanctionEpisode.Status.OPEN, SanctionEpisode.Status.CLOSED):
            del self.fields["start_date"]
            del self.fields["planned_end_date"]
        if communications is not None:
            self.fields["communications"] = _communication_field(communications)
            if not self.is_bound:
                self.initial["communications"] = list(
                    self.instance.communications.values_list("pk", flat=True)
                )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class DecisionForm(forms.Form):
    RUN = "run"
    DISMISS = "dismiss"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        label=_("Beslut"),
        choices=[(RUN, _("Starta ökat fokus mot gruppen")), (DISMISS, _("Avstå från ökat fokus"))],
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(label=_("Startdatum"), required=False, widget=DATE)
    planned_end_date = forms.DateField(label=_("Planerat slutdatum"), required=False, widget=DATE)
    announced_rule = forms.ModelChoiceField(
        label=_("Utlovad konsekvens som episoden svarar mot"),
        queryset=None,
        required=False,
        help_text=_("Förvalt: det budskap som gällde när incidenten inträffade."),
    )
    note = forms.CharField(
        label=_("Motivering"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Krävs när ni avstår. Skriv inga uppgifter om enskilda personer."),
    )

    def __init__(self, *args, rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["announced_rule"].queryset = rules

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.DISMISS and not (data.get("note") or "").strip():
            self.add_error("note", _("Motivera varför ni avstår."))
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", _("Slutdatum kan inte vara före startdatum."))
        return data


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    end_date = forms.DateField(label=_("Slutdatum"), widget=DATE)
    end_reason = forms.ChoiceField(label=_("Skäl för avslut"), choices=SanctionEpisode.EndReason.choices)
    end_note = forms.CharField(
        label=_("Kommentar"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Krävs vid skälet ”Annat”. Skriv inga uppgifter om enskilda personer."),
    )

    def __init__(self, *args, communications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if communications is not None:
            self.fields["communications"] = _communication_field(communications)

    def clean(self):
        data = super().clean()
        if (
            data.get("end_reason") == SanctionEpisode.EndReason.OTHER
            and not (data.get("end_note") or "").strip()
        ):
            self.add_error("end_note", _("Beskriv skälet till att episoden avslutas."))
        return data


class ActionForm(VersionedModelForm):
    class Meta:
        model = SanctionAction
        fields = [
            "lever",
            "description",
            "responsible",
            "due_date",
            "status",
            "started_on",
            "done_on",
            "result",
            "checks_made",
            "seizures",
            "arrests",
        ]
        widgets = {
            "due_date": DATE,
            "started_on": DATE,
            "done_on": DATE,
            "description": forms.Textarea(attrs={"rows": 2}),
            "result": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, organisation=None, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = organisation or (self.instance.owner if self.instance.owner_id else None)
        choices = levers_for(organisation) if organisation is not None else []
        self.fields["lever"].choices = [("", "---------"), *choices]
        self.fields["responsible"].queryset = members
        self.fields["responsible"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )
        if self.instance._state.adding:
            for name in ("started_on", "done_on", "result", "checks_made", "seizures", "arrests"):
                del self.fields[name]


class RuleForm(VersionedModelForm):
    trigger_types = forms.MultipleChoiceField(
        label=_("Utlösande händelser"),
        choices=Incident.Type.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tomt: all grov våldsbrottslighet."),
    )
    levers = forms.MultipleChoiceField(
        label=_("Utlovade åtgärder"),
        choices=Lever.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("De åtgärder budskapet lovade. Episodens svar jämförs med dem."),
    )

    class Meta:
        model = AnnouncedRule
        fields = [
            "title",
            "message",
            "announced_on",
            "announced_how",
            "valid_until",
            "trigger_types",
            "groups",
            "levers",
            "respond_within_days",
        ]
        widgets = {
            "announced_on": DATE,
            "valid_until": DATE,
            "message": forms.Textarea(attrs={"rows": 3}),
            "groups": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups
        self.fields["groups"].required = False

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name in self.cleaned_data and name != "groups"
        }
