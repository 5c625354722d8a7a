"""Reach of direct communication: how many of the groups' active members the partnership has reached.

Definitions (all relative to `today`, windows are calendar months: 6 months before 15 June is 15 December,
and the window includes both ends):

- active member: a current, non-deactivated GroupMembership (valid_from <= today, valid_to empty or
  >= today); a person counts once per group and once per site;
- reached: the person attended a call-in that was held (invitation attended = yes, call-in status held),
  or received a delivered notification, dated within the window;
- share reached (6 and 12 months) = reached active members / active members;
- call-in attendance (12 months): invitations to held call-ins; attendance rate = attended / invited;
- notifications (12 months): finished notifications by outcome (delivered / refused / not found) and how
  many of them repeat an earlier one;
- asked for help (12 months): persons who asked for help at a held call-in they attended or during a
  delivered notification.

Per group, the figures cover the group's active members (their invitations and notifications); per site,
the members are all active members at the site and the call-in and notification counts cover every
invitation and notification at the site.

Who sees what:
- roles that may see person contacts (coordinator, analyst, caseworker, probation officer) get the figures
  computed from the records they may see (visible_to), per group and for the site;
- every site role (community partner and steering group member included) gets the site-level figures over
  all records at the site, as an aggregate with counts 1–4 suppressed (gvi.analysis.suppression), and the
  time from a help request to the first support contact (gvi.support.selectors.help_uptake, aggregate
  only, when the support module provides it: gvi.support.selectors.help_uptake). Help uptake is never shown per group or from a user's own
  records: with few persons it would tell who has a support case, which is social-services secrecy.
"""

import calendar
import logging
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

from django.utils import timezone

from gvi.access.decorators import user_roles
from gvi.access.permissions import VIEW, role_may
from gvi.analysis.suppression import suppress
from gvi.communication.models import CallIn, CallInInvitation, Notification
from gvi.communication.selectors import INVITATION, NOTIFICATION, active_memberships, start_of
from gvi.groups.models import Group, GroupMembership
from gvi.partnership.models import Role, Site

logger = logging.getLogger(__name__)

