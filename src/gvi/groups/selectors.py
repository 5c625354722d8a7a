"""Reads of the group audit. Every query starts from `visible_to(user)`."""

from datetime import date, datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from gvi.access.models import compartment_q
from gvi.access.permissions import VIEW
from gvi.groups.models import AuditRound, EntryState, Group, GroupMembership, GroupRelation, Person


def persons_for(user, query: str = "", show: str = "", action: str = VIEW):
    persons = Person.objects.visible_to(user, action).select_related("site", "owner")
    persons = persons.filter(deactivated_at__isnull=show != "inaktiverade")
    if query:
        persons = persons.filter(alias__icontains=query)
    return persons


def groups_for(user, query: str = "", status: str = ""):
    groups = Group.objects.visible_to(user).select_related("site", "owner")
    if query:
        groups = groups.filter(Q(name__icontains=query) | Q(aliases__icontains=query))
    if status:
        groups = groups.filter(status=status)
    counted = Q(memberships__deactivated_at__isnull=True) & GroupMembership.in_force_q("memberships__")
    return groups.annotate(member_count=Count("memberships", filter=counted)).order_by("name")


def memberships_of_group(user, group):
    """The group's members in the audit: approved entries only (four eyes)."""
    return (
        GroupMembership.objects.visible_to(user)
        .in_force()
        .filter(group=group, deactivated_at__isnull=True)
        .select_related("person", "source_organisation")
        .order_by("role", "person__alias")
    )


def member_counts(memberships) -> dict[str, int]:
    """Members per role, in one query."""
    return dict(memberships.order_by().values_list("role").annotate(n=Count("pk")))


def memberships_of_person(user, person):
    return GroupMembership.objects.visible_to(user).filter(person=person).select_related("group")


def relations_of_group(user, group):
    return (
        GroupRelation.objects.visible_to(user)
        .filter(Q(group_a=group) | Q(group_b=group), deactivated_at__isnull=True)
        .select_related("group_a", "group_b")
    )


def status_history(group) -> list:
    """Status and violence-tier changes of a group, oldest first, from its version history."""
    changes, previous = [], None
    for version in group.history.order_by("history_date", "history_id"):
        if previous is None or (version.status, version.violence_tier) != previous:
            changes.append(version)
            previous = (version.status, version.violence_tier)
    return changes


def network_metrics(user, group):
    try:
        from gvi.groups.network import group_network_metrics
    except ImportError:  # the network module is optional at import time
        return None
    return group_network_metrics(user, group)


def _owned_retained(user, model):
    """Retained entries the user may change: their owners review them."""
    return model.objects.visible_to(user, "change")


