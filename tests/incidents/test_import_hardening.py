"""Incident import after the adversarial file set (issue 23): NaN coordinates and year 1 are clean row
errors that store nothing; group names match whatever their case."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gvi.groups import importers
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Role
from tests.factories import GroupFactory

HEADER = "tidpunkt;typ;latitud;longitud;grupper_misstankta"


def upload(*rows):
    return SimpleUploadedFile("incidenter.csv", "\r\n".join([HEADER, *rows]).encode("utf-8"))


def stored():
    return (
        Incident.unscoped_all_sites.count(),
        Involvement.unscoped_all_sites.count(),
        Incident.history.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2025-03-01 22:10;skjutning;NaN;15,2;", "latitud ska vara ett tal"),
        ("2025-03-01 22:10;skjutning;59,2;sNaN;", "longitud ska vara ett tal"),
        ("2025-03-01 22:10;skjutning;Infinity;15,2;", "latitud ska vara ett tal"),
        ("0001-01-01 00:30;skjutning;;;", "före år 1900"),
        ("9999-12-31 23:59;skjutning;;;", "framtiden"),
    ],
)
def test_crashing_values_are_clean_row_errors_and_store_nothing(world, row, expected):
    analyst = world.users[Role.ANALYST]
    before = stored()
    for run in (importers.dry_run, importers.import_file):
        report = run(analyst, "incidenter", upload(row))
        assert not report.committed and report.row_errors
        assert any(expected in error for error in report.errors), report.errors
        assert stored() == before


@pytest.mark.django_db
def test_a_group_name_in_capitals_finds_the_group(world):
    group = GroupFactory(site=world.site_a, owner=world.orgs[("a", "police")], name="Östra gänget")
    before = set(Involvement.unscoped_all_sites.values_list("pk", flat=True))
    report = importers.import_file(
        world.users[Role.ANALYST], "incidenter", upload("2025-03-01 22:10;skjutning;;;ÖSTRA\u00a0GÄNGET")
    )
    assert report.committed, report.errors
    assert Involvement.unscoped_all_sites.exclude(pk__in=before).get().group == group
