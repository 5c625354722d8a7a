"""Factories for direct communication, and the records the access matrix needs in the shared world.

`add_communication_records(world)` adds, for every organisation at both sites of tests.factories.World:
- ("callin", slug, org_type): a planned call-in owned by the organisation, with a speaker, a message point
  and two checklist items, one of them the responsibility of the site's community organisation;
- ("invitation", slug, org_type): an invitation of the organisation's person to that call-in;
- ("notification", slug, org_type): a planned notification to the organisation's person;
- ("communicationback", slug, org_type): a communication back to the organisation's group.
The lead adds the call at the end of tests.factories.build_world.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from gvi.communication.models import (
    CallIn,
    CallInChecklistItem,
    CallInInvitation,
    CallInMessagePoint,
    CallInSpeaker,
    CommunicationBack,
    Notification,
)
from gvi.partnership.models import Organisation
from tests.factories import CompartmentFactory, PersonFactory, marker


class CallInFactory(CompartmentFactory):
    class Meta:
        model = CallIn

    title = factory.Sequence(lambda n: f"Stormöte {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    place = "Medborgarhuset"


class InvitationFactory(CompartmentFactory):
    class Meta:
        model = CallInInvitation

    call_in = factory.SubFactory(CallInFactory)
    person = factory.SubFactory(PersonFactory)
    channel = CallInInvitation.Channel.LETTER


class NotificationFactory(CompartmentFactory):
    class Meta:
        model = Notification

    person = factory.SubFactory(PersonFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3))
    delivered_by = "polis + socialsekreterare"


class CommunicationBackFactory(CompartmentFactory):
    class Meta:
        model = CommunicationBack
        skip_postgeneration_save = True

    date = factory.LazyFunction(timezone.localdate)
    message = "Skjutningen fick konsekvenser för hela gruppen, som vi sa."
    channel = CommunicationBack.Channel.PUBLIC_STATEMENT

    @factory.post_generation
    def audience_groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.audience_groups.set(extracted)


def add_communication_records(world) -> None:
    if ("callin", "a", Organisation.Type.POLICE) in world.records:
        return  # already added (build_world adds them; some tests ask again)
    for (slug, org_type), org in list(world.orgs.items()):
        if slug is None:
            continue
        site = world.site_a if slug == "a" else world.site_b
        kw = {"site": site, "owner": org}
        call_in = CallInFactory(title=f"Stormöte {org.name} {marker('callin', slug, org_type)}", **kw)
        call_in.target_groups.add(world.records[("group", slug, org_type)])
        CallInSpeaker.objects.create(call_in=call_in, category="community", name="Mamma Exempel")
        CallInMessagePoint.objects.create(call_in=call_in, text="Vi vill inte att du ska dö.")
        CallInChecklistItem.objects.create(
            call_in=call_in, text="Boka lokal", responsible=world.orgs[(slug, Organisation.Type.COMMUNITY)]
        )
        CallInChecklistItem.objects.create(call_in=call_in, text="Genomrepetition", order=1)
        person = world.records[("person", slug, org_type)]
        world.records[("callin", slug, org_type)] = call_in
        world.records[("invitation", slug, org_type)] = InvitationFactory(
            call_in=call_in, person=person, **kw
        )
        world.records[("notification", slug, org_type)] = NotificationFactory(person=person, **kw)
        world.records[("communicationback", slug, org_type)] = CommunicationBackFactory(
            audience_groups=[world.records[("group", slug, org_type)]], **kw
        )


def started(call_in, hours_ago: int = 2):
    """Move a call-in's start into the past (its outcome can be recorded only once it has begun), without
    changing its version."""
    type(call_in)._default_manager.filter(pk=call_in.pk).update(
        starts_at=timezone.now() - timedelta(hours=hours_ago)
    )
    call_in.refresh_from_db()
    return call_in
