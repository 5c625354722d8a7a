"""A large group-audit file is checked and imported by the worker (gvi.groups.import_tasks): the upload
only stores it; the import's page shows the progress, then the preview with its confirmation; the
confirmed import runs in the worker, all or nothing; only the uploader sees or confirms the job."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from gvi.groups import import_views, importers
from gvi.groups.importers import RowError, dry_run
from gvi.groups.models import Group
from gvi.operations.models import ImportJob
from gvi.operations.worker import run_ready_tasks
from gvi.partnership.models import Role
from tests.factories import MembershipFactory, verified_login
from tests.groups.test_import import csv_upload, police_a

UPLOAD, CONFIRM = "audit_io:import_upload", "audit_io:import_confirm"
ROWS = [["namn", "omrade"], *([f"Bakgrundsgrupp {n}", "Väst"] for n in range(30))]


@pytest.fixture
def in_background(monkeypatch):
    monkeypatch.setattr(import_views, "IN_REQUEST_BYTES", 100)  # this small file counts as large


def _upload(client, rows=ROWS):
    return client.post(reverse(UPLOAD), {"kind": "grupper", "file": csv_upload(rows)})


@pytest.mark.django_db
def test_a_large_file_is_checked_and_imported_by_the_worker(world, in_background):
    client = verified_login(Client(), world.users[Role.ANALYST])
    check_page = _upload(client)["Location"]
    job = ImportJob.objects.get()
    assert check_page == reverse("audit_io:import_job", kwargs={"job": job.public_id})
    assert "väntar på bakgrundsarbetaren" in client.get(check_page).content.decode()
    assert b"Bakgrundsgrupp" not in bytes(job.content)  # encrypted

    assert run_ready_tasks() == ["SUCCESSFUL"]
    preview = client.get(check_page).content.decode()
    assert "Bakgrundsgrupp 29" in preview and f'name="job" value="{job.public_id}"' in preview
    assert not Group.unscoped_all_sites.filter(
        name__startswith="Bakgrundsgrupp"
    ).exists()  # a check writes nothing

    import_page = client.post(reverse(CONFIRM), {"job": str(job.public_id)})["Location"]
    assert (
        import_page != check_page
        and not Group.unscoped_all_sites.filter(name__startswith="Bakgrundsgrupp").exists()
    )
    assert run_ready_tasks() == ["SUCCESSFUL"]
    done = client.get(import_page).content.decode()
    assert "Importen är klar: 30 grupper skapades" in done and "hx-trigger" not in done
    assert Group.unscoped_all_sites.filter(name__startswith="Bakgrundsgrupp", site=world.site_a).count() == 30
    assert not any(bytes(j.content) for j in ImportJob.objects.all())  # every file given up

    # The checked file was handed over: confirming it again imports nothing more.
    again = client.post(reverse(CONFIRM), {"job": str(job.public_id)}, follow=True)
    assert "Det finns ingen förhandsgranskad import att bekräfta" in again.content.decode()
    assert (
        run_ready_tasks() == []
        and Group.unscoped_all_sites.filter(name__startswith="Bakgrundsgrupp").count() == 30
    )
    assert "redan bekräftad eller för gammal" in client.get(check_page).content.decode()


@pytest.mark.django_db
def test_a_checked_file_with_errors_cannot_be_confirmed(world, in_background):
    client = verified_login(Client(), world.users[Role.ANALYST])
    page = _upload(client, [*ROWS, ["", "Väst"]])["Location"]
    assert run_ready_tasks() == ["SUCCESSFUL"]
    html = client.get(page).content.decode()
    assert "Rad 32" in html and 'name="job"' not in html
    job = ImportJob.objects.get()
    assert bytes(job.content) == b""  # nothing kept to confirm
    client.post(reverse(CONFIRM), {"job": str(job.public_id)})
    assert (
        run_ready_tasks() == []
        and not Group.unscoped_all_sites.filter(name__startswith="Bakgrundsgrupp").exists()
    )


@pytest.mark.django_db
def test_only_the_uploader_sees_and_confirms_the_job(world, in_background):
    _upload(verified_login(Client(), world.users[Role.ANALYST]))
    assert run_ready_tasks() == ["SUCCESSFUL"]
    job = ImportJob.objects.get()
    colleague = MembershipFactory(site=world.site_a, role=Role.ANALYST, organisation=police_a(world))
    other = verified_login(Client(), colleague.user)  # same organisation and role, may import too
    assert other.get(reverse("audit_io:import_job", kwargs={"job": job.public_id})).status_code == 404
    other.post(reverse(CONFIRM), {"job": str(job.public_id)})
    assert other.post(reverse(CONFIRM), {"job": "not-a-uuid"}).status_code == 302
    assert run_ready_tasks() == [] and ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_a_small_file_is_still_checked_at_once(world):
    client = verified_login(Client(), world.users[Role.ANALYST])
    response = _upload(client)
    assert response.status_code == 200 and "Bakgrundsgrupp 29" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_the_check_tells_its_progress_row_by_row(world):
    seen = []
    dry_run(world.users[Role.ANALYST], "grupper", csv_upload(ROWS), progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (1, 30) and seen[-1] == (30, 30) and len(seen) == 30


def test_a_report_survives_the_trip_through_the_job():
    report = importers.ImportReport(
        kind="grupper",
        dry_run=True,
        filename="g.csv",
        site="A",
        organisation="P",
        rows=3,
        file_errors=["fil"],
        row_errors=[RowError(2, "fel")],
        created=[(3, "Grupp")],
        reading=["UTF-8"],
        dates_read={"dd/mm": [1, 3, "1/2/2026", date(2026, 2, 1)]},
    )
    back = importers.report_from_outcome(importers.report_to_outcome(report))
    assert back == report and back.assumptions == report.assumptions
