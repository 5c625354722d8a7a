"""OIDC sign-in: to the IdP, back with a code, tokens validated by Authlib (signature against the IdP's
published keys, issuer, audience = our client id, expiry, and the nonce and state this session sent,
each usable once), then the local user and its memberships; the second factor from the IdP only when
configured for it, otherwise the local TOTP as for everyone."""

import logging

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from joserfc.errors import JoseError

from gvi.signin import services
from gvi.signin.config import Provider

logger = logging.getLogger("gvi.signin")
SESSION_PROVIDER = "gvi_signin_provider"


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


def _failed(request, provider: Provider, reason: str, status: int = 400):
    logger.warning("OIDC sign-in refused: provider=%s reason=%s", provider.key, reason)
    return render(request, "signin/failed.html", {"provider": provider}, status=status)


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
    try:
        user = services.sign_in(provider, dict(claims))
    except services.MissingClaims as error:
        return _failed(request, provider, f"missing claim {error}")
    if not user.is_active:
        return _failed(request, provider, f"user {user.pk} deactivated in GVI", status=403)
    if not user.memberships.active().exists():
        logger.warning("OIDC sign-in without membership: provider=%s user=%s", provider.key, user.pk)
        return render(request, "signin/no_membership.html", {"provider": provider}, status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_PROVIDER] = provider.key
    if settings.GVI_REQUIRE_SECOND_FACTOR and provider.counts_as_second_factor(claims):
        otp_login(request, services.assurance_device(user, provider))
    logger.info("OIDC sign-in: provider=%s user=%s", provider.key, user.pk)
    return redirect(settings.LOGIN_REDIRECT_URL)  # unverified sessions go on to the local TOTP


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
    """Sign out here; then offer the sign-out at the IdP (RP-initiated logout) as a link, since the
    Content-Security-Policy (form-action 'self') lets a form lead to this site only."""
    key = request.session.get(SESSION_PROVIDER)
    logout(request)
    provider = providers().get(key) if key else None
    if provider is None:
        return redirect(settings.LOGIN_URL)
    return render(
        request,
        "signin/logged_out.html",
        {"provider": provider, "end_session_url": _end_session_url(request, provider)},
    )
