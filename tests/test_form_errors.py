"""Each problem in a form is said once: no error message shown twice on the page, and no rule checked both
by the form and by the model in different words (the involvement's "a group, a person or both")."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from gvi.partnership.models import Role
from tests.factories import verified_login

pytestmark = pytest.mark.django_db

FIELD = re.compile(r'<div id="([^"]+)_error" role="alert">(.*?)</div>', re.S)
NON_FIELD = re.compile(r'<div class="errors" role="alert">(.*?)</div>', re.S)


def _located_errors(html: str) -> list[tuple[str, str]]:
    """(where, message) for every error shown: a field's id, or "form" for the errors above the fields."""
    found = []
    for field_id, block in FIELD.findall(html):
        found += [
            (field_id, unescape(m).strip()) for m in re.findall(r'<p class="error">(.*?)</p>', block, re.S)
        ]
    for block in NON_FIELD.findall(html):
        found += [("form", unescape(m).strip()) for m in re.findall(r"<p>(.*?)</p>", block, re.S)]
    return found


def _repeated(errors: list[tuple[str, str]]) -> list[str]:
    """A message said twice in one place, or both above the form and at a field."""
    repeated = {f"{where}: {msg}" for where, msg in errors if errors.count((where, msg)) > 1}
    general = {msg for where, msg in errors if where == "form"}
    repeated |= {f"form and {where}: {msg}" for where, msg in errors if where != "form" and msg in general}
    return sorted(repeated)


def _errors(html: str) -> list[str]:
    return [msg for _, msg in _located_errors(html)]


def _forms(world):
    incident = world.record("incident", Role.ANALYST, "own")
    call_in = world.record("callin", Role.ANALYST, "own")
    return [
        (Role.ANALYST, reverse("incidents:incident_create"), {}),
        (Role.ANALYST, reverse("incidents:involvement_create", args=[incident.pk]), {}),
        (
            Role.ANALYST,
            reverse("incidents:involvement_create", args=[incident.pk]),
            {"role": "suspect", "member_status": "unknown", "confidence": "high"},
        ),
        (Role.ANALYST, reverse("groups:person_create"), {}),
        (Role.ANALYST, reverse("groups:group_create"), {}),
        (Role.ANALYST, reverse("communication:notification_create"), {}),
        (Role.ANALYST, reverse("communication:invitation_create", args=[call_in.pk]), {}),
        (Role.COORDINATOR, reverse("communication:communicationback_create"), {}),
        (Role.COORDINATOR, reverse("sanctions:episode_create"), {}),
        (Role.COORDINATOR, reverse("meetings:meeting_create"), {}),
        (Role.CASEWORKER, reverse("support:case_create"), {}),
    ]


def test_no_form_says_the_same_problem_twice(world):

    failures = []
    checked = 0
    for role, url, data in _forms(world):
        # One stray key: an empty POST leaves the views' forms unbound (`request.POST or None`).
        response = verified_login(Client(), world.users[role]).post(url, {"stray": "1", **data})
        assert response.status_code in (200, 409), f"{url} answered {response.status_code}"
        errors = _located_errors(response.content.decode())
        checked += bool(errors)
        repeated = _repeated(errors)
        if repeated:
            failures.append(f"{role} {url} {data}: {repeated}")
    assert checked >= 8, "the invalid posts should have shown errors"
    assert not failures, "\n".join(failures)


def test_an_involvement_without_group_or_person_is_refused_in_one_message(world):

    incident = world.record("incident", Role.ANALYST, "own")
    analyst = verified_login(Client(), world.users[Role.ANALYST])
    response = analyst.post(
        reverse("incidents:involvement_create", args=[incident.pk]),
        {"role": "suspect", "member_status": "unknown", "confidence": "high"},
    )
    errors = _errors(response.content.decode())
    assert errors == ["Ange en grupp, en person eller båda."], errors
