"""OIDC sign-in: to the IdP, back with a code, tokens validated by Authlib (signature against the IdP's
published keys, issuer, audience = our client id, expiry, and the nonce and state this session sent,
each usable once), then the local user and its memberships; the second factor from the IdP only when
configured for it, otherwise the local TOTP as for everyone.

SAML 2.0 (below, with gvi.signin.saml): a signed AuthnRequest to the IdP, its signed assertion back by
POST, checked by pysaml2 (signature against the IdP's metadata, audience = our entity id, validity, and
InResponseTo = the request this browser sent, answered once); from there the same path as OIDC (_enter)."""

import logging

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from joserfc.errors import JoseError
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.ident import code, decode

from gvi.signin import saml, services
from gvi.signin.config import Provider

logger = logging.getLogger("gvi.signin")
SESSION_PROVIDER = "gvi_signin_provider"
SESSION_PROTOCOL = "gvi_signin_protocol"


def providers() -> dict[str, Provider]:
    return settings.GVI_OIDC_PROVIDERS


def _provider(key: str) -> Provider:
    provider = providers().get(key)
    if provider is None:
        raise Http404
    return provider


def _client(provider: Provider):
    oauth = OAuth()
    oauth.register(
        provider.key,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={"scope": provider.scopes, "timeout": 15},
    )
    return oauth.create_client(provider.key)


def _failed(request, provider, reason: str, status: int = 400):
    logger.warning(
        "%s sign-in refused: provider=%s reason=%s", provider.protocol.upper(), provider.key, reason
    )
    return render(request, "signin/failed.html", {"provider": provider}, status=status)


def _enter(request, provider, claims: dict, second_factor: bool):
    """After either protocol validated the IdP's answer: the local user and memberships, then in only
    with an active membership; the IdP's second factor only when `second_factor` (its rule held)."""
    protocol = provider.protocol.upper()
    try:
        user = services.sign_in(provider, claims)
    except services.MissingClaims as error:
        return _failed(request, provider, f"missing claim {error}")
    if not user.is_active:
        return _failed(request, provider, f"user {user.pk} deactivated in GVI", status=403)
    if not user.memberships.active().exists():
        logger.warning("%s sign-in without membership: provider=%s user=%s", protocol, provider.key, user.pk)
        return render(request, "signin/no_membership.html", {"provider": provider}, status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_PROVIDER] = provider.key
    request.session[SESSION_PROTOCOL] = provider.protocol
    if settings.GVI_REQUIRE_SECOND_FACTOR and second_factor:
        otp_login(request, services.assurance_device(user, provider))
    logger.info("%s sign-in: provider=%s user=%s", protocol, provider.key, user.pk)
    return None


def oidc_start(request, provider):
    provider = _provider(provider)
    redirect_uri = request.build_absolute_uri(
        reverse("signin:oidc_callback", kwargs={"provider": provider.key})
    )
    try:
        return _client(provider).authorize_redirect(request, redirect_uri)
    except requests.RequestException as error:
        return _failed(request, provider, f"idp unreachable ({type(error).__name__})", status=502)


def oidc_callback(request, provider):
    provider = _provider(provider)
    client = _client(provider)
    try:
        # Authlib checks aud only through azp unless told: a token for another client that names us in
        # azp would pass. The audience must be this client, the issuer the one the IdP's discovery names.
        issuer = client.load_server_metadata().get("issuer")
        claims_options = {
            "iss": {"essential": True, "values": [issuer]},
            "aud": {"essential": True, "values": [provider.client_id]},
        }
        token = client.authorize_access_token(request, claims_options=claims_options)
    except (OAuthError, JoseError, ValueError) as error:
        return _failed(request, provider, type(error).__name__)
    except requests.RequestException as error:
        return _failed(request, provider, f"idp unreachable ({type(error).__name__})", status=502)
    claims = token.get("userinfo")
    if not claims:
        return _failed(request, provider, "no id_token")
    refused = _enter(request, provider, dict(claims), provider.counts_as_second_factor(claims))
    return refused or redirect(settings.LOGIN_REDIRECT_URL)  # unverified sessions go on to the local TOTP


