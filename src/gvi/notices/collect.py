"""What is due to be told, found by scanning the records (no hooks in other apps' services).

Each finder yields `Due(user_id, kind, key, path)`: the key names the thing and, where a reminder may
come again, the moment it is about (a task's due date, an episode's deadline, a week), so the unique
(user, kind, key) of `Notice` turns every repeated scan into one message. Only ids and link paths are
read here; no text of any record leaves this module.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from gvi.notices import kinds as k
from gvi.partnership.models import Membership, Role, Task

# A record older than this is not announced as new (the first scan after an installation or a long stop
# does not send a message for everything that ever happened).
NEW_WITHIN = timedelta(days=2)
# Date reminders (due tomorrow, overdue, reviews, disclosures about to expire) wait for the working day.
MORNING = time(7, 0)
REVIEW_HORIZON_DAYS = 14
EXPIRY_HORIZON = timedelta(days=3)
DEADLINE_WARNING = timedelta(hours=12)


@dataclass(frozen=True)
class Due:
    user_id: int
    kind: str
    key: str
    path: str


def _members(site_id, roles, organisation_id=None) -> list[int]:
    members = Membership.objects.active().filter(site_id=site_id, role__in=list(roles))
    if organisation_id is not None:
        members = members.filter(organisation_id=organisation_id)
    return list(members.values_list("user_id", flat=True).distinct())


def _is_member(user_id, site_id, roles) -> bool:
    return Membership.objects.active().filter(user_id=user_id, site_id=site_id, role__in=list(roles)).exists()


def task_notices(now: datetime, morning: bool):
    active = Task.objects.filter(status__in=Task.ACTIVE_STATUSES, responsible__isnull=False)
    today = timezone.localdate(now)
    for task in active.filter(updated_at__gte=now - NEW_WITHIN).only("pk", "responsible_id", "site_id"):
        if _is_member(task.responsible_id, task.site_id, k.TASK_HOLDERS):
            path = reverse("meetings:task_edit", kwargs={"pk": task.pk})
            yield Due(
                task.responsible_id, k.TASK_ASSIGNED.code, f"task:{task.pk}:user:{task.responsible_id}", path
            )
    if not morning:
        return
    for task in active.filter(
        due_date__lte=today + timedelta(days=1), due_date__gte=today - timedelta(days=30)
    ):
        if not _is_member(task.responsible_id, task.site_id, k.TASK_HOLDERS):
            continue
        path = reverse("meetings:task_edit", kwargs={"pk": task.pk})
        if task.due_date == today + timedelta(days=1):
            yield Due(
                task.responsible_id, k.TASK_DUE_TOMORROW.code, f"task:{task.pk}:due:{task.due_date}", path
            )
        elif task.due_date < today:
            yield Due(task.responsible_id, k.TASK_OVERDUE.code, f"task:{task.pk}:due:{task.due_date}", path)


def sanction_notices(now: datetime):
    from gvi.sanctions.models import SanctionEpisode

    proposed = SanctionEpisode.unscoped_all_sites.filter(
        status=SanctionEpisode.Status.PROPOSED, decision_deadline__gt=now
    ).only("pk", "site_id", "decision_deadline")
    for episode in proposed:
        path = reverse("sanctions:episode_detail", kwargs={"pk": episode.pk})
        users = _members(episode.site_id, k.SANCTION_PROPOSED.roles)
        for user_id in users:
            yield Due(user_id, k.SANCTION_PROPOSED.code, f"episode:{episode.pk}", path)
        if episode.decision_deadline - now <= DEADLINE_WARNING:
            deadline = episode.decision_deadline.isoformat()
            for user_id in users:
                yield Due(
                    user_id, k.SANCTION_DEADLINE.code, f"episode:{episode.pk}:deadline:{deadline}", path
                )


def review_notices(now: datetime):
    """Once a week, each owner organisation's reviewers at a site where it owns entries falling due."""
    from gvi.access.retention import retained_models

    today = timezone.localdate(now)
    year, week, _ = today.isocalendar()
    owners: set[tuple[int, int]] = set()
    for model in retained_models():
        due = model._base_manager.filter(
            deactivated_at__isnull=True, review_date__lte=today + timedelta(days=REVIEW_HORIZON_DAYS)
        )
        owners.update(due.values_list("owner_id", "site_id").distinct())
    path = reverse("groups:audit")
    for owner_id, site_id in sorted(owners):
        for user_id in _members(site_id, k.REVIEWS_DUE.roles, owner_id):
            yield Due(user_id, k.REVIEWS_DUE.code, f"reviews:{owner_id}:{site_id}:{year}-W{week:02d}", path)


def _disclosure_recipients(disclosure, roles) -> list[int]:
    site_id = disclosure.to_site_id or disclosure.site_id
    if site_id is None:  # recorded before disclosures named the record's site: the record's own
        model = disclosure.content_type.model_class()
        site_id = (
            model._base_manager.filter(pk=disclosure.object_id).values_list("site_id", flat=True).first()
        )
    return _members(site_id, roles, disclosure.to_organisation_id)


def disclosure_notices(now: datetime, morning: bool):
    from gvi.access.models import Disclosure

    path = reverse("access:disclosures")
    active = Disclosure.objects.active(now)
    for disclosure in active.filter(decided_at__gte=now - NEW_WITHIN):
        for user_id in _disclosure_recipients(disclosure, k.DISCLOSURE_RECEIVED.roles):
            yield Due(user_id, k.DISCLOSURE_RECEIVED.code, f"disclosure:{disclosure.pk}", path)
    if not morning:
        return
    for disclosure in active.filter(expires_at__lte=now + EXPIRY_HORIZON):
        key = f"disclosure:{disclosure.pk}:expires:{disclosure.expires_at.isoformat()}"
        users = set(_disclosure_recipients(disclosure, k.DISCLOSURE_EXPIRING.roles))
        # The one who decided it, while still working for the disclosing organisation there.
        if Membership.objects.active().filter(
            user_id=disclosure.decided_by_id,
            organisation_id=disclosure.from_organisation_id,
            site_id=disclosure.site_id,
            role__in=list(k.DISCLOSURE_EXPIRING.roles),
        ):
            users.add(disclosure.decided_by_id)
        for user_id in sorted(users):
            yield Due(user_id, k.DISCLOSURE_EXPIRING.code, key, path)


def help_request_notices(now: datetime):
    """A help request at a call-in or a custom notification becomes a case for the site's social services
    (gvi.support.services): its caseworkers are told that one has arrived."""
    from gvi.support.models import IntakeRoute, SupportCase

    cases = SupportCase.unscoped_all_sites.filter(
        intake_route__in=[IntakeRoute.CALL_IN, IntakeRoute.NOTIFICATION],
        created_at__gte=now - NEW_WITHIN,
        deactivated_at__isnull=True,
    ).only("pk", "site_id", "owner_id")
    path = reverse("support:case_list")
    for case in cases:
        for user_id in _members(case.site_id, [Role.CASEWORKER], case.owner_id):
            yield Due(user_id, k.HELP_REQUEST.code, f"case:{case.pk}", path)


def due_notices(now: datetime | None = None) -> list[Due]:
    now = now or timezone.now()
    morning = timezone.localtime(now).time() >= MORNING
    found = [
        *task_notices(now, morning),
        *sanction_notices(now),
        *disclosure_notices(now, morning),
        *help_request_notices(now),
    ]
    if morning:
        found.extend(review_notices(now))
    return found
