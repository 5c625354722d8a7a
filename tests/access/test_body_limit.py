"""Request bodies are capped in the application (issue 21, finding 8)."""

import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import Client
from django.urls import reverse

from gvi.access.uploads import CappedUploadHandler


def spooled_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("*.upload*")}


@pytest.mark.django_db
def test_an_oversized_anonymous_multipart_post_is_refused_before_it_is_read(settings):
    """The attack: an unauthenticated huge multipart POST spooled to disk before CSRF refuses it."""
    settings.GVI_MAX_REQUEST_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # without the cap, this body would be spooled to a file
    before = spooled_files()
    body = SimpleUploadedFile("stor.bin", b"x" * (256 * 1024))
    answer = Client(enforce_csrf_checks=True).post(reverse("access:login"), {"fil": body})
    assert answer.status_code == 413
    assert spooled_files() <= before


@pytest.mark.django_db
def test_a_body_below_the_cap_still_reaches_the_view(settings):
    settings.GVI_MAX_REQUEST_BYTES = 64 * 1024
    answer = Client().post(reverse("access:login"), {"username": "x", "password": "y"})
    assert answer.status_code == 200


def test_the_upload_handler_stops_an_upload_past_the_cap(settings):
    settings.GVI_MAX_REQUEST_BYTES = 10
    handler = CappedUploadHandler()
    handler.receive_data_chunk(b"12345", 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"678901", 5)
