from django import forms
from django.utils.translation import gettext_lazy as _

from gvi.groups.models import Group, GroupMembership, GroupRelation, MembershipCriterion, Person
from gvi.partnership.models import Organisation
from gvi.web.forms import VersionedModelForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(VersionedModelForm):
    personal_number = forms.CharField(
        label=_("Personnummer eller samordningsnummer"),
        required=False,
        max_length=20,
        help_text=_(
            "Valfritt. Lagras aldrig i klartext. Lämna tomt för att behålla ett registrerat nummer; "
            "skriv 'ta bort' för att radera det."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Person
        fields = [
            "alias",
            "birth_year",
            "age_band",
            "is_minor",
            "is_suspected_perpetrator",
            "is_victim",
            "is_at_risk",
            "review_date",
            "notes",
        ]
        widgets = {"review_date": DATE, "notes": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"review_date": _("Lämna tomt för standardtiden (kortare för personer under 18).")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_date"].required = not self.instance._state.adding

    def personal_number_change(self) -> str | None:
        """None keeps the stored number, "" removes it, anything else replaces it."""
        value = (self.cleaned_data.get("personal_number") or "").strip()
        if not value:
            return None
        return "" if value.lower() in {"ta bort", "remove"} else value


class GroupForm(VersionedModelForm):
    class Meta:
        model = Group
        fields = [
            "name",
            "aliases",
            "area",
            "status",
            "size_min",
            "size_max",
            "violence_tier",
            "sources",
            "last_reviewed",
            "next_review",
        ]
        widgets = {"last_reviewed": DATE, "next_review": DATE, "sources": forms.Textarea(attrs={"rows": 3})}


class MembershipForm(VersionedModelForm):
    criteria = forms.MultipleChoiceField(
        label=_("Grund för registrering"),
        choices=MembershipCriterion.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Ange minst en grund för registreringen.")},
    )

    class Meta:
        model = GroupMembership
        fields = [
            "person",
            "group",
            "role",
            "valid_from",
            "valid_to",
            "criteria",
            "evidence_note",
            "source_organisation",
            "confidence",
            "review_date",
        ]
        widgets = {
            "valid_from": DATE,
            "valid_to": DATE,
            "review_date": DATE,
            "evidence_note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"review_date": _("Lämna tomt för standardtiden (kortare för personer under 18).")}

    def __init__(self, *args, persons=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons
        self.fields["group"].queryset = groups
        self.fields["source_organisation"].queryset = Organisation.objects.exclude(
            type__in=[Organisation.Type.NATIONAL, Organisation.Type.OPERATOR]
        )
        self.fields["review_date"].required = not self.instance._state.adding
        if not self.instance._state.adding:
            self.fields["person"].disabled = True
            self.fields["group"].disabled = True


class RelationForm(VersionedModelForm):
    class Meta:
        model = GroupRelation
        fields = [
            "group_a",
            "group_b",
            "type",
            "intensity",
            "since",
            "last_evidence",
            "confidence",
            "basis",
            "review_date",
        ]
        widgets = {
            "since": DATE,
            "last_evidence": DATE,
            "review_date": DATE,
            "basis": forms.Textarea(attrs={"rows": 3}),
            "intensity": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group_a"].queryset = groups
        self.fields["group_b"].queryset = groups
        self.fields["review_date"].required = not self.instance._state.adding


class ConfirmVersionForm(forms.Form):
    """Removal and review confirmation: only the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EntryRejectForm(ConfirmVersionForm):
    """Rejecting a proposed entry: the reason is required and stays on the entry until it is purged."""

    reason = forms.CharField(
        label=_("Skäl för avslag"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Ange skälet till avslaget.")},
    )


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("Ändamål"),
        max_length=500,
        help_text=_("Varför behöver du se personnumret? Ändamålet loggas."),
    )


class AuditRoundForm(forms.Form):
    held_on = forms.DateField(label=_("Datum"), widget=DATE)
    participants = forms.ModelMultipleChoiceField(
        label=_("Deltagande organisationer"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Anteckning"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = (
            site.organisations.all() if site else Organisation.objects.none()
        )
