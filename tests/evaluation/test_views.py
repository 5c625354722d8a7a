"""The dashboard and the coordinator's settings page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gvi.evaluation.models import SurveyValue, UnitCost
from gvi.incidents.models import Incident
from gvi.operations.worker import run_ready_tasks
from gvi.partnership.models import Role
from tests.clock import moment_in_month, month_start
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    verified_login,
)


@pytest.fixture
def site(db):
    site = SiteFactory(gvi_start_date=month_start(24))
    police = OrganisationFactory()
    now = timezone.now()
    # Three years of about 4 a month before the start, about 2 a month after: enough for the model.
    for month in range(48):
        occurred = moment_in_month(month, now)
        for _n in range(2 if month < 24 else 4):
            IncidentFactory(site=site, owner=police, occurred_at=occurred, summary="HEMLIG-SAMMANFATTNING")
    return site


def login(client, site, role):
    membership = MembershipFactory(site=site, role=role, organisation=OrganisationFactory())
    return verified_login(client, membership.user)


@pytest.mark.parametrize("role", [Role.STEERING_MEMBER, Role.COORDINATOR, Role.ANALYST])
def test_dashboard_shows_aggregates_and_the_impact_reading_never_rows(client, site, role):
    response = login(client, site, role).get(reverse("evaluation:site_statistics"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "HEMLIG-SAMMANFATTNING" not in html
    # Areas appear only as aggregate rows: the fixture's incidents are all in "Centrum".
    (area,) = response.context["areas"]
    assert area.area == "Centrum" and area.last == response.context["last"]["serious"]
    assert (
        response.context["last"]["serious"]
        == Incident.unscoped_all_sites.filter(
            site=site, occurred_at__date__gte=response.context["rows"][-12].month + "-01"
        ).count()
    )
    assert "Efter GVI-starten minskade antalet" in html
    assert "Mål 2" in html and "Inga trygghetsmätningar" in html
    assert ("Ändra enhetskostnader" in html) == (role == Role.COORDINATOR)


def test_dashboard_refuses_another_sites_slug(client, site):
    login(client, site, Role.STEERING_MEMBER)
    other = SiteFactory()
    assert client.get(reverse("evaluation:site_statistics"), {"plats": other.slug}).status_code == 403


def test_steering_member_may_not_open_settings(client, site):
    login(client, site, Role.STEERING_MEMBER)
    assert client.get(reverse("evaluation:settings")).status_code == 403


def test_coordinator_sets_unit_costs_with_sources_and_clears_them(client, site):
    login(client, site, Role.COORDINATOR)
    url = reverse("evaluation:settings")
    assert client.get(url).status_code == 200
    data = {"action": "costs", "plats": site.slug, "value_hour_cost": "700", "source_hour_cost": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and not UnitCost.objects.exists()  # a value needs its source
    data["source_hour_cost"] = "Polisregion Syd 2025"
    assert client.post(url, data).status_code == 302
    cost = UnitCost.objects.get(site=site)
    assert (cost.key, cost.value, cost.source) == ("hour_cost", 700, "Polisregion Syd 2025")
    assert client.post(url, {"action": "costs", "plats": site.slug}).status_code == 302
    assert not UnitCost.objects.exists()


def test_coordinator_imports_a_survey_csv(client, site):
    login(client, site, Role.COORDINATOR)
    upload = SimpleUploadedFile(
        "trygghet.csv", b"area,year,indicator,value,source\nCentrum,2025,Otrygg,30,NTU\n", "text/csv"
    )
    response = client.post(
        reverse("evaluation:settings"), {"action": "survey", "plats": site.slug, "file": upload}
    )
    assert response.status_code == 302  # to the import's page; the worker runs it
    assert not SurveyValue.objects.exists()
    assert run_ready_tasks() == ["SUCCESSFUL"]
    assert "1 värde importerades" in client.get(response["Location"]).content.decode()
    assert SurveyValue.objects.get(site=site).source == "NTU"
    page = client.get(reverse("evaluation:site_statistics")).content.decode()
    assert "Otrygg, Centrum" in page and "NTU" in page


def test_research_export_suppresses_counts_1_to_4_and_has_no_totals(client, site):
    login(client, site, Role.STEERING_MEMBER)
    response = client.get(reverse("evaluation:research_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "site,month,serious,lethal,group_involved,dead,injured,explosions,shootings"
    assert len(lines) == 61
    cells = [cell for line in lines[1:] for cell in line.split(",")[2:]]
    assert all(cell == ".." or int(cell) == 0 or int(cell) >= 5 for cell in cells)
    assert ".." in cells  # the fixture has months with 2 and 4 incidents
    assert "HEMLIG" not in response.content.decode()


def test_research_export_is_closed_to_other_roles(client, site):
    login(client, site, Role.CASEWORKER)
    assert client.get(reverse("evaluation:research_export")).status_code == 403


def test_steering_report_pdf(client, site):
    login(client, site, Role.STEERING_MEMBER)
    response = client.get(reverse("evaluation:report"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    login(client, site, Role.COMMUNITY_PARTNER)
    assert client.get(reverse("evaluation:report")).status_code == 403
