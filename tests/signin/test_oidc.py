"""OIDC sign-in against a real provider on loopback (tests/signin/provider.py): real HTTP, real RS256
tokens, validated by the platform's client (Authlib)."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from gvi.partnership.models import Membership, Role
from gvi.signin.config import Provider as IdPConfig
from gvi.signin.config import parse_role_map, providers_from_environment
from gvi.signin.models import ExternalIdentity
from tests.signin.provider import Provider

A = Role.ANALYST
HOME = "/"


@pytest.fixture
def idp():
    provider = Provider().start()
    try:
        yield provider
    finally:
        provider.stop()


def configure(settings, idp, world, **overrides):
    config = {
        "key": "polisen",
        "label": "Polisen",
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "organisation": world.org_of(A).name,
        "role_map": parse_role_map("GVI.Analytiker=analyst@a;GVI.Samordnare=coordinator@a", "polisen"),
        "contact": "GVI-samordnaren, gvi@polisen.test",
        **overrides,
    }
    settings.GVI_OIDC_PROVIDERS = {config["key"]: IdPConfig(**config)}
    settings.GVI_REQUIRE_SECOND_FACTOR = True
    return settings.GVI_OIDC_PROVIDERS[config["key"]]


def sign_in(client, idp, key="polisen"):
    """The browser's round trip: to the IdP (a real HTTP request), back to GVI with code and state."""
    start = client.get(reverse("signin:oidc_start", kwargs={"provider": key}))
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(f"{idp.issuer}/authorize?")
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302, at_idp.text
    back = urlsplit(at_idp.headers["Location"])
    callback_url = f"{back.path}?{back.query}"
    return client.get(callback_url), callback_url


def lands_on(client) -> str:
    response = client.get(HOME)
    if response.status_code == 200:
        return "home"
    return response["Location"]


@pytest.mark.django_db
def test_sign_in_creates_the_user_maps_the_membership_and_still_asks_for_the_local_totp(settings, idp, world):
    configure(settings, idp, world)
    idp.claims = {"sub": "anna-1", "email": "anna@polisen.test", "roles": ["GVI.Analytiker"]}
    client = Client()
    response, _ = sign_in(client, idp)
    assert response.status_code == 302 and response["Location"] == reverse("partnership:home")
    identity = ExternalIdentity.objects.get(provider="polisen", subject="anna-1")
    user = identity.user
    assert user.email == "anna@polisen.test" and not user.has_usable_password()
    [membership] = user.memberships.active()
    assert (membership.organisation, membership.site, membership.role) == (world.org_of(A), world.site_a, A)
    assert lands_on(client) == reverse("access:second_factor")  # no acr/amr rule for this IdP: TOTP


@pytest.mark.django_db
def test_the_idps_mfa_counts_only_when_configured_for_that_idp_and_present_in_the_token(settings, idp, world):
    claims = {"sub": "anna-1", "roles": ["GVI.Analytiker"], "amr": ["pwd", "mfa"], "acr": "urn:test:mfa"}
    configure(settings, idp, world)  # not configured: the token's amr/acr count for nothing
    idp.claims = claims
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == reverse("access:second_factor")

    configure(settings, idp, world, mfa_amr=frozenset({"mfa"}))
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == "home"

    idp.claims = {**claims, "amr": ["pwd"]}  # configured, but this sign-in had one factor only
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == reverse("access:second_factor")

    configure(settings, idp, world, mfa_acr=frozenset({"urn:test:mfa"}))
    idp.claims = {**claims, "amr": ["pwd"]}
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == "home"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault, reason",
    [
        ("audience", "InvalidClaimError"),  # issued to another client
        ("audience-azp", "InvalidClaimError"),  # to another client, naming us as authorized party
        ("expired", "ExpiredTokenError"),
        ("forged", "BadSignatureError"),  # signed by a key the IdP does not publish
        ("nonce", "InvalidClaimError"),  # a token minted for an earlier sign-in
        ("drop:sub", "MissingClaimError"),
        ("drop:nonce", "MissingClaimError"),
    ],
)
def test_a_token_that_does_not_hold_is_refused(settings, idp, world, fault, reason, caplog):
    configure(settings, idp, world, mfa_amr=frozenset({"mfa"}))
    idp.claims = {"sub": "anna-1", "roles": ["GVI.Analytiker"], "amr": ["mfa"]}
    idp.fault = fault
    client = Client()
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response, _ = sign_in(client, idp)
    assert response.status_code == 400
    assert "Inloggningen kunde inte slutföras" in response.content.decode()
    assert lands_on(client).startswith(reverse("access:login"))
    assert not ExternalIdentity.objects.exists()
    assert [r.getMessage() for r in caplog.records if r.name == "gvi.signin"] == [
        f"OIDC sign-in refused: provider=polisen reason={reason}"
    ]