def _end_session_url(request, provider: Provider) -> str:
    try:
        metadata = _client(provider).load_server_metadata()
    except requests.RequestException:
        return ""
    end_session = metadata.get("end_session_endpoint")
    if not end_session:
        return ""
    back = request.build_absolute_uri(reverse(settings.LOGIN_URL))
    query = urlencode({"client_id": provider.client_id, "post_logout_redirect_uri": back})
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"


@require_POST
def oidc_logout(request):
    """Sign out here (after a sign-in through any IdP, OIDC or SAML); then offer the sign-out at the IdP
    (RP-initiated logout, SAML single logout) as a link, since the Content-Security-Policy
    (form-action 'self') lets a form lead to this site only."""
    key = request.session.get(SESSION_PROVIDER)
    is_saml = request.session.get(SESSION_PROTOCOL) == "saml"
    name_id = request.session.get(SESSION_SAML_NAME_ID, "")
    session_index = request.session.get(SESSION_SAML_SESSION_INDEX, "")
    logout(request)
    provider = (saml.providers() if is_saml else providers()).get(key) if key else None
    if provider is None:
        return redirect(settings.LOGIN_URL)
    if is_saml:
        end_session_url = _saml_logout_url(provider, name_id, session_index)
    else:
        end_session_url = _end_session_url(request, provider)
    return render(
        request, "signin/logged_out.html", {"provider": provider, "end_session_url": end_session_url}
    )


# --- SAML 2.0 (gvi.signin.saml) ------------------------------------------------------------------------
# The request this browser sent, for the response to answer: a signed cookie, since the IdP's POST back
# is cross-site and the Lax session cookie does not come with it; and once only, by the server's cache.
SAML_REQUEST_COOKIE = "gvi_saml_request"
SAML_REQUEST_SECONDS = 600
SESSION_SAML_NAME_ID = "gvi_saml_name_id"
SESSION_SAML_SESSION_INDEX = "gvi_saml_session_index"


def _saml_provider(key: str):
    provider = saml.providers().get(key)
    if provider is None:
        raise Http404
    return provider


def _outstanding_key(request_id: str) -> str:
    return f"gvi-saml-request:{request_id}"


def saml_start(request, provider):
    provider = _saml_provider(provider)
    try:
        client = saml.client(provider)
        request_id, info = client.prepare_for_authenticate(
            entityid=saml.idp_entity_id(client, provider),
            binding=BINDING_HTTP_REDIRECT,
            sigalg=saml.SIGNING,
            digest_alg=saml.DIGEST,
        )
    except (SAMLError, OSError, ValueError) as error:
        return _failed(request, provider, f"idp unusable ({type(error).__name__})", status=502)
    cache.set(_outstanding_key(request_id), provider.key, SAML_REQUEST_SECONDS)
    response = redirect(dict(info["headers"])["Location"])
    response.set_signed_cookie(
        SAML_REQUEST_COOKIE,
        f"{provider.key}:{request_id}",
        salt="gvi.signin.saml",
        max_age=SAML_REQUEST_SECONDS,
        path="/konto/saml/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=_request_cookie_samesite(),
    )
    return response


def _request_cookie_samesite() -> str:
    # None (sent with the IdP's cross-site POST) needs Secure; over plain http (development) only Lax.
    return "None" if settings.SESSION_COOKIE_SECURE else "Lax"


def _forget_request(response):
    response.delete_cookie(SAML_REQUEST_COOKIE, path="/konto/saml/", samesite=_request_cookie_samesite())
    return response


@csrf_exempt  # the IdP's form posts here; what counts is the signed assertion answering our request
@require_POST
def saml_acs(request, provider):
    provider = _saml_provider(provider)
    cookie = request.get_signed_cookie(
        SAML_REQUEST_COOKIE, default="", salt="gvi.signin.saml", max_age=SAML_REQUEST_SECONDS
    )
    key, _, request_id = cookie.partition(":")
    outstanding = {request_id: "/"} if key == provider.key and request_id else {}
    try:
        client = saml.client(provider)
        response = client.parse_authn_request_response(
            request.POST.get("SAMLResponse", ""), BINDING_HTTP_POST, outstanding=outstanding
        )
        if response is None:
            raise SAMLError("no response")
    except Exception as error:  # pysaml2 raises bare Exception too (the audience); any failure refuses
        reason = "wrong audience" if "AudienceRestriction" in str(error) else type(error).__name__
        return _forget_request(_failed(request, provider, reason))
    # Spent once: a copy of the response (or the same browser's back button) finds no request to answer.
    if not cache.delete(_outstanding_key(request_id)):
        return _failed(request, provider, "request already answered")
    claims = saml.assertion_claims(response)
    subject = saml.user_id(claims, provider)
    if not subject:
        return _failed(request, provider, f"missing claim {provider.user_id_claim}")
    claims[provider.user_id_claim] = subject
    second_factor = provider.counts_as_second_factor(saml.authn_class_refs(response))
    refused = _enter(request, provider, claims, second_factor)
    if refused:
        return refused
    request.session[SESSION_SAML_NAME_ID] = code(response.name_id) if response.name_id is not None else ""
    request.session[SESSION_SAML_SESSION_INDEX] = saml.session_index(response)
    return _forget_request(redirect(settings.LOGIN_REDIRECT_URL))  # unverified: on to the local TOTP


