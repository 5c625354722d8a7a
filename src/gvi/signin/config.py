"""The identity providers, read from the environment (no Django import: settings.py calls this).

    GVI_OIDC_PROVIDERS=polisen,kommunen                  the keys, one per IdP
    GVI_OIDC_<KEY>_ISSUER=https://login.microsoftonline.com/<tenant>/v2.0
    GVI_OIDC_<KEY>_CLIENT_ID=...   GVI_OIDC_<KEY>_CLIENT_SECRET=...
    GVI_OIDC_<KEY>_LABEL=Polisen                           the button on the sign-in page
    GVI_OIDC_<KEY>_ORGANISATION=Polisen Exempelstad        the organisation (name or short name) it signs in for
    GVI_OIDC_<KEY>_SCOPES=openid email profile             (default)
    GVI_OIDC_<KEY>_USER_ID_CLAIM=sub                       the claim that identifies the user (Entra: oid)
    GVI_OIDC_<KEY>_ROLE_CLAIM=roles                        the claim holding app roles or groups
    GVI_OIDC_<KEY>_ROLE_MAP=GVI.Analytiker=analyst@exempelstad;GVI.Samordnare=coordinator@exempelstad
    GVI_OIDC_<KEY>_MFA_ACR=...   GVI_OIDC_<KEY>_MFA_AMR=mfa   values that count as the second factor
    GVI_OIDC_<KEY>_CONTACT=GVI-samordnaren, gvi@exempelstad.se   whom a user without membership asks

SAML 2.0 IdPs (ADFS, a SITHS federation's IdP) beside them, keys distinct from the OIDC ones:

    GVI_SAML_PROVIDERS=kommunen
    GVI_SAML_<KEY>_METADATA_URL=https://adfs.kommun.se/FederationMetadata/2007-06/FederationMetadata.xml
    GVI_SAML_<KEY>_METADATA_FILE=/etc/gvi/kommunen-idp.xml      (instead of the URL)
    GVI_SAML_<KEY>_METADATA_CERT=/etc/gvi/federation.crt   the metadata's signer, checked when set
    GVI_SAML_<KEY>_IDP_ENTITY_ID=...       which IdP, when the metadata (a federation's) lists several
    GVI_SAML_<KEY>_ENTITY_ID=https://gvi.example.se/saml/kommunen   our SP's entity id towards this IdP
    GVI_SAML_<KEY>_LABEL, _ORGANISATION, _ROLE_MAP, _CONTACT   as for OIDC
    GVI_SAML_<KEY>_USER_ID_ATTRIBUTE=NameID                the attribute that identifies the user (default NameID)
    GVI_SAML_<KEY>_ROLE_ATTRIBUTE=...                      the attribute holding roles or groups
    GVI_SAML_<KEY>_MFA_AUTHN_CONTEXT=...                   AuthnContextClassRef values that count as the second factor
    GVI_SAML_SP_KEY_FILE=...   GVI_SAML_SP_CERT_FILE=...   our SP's signing (and decryption) key pair

An IdP grants memberships in its own organisation only: a police IdP cannot make anyone a member of
social services. Without MFA_ACR/MFA_AMR (OIDC) or MFA_AUTHN_CONTEXT (SAML) nothing the IdP says counts
as a second factor.
"""

from dataclasses import dataclass, field

ROLE_VALUES = {
    "coordinator",
    "analyst",
    "caseworker",
    "probation_officer",
    "community_partner",
    "steering_member",
    "national_analyst",
    "administrator",
}


class ConfigurationError(ValueError):
    pass


class RoleMapping:
    """What OIDC and SAML providers share: the claim (attribute) with roles, mapped to memberships."""

    role_claim: str
    role_map: dict

    def mapped_roles(self, claims: dict) -> set[tuple[str, str | None]]:
        values = claims.get(self.role_claim) or []
        values = [values] if isinstance(values, str) else values
        mapped = set()
        for value in values:
            mapped.update(self.role_map.get(str(value), []))
        return mapped


@dataclass(frozen=True)
class Provider(RoleMapping):
    key: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    organisation: str
    scopes: str = "openid email profile"
    user_id_claim: str = "sub"
    role_claim: str = "roles"
    role_map: dict = field(default_factory=dict)  # claim value -> [(role, site slug or None)]
    mfa_acr: frozenset = frozenset()
    mfa_amr: frozenset = frozenset()
    contact: str = ""
    protocol = "oidc"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def counts_as_second_factor(self, claims: dict) -> bool:
        """True only when this IdP is configured to trust its acr/amr and the token carries such a value."""
        if self.mfa_acr and str(claims.get("acr", "")) in self.mfa_acr:
            return True
        amr = claims.get("amr") or []
        amr = [amr] if isinstance(amr, str) else amr
        return bool(self.mfa_amr and self.mfa_amr & {str(value) for value in amr})


