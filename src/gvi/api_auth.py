"""Who calls the API: a bearer API key (gvi.access.models.ApiToken) or a browser session. A key answers
only on routes whose scope it holds (gvi.access.scopes); a session is unaffected by scopes.

Every route declares its scope: `@api.get(..., auth=scoped(READ_PERSONS))`. The API's default (a route
that declares nothing) refuses every key with 403, so a forgotten declaration fails closed."""

from functools import cache

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, django_auth

from gvi.access.models import ApiToken
from gvi.access.scopes import ANY, SCOPES


class BearerToken(HttpBearer):
    """A key that is neither revoked nor expired, of an active user. With `scope` set, a valid key without
    that scope is refused (403) before the route reads its input; with `scope=None` (a route that declared
    no scope) every valid key is refused."""

    def __init__(self, scope: str | None = None):
        if scope is not None and scope != ANY and scope not in SCOPES:
            raise ValueError(f"Unknown API scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request, token):
        found = (
            ApiToken.objects.usable()
            .select_related("user")
            .filter(token_hash=ApiToken.hash_token(token))
            .first()
        )
        if found is None:
            return None
        if self.scope is None:
            raise PermissionDenied(_("Den här delen av API:t tar inte emot API-nycklar."))
        if self.scope != ANY and self.scope not in found.scopes:
            raise PermissionDenied(
                _("API-nyckeln saknar behörigheten %(scope)s som krävs här. Nyckelns behörigheter: %(held)s.")
                % {"scope": self.scope, "held": ", ".join(found.scopes) or "–"}
            )
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        request.api_token = found
        request.api_token_user = True
        return found.user


@cache
def scoped(scope: str) -> list:
    """The auth of a route that needs `scope` from a key (any key for ANY); sessions pass as before."""
    return [BearerToken(scope), django_auth]


# The API's default: a route that declares no scope answers sessions only.
UNSCOPED = [BearerToken(None), django_auth]
