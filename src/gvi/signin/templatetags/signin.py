from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def identity_providers():
    """The sign-in buttons: every configured IdP, OIDC and SAML, as (label, start URL)."""
    from gvi.signin import saml
    from gvi.signin.views import providers

    return [
        (idp.label, reverse("signin:oidc_start", kwargs={"provider": idp.key}))
        for idp in providers().values()
    ] + [
        (idp.label, reverse("signin:saml_start", kwargs={"provider": idp.key}))
        for idp in saml.providers().values()
    ]