def overdue_entries(user, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    return {
        "persons": _owned_retained(user, Person).filter(review_date__lt=today, deactivated_at__isnull=True),
        "memberships": _owned_retained(user, GroupMembership)
        .filter(review_date__lt=today, deactivated_at__isnull=True)
        .select_related("person", "group"),
        "relations": _owned_retained(user, GroupRelation)
        .filter(review_date__lt=today, deactivated_at__isnull=True)
        .select_related("group_a", "group_b"),
    }


def overdue_at_site(site, today: date | None = None) -> dict:
    """Every organisation's entries at `site` whose review is overdue. Unscoped: for the weekly agenda's
    counts only (the whole site with small counts suppressed, or one owner's own), never for listing."""
    today = today or timezone.localdate()
    overdue = {"site": site, "review_date__lt": today, "deactivated_at__isnull": True}
    return {
        "persons": Person.unscoped_all_sites.filter(**overdue),
        "memberships": GroupMembership.unscoped_all_sites.filter(**overdue),
        "relations": GroupRelation.unscoped_all_sites.filter(**overdue),
    }


# The audit page lists the entries oldest first, at most this many of each kind: a national
# installation can have thousands overdue, and a page of thousands of rows helps nobody.
ENTRIES_SHOWN = 50


def oldest_first(entries: dict, limit: int | None = None) -> dict:
    """Each kind's oldest `limit` (ENTRIES_SHOWN) entries by review date, with how many there are in all."""
    limit = limit or ENTRIES_SHOWN
    shown = {kind: list(queryset.order_by("review_date", "pk")[:limit]) for kind, queryset in entries.items()}
    # Always counted, also when nothing is left out: the page's queries must not depend on the data.
    totals = {kind: queryset.count() for kind, queryset in entries.items()}
    return {
        **shown,
        "shown": sum(len(items) for items in shown.values()),
        "total": sum(totals.values()),
        "limit": limit,
    }


def deactivated_entries(user) -> dict:
    return {
        "persons": _owned_retained(user, Person).filter(deactivated_at__isnull=False),
        "memberships": _owned_retained(user, GroupMembership)
        .filter(deactivated_at__isnull=False)
        .select_related("person", "group"),
        "relations": _owned_retained(user, GroupRelation)
        .filter(deactivated_at__isnull=False)
        .select_related("group_a", "group_b"),
    }


def _scope_history(user, history_qs, model):
    """Apply the same compartment rules to historical rows (they carry site, owner and id)."""
    return history_qs.filter(compartment_q(user, model))


def audit_as_of(user, when: date) -> dict:
    """The audit as it stood at the end of `when`: groups, relations and member counts, from history."""
    moment = timezone.make_aware(datetime.combine(when, time.max))
    groups = list(_scope_history(user, Group.history.as_of(moment), Group).order_by("name"))
    relations = list(_scope_history(user, GroupRelation.history.as_of(moment), GroupRelation))
    memberships = _scope_history(user, GroupMembership.history.as_of(moment), GroupMembership).filter(
        entry_state=EntryState.APPROVED  # four eyes; approval needs the person approved first
    )
    counts: dict[int, dict[str, int]] = {}
    for row in memberships:
        if row.deactivated_at is None and (row.valid_to is None or row.valid_to >= when):
            counts.setdefault(row.group_id, {"core": 0, "associate": 0})[row.role] += 1
    names = {group.pk: group.name for group in groups}
    return {
        "groups": [(group, counts.get(group.pk, {"core": 0, "associate": 0})) for group in groups],
        "relations": [
            (names.get(r.group_a_id, "?"), names.get(r.group_b_id, "?"), r)
            for r in relations
            if r.deactivated_at is None
        ],
        "rounds_before": AuditRound.objects.visible_to(user).filter(held_on__lte=when)[:5],
    }


# ----- four eyes -----


def _approvable(user, model):
    """Proposed entries of `model` the user may decide on: owned by an organisation in which the user
    approves entries, at that site, visible to the user, and not proposed by the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return model.objects.none()
    scope = Q(pk__in=[])
    for membership in user.memberships.active().filter(approves_entries=True, site__isnull=False):
        scope |= Q(site_id=membership.site_id, owner_id=membership.organisation_id)
    return (
        model.objects.visible_to(user)
        .filter(scope, entry_state=EntryState.PROPOSED)
        .exclude(proposed_by=user)
        .select_related("proposed_by")
        .order_by("proposed_at", "pk")
    )


def entries_to_approve(user) -> dict:
    return {
        "persons": _approvable(user, Person),
        "memberships": _approvable(user, GroupMembership).select_related(
            "person", "group", "source_organisation"
        ),
    }


def approvers_of(entry) -> list:
    """Who may decide on a proposed entry (for "whom to ask"): never its proposer."""
    from gvi.groups.services import entry_approvers

    if not entry.is_proposed:
        return []
    return [m for m in entry_approvers(entry) if m.user_id != entry.proposed_by_id]


def approves_entries(user) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.memberships.active().filter(approves_entries=True).exists()
    )


def waiting_entry_count(user) -> int:
    """For the start page: how many proposals wait for this approver (0 for everyone else)."""
    if not approves_entries(user):
        return 0
    return sum(queryset.count() for queryset in entries_to_approve(user).values())
