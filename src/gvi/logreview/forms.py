from django import forms
from django.utils.translation import gettext_lazy as _

from gvi.access.models import AccessLog
from gvi.logreview.selectors import logged_compartment_models


def record_type_choices():
    from django.contrib.auth import get_user_model

    from gvi.access.models import ApiToken
    from gvi.logreview.models import FollowUpRound
    from gvi.partnership.models import Membership

    models = [*logged_compartment_models(), Membership, get_user_model(), ApiToken, FollowUpRound]
    choices = sorted(
        ((m._meta.label_lower, str(m._meta.verbose_name)) for m in models), key=lambda c: c[1].lower()
    )
    return [("", _("Alla posttyper")), *choices]


class LogSearchForm(forms.Form):
    anvandare = forms.CharField(label=_("Användare"), max_length=150, required=False)
    posttyp = forms.ChoiceField(label=_("Posttyp"), required=False)
    postid = forms.IntegerField(label=_("Post-id"), required=False, min_value=1, max_value=2**63 - 1)
    person = forms.IntegerField(
        label=_("Person (id)"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_(
            "Allt som rör personen: personposten, medlemskap, inblandningar, stödärenden, kontakter."
        ),
    )
    atgard = forms.ChoiceField(label=_("Åtgärd"), required=False)
    fran = forms.DateField(
        label=_("Från och med"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    till = forms.DateField(
        label=_("Till och med"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    andamal = forms.CharField(label=_("Ändamål innehåller"), max_length=200, required=False)

    def __init__(self, *args, persons=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.persons = persons
        self.fields["posttyp"].choices = record_type_choices()
        self.fields["atgard"].choices = [("", _("Alla åtgärder")), *AccessLog.Action.choices]

    def clean_person(self):
        value = self.cleaned_data.get("person")
        if value is None:
            return None
        person = self.persons.filter(pk=value).first() if self.persons is not None else None
        if person is None:
            raise forms.ValidationError(_("Ingen person med det id:t hos din organisation."))
        return person

    def clean(self):
        data = super().clean()
        if data.get("fran") and data.get("till") and data["till"] < data["fran"]:
            self.add_error("till", _("Slutdatumet måste ligga på eller efter startdatumet."))
        return data


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Alias eller id"), max_length=100)


class RoundForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"))
    period_start = forms.DateField(label=_("Från och med"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Till och med"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(org.pk): org for org in organisations}
        self.fields["organisation"].choices = [(str(org.pk), org.name) for org in organisations]
        if len(organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.initial.setdefault("organisation", str(organisations[0].pk))

    def clean_organisation(self):
        return self.organisations[self.cleaned_data["organisation"]]


class SignOffForm(forms.Form):
    note = forms.CharField(
        label=_("Anteckning"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Vad du granskade, vad flaggorna visade och vad som ska följas upp. Inga uppgifter om enskilda."
        ),
    )
