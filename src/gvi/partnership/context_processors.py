from django.conf import settings

from gvi.access.decorators import user_roles
from gvi.access.permissions import role_may
from gvi.partnership.selectors import TASK_ROLES


def _approves(user) -> bool:
    from gvi.access.services import approver_memberships

    return approver_memberships(user).exists()


def partnership(request):
    from gvi.support.selectors import nav_flags

    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else set()
    context = {
        "demo_mode": settings.DEMO_MODE,
        "user_roles": roles,
        "nav": {
            "persons": any(role_may(r, "groups.person", "view") for r in roles),
            "groups": any(role_may(r, "groups.group", "view") for r in roles),
            "incidents": any(role_may(r, "incidents.incident", "view") for r in roles),
            "statistics": bool(roles & {"coordinator", "steering_member", "analyst"}),
            "national": "national_analyst" in roles,
            "audit": "administrator" in roles,
            "logreview": "data_protection_officer" in roles,
            "meetings": bool(
                roles & {"coordinator", "analyst", "caseworker", "probation_officer", "steering_member"}
            ),
            "tasks": bool(roles & TASK_ROLES),
            "sanctions": any(role_may(r, "sanctions.sanctionepisode", "view") for r in roles),
            "sanction_metrics": "steering_member" in roles,
            "communication": any(
                role_may(r, "communication.callin", "view")
                or role_may(r, "communication.communicationback", "view")
                for r in roles
            ),
            "reach": "steering_member" in roles,
            "data_requests": any(role_may(r, "dataprotection.datasubjectrequest", "view") for r in roles),
            "approvals": bool(roles) and _approves(user),
        },
    }
    context["nav"].update(nav_flags(roles))
    return context
