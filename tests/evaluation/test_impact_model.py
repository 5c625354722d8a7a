"""Issue 18: the population offset (imported with its source) and the site's pre-specified impact model,
as the statistics page uses and shows them."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from gvi.evaluation import selectors as s
from gvi.evaluation import services
from gvi.evaluation.models import ImpactModel, Population
from gvi.incidents.models import Incident
from gvi.partnership.models import Role
from tests.clock import add_months, local_moment, moment_in_month, month_start
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    verified_login,
)


@pytest.fixture
def treated(db):
    site = SiteFactory(gvi_start_date=month_start(24))
    police = OrganisationFactory()
    now = timezone.now()
    for month in range(48):
        for _n in range(5 if month < 24 else 3):
            IncidentFactory(site=site, owner=police, occurred_at=moment_in_month(month, now))
    return site


def test_population_import_by_year_and_month_with_its_source(treated):
    content = b"year;month;population;source\n2024;;58213;SCB folkm\xc3\xa4ngd\n2024;6;58 400;SCB kvartal\n"
    result = services.import_population_file(treated, "folk.csv", content)
    assert result.errors == [] and result.saved == 2
    values, sources = s.monthly_population(treated, ["2024-01", "2024-06"])
    assert values == [58213.0, 58400.0] and sources == "SCB folkmängd; SCB kvartal"
    assert s.monthly_population(treated, ["2023-12", "2024-01"]) == (None, "")
    bad = services.import_population_file(treated, "folk.csv", b"year,month,population,source\n2024,13,-5,\n")
    assert len(bad.errors) == 3 and Population.objects.count() == 2


def test_impact_uses_the_population_offset_only_when_every_month_has_one(treated):
    rows = s.violence_by_month(Incident.unscoped_all_sites.filter(site=treated), months=60)
    without = s.site_impact(rows, treated.gvi_start_date, site=treated)
    assert without.result is not None and not without.result.with_offset
    assert "antal, inte antal per invånare" in without.population_note
    today = timezone.localdate()
    for year in range(today.year - 6, today.year + 1):
        Population.objects.create(
            site=treated, year=year, population=40_000 + 500 * (year - 2000), source="SCB"
        )
    with_population = s.site_impact(rows, treated.gvi_start_date, site=treated)
    assert with_population.result.with_offset and with_population.population_source == "SCB"
    assert with_population.population_note == ""
    assert "befolkningen som exponering" in with_population.description


def test_page_says_which_model_was_pre_specified_and_when(client, treated):
    membership = MembershipFactory(site=treated, role=Role.COORDINATOR)
    verified_login(client, membership.user)
    page = client.get(reverse("evaluation:site_statistics"), {"plats": treated.slug}).content.decode()
    assert "Ingen modell är förspecificerad" in page
    before = local_moment(add_months(treated.gvi_start_date, -2))
    with time_machine.travel(before, tick=False):
        services.specify_impact_model(treated, ImpactModel.Change.STEP_SLOPE, True, False, by="samordnare")
    response = client.get(reverse("evaluation:site_statistics"), {"plats": treated.slug})
    page = response.content.decode()
    when = timezone.localdate(before).isoformat()
    assert f"Förspecificerad modell: Nivåförändring och trendförändring, nedskriven {when}." in page
    assert "inte förspecificerad i egentlig mening" not in page
    assert response.context["impact"].result.change == "step_slope"
    assert "Trendförändring per månad" in page
    # written down (again) after the start: the page says so
    response = client.post(
        reverse("evaluation:settings"),
        {"action": "model", "plats": treated.slug, "change": "step", "note": "Efter starten"},
    )
    assert response.status_code == 302
    spec = ImpactModel.objects.get(site=treated)
    assert spec.change == "step" and not spec.seasonality and spec.before_start is False
    response = client.get(reverse("evaluation:site_statistics"), {"plats": treated.slug})
    page = response.content.decode()
    assert "inte förspecificerad i egentlig mening" in page
    assert response.context["impact"].result.seasonality is None
    assert "Trendförändring per månad" not in page
    assert "var femte uppföljning" in page  # what the figures can and cannot show
