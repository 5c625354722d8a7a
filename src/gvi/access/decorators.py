"""View guards by role. Record-level rules stay in `visible_to`; this only keeps whole pages closed."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from gvi.access.permissions import role_may


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_gvi_roles", None)
    if cached is None:
        cached = set(user.memberships.active().values_list("role", flat=True))
        user._gvi_roles = cached
    return cached


def roles_required(*roles: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not user_roles(request.user) & set(roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def record_permission_required(record_type: str, action: str = "view"):
    """The page needs a role that may `action` records of `record_type` at all."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(role_may(role, record_type, action) for role in user_roles(request.user)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
