"""Open redirect (issue 21, finding 9): every view that follows a `next` parameter stays on this host."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.partnership.models import Organisation, Role
from tests.factories import UserFactory, verified_login

OFF_SITE = [
    "//evil.example/x",
    "https://evil.example/x",
    "/\\evil.example/x",
    "javascript:alert(1)",
    "///evil.example",
]
SRC = Path(__file__).resolve().parents[2] / "src" / "gvi"


def stays_here(answer) -> bool:
    location = answer.headers.get("Location", "")
    return answer.status_code == 302 and (location.startswith("/") and not location.startswith(("//", "/\\")))


def test_every_next_parameter_goes_through_the_one_rule():
    """A view reading `next` itself (and not through gvi.access.redirects.safe_next) fails here."""
    readers = []
    for path in SRC.rglob("*.py"):
        if path.name == "redirects.py":
            continue
        if re.search(r"""\.(GET|POST)(\.get\(|\[)\s*["']next["']""", path.read_text()):
            readers.append(str(path.relative_to(SRC)))
    assert readers == []


@pytest.mark.django_db
@pytest.mark.parametrize("target", OFF_SITE)
def test_record_reviewed_does_not_redirect_off_site(world, target):
    """The attack: POST /kartlaggning/person/<id>/omprovad/ with next=//evil.example/x."""
    person = world.record("person", Role.ANALYST, "own")
    client = verified_login(Client(), world.users[Role.ANALYST])
    url = reverse("groups:record_reviewed", kwargs={"kind": "person", "pk": person.pk})
    answer = client.post(url, {"version": person.version, "next": target})
    assert stays_here(answer), answer.headers.get("Location")
    local = client.post(url, {"version": person.version + 1, "next": "/personer/"})
    assert local.headers["Location"] == "/personer/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", OFF_SITE)
def test_task_status_does_not_redirect_off_site(world, target):
    task = world.records[("task", "a", Organisation.Type.MUNICIPALITY)]
    client = verified_login(Client(), world.users[Role.COORDINATOR])
    answer = client.post(
        reverse("meetings:task_status", kwargs={"pk": task.pk}),
        {"status": "in_progress", "version": task.version, "next": target},
    )
    assert stays_here(answer), answer.headers.get("Location")


@pytest.mark.django_db
@pytest.mark.parametrize("target", OFF_SITE)
def test_second_factor_does_not_redirect_off_site(target):
    user = UserFactory()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    answer = client.post(reverse("access:second_factor") + f"?next={target}", {"token": code})
    assert stays_here(answer), answer.headers.get("Location")


@pytest.mark.django_db
@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_does_not_redirect_off_site(target):
    answer = Client().post(reverse("set_language"), {"language": "en", "next": target})
    assert stays_here(answer), answer.headers.get("Location")
