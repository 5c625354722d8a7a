"""Announced rules: which rule applies to an episode, and whether the response matched it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.analysis import deterrence as d
from gvi.partnership.models import Role
from gvi.sanctions import selectors, services
from gvi.sanctions.models import AnnouncedRule
from tests.factories import GroupFactory, IncidentFactory, verified_login
from tests.sanctions.factories import AnnouncedRuleFactory, SanctionActionFactory, SanctionEpisodeFactory

STHLM = ZoneInfo("Europe/Stockholm")
C, A = Role.COORDINATOR, Role.ANALYST


@pytest.fixture
def setting(world):
    police = world.orgs[("a", "police")]
    kw = {"site": world.site_a, "owner": police}
    group = GroupFactory(**kw)
    incident = IncidentFactory(occurred_at=datetime(2025, 6, 10, 23, 30, tzinfo=STHLM), type="shooting", **kw)
    episode = SanctionEpisodeFactory(group=group, status="proposed", decided_at=None, start_date=None, **kw)
    episode.trigger_incidents.add(incident)
    return {"world": world, "kw": kw, "group": group, "incident": incident, "episode": episode}


def rule(setting, **fields):
    fields.setdefault("announced_on", date(2025, 1, 1))
    return AnnouncedRuleFactory(**setting["kw"], **fields)


@pytest.mark.django_db
def test_applicable_rule_by_date_type_and_group(setting):
    episode = setting["episode"]
    assert selectors.applicable_rule(episode) is None
    general_old = rule(setting, announced_on=date(2025, 1, 1))
    assert selectors.applicable_rule(episode) == general_old
    general_new = rule(setting, announced_on=date(2025, 3, 1))
    assert selectors.applicable_rule(episode) == general_new
    rule(setting, announced_on=date(2025, 6, 11))  # announced after the incident
    rule(setting, announced_on=date(2025, 5, 1), valid_until=date(2025, 6, 9))  # expired before it
    rule(setting, announced_on=date(2025, 5, 1), trigger_types=["explosion"])  # other type
    rule(setting, announced_on=date(2025, 5, 2)).groups.add(GroupFactory(**setting["kw"]))  # other group
    other_site = setting["world"].orgs[("b", "police")]
    AnnouncedRuleFactory(site=setting["world"].site_b, owner=other_site, announced_on=date(2025, 5, 3))
    assert selectors.applicable_rule(episode) == general_new
    shootings = rule(setting, announced_on=date(2025, 4, 1), trigger_types=["shooting"])
    assert selectors.applicable_rule(episode) == shootings
    for_the_group = rule(setting, announced_on=date(2024, 6, 1))
    for_the_group.groups.add(setting["group"])
    assert selectors.applicable_rule(episode) == for_the_group  # naming the group wins over newer ones
    same_day = rule(setting, announced_on=date(2025, 6, 10))  # announced the day of the incident
    same_day.groups.add(setting["group"])
    assert selectors.applicable_rule(episode) == same_day


@pytest.mark.django_db
def test_deciding_records_the_applicable_rule_unless_another_is_chosen(setting):
    coordinator = setting["world"].users[C]
    applicable = rule(setting)
    episode = services.decide_episode(coordinator, setting["episode"], 1, run=True)
    assert episode.announced_rule == applicable and episode.status == "open"
    assert episode.decided_by == coordinator and episode.start_date is not None

    group = GroupFactory(**setting["kw"])
    other = SanctionEpisodeFactory(
        group=group, status="proposed", decided_at=None, start_date=None, **setting["kw"]
    )
    other.trigger_incidents.add(setting["incident"])
    chosen = rule(setting, announced_on=date(2024, 1, 1), title="Valt budskap")
    other = services.decide_episode(coordinator, other, 1, run=True, announced_rule=chosen)
    assert other.announced_rule == chosen


@pytest.mark.django_db
def test_rule_match_counts_applied_levers_of_every_organisation(setting):
    world, episode = setting["world"], setting["episode"]
    promised = rule(setting, levers=["targeted_controls", "tightened_conditions"], respond_within_days=3)
    episode = services.decide_episode(world.users[C], episode, 1, run=True)

    def act(org_type, lever, status="in_progress", started=date(2025, 6, 12)):
        return SanctionActionFactory(
            episode=episode,
            site=world.site_a,
            owner=world.orgs[("a", org_type)],
            lever=lever,
            status=status,
            started_on=started if status != "planned" else None,
        )

    assert selectors.rule_match(episode).outcome == d.NOT_MATCHED
    act("probation", "tightened_conditions", status="planned")
    assert selectors.rule_match(episode).outcome == d.NOT_MATCHED  # planned is not applied
    act("police", "targeted_controls")
    match = selectors.rule_match(episode)
    assert match.outcome == d.PARTIAL and match.missing == {"tightened_conditions"}
    act("probation", "tightened_conditions", status="done", started=date(2025, 6, 13))
    match = selectors.rule_match(episode)
    assert match.outcome == d.MATCHED and match.on_time is True  # first action 2 days after the incident

    promised.respond_within_days = 1
    promised.save()
    episode.refresh_from_db()
    match = selectors.rule_match(episode)
    assert match.outcome == d.PARTIAL and match.on_time is False

    page = verified_login(Client(), world.users[C]).get(
        reverse("sanctions:episode_detail", args=[episode.pk])
    )
    html = page.content.decode()
    assert "Delvis som utlovat" in html and "första åtgärden kom inte inom 1 dag" in html


@pytest.mark.django_db
def test_an_episode_under_way_is_not_judged_before_the_promised_time(setting):
    """14 hours after the incident an undecided response is not yet "Inte som utlovat": the page shows the
    time left; once the five days have passed without an action it is judged."""
    world, episode = setting["world"], setting["episode"]
    rule(setting, levers=["targeted_controls"], respond_within_days=5)
    url = reverse("sanctions:episode_detail", args=[episode.pk])
    client = verified_login(Client(), world.users[C])
    with time_machine.travel(datetime(2025, 6, 11, 13, 30, tzinfo=STHLM), tick=False):
        assert selectors.rule_match(episode).outcome == d.PENDING
        html = client.get(url).content.decode()
        assert "Inte som utlovat" not in html and "kom inte inom" not in html
        assert "första åtgärden ska komma inom 5 dagar från incidenten, 4 dagar kvar." in html
    with time_machine.travel(datetime(2025, 6, 16, 9, 0, tzinfo=STHLM), tick=False):
        client = verified_login(Client(), world.users[C])
        assert selectors.rule_match(episode).outcome == d.NOT_MATCHED
        assert "Inte som utlovat" in client.get(url).content.decode()


@pytest.mark.django_db
def test_coordinator_records_and_edits_rules_others_only_read(setting):
    world = setting["world"]
    client = verified_login(Client(), world.users[C])
    response = client.post(
        reverse("sanctions:rule_create"),
        {
            "title": "Nästa skjutning",
            "message": "Nästa skjutning leder till kontroller, skärpta villkor och bidragskontroller.",
            "announced_on": "2025-05-01",
            "announced_how": "Stormöte",
            "trigger_types": ["shooting", "explosion"],
            "groups": [setting["group"].pk],
            "levers": ["targeted_controls", "tightened_conditions", "benefit_checks"],
            "respond_within_days": "2",
        },
    )
    assert response.status_code == 302
    created = AnnouncedRule.unscoped_all_sites.get(title="Nästa skjutning")
    assert created.trigger_types == ["shooting", "explosion"] and list(created.groups.all()) == [
        setting["group"]
    ]
    assert created.owner == world.orgs[("a", "municipality")]
    listing = client.get(reverse("sanctions:rule_list")).content.decode()
    assert "Nästa skjutning" in listing and "första åtgärd inom 2 dagar" in listing

    edit = reverse("sanctions:rule_edit", args=[created.pk])
    bad = client.post(
        edit,
        {
            "version": 1,
            "title": "X",
            "message": "Y",
            "announced_on": "2025-05-01",
            "valid_until": "2025-04-01",
        },
    )
    assert bad.status_code == 200 and "Slutdatum kan inte vara före" in bad.content.decode()
    ok = client.post(edit, {"version": 1, "title": "Ändrat", "message": "Y", "announced_on": "2025-05-01"})
    assert ok.status_code == 302
    created.refresh_from_db()
    assert created.version == 2 and list(created.groups.all()) == []
    stale = client.post(
        edit, {"version": 1, "title": "Gammalt", "message": "Y", "announced_on": "2025-05-01"}
    )
    assert stale.status_code == 409

    reader = verified_login(Client(), world.users[Role.COMMUNITY_PARTNER])
    listing = reader.get(reverse("sanctions:rule_list")).content.decode()
    assert "Ändrat" in listing and edit not in listing
    assert reader.get(edit).status_code == 403


@pytest.mark.django_db
def test_an_empty_rule_list(world):
    html = verified_login(Client(), world.users[A]).get(reverse("sanctions:rule_list")).content.decode()
    assert "Inga budskap är registrerade." in html
    assert "Åtgärdskatalogen per organisation" in html and "Indrivning av skulder" in html


@pytest.mark.django_db
def test_rule_validation(setting):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.create_rule(
            setting["world"].users[C],
            {
                "title": "T",
                "message": "M",
                "announced_on": date(2025, 1, 1),
                "levers": ["nope"],
                "trigger_types": ["x"],
            },
        )
    assert {"levers", "trigger_types"} <= set(error.value.message_dict)
    other_group = GroupFactory(site=setting["world"].site_b, owner=setting["world"].orgs[("b", "police")])
    with pytest.raises(ValidationError):
        services.create_rule(
            setting["world"].users[C],
            {"title": "T", "message": "M", "announced_on": date(2025, 1, 1) + timedelta(days=1)},
            groups=[other_group],
        )


@pytest.mark.django_db
def test_a_closed_episode_without_communication_back_is_a_reminder_on_the_start_page(world):

    from django.test import Client

    from gvi.communication.models import CommunicationBack
    from gvi.partnership.models import Role
    from gvi.sanctions.models import SanctionEpisode
    from gvi.sanctions.selectors import ended_without_communication
    from tests.factories import verified_login
    from tests.sanctions.factories import add_sanction_records

    add_sanction_records(world)
    coordinator = world.users[Role.COORDINATOR]
    episode = world.records[("sanctionepisode", "a", "police")]
    SanctionEpisode.unscoped_all_sites.filter(pk=episode.pk).update(
        status="closed",
        end_date=timezone.localdate(),
        end_reason="effect_seen",
        start_date=timezone.localdate(),
    )
    assert episode.pk in [e.pk for e in ended_without_communication(coordinator)]
    html = verified_login(Client(), coordinator).get("/").content.decode()
    assert "Återkoppling saknas" in html and f"/sanktioner/{episode.pk}/" in html
    message = CommunicationBack.unscoped_all_sites.create(
        site=episode.site,
        owner=episode.owner,
        date=timezone.localdate(),
        message="Så blev det.",
        channel="public_statement",
    )
    episode.communications.add(message)
    assert episode.pk not in [e.pk for e in ended_without_communication(coordinator)]


@pytest.mark.django_db
def test_communicating_back_from_an_episode_links_it_to_the_episode(world):
    """'Registrera återkoppling' on an episode (and on the start page's reminder) opens the form for that
    episode: the group is preselected, the saved record refers to the episode, the episode shows it and
    the reminder goes; roles that may not register one are not offered the link."""
    from gvi.communication.models import CommunicationBack
    from gvi.sanctions.models import SanctionEpisode
    from gvi.sanctions.selectors import ended_without_communication
    from tests.sanctions.factories import add_sanction_records

    add_sanction_records(world)
    coordinator = world.users[C]
    episode = world.records[("sanctionepisode", "a", "police")]
    SanctionEpisode.unscoped_all_sites.filter(pk=episode.pk).update(
        status="closed",
        end_date=timezone.localdate(),
        end_reason="effect_seen",
        start_date=timezone.localdate(),
    )
    client = verified_login(Client(), coordinator)
    home = client.get("/").content.decode()
    create = reverse("communication:communicationback_create")
    assert f"{create}?episod={episode.pk}" in home
    detail = client.get(reverse("sanctions:episode_detail", args=[episode.pk])).content.decode()
    assert f"{create}?episod={episode.pk}" in detail
    form = client.get(create, {"episod": episode.pk})
    assert form.context["form"].initial["audience_groups"] == [episode.group_id]
    response = client.post(
        f"{create}?episod={episode.pk}",
        {
            "date": timezone.localdate().isoformat(),
            "message": "Partnerskapet svarade som utlovat.",
            "channel": "public_statement",
            "audience_groups": [episode.group_id],
        },
    )
    assert response.status_code == 302, form.context["form"].errors
    assert response["Location"] == reverse("sanctions:episode_detail", args=[episode.pk])
    record = CommunicationBack.unscoped_all_sites.get(message="Partnerskapet svarade som utlovat.")
    assert record.refers_to == episode
    detail = client.get(response["Location"]).content.decode()
    assert "Partnerskapet svarade som utlovat." in detail
    assert "Episoden avslutades utan återkoppling" not in detail
    assert episode.pk not in [e.pk for e in ended_without_communication(coordinator)]


@pytest.mark.django_db
def test_start_page_offers_communicating_back_only_to_those_who_may(world):
    from gvi.sanctions.models import SanctionEpisode
    from tests.sanctions.factories import add_sanction_records

    add_sanction_records(world)
    SanctionEpisode.unscoped_all_sites.filter(site=world.site_a).update(
        status="closed",
        end_date=timezone.localdate(),
        end_reason="effect_seen",
        start_date=timezone.localdate(),
    )
    create = reverse("communication:communicationback_create")
    for role in (Role.PROBATION_OFFICER, Role.CASEWORKER):
        html = verified_login(Client(), world.users[role]).get("/").content.decode()
        assert "Återkoppling saknas" in html, role  # the reminder is there, the link is not
        assert create not in html, role
        assert verified_login(Client(), world.users[role]).get(create).status_code == 403, role


@pytest.mark.django_db
def test_only_the_lead_decides_and_closes_an_episode(world):
    """Another partner with an analyst's role (e.g. Kronofogden) reports its own actions but is not
    offered, and may not use, 'Fatta beslut' or 'Avsluta episoden' for an episode it does not own."""
    from django.core.exceptions import PermissionDenied

    municipality = world.orgs[("a", "municipality")]
    kw = {"site": world.site_a, "owner": municipality}
    running = SanctionEpisodeFactory(**kw)
    proposed = SanctionEpisodeFactory(status="proposed", decided_at=None, start_date=None, **kw)
    other_analyst = world.users[A]  # the police's analyst at the same site
    assert other_analyst.memberships.active().get(site=world.site_a).organisation != municipality
    client = verified_login(Client(), other_analyst)
    for episode, route, label in (
        (running, "sanctions:episode_close", "Avsluta episoden"),
        (proposed, "sanctions:episode_decide", "Fatta beslut"),
    ):
        html = client.get(reverse("sanctions:episode_detail", args=[episode.pk])).content.decode()
        assert label not in html and reverse(route, args=[episode.pk]) not in html
        assert client.get(reverse(route, args=[episode.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.close_episode(other_analyst, running, running.version, end_reason="other")
    coordinator = verified_login(Client(), world.users[C])
    html = coordinator.get(reverse("sanctions:episode_detail", args=[running.pk])).content.decode()
    assert "Avsluta episoden" in html
