"""The one rule for following a `next` parameter: only to this host, never off-site (`//evil.example`,
`https://evil.example`, `/\\evil.example`, `javascript:`), over HTTPS when the request came over HTTPS."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str, *, source: str = "POST") -> str:
    params = request.POST if source == "POST" else request.GET
    target = params.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
