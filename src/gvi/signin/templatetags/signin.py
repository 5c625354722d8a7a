from django import template

register = template.Library()


@register.simple_tag
def identity_providers():
    from gvi.signin.views import providers

    return list(providers().values())
