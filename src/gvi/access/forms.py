from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from gvi.access.disclosure_rules import max_days
from gvi.access.models import NON_RECIPIENT_TYPES, ConsentMethod, Disclosure
from gvi.partnership.models import Organisation, Site


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
    """A disclosure of one record by its owner. By default to an organisation in the partnership at the
    record's site; with `other_site` (the page's explicit "annan plats" choice) to an organisation at a
    named other site, which the user confirms. Disclosure.clean says why a recipient is refused."""

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
    purpose = forms.CharField(
        label=_("Ändamål"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Skriv inte personens namn här: ändamålet visas för mottagaren."),
    )
    expires_at = forms.DateTimeField(
        label=_("Upphör"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={"required": _("Ange när utlämnandet upphör. Inga utlämnanden gäller tills vidare.")},
    )
    consent_given_on = forms.DateField(
        label=_("Samtycke lämnat"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Bara när grunden är samtycke: dagen då personen samtyckte."),
    )
    consent_method = forms.ChoiceField(
        label=_("Samtycket lämnades"),
        required=False,
        choices=[("", "—"), *ConsentMethod.choices],
        help_text=_("Bara när grunden är samtycke. Du registreras som den som registrerade samtycket."),
    )

    def __init__(self, *args, record, other_site: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.other_site = other_site
        # The maximums in force (GVI_DISCLOSURE_MAX_DAYS over the rule table), so the page never goes stale.
        self.fields["expires_at"].help_text = _(
            "Obligatoriskt: inga utlämnanden gäller tills vidare. Längsta tid per grund: %(maximums)s."
        ) % {
            "maximums": "; ".join(
                _("%(ground)s %(days)s dagar") % {"ground": label, "days": max_days(ground)}
                for ground, label in Disclosure.LegalGround.choices
            )
        }
        field = self.fields["to_organisation"]
        # Any organisation is looked up, so that a refused one (a stale page, a hand-made request) gets its
        # reason in words from Disclosure.clean; only the possible recipients are offered.
        field.queryset = Organisation.objects.all()
        offered = offered_recipients(record, other_site)
        field.widget.choices = [("", field.empty_label)] + [
            (org.pk, _recipient_label(org, record.site_id) if other_site else org.name) for org in offered
        ]
        if other_site:
            self.fields["to_site"] = forms.ModelChoiceField(
                label=_("Mottagarens plats"),
                queryset=Site.objects.exclude(pk=record.site_id).filter(is_active=True).order_by("name"),
            )
            self.fields["confirm_other_site"] = forms.BooleanField(
                label=_(
                    "Jag har prövat att uppgiften får lämnas till en annan plats. Båda platsernas samordnare "
                    "ser utlämnandet, med ändamålet."
                ),
                error_messages={"required": _("Bekräfta att utlämnandet ska gå till en annan plats.")},
            )
            self.fields["legal_ground"].help_text = _(
                "Till en annan plats räcker uppgiftsskyldighet (OSL 10 kap. 28 §, lagen (2025) om "
                "uppgiftsskyldighet), samtycke, nödvändigt utlämnande (10 kap. 2 §) eller generalklausulen "
                "(10 kap. 27 §); inte 10 kap. 18 a §, som gäller samverkan på platsen."
            )
            self.fields["purpose"].help_text = _(
                "Skriv inte personens namn här: ändamålet visas för mottagaren och för båda platsernas samordnare."
            )
            self.order_fields(["to_site", "to_organisation"])

    def clean(self):
        data = super().clean()
        if data.get("legal_ground") == Disclosure.LegalGround.OTHER and not data.get("legal_ground_text"):
            self.add_error("legal_ground_text", _("Beskriv den rättsliga grunden."))
        return data


def offered_recipients(record, other_site: bool = False):
    """The organisations a disclosure form offers: those in the partnership at the record's site other
    than the owner, or (other site) those at other sites; never one whose members read no person data."""
    organisations = Organisation.objects.exclude(type__in=list(NON_RECIPIENT_TYPES))
    if other_site:
        organisations = organisations.filter(sites__in=Site.objects.exclude(pk=record.site_id))
    else:
        organisations = organisations.filter(sites=record.site_id).exclude(pk=record.owner_id)
    return organisations.distinct().prefetch_related("sites").order_by("name")


def _recipient_label(organisation, record_site_id) -> str:
    sites = ", ".join(site.name for site in organisation.sites.all() if site.pk != record_site_id)
    return f"{organisation.name} ({sites})"


class AccountForm(forms.Form):
    username = forms.RegexField(
        label=_("Användarnamn"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Använd bara bokstäver, siffror och . @ + - _ i användarnamnet.")},
    )
    first_name = forms.CharField(label=_("Förnamn"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Efternamn"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-post"),
        required=False,
        help_text=_("Dit skickas besked när lösenordet eller autentiseringsappen återställs."),
    )

    def clean_username(self):
        from django.contrib.auth import get_user_model

        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Det finns redan ett konto med det användarnamnet."))
        return username


class MembershipRequestForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.all())
    site = forms.ModelChoiceField(
        label=_("Plats"),
        queryset=Site.objects.filter(is_active=True),
        required=False,
        help_text=_("Tom endast för nationella analytiker, administratörer och dataskyddsombud."),
    )
    role = forms.ChoiceField(label=_("Roll"))
    approves_access = forms.BooleanField(
        label=_("Godkänner behörigheter i organisationen (dataskyddsansvarig)"), required=False
    )
    approves_entries = forms.BooleanField(
        label=_("Godkänner registreringar (gruppledare eller arbetsledare)"),
        required=False,
        help_text=_(
            "Godkänner eller avslår de personer och gruppmedlemskap som analytiker i organisationen föreslår "
            "på platsen. Rollen måste kunna se personposter."
        ),
    )

    def __init__(self, *args, **kwargs):
        from gvi.partnership.models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices


class PasswordChoiceForm(forms.Form):
    """A new password, twice, checked by the configured validators."""

    password1 = forms.CharField(
        label=_("Nytt lösenord"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Minst 12 tecken, inte bara siffror och inte ett vanligt lösenord."),
    )
    password2 = forms.CharField(
        label=_("Nytt lösenord igen"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Lösenorden är inte lika."))
        elif first:
            try:
                validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class OwnPasswordForm(PasswordChoiceForm):
    current = forms.CharField(
        label=_("Nuvarande lösenord"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["current", "password1", "password2"]

    def clean_current(self):
        if not self.user.check_password(self.cleaned_data["current"]):
            raise forms.ValidationError(_("Det nuvarande lösenordet stämmer inte."))
        return self.cleaned_data["current"]


class ApiTokenForm(forms.Form):
    """A key the user issues for itself: a name, its scopes and how many days it lasts (at most
    GVI_API_TOKEN_MAX_DAYS)."""

    name = forms.CharField(
        label=_("Namn"),
        max_length=100,
        help_text=_("Vilket system använder nyckeln, t.ex. ”Polisens ärendesystem”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Nyckelns behörigheter"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Välj bara det systemet behöver. Nyckeln ser aldrig mer än dina egna medlemskap ger, "
            "men den kan göra allt du kan inom de valda behörigheterna."
        ),
    )
    days = forms.IntegerField(label=_("Giltig i antal dagar"), min_value=1)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        from gvi.access.scopes import scope_choices

        super().__init__(*args, **kwargs)
        maximum = settings.GVI_API_TOKEN_MAX_DAYS
        self.fields["scopes"].choices = scope_choices()
        self.fields["days"].max_value = maximum
        self.fields["days"].validators.append(MaxValueValidator(maximum))
        self.fields["days"].widget.attrs["max"] = maximum
        self.fields["days"].initial = min(30, maximum)
        self.fields["days"].help_text = _("Högst %(days)s dagar.") % {"days": maximum}
