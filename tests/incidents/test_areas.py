"""Incidents name one of the site's areas: the import and the API match it by name or alias and refuse an
unknown one; statistics count by the area; the map draws the areas' names and outlines."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.services import issue_api_token
from gvi.evaluation.selectors import violence_by_area
from gvi.groups import importers
from gvi.incidents.models import Incident
from gvi.partnership import services as partnership_services
from gvi.partnership.models import Role
from tests.factories import IncidentFactory, site_area, verified_login

HEADER = "tidpunkt;typ;omrade;latitud;longitud;diarienummer"


def _file(*rows):
    content = "\n".join([HEADER, *rows]).encode("utf-8")
    return SimpleUploadedFile("incidenter.csv", content, content_type="text/csv")


def _day(days_ago: int) -> str:
    return f"{timezone.localdate() - timedelta(days=days_ago):%Y-%m-%d} 21:40"


@pytest.fixture
def hamnen(world):
    area = site_area(world.site_a, "Hamnen")
    partnership_services.update_area(world.users[Role.COORDINATOR], area, "Hamnen", ["Hamnområdet", "Kajen"])
    area.refresh_from_db()
    return area


@pytest.mark.django_db
def test_the_import_matches_an_area_by_name_or_alias_whatever_its_case_and_spacing(world, hamnen):
    analyst = world.users[Role.ANALYST]
    report = importers.import_file(
        analyst,
        "incidenter",
        _file(
            f"{_day(10)};skjutning;  KAJEN ;;;A-1",
            f"{_day(9)};skjutning;hamnområdet;;;A-2",
            f"{_day(8)};skjutning;Hamnen;;;A-3",
            f"{_day(7)};skjutning;;;;A-4",
        ),
    )
    assert report.committed, report.errors
    areas = dict(
        Incident.unscoped_all_sites.filter(police_reference__startswith="A-").values_list(
            "police_reference", "area"
        )
    )
    assert areas == {"A-1": hamnen.pk, "A-2": hamnen.pk, "A-3": hamnen.pk, "A-4": None}


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_an_unknown_area_is_refused_by_row_naming_the_sites_areas_and_nothing_is_imported(
    world, hamnen, dry_run
):
    analyst = world.users[Role.ANALYST]
    before = Incident.unscoped_all_sites.count()
    run = importers.dry_run if dry_run else importers.import_file
    report = run(
        analyst,
        "incidenter",
        _file(
            f"{_day(10)};skjutning;Hamnen;;;B-1",
            f"{_day(9)};skjutning;Hamen;;;B-2",
            f"{_day(8)};skjutning;Kajen;;;B-3",
        ),
    )
    assert not report.committed
    assert report.errors == ["Rad 3: okänt område 'Hamen' (platsens områden: Centrum, Hamnen, Torget)"]
    assert Incident.unscoped_all_sites.count() == before  # all or nothing


@pytest.mark.django_db
def test_a_deactivated_area_is_no_longer_accepted(world, hamnen):
    partnership_services.set_area_active(world.users[Role.COORDINATOR], hamnen, False)
    report = importers.dry_run(
        world.users[Role.ANALYST], "incidenter", _file(f"{_day(10)};skjutning;Kajen;;;C-1")
    )
    assert report.errors == ["Rad 2: okänt område 'Kajen' (platsens områden: Centrum, Torget)"]


@pytest.mark.django_db
def test_the_api_accepts_an_area_by_alias_returns_its_name_and_refuses_an_unknown_one(world, hamnen):
    token = issue_api_token(world.users[Role.ANALYST], "Polisens ärendesystem")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    payload = {"type": "shooting", "occurred_at": "2026-04-02T23:15:00+02:00", "area": "kajen"}
    created = client.post("/api/v1/incidents", json.dumps(payload), content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["area"] == "Hamnen"
    assert Incident.unscoped_all_sites.get(pk=created.json()["id"]).area == hamnen
    unknown = client.post(
        "/api/v1/incidents", json.dumps({**payload, "area": "Atlantis"}), content_type="application/json"
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"]["area"] == [
        "Okänt område 'Atlantis' (platsens områden: Centrum, Hamnen, Torget)."
    ]
    incident = Incident.unscoped_all_sites.get(pk=created.json()["id"])
    patched = client.patch(
        f"/api/v1/incidents/{incident.pk}",
        json.dumps({"version": incident.version, "area": "Torget"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["area"] == "Torget"
    listed = client.get("/api/v1/incidents").json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    assert {row["area"] for row in rows} <= {"Centrum", "Hamnen", "Torget", ""}


@pytest.mark.django_db
def test_statistics_count_by_the_area_so_a_rename_keeps_its_history(world, hamnen):
    kw = {"site": world.site_a, "owner": world.orgs[("a", "police")]}
    for days in (10, 20):
        IncidentFactory(area=hamnen, occurred_at=timezone.now() - timedelta(days=days), **kw)
    IncidentFactory(area="", occurred_at=timezone.now() - timedelta(days=5), **kw)
    partnership_services.update_area(world.users[Role.COORDINATOR], hamnen, "Hamnområdet", [])
    rows = {
        row.area: row.last for row in violence_by_area(Incident.unscoped_all_sites.filter(site=world.site_a))
    }
    assert rows["Hamnområdet"] == 2 and "Hamnen" not in rows
    assert rows["Område ej angivet"] == 1


@pytest.mark.django_db
def test_the_map_draws_the_areas_names_and_outlines_without_external_tiles(world, hamnen, settings):
    settings.GVI_MAP_TILE_URL = ""
    partnership_services.update_area(
        world.users[Role.COORDINATOR],
        hamnen,
        "Hamnen",
        hamnen.aliases,
        outline=[[59.270, 15.200], [59.280, 15.210], [59.270, 15.220]],
    )
    kw = {"site": world.site_a, "owner": world.orgs[("a", "police")]}
    IncidentFactory(area=hamnen, latitude="59.274000", longitude="15.210000", **kw)
    IncidentFactory(area="Torget", latitude="59.290000", longitude="15.250000", **kw)  # no outline
    client = verified_login(Client(), world.users[Role.ANALYST])
    html = client.get(reverse("incidents:map")).content.decode()
    assert html.count('<polygon class="area-outline"') == 1
    assert '<text class="area-label"' in html and ">Hamnen</text>" in html
    assert ">Torget</text>" in html  # named where its incidents are
    assert "Områden på kartan:" in html and "<image" not in html
