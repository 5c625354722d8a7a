from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.access.models import Disclosure
from gvi.groups.forms import DATE
from gvi.support.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    CaseStatus,
    Contact,
    IntakeRoute,
    NeedDomain,
    NeedStatus,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
)
from gvi.web.forms import VersionedModelForm

CASE_SECTIONS = [
    (
        _("Väg in"),
        ["pseudonym", "intake_route", "referred_by", "requested_at", "first_contact_date", "status"],
    ),
    (_("Person och samtycke"), ["person", "consent_status", "consent_scope", "consent_date"]),
    (_("Skydd"), ["threat_assessment", "protected_identity", "relocation"]),
    (_("Barn och unga"), ["is_minor", "guardian_contacted", "guardian_contacted_on", "guardian_note"]),
    (_("Erbjuden hjälp och överenskommelse"), ["help_offered", "agreed_follow_up"]),
    (_("Kontaktperson och uppföljning"), ["mentor", "mentor_name", "follow_up_date", "review_date", "notes"]),
]


class PersonChoiceField(forms.ModelChoiceField):
    """Shows the alias only of person entries the user may see; a link made through a referral to an entry
    the user cannot see is shown without its alias."""

    def __init__(self, *args, visible_ids=frozenset(), **kwargs):
        self.visible_ids = set(visible_ids)
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        if obj.pk in self.visible_ids:
            return obj.alias
        return _("Personpost från hänvisning (inte synlig för dig)")


class CaseForm(VersionedModelForm):
    class Meta:
        model = SupportCase
        fields = [
            "pseudonym",
            "intake_route",
            "referred_by",
            "requested_at",
            "first_contact_date",
            "status",
            "person",
            "consent_status",
            "consent_scope",
            "consent_date",
            "threat_assessment",
            "protected_identity",
            "relocation",
            "is_minor",
            "guardian_contacted",
            "guardian_contacted_on",
            "guardian_note",
            "mentor",
            "mentor_name",
            "follow_up_date",
            "review_date",
            "help_offered",
            "agreed_follow_up",
            "notes",
        ]
        widgets = {
            "requested_at": DATE,
            "first_contact_date": DATE,
            "consent_date": DATE,
            "guardian_contacted_on": DATE,
            "follow_up_date": DATE,
            "review_date": DATE,
            "consent_scope": forms.Textarea(attrs={"rows": 2}),
            "guardian_note": forms.Textarea(attrs={"rows": 2}),
            "help_offered": forms.Textarea(attrs={"rows": 3}),
            "agreed_follow_up": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"person": PersonChoiceField}
        help_texts = {
            "review_date": _(
                "Ärendet flaggas för omprövning detta datum om inget händer i det; varje kontakt flyttar "
                "datumet framåt."
            ),
            "follow_up_date": _("När planen ska följas upp med personen."),
        }

    def __init__(self, *args, persons=None, visible_person_ids=(), mentors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(value, CaseStatus(value).label) for value in OPEN_STATUSES]
        person = self.fields["person"]
        person.queryset = persons
        person.visible_ids = set(visible_person_ids)
        person.empty_label = _("Ingen koppling (pseudonymt ärende)")
        self.fields["mentor"].queryset = mentors if mentors is not None else get_user_model().objects.none()
        self.fields["mentor"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        if self.instance._state.adding:
            del self.fields["review_date"]
            self.initial.setdefault("requested_at", timezone.localdate())
        else:
            self.fields["review_date"].required = True
            if self.instance.is_closed:
                del self.fields["status"]

    def sections(self):
        return [
            (title, [self[name] for name in names if name in self.fields]) for title, names in CASE_SECTIONS
        ]


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    outcome = forms.ChoiceField(
        label=_("Utfall"), choices=[(value, CaseStatus(value).label) for value in CLOSED_STATUSES]
    )
    closed_on = forms.DateField(label=_("Avslutat datum"), widget=DATE)
    closing_reason = forms.CharField(
        label=_("Skäl för avslut"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Ange skälet till att ärendet avslutas.")},
    )


class NeedsForm(forms.Form):
    """The needs grid: one status, note and version per domain."""

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.needs = list(needs)
        for need in self.needs:
            label = NeedDomain(need.domain).label
            self.fields[f"status_{need.domain}"] = forms.ChoiceField(
                label=label, choices=NeedStatus.choices, initial=need.status
            )
            self.fields[f"note_{need.domain}"] = forms.CharField(
                label=_("Kommentar om %(domain)s") % {"domain": str(label).lower()},
                required=False,
                max_length=1000,
                initial=need.note,
            )
            self.fields[f"version_{need.domain}"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1, initial=need.version
            )

    def rows(self):
        return [
            (need, self[f"status_{need.domain}"], self[f"note_{need.domain}"], self[f"version_{need.domain}"])
            for need in self.needs
        ]

    def changes(self) -> list[tuple[str, dict, int]]:
        """Only the rows the user changed, so unchanged rows cannot conflict."""
        changed = []
        for need in self.needs:
            status = self.cleaned_data[f"status_{need.domain}"]
            note = self.cleaned_data[f"note_{need.domain}"]
            if (status, note) != (need.status, need.note):
                changed.append(
                    (
                        need.domain,
                        {"status": status, "note": note},
                        self.cleaned_data[f"version_{need.domain}"],
                    )
                )
        return changed


class PlanItemForm(VersionedModelForm):
    class Meta:
        model = PlanItem
        fields = ["domain", "goal", "intervention", "provider", "start", "end", "status"]
        widgets = {"start": DATE, "end": DATE}


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["date", "type", "note"]
        widgets = {"date": DATE, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("date", timezone.localdate())


class FactForm(forms.ModelForm):
    class Meta:
        model = SupportFactDisclosure
        fields = ["fact", "statement_text", "to_organisation", "legal_ground", "legal_ground_text", "purpose"]
        widgets = {
            "legal_ground_text": forms.Textarea(attrs={"rows": 2}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
        }

    expires_at = forms.DateField(
        label=_("Gäller till och med"),
        widget=DATE,
        help_text=_(
            "Uppgiften försvinner för mottagaren efter detta datum. Obligatoriskt: inga utlämnanden gäller "
            "tills vidare, och varje grund har en längsta tid."
        ),
        error_messages={"required": _("Ange när utlämnandet upphör. Inga utlämnanden gäller tills vidare.")},
    )

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = organisations
        self.fields["legal_ground"].choices = Disclosure.LegalGround.choices

    def clean_expires_at(self):
        day = self.cleaned_data.get("expires_at")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("Datumet har redan passerat."))
        return day

    def data_for_service(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        day = self.cleaned_data.get("expires_at")
        # "Valid through" a day: the fact disappears at the start of the next day, local time.
        data["expires_at"] = timezone.make_aware(datetime.combine(day, time.max)) if day else None
        return data


class ExportForm(forms.Form):
    purpose = forms.CharField(
        label=_("Ändamål"),
        max_length=500,
        help_text=_("Varför behövs exporten? Ändamålet sparas i åtkomstloggen för varje ärende."),
    )


INTAKE_CHOICES = [("", _("Alla vägar in")), *IntakeRoute.choices]
