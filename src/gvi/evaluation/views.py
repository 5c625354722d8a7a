from django.shortcuts import render

from gvi.access.decorators import roles_required
from gvi.analysis.charts import bar_chart
from gvi.evaluation.selectors import monthly_incident_counts, national_table
from gvi.incidents.models import Incident
from gvi.partnership.models import Role


@roles_required(Role.COORDINATOR, Role.STEERING_MEMBER, Role.ANALYST)
def site_statistics(request):
    """Monthly serious incidents at the user's sites: aggregate only, so the steering group may see it."""
    site_ids = request.user.memberships.active().exclude(site=None).values_list("site_id", flat=True)
    series = monthly_incident_counts(Incident.objects.filter(site_id__in=list(site_ids)))
    return render(
        request,
        "evaluation/site_statistics.html",
        {"series": series, "bars": bar_chart(series), "total": sum(v for _, v in series)},
    )


@roles_required(Role.NATIONAL_ANALYST)
def national_statistics(request):
    from gvi.support.selectors import national_support_table

    rows, years = national_table()
    return render(
        request,
        "evaluation/national.html",
        {"rows": rows, "years": years, "support_rows": national_support_table()},
    )
