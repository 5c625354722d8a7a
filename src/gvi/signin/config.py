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

An IdP grants memberships in its own organisation only: a police IdP cannot make anyone a member of
social services. Without MFA_ACR/MFA_AMR nothing the IdP says counts as a second factor.
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


@dataclass(frozen=True)
class Provider:
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

    def mapped_roles(self, claims: dict) -> set[tuple[str, str | None]]:
        values = claims.get(self.role_claim) or []
        values = [values] if isinstance(values, str) else values
        mapped = set()
        for value in values:
            mapped.update(self.role_map.get(str(value), []))
        return mapped


def parse_role_map(text: str, key: str) -> dict:
    role_map: dict[str, list] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        value, _, target = entry.rpartition("=")
        role, _, site = target.partition("@")
        role, site = role.strip(), site.strip() or None
        if not value or role not in ROLE_VALUES:
            raise ConfigurationError(f"GVI_OIDC_{key.upper()}_ROLE_MAP: ogiltig post {entry!r}")
        role_map.setdefault(value.strip(), []).append((role, site))
    return role_map


def _words(text: str) -> frozenset:
    return frozenset(filter(None, (part.strip() for part in text.replace(",", " ").split())))


def providers_from_environment(environ) -> dict[str, Provider]:
    providers = {}
    for key in filter(
        None, (part.strip().lower() for part in environ.get("GVI_OIDC_PROVIDERS", "").split(","))
    ):
        prefix = f"GVI_OIDC_{key.upper()}_"

        def get(name, default=None, prefix=prefix):
            value = environ.get(prefix + name, default)
            if value is None:
                raise ConfigurationError(f"{prefix}{name} måste sättas")
            return value

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
