from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.dataprotection.models import DataSubjectRequest, WithholdingGround

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def field_name(key: str, part: str) -> str:
    return f"{part}_{key.replace(':', '_')}"


class ExtractForm(forms.Form):
    """Reason, reference, and for every item of the extract: withhold it, and on what ground."""

    reason = forms.CharField(
        label=_("Skäl"),
        max_length=500,
        help_text=_("Till exempel: begäran från den registrerade. Skälet loggas. Inga personuppgifter här."),
    )
    reference = forms.CharField(label=_("Ärende- eller diarienummer"), max_length=80, required=False)

    def __init__(self, *args, content, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = []
        keys = [item.key for section in content.sections for item in section.items] + ["accesslog:all"]
        for key in keys:
            self.fields[field_name(key, "undanta")] = forms.BooleanField(label=_("Undantas"), required=False)
            self.fields[field_name(key, "grund")] = forms.ChoiceField(
                label=_("Grund för undantag"),
                choices=[("", "–"), *WithholdingGround.choices],
                required=False,
            )
            self.fields[field_name(key, "grundtext")] = forms.CharField(
                label=_("Bestämmelse eller beskrivning"), max_length=300, required=False
            )
            self.items.append(key)

    def bound_for(self, key: str) -> dict:
        return {part: self[field_name(key, part)] for part in ("undanta", "grund", "grundtext")}

    def clean(self):
        data = super().clean()
        for key in self.items:
            if not data.get(field_name(key, "undanta")):
                continue
            ground = data.get(field_name(key, "grund"))
            if not ground:
                self.add_error(field_name(key, "grund"), _("Ange grunden för undantaget."))
            elif (
                ground == WithholdingGround.OTHER
                and not (data.get(field_name(key, "grundtext")) or "").strip()
            ):
                self.add_error(field_name(key, "grundtext"), _("Beskriv grunden för undantaget."))
        return data

    def withheld(self) -> dict:
        from gvi.dataprotection.services import Withholding

        data = self.cleaned_data
        return {
            key: Withholding(
                data[field_name(key, "grund")], (data.get(field_name(key, "grundtext")) or "").strip()
            )
            for key in self.items
            if data.get(field_name(key, "undanta"))
        }


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Slag av begäran"), choices=DataSubjectRequest.Kind.choices)
    received_on = forms.DateField(label=_("Begäran inkom"), widget=DATE)
    case_number = forms.CharField(
        label=_("Ärende- eller diarienummer"),
        max_length=80,
        required=False,
        help_text=_("Organisationens eget nummer för begäran. Inga namn eller personnummer."),
    )
    request_text = forms.CharField(
        label=_("Vad begäran gäller"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("Datumet kan inte ligga i framtiden."))
        return value


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Beslut"),
        choices=[c for c in DataSubjectRequest.Decision.choices if c[0]],
        widget=forms.RadioSelect,
    )
    reasoning = forms.CharField(
        label=_("Motivering"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DoneForm(forms.Form):
    done_text = forms.CharField(
        label=_("Vad som gjordes"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    records_changed = forms.IntegerField(
        label=_("Antal ändrade eller raderade poster"), min_value=0, initial=0
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