SHORT, LONG = 6, 12  # months
REACH_ROLES = (
    Role.COORDINATOR,
    Role.ANALYST,
    Role.CASEWORKER,
    Role.PROBATION_OFFICER,
    Role.COMMUNITY_PARTNER,
    Role.STEERING_MEMBER,
)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it has fewer days)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _share(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass
class ReachFigures:
    """Counts behind the reach figures. In a published (suppressed) copy a count may be None ("1–4")."""

    members: int | None = 0
    reached_6: int | None = 0
    reached_12: int | None = 0
    invited: int | None = 0
    attended: int | None = 0
    delivered: int | None = 0
    refused: int | None = 0
    not_found: int | None = 0
    repeats: int | None = 0
    asked_for_help: int | None = 0

    @property
    def share_6(self) -> float | None:
        return _share(self.reached_6, self.members)

    @property
    def share_12(self) -> float | None:
        return _share(self.reached_12, self.members)

    @property
    def attendance_rate(self) -> float | None:
        return _share(self.attended, self.invited)

    @property
    def notifications(self) -> int | None:
        parts = (self.delivered, self.refused, self.not_found)
        return None if None in parts else sum(parts)

    def published(self) -> "ReachFigures":
        """A copy with every count from 1 to 4 suppressed; shares then show only from published counts."""
        return replace(self, **{f.name: suppress(getattr(self, f.name)) for f in fields(self)})


@dataclass
class HelpUptake:
    """Aggregate answer of gvi.support.selectors.help_uptake for the persons reached in the last 12 months:
    how many sought help afterwards (a support case requested on or after the day they were reached), how
    many had a first support contact, and the median days from the communication to it."""

    persons: int = 0
    asked_for_help: int | None = None
    with_contact: int | None = None
    median_days: float | None = None


@dataclass
class GroupReach:
    group: Group
    figures: ReachFigures


@dataclass
class SiteReach:
    site: Site
    published: ReachFigures  # the site as an aggregate, small counts suppressed
    help_uptake: HelpUptake | None  # None: the support module does not provide it (shown as "–")
    detailed: ReachFigures | None = None  # from the records the user may see; None for aggregate roles
    groups: list[GroupReach] = field(default_factory=list)


@dataclass
class _Data:
    members: dict[int, set[int]]  # group id -> active member person ids
    invitations: list[tuple[int, str, bool, date]]  # person, attended, asked for help, call-in date
    notifications: list[tuple[int, str, bool, bool, date]]  # person, outcome, repeat, asked, date


def _load(memberships, invitations, notifications, today: date) -> _Data:
    since = months_before(today, LONG)
    members: dict[int, set[int]] = {}
    for group_id, person_id in (
        memberships.filter(pk__in=active_memberships(today).values("pk"))
        .order_by()
        .values_list("group_id", "person_id")
    ):
        members.setdefault(group_id, set()).add(person_id)
    invitation_rows = [
        (person_id, attended, asked, timezone.localdate(starts_at))
        for person_id, attended, asked, starts_at in invitations.filter(
            call_in__status=CallIn.Status.HELD,
            call_in__starts_at__gte=start_of(since),
            call_in__starts_at__lt=start_of(today + timedelta(days=1)),
        )
        .order_by()
        .values_list("person_id", "attended", "asked_for_help", "call_in__starts_at")
    ]
    notification_rows = [
        (person_id, outcome, repeat_of is not None, asked, day)
        for person_id, outcome, repeat_of, asked, day in notifications.filter(
            outcome__in=Notification.FINISHED, date__gte=since, date__lte=today
        )
        .order_by()
        .values_list("person_id", "outcome", "repeat_of_id", "asked_for_help", "date")
    ]
    return _Data(members, invitation_rows, notification_rows)


def _figures(data: _Data, members: set[int], today: date, restrict: bool) -> ReachFigures:
    """Figures for `members`; with `restrict`, only their invitations and notifications count."""
    short_since = months_before(today, SHORT)
    last_reached: dict[int, date] = {}
    helped: set[int] = set()
    figures = ReachFigures(members=len(members))
    for person_id, attended, asked, day in data.invitations:
        if restrict and person_id not in members:
            continue
        figures.invited += 1
        if attended == CallInInvitation.Attendance.YES:
            figures.attended += 1
            last_reached[person_id] = max(day, last_reached.get(person_id, day))
            if asked:
                helped.add(person_id)
    for person_id, outcome, repeat, asked, day in data.notifications:
        if restrict and person_id not in members:
            continue
        if outcome == Notification.Outcome.DELIVERED:
            figures.delivered += 1
            last_reached[person_id] = max(day, last_reached.get(person_id, day))
            if asked:
                helped.add(person_id)
        elif outcome == Notification.Outcome.REFUSED:
            figures.refused += 1
        else:
            figures.not_found += 1
        figures.repeats += repeat
    figures.reached_12 = sum(1 for person_id in members if person_id in last_reached)
    figures.reached_6 = sum(
        1 for person_id in members if last_reached.get(person_id, date.min) >= short_since
    )
    figures.asked_for_help = len(helped)
    return figures


def reach_from(memberships, invitations, notifications, today: date | None = None):
    """(site figures, {group id: figures}) from the given querysets, which the caller has scoped."""
    today = today or timezone.localdate()
    data = _load(memberships, invitations, notifications, today)
    everyone = set().union(*data.members.values()) if data.members else set()
    site = _figures(data, everyone, today, restrict=False)
    groups = {
        group_id: _figures(data, persons, today, restrict=True) for group_id, persons in data.members.items()
    }
    return site, groups


def site_reach(site: Site, today: date | None = None) -> ReachFigures:
    """The site's figures over every record at the site. Unsuppressed: publish with .published()."""
    figures, _groups = reach_from(
        GroupMembership.unscoped_all_sites.filter(site=site),
        CallInInvitation.unscoped_all_sites.filter(site=site),
        Notification.unscoped_all_sites.filter(site=site),
        today,
    )
    return figures


def first_reached(site: Site, today: date | None = None) -> dict[int, date]:
    """person id -> the first day in the last 12 months the person was reached at the site (attended a
    held call-in or received a delivered notification)."""
    today = today or timezone.localdate()
    since = months_before(today, LONG)
    reached = [
        (person_id, timezone.localdate(starts_at))
        for person_id, starts_at in CallInInvitation.unscoped_all_sites.filter(
            site=site,
            attended=CallInInvitation.Attendance.YES,
            call_in__status=CallIn.Status.HELD,
            call_in__starts_at__gte=start_of(since),
            call_in__starts_at__lt=start_of(today + timedelta(days=1)),
        ).values_list("person_id", "call_in__starts_at")
    ]
    reached += list(
        Notification.unscoped_all_sites.filter(
            site=site, outcome=Notification.Outcome.DELIVERED, date__gte=since, date__lte=today
        ).values_list("person_id", "date")
    )
    first: dict[int, date] = {}
    for person_id, day in reached:
        first[person_id] = min(day, first.get(person_id, day))
    return first


def _read(result, *names):
    for name in names:
        value = result.get(name) if isinstance(result, dict) else getattr(result, name, None)
        if value is not None:
            return value
    return None


def _published(value) -> int | None:
    return None if value is None else suppress(int(value))


def help_uptake(site: Site, today: date | None = None) -> HelpUptake | None:
    """Support sought after a communication, from the support module; None without it.

    gvi.support.selectors.help_uptake(person_ids, contacted_on) receives the persons reached in the last
    12 months with the day each was first reached, and answers with aggregates only (already suppressed):
    how many asked for help on or after that day, how many had a first support contact, the median days
    from the communication to it. Counts are suppressed again here (idempotent) in case they arrive raw."""
    try:
        from gvi.support import selectors as support_selectors

        uptake = support_selectors.help_uptake
    except (ImportError, AttributeError):
        return None
    contacted_on = first_reached(site, today)
    try:
        result = uptake(list(contacted_on), contacted_on)
    except Exception:  # the reach page must not fail with the support module
        logger.exception("help_uptake failed for site %s", site.pk)
        return None
    if result is None:
        return None
    with_contact = _published(_read(result, "with_first_contact", "with_contact"))
    return HelpUptake(
        persons=len(contacted_on),
        asked_for_help=_published(_read(result, "asked_for_help", "asked")),
        with_contact=with_contact,
        median_days=_read(result, "median_days_to_first_contact", "median_days"),
    )


def reach_sites(user) -> list[tuple[Site, bool]]:
    """The user's sites with a role that gets the reach page, and whether the user sees details there."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    detailed: dict[int, bool] = {}
    for membership in user.memberships.active().filter(site__isnull=False, role__in=list(REACH_ROLES)):
        sees = role_may(membership.role, NOTIFICATION, VIEW) or role_may(membership.role, INVITATION, VIEW)
        detailed[membership.site_id] = detailed.get(membership.site_id, False) or sees
    sites = Site.objects.filter(pk__in=detailed).order_by("name")
    return [(site, detailed[site.pk]) for site in sites]


def reach_for(user, today: date | None = None) -> list[SiteReach]:
    """What the reach page shows, per site of the user."""
    today = today or timezone.localdate()
    roles = user_roles(user)
    if not roles & set(REACH_ROLES):
        return []
    result = []
    for site, detailed in reach_sites(user):
        report = SiteReach(
            site=site, published=site_reach(site, today).published(), help_uptake=help_uptake(site, today)
        )
        if detailed:
            figures, by_group = reach_from(
                GroupMembership.objects.visible_to(user).filter(site=site),
                CallInInvitation.objects.visible_to(user).filter(site=site),
                Notification.objects.visible_to(user).filter(site=site),
                today,
            )
            report.detailed = figures
            names = Group.objects.visible_to(user).filter(pk__in=list(by_group)).order_by("name")
            report.groups = [GroupReach(group, by_group[group.pk]) for group in names]
        result.append(report)
    return result
