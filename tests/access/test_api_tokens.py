"""API keys (issue 21, finding 10): a key carries scopes that only narrow its user's rights, every route
declares the scope it needs, every key expires within GVI_API_TOKEN_MAX_DAYS, and keys are issued, listed
and revoked on a page and with `gvi api-token`, each step written to the access log with who did it."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gvi.access import scopes
from gvi.access.models import AccessLog, ApiToken
from gvi.access.scopes import ALL_SCOPES, ANY, SCOPES
from gvi.access.services import Operator, create_api_token, issue_api_token, revoke_api_token
from gvi.api import api
from gvi.api_auth import BearerToken
from gvi.partnership.models import Role
from tests.factories import UserFactory, verified_login

BASE = "/api/v1"
OWN = reverse("access:own_tokens")
ADMIN_LIST = reverse("access:token_admin_list")
MOMENT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def operations():
    """Every served API operation: (method, path, operation), as the router serves them."""
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield (
                        method,
                        "/" + "/".join(p for p in (bound.prefix.strip("/"), path.strip("/")) if p),
                        operation,
                    )


def declared_scope(operation) -> str | None:
    first = operation.auth_callbacks[0] if operation.auth_callbacks else None
    return first.scope if isinstance(first, BearerToken) else None


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_every_api_route_declares_a_known_scope():
    """Architecture: a new route that forgets `auth=scoped(...)` fails here (and refuses every key)."""
    seen = list(operations())
    assert len(seen) >= 60  # the walk reaches the app routers too, not just gvi.api
    assert any(path.startswith("/communication/") for _, path, _ in seen)
    missing = [f"{method} {path}" for method, path, op in seen if declared_scope(op) is None]
    assert missing == []
    unknown = [
        f"{method} {path}"
        for method, path, op in seen
        if declared_scope(op) != ANY and declared_scope(op) not in SCOPES
    ]
    assert unknown == []
    # Writes never ride on a read scope.
    reads_writing = [
        f"{method} {path}"
        for method, path, op in seen
        if method != "GET" and declared_scope(op).startswith("read:")
    ]
    assert reads_writing == []


@pytest.mark.django_db
def test_a_route_without_a_declared_scope_refuses_every_key(rf, world):
    raw = issue_api_token(world.users[Role.ANALYST], "allt")
    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    with pytest.raises(PermissionDenied):
        BearerToken(None)(request)
    assert BearerToken(scopes.READ_GROUPS)(request) == world.users[Role.ANALYST]


@pytest.mark.django_db
def test_every_route_refuses_a_key_without_its_scope_before_reading_input(world):
    analyst = world.users[Role.ANALYST]
    checked = 0
    for method, path, op in operations():
        scope = declared_scope(op)
        if scope == ANY:
            continue
        raw = issue_api_token(analyst, f"utan {scope}", scopes=[s for s in ALL_SCOPES if s != scope])
        url = BASE + re.sub(r"\{[^}]+\}", "1", path)
        answer = getattr(Client(), method.lower())(url, content_type="application/json", **bearer(raw))
        assert answer.status_code == 403, (method, path, answer.content)
        assert scope in answer.json()["detail"], (method, path)
        checked += 1
    assert checked >= 60


@pytest.mark.django_db
def test_an_incident_push_key_pushes_incidents_and_reads_no_persons_or_groups(world):
    analyst = world.users[Role.ANALYST]
    raw = issue_api_token(analyst, "Polisens ärendesystem", scopes=[scopes.INCIDENTS_PUSH])
    client = Client(**bearer(raw))
    created = client.post(
        BASE + "/incidents",
        {"type": "shooting", "occurred_at": "2026-03-01T22:00:00+01:00", "area": "Centrum"},
        content_type="application/json",
    )
    assert created.status_code == 201
    incident = created.json()
    patched = client.patch(
        f"{BASE}/incidents/{incident['id']}",
        {"version": incident["version"], "status": "reviewed"},
        content_type="application/json",
    )
    assert patched.status_code == 200
    for path in ("/persons", "/groups", "/memberships", "/incidents", f"/incidents/{incident['id']}"):
        answer = client.get(BASE + path)
        assert answer.status_code == 403, path
        assert "saknar behörigheten" in answer.json()["detail"]
    assert client.get(BASE + "/me").json()["username"] == analyst.username


@pytest.mark.django_db
def test_a_browser_session_is_not_narrowed_by_scopes(world):
    client = verified_login(Client(), world.users[Role.ANALYST])
    assert client.get(BASE + "/persons").status_code == 200
    assert client.get(BASE + "/groups").status_code == 200


@pytest.mark.django_db
def test_a_scope_never_grants_more_than_the_users_memberships(world):
    partner = world.users[Role.COMMUNITY_PARTNER]
    raw = issue_api_token(partner, "alla behörigheter", scopes=ALL_SCOPES)
    by_key = Client(**bearer(raw)).get(BASE + "/persons")
    by_session = verified_login(Client(), partner).get(BASE + "/persons")
    assert by_key.status_code == by_session.status_code
    assert by_key.json() == by_session.json()
    assert by_key.json()["count"] == 0
    assert Client(**bearer(raw)).get(BASE + "/sanctions/metrics").status_code == 403


# ----- lifetime -----


@pytest.mark.django_db
def test_every_key_expires_by_default_at_the_maximum_and_a_longer_one_is_refused(world, settings):
    settings.GVI_API_TOKEN_MAX_DAYS = 30
    analyst = world.users[Role.ANALYST]
    with time_machine.travel(MOMENT, tick=False):
        token, _raw = create_api_token(analyst, "standard", scopes=[scopes.READ_GROUPS])
        assert token.expires_at == MOMENT + timedelta(days=30)
        with pytest.raises(ValidationError):
            create_api_token(
                analyst, "för lång", scopes=[scopes.READ_GROUPS], expires_at=MOMENT + timedelta(days=31)
            )
    assert not ApiToken.objects.filter(name="för lång").exists()


@pytest.mark.django_db
def test_a_key_stops_working_when_it_expires(world):
    analyst = world.users[Role.ANALYST]
    with time_machine.travel(MOMENT, tick=False):
        raw = issue_api_token(
            analyst, "kort", expires_at=MOMENT + timedelta(days=2), scopes=[scopes.READ_GROUPS]
        )
        assert Client(**bearer(raw)).get(BASE + "/groups").status_code == 200
    with time_machine.travel(MOMENT + timedelta(days=2, seconds=1), tick=False):
        assert Client(**bearer(raw)).get(BASE + "/groups").status_code == 401


@pytest.mark.django_db
def test_a_key_needs_a_known_scope(world):
    analyst = world.users[Role.ANALYST]
    for wrong in ([], ["read:everything"]):
        with pytest.raises(ValidationError):
            issue_api_token(analyst, "fel", scopes=wrong)


# ----- revocation and the access log -----


@pytest.mark.django_db
def test_a_revoked_key_stops_working_and_stays_as_a_row_with_who_revoked_it(world):
    analyst = world.users[Role.ANALYST]
    token, raw = create_api_token(analyst, "system", scopes=[scopes.READ_GROUPS])
    revoke_api_token(analyst, token)
    assert Client(**bearer(raw)).get(BASE + "/groups").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == analyst
    entries = AccessLog.objects.filter(record_type="access.apitoken", record_id=str(token.pk)).order_by("seq")
    assert [(e.action, e.username) for e in entries] == [
        (AccessLog.Action.TOKEN, analyst.username),
        (AccessLog.Action.TOKEN_END, analyst.username),
    ]
    with pytest.raises(ValidationError):
        revoke_api_token(analyst, token)


@pytest.mark.django_db
def test_nobody_issues_a_key_for_another_user_nor_revokes_one_without_being_administrator(world):
    admin, analyst = world.users[Role.ADMINISTRATOR], world.users[Role.ANALYST]
    with pytest.raises(PermissionDenied):
        issue_api_token(analyst, "åt någon annan", scopes=[scopes.READ_GROUPS], actor=admin)
    assert not analyst.api_tokens.exists()
    token, _raw = create_api_token(analyst, "system", scopes=[scopes.READ_GROUPS])
    with pytest.raises(PermissionDenied):
        revoke_api_token(world.users[Role.COORDINATOR], token)
    revoke_api_token(admin, token)
    entry = AccessLog.objects.get(action=AccessLog.Action.TOKEN_END, record_id=str(token.pk))
    assert (entry.username, entry.role) == (admin.username, Role.ADMINISTRATOR)
    assert analyst.username in entry.purpose


# ----- the page -----


@pytest.mark.django_db
def test_a_user_issues_a_key_on_the_page_and_sees_it_once(world):
    analyst = world.users[Role.ANALYST]
    client = verified_login(Client(), analyst)
    answer = client.post(OWN, {"name": "Polisens ärendesystem", "scopes": [scopes.INCIDENTS_PUSH], "days": 7})
    assert answer.status_code == 200
    raw = re.search(r"gvi_[A-Za-z0-9_\-]{20,}", answer.content.decode()).group(0)
    token = ApiToken.objects.get(user=analyst)
    assert token.token_hash == ApiToken.hash_token(raw) and token.scopes == [scopes.INCIDENTS_PUSH]
    assert timedelta(days=7) - timedelta(minutes=1) < token.expires_at - timezone.now() <= timedelta(days=7)
    listing = client.get(OWN).content.decode()
    assert "Polisens ärendesystem" in listing and raw not in listing
    assert AccessLog.objects.filter(
        action=AccessLog.Action.TOKEN, record_id=str(token.pk), username=analyst.username
    ).exists()


@pytest.mark.django_db
def test_the_page_refuses_a_lifetime_beyond_the_maximum_and_a_key_without_scopes(world, settings):
    settings.GVI_API_TOKEN_MAX_DAYS = 14
    client = verified_login(Client(), world.users[Role.ANALYST])
    too_long = client.post(OWN, {"name": "x", "scopes": [scopes.READ_GROUPS], "days": 15})
    assert too_long.status_code == 200 and "gvi_" not in too_long.content.decode()
    assert too_long.context["form"].errors["days"]
    no_scope = client.post(OWN, {"name": "x", "days": 5})
    assert no_scope.context["form"].errors["scopes"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_user_revokes_its_own_key_after_confirming_and_cannot_reach_anothers(world):
    analyst, coordinator = world.users[Role.ANALYST], world.users[Role.COORDINATOR]
    token, raw = create_api_token(analyst, "system", scopes=[scopes.READ_GROUPS])
    revoke = reverse("access:token_revoke", kwargs={"pk": token.pk})
    assert verified_login(Client(), coordinator).get(revoke).status_code == 404
    assert verified_login(Client(), coordinator).post(revoke).status_code == 404
    client = verified_login(Client(), analyst)
    confirm = client.get(revoke)
    assert confirm.status_code == 200 and "system" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # asking changes nothing
    assert client.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == analyst
    assert Client(**bearer(raw)).get(BASE + "/groups").status_code == 401
    assert "Återkallad" in client.get(OWN).content.decode()


@pytest.mark.django_db
def test_the_administrator_sees_and_revokes_any_users_key_but_issues_none_for_others(world):
    admin, analyst = world.users[Role.ADMINISTRATOR], world.users[Role.ANALYST]
    token, _raw = create_api_token(analyst, "Analysverktyg", scopes=[scopes.READ_GROUPS])
    client = verified_login(Client(), admin)
    listing = client.get(ADMIN_LIST).content.decode()
    assert "Analysverktyg" in listing and analyst.username in listing
    assert 'name="scopes"' not in listing  # no form to issue a key there
    assert client.post(reverse("access:token_revoke", kwargs={"pk": token.pk})).status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == admin
    # The page for issuing only ever issues for the signed-in user.
    client.post(OWN, {"name": "egen", "scopes": [scopes.READ_GROUPS], "days": 3, "user": analyst.pk})
    assert set(ApiToken.objects.filter(name="egen").values_list("user", flat=True)) == {admin.pk}
    assert verified_login(Client(), analyst).get(ADMIN_LIST).status_code == 403


# ----- the command -----


@pytest.mark.django_db
def test_the_command_issues_lists_and_revokes_recording_the_operator(world, settings):
    settings.GVI_API_TOKEN_MAX_DAYS = 60
    analyst = world.users[Role.ANALYST]
    out = StringIO()
    call_command(
        "gvi_api_token",
        "issue",
        "--user",
        analyst.username,
        "--name",
        "Incidentflöde",
        "--scope",
        scopes.INCIDENTS_PUSH,
        "--scope",
        scopes.READ_INCIDENTS,
        "--by",
        "Eva Ek, ärende 12",
        stdout=out,
    )
    raw = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(token_hash=ApiToken.hash_token(raw))
    assert token.scopes == [scopes.INCIDENTS_PUSH, scopes.READ_INCIDENTS]
    assert token.issued_by_operator == "Eva Ek, ärende 12"
    assert timedelta(days=59) < token.expires_at - timezone.now() <= timedelta(days=60)
    issued = AccessLog.objects.get(action=AccessLog.Action.TOKEN, record_id=str(token.pk))
    assert issued.username == "shell: Eva Ek, ärende 12"

    listing = StringIO()
    call_command("gvi_api_token", "list", "--user", analyst.username, stdout=listing)
    assert "Incidentflöde" in listing.getvalue() and raw not in listing.getvalue()

    call_command("gvi_api_token", "revoke", "--id", str(token.pk), "--by", "Eva Ek, läckt", stdout=StringIO())
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by_operator == "Eva Ek, läckt"
    assert AccessLog.objects.get(action=AccessLog.Action.TOKEN_END).username == "shell: Eva Ek, läckt"
    all_keys = StringIO()
    call_command("gvi_api_token", "list", "--all", stdout=all_keys)
    assert "revoked" in all_keys.getvalue()


@pytest.mark.django_db
def test_the_command_refuses_a_lifetime_beyond_the_maximum_and_an_anonymous_operator(world, settings):
    settings.GVI_API_TOKEN_MAX_DAYS = 10
    analyst = world.users[Role.ANALYST]
    base = [
        "gvi_api_token",
        "issue",
        "--user",
        analyst.username,
        "--name",
        "x",
        "--scope",
        scopes.READ_GROUPS,
    ]
    with pytest.raises(CommandError, match="10"):
        call_command(*base, "--days", "11", "--by", "Eva Ek, test", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command(*base, "--by", " ", stdout=StringIO())
    assert not ApiToken.objects.exists()
    assert Operator("Eva Ek, test").get_username() == "shell: Eva Ek, test"


@pytest.mark.django_db
def test_a_new_user_without_memberships_gets_an_empty_api_through_any_key():
    loner = UserFactory()
    raw = issue_api_token(loner, "ensam", scopes=ALL_SCOPES)
    assert Client(**bearer(raw)).get(BASE + "/groups").json()["count"] == 0


@pytest.mark.django_db
def test_the_accounts_page_shows_the_users_key_events_to_the_administrator(world):
    analyst = world.users[Role.ANALYST]
    token, _raw = create_api_token(analyst, "Rapportverktyg", scopes=[scopes.READ_GROUPS])
    revoke_api_token(analyst, token)
    page = verified_login(Client(), world.users[Role.ADMINISTRATOR]).get(
        reverse("access:account_detail", kwargs={"pk": analyst.pk})
    )
    text = page.content.decode()
    assert "API-nyckel utfärdad" in text and "API-nyckel återkallad" in text


@pytest.mark.django_db
def test_the_key_page_is_translated(world):
    client = verified_login(Client(), world.users[Role.ANALYST])
    client.cookies["django_language"] = "en"
    try:
        text = client.get(OWN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    finally:
        translation.activate("sv")  # the locale middleware leaves the thread in English
    assert "My API keys" in text and "The key’s scopes" in text
