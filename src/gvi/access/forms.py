from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from gvi.access.models import Disclosure
from gvi.partnership.models import Organisation


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Fel användarnamn eller lösenord. Efter flera misslyckade försök spärras kontot en stund."
        ),
        "inactive": _("Kontot är inaktiverat."),
    }


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Engångskod"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("Sexsiffrig kod från din autentiseringsapp."),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("Koden består bara av siffror."))
        return token


class DisclosureForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("Mottagande organisation"), queryset=Organisation.objects.none()
    )
    legal_ground = forms.ChoiceField(label=_("Rättslig grund"), choices=Disclosure.LegalGround.choices)
    legal_ground_text = forms.CharField(
        label=_("Rättslig grund, förtydligande"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    purpose = forms.CharField(label=_("Ändamål"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    expires_at = forms.DateTimeField(
        label=_("Upphör"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Lämna tomt om utlämnandet gäller tills vidare."),
    )

    def __init__(self, *args, owner_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = Organisation.objects.exclude(pk=owner_id).exclude(
            type__in=[Organisation.Type.NATIONAL, Organisation.Type.OPERATOR]
        )

    def clean(self):
        data = super().clean()
        if data.get("legal_ground") == Disclosure.LegalGround.OTHER and not data.get("legal_ground_text"):
            self.add_error("legal_ground_text", _("Beskriv den rättsliga grunden."))
        return data
