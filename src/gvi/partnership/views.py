from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from gvi.access.audit import verify_chain
from gvi.access.decorators import user_roles
from gvi.access.permissions import role_may
from gvi.access.selectors import may_create, received_disclosures
from gvi.analysis.charts import axis_bar_chart
from gvi.evaluation.selectors import monthly_incident_counts
from gvi.groups.models import Group, GroupRelation, Person
from gvi.groups.selectors import overdue_entries
from gvi.incidents.models import Incident
from gvi.partnership.models import Membership, Role
from gvi.partnership.selectors import TASK_ROLES, my_tasks, overdue_tasks_for

# When a user holds several roles, the start page follows the first of these.
START_PAGE_ORDER = [
    Role.COORDINATOR,
    Role.ANALYST,
    Role.CASEWORKER,
    Role.PROBATION_OFFICER,
    Role.STEERING_MEMBER,
    Role.COMMUNITY_PARTNER,
    Role.NATIONAL_ANALYST,
    Role.ADMINISTRATOR,
    Role.DATA_PROTECTION_OFFICER,
]


@login_required
def home(request):
    roles = user_roles(request.user)
    primary = next((role for role in START_PAGE_ORDER if role in roles), None)
    memberships = request.user.memberships.active().select_related("organisation", "site")
    context = {"primary_role": primary, "memberships": memberships, "today": timezone.localdate()}
    builder = START_PAGES.get(primary)
    if builder:
        context.update(builder(request))
    if roles & TASK_ROLES:
        context["overdue_tasks"] = overdue_tasks_for(request.user)
        context["my_tasks"] = _my_tasks(request.user)
    if any(role_may(role, "incidents.incident", "view") for role in roles):
        context["risk"] = _risk_summary(request.user)
    _add_module_summaries(request.user, roles, context)
    from gvi.groups.selectors import approves_entries, waiting_entry_count

    if approves_entries(request.user):
        context["entries_waiting"] = waiting_entry_count(request.user)
    if any(role_may(role, "sanctions.sanctionepisode", "view") for role in roles):
        from gvi.sanctions.selectors import ended_without_communication, overdue_proposals

        context["overdue_proposals"] = overdue_proposals(request.user)
        context["communication_due"] = ended_without_communication(request.user)
        context["may_communicate_back"] = _may_communicate_back(request.user)
    return render(request, "partnership/home.html", context)


def _add_module_summaries(user, roles, context) -> None:
    """What the communication and support modules put on a start page, for the roles they concern."""
    from gvi.communication.selectors import home_summary
    from gvi.support.selectors import case_summary, nav_flags, received_fact_count

    context["communication_home"] = home_summary(user)
    flags = nav_flags(roles)
    if flags["support_cases"]:
        context["support_summary"] = case_summary(user)
    if flags["support_facts"]:
        context["support_fact_count"] = received_fact_count(user)


def _may_communicate_back(user) -> bool:
    from gvi.communication.models import CommunicationBack

    return may_create(user, CommunicationBack)


# The start page shows the strongest alerts; the risk page shows them all.
HOME_ALERTS = 3


def _risk_summary(user) -> dict:
    """The retaliation-risk alerts of the user's first site, read from the same snapshot as the risk page
    (so the figures agree)."""
    from gvi.incidents.risk import retaliation_risk

    picture = retaliation_risk(user)
    alerts = picture.alerts  # largest excess first
    return {
        "picture": picture,
        "alerts": alerts[:HOME_ALERTS],
        "more": max(len(alerts) - HOME_ALERTS, 0),
        "total": len(alerts),
    }


# "Mina uppgifter" on the start page: the first tasks by due date, each marked overdue or due soon.
HOME_TASKS = 10
TASK_DUE_SOON_DAYS = 7


def _my_tasks(user) -> dict:
    today = timezone.localdate()
    tasks = my_tasks(user)
    return {
        "tasks": list(tasks[:HOME_TASKS]),
        "total": tasks.count(),
        "today": today,
        "soon": today + timedelta(days=TASK_DUE_SOON_DAYS),
    }


def _soon():
    return timezone.localdate() + timedelta(days=14)


def _coordinator(request):
    user = request.user
    since = timezone.now() - timedelta(days=30)
    incidents = Incident.objects.visible_to(user)
    return {
        "recent_incidents": incidents.filter(occurred_at__gte=since)
        .select_related("area")
        .order_by("-occurred_at")[:10],
        "incident_count_30d": incidents.filter(occurred_at__gte=since).count(),
        "active_groups": Group.objects.visible_to(user).filter(status=Group.Status.ACTIVE).count(),
        "open_conflicts": GroupRelation.objects.visible_to(user)
        .filter(type=GroupRelation.Type.CONFLICT)
        .count(),
        "groups_due": Group.objects.visible_to(user)
        .filter(next_review__lte=_soon())
        .order_by("next_review")[:10],
    }


def _overdue_summary(user) -> dict:
    entries = overdue_entries(user)
    return {key: queryset.count() for key, queryset in entries.items()}


def _analyst(request):
    context = _coordinator(request)
    context["persons_due"] = (
        Person.objects.visible_to(request.user, "change")
        .filter(review_date__lte=_soon(), deactivated_at__isnull=True)
        .order_by("review_date")[:10]
    )
    context["overdue"] = _overdue_summary(request.user)
    return context


def _person_worker(request):
    user = request.user
    return {
        "overdue": _overdue_summary(user),
        "persons_due": Person.objects.visible_to(user, "change")
        .filter(review_date__lte=_soon(), deactivated_at__isnull=True)
        .order_by("review_date")[:10],
        "person_count": Person.objects.visible_to(user).count(),
        "disclosures_received": received_disclosures(user).select_related("from_organisation")[:10],
    }


def _steering(request):
    site_ids = list(request.user.memberships.active().exclude(site=None).values_list("site_id", flat=True))
    series = monthly_incident_counts(Incident.unscoped_all_sites.filter(site_id__in=site_ids), months=24)
    today = timezone.localdate()
    return {"chart": axis_bar_chart(series, running=today.strftime("%Y-%m"), through=today)}


def _administrator(request):
    return {
        "membership_count": Membership.objects.active().count(),
        "pending_count": Membership.objects.pending().count(),
        "chain": verify_chain(),
    }


def _data_protection_officer(request):
    from gvi.logreview.selectors import dpo_start_summary

    return dpo_start_summary(request.user, timezone.localdate())


START_PAGES = {
    Role.COORDINATOR: _coordinator,
    Role.ANALYST: _analyst,
    Role.CASEWORKER: _person_worker,
    Role.PROBATION_OFFICER: _person_worker,
    Role.STEERING_MEMBER: _steering,
    Role.ADMINISTRATOR: _administrator,
    Role.DATA_PROTECTION_OFFICER: _data_protection_officer,
}
