import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvi.access.decorators import roles_required
from gvi.analysis.charts import bar_chart
from gvi.evaluation import selectors as s
from gvi.evaluation.models import UnitCost
from gvi.partnership.models import Role, Site

MAX_UPLOAD_BYTES = 1_000_000


def _user_sites(user):
    site_ids = user.memberships.active().exclude(site=None).values_list("site_id", flat=True)
    return list(Site.objects.filter(pk__in=list(site_ids)))


def _chosen_site(request, sites):
    slug = request.GET.get("plats") or request.POST.get("plats")
    if slug:
        for site in sites:
            if site.slug == slug:
                return site
        raise PermissionDenied
    return sites[0] if sites else None


def _series(rows, key):
    return [(row.month, getattr(row, key)) for row in rows]


@roles_required(Role.COORDINATOR, Role.STEERING_MEMBER, Role.ANALYST)
def site_statistics(request):
    """The site dashboard for the four goals. Aggregates only, so the steering group may see it."""
    sites = _user_sites(request.user)
    site = _chosen_site(request, sites)
    context = {"sites": sites, "site": site}
    if site is not None:
        rows = s.violence_by_month(s.site_incidents(request.user, site), months=60)
        serious = _series(rows, "serious")
        group = _series(rows, "group_involved")
        rolling = s.rolling([value for _month, value in serious])
        last, previous = s.last_12_months(rows), s.previous_12_months(rows)
        costs = s.unit_costs(site)
        context.update(
            rows=rows,
            recent_rows=list(reversed(rows[-24:])),
            series=serious,
            bars=bar_chart(serious),
            total=sum(value for _month, value in serious),
            group_series=group,
            group_bars=bar_chart(group),
            rolling_rows=[
                (row.month, value) for row, value in zip(rows, rolling, strict=True) if value is not None
            ][-24:],
            last=last,
            previous=previous,
            costs=costs,
            estimates=s.cost_estimates(last, costs),
            surveys=s.survey_series(site),
            process=s.process_figures(site),
            impact=s.site_impact(rows, site.gvi_start_date),
            may_edit=Role.COORDINATOR in _roles_at(request.user, site),
        )
    return render(request, "evaluation/site_statistics.html", context)


@roles_required(Role.COORDINATOR, Role.STEERING_MEMBER, Role.ANALYST)
def research_export(request):
    """CSV of the site's monthly aggregates for researchers: counts 1–4 suppressed, no person, no row."""
    sites = _user_sites(request.user)
    site = _chosen_site(request, sites)
    if site is None:
        raise PermissionDenied
    rows = s.violence_by_month(s.site_incidents(request.user, site), months=60)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gvi-{site.slug}-manadsdata.csv"'
    writer = csv.writer(response)
    writer.writerows(s.research_rows(site, rows))
    return response


@roles_required(Role.COORDINATOR, Role.STEERING_MEMBER, Role.ANALYST)
def report(request):
    """The steering group's report as a PDF: the dashboard's aggregates and the impact reading."""
    from gvi.evaluation.report_pdf import report_pdf

    sites = _user_sites(request.user)
    site = _chosen_site(request, sites)
    if site is None:
        raise PermissionDenied
    rows = s.violence_by_month(s.site_incidents(request.user, site), months=60)
    last, previous = s.last_12_months(rows), s.previous_12_months(rows)
    impact = s.site_impact(rows, site.gvi_start_date)
    pdf = report_pdf(
        site,
        last,
        previous,
        s.cost_estimates(last, s.unit_costs(site)),
        impact.result.reading if impact.result else impact.reason,
        s.survey_series(site),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="gvi-{site.slug}-uppfoljning.pdf"'
    return response


def _roles_at(user, site) -> set[str]:
    return set(user.memberships.active().filter(site=site).values_list("role", flat=True))


@roles_required(Role.COORDINATOR)
def settings(request):
    """The coordinator sets the site's unit costs and imports perceived-safety survey series."""
    sites = [site for site in _user_sites(request.user) if Role.COORDINATOR in _roles_at(request.user, site)]
    if not sites:
        raise PermissionDenied
    site = _chosen_site(request, sites)
    if request.method == "POST" and request.POST.get("action") == "costs":
        errors = _save_costs(request, site)
        if not errors:
            messages.success(request, _("Enhetskostnaderna är sparade."))
            return redirect(f"{request.path}?plats={site.slug}")
        for error in errors:
            messages.error(request, error)
    elif request.method == "POST" and request.POST.get("action") == "survey":
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("Välj en CSV-fil på högst 1 MB."))
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                text = None
                messages.error(request, _("Filen måste vara UTF-8-kodad CSV."))
            if text is not None:
                result = s.import_survey_csv(site, text)
                for error in result.errors:
                    messages.error(request, error)
                if not result.errors:
                    messages.success(request, _("%(n)s värden importerades.") % {"n": result.saved})
                    return redirect(f"{request.path}?plats={site.slug}")
    return render(
        request,
        "evaluation/settings.html",
        {"sites": sites, "site": site, "costs": s.unit_costs(site), "surveys": s.survey_series(site)},
    )


def _save_costs(request, site) -> list[str]:
    errors, updates = [], []
    for key in UnitCost.Key:
        raw = request.POST.get(f"value_{key.value}", "").replace(" ", "").replace("\u00a0", "").strip()
        source = request.POST.get(f"source_{key.value}", "").strip()[:300]
        if not raw:
            updates.append((key, None, ""))
            continue
        if not raw.isdigit() or len(raw) > 14:
            errors.append(_("%(label)s: ange ett heltal i kronor.") % {"label": key.label})
            continue
        if not source:
            errors.append(_("%(label)s: ange källan till värdet.") % {"label": key.label})
            continue
        updates.append((key, int(raw), source))
    if errors:
        return errors
    with transaction.atomic():
        for key, value, source in updates:
            if value is None:
                UnitCost.objects.filter(site=site, key=key).delete()
            else:
                UnitCost.objects.update_or_create(
                    site=site, key=key, defaults={"value": value, "source": source}
                )
    return []


@roles_required(Role.NATIONAL_ANALYST)
def national_statistics(request):
    from gvi.support.selectors import national_support_table

    rows, years = s.national_table()
    return render(
        request,
        "evaluation/national.html",
        {"rows": rows, "years": years, "support_rows": national_support_table()},
    )