def saml_metadata(request, provider):
    """Our SP's metadata towards this IdP, for its administrator (entity id, endpoints, certificate)."""
    provider = _saml_provider(provider)
    return HttpResponse(saml.sp_metadata(provider), content_type="application/samlmetadata+xml")


def _saml_logout_url(provider, name_id: str, session_index: str) -> str:
    """A signed LogoutRequest to the IdP (HTTP-Redirect binding) for the session just ended here."""
    if not name_id:
        return ""
    try:
        client = saml.client(provider)
        idp = saml.idp_entity_id(client, provider)
        services_ = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
        if not services_:
            return ""
        destination = services_[0]["location"]
        request_id, logout_request = client.create_logout_request(
            destination,
            idp,
            name_id=decode(name_id),
            session_indexes=[session_index] if session_index else None,
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT, str(logout_request), destination, sign=True, sigalg=saml.SIGNING
        )
    except (SAMLError, OSError, ValueError) as error:
        logger.warning(
            "SAML sign-out request failed: provider=%s reason=%s", provider.key, type(error).__name__
        )
        return ""
    cache.set(_outstanding_key(request_id), provider.key, SAML_REQUEST_SECONDS)
    return dict(info["headers"])["Location"]


def saml_sls(request, provider):
    """Single logout from the IdP: its answer to our sign-out (LogoutResponse), checked, then on to the
    sign-in page; or its request to end the session here (IdP-initiated, LogoutRequest), answered."""
    provider = _saml_provider(provider)
    query = request.GET.dict()
    try:
        client = saml.client(provider)
        idp = saml.idp_entity_id(client, provider)
        kind = "SAMLRequest" if "SAMLRequest" in query else "SAMLResponse"
        if not saml.redirect_signed(client, idp, query, kind):
            raise SAMLError("not signed by the IdP")
        if kind == "SAMLRequest":
            return _saml_idp_logout(request, provider, client, idp, query)
        answer = client.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
        if answer is None:
            raise SAMLError("no response")
    except Exception as error:  # as for the sign-in response: any failure refuses
        return _failed(request, provider, f"logout {type(error).__name__}")
    if not cache.delete(_outstanding_key(answer.in_response_to or "")):
        return _failed(request, provider, "logout response to no request of ours")
    logger.info("SAML sign-out at the IdP confirmed: provider=%s", provider.key)
    return redirect(settings.LOGIN_URL)


def _saml_idp_logout(request, provider, client, idp: str, query: dict):
    """The IdP ends its session (the user signed out there, or elsewhere): end ours when this browser's
    session is that user's from that IdP, and answer the IdP (success either way: no session stays)."""
    message = client.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
    name_id = request.session.get(SESSION_SAML_NAME_ID, "")
    ours = (
        request.session.get(SESSION_PROTOCOL) == "saml"
        and request.session.get(SESSION_PROVIDER) == provider.key
        and bool(name_id)
        and message.name_id is not None
        and decode(name_id).text == message.name_id.text
    )
    if ours:
        logger.info("SAML sign-out from the IdP: provider=%s user=%s", provider.key, request.user.pk)
        logout(request)
    answer = client.create_logout_response(message, [BINDING_HTTP_REDIRECT])
    destination = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")[0]["location"]
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(answer),
        destination,
        relay_state=query.get("RelayState", ""),
        response=True,
        sign=True,
        sigalg=saml.SIGNING,
    )
    return redirect(dict(info["headers"])["Location"])
