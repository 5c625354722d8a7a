from django import forms
from django.utils.translation import gettext_lazy as _

from gvi.communication.models import (
    CallIn,
    CallInInvitation,
    CallInSpeaker,
    CommunicationBack,
    Notification,
)
from gvi.groups.forms import DATE
from gvi.groups.models import Group
from gvi.incidents.forms import DATETIME
from gvi.partnership.models import Organisation
from gvi.web.forms import VersionedModelForm

CHECKBOXES = forms.CheckboxSelectMultiple


def _site_organisations(site):
    if site is None:
        return Organisation.objects.none()
    return site.organisations.exclude(type__in=[Organisation.Type.NATIONAL, Organisation.Type.OPERATOR])


# ----- call-ins -----


class CallInForm(VersionedModelForm):
    target_groups = forms.ModelMultipleChoiceField(
        label=_("Målgrupper"), queryset=Group.objects.none(), required=False, widget=CHECKBOXES
    )

    class Meta:
        model = CallIn
        fields = ["title", "starts_at", "place", "status", "service_providers", "notes"]
        widgets = {
            "starts_at": DATETIME,
            "service_providers": forms.Textarea(attrs={"rows": 4}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    # The form's own fields by section; the parts (speakers, checklist, message points) are sections of
    # their own between them (see section_list). One form, one POST: the sections only make it readable.
    SECTIONS = {
        "tid-och-plats": (_("Tid och plats"), ["title", "starts_at", "place", "status"]),
        "malgrupper": (_("Målgrupper och stödaktörer"), ["target_groups", "service_providers"]),
        "anteckningar": (_("Anteckningar"), ["notes"]),
    }

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_groups"].queryset = groups if groups is not None else Group.objects.none()
        if self.instance.pk and not self.is_bound:
            self.initial["target_groups"] = list(self.instance.target_groups.values_list("pk", flat=True))

    def section(self, key: str) -> dict:
        title, names = self.SECTIONS[key]
        fields = [self[name] for name in names if name in self.fields]
        return {"id": key, "title": title, "fields": fields, "has_errors": any(f.errors for f in fields)}


class _PartForm(forms.Form):
    """One row of a call-in part; a blank row is ignored (emptying a row removes it), and so is a row
    with 'Ta bort' ticked."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class SpeakerForm(_PartForm):
    category = forms.ChoiceField(
        label=_("Kategori"), choices=[("", "---------")] + CallInSpeaker.Category.choices, required=False
    )
    name = forms.CharField(label=_("Namn"), max_length=120, required=False)
    organisation = forms.CharField(label=_("Organisation eller roll"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("category") and not data.get("DELETE"):
            if data.get("name") or data.get("organisation") or data.get("id"):
                self.add_error("category", _("Välj talarens kategori."))
        return data


class ChecklistItemForm(_PartForm):
    text = forms.CharField(label=_("Förberedelse"), max_length=300, required=False)
    responsible = forms.ModelChoiceField(
        label=_("Ansvarig organisation"), queryset=Organisation.objects.none(), required=False
    )
    due_date = forms.DateField(label=_("Klart senast"), required=False, widget=DATE)
    done = forms.BooleanField(label=_("Klar"), required=False)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )

    def clean(self):
        data = super().clean()
        if not data.get("text") and not data.get("DELETE"):
            if data.get("responsible") or data.get("due_date") or data.get("done"):
                self.add_error("text", _("Skriv vad som ska förberedas, eller ta bort raden."))
        return data


class MessagePointForm(_PartForm):
    # "Töm texten för att ta bort punkten." is said once, above the rows (callin_form.html).
    text = forms.CharField(label=_("Budskap"), max_length=500, required=False)


SpeakerFormSet = forms.formset_factory(SpeakerForm, extra=2, can_delete=True, max_num=40, validate_max=True)
ChecklistFormSet = forms.formset_factory(
    ChecklistItemForm, extra=2, can_delete=True, max_num=60, validate_max=True
)
MessagePointFormSet = forms.formset_factory(
    MessagePointForm, extra=2, can_delete=True, max_num=30, validate_max=True
)

PART_FORMSETS = {
    # kind (services.PART_MODELS) -> (formset class, prefix, fields copied from a row)
    "speakers": (SpeakerFormSet, "talare", ("category", "name", "organisation")),
    "checklist": (ChecklistFormSet, "checklista", ("text", "responsible", "due_date", "done")),
    "message_points": (MessagePointFormSet, "budskap", ("text",)),
}


PART_SECTIONS = {
    # kind -> (section id, heading)
    "speakers": ("talare", _("Talare")),
    "checklist": ("checklista", _("Checklista inför mötet")),
    "message_points": ("budskap", _("Budskapet")),
}


def callin_sections(form: CallInForm, formsets: dict) -> list[dict]:
    """The call-in form's sections in order, each with an id (for the list of contents), a heading and
    whether it holds an error: the form's own fields first, then speakers, checklist and message points,
    and the notes last."""
    sections = [form.section("tid-och-plats"), form.section("malgrupper")]
    for kind, (key, title) in PART_SECTIONS.items():
        formset = formsets[kind]
        has_errors = formset.is_bound and (
            bool(formset.non_form_errors()) or any(row.errors for row in formset.forms)
        )
        sections.append(
            {"id": key, "title": title, "formset": formset, "kind": kind, "has_errors": has_errors}
        )
    sections.append(form.section("anteckningar"))
    return sections


def part_formsets(data=None, call_in: CallIn | None = None, site=None, defaults: dict | None = None) -> dict:
    """The three part formsets for a call-in form, filled from the call-in (or from `defaults`)."""
    formsets = {}
    for kind, (formset_class, prefix, names) in PART_FORMSETS.items():
        if call_in is not None:
            rows = getattr(call_in, kind).all()  # related names equal the kinds
            initial = [{"id": row.pk, **{name: getattr(row, name) for name in names}} for row in rows]
        else:
            initial = (defaults or {}).get(kind, [])
        kwargs = {"form_kwargs": {"organisations": _site_organisations(site)}} if kind == "checklist" else {}
        formsets[kind] = formset_class(data, initial=initial, prefix=prefix, **kwargs)
    return formsets


def parts_from(formsets: dict) -> dict[str, list[dict]]:
    """Rows to keep, in order, for services.update_call_in(parts=...)."""
    parts = {}
    for kind, formset in formsets.items():
        names = PART_FORMSETS[kind][2]
        rows = []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            row = {name: data.get(name) for name in names}
            if not any(row.values()):
                continue  # a blank row
            if data.get("id"):
                row["id"] = data["id"]
            rows.append(row)
        parts[kind] = rows
    return parts


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ChecklistDoneForm(VersionForm):
    done = forms.TypedMultipleChoiceField(
        label=_("Klara"), coerce=int, required=False, choices=[], widget=CHECKBOXES
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].choices = [(item.pk, item.text) for item in items]


TRI_STATE = [("", _("Ej registrerat")), ("yes", _("Ja")), ("no", _("Nej"))]


class CallInOutcomeForm(VersionForm):
    """After the call-in: delivered message points, attendance of the invitations the user may change."""

    notes = forms.CharField(
        label=_("Anteckningar"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=CallIn._meta.get_field("notes").help_text,
    )

    def __init__(self, *args, points=(), invitations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.points = list(points)
        self.invitations = list(invitations)
        for point in self.points:
            self.fields[f"point_{point.pk}"] = forms.ChoiceField(
                label=point.text, choices=TRI_STATE, required=False, widget=forms.RadioSelect
            )
            if not self.is_bound:
                self.initial[f"point_{point.pk}"] = {True: "yes", False: "no"}.get(point.delivered, "")
        for invitation in self.invitations:
            self.fields[f"attended_{invitation.pk}"] = forms.ChoiceField(
                label=invitation.person.alias,
                choices=CallInInvitation.Attendance.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"version_{invitation.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1
            )
            if not self.is_bound:
                self.initial[f"attended_{invitation.pk}"] = invitation.attended
                self.initial[f"version_{invitation.pk}"] = invitation.version

    def point_fields(self):
        return [self[f"point_{point.pk}"] for point in self.points]

    def attendance_fields(self):
        return [(self[f"attended_{i.pk}"], self[f"version_{i.pk}"]) for i in self.invitations]

    def delivered(self) -> dict[int, bool | None]:
        values = {"yes": True, "no": False}
        return {
            point.pk: values.get(self.cleaned_data.get(f"point_{point.pk}") or "") for point in self.points
        }

    def attendance(self) -> dict[int, tuple[str, int]]:
        return {
            i.pk: (self.cleaned_data[f"attended_{i.pk}"], self.cleaned_data[f"version_{i.pk}"])
            for i in self.invitations
        }


class InvitationForm(VersionedModelForm):
    class Meta:
        model = CallInInvitation
        fields = [
            "person",
            "channel",
            "attended",
            "follow_up",
            "follow_up_done",
            "asked_for_help",
            "attendee_tasks",
        ]
        widgets = {
            "follow_up": forms.Textarea(attrs={"rows": 3}),
            "attendee_tasks": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "asked_for_help": _(
                "Personen bad om hjälp på stormötet. En hänvisning skickas till stödverksamheten "
                "(socialtjänsten); själva stödärendet syns inte här."
            ),
        }

    def __init__(self, *args, persons=None, call_in=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["person"].disabled = True
            self.fields["person"].queryset = type(self.instance.person).unscoped_all_sites.filter(
                pk=self.instance.person_id
            )
        else:
            self.fields["person"].queryset = persons
            for name in ("attended", "follow_up_done", "asked_for_help"):
                self.fields.pop(name)
        self.fields["person"].label_from_instance = lambda person: person.alias


# ----- notifications -----


class NotificationForm(VersionedModelForm):
    """Plan a notification (or correct one). The outcome is recorded with NotificationOutcomeForm."""

    delivering_organisations = forms.ModelMultipleChoiceField(
        label=_("Organisationer som framför budskapet"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=CHECKBOXES,
    )

    class Meta:
        model = Notification
        fields = [
            "person",
            "date",
            "place",
            "delivered_by",
            "message_version",
            "legal_risk_statement",
            "help_offered",
            "notes",
        ]
        widgets = {
            "date": DATE,
            "legal_risk_statement": forms.Textarea(attrs={"rows": 3}),
            "help_offered": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, persons=None, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["person"].disabled = True
            self.fields["person"].queryset = type(self.instance.person).unscoped_all_sites.filter(
                pk=self.instance.person_id
            )
            if not self.is_bound:
                self.initial["delivering_organisations"] = list(
                    self.instance.delivering_organisations.values_list("pk", flat=True)
                )
        else:
            self.fields["person"].queryset = persons
        self.fields["person"].label_from_instance = lambda person: person.alias
        self.fields["delivering_organisations"].queryset = _site_organisations(site)


class NotificationOutcomeForm(VersionedModelForm):
    class Meta:
        model = Notification
        fields = ["date", "outcome", "family_present", "help_offered", "asked_for_help", "follow_up", "notes"]
        widgets = {
            "date": DATE,
            "help_offered": forms.Textarea(attrs={"rows": 3}),
            "follow_up": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "asked_for_help": _(
                "Personen bad om hjälp under samtalet. En hänvisning skickas till stödverksamheten "
                "(socialtjänsten); själva stödärendet syns inte här."
            ),
        }


# ----- communicating back -----


class CommunicationBackForm(VersionedModelForm):
    audience_groups = forms.ModelMultipleChoiceField(
        label=_("Mottagande grupper"),
        queryset=Group.objects.none(),
        widget=CHECKBOXES,
        error_messages={"required": _("Välj minst en mottagande grupp.")},
    )

    class Meta:
        model = CommunicationBack
        fields = ["date", "channel", "call_in", "refers_to_incident", "message"]
        widgets = {"date": DATE, "message": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, groups=None, call_ins=None, incidents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_groups"].queryset = groups if groups is not None else Group.objects.none()
        self.fields["call_in"].queryset = call_ins if call_ins is not None else CallIn.objects.none()
        self.fields["refers_to_incident"].queryset = incidents
        if self.instance.pk and not self.is_bound:
            self.initial["audience_groups"] = list(self.instance.audience_groups.values_list("pk", flat=True))


class FilterForm(forms.Form):
    """List filters; invalid values are ignored, not shown as errors."""

    q = forms.CharField(label=_("Sök alias"), required=False, max_length=100)
    utfall = forms.ChoiceField(
        label=_("Utfall"), required=False, choices=[("", _("Alla"))] + Notification.Outcome.choices
    )
    grupp = forms.IntegerField(label=_("Grupp"), required=False, min_value=1, max_value=2**62)

    def values(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
