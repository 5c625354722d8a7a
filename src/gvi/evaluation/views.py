import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from gvi.access.decorators import roles_required
from gvi.analysis.charts import bar_chart, impact_chart
from gvi.evaluation import selectors as s
from gvi.evaluation import services
from gvi.evaluation.models import AggregatePackage, ImpactModel, UnitCost
from gvi.evaluation.tasks import IMPORT_KINDS, run_import
from gvi.operations import imports
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
        incidents = s.site_incidents(request.user, site)
        impact = s.site_impact(rows, site.gvi_start_date, site=site)
        points = s.impact_points(rows, impact)
        areas = s.violence_by_area(incidents)
        police = s.police_hours(site, incidents, [row.month for row in rows[-12:]])
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
            estimates=s.cost_estimates(last, costs, police),
            police=police,
            surveys=s.survey_series(site),
            process=s.process_figures(site),
            impact=impact,
            impact_points=points,
            impact_chart=impact_chart(
                [(p.month, p.observed) for p in points],
                [p.fitted for p in points],
                [p.counterfactual for p in points],
            )
            if points
            else None,
            comparison=s.site_comparison(
                rows, site.gvi_start_date, s.comparison_series(request.user, site, months=60)
            ),
            areas=areas,
            area_series=[(row.area, row.last) for row in areas],
            area_bars=bar_chart([(row.area, row.last) for row in areas]),
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
    impact = s.site_impact(rows, site.gvi_start_date, site=site)
    police = s.police_hours(site, s.site_incidents(request.user, site), [row.month for row in rows[-12:]])
    pdf = report_pdf(
        site,
        last,
        previous,
        s.cost_estimates(last, s.unit_costs(site), police),
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
    elif request.method == "POST" and request.POST.get("action") == "model":
        change = request.POST.get("change", "")
        if change not in ImpactModel.Change.values:
            messages.error(request, _("Välj vilken förändring modellen ska skatta."))
        else:
            services.specify_impact_model(
                site,
                change,
                seasonality=request.POST.get("seasonality") == "on",
                comparison=request.POST.get("comparison") == "on",
                note=request.POST.get("note", ""),
                by=request.user.get_username(),
            )
            messages.success(request, _("Effektmodellen är nedskriven med dagens datum."))
            return redirect(f"{request.path}?plats={site.slug}")
    elif request.method == "POST" and request.POST.get("action") in {"survey", "hours", "population"}:
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("Välj en CSV- eller Excel-fil (.xlsx) på högst 1 MB."))
        else:
            job = imports.start(
                run_import,
                user=request.user,
                site=site,
                kind=f"evaluation:{request.POST['action']}",
                file_name=upload.name,
                content=upload.read(),
            )
            return redirect("evaluation:import_job", job=job.public_id)
    return render(
        request,
        "evaluation/settings.html",
        {
            "sites": sites,
            "site": site,
            "costs": s.unit_costs(site),
            "surveys": s.survey_series(site),
            "hours": site.investigation_hours.all()[:500],
            "population": site.population_figures.all()[:500],
            "impact_model": ImpactModel.objects.filter(site=site).first(),
            "changes": ImpactModel.Change.choices,
        },
    )


SHOWN_ERRORS = 50
IMPORT_TITLES = {
    "evaluation:survey": _lazy("Import av trygghetsmätning"),
    "evaluation:hours": _lazy("Import av utredningstimmar"),
    "evaluation:population": _lazy("Import av folkmängd"),
}


@login_required
def import_job(request, job):
    """One of the user's own imports: its progress while the worker runs it, then its outcome."""
    found = imports.job_for(request.user, job, IMPORT_KINDS)
    if found is None:
        raise Http404
    if Role.COORDINATOR not in _roles_at(request.user, found.site):
        raise PermissionDenied
    state = imports.state(found)
    outcome = imports.outcome_of(found) if state == imports.DONE else None
    errors = (outcome or {}).get("errors", [])
    progress = imports.progress_of(found) if state in {imports.QUEUED, imports.RUNNING} else None
    return render(
        request,
        "evaluation/import_job.html",
        {
            "job": found,
            "title": IMPORT_TITLES[found.kind],
            "state": state,
            "progress": progress,
            "outcome": outcome,
            "shown_errors": errors[:SHOWN_ERRORS],
            "hidden_errors": max(0, len(errors) - SHOWN_ERRORS),
        },
    )


def _save_costs(request, site) -> list[str]:
    return services.save_unit_costs(
        site,
        {
            key.value: (
                request.POST.get(f"value_{key.value}", ""),
                request.POST.get(f"source_{key.value}", ""),
            )
            for key in UnitCost.Key
        },
    )


@roles_required(Role.NATIONAL_ANALYST)
def national_statistics(request):
    from gvi.support.selectors import national_support_table

    rows, years = s.national_table()
    return render(
        request,
        "evaluation/national.html",
        {
            "rows": rows,
            "years": years,
            "support_rows": national_support_table(),
            "packages": AggregatePackage.objects.all()[:20],
        },
    )


def _choice(request, name: str, options: list, default):
    raw = request.GET.get(name)
    for option in options:
        if str(option) == raw:
            return option
    return default


@roles_required(Role.NATIONAL_ANALYST)
def national_monthly(request):
    """Per site and month for one year and indicator, with totals: this installation's sites and the
    tables imported from other installations. Primary and secondary suppression; aggregates only."""
    indicators = list(s.NATIONAL_INDICATORS)
    indicator = _choice(request, "indikator", indicators, "serious")
    years = sorted(set(s.national_years()) | set(_imported_years()), reverse=True)
    year = _choice(request, "ar", years, years[0] if years else None)
    local = s.national_month_table(indicator, year) if year is not None else None
    return render(
        request,
        "evaluation/national_monthly.html",
        {
            "indicators": [(key, label) for key, (label, _q) in s.NATIONAL_INDICATORS.items()],
            "indicator": indicator,
            "years": years,
            "year": year,
            "local": local,
            "imported": s.imported_tables(indicator, year) if year is not None else [],
        },
    )


def _imported_years() -> list[int]:
    from gvi.evaluation.models import ImportedAggregate

    periods = ImportedAggregate.objects.values_list("period", flat=True).distinct()
    return sorted({int(period[:4]) for period in periods})


@roles_required(Role.NATIONAL_ANALYST)
def national_import(request):
    """The national analyst uploads a signed aggregate package from another installation."""
    from gvi.evaluation.aggregate_package import MAX_PACKAGE_BYTES, PackageError, load_trusted_keys

    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_PACKAGE_BYTES:
            messages.error(request, _("Välj ett aggregatpaket (.json) på högst 5 MB."))
        else:
            try:
                outcome = services.import_aggregate_package(
                    upload.read(), load_trusted_keys(), imported_by=request.user.get_username()
                )
            except PackageError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("Paketet från %(installation)s är verifierat och importerat: %(n)s värden.")
                    % {"installation": outcome.package.installation, "n": outcome.values},
                )
                return redirect("evaluation:national_import")
    return render(
        request, "evaluation/national_import.html", {"packages": AggregatePackage.objects.all()[:50]}
    )
