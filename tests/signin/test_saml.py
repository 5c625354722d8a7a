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


@pytest.mark.django_db
def test_the_idps_mfa_counts_only_when_configured_for_that_idp_and_present_in_the_assertion(
    settings, idp, world
):
    idp.attributes = {ROLE: ["GVI-Analytiker"]}
    idp.class_ref = MFA
    configure(settings, idp, world)  # not configured: the AuthnContext counts for nothing
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == reverse("access:second_factor")

    configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == "home"

    idp.class_ref = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"  # one factor only
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == reverse("access:second_factor")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault, reason",
    [
        ("audience", "wrong audience"),  # issued to another SP
        ("expired", "ResponseLifetimeExceed"),
        ("forged", "SignatureError"),  # signed by a key the IdP's metadata does not publish
    ],
)
def test_an_assertion_that_does_not_hold_is_refused(settings, idp, world, fault, reason, caplog):
    configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    idp.attributes = {ROLE: ["GVI-Analytiker"]}
    idp.class_ref = MFA
    idp.fault = fault
    client = Client()
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response, _ = sign_in(client, idp)
    assert response.status_code == 400
    assert "Inloggningen kunde inte slutföras" in response.content.decode()
    assert lands_on(client).startswith(reverse("access:login"))
    assert not ExternalIdentity.objects.exists()
    assert refusals(caplog) == [f"SAML sign-in refused: provider=kommunen reason={reason}"]


@pytest.mark.django_db
def test_a_replayed_or_unsolicited_response_is_refused(settings, idp, world, caplog):
    configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    idp.attributes = {ROLE: ["GVI-Analytiker"]}
    idp.class_ref = MFA
    acs = reverse("signin:saml_acs", kwargs={"provider": "kommunen"})
    client = Client()
    response, saml_response = sign_in(client, idp)
    assert response.status_code == 302 and lands_on(client) == "home"
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        # The same browser posts it again (its request cookie is gone), and another browser without any.
        assert client.post(acs, {"SAMLResponse": saml_response}).status_code == 400
        other = Client()
        assert other.post(acs, {"SAMLResponse": saml_response}).status_code == 400
        assert lands_on(other).startswith(reverse("access:login"))
        # A browser that started a sign-in of its own: the response answers another request.
        third = Client()
        at_idp(third, idp)
        assert third.post(acs, {"SAMLResponse": saml_response}).status_code == 400
        assert lands_on(third).startswith(reverse("access:login"))
    assert refusals(caplog) == ["SAML sign-in refused: provider=kommunen reason=UnsolicitedResponse"] * 3
    # A copy of the request cookie with the response: the request was answered once already.
    replay = Client()
    start = replay.get(reverse("signin:saml_start", kwargs={"provider": "kommunen"}))
    cookie = replay.cookies["gvi_saml_request"].value
    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    fresh = answer.text.split('name="SAMLResponse" value="')[1].split('"')[0]
    assert replay.post(acs, {"SAMLResponse": fresh}).status_code == 302
    copy = Client()
    copy.cookies["gvi_saml_request"] = cookie
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        assert copy.post(acs, {"SAMLResponse": fresh}).status_code == 400
    assert refusals(caplog)[-1] == "SAML sign-in refused: provider=kommunen reason=request already answered"
    assert lands_on(copy).startswith(reverse("access:login"))


@pytest.mark.django_db
def test_a_missing_user_id_attribute_is_refused(settings, idp, world, caplog):
    uid = "http://schemas.microsoft.com/identity/claims/objectidentifier"
    configure(settings, idp, world, user_id_claim=uid)
    idp.attributes = {ROLE: ["GVI-Analytiker"]}  # the object id left out
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response, _ = sign_in(Client(), idp)
    assert response.status_code == 400
    assert refusals(caplog) == [f"SAML sign-in refused: provider=kommunen reason=missing claim {uid}"]
    assert not ExternalIdentity.objects.exists()
    # With it, the attribute (not the NameID) identifies the user.
    idp.attributes = {ROLE: ["GVI-Analytiker"], uid: ["0f1e-2d3c"]}
    assert sign_in(Client(), idp)[0].status_code == 302
    assert ExternalIdentity.objects.get().subject == "0f1e-2d3c"


@pytest.mark.django_db
def test_a_user_without_membership_sees_whom_to_ask_gets_no_data_and_is_logged(settings, idp, world, caplog):
    configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    idp.name_id = "ny-1"
    idp.attributes = {ROLE: ["Okand-Grupp"]}
    idp.class_ref = MFA
    client = Client()
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response, _ = sign_in(client, idp)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Du har ingen behörighet i GVI ännu" in page and "GVI-samordnaren, gvi@kommunen.test" in page
    assert "Exempelstads kommun" in page
    assert lands_on(client).startswith(reverse("access:login"))  # not signed in
    user = ExternalIdentity.objects.get(subject="ny-1").user
    assert refusals(caplog) == [f"SAML sign-in without membership: provider=kommunen user={user.pk}"]
    Membership.objects.create(
        user=user, organisation=world.org_of(A), site=world.site_a, role=A, approved_at=timezone.now()
    )
    client = Client()
    sign_in(client, idp)
    assert lands_on(client) == "home"


