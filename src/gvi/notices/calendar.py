"""iCalendar documents (the `icalendar` library): a user's personal feed and a single meeting.

No person data in either: an entry says what kind of thing it is ("GVI: Veckogenomgång", "GVI: Stormöte",
"GVI: Uppgift ska vara klar") and links to it; titles, target groups, places of call-ins and task texts
stay behind sign-in. A meeting's room (its `place`) is in the downloaded .ics of that meeting, which only
a signed-in user who sees the meeting gets, never in the feed that a link alone opens.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from gvi.partnership.models import Meeting, Task

PAST = timedelta(days=60)
FUTURE = timedelta(days=400)
MEETING_LENGTH = timedelta(hours=2)
CALL_IN_LENGTH = timedelta(hours=2)


def _domain() -> str:
    return settings.GVI_BASE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "gvi"


def _link(path: str) -> str:
    return settings.GVI_BASE_URL.rstrip("/") + path


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//GVI//gvi//SV")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(uid: str, summary: str, start, end, path: str, stamp: datetime, cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{_domain()}")
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("url", _link(path))
    event.add("description", _("Öppna i GVI: %(link)s") % {"link": _link(path)})
    if cancelled:
        event.add("status", "CANCELLED")
    return event


def meeting_event(meeting: Meeting, stamp: datetime, with_place: bool = False) -> Event:
    event = _event(
        f"gvi-meeting-{meeting.pk}",
        _("GVI: %(type)s") % {"type": meeting.get_type_display()},
        meeting.starts_at,
        meeting.starts_at + MEETING_LENGTH,
        reverse("meetings:meeting_detail", kwargs={"pk": meeting.pk}),
        stamp,
    )
    if with_place and meeting.place:
        event.add("location", meeting.place)
    return event


def meeting_ics(meeting: Meeting) -> bytes:
    with translation.override("sv"):
        calendar = _calendar(_("GVI-möte"))
        calendar.add("method", "PUBLISH")
        calendar.add_component(meeting_event(meeting, timezone.now(), with_place=True))
        return calendar.to_ical()


def personal_feed(user, now: datetime | None = None) -> bytes:
    """Meetings and call-ins the user sees and the due dates of the user's own active tasks."""
    from gvi.communication.models import CallIn
    from gvi.partnership.selectors import meetings_visible_to

    now = now or timezone.now()
    with translation.override("sv"):
        calendar = _calendar(_("GVI"))
        window = {"starts_at__gte": now - PAST, "starts_at__lte": now + FUTURE}
        for meeting in meetings_visible_to(user).filter(**window):
            calendar.add_component(meeting_event(meeting, now))
        for call_in in CallIn.objects.visible_to(user).filter(**window).only("pk", "starts_at", "status"):
            calendar.add_component(
                _event(
                    f"gvi-callin-{call_in.pk}",
                    _("GVI: Stormöte"),
                    call_in.starts_at,
                    call_in.starts_at + CALL_IN_LENGTH,
                    reverse("communication:callin_detail", kwargs={"pk": call_in.pk}),
                    now,
                    cancelled=call_in.status == CallIn.Status.CANCELLED,
                )
            )
        today = timezone.localdate(now)
        tasks = Task.objects.filter(
            responsible=user,
            status__in=Task.ACTIVE_STATUSES,
            due_date__gte=today - PAST,
            site__memberships__in=user.memberships.active(),
        ).distinct()
        for task in tasks.only("pk", "due_date"):
            calendar.add_component(
                _event(
                    f"gvi-task-{task.pk}",
                    _("GVI: Uppgift ska vara klar"),
                    task.due_date,
                    task.due_date + timedelta(days=1),
                    reverse("meetings:task_edit", kwargs={"pk": task.pk}),
                    now,
                )
            )
        return calendar.to_ical()
