"""SAML 2.0 sign-in against a real IdP on loopback (tests/signin/saml_idp.py: pysaml2's own IdP behind an
HTTP server): real HTTP for metadata and single sign-on, real XML signatures by xmlsec1, validated by the
platform's SP (pysaml2)."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.partnership.models import Membership, Role
from gvi.signin import saml
from gvi.signin.config import ADFS_ROLE, SamlProvider, parse_role_map, saml_providers_from_environment
from gvi.signin.models import ExternalIdentity
from tests.signin.saml_idp import MFA, IdentityProvider, key_pair

A = Role.ANALYST
HOME = "/"
ROLE = ADFS_ROLE
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


@pytest.fixture
def idp(tmp_path):
    provider = IdentityProvider(tmp_path).start()
    try:
        yield provider
    finally:
        provider.stop()


def configure(settings, idp, world, **overrides):
    sp_key, sp_cert = key_pair(idp.directory, "sp")
    config = {
        "key": "kommunen",
        "label": "Exempelstads kommun",
        "organisation": world.org_of(A).name,
        "entity_id": "https://gvi.test/saml/kommunen",
        "sp_key_file": sp_key,
        "sp_cert_file": sp_cert,
        "metadata_url": f"{idp.base}/metadata",
        "role_map": parse_role_map("GVI-Analytiker=analyst@a;GVI-Samordnare=coordinator@a", "kommunen"),
        "contact": "GVI-samordnaren, gvi@kommunen.test",
        **overrides,
    }
    provider = SamlProvider(**config)
    settings.GVI_SAML_PROVIDERS = {provider.key: provider}
    settings.GVI_OIDC_PROVIDERS = {}
    settings.GVI_REQUIRE_SECOND_FACTOR = True
    # The IdP's administrator loads our SP's metadata from the URL GVI publishes.
    metadata = Client().get(reverse("signin:saml_metadata", kwargs={"provider": provider.key}))
    assert metadata.status_code == 200 and metadata["Content-Type"] == "application/samlmetadata+xml"
    idp.trust(metadata.content.decode())
    return provider


def at_idp(client, idp, key="kommunen"):
    """The browser's way to the IdP (a real HTTP request with the signed AuthnRequest); returns the ACS
    path and the IdP's SAMLResponse from the form it would post back."""
    start = client.get(reverse("signin:saml_start", kwargs={"provider": key}))
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(f"{idp.base}/sso?")
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(parse_qs(urlsplit(start["Location"]).query))
    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 200, answer.text
    action = answer.text.split('action="')[1].split('"')[0]
    value = answer.text.split('name="SAMLResponse" value="')[1].split('"')[0]
    return urlsplit(action).path, value


def sign_in(client, idp, key="kommunen"):
    acs, saml_response = at_idp(client, idp, key)
    assert acs == reverse("signin:saml_acs", kwargs={"provider": key})
    return client.post(acs, {"SAMLResponse": saml_response}), saml_response


def lands_on(client) -> str:
    response = client.get(HOME)
    if response.status_code == 200:
        return "home"
    return response["Location"]


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gvi.signin" and r.levelno >= logging.WARNING]


@pytest.mark.django_db
def test_sign_in_creates_the_user_maps_the_membership_and_still_asks_for_the_local_totp(settings, idp, world):
    configure(settings, idp, world)
    idp.name_id = "anna-1"
    idp.attributes = {EMAIL: ["anna@kommunen.test"], ROLE: ["GVI-Analytiker"]}
    client = Client()
    response, _ = sign_in(client, idp)
    assert response.status_code == 302 and response["Location"] == reverse("partnership:home")
    identity = ExternalIdentity.objects.get(provider="kommunen", subject="anna-1")
    user = identity.user
    assert user.email == "anna@kommunen.test" and not user.has_usable_password()
    [membership] = user.memberships.active()
    assert (membership.organisation, membership.site, membership.role) == (world.org_of(A), world.site_a, A)
    assert lands_on(client) == reverse("access:second_factor")  # no AuthnContext rule for this IdP: TOTP
    [request] = idp.requests
    assert request.issuer.text == "https://gvi.test/saml/kommunen"
    # A second sign-in links to the same user.
    sign_in(Client(), idp)
    assert ExternalIdentity.objects.get().user == user