@pytest.mark.django_db
def test_deactivation_at_the_idp_ends_access_at_the_next_sign_in(settings, idp, world):
    configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    idp.attributes = {ROLE: ["GVI-Analytiker", "GVI-Samordnare"]}
    idp.class_ref = MFA
    sign_in(Client(), idp)
    user = ExternalIdentity.objects.get(subject="anna-1").user
    assert set(user.memberships.active().values_list("role", flat=True)) == {A, Role.COORDINATOR}
    idp.attributes = {ROLE: ["GVI-Analytiker"]}
    sign_in(Client(), idp)
    assert set(user.memberships.active().values_list("role", flat=True)) == {A}
    idp.attributes = {}  # removed from GVI's groups at the IdP
    response, _ = sign_in(Client(), idp)
    assert response.status_code == 403
    assert not user.memberships.active().exists()


@pytest.mark.django_db
def test_sign_out_ends_the_session_here_and_at_the_idp(settings, idp, world, caplog):
    configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    idp.attributes = {ROLE: ["GVI-Analytiker"]}
    idp.class_ref = MFA
    client = Client()
    sign_in(client, idp)
    home = client.get(HOME).content.decode()
    assert f'action="{reverse("signin:oidc_logout")}"' in home
    response = client.post(reverse("signin:oidc_logout"))
    assert response.status_code == 200
    assert lands_on(client).startswith(reverse("access:login"))
    page = response.content.decode()
    assert "Logga ut från Exempelstads kommun" in page
    [link] = [part.split('"')[0] for part in page.split('href="')[1:] if part.startswith(idp.base)]
    # Single logout: the signed LogoutRequest names the user and the session the IdP opened.
    at_idp = requests.get(link.replace("&amp;", "&"), allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302, at_idp.text
    [logout] = idp.logouts
    assert logout.name_id.text == "anna-1" and logout.issuer.text == "https://gvi.test/saml/kommunen"
    back = urlsplit(at_idp.headers["Location"])
    assert back.path == reverse("signin:saml_sls", kwargs={"provider": "kommunen"})
    answered = client.get(f"{back.path}?{back.query}")
    assert answered.status_code == 302 and answered["Location"] == reverse("access:login")
    # The IdP's answer is spent: a copy finds no sign-out of ours to confirm.
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        assert client.get(f"{back.path}?{back.query}").status_code == 400
    assert refusals(caplog) == [
        "SAML sign-in refused: provider=kommunen reason=logout response to no request of ours"
    ]


@pytest.mark.django_db
def test_the_idp_can_end_the_session_here_with_a_signed_logout_request(settings, idp, world, caplog):
    provider = configure(settings, idp, world, mfa_authn_context=frozenset({MFA}))
    idp.attributes = {ROLE: ["GVI-Analytiker"]}
    idp.class_ref = MFA
    client, other = Client(), Client()
    sign_in(client, idp)
    idp.name_id = "bertil-2"
    sign_in(other, idp)
    assert lands_on(client) == lands_on(other) == "home"
    # Unsigned, or signed by another key: refused, the session stays.
    for url in (
        idp.logout_request(provider.entity_id, "anna-1", sign=False),
        IdentityProviderWithOtherKey(idp).logout_request(provider.entity_id, "anna-1"),
    ):
        back = urlsplit(url)
        with caplog.at_level(logging.WARNING, logger="gvi.signin"):
            assert client.get(f"{back.path}?{back.query}").status_code == 400
        assert lands_on(client) == "home"
    assert refusals(caplog) == ["SAML sign-in refused: provider=kommunen reason=logout SAMLError"] * 2
    # Signed by the IdP, for anna: her session ends, bertil's in another browser stays; the IdP is answered.
    back = urlsplit(idp.logout_request(provider.entity_id, "anna-1"))
    assert back.path == reverse("signin:saml_sls", kwargs={"provider": "kommunen"})
    answered = client.get(f"{back.path}?{back.query}")
    assert answered.status_code == 302 and answered["Location"].startswith(f"{idp.base}/slo?")
    assert lands_on(client).startswith(reverse("access:login"))
    assert lands_on(other) == "home"
    assert requests.get(answered["Location"], timeout=10).status_code == 200
    [answer] = idp.answers
    assert answer.status.status_code.value == "urn:oasis:names:tc:SAML:2.0:status:Success"
    # A request for anna reaching bertil's browser ends nothing there.
    back = urlsplit(idp.logout_request(provider.entity_id, "anna-1"))
    assert other.get(f"{back.path}?{back.query}").status_code == 302
    assert lands_on(other) == "home"


class IdentityProviderWithOtherKey:
    """The test IdP's name and endpoints with the key its metadata does not publish."""

    def __init__(self, idp):
        self.idp = idp

    def logout_request(self, sp_entity_id, name_id):
        idp = self.idp
        keys = idp.key_file, idp.cert_file
        idp.key_file, idp.cert_file = idp.other_key_file, idp.other_cert_file
        try:
            return idp.logout_request(sp_entity_id, name_id)
        finally:
            idp.key_file, idp.cert_file = keys


@pytest.mark.django_db
def test_the_sign_in_page_offers_saml_idps_beside_the_oidc_ones(settings, idp, world):
    from gvi.signin.config import Provider

    configure(settings, idp, world)
    settings.GVI_OIDC_PROVIDERS = {
        "polisen": Provider(
            key="polisen",
            label="Polisen",
            issuer="https://idp.polisen.test",
            client_id="x",
            client_secret="y",
            organisation="Polisen",
        )
    }
    page = Client().get(reverse("access:login")).content.decode()
    assert "Logga in med Exempelstads kommun" in page and "Logga in med Polisen" in page
    assert reverse("signin:saml_start", kwargs={"provider": "kommunen"}) in page
    assert reverse("signin:oidc_start", kwargs={"provider": "polisen"}) in page


@pytest.mark.django_db
def test_the_sp_metadata_names_our_entity_endpoints_and_certificate(settings, idp, world):
    provider = configure(settings, idp, world)
    xml = Client().get(reverse("signin:saml_metadata", kwargs={"provider": "kommunen"})).content.decode()
    assert 'entityID="https://gvi.test/saml/kommunen"' in xml
    assert f"{settings.GVI_BASE_URL}/konto/saml/kommunen/acs/" in xml
    assert 'AuthnRequestsSigned="true"' in xml and 'WantAssertionsSigned="true"' in xml
    cert = "".join(open(provider.sp_cert_file).read().splitlines()[1:-1])
    assert cert in xml.replace("\n", "")
    assert Client().get(reverse("signin:saml_metadata", kwargs={"provider": "okand"})).status_code == 404


@pytest.mark.django_db
def test_an_unreachable_idp_is_a_clear_refusal(settings, idp, world, caplog):
    configure(settings, idp, world, metadata_url="http://127.0.0.1:9/metadata")
    with caplog.at_level(logging.WARNING, logger="gvi.signin"):
        response = Client().get(reverse("signin:saml_start", kwargs={"provider": "kommunen"}))
    assert response.status_code == 502
    assert "Inloggningen kunde inte slutföras" in response.content.decode()
    assert refusals(caplog)[0].startswith("SAML sign-in refused: provider=kommunen reason=idp unusable")


def test_saml_providers_are_read_from_the_environment():
    environ = {
        "GVI_SAML_PROVIDERS": "kommunen, region",
        "GVI_SAML_SP_KEY_FILE": "/etc/gvi/saml.key",
        "GVI_SAML_SP_CERT_FILE": "/etc/gvi/saml.crt",
        "GVI_SAML_KOMMUNEN_METADATA_URL": "https://adfs.kommun.test/FederationMetadata/2007-06/FederationMetadata.xml",
        "GVI_SAML_KOMMUNEN_ENTITY_ID": "https://gvi.test/saml/kommunen",
        "GVI_SAML_KOMMUNEN_ORGANISATION": "Socialtjänsten Exempelstad",
        "GVI_SAML_KOMMUNEN_LABEL": "Exempelstads kommun",
        "GVI_SAML_KOMMUNEN_ROLE_MAP": "GVI-Socialsekreterare=caseworker@exempelstad",
        "GVI_SAML_KOMMUNEN_MFA_AUTHN_CONTEXT": f"{MFA} urn:test:mfa",
        "GVI_SAML_REGION_METADATA_FILE": "/etc/gvi/federation.xml",
        "GVI_SAML_REGION_IDP_ENTITY_ID": "https://idp.region.test",
        "GVI_SAML_REGION_ENTITY_ID": "https://gvi.test/saml/region",
        "GVI_SAML_REGION_ORGANISATION": "Region Exempel",
        "GVI_SAML_REGION_USER_ID_ATTRIBUTE": "urn:oid:1.2.752.29.4.13",
        "GVI_SAML_REGION_ROLE_ATTRIBUTE": "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
    }
    providers = saml_providers_from_environment(environ)
    assert set(providers) == {"kommunen", "region"}
    kommunen, region = providers["kommunen"], providers["region"]
    assert kommunen.user_id_claim == "NameID" and kommunen.role_claim == ADFS_ROLE
    assert kommunen.mapped_roles({ADFS_ROLE: ["GVI-Socialsekreterare", "Annat"]}) == {
        ("caseworker", "exempelstad")
    }
    assert kommunen.counts_as_second_factor([MFA]) and not kommunen.counts_as_second_factor(["pwd"])
    assert not region.counts_as_second_factor([MFA])
    assert (region.metadata_file, region.idp_entity_id) == (
        "/etc/gvi/federation.xml",
        "https://idp.region.test",
    )
    assert region.sp_key_file == "/etc/gvi/saml.key"
    for broken in (
        {"GVI_SAML_KOMMUNEN_ROLE_MAP": "X=superuser@a"},
        {"GVI_SAML_KOMMUNEN_METADATA_FILE": "/etc/gvi/both.xml"},  # URL and file: which one?
        {"GVI_SAML_SP_KEY_FILE": None},
        {"GVI_OIDC_PROVIDERS": "kommunen"},  # one key, one IdP
    ):
        with pytest.raises(ValueError):
            saml_providers_from_environment({k: v for k, v in {**environ, **broken}.items() if v is not None})


def test_a_transient_name_id_identifies_no_one():
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

    provider = SamlProvider(
        key="k", label="K", organisation="O", entity_id="e", sp_key_file="k", sp_cert_file="c"
    )
    assert saml.user_id({"NameID": "abc", "NameID.format": NAMEID_FORMAT_PERSISTENT}, provider) == "abc"
    assert saml.user_id({"NameID": "abc", "NameID.format": NAMEID_FORMAT_TRANSIENT}, provider) is None
    multi = SamlProvider(**{**provider.__dict__, "user_id_claim": "uid"})
    assert saml.user_id({"uid": ["a", "b"]}, multi) is None and saml.user_id({"uid": ["a"]}, multi) == "a"


@pytest.mark.django_db
def test_several_saml_idps_coexist_each_for_its_own_organisation(settings, idp, world, tmp_path, caplog):
    other_dir = tmp_path / "region"
    other_dir.mkdir()
    region_idp = IdentityProvider(other_dir).start()
    try:
        kommunen = configure(settings, idp, world)
        region = SamlProvider(
            **{
                **kommunen.__dict__,
                "key": "region",
                "label": "Region Exempel",
                "entity_id": "https://gvi.test/saml/region",
                "metadata_url": f"{region_idp.base}/metadata",
                "organisation": world.org_of(Role.CASEWORKER).name,
                "role_map": parse_role_map("GVI-Handlaggare=caseworker@a", "region"),
            }
        )
        settings.GVI_SAML_PROVIDERS = {"kommunen": kommunen, "region": region}
        metadata = Client().get(reverse("signin:saml_metadata", kwargs={"provider": "region"}))
        region_idp.trust(metadata.content.decode())
        idp.attributes = {ROLE: ["GVI-Analytiker"]}
        region_idp.name_id = "anna-1"  # the same NameID at another IdP is another person
        region_idp.attributes = {ROLE: ["GVI-Handlaggare", "GVI-Analytiker"]}
        sign_in(Client(), idp, "kommunen")
        sign_in(Client(), region_idp, "region")
        by_idp = {i.provider: i.user for i in ExternalIdentity.objects.all()}
        assert set(by_idp) == {"kommunen", "region"} and by_idp["kommunen"] != by_idp["region"]
        # Each IdP maps into its own organisation only: the region's "GVI-Analytiker" maps to nothing.
        assert [(m.organisation, m.role) for m in by_idp["region"].memberships.active()] == [
            (world.org_of(Role.CASEWORKER), Role.CASEWORKER)
        ]
        # The region's response posted to the kommun's ACS, in the browser that asked the region: refused.
        client = Client()
        _, region_response = at_idp(client, region_idp, "region")
        acs = reverse("signin:saml_acs", kwargs={"provider": "kommunen"})
        with caplog.at_level(logging.WARNING, logger="gvi.signin"):
            assert client.post(acs, {"SAMLResponse": region_response}).status_code == 400
        assert refusals(caplog)[0].startswith("SAML sign-in refused: provider=kommunen reason=")
        assert lands_on(client).startswith(reverse("access:login"))
    finally:
        region_idp.stop()


@pytest.mark.django_db
def test_over_https_the_request_cookie_comes_with_the_idps_cross_site_post(settings, idp, world):
    configure(settings, idp, world)
    settings.SESSION_COOKIE_SECURE = True
    client = Client()
    start = client.get(reverse("signin:saml_start", kwargs={"provider": "kommunen"}), secure=True)
    cookie = start.cookies["gvi_saml_request"]
    assert cookie["samesite"] == "None" and cookie["secure"] and cookie["httponly"]
    assert cookie["path"] == "/konto/saml/"
