"""The four goals' indicators on a small fixture with exact expected values."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gvi.evaluation import selectors as s
from gvi.evaluation import services
from gvi.evaluation.models import SurveyValue, UnitCost
from gvi.incidents.models import Incident, Involvement
from gvi.incidents.services import group_involved
from tests.factories import (
    GroupFactory,
    IncidentFactory,
    InvolvementFactory,
    OrganisationFactory,
    SiteFactory,
)

TODAY = date(2026, 6, 15)
CONFIRMED, SUSPECTED = Involvement.MemberStatus.CONFIRMED, Involvement.MemberStatus.SUSPECTED
UNKNOWN = Involvement.MemberStatus.UNKNOWN


def at(year, month, day):
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def fixture(db):
    site, other = SiteFactory(), SiteFactory()
    police = OrganisationFactory()
    kw = {"site": site, "owner": police}
    shooting = IncidentFactory(occurred_at=at(2026, 6, 3), dead=1, injured=2, **kw)
    group = GroupFactory(**kw)
    InvolvementFactory(incident=shooting, group=group, member_status=CONFIRMED, **kw)
    InvolvementFactory(  # two groups: still one incident
        incident=shooting, group=GroupFactory(**kw), member_status=SUSPECTED, **kw
    )
    IncidentFactory(type=Incident.Type.EXPLOSION, occurred_at=at(2026, 6, 10), **kw)
    lethal = IncidentFactory(type=Incident.Type.LETHAL, occurred_at=at(2026, 5, 20), dead=1, **kw)
    # A group named without a confirmed or suspected membership is no known group involvement.
    InvolvementFactory(incident=lethal, group=group, member_status=Involvement.MemberStatus.NONE, **kw)
    InvolvementFactory(incident=lethal, group=GroupFactory(**kw), member_status=UNKNOWN, **kw)
    IncidentFactory(occurred_at=at(2026, 1, 20), injured=1, **kw)
    IncidentFactory(occurred_at=at(2025, 5, 1), injured=5, **kw)  # outside a 12-month window
    IncidentFactory(occurred_at=at(2026, 6, 5), dead=3, site=other, owner=police)  # another site
    return site


def test_violence_by_month_counts_each_indicator_exactly(fixture):
    rows = s.violence_by_month(Incident.unscoped_all_sites.filter(site=fixture), months=12, today=TODAY)
    assert [row.month for row in rows][0] == "2025-07" and rows[-1].month == "2026-06"
    june, may, january = rows[-1], rows[-2], rows[6]
    assert (june.serious, june.lethal, june.group_involved, june.dead, june.injured) == (2, 1, 1, 1, 2)
    assert (june.explosions, june.shootings) == (1, 1)
    assert (may.serious, may.lethal, may.group_involved, may.dead, may.shootings) == (1, 1, 0, 1, 0)
    assert january.month == "2026-01" and (january.serious, january.injured) == (1, 1)
    assert sum(row.serious for row in rows) == 4
    assert s.last_12_months(rows) == {
        "serious": 4, "lethal": 2, "group_involved": 1, "dead": 2, "injured": 3, "explosions": 1, "shootings": 2,
    }  # fmt: skip
    assert s.previous_12_months(rows) is None


def test_the_group_involved_figure_counts_what_the_incident_page_calls_group_involved(fixture):
    """The statistics' "med känd gruppkoppling" and the incident page's "Gruppkoppling" use one definition
    (Involvement.GROUP_INVOLVED_STATUSES): a group named with membership "none" or "unknown" counts in
    neither (the figure used to count every incident naming a group)."""
    incidents = Incident.unscoped_all_sites.filter(site=fixture)
    rows = s.violence_by_month(incidents, months=12, today=TODAY)
    in_window = incidents.filter(occurred_at__date__gte=date(2025, 7, 1))
    assert sum(row.group_involved for row in rows) == sum(map(group_involved, in_window)) == 1
    may = rows[-2]
    assert may.serious == 1 and may.group_involved == 0
    assert (
        Involvement.unscoped_all_sites.filter(incident__occurred_at__month=5, group__isnull=False).count()
        == 2
    )


def test_monthly_incident_counts_keeps_its_signature(fixture):
    series = s.monthly_incident_counts(Incident.unscoped_all_sites.filter(site=fixture), months=24)
    assert len(series) == 24 and all(isinstance(label, str) for label, _n in series)


def test_rolling_sum():
    assert s.rolling([1, 2, 3, 4], window=3) == [None, None, 6, 9]
    assert s.rolling(list(range(12)))[-1] == 66


def test_cost_estimates_use_defaults_then_the_sites_own_values(fixture):
    totals = {"serious": 4, "lethal": 2, "group_involved": 1, "dead": 2, "injured": 3, "explosions": 1,
              "shootings": 2}  # fmt: skip
    costs = s.unit_costs(fixture)
    assert all(row.is_default and row.source for row in costs)
    hospital, societal, lives, police = s.cost_estimates(totals, costs)
    assert (hospital.total, hospital.low, hospital.high) == (645_000, 390_000, 900_000)
    assert societal.total == 150_000_000
    assert lives.total == 81_000_000
    assert police.total is None  # no published default for investigation hours
    UnitCost.objects.create(site=fixture, key=UnitCost.Key.INVESTIGATION_HOURS, value=400, source="Polisen")
    UnitCost.objects.create(site=fixture, key=UnitCost.Key.HOUR_COST, value=700, source="Polisen")
    UnitCost.objects.create(site=fixture, key=UnitCost.Key.SOCIETAL_PER_SHOOTING, value=10, source="Egen")
    _h, societal, _l, police = s.cost_estimates(totals, s.unit_costs(fixture))
    assert societal.total == 20 and societal.low is None
    assert police.unit == 280_000 and police.total == 1_120_000


def test_survey_import_is_all_or_nothing_and_updates_on_reimport(fixture):
    good = (
        "area;year;indicator;value;source\nCentrum;2024;Otrygghet kvällstid;31,5;Polisens trygghetsmätning\n"
    )
    assert services.import_survey_csv(fixture, good).saved == 1
    again = "area,year,indicator,value,source\nCentrum,2024,Otrygghet kvällstid,29,NTU 2024\nCentrum,2025,Otrygghet kvällstid,27,NTU 2025\n"  # noqa: E501
    assert services.import_survey_csv(fixture, again).saved == 2
    assert SurveyValue.objects.get(year=2024).value == Decimal("29.00")
    bad = "area,year,indicator,value,source\nCentrum,2026,X,12,NTU\nCentrum,tjugo,X,1,NTU\n"
    result = services.import_survey_csv(fixture, bad)
    assert result.saved == 0 and len(result.errors) == 1 and "3" in result.errors[0]
    assert not SurveyValue.objects.filter(indicator="X").exists()
    assert services.import_survey_csv(fixture, "area,year\nA,2024\n").errors
    (series,) = s.survey_series(fixture)
    assert series.points == [(2024, Decimal("29.00")), (2025, Decimal("27.00"))]
    assert series.sources == ["NTU 2024", "NTU 2025"]


def test_site_impact_explains_when_it_cannot_estimate(fixture):
    rows = s.violence_by_month(Incident.unscoped_all_sites.filter(site=fixture), months=24, today=TODAY)
    assert s.site_impact(rows, None).result is None
    assert "utanför" in s.site_impact(rows, date(2020, 1, 1)).reason
    impact = s.site_impact(rows, date(2025, 9, 10))  # first full month with GVI: 2025-10
    assert impact.result is None
    assert impact.reason.startswith(
        "För få händelser för att dra någon slutsats (1 före och 4 efter starten, 5 respektive 9 månader)"
    )  # the 10 empty months before the first registered incident are no data, not zeros
    first_with_data = next(row.month for row in rows if row.serious)
    starts_there = date(int(first_with_data[:4]), int(first_with_data[5:]), 1)
    assert s.site_impact(rows, starts_there).reason.startswith("Det finns inga registrerade incidenter före")


def test_process_figures_degrade_gracefully(fixture):
    figures = s.process_figures(fixture)
    assert set(figures) == {"reach", "deterrence", "deterrence_before"}  # issue 18: before/after the start
