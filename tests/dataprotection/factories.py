"""Factories for gvi.dataprotection, and the records the access matrix needs.

tests.factories.build_world calls add_dataprotection_records(world), which stores for every organisation at
both sites, under ("dprequest", site slug, org type), an open erasure request about that organisation's
world person.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from gvi.dataprotection.models import DataSubjectRequest
from tests.factories import CompartmentFactory, PersonFactory


class DataSubjectRequestFactory(CompartmentFactory):
    class Meta:
        model = DataSubjectRequest

    person = factory.SubFactory(
        PersonFactory, site=factory.SelfAttribute("..site"), owner=factory.SelfAttribute("..owner")
    )
    kind = DataSubjectRequest.Kind.ERASURE
    received_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3))
    request_text = "Begär att medlemskapet raderas."


def add_dataprotection_records(world):
    if ("dprequest", "a", "police") in world.records:
        return world
    for (slug, org_type), org in list(world.orgs.items()):
        if slug is None:
            continue
        person = world.records[("person", slug, org_type)]
        world.records[("dprequest", slug, org_type)] = DataSubjectRequestFactory(
            site=person.site, owner=org, person=person
        )
    return world
