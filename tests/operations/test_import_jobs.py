"""Imports run by the worker (gvi.operations.imports), seen through the coordinator's survey and hours
imports: the request only stores the file; the worker checks and saves it in one transaction with the
job's outcome; the page shows the progress while it runs and the outcome after; only the uploader sees
the job; the file is kept encrypted and dropped after the run."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gvi.evaluation.models import SurveyValue
from gvi.operations import imports
from gvi.operations.models import ImportJob
from gvi.operations.worker import run_ready_tasks
from gvi.partnership.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, SiteFactory, site_area, verified_login
from tests.operations import probe_tasks

pytestmark = pytest.mark.django_db

SURVEY = b"area,year,indicator,value,source\n" + b"".join(
    f"Centrum,{year},Otrygg,{year - 1990},NTU\n".encode() for year in range(2000, 2012)
)


@pytest.fixture
def coordinator():
    site = SiteFactory()
    site_area(site, "Centrum")  # the survey's area must be one of the site's
    membership = MembershipFactory(site=site, role=Role.COORDINATOR, organisation=OrganisationFactory())
    return membership


def _upload(client, site, content=SURVEY, action="survey"):
    upload = SimpleUploadedFile("trygghet.csv", content, "text/csv")
    return client.post(reverse("evaluation:settings"), {"action": action, "plats": site.slug, "file": upload})


def test_the_request_stores_the_file_encrypted_and_the_worker_imports_it(coordinator):
    client = verified_login(Client(), coordinator.user)
    response = _upload(client, coordinator.site)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("evaluation:import_job", kwargs={"job": job.public_id})
    assert not SurveyValue.objects.exists()  # nothing imported inside the request
    assert b"Centrum" not in bytes(job.content) and bytes(job.content)  # encrypted
    waiting = client.get(response["Location"]).content.decode()
    assert "väntar på bakgrundsarbetaren" in waiting and 'hx-trigger="every 2s"' in waiting

    assert run_ready_tasks() == ["SUCCESSFUL"]
    done = client.get(response["Location"]).content.decode()
    assert "12 värden importerades" in done and "hx-trigger" not in done  # polling stops
    assert SurveyValue.objects.filter(site=coordinator.site).count() == 12
    job.refresh_from_db()
    assert job.finished_at is not None and bytes(job.content) == b""  # the file is dropped after the run
    assert imports.run(job.pk, probe_tasks._survey_then_fail) == {"job": job.pk, "skipped": True}


def test_a_refused_file_shows_its_errors_and_imports_nothing(coordinator):
    client = verified_login(Client(), coordinator.user)
    page = _upload(client, coordinator.site, SURVEY + b"Centrum,1800,Otrygg,3,NTU\n")["Location"]
    assert run_ready_tasks() == ["SUCCESSFUL"]
    html = client.get(page).content.decode()
    assert "Ingenting importerades" in html and "Rad 14, kolumn year" in html
    assert not SurveyValue.objects.exists()


def test_the_running_import_shows_how_many_rows_are_checked(coordinator):
    client = verified_login(Client(), coordinator.user)
    page = _upload(client, coordinator.site)["Location"]
    job = ImportJob.objects.get()
    DBTaskResult.objects.filter(pk=job.task_id).update(status="RUNNING")  # a worker has claimed it
    progress = imports.Progress(job.pk)
    progress(3, 12)
    html = client.get(page).content.decode()
    assert "Kontrollerar rad 3 av 12" in html and '<progress id="import-progress" max="12" value="3"' in html
    assert caches["progress"].get(f"import-job:{job.pk}")["done"] == 3


def test_a_failing_import_leaves_nothing_and_says_so(coordinator):
    client = verified_login(Client(), coordinator.user)
    job = imports.start(
        probe_tasks.import_then_fail,
        user=coordinator.user,
        site=coordinator.site,
        kind="evaluation:survey",
        file_name="trygghet.csv",
        content=SURVEY,
    )
    assert run_ready_tasks() == ["FAILED"]
    assert not SurveyValue.objects.exists()  # the rows it wrote went with the failed task's transaction
    job.refresh_from_db()
    assert job.finished_at is None
    html = client.get(reverse("evaluation:import_job", kwargs={"job": job.public_id})).content.decode()
    assert "Importen kunde inte köras. Ingenting har sparats." in html


def test_only_the_uploader_sees_the_job(coordinator):
    _upload(verified_login(Client(), coordinator.user), coordinator.site)
    job = ImportJob.objects.get()
    colleague = MembershipFactory(
        site=coordinator.site, role=Role.COORDINATOR, organisation=coordinator.organisation
    )
    url = reverse("evaluation:import_job", kwargs={"job": job.public_id})
    assert verified_login(Client(), colleague.user).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign-in


def test_old_jobs_are_pruned_with_their_files(coordinator):
    _upload(verified_login(Client(), coordinator.user), coordinator.site)
    assert imports.prune(now=timezone.now() + timedelta(hours=23)) == 0
    assert imports.prune(now=timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert not ImportJob.objects.exists()
