"""Survey import from Excel, imported investigation hours ("faktiska" vs "uppskattade"), violence per area,
the fitted-versus-counterfactual chart, the difference-in-differences comparison and the demo series."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from gvi.evaluation import selectors as s
from gvi.evaluation import services
from gvi.evaluation.models import InvestigationHours, SurveyValue, UnitCost
from gvi.incidents.models import Incident
from gvi.operations.worker import run_ready_tasks
from gvi.partnership.models import Role
from tests.clock import moment_in_month, month_start
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    site_area,
    verified_login,
)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def site(db):
    site = SiteFactory()
    for name in ("Centrum", "Norr", "Söder"):  # survey rows name one of the site's areas
        site_area(site, name)
    return site


def test_survey_excel_import_and_its_row_and_column_errors(site):
    good = xlsx(
        [["area", "year", "indicator", "value", "source"], ["Centrum", 2024, "Otrygg", 31.5, "NTU"], []]
    )
    assert services.import_survey_file(site, "t.xlsx", good).saved == 1
    assert SurveyValue.objects.get().value == Decimal("31.50")
    bad = xlsx(
        [
            ["Area", "Year", "Indicator", "Value", "Source"],
            ["Norr", 2025, "Otrygg", 20, "NTU"],
            ["Söder", "tjugo", "Otrygg", "x", ""],
        ]
    )
    result = services.import_survey_file(site, "t.xlsx", bad)
    assert result.saved == 0
    assert "Rad 3, kolumn source: värdet saknas." in result.errors
    assert any(e.startswith("Rad 3, kolumn year:") for e in result.errors)
    assert any(e.startswith("Rad 3, kolumn value:") for e in result.errors)
    assert not SurveyValue.objects.filter(area="Norr").exists()  # all or nothing
    assert services.import_survey_file(site, "t.xlsx", b"not a workbook").errors[0].startswith("Filen kunde")
    assert "Kolumner saknas" in services.import_survey_file(site, "t.xlsx", xlsx([["area"]])).errors[0]


def test_hours_import_validates_every_cell_and_replaces_on_reimport(site):
    csv = (
        "incident_type;year;month;hours;source\nshooting;2026;3;120,5;Polisen\nSkjutning;2025;;1200;Polisen\n"
    )
    assert services.import_hours_file(site, "h.csv", csv.encode()).saved == 2
    again = "incident_type,year,month,hours,source\nshooting,2026,3,130,Polisen NOA\n"
    assert services.import_hours_file(site, "h.csv", again.encode()).saved == 1
    assert InvestigationHours.objects.get(year=2026).hours == Decimal("130.0")
    bad = "incident_type,year,month,hours,source\nexplosion,2026,13,-1,X\nokänd,2026,,5,X\n"
    result = services.import_hours_file(site, "h.csv", bad.encode())
    assert result.saved == 0 and len(result.errors) == 3
    assert result.errors[0].startswith("Rad 2, kolumn month:") and result.errors[1].startswith(
        "Rad 2, kolumn hours:"
    )
    assert result.errors[2].startswith("Rad 3, kolumn incident_type:")
    assert InvestigationHours.objects.count() == 2


def test_actual_hours_replace_the_estimate_where_present(site):
    police = OrganisationFactory()
    for month, kind in [
        (1, Incident.Type.SHOOTING),
        (1, Incident.Type.EXPLOSION),
        (2, Incident.Type.SHOOTING),
    ]:
        IncidentFactory(
            site=site, owner=police, type=kind, occurred_at=datetime(2026, month, 5, 12, tzinfo=UTC)
        )
    InvestigationHours.objects.create(
        site=site, incident_type="shooting", year=2026, month=1, hours=100, source="A"
    )
    InvestigationHours.objects.create(site=site, incident_type="shooting", year=2026, hours=1200, source="B")
    hours = s.police_hours(site, Incident.unscoped_all_sites.filter(site=site), ["2026-01", "2026-02"])
    assert hours.actual_hours == Decimal("200.0")  # 100 in January + 1200/12 in February
    assert hours.actual_periods == 2 and hours.estimated_incidents == 1  # the explosion
    UnitCost.objects.create(site=site, key=UnitCost.Key.INVESTIGATION_HOURS, value=40, source="X")
    UnitCost.objects.create(site=site, key=UnitCost.Key.HOUR_COST, value=700, source="X")
    totals = dict.fromkeys(s.INDICATORS, 3)
    *_rest, actual, estimated = s.cost_estimates(totals, s.unit_costs(site), hours)
    assert (actual.kind, actual.count, actual.total) == ("faktiska", 200, 140_000)
    assert (estimated.kind, estimated.count, estimated.total) == ("uppskattade", 1, 28_000)
    *_rest, only = s.cost_estimates(totals, s.unit_costs(site))
    assert only.kind == "uppskattade" and only.total == 3 * 28_000


def test_violence_by_area(site):
    police = OrganisationFactory()
    now = timezone.now()
    for area, days in [("Norr", 10), ("Norr", 40), ("Söder", 400), ("", 20)]:
        IncidentFactory(site=site, owner=police, area=area, occurred_at=now - timedelta(days=days))
    rows = s.violence_by_area(Incident.unscoped_all_sites.filter(site=site))
    assert [(r.area, r.last, r.previous) for r in rows] == [
        ("Norr", 2, 0),
        ("Område ej angivet", 1, 0),
        ("Söder", 0, 1),
    ]


@pytest.fixture
def two_sites(db):
    start = month_start(24)
    treated, comparison = SiteFactory(gvi_start_date=start), SiteFactory()
    police = OrganisationFactory()
    now = timezone.now()
    for month in range(48):
        occurred = moment_in_month(month, now)
        for _n in range(2 if month < 24 else 4):
            IncidentFactory(site=treated, owner=police, occurred_at=occurred, area="Öster")
        for _n in range(4):
            IncidentFactory(site=comparison, owner=police, occurred_at=occurred)
    return treated, comparison


def test_dashboard_draws_fitted_and_counterfactual_and_compares_with_the_users_other_site(client, two_sites):
    treated, comparison = two_sites
    organisation = OrganisationFactory()
    membership = MembershipFactory(site=treated, role=Role.ANALYST, organisation=organisation)
    MembershipFactory(site=comparison, role=Role.ANALYST, organisation=organisation, user=membership.user)
    verified_login(client, membership.user)
    response = client.get(reverse("evaluation:site_statistics"), {"plats": treated.slug})
    assert response.status_code == 200
    points = response.context["impact_points"]
    # The series starts at the first month with a registered incident (48 calendar months of data in the
    # 60 shown, so it starts at index 12).
    assert response.context["impact"].first_row == 60 - 48 and points[0].observed > 0
    # Whole months only: the running month (the last of the 60) is left out of the model.
    assert len(points) == 60 - response.context["impact"].first_row - 1
    assert points[0].counterfactual is None and points[-1].counterfactual is not None
    after = [p for p in points if p.counterfactual is not None]
    assert sum(p.counterfactual for p in after) > sum(p.fitted for p in after)  # fewer than without GVI
    html = response.content.decode()
    assert "<polyline" in html and "Utan förändring vid starten" in html
    comparison_result = response.context["comparison"]
    assert comparison_result.result is not None and comparison_result.labels == [comparison.name]
    assert comparison_result.result.effect.ratio < 1
    assert "Jämfört med jämförelseområdena minskade" in html
    assert "Öster" in html  # the area table


def test_dashboard_without_comparison_explains_why(client, two_sites):
    treated, _comparison = two_sites
    membership = MembershipFactory(
        site=treated, role=Role.STEERING_MEMBER, organisation=OrganisationFactory()
    )
    verified_login(client, membership.user)
    response = client.get(reverse("evaluation:site_statistics"))
    assert response.context["comparison"].result is None
    assert "inga jämförelseserier" in response.content.decode()


def test_coordinator_uploads_survey_excel_and_hours_on_the_settings_page(client, site):
    membership = MembershipFactory(site=site, role=Role.COORDINATOR, organisation=OrganisationFactory())
    verified_login(client, membership.user)
    url = reverse("evaluation:settings")
    data = xlsx([["area", "year", "indicator", "value", "source"], ["Centrum", 2025, "Otrygg", 30, "NTU"]])
    upload = SimpleUploadedFile("t.xlsx", data, "application/octet-stream")
    assert client.post(url, {"action": "survey", "plats": site.slug, "file": upload}).status_code == 302
    bad = SimpleUploadedFile(
        "h.csv", b"incident_type,year,month,hours,source\nshooting,2026,,x,P\n", "text/csv"
    )
    job_page = client.post(url, {"action": "hours", "plats": site.slug, "file": bad})["Location"]
    assert run_ready_tasks() == ["SUCCESSFUL", "SUCCESSFUL"]
    page = client.get(job_page).content.decode()
    assert "Rad 2, kolumn hours" in page and "Ingenting importerades" in page
    assert SurveyValue.objects.count() == 1 and not InvestigationHours.objects.exists()
    good = SimpleUploadedFile(
        "h.csv", b"incident_type,year,month,hours,source\nshooting,2026,,900,P\n", "text/csv"
    )
    assert client.post(url, {"action": "hours", "plats": site.slug, "file": good}).status_code == 302
    assert run_ready_tasks() == ["SUCCESSFUL"]
    assert InvestigationHours.objects.get().hours == 900


def test_demo_surveys_fall_after_the_start(db):
    from gvi.demo.evaluation import INDICATOR, load_demo_surveys

    today = date(2026, 11, 29)
    site = SiteFactory(slug="exempelstad", gvi_start_date=today - timedelta(days=548))
    assert load_demo_surveys(today) == 30
    (first, *_rest) = s.survey_series(site)
    assert first.indicator == INDICATOR
    values = dict(first.points)
    # Start mid-2025: rising up to the start year, falling after it.
    assert values[2022] < values[2025] and values[2026] < values[2025]
