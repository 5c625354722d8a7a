"""Month boundaries are Stockholm's: an incident at 23:30 UTC on the last day of January happened on
1 February in Stockholm, and every monthly figure and every date shown says so."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from gvi.evaluation import selectors as s
from gvi.incidents.models import Incident
from gvi.partnership.models import Role
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    verified_login,
)

JAN_31_LATE_UTC = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)  # 2027-02-01 00:30 in Stockholm


@pytest.fixture
def late_incident(db, time_machine):
    time_machine.move_to(datetime(2027, 3, 15, 12, tzinfo=UTC), tick=False)
    site = SiteFactory(name="Midnattsby")
    police = OrganisationFactory()
    # Six, so the national table publishes the cell (counts 1–4 are suppressed).
    return [IncidentFactory(site=site, owner=police, occurred_at=JAN_31_LATE_UTC) for _n in range(6)][0]


def test_the_monthly_series_puts_it_in_february(late_incident):
    rows = {
        row.month: row.serious for row in s.violence_by_month(Incident.unscoped_all_sites.all(), months=4)
    }
    assert rows == {"2026-12": 0, "2027-01": 0, "2027-02": 6, "2027-03": 0}
    counts = dict(s.monthly_incident_counts(Incident.unscoped_all_sites.all(), months=4))
    assert counts["2027-01"] == 0 and counts["2027-02"] == 6


def test_the_national_table_puts_it_in_february(late_incident):
    table = s.national_month_table("serious", 2027)
    assert table.months == ["2027-01", "2027-02"]  # issue 18: complete months only (March is not over)
    (row,) = [row for row in table.rows if row.site == "Midnattsby"]
    assert (row.values, row.total) == ([0, 6], 6)
    assert s._national_counts("serious") == {("Midnattsby", date(2027, 2, 1)): 6}


def test_a_late_new_years_eve_incident_counts_in_the_new_year(db, time_machine):
    time_machine.move_to(datetime(2027, 3, 15, 12, tzinfo=UTC), tick=False)
    site = SiteFactory(name="Nyårsby")
    IncidentFactory(
        site=site, owner=OrganisationFactory(), occurred_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    assert s.national_years() == [2027]
    assert s._national_counts("serious") == {("Nyårsby", date(2027, 1, 1)): 1}


def test_dates_shown_are_stockholm_dates(client, late_incident):
    assert str(late_incident).startswith("Skjutning 2027-02-01")
    membership = MembershipFactory(
        site=late_incident.site, organisation=late_incident.owner, role=Role.ANALYST
    )
    verified_login(client, membership.user)
    page = client.get(reverse("incidents:incident_detail", args=[late_incident.pk])).content.decode()
    assert "2027-02-01 00:30" in page and "2027-01-31" not in page
