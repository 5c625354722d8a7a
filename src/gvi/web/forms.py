"""Forms and the one way a page saves one: run the service, and turn what it raises into the form again.

`save_form` catches the union of what the services raise: a stale version (`EditConflict`, a 409 page with
the conflict box, templates/includes/_conflict.html), a model or business-rule error (`ValidationError`,
shown on the form) and a refusal (`PermissionDenied`, shown on the form with status 403).
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvi.access.services import EditConflict


class VersionedModelForm(forms.ModelForm):
    """Carries the version the user started from, so a stale save becomes a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    m2m_names: tuple[str, ...] = ()  # many-to-many fields the service saves itself (not in `changes`)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.instance.pk and not version:
            raise forms.ValidationError(_("Formuläret saknar version. Ladda om sidan."))
        return version

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name in self.cleaned_data and name not in self.m2m_names
        }


def add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: per field where the form has that field, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def save_form(
    request,
    form,
    save: Callable,
    template: str,
    context: dict,
    success: Callable | str,
    *,
    render: Callable = render,
):
    """Run `save` (a service call with the form's data) and redirect to `success` (a URL, or a function of
    the saved record giving one) with "Ändringarna är sparade.". A conflict renders `template` with
    `conflict` (409), a ValidationError the form with its errors, a refusal the form with the refusal's
    message (403). `render` lets an app add its own context (as communication's navigation)."""
    try:
        record = save()
    except EditConflict as conflict:
        return render(request, template, {**context, "form": form, "conflict": conflict}, status=409)
    except ValidationError as error:
        add_errors(form, error)
        return render(request, template, {**context, "form": form})
    except PermissionDenied as error:
        form.add_error(None, str(error))
        return render(request, template, {**context, "form": form}, status=403)
    messages.success(request, _("Ändringarna är sparade."))
    return redirect(success(record) if callable(success) else success)


def conflict_page(request, conflict: EditConflict, back_url: str, *, render: Callable = render):
    """A whole page for a conflict outside a form (a button that saves): the conflict box and a link back."""
    return render(request, "conflict.html", {"conflict": conflict, "back_url": back_url}, status=409)
