"""Single sign-on through a partner organisation's identity provider: OIDC (Authlib) or SAML 2.0 (pysaml2).

Each partner organisation may bring its own IdP (Entra ID, ADFS, a SITHS or Freja eID broker): several are
configured side by side from the environment (gvi.signin.config). Local accounts with TOTP stay for small
partners. See the README section "Inloggning via organisationens IdP".
"""
