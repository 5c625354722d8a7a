"""The weekly agenda is frozen, read by the whole partnership and printed in the minutes, so it is built
from what the partnership shares at the site, never from what its creator happens to see (issue 22).

- Items without an audience are the partnership's: site-level records every meeting role reads, and
  counts over person-level records (notifications, overdue entries) for the whole site with 1–4 shown as
  "1–4", as on *Räckvidd*. Sanction actions appear as the episode's total, as on the episode page.
- An organisation's own detail (its exact counts per group) is an item with that organisation as audience:
  only its members see it, on the meeting page; never in meeting mode (the projector) or in the minutes.
"""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.communication.models import Notification
from gvi.groups.models import GroupMembership
from gvi.partnership import selectors, services
from gvi.partnership.models import AgendaItem, Meeting, Role
from gvi.sanctions.models import SanctionAction
from tests.communication.factories import NotificationFactory
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    IncidentFactory,
    InvolvementFactory,
    PersonFactory,
    verified_login,
)
from tests.partnership.factories import MeetingFactory
from tests.partnership.pdf_text import pdf_text

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER
READERS = [C, A, CW, P]  # the roles that read weekly reviews
GENERATORS = [C, A]  # the roles that generate them (municipality and police in the world)

# What only the police may know: its own notifications and overdue entries at site A (see `scene`).
POLICE_ONLY = (
    "2 planerade",
    "1 avböjda",
    "1 där personen inte påträffades",
    "2 personposter",
    "1 medlemskap",
)
# What only the coordinator (who sees every organisation's actions) may know about the police episode.
ACTIONS_ACROSS_ORGANISATIONS = "1 av 4 åtgärder påbörjade"


