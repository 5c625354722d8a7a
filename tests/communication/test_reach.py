"""Reach figures with exact expected values on a tiny fixture.

Today is 15 June 2026. Group G has four active members p1–p4; p5's membership is deactivated and p6's has
ended, so neither is an active member.
- call-in held 15 April 2026 (two months ago): p1 came and asked for help, p2 did not come, p5 came;
- a call-in on 15 May 2025 (13 months ago) that p2 attended is outside both windows;
- p3 got a delivered notification on 15 October 2025 (eight months ago);
- p4 refused one on 15 March 2026, a repeat of an earlier one on 15 May 2025 (not found, 13 months ago);
- p1 has a notification planned for next week (not yet a contact).
Group G: reached 1/4 in 6 months, 2/4 in 12 months; 2 invited, 1 came (50 %); 1 delivered, 1 refused,
0 not found, 1 repeat, 1 asked for help. The site also counts p5's invitation: 3 invited, 2 came.
"""

from datetime import date, datetime, time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.communication.models import CallIn, Notification
from gvi.communication.reach import ReachFigures, months_before, reach_for, reach_from, site_reach
from gvi.partnership.models import Organisation, Role
from tests.communication.factories import CallInFactory, InvitationFactory, NotificationFactory
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
    UserFactory,
    verified_login,
)

TODAY = date(2026, 6, 15)


def _at(day: date):
    return timezone.make_aware(datetime.combine(day, time(18, 0)))


@pytest.fixture
def tiny(db):
    site = SiteFactory(name="Lillstad", slug="lillstad")
    police = OrganisationFactory(name="Polisen Lillstad", type=Organisation.Type.POLICE)
    police.sites.add(site)
    kw = {"site": site, "owner": police}
    group = GroupFactory(name="G", **kw)
    persons = {
        name: PersonFactory(alias=f"Person {name}", **kw) for name in ("p1", "p2", "p3", "p4", "p5", "p6")
    }
    for name in ("p1", "p2", "p3", "p4"):
        GroupMembershipFactory(person=persons[name], group=group, valid_from=date(2025, 1, 1), **kw)
    GroupMembershipFactory(
        person=persons["p5"], group=group, valid_from=date(2025, 1, 1), deactivated_at=_at(TODAY), **kw
    )
    GroupMembershipFactory(
        person=persons["p6"], group=group, valid_from=date(2025, 1, 1), valid_to=date(2026, 1, 1), **kw
    )
    held = CallInFactory(starts_at=_at(date(2026, 4, 15)), status=CallIn.Status.HELD, **kw)
    InvitationFactory(call_in=held, person=persons["p1"], attended="yes", asked_for_help=True, **kw)
    InvitationFactory(call_in=held, person=persons["p2"], attended="no", **kw)
    InvitationFactory(call_in=held, person=persons["p5"], attended="yes", **kw)
    old = CallInFactory(starts_at=_at(date(2025, 5, 15)), status=CallIn.Status.HELD, **kw)
    InvitationFactory(call_in=old, person=persons["p2"], attended="yes", **kw)
    NotificationFactory(person=persons["p3"], date=date(2025, 10, 15), outcome="delivered", **kw)
    first = NotificationFactory(person=persons["p4"], date=date(2025, 5, 15), outcome="not_found", **kw)
    NotificationFactory(
        person=persons["p4"], date=date(2026, 3, 15), outcome="refused", repeat_of=first, **kw
    )
    NotificationFactory(person=persons["p1"], date=date(2026, 6, 22), outcome="planned", **kw)
    analyst = UserFactory(username="lill-analytiker")
    MembershipFactory(user=analyst, organisation=police, site=site, role=Role.ANALYST)
    partner_org = OrganisationFactory(name="Föräldrar Lillstad", type=Organisation.Type.COMMUNITY)
    partner_org.sites.add(site)
    partner = UserFactory(username="lill-partner")
    MembershipFactory(user=partner, organisation=partner_org, site=site, role=Role.COMMUNITY_PARTNER)
    return {"site": site, "group": group, "persons": persons, "analyst": analyst, "partner": partner}


def test_months_before_counts_calendar_months():
    assert months_before(date(2026, 6, 15), 6) == date(2025, 12, 15)
    assert months_before(date(2026, 6, 15), 12) == date(2025, 6, 15)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)


def test_group_figures_are_exact(tiny):
    from gvi.communication.models import CallInInvitation
    from gvi.groups.models import GroupMembership

    site = tiny["site"]
    figures, groups = reach_from(
        GroupMembership.unscoped_all_sites.filter(site=site),
        CallInInvitation.unscoped_all_sites.filter(site=site),
        Notification.unscoped_all_sites.filter(site=site),
        TODAY,
    )
    g = groups[tiny["group"].pk]
    assert g == ReachFigures(
        members=4,
        reached_6=1,
        reached_12=2,
        invited=2,
        attended=1,
        delivered=1,
        refused=1,
        not_found=0,
        repeats=1,
        asked_for_help=1,
    )
    assert (g.share_6, g.share_12, g.attendance_rate, g.notifications) == (0.25, 0.5, 0.5, 2)
    assert figures == ReachFigures(
        members=4,
        reached_6=1,
        reached_12=2,
        invited=3,
        attended=2,
        delivered=1,
        refused=1,
        not_found=0,
        repeats=1,
        asked_for_help=1,
    )
    assert figures.attendance_rate == pytest.approx(2 / 3)


def test_window_edges_are_inclusive(tiny):
    # On 15 October 2026 the notification of 15 October 2025 is exactly 12 months old, the call-in six.
    figures = site_reach(tiny["site"], date(2026, 10, 15))
    assert figures.reached_12 == 2  # p1 (call-in in April) and p3 (notification 15 October 2025)
    assert figures.reached_6 == 1  # only p1: 15 April 2026 is exactly six months before
    assert site_reach(tiny["site"], date(2026, 10, 16)).reached_12 == 1


def test_published_figures_suppress_small_counts(tiny):
    published = site_reach(tiny["site"], TODAY).published()
    assert published.members is None and published.reached_12 is None and published.invited is None
    assert published.not_found == 0  # zero is published
    assert (published.share_6, published.share_12, published.attendance_rate) == (None, None, None)
    big = ReachFigures(members=40, reached_6=12, reached_12=20, invited=10, attended=3).published()
    assert (big.share_6, big.share_12) == (0.3, 0.5)
    assert big.attended is None and big.attendance_rate is None


def test_reach_follows_what_the_viewer_may_see(tiny):
    analyst_view = reach_for(tiny["analyst"], TODAY)[0]
    assert analyst_view.detailed.reached_12 == 2 and len(analyst_view.groups) == 1
    partner_view = reach_for(tiny["partner"], TODAY)[0]
    assert partner_view.detailed is None and partner_view.groups == []
    assert partner_view.published.members is None  # 4 members: suppressed


def test_reach_page_shows_exact_shares_and_no_person(tiny, settings):
    analyst = verified_login(Client(), tiny["analyst"])
    page = analyst.get(reverse("communication:reach"), {"datum": TODAY.isoformat()}).content.decode()
    assert "1 (25\u00a0%)" in page and "2 (50\u00a0%)" in page and "1 (50\u00a0%)" in page
    partner = verified_login(Client(), tiny["partner"])
    page = partner.get(reverse("communication:reach"), {"datum": TODAY.isoformat()}).content.decode()
    assert "1–4" in page and "Per grupp" not in page
    assert not any(f"Person p{n}" in page for n in range(1, 7))
    assert "<svg" in page and "Visa diagrammet som tabell" in page
