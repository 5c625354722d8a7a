"""The demo city's sanctions: rules, episodes over 18 months, actions from several organisations."""

import random
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gvi.demo.accounts import DEMO_PASSWORD
from gvi.demo.city import load_demo_city
from gvi.demo.sanctions import KRONOFOGDEN_ACCOUNT, load_demo_sanctions
from gvi.partnership.models import Organisation, Role
from gvi.sanctions import metrics
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode
from tests.clock import local_moment

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _on_the_demo_day(time_machine):
    """The demo is built as of TODAY, and its pages are read on that day: the clock stands there."""
    time_machine.move_to(local_moment(TODAY))


@pytest.fixture
def demo(db):
    load_demo_city(seed=2026, today=TODAY)
    return load_demo_sanctions(TODAY, random.Random(7))


@pytest.mark.django_db
def test_demo_sanctions(demo):
    exempelstad = SanctionEpisode.unscoped_all_sites.filter(site__slug="exempelstad")
    norrby = SanctionEpisode.unscoped_all_sites.filter(site__slug="norrby")
    assert exempelstad.count() == 8 and norrby.count() == 2
    assert demo["sanction_episodes"] == 10
    assert AnnouncedRule.unscoped_all_sites.filter(site__slug="exempelstad").count() == 2
    statuses = sorted(exempelstad.values_list("status", flat=True))
    assert statuses.count("closed") >= 4 and "open" in statuses and "proposed" in statuses
    assert "dismissed" in statuses
    first = min(e.trigger_incidents.order_by("occurred_at").first().occurred_at for e in exempelstad)
    assert first.date() >= TODAY - timedelta(days=18 * 31)

    delays = [
        (e.decided_at - e.trigger_incidents.order_by("occurred_at").first().occurred_at).total_seconds()
        / 86400
        for e in SanctionEpisode.unscoped_all_sites.exclude(decided_at=None)
    ]
    assert sum(1 <= d <= 3.3 for d in delays) >= len(delays) / 2

    owners = set(
        SanctionAction.unscoped_all_sites.filter(site__slug="exempelstad").values_list(
            "owner__type", flat=True
        )
    )
    assert {"police", "probation", "municipality", "other_authority"} <= owners
    for action in SanctionAction.unscoped_all_sites.select_related("owner"):
        action.full_clean()  # every lever is in its organisation's catalogue

    kronofogden = get_user_model().objects.get(username=KRONOFOGDEN_ACCOUNT["username"])
    assert kronofogden.check_password(DEMO_PASSWORD)
    membership = kronofogden.memberships.get()
    assert membership.role == Role.ANALYST and membership.site.slug == "exempelstad"
    assert membership.organisation.type == Organisation.Type.OTHER_AUTHORITY
    assert membership.organisation.short_name == KRONOFOGDEN_ACCOUNT["organisation"]

    site_ids = list(exempelstad.values_list("site_id", flat=True).distinct())
    figures = metrics.site_figures(site_ids, now=timezone.now())
    assert figures.to_decision.n >= 6 and figures.certainty.numerator >= 7
    assert figures.predictability.denominator >= 1
    assert demo["communications"] >= 2 and figures.communicated.numerator >= 2


@pytest.mark.django_db
def test_every_sanctions_page_renders_with_the_demo_data(demo, client):
    from django.urls import reverse

    from tests.factories import verified_login

    users = get_user_model().objects
    episodes = list(SanctionEpisode.unscoped_all_sites.filter(site__slug="exempelstad"))
    rules = list(AnnouncedRule.unscoped_all_sites.filter(site__slug="exempelstad"))
    for username in ("samordnare", "analytiker", "frivard", "socialsekreterare", "kronofogden", "styrgrupp"):
        verified_login(client, users.get(username=username))
        metrics_page = client.get(reverse("sanctions:metrics"))
        assert metrics_page.status_code == 200 and "<svg" in metrics_page.content.decode()
        if username == "styrgrupp":
            continue
        assert client.get(reverse("sanctions:episode_list")).status_code == 200
        assert client.get(reverse("sanctions:rule_list")).status_code == 200
        for episode in episodes:
            assert client.get(reverse("sanctions:episode_detail", args=[episode.pk])).status_code == 200
        for action in SanctionAction.objects.visible_to(users.get(username=username), "change")[:3]:
            assert client.get(reverse("sanctions:action_edit", args=[action.pk])).status_code == 200
    verified_login(client, users.get(username="samordnare"))
    for episode in episodes:
        for name in ("episode_edit", "episode_decide", "episode_close"):
            assert client.get(reverse(f"sanctions:{name}", args=[episode.pk])).status_code == 200
    for rule in rules:
        assert client.get(reverse("sanctions:rule_edit", args=[rule.pk])).status_code == 200
    overdue = client.get(reverse("sanctions:episode_list") + "?visa=forsenade").content.decode()
    assert "beslutet är försenat" in overdue


@pytest.mark.django_db
def test_certainty_is_one_figure_on_the_statistics_and_the_follow_up_page(demo, client):
    """Issue 17 item 9: "13/159" on Statistik and "13 av 104" on Uppföljning were two windows of one
    figure. Both pages now count from the GVI start by default, and say the same numbers."""
    import re

    from django.urls import reverse

    from tests.factories import verified_login

    verified_login(client, get_user_model().objects.get(username="samordnare"))
    statistics = client.get(reverse("evaluation:site_statistics")).content.decode()
    follow_up = client.get(reverse("sanctions:metrics")).content.decode()
    on_statistics = re.search(
        r"Säkerhet: incidenter med gruppkoppling som följdes av ökat fokus</th>(?:<td>[^<]*</td>)?"
        r"<td>(\d+) / (\d+)</td></tr>",
        statistics,
    )
    on_follow_up = re.search(r"säkerhet: (\d+) av (\d+) incidenter med gruppkoppling", follow_up)
    assert on_statistics and on_follow_up
    assert on_statistics.groups() == on_follow_up.groups()
    assert int(on_follow_up.group(2)) > 0