# ADFS's claim type for roles (its "Role" outgoing claim): the usual attribute when the IdP is ADFS.
ADFS_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


@dataclass(frozen=True)
class SamlProvider(RoleMapping):
    key: str
    label: str
    organisation: str
    entity_id: str  # ours (the SP's) towards this IdP
    sp_key_file: str
    sp_cert_file: str
    metadata_url: str = ""
    metadata_file: str = ""
    metadata_cert: str = ""  # the certificate a federation signs its metadata with (checked when set)
    idp_entity_id: str = ""
    user_id_claim: str = "NameID"
    role_claim: str = ADFS_ROLE
    role_map: dict = field(default_factory=dict)
    mfa_authn_context: frozenset = frozenset()
    contact: str = ""
    protocol = "saml"

    def counts_as_second_factor(self, class_refs) -> bool:
        """True only when this IdP is configured to trust an AuthnContextClassRef the assertion carries."""
        return bool(self.mfa_authn_context & set(class_refs))


def parse_role_map(text: str, key: str, prefix: str = "GVI_OIDC") -> dict:
    role_map: dict[str, list] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        value, _, target = entry.rpartition("=")
        role, _, site = target.partition("@")
        role, site = role.strip(), site.strip() or None
        if not value or role not in ROLE_VALUES:
            raise ConfigurationError(f"{prefix}_{key.upper()}_ROLE_MAP: ogiltig post {entry!r}")
        role_map.setdefault(value.strip(), []).append((role, site))
    return role_map


def _words(text: str) -> frozenset:
    return frozenset(filter(None, (part.strip() for part in text.replace(",", " ").split())))


def _keys(environ, name: str) -> list[str]:
    return list(filter(None, (part.strip().lower() for part in environ.get(name, "").split(","))))


def _getter(environ, prefix: str):
    def get(name, default=None):
        value = environ.get(prefix + name, default)
        if value is None:
            raise ConfigurationError(f"{prefix}{name} måste sättas")
        return value

    return get


def providers_from_environment(environ) -> dict[str, Provider]:
    providers = {}
    for key in _keys(environ, "GVI_OIDC_PROVIDERS"):
        get = _getter(environ, f"GVI_OIDC_{key.upper()}_")

        providers[key] = Provider(
            key=key,
            label=get("LABEL", key),
            issuer=get("ISSUER"),
            client_id=get("CLIENT_ID"),
            client_secret=get("CLIENT_SECRET"),
            organisation=get("ORGANISATION"),
            scopes=get("SCOPES", "openid email profile"),
            user_id_claim=get("USER_ID_CLAIM", "sub"),
            role_claim=get("ROLE_CLAIM", "roles"),
            role_map=parse_role_map(get("ROLE_MAP", ""), key),
            mfa_acr=_words(get("MFA_ACR", "")),
            mfa_amr=_words(get("MFA_AMR", "")),
            contact=get("CONTACT", ""),
        )
    return providers


def saml_providers_from_environment(environ) -> dict[str, SamlProvider]:
    providers = {}
    shared = set(_keys(environ, "GVI_OIDC_PROVIDERS")) & set(_keys(environ, "GVI_SAML_PROVIDERS"))
    if shared:
        # The key names the IdP in each user's external identity: one key, one IdP.
        raise ConfigurationError(f"GVI_SAML_PROVIDERS: nyckeln {sorted(shared)[0]!r} används redan för OIDC")
    for key in _keys(environ, "GVI_SAML_PROVIDERS"):
        get = _getter(environ, f"GVI_SAML_{key.upper()}_")
        metadata_url, metadata_file = get("METADATA_URL", ""), get("METADATA_FILE", "")
        if bool(metadata_url) == bool(metadata_file):
            raise ConfigurationError(
                f"GVI_SAML_{key.upper()}_METADATA_URL eller _METADATA_FILE måste sättas (en av dem)"
            )
        providers[key] = SamlProvider(
            key=key,
            label=get("LABEL", key),
            organisation=get("ORGANISATION"),
            entity_id=get("ENTITY_ID"),
            sp_key_file=_getter(environ, "GVI_SAML_")("SP_KEY_FILE"),
            sp_cert_file=_getter(environ, "GVI_SAML_")("SP_CERT_FILE"),
            metadata_url=metadata_url,
            metadata_file=metadata_file,
            metadata_cert=get("METADATA_CERT", ""),
            idp_entity_id=get("IDP_ENTITY_ID", ""),
            user_id_claim=get("USER_ID_ATTRIBUTE", "NameID"),
            role_claim=get("ROLE_ATTRIBUTE", ADFS_ROLE),
            role_map=parse_role_map(get("ROLE_MAP", ""), key, "GVI_SAML"),
            mfa_authn_context=_words(get("MFA_AUTHN_CONTEXT", "")),
            contact=get("CONTACT", ""),
        )
    return providers