@pytest.fixture
def scene(world):
    """Site A, a week after the last review: the police has notified members of its group (two planned,
    one refused, one not found) and has two persons and one membership overdue for review; the other
    organisations each have their one planned notification from the world. On the police episode the
    police action has started and the municipality's is overdue."""
    Meeting.objects.all().delete()
    site, police = world.site_a, world.orgs[("a", "police")]
    MeetingFactory(site=site, status=Meeting.Status.HELD, starts_at=timezone.now() - timedelta(days=7))
    group = world.records[("group", "a", "police")]
    group.name = "Centrumnätverket"
    group.save()
    person = world.records[("person", "a", "police")]
    today = timezone.localdate()
    NotificationFactory(person=person, site=site, owner=police)  # planned, as the world's own
    for outcome in (Notification.Outcome.REFUSED, Notification.Outcome.NOT_FOUND):
        NotificationFactory(person=person, site=site, owner=police, outcome=outcome, date=today)
    for _ in range(2):
        PersonFactory(site=site, owner=police, review_date=today - timedelta(days=1))
    GroupMembership.unscoped_all_sites.filter(pk=world.records[("membership", "a", "police")].pk).update(
        review_date=today - timedelta(days=1)
    )
    SanctionAction.unscoped_all_sites.filter(pk=world.records[("sanctionaction", "a", "police")].pk).update(
        status=SanctionAction.Status.IN_PROGRESS, started_on=today
    )
    SanctionAction.unscoped_all_sites.filter(
        pk=world.records[("sanctionaction", "a", "municipality")].pk
    ).update(due_date=today - timedelta(days=2))
    return MeetingFactory(site=site, starts_at=timezone.now() + timedelta(hours=2))


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _reader_view(client, meeting) -> dict:
    """Everything a reader gets of the agenda: the meeting page's points, meeting mode, the minutes."""
    page = client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    found = re.findall(r'<li class="agenda-item([^"]*)"[^>]*>(.*?)</li>', page, re.S)
    points = [_text(item) for _classes, item in found]
    shared = [item for classes, item in found if "own" not in classes.split()]
    mode_url = reverse("meetings:meeting_mode", args=[meeting.pk])
    screens = []
    for number in range(1, len(shared) + 1):
        screen = client.get(f"{mode_url}?punkt={number}").content.decode()
        screens.append(_text(re.search(r"<main[^>]*>(.*?)</main>", screen, re.S).group(1)))
    response = client.get(reverse("meetings:minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200
    return {"points": points, "mode": screens, "pdf": pdf_text(response.content)}


def _views_after_generation(world, meeting, generator) -> dict:
    services.refresh_agenda(world.users[generator], meeting)
    return {
        reader: _reader_view(verified_login(Client(), world.users[reader]), meeting) for reader in READERS
    }


@pytest.mark.django_db
def test_an_agenda_shows_every_reader_the_same_whoever_generated_it(world, scene):
    first, second = (_views_after_generation(world, scene, generator) for generator in GENERATORS)
    for reader in READERS:
        assert first[reader] == second[reader], f"{reader} reads another agenda depending on its creator"


@pytest.mark.django_db
def test_no_reader_gets_another_organisations_small_counts(world, scene):
    for generator in GENERATORS:
        views = _views_after_generation(world, scene, generator)
        for reader, view in views.items():
            page = " | ".join(view["points"])
            shared = " | ".join(view["mode"]) + " | " + view["pdf"]
            for secret in POLICE_ONLY:
                assert secret not in shared, (
                    f"{secret!r} shown to the room or printed ({generator} → {reader})"
                )
                if reader != A:
                    assert secret not in page, f"{secret!r} on {reader}'s meeting page (made by {generator})"
            assert ACTIONS_ACROSS_ORGANISATIONS not in page + shared, (generator, reader)
            # The partnership's figures are there, with the small counts shown as on Räckvidd.
            assert "1–4 avböjda" in page and "1–4 personposter" in page, (generator, reader)
            assert "1–4 avböjda" in view["pdf"] and "4 åtgärder registrerade" in view["pdf"]
        # The police reads its own exact figures, on the meeting page only; so does each organisation.
        police_page = " | ".join(views[A]["points"])
        assert all(secret in police_page for secret in POLICE_ONLY), police_page
        assert "1 av 1 egna åtgärder påbörjade, 0 försenade" in police_page
        municipality_page = " | ".join(views[CW]["points"])
        assert "0 av 1 egna åtgärder påbörjade, 1 försenade" in municipality_page
        assert views[C]["points"] == views[CW]["points"]  # the same organisation's members read the same


@pytest.mark.django_db
def test_organisation_items_reach_only_that_organisations_members(world, scene):
    services.refresh_agenda(world.users[A], scene)
    own = AgendaItem.objects.filter(meeting=scene, audience__isnull=False)
    audiences = set(own.values_list("audience__name", flat=True))
    assert {"police a", "municipality a"} <= audiences  # the police's and the municipality's own figures
    for reader in READERS:
        organisation = world.org_of(reader)
        seen = {item.audience_id for _org, items in selectors.organisation_agenda(world.users[reader], scene)
                for item in items}  # fmt: skip
        assert seen <= {organisation.pk}
        assert all(item.audience_id is None for item in selectors.agenda_of(scene))
    # A decision belongs to the partnership's agenda: it cannot be filed under an organisation's item.
    services.change_meeting_status(world.users[A], scene, Meeting.Status.HELD, scene.version)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.record_decision(world.users[A], scene, "Beslut", agenda_item=own.first())


@pytest.mark.django_db
def test_the_risk_points_come_from_what_the_partnership_shares(world):
    """Incidents linked to a group only through the police's coding of named persons raise the police's own
    risk picture, but the shared agenda's risk points are computed without them: the caseworker would
    otherwise read an alert that neither the risk page nor the group page gives her."""
    from gvi.incidents import risk
    from gvi.incidents.models import Involvement

    Meeting.objects.all().delete()
    site, police = world.site_a, world.orgs[("a", "police")]
    named = PersonFactory(site=site, owner=police, alias="Hemligt Alias 2201")
    hot = GroupFactory(site=site, owner=police, name="Hamngänget")

    def incident(days_ago, person=None):
        found = IncidentFactory(
            site=site, owner=police, occurred_at=timezone.now() - timedelta(days=days_ago)
        )
        InvolvementFactory(
            site=site, owner=police, incident=found, group=hot, person=person,
            member_status=Involvement.MemberStatus.CONFIRMED,
        )  # fmt: skip

    for k, days_ago in enumerate(range(1080, 60, -60)):  # a steady history, shared with the partnership
        incident(days_ago)
        if k % 2 == 0:
            incident(days_ago - 2)
    for days_ago in (9, 6, 4, 2.5, 1):  # a burst known only from the police's coding of a person
        incident(days_ago, person=named)
    GroupMembershipFactory(site=site, owner=police, person=named, group=hot)
    risk.recompute_site(site)  # as the worker does after the codings
    alert_key = f"g{hot.pk}"
    assert alert_key in [alert.key for alert in risk.retaliation_risk(world.users[A], site).alerts]
    assert alert_key not in [alert.key for alert in risk.retaliation_risk(world.users[CW], site).alerts]
    meeting = MeetingFactory(site=site, starts_at=timezone.now() + timedelta(hours=2))
    services.refresh_agenda(world.users[A], meeting)

    def risk_groups():
        return [
            group["id"]
            for item in AgendaItem.objects.filter(meeting=meeting, kind=AgendaItem.Kind.RISK)
            for group in item.data.get("groups", [])
        ]

    assert hot.pk not in risk_groups()
    # The same burst coded as the group's involvement (no person) is shared, and the agenda raises it.
    Involvement.unscoped_all_sites.filter(person=named).update(person=None)
    risk.recompute_site(site)
    services.refresh_agenda(world.users[C], meeting)
    assert hot.pk in risk_groups()
