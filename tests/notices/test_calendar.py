"""The personal calendar feed behind a secret, renewable link (only its hash stored), and a meeting's .ics."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from gvi.communication.models import CallIn
from gvi.groups.models import Group, Person
from gvi.notices.models import CalendarFeed
from gvi.partnership.models import Membership, Role, Task
from tests.factories import verified_login
from tests.partnership.factories import TaskFactory

A = Role.ANALYST


def new_link(client) -> str:
    page = client.post(reverse("notices:calendar_renew")).content.decode()
    [url] = re.findall(r'<code class="secret-link">([^<]+)</code>', page)
    return url


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def analyst(world):
    return verified_login(Client(), world.users[A])


@pytest.mark.django_db
def test_the_feed_holds_meetings_call_ins_and_own_task_due_dates_and_no_person_data(world, analyst):
    group = world.records[("group", "a", "police")]
    task = TaskFactory(
        site=world.site_a,
        owner=world.org_of(A),
        responsible=world.users[A],
        decision=world.records[("decision", "a", "police")],
        title=f"Samtal med {group.name}",
        due_date=timezone.localdate() + timedelta(days=3),
    )
    url = new_link(analyst)
    response = Client().get(path_of(url))  # a calendar program: no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    calendar = Calendar.from_ical(response.content)
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    meeting = world.records[("meeting", "a", "police")]
    assert f"gvi-meeting-{meeting.pk}@127.0.0.1" in events
    [task_event] = [event for uid, event in events.items() if uid.startswith(f"gvi-task-{task.pk}@")]
    assert str(task_event["summary"]) == "GVI: Uppgift ska vara klar"
    assert task_event.decoded("dtstart") == task.due_date
    call_ins = CallIn.objects.visible_to(world.users[A])
    assert call_ins.exists()
    for call_in in call_ins:
        assert any(uid.startswith(f"gvi-callin-{call_in.pk}@") for uid in events)
        assert call_in.place not in text and call_in.title not in text
    assert "LOCATION" not in text
    forbidden = [
        *Person.unscoped_all_sites.values_list("alias", flat=True),
        *Group.unscoped_all_sites.values_list("name", flat=True),
        *Task.objects.values_list("title", flat=True),
    ]
    assert not [name for name in forbidden if name in text]
    # Another user's tasks are not in this feed.
    others = Task.objects.exclude(responsible=world.users[A]).values_list("pk", flat=True)
    assert not [uid for uid in events if any(uid.startswith(f"gvi-task-{pk}@") for pk in others)]


@pytest.mark.django_db
def test_only_a_hash_of_the_secret_is_stored_and_renewing_ends_the_old_link(world, analyst):
    first = new_link(analyst)
    secret = first.rsplit("/", 1)[1].removesuffix(".ics")
    stored = CalendarFeed.objects.get(user=world.users[A])
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    assert Client().get(path_of(first)).status_code == 200
    second = new_link(analyst)
    assert second != first
    assert Client().get(path_of(first)).status_code == 404
    assert Client().get(path_of(second)).status_code == 200
    analyst.post(reverse("notices:calendar_remove"))
    assert Client().get(path_of(second)).status_code == 404


@pytest.mark.django_db
def test_a_deactivated_user_or_one_without_membership_gets_no_calendar(world, analyst):
    url = new_link(analyst)
    Membership.objects.filter(user=world.users[A]).update(is_active=False)
    assert Client().get(path_of(url)).status_code == 404
    Membership.objects.filter(user=world.users[A]).update(is_active=True)
    assert Client().get(path_of(url)).status_code == 200
    world.users[A].is_active = False
    world.users[A].save()
    assert Client().get(path_of(url)).status_code == 404


@pytest.mark.django_db
def test_a_meeting_offers_an_ics_download(world, analyst):
    meeting = world.records[("meeting", "a", "police")]
    type(meeting).objects.filter(pk=meeting.pk).update(place="Rum 3, polishuset")
    page = analyst.get(reverse("meetings:meeting_detail", kwargs={"pk": meeting.pk})).content.decode()
    link = reverse("notices:meeting_ics", kwargs={"pk": meeting.pk})
    assert f'href="{link}"' in page
    response = analyst.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="gvi-mote-{meeting.pk}.ics"'
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == f"GVI: {meeting.get_type_display()}"
    assert str(event["location"]) == "Rum 3, polishuset"
    assert event.decoded("dtstart") == meeting.starts_at.replace(microsecond=0)
    assert str(event["url"]).endswith(f"/moten/{meeting.pk}/")
