from django import forms

from gvi.groups.models import Person


class VersionedModelForm(forms.ModelForm):
    """Carries the version the user started from, so a stale save becomes a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class PersonForm(VersionedModelForm):
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
        widgets = {
            "review_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
