"""Forms of the governance cycle: meetings, agenda points, decisions and tasks."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from gvi.partnership import selectors
from gvi.partnership.models import AgendaItem, Decision, Meeting, Task
from gvi.web.forms import VersionedModelForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return selectors.display_name(obj)


class MeetingForm(VersionedModelForm):
    m2m_names = ("participants",)

    class Meta:
        model = Meeting
        fields = ["type", "starts_at", "place", "chair", "participants", "attendees", "notes"]
        field_classes = {"chair": UserChoiceField}
        widgets = {
            "starts_at": DATETIME,
            "participants": forms.CheckboxSelectMultiple,
            "attendees": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        user_ids = selectors.members_at(site).values_list("user_id", flat=True)
        self.fields["chair"].queryset = get_user_model().objects.filter(pk__in=user_ids).order_by("username")
        self.fields["participants"].queryset = selectors.organisations_at(site)
        if self.instance.pk:
            # The type decides what the agenda may contain; it is fixed once the meeting exists.
            self.fields["type"].disabled = True


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Rubrik"), max_length=300)
    summary = forms.CharField(
        label=_("Beskrivning"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["agenda_item", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"text": _("Skriv inga uppgifter om enskilda personer.")}

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Decisions are the partnership's: they are filed under its points, not an organisation's own.
        self.fields["agenda_item"].queryset = AgendaItem.objects.filter(
            meeting=meeting, audience__isnull=True
        )
        self.fields["agenda_item"].empty_label = _("Ingen särskild punkt")


class ResponsibleField(forms.ChoiceField):
    """Members at the site, grouped by organisation (<optgroup>), so the choice follows the owner."""

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        grouped: dict = {}
        self.users = {}
        for membership in memberships:
            label = membership.organisation.short_name
            options = grouped.setdefault(label, [])
            value = str(membership.user_id)
            if (value, selectors.display_name(membership.user)) not in options:
                options.append((value, selectors.display_name(membership.user)))
            self.users[value] = membership.user
        self.choices = [("", "---------"), *grouped.items()]

    def clean(self, value):
        value = super().clean(value)
        return self.users.get(value) if value else None


class TaskForm(VersionedModelForm):
    class Meta:
        model = Task
        fields = ["title", "owner", "responsible", "due_date", "group", "note"]
        widgets = {"due_date": DATE, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, site=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        memberships = list(selectors.members_at(site))
        self.fields["owner"].queryset = selectors.organisations_at(site)
        self.fields["responsible"] = ResponsibleField(
            label=_("Ansvarig person"),
            memberships=memberships,
            help_text=_("Välj bland den ansvariga organisationens medlemmar på platsen."),
        )
        if self.instance.pk and self.instance.responsible_id and not self.is_bound:
            self.initial["responsible"] = str(self.instance.responsible_id)
        if groups is None:
            del self.fields["group"]  # the user may not see the group: it is neither shown nor changed
        else:
            self.fields["group"].queryset = groups
            self.fields["group"].empty_label = _("Ingen grupp")
        # Lets meeting.js limit the responsible list to the chosen organisation's members.
        self.fields["owner"].widget.attrs["data-owner-select"] = "responsible"
        self.fields["responsible"].widget.attrs["data-organisations"] = ",".join(
            f"{m.user_id}:{m.organisation_id}" for m in memberships
        )


class TaskEditForm(TaskForm):
    class Meta(TaskForm.Meta):
        fields = ["title", "owner", "responsible", "due_date", "status", "group", "note"]


class StatusForm(forms.Form):
    """A status change from a list or a button: the version guards against stale pages."""

    status = forms.CharField(max_length=20)
    version = forms.IntegerField(min_value=1)
