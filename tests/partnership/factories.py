"""Factories for meetings, decisions and tasks, and the records the access matrix needs.

`add_meeting_records(world)` adds to a `tests.factories.World`, for both sites:
- ("meeting", slug, type) -> the site's held weekly review (the same meeting for every organisation type:
  meetings belong to a site, not to an organisation);
- ("steering_meeting", slug, type) -> the site's planned steering-group meeting;
- ("decision", slug, type) -> a decision of the site's weekly review;
- ("task", slug, type) -> a task from that decision owned by the organisation of that type at the site.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from gvi.partnership.models import AgendaItem, Decision, Meeting, Task
from tests.factories import SITE_TYPES, SiteFactory


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    site = factory.SubFactory(SiteFactory)
    type = Meeting.Type.WEEKLY_REVIEW
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    place = "Polishuset, rum 3"


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Punkt {n}")


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    meeting = factory.SubFactory(MeetingFactory, status=Meeting.Status.HELD)
    text = "Polisen genomför riktade kontroller mot gruppen."


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    decision = factory.SubFactory(DecisionFactory)
    site = factory.LazyAttribute(lambda o: o.decision.meeting.site)
    title = factory.Sequence(lambda n: f"Uppgift {n}")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


def add_meeting_records(world) -> None:
    """Meetings, decisions and tasks for both sites of `world` (see the module docstring)."""
    from gvi.partnership.models import Role

    if ("meeting", "a", SITE_TYPES[0]) in world.records:
        return  # already added (build_world may call this itself)
    for site in (world.site_a, world.site_b):
        slug = site.slug
        chair = world.users[Role.COORDINATOR] if site == world.site_a else None
        meeting = MeetingFactory(
            site=site,
            status=Meeting.Status.HELD,
            starts_at=timezone.now() - timedelta(days=1),
            chair=chair,
        )
        meeting.participants.set([world.orgs[(slug, org_type)] for org_type in SITE_TYPES])
        item = AgendaItemFactory(meeting=meeting, order=1, title="Skjutning i Centrum")
        decision = DecisionFactory(meeting=meeting, agenda_item=item)
        steering = MeetingFactory(site=site, type=Meeting.Type.STEERING_GROUP)
        for org_type in SITE_TYPES:
            world.records[("meeting", slug, org_type)] = meeting
            world.records[("steering_meeting", slug, org_type)] = steering
            world.records[("decision", slug, org_type)] = decision
            world.records[("task", slug, org_type)] = TaskFactory(
                decision=decision,
                site=site,
                owner=world.orgs[(slug, org_type)],
                title=f"Uppföljning {org_type} {slug}",
            )
