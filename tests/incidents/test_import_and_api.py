"""Incident lists imported all-or-nothing, and incidents pushed through the API."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gvi.groups import importers
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Role
from tests.factories import GroupFactory, GroupRelationFactory, verified_login

HEADER = "tidpunkt;typ;konstaterad_skjutning;omrade;latitud;longitud;doda;skadade;diarienummer;grupper_misstankta;grupper_utsatta"


def _file(*rows):
    content = "\n".join([HEADER, *rows]).encode("utf-8-sig")
    return SimpleUploadedFile("incidenter.csv", content, content_type="text/csv")


@pytest.fixture
def groups(world):
    kw = {"site": world.site_a, "owner": world.orgs[("a", "police")]}
    north, south = GroupFactory(name="Norrgänget", **kw), GroupFactory(name="Södergänget", **kw)
    conflict = GroupRelationFactory(group_a=north, group_b=south, **kw)
    return north, south, conflict


@pytest.mark.django_db
def test_dry_run_reports_row_errors_and_writes_nothing(world, groups):
    analyst = world.users[Role.ANALYST]
    before = Incident.unscoped_all_sites.count()
    report = importers.dry_run(
        analyst,
        "incidenter",
        _file(
            "2026-03-12 21:40;skjutning;ja;Centrum;59.27;15.21;0;1;K-1;Norrgänget;Södergänget",
            "2026-13-01 10:00;skjutning;;;;;;;;;",
            "2026-03-13 01:10;bilbrand;;;;;;;;;",
            "2026-03-14 02:00;sprangning;;Torget;59.2;;;;;Okändagänget;",
            "2099-01-01 00:00;skjutning;;;;;;;;;",
        ),
    )
    messages = report.errors
    assert any(m.startswith("Rad 3:") and "felaktig tidpunkt" in m for m in messages)
    assert any(m.startswith("Rad 4:") and "okänt värde 'bilbrand'" in m for m in messages)
    assert any(m.startswith("Rad 5:") and "okänd grupp 'Okändagänget'" in m for m in messages)
    assert any(m.startswith("Rad 5:") and "latitud och longitud" in m for m in messages)
    assert any(m.startswith("Rad 6:") and "framtiden" in m for m in messages)
    assert not any(m.startswith("Rad 2:") for m in messages)
    assert Incident.unscoped_all_sites.count() == before


@pytest.mark.django_db
def test_one_bad_row_imports_nothing_and_a_good_file_imports_all(world, groups):
    analyst = world.users[Role.ANALYST]
    north, south, conflict = groups
    before = Incident.unscoped_all_sites.count()
    report = importers.import_file(
        analyst,
        "incidenter",
        _file("2026-03-12 21:40;skjutning;ja;Centrum;;;0;1;K-1;Norrgänget;Södergänget", "x;y;;;;;;;;;"),
    )
    assert not report.committed and Incident.unscoped_all_sites.count() == before
    report = importers.import_file(
        analyst,
        "incidenter",
        _file(
            "2026-03-12 21:40;skjutning;ja;Centrum;59,27;15,21;0;1;K-1;Norrgänget;Södergänget",
            "2026-03-15 03:05;grov_misshandel;;Hamnen;;;0;1;K-2;;",
        ),
    )
    assert report.committed and report.created_count == 2
    shooting = Incident.unscoped_all_sites.get(police_reference="K-1")
    assert shooting.confirmed_shooting and str(shooting.latitude) == "59.270000"
    suspects = Involvement.unscoped_all_sites.get(incident=shooting, group=north)
    assert (suspects.role, suspects.member_status, suspects.relation) == ("suspect", "suspected", conflict)
    again = importers.dry_run(analyst, "incidenter", _file("2026-03-12 21:40;skjutning;;;;;;;K-1;;"))
    assert any("finns redan" in m for m in again.errors)


@pytest.mark.django_db
def test_only_roles_that_create_incidents_may_import_them(world):
    report = importers.dry_run(world.users[Role.CASEWORKER], "incidenter", _file())
    assert report.file_errors and "får inte importera incidenter" in report.file_errors[0]


@pytest.mark.django_db
def test_api_push_with_a_bearer_token(world, groups):
    from gvi.access.services import issue_api_token

    north, south, conflict = groups
    token = issue_api_token(world.users[Role.ANALYST], "Polisens ärendesystem")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    payload = {
        "type": "shooting",
        "confirmed_shooting": True,
        "occurred_at": "2026-04-02T23:15:00+02:00",
        "area": "Centrum",
        "involvements": [
            {"group_id": north.pk, "role": "suspect", "member_status": "suspected"},
            {"group_id": south.pk, "role": "victim", "member_status": "confirmed"},
        ],
    }
    response = client.post("/api/v1/incidents", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    incident = Incident.unscoped_all_sites.get(pk=response.json()["id"])
    assert incident.site == world.site_a and incident.involvements.filter(relation=conflict).count() == 2
    bad = client.post(
        "/api/v1/incidents", json.dumps({**payload, "type": "bilbrand"}), content_type="application/json"
    )
    assert bad.status_code == 422
    hidden = GroupFactory(site=world.site_b, owner=world.orgs[("b", "police")])
    count = Incident.unscoped_all_sites.count()
    response = client.post(
        "/api/v1/incidents",
        json.dumps({**payload, "involvements": [{"group_id": hidden.pk, "role": "suspect"}]}),
        content_type="application/json",
    )
    assert response.status_code == 404 and Incident.unscoped_all_sites.count() == count  # all or nothing
    assert (
        Client(HTTP_AUTHORIZATION="Bearer gvi_wrong")
        .post("/api/v1/incidents", json.dumps(payload), content_type="application/json")
        .status_code
        == 401
    )


@pytest.mark.django_db
def test_incident_import_page_lists_the_kind_for_analysts(world):
    analyst = verified_login(Client(), world.users[Role.ANALYST])
    html = analyst.get("/kartlaggning/import/").content.decode()
    assert "incidenter" in html.lower() and "tidpunkt" in html
