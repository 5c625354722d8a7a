"""The site's list of areas, kept by its coordinator: list, add, rename, aliases, outline, deactivate."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from gvi.partnership import selectors, services
from gvi.partnership.models import Area
from gvi.web.forms import add_errors


class AreaForm(forms.Form):
    name = forms.CharField(label=_lazy("Namn"), max_length=120)
    code = forms.CharField(
        label=_lazy("Kod"),
        max_length=20,
        required=False,
        help_text=_lazy("Valfritt, t.ex. kommunens områdeskod."),
    )
    aliases = forms.CharField(
        label=_lazy("Andra stavningar"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_lazy(
            "En per rad. Importer och API känner igen området även med dessa namn (skiftläge och mellanslag "
            "spelar ingen roll)."
        ),
    )
    outline = forms.CharField(
        label=_lazy("Kontur"),
        required=False,
        max_length=40000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_lazy(
            "Valfritt: punkter [latitud, longitud] i WGS 84 som på incidenterna, t.ex. "
            "[[59.27, 15.20], [59.28, 15.21], [59.27, 15.22]], eller en GeoJSON-polygon. Ritas på kartan."
        ),
    )

    def clean_aliases(self):
        return services.parse_aliases(self.cleaned_data["aliases"])

    def clean_outline(self):
        try:
            return services.parse_outline(self.cleaned_data["outline"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["outline"]) from None


def _initial(area: Area) -> dict:
    import json

    return {
        "name": area.name,
        "code": area.code,
        "aliases": "\n".join(area.aliases or []),
        "outline": json.dumps(area.outline) if area.outline else "",
    }


def _chosen_site(request, sites):
    slug = request.GET.get("plats") or request.POST.get("plats")
    if slug:
        for site in sites:
            if site.slug == slug:
                return site
        raise PermissionDenied
    return sites[0]


@login_required
def area_list(request):
    sites = list(selectors.area_sites(request.user))
    if not sites:
        raise PermissionDenied
    site = _chosen_site(request, sites)
    form = AreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = services.create_area(
                request.user, site, data["name"], data["aliases"], data["code"], data["outline"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Området %(name)s är tillagt.") % {"name": area.name})
            return redirect(f"{request.path}?plats={site.slug}")
    return render(
        request,
        "partnership/area_list.html",
        {"sites": sites, "site": site, "areas": selectors.areas_with_use(site.pk), "form": form},
    )


@login_required
def area_edit(request, pk):
    sites = selectors.area_sites(request.user)
    if not sites.exists():
        raise PermissionDenied
    # another site's area is not found, as another site's records are not
    area = get_object_or_404(Area.objects.select_related("site"), pk=pk, site__in=sites)
    back = f"/omraden/?plats={area.site.slug}"
    action = request.POST.get("action", "save") if request.method == "POST" else None
    form = AreaForm(request.POST if action == "save" else None, initial=_initial(area))
    try:
        if action in {"deactivate", "activate"}:
            services.set_area_active(request.user, area, action == "activate")
            done = _("Området %(name)s är inaktiverat.") if action == "deactivate" else None
            done = done or _("Området %(name)s är aktivt igen.")
            messages.success(request, done % {"name": area.name})
            return redirect(back)
        if action == "delete":
            services.delete_area(request.user, area)
            messages.success(request, _("Området %(name)s är borttaget.") % {"name": area.name})
            return redirect(back)
        if action == "save" and form.is_valid():
            data = form.cleaned_data
            area = services.update_area(
                request.user, area, data["name"], data["aliases"], data["code"], data["outline"]
            )
            messages.success(request, _("Ändringarna är sparade."))
            return redirect(back)
    except ValidationError as error:
        if action == "save":
            add_errors(form, error)
        else:
            for message in error.messages:
                messages.error(request, message)
            return redirect(request.path)
    return render(
        request,
        "partnership/area_form.html",
        {"area": area, "form": form, "back": back, "in_use": area.incidents.exists()},
    )
