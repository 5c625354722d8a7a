"""Factories for sanction episodes, actions and announced rules, and the records the access matrix needs.

`add_sanction_records(world)` adds to a `tests.factories.World`, for both sites and every organisation type
(police, municipality, probation, community):
- ("sanctionepisode", slug, type) -> an open episode owned by that organisation, against the group that
  organisation owns at the site, triggered by its incident;
- ("sanctionaction", slug, type) -> an action owned by that organisation on the site's police episode;
- ("announcedrule", slug, type) -> an announced rule owned by that organisation.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode
from tests.factories import SITE_TYPES, CompartmentFactory, GroupFactory

ORG_LEVER = {
    "police": "targeted_controls",
    "municipality": "benefit_checks",
    "probation": "tightened_conditions",
    "community": "other",
}


class SanctionEpisodeFactory(CompartmentFactory):
    class Meta:
        model = SanctionEpisode

    group = factory.SubFactory(GroupFactory, site=factory.SelfAttribute("..site"))
    status = SanctionEpisode.Status.OPEN
    proposed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    decision_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    decided_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))


class SanctionActionFactory(CompartmentFactory):
    class Meta:
        model = SanctionAction

    episode = factory.SubFactory(SanctionEpisodeFactory, site=factory.SelfAttribute("..site"))
    lever = "targeted_controls"
    description = "Riktade kontroller i området"
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class AnnouncedRuleFactory(CompartmentFactory):
    class Meta:
        model = AnnouncedRule

    title = factory.Sequence(lambda n: f"Budskap {n}")
    message = "Nästa skjutning leder till ökat fokus mot hela gruppen."
    announced_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    levers = factory.LazyFunction(lambda: ["targeted_controls", "tightened_conditions"])


def add_sanction_records(world) -> None:
    """Episodes, actions and rules for both sites of `world` (see the module docstring)."""
    for site in (world.site_a, world.site_b):
        slug = site.slug
        for org_type in SITE_TYPES:
            org = world.orgs[(slug, org_type)]
            episode = SanctionEpisodeFactory(
                site=site, owner=org, group=world.records[("group", slug, org_type)]
            )
            episode.trigger_incidents.add(world.records[("incident", slug, org_type)])
            world.records[("sanctionepisode", slug, org_type)] = episode
            world.records[("announcedrule", slug, org_type)] = AnnouncedRuleFactory(site=site, owner=org)
        police_episode = world.records[("sanctionepisode", slug, "police")]
        for org_type in SITE_TYPES:
            world.records[("sanctionaction", slug, org_type)] = SanctionActionFactory(
                site=site,
                owner=world.orgs[(slug, org_type)],
                episode=police_episode,
                lever=ORG_LEVER[org_type],
            )