@pytest.mark.django_db
def test_a_replayed_callback_is_refused(settings, idp, world):
    configure(settings, idp, world, mfa_amr=frozenset({"mfa"}))
    idp.claims = {"sub": "anna-1", "roles": ["GVI.Analytiker"], "amr": ["mfa"]}
    client = Client()
    response, callback = sign_in(client, idp)
    assert response.status_code == 302
    assert client.get(callback).status_code == 400  # state spent in this session
    assert Client().get(callback).status_code == 400  # another browser, no state of its own
    # A state of this session with a code the IdP already spent: refused by the IdP's token endpoint.
    client = Client()
    start = client.get(reverse("signin:oidc_start", kwargs={"provider": "polisen"}))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    spent = parse_qs(urlsplit(callback).query)["code"][0]
    replay = client.get(
        reverse("signin:oidc_callback", kwargs={"provider": "polisen"}), {"code": spent, "state": state}
    )
    assert replay.status_code == 400 and lands_on(client).startswith(reverse("access:login"))


@pytest.mark.django_db
def test_a_missing_user_id_claim_is_refused(settings, idp, world, caplog):
    configure(settings, idp, world, user_id_claim="oid")
    idp.claims = {"sub": "anna-1", "roles": ["GVI.Analytiker"]}  # Entra's oid left out
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response, _ = sign_in(Client(), idp)
    assert response.status_code == 400
    assert any("missing claim oid" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_a_user_without_membership_sees_whom_to_ask_gets_no_data_and_is_logged(settings, idp, world, caplog):
    configure(settings, idp, world, mfa_amr=frozenset({"mfa"}))
    idp.claims = {"sub": "ny-1", "roles": ["Okand.Roll"], "amr": ["mfa"]}
    client = Client()
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response, _ = sign_in(client, idp)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Du har ingen behörighet i GVI ännu" in page and "GVI-samordnaren, gvi@polisen.test" in page
    assert lands_on(client).startswith(reverse("access:login"))  # not signed in
    user = ExternalIdentity.objects.get(subject="ny-1").user
    assert any(
        f"without membership: provider=polisen user={user.pk}" in r.getMessage() for r in caplog.records
    )
    # An administrator adds a membership and a second person of the organisation approves it (issue 21):
    # the next sign-in gets in.
    from django.utils import timezone

    Membership.objects.create(
        user=user, organisation=world.org_of(A), site=world.site_a, role=A, approved_at=timezone.now()
    )
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == "home"


@pytest.mark.django_db
def test_deactivation_at_the_idp_ends_access_at_the_next_sign_in(settings, idp, world):
    configure(settings, idp, world, mfa_amr=frozenset({"mfa"}))
    idp.claims = {"sub": "anna-1", "roles": ["GVI.Analytiker", "GVI.Samordnare"], "amr": ["mfa"]}
    client = Client()
    sign_in(client, idp)
    user = ExternalIdentity.objects.get(subject="anna-1").user
    assert set(user.memberships.active().values_list("role", flat=True)) == {A, Role.COORDINATOR}
    idp.claims = {"sub": "anna-1", "roles": ["GVI.Analytiker"], "amr": ["mfa"]}  # one role withdrawn
    sign_in(Client(), idp)
    assert set(user.memberships.active().values_list("role", flat=True)) == {A}
    idp.claims = {"sub": "anna-1", "roles": [], "amr": ["mfa"]}  # removed from GVI's groups at the IdP
    response, _ = sign_in(Client(), idp)
    assert response.status_code == 403
    assert not user.memberships.active().exists()
    # Each membership the IdP gave and ended is in the access log, as an administrator's grant would be.
    from gvi.access.models import AccessLog

    rows = AccessLog.objects.filter(record_type="partnership.membership", user_id_logged=user.pk)
    assert sorted((row.action, row.role) for row in rows) == [
        ("approve", A),
        ("approve", Role.COORDINATOR),
        ("end", A),
        ("end", Role.COORDINATOR),
    ]
    assert all(row.purpose.startswith("IdP polisen · ") for row in rows)


@pytest.mark.django_db
def test_sign_out_ends_the_session_and_offers_the_idps_sign_out(settings, idp, world):
    configure(settings, idp, world, mfa_amr=frozenset({"mfa"}))
    idp.claims = {"sub": "anna-1", "roles": ["GVI.Analytiker"], "amr": ["mfa"]}
    client = Client()
    sign_in(client, idp)
    home = client.get(HOME).content.decode()
    assert f'action="{reverse("signin:oidc_logout")}"' in home
    response = client.post(reverse("signin:oidc_logout"))
    assert response.status_code == 200
    assert lands_on(client).startswith(reverse("access:login"))
    [link] = [
        part.split('"')[0]
        for part in response.content.decode().split('href="')[1:]
        if part.startswith(idp.issuer)
    ]
    at_idp = requests.get(link.replace("&amp;", "&"), allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302 and at_idp.headers["Location"] == "http://testserver/konto/logga-in/"
    assert idp.logouts == [
        {"client_id": idp.client_id, "post_logout_redirect_uri": "http://testserver/konto/logga-in/"}
    ]


@pytest.mark.django_db
def test_the_sign_in_page_offers_each_configured_idp(settings, idp, world):
    configure(settings, idp, world)
    page = Client().get(reverse("access:login")).content.decode()
    assert (
        "Logga in med Polisen" in page
        and reverse("signin:oidc_start", kwargs={"provider": "polisen"}) in page
    )


def test_providers_are_read_from_the_environment():
    environ = {
        "GVI_OIDC_PROVIDERS": "polisen, kommunen",
        "GVI_OIDC_POLISEN_ISSUER": "https://login.microsoftonline.com/tenant/v2.0",
        "GVI_OIDC_POLISEN_CLIENT_ID": "id",
        "GVI_OIDC_POLISEN_CLIENT_SECRET": "secret",
        "GVI_OIDC_POLISEN_ORGANISATION": "Polisen Exempelstad",
        "GVI_OIDC_POLISEN_USER_ID_CLAIM": "oid",
        "GVI_OIDC_POLISEN_ROLE_MAP": "GVI.Analytiker=analyst@exempelstad; GVI.Nationell=national_analyst",
        "GVI_OIDC_POLISEN_MFA_AMR": "mfa",
        "GVI_OIDC_KOMMUNEN_ISSUER": "https://adfs.kommun.test/adfs",
        "GVI_OIDC_KOMMUNEN_CLIENT_ID": "id2",
        "GVI_OIDC_KOMMUNEN_CLIENT_SECRET": "secret2",
        "GVI_OIDC_KOMMUNEN_ORGANISATION": "Socialtjänsten Exempelstad",
        "GVI_OIDC_KOMMUNEN_ROLE_CLAIM": "groups",
    }
    providers = providers_from_environment(environ)
    assert set(providers) == {"polisen", "kommunen"}
    polisen = providers["polisen"]
    assert (
        polisen.metadata_url
        == "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration"
    )
    assert polisen.mapped_roles({"roles": ["GVI.Analytiker", "Annat"]}) == {("analyst", "exempelstad")}
    assert polisen.mapped_roles({"roles": "GVI.Nationell"}) == {("national_analyst", None)}
    assert polisen.counts_as_second_factor({"amr": ["pwd", "mfa"]})
    assert not providers["kommunen"].counts_as_second_factor({"amr": ["mfa"], "acr": "mfa"})
    with pytest.raises(ValueError):
        providers_from_environment({**environ, "GVI_OIDC_POLISEN_ROLE_MAP": "X=superuser@a"})
    with pytest.raises(ValueError):
        providers_from_environment({"GVI_OIDC_PROVIDERS": "x"})
