"""The demo city's direct communication: call-ins, notifications and communications back in Exempelstad."""

import random
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.communication.models import CallIn, CallInInvitation, CommunicationBack, Notification
from gvi.communication.reach import site_reach
from gvi.demo.city import load_demo_city
from gvi.demo.communication import load_demo_communication
from gvi.partnership.models import Site
from tests.clock import local_moment
from tests.factories import verified_login

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _on_the_demo_day(time_machine):
    """The demo is built as of TODAY, and its pages are read on that day: the clock stands there."""
    time_machine.move_to(local_moment(TODAY))


@pytest.fixture
def demo(db):
    load_demo_city(seed=2026, today=TODAY)
    return load_demo_communication(TODAY, random.Random(2026))


def test_demo_has_two_held_and_one_planned_call_in_with_people_and_outcomes(demo):
    site = Site.objects.get(slug="exempelstad")
    assert demo["call_ins"] == 3
    assert CallIn.unscoped_all_sites.filter(site=site, status="held").count() == 2
    planned = CallIn.unscoped_all_sites.get(site=site, status="planned")
    assert timezone.localtime(planned.starts_at).date() > TODAY
    # Named after its own season (a demo made on 2 December had "Vårens stormöte" on 26 December).
    month = timezone.localtime(planned.starts_at).month
    season = {12: "Vinterns", 1: "Vinterns", 2: "Vinterns", 3: "Vårens", 4: "Vårens", 5: "Vårens"}
    assert planned.title.startswith(season.get(month, "Sommarens" if month <= 8 else "Höstens"))
    assert planned.speakers.count() >= 5 and planned.message_points.count() >= 3
    assert planned.checklist.filter(responsible__short_name="Föräldranätverket Exempelstad").exists()
    held = CallInInvitation.unscoped_all_sites.filter(call_in__status="held")
    assert held.filter(attended="yes").exists() and held.filter(attended="no").exists()
    assert (
        not CallInInvitation.unscoped_all_sites.filter(call_in=planned).exclude(attended="unknown").exists()
    )
    assert all(
        i.owner_id == i.person.owner_id for i in CallInInvitation.unscoped_all_sites.select_related("person")
    )


def test_demo_notifications_have_outcomes_and_repeats(demo):
    notifications = Notification.unscoped_all_sites.all()
    assert 15 <= demo["notifications"] == notifications.count() <= 25
    outcomes = set(notifications.values_list("outcome", flat=True))
    assert {"delivered", "planned"} <= outcomes and outcomes & {"refused", "not_found"}
    assert notifications.filter(repeat_of__isnull=False).count() >= 3
    assert CommunicationBack.unscoped_all_sites.count() == demo["communications_back"] == 3
    figures = site_reach(Site.objects.get(slug="exempelstad"), TODAY)
    assert 0 < figures.reached_6 <= figures.reached_12 < figures.members
    assert figures.invited >= 15 and 0 < figures.attended < figures.invited


def test_demo_pages_render_for_the_coordinator_and_the_community_partner(demo):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    coordinator = verified_login(Client(), users.get(username="samordnare"))
    partner = verified_login(Client(), users.get(username="lokalsamhalle"))
    planned = CallIn.unscoped_all_sites.get(status="planned")
    for client in (coordinator, partner):
        assert client.get(reverse("communication:callin_list")).status_code == 200
        assert client.get(reverse("communication:callin_detail", args=[planned.pk])).status_code == 200
        assert client.get(reverse("communication:reach")).status_code == 200
        assert client.get(reverse("communication:communicationback_list")).status_code == 200
    page = partner.get(reverse("communication:callin_list")).content.decode()
    assert "Förberedelser som din organisation ansvarar för" in page
    for alias in CallInInvitation.unscoped_all_sites.values_list("person__alias", flat=True):
        assert (
            alias
            not in partner.get(reverse("communication:callin_detail", args=[planned.pk])).content.decode()
        )
    analyst = verified_login(Client(), users.get(username="analytiker"))
    assert analyst.get(reverse("communication:notification_suggestions")).status_code == 200
    assert analyst.get(reverse("communication:reach")).status_code == 200


def test_demo_social_services_reads_the_notifications_it_is_named_to_deliver(demo):
    """The demo names social services on the police's notifications: it reads them (through disclosures)."""
    caseworker = verified_login(Client(), get_user_model().objects.get(username="socialsekreterare"))
    delivered = Notification.unscoped_all_sites.filter(
        delivering_organisations__memberships__user__username="socialsekreterare"
    ).exclude(owner__memberships__user__username="socialsekreterare")
    assert delivered.exists(), "the demo names social services on police notifications"
    listing = caseworker.get(reverse("communication:notification_list")).content.decode()
    notification = delivered.order_by("-date", "-pk").first()
    assert reverse("communication:notification_detail", args=[notification.pk]) in listing
    detail = caseworker.get(reverse("communication:notification_detail", args=[notification.pk]))
    assert detail.status_code == 200 and "framför budskapet" in detail.content.decode()
