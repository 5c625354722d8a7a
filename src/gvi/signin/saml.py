"""SAML 2.0 with pysaml2: one service provider per configured IdP (its own entity id, the IdP's metadata),
built from gvi.signin.config and kept for an hour (a federation's metadata is large; an hour also picks
up the IdP's rolled-over signing keys).

pysaml2 is used directly rather than through djangosaml2, whose single SAML_CONFIG and attribute-mapping
auth backend fit one IdP: here each IdP has its organisation, role map and MFA rule, and the user and
memberships come from the protocol-neutral gvi.signin.services shared with OIDC."""

import os
import shutil
import threading
import time

from django.conf import settings
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.sigver import verify_redirect_signature

from gvi.signin.config import SamlProvider

CACHE_SECONDS = 3600
SIGNING = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
DIGEST = "http://www.w3.org/2001/04/xmlenc#sha256"
# The SAML attributes (by Name or FriendlyName) a new user's e-mail and names are taken from.
PROFILE_ATTRIBUTES = {
    "email": ("mail", "email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"),
    "given_name": ("givenName", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"),
    "family_name": ("sn", "surname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"),
}

_clients: dict[tuple, tuple[float, Saml2Client]] = {}
_lock = threading.Lock()


class IdPError(SAMLError):
    """The IdP's metadata does not name one IdP to use."""


def providers() -> dict[str, SamlProvider]:
    return settings.GVI_SAML_PROVIDERS


def _url(name: str, provider: SamlProvider) -> str:
    return settings.GVI_BASE_URL.rstrip("/") + reverse(name, kwargs={"provider": provider.key})


def sp_settings(provider: SamlProvider, with_metadata: bool = True) -> dict:
    config = {
        "entityid": provider.entity_id,
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "key_file": provider.sp_key_file,
        "cert_file": provider.sp_cert_file,
        # Assertions the IdP encrypts (ADFS does when it knows our certificate) are decrypted with it.
        "encryption_keypairs": [{"key_file": provider.sp_key_file, "cert_file": provider.sp_cert_file}],
        "accepted_time_diff": 60,  # seconds of clock skew tolerated against the IdP
        "http_client_timeout": 15,  # fetching the metadata (TLS certificates verified)
        "allow_unknown_attributes": True,
        "signing_algorithm": SIGNING,
        "digest_algorithm": DIGEST,
        "service": {
            "sp": {
                "name": "GVI",
                "endpoints": {
                    "assertion_consumer_service": [(_url("signin:saml_acs", provider), BINDING_HTTP_POST)],
                    "single_logout_service": [(_url("signin:saml_sls", provider), BINDING_HTTP_REDIRECT)],
                },
                "allow_unsolicited": False,  # a response must answer a request this browser made
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,  # ADFS signs the assertion only, by default
            }
        },
    }
    if with_metadata:
        config["metadata"] = (
            {"local": [provider.metadata_file]}
            if provider.metadata_file
            else {"remote": [{"url": provider.metadata_url, "cert": provider.metadata_cert or None}]}
        )
    return config


def _changed(*paths) -> list:
    """When each file last changed: a key pair or metadata file replaced in place is read anew."""
    stamps = []
    for path in paths:
        try:
            stamps.append(os.stat(path).st_mtime_ns if path else None)
        except OSError:
            stamps.append(None)
    return stamps


def client(provider: SamlProvider) -> Saml2Client:
    key = (
        provider.key,
        provider.entity_id,
        provider.metadata_url,
        provider.metadata_file,
        provider.metadata_cert,
        provider.sp_key_file,
        provider.sp_cert_file,
        settings.GVI_BASE_URL,
        *_changed(provider.metadata_file, provider.sp_key_file, provider.sp_cert_file),
    )
    with _lock:
        cached = _clients.get(key)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
    config = SPConfig()
    config.load(sp_settings(provider))
    made = Saml2Client(config=config)
    with _lock:
        _clients[key] = (time.monotonic(), made)
    return made


def idp_entity_id(saml_client: Saml2Client, provider: SamlProvider) -> str:
    if provider.idp_entity_id:
        return provider.idp_entity_id
    idps = list(saml_client.metadata.with_descriptor("idpsso"))
    if len(idps) != 1:
        raise IdPError(f"{len(idps)} IdPs in the metadata: set IDP_ENTITY_ID")
    return idps[0]


def sp_metadata(provider: SamlProvider) -> str:
    config = SPConfig()
    config.load(sp_settings(provider, with_metadata=False))
    return str(entity_descriptor(config))


def assertion_claims(response) -> dict:
    """The assertion's attributes as claims: each attribute under its Name and its FriendlyName (and
    pysaml2's name for it), a list of values; NameID and its format; e-mail and names as strings."""
    claims: dict = {}
    assertion = response.assertion
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute:
            values = [value.text for value in attribute.attribute_value if value.text]
            for name in {attribute.name, attribute.friendly_name} - {None, ""}:
                claims.setdefault(name, []).extend(values)
    for name, values in (response.ava or {}).items():
        claims.setdefault(name, list(values))
    name_id = response.name_id
    claims["NameID"] = name_id.text.strip() if name_id is not None and name_id.text else None
    claims["NameID.format"] = name_id.format if name_id is not None else None
    for claim, names in PROFILE_ATTRIBUTES.items():
        claims[claim] = next((claims[name][0] for name in names if claims.get(name)), "")
    return claims


def user_id(claims: dict, provider: SamlProvider) -> str | None:
    """The user's id: the configured attribute with exactly one value (a NameID that is transient, new at
    every sign-in, identifies no one)."""
    if provider.user_id_claim == "NameID":
        if claims.get("NameID.format") == NAMEID_FORMAT_TRANSIENT:
            return None
        return claims.get("NameID")
    values = claims.get(provider.user_id_claim) or []
    return values[0] if len(values) == 1 else None


def authn_class_refs(response) -> list[str]:
    refs = []
    for statement in response.assertion.authn_statement or []:
        context = statement.authn_context
        if context is not None and context.authn_context_class_ref is not None:
            refs.append((context.authn_context_class_ref.text or "").strip())
    return refs


def session_index(response) -> str:
    for statement in response.assertion.authn_statement or []:
        if statement.session_index:
            return statement.session_index
    return ""


def redirect_signed(saml_client: Saml2Client, idp: str, query: dict, message: str) -> bool:
    """The HTTP-Redirect binding's signature (over the query) by a signing key in the IdP's metadata.
    pysaml2 checks it only for requests to an IdP: an SP must check the IdP's logout messages itself."""
    if not query.get("Signature") or not query.get("SigAlg") or not query.get(message):
        return False
    signed = {name: query[name] for name in (message, "RelayState", "SigAlg", "Signature") if name in query}
    backend = saml_client.sec.sec_backend
    return any(
        verify_redirect_signature(signed, backend, cert)
        for _, cert in saml_client.metadata.certs(idp, "idpsso", "signing")
    )
