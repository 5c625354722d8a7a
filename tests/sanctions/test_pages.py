"""Episode pages: propose, decide, close, edit; 409 conflicts; empty states; the follow-up page; agenda."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.incidents.models import Involvement
from gvi.partnership.models import Role
from gvi.sanctions import selectors, services
from gvi.sanctions.models import SanctionEpisode
from tests.factories import GroupFactory, IncidentFactory, InvolvementFactory, verified_login
from tests.sanctions.factories import SanctionActionFactory

C, A, CW, P, S = (
    Role.COORDINATOR,
    Role.ANALYST,
    Role.CASEWORKER,
    Role.PROBATION_OFFICER,
    Role.STEERING_MEMBER,
)


@pytest.fixture
def proposal(world):
    police = world.orgs[("a", "police")]
    group = GroupFactory(site=world.site_a, owner=police, name="Exempelgänget")
    incident = IncidentFactory(
        site=world.site_a, owner=police, occurred_at=timezone.now() - timedelta(hours=5)
    )
    InvolvementFactory(
        site=world.site_a,
        owner=police,
        incident=incident,
        group=group,
        member_status=Involvement.MemberStatus.CONFIRMED,
    )
    [episode] = services.propose_episodes(incident)
    return episode


@pytest.mark.django_db
def test_empty_states(world):
    client = verified_login(Client(), world.users[C])
    assert (
        "Inga sanktionsepisoder att visa." in client.get(reverse("sanctions:episode_list")).content.decode()
    )
    metrics = client.get(reverse("sanctions:metrics")).content.decode()
    assert "Svarar vi varje gång, och tillräckligt snabbt?" in metrics
    # the world has incidents but none with confirmed or suspected group involvement
    assert "Inga incidenter med gruppkoppling och inga sanktionsepisoder under perioden." in metrics


@pytest.mark.django_db
def test_propose_by_hand_through_the_page(world):
    client = verified_login(Client(), world.users[A])
    group = world.records[("group", "a", "municipality")]
    incident = world.records[("incident", "a", "police")]
    url = reverse("sanctions:episode_create")
    page = client.get(url, {"grupp": group.pk, "incident": incident.pk}).content.decode()
    assert f'value="{incident.pk}" checked' in page or f'value="{incident.pk}"\n' in page or "checked" in page
    missing = client.post(url, {"group": group.pk})
    assert "Välj minst en utlösande incident." in missing.content.decode()
    response = client.post(
        url, {"group": group.pk, "trigger_incidents": [incident.pk], "decision_note": "Från mötet"}
    )
    episode = SanctionEpisode.unscoped_all_sites.get(group=group)
    assert response.status_code == 302 and response["Location"] == reverse(
        "sanctions:episode_detail", args=[episode.pk]
    )
    assert episode.owner == world.orgs[("a", "police")] and episode.status == "proposed"
    again = client.post(url, {"group": group.pk, "trigger_incidents": [incident.pk]})
    assert again.status_code == 200
    assert "Gruppen har redan en föreslagen eller pågående sanktionsepisod." in again.content.decode()


@pytest.mark.django_db
def test_decide_run_then_close(world, proposal):
    client = verified_login(Client(), world.users[C])
    detail = reverse("sanctions:episode_detail", args=[proposal.pk])
    html = client.get(detail).content.decode()
    assert "Fatta beslut" in html and "Exempelgänget" in html
    decide = reverse("sanctions:episode_decide", args=[proposal.pk])
    assert client.get(decide).status_code == 200
    dismiss_without_reason = client.post(decide, {"version": 1, "decision": "dismiss"})
    assert "Motivera varför ni avstår." in dismiss_without_reason.content.decode()
    today = timezone.localdate()
    response = client.post(
        decide,
        {
            "version": 1,
            "decision": "run",
            "start_date": today.isoformat(),
            "planned_end_date": (today + timedelta(days=30)).isoformat(),
            "note": "Beslut i veckogenomgången",
        },
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "open" and proposal.decided_by == world.users[C] and proposal.version == 2
    assert "Beslutet är redan fattat" in client.get(decide).content.decode()
    stale = client.post(decide, {"version": 1, "decision": "run"})
    assert stale.status_code == 409 and "Konflikt" in stale.content.decode()

    close = reverse("sanctions:episode_close", args=[proposal.pk])
    form = client.get(close).content.decode()
    assert "data-confirm=" in form
    need_note = client.post(close, {"version": 2, "end_date": today.isoformat(), "end_reason": "other"})
    assert "Beskriv skälet till att episoden avslutas." in need_note.content.decode()
    before_start = client.post(
        close, {"version": 2, "end_date": (today - timedelta(days=1)).isoformat(), "end_reason": "time_limit"}
    )
    assert "Slutdatum kan inte vara före startdatum." in before_start.content.decode()
    done = client.post(close, {"version": 2, "end_date": today.isoformat(), "end_reason": "effect_seen"})
    assert done.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "closed" and proposal.get_end_reason_display() == "Effekt uppnådd"
    assert "Endast en pågående episod kan avslutas" in client.get(close).content.decode()
    history = client.get(detail).content.decode()
    assert "Avslutad" in history and world.users[C].username in history


@pytest.mark.django_db
def test_decide_dismiss(world, proposal):
    client = verified_login(Client(), world.users[A])
    response = client.post(
        reverse("sanctions:episode_decide", args=[proposal.pk]),
        {"version": 1, "decision": "dismiss", "note": "Gruppen är redan under ökat fokus i grannkommunen"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "dismissed" and proposal.decided_at is not None
    assert proposal.decision_note.startswith("Gruppen är redan")


@pytest.mark.django_db
def test_edit_episode_with_conflict(world, proposal):
    client = verified_login(Client(), world.users[C])
    url = reverse("sanctions:episode_edit", args=[proposal.pk])
    [incident] = proposal.trigger_incidents.all()
    assert client.get(url).status_code == 200
    ok = client.post(url, {"version": 1, "trigger_incidents": [incident.pk], "decision_note": "Underlag"})
    assert ok.status_code == 302
    stale = client.post(url, {"version": 1, "trigger_incidents": [incident.pk], "decision_note": "Äldre"})
    assert stale.status_code == 409
    proposal.refresh_from_db()
    assert proposal.decision_note == "Underlag" and proposal.version == 2
    none = client.post(url, {"version": 2, "decision_note": "x"})
    assert "Välj minst en utlösande incident." in none.content.decode()


@pytest.mark.django_db
def test_add_an_action_through_the_page(world, proposal):
    client = verified_login(Client(), world.users[P])
    url = reverse("sanctions:action_create", args=[proposal.pk])
    response = client.post(
        url,
        {
            "lever": "tightened_conditions",
            "responsible": world.users[P].pk,
            "due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "status": "in_progress",
        },
    )
    assert response.status_code == 302
    action = proposal.actions.get()
    assert action.owner == world.orgs[("a", "probation")] and action.started_on == timezone.localdate()
    html = client.get(reverse("sanctions:episode_detail", args=[proposal.pk])).content.decode()
    assert "Skärpta föreskrifter och villkor" in html


@pytest.mark.django_db
def test_the_follow_up_page_has_svg_charts_tables_and_group_rows_only_for_those_who_see_groups(
    world, proposal
):
    coordinator = world.users[C]
    episode = services.decide_episode(coordinator, proposal, 1, run=True)
    SanctionActionFactory(
        episode=episode, site=world.site_a, owner=world.orgs[("a", "police")], status="done", started_on=None
    )
    html = verified_login(Client(), coordinator).get(reverse("sanctions:metrics")).content.decode()
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    assert "Visa som tabell" in html and "Per kvartal" in html
    assert "Per grupp" in html and "Exempelgänget" in html
    assert "100 %" in html  # the one sanctionable incident was followed by an episode
    steering = verified_login(Client(), world.users[S]).get(reverse("sanctions:metrics")).content.decode()
    assert "Per kvartal" in steering and "Per grupp" not in steering and "Exempelgänget" not in steering
    filtered = verified_login(Client(), coordinator).get(
        reverse("sanctions:metrics"), {"fran": "2000-01-01", "till": "2000-12-31"}
    )
    assert "Inga incidenter med gruppkoppling" in filtered.content.decode()


@pytest.mark.django_db
def test_agenda_provider_lists_proposals_and_running_episodes(world, proposal):
    coordinator = world.users[C]
    since = timezone.now() - timedelta(days=7)
    [entry] = selectors.agenda_items(world.site_a, since)
    assert entry.kind == "sanction" and "Exempelgänget" in str(entry.title)
    assert entry.reference == proposal and entry.data["url"] == reverse(
        "sanctions:episode_detail", args=[proposal.pk]
    )
    assert "Beslut ska fattas senast" in str(entry.summary)
    services.decide_episode(coordinator, proposal, 1, run=True)
    [entry] = selectors.agenda_items(world.site_a, since)
    assert "Pågående ökat fokus" in str(entry.title) and "0 åtgärder registrerade" in str(entry.summary)
    assert selectors.agenda_items(world.site_b, since) == []


@pytest.mark.django_db
def test_the_weekly_review_uses_the_provider(world, proposal):
    from gvi.partnership.selectors import generate_agenda

    entries = generate_agenda(world.site_a, timezone.now() - timedelta(days=7))
    assert any(entry.kind == "sanction" and entry.reference == proposal for entry in entries)


@pytest.mark.django_db
def test_close_with_a_communication_back(world, proposal):
    from django.core.exceptions import ValidationError

    from gvi.communication.models import CommunicationBack

    coordinator = world.users[C]
    municipality = world.orgs[("a", "municipality")]
    episode = services.decide_episode(coordinator, proposal, 1, run=True)
    message = CommunicationBack.unscoped_all_sites.create(
        site=world.site_a,
        owner=municipality,
        date=timezone.localdate(),
        message="Så blev det.",
        channel="call_in",
    )
    elsewhere = CommunicationBack.unscoped_all_sites.create(
        site=world.site_b,
        owner=world.orgs[("b", "municipality")],
        date=timezone.localdate(),
        message="x",
        channel="other",
    )
    client = verified_login(Client(), coordinator)
    close = reverse("sanctions:episode_close", args=[episode.pk])
    form = client.get(close).content.decode()
    assert "Så blev det." in form and "Registrera en ny återkoppling" in form
    response = client.post(
        close,
        {
            "version": 2,
            "end_date": timezone.localdate().isoformat(),
            "end_reason": "effect_seen",
            "communications": [message.pk],
        },
    )
    assert response.status_code == 302
    assert list(episode.communications.all()) == [message]
    detail = client.get(reverse("sanctions:episode_detail", args=[episode.pk])).content.decode()
    assert "Så blev det." in detail
    with pytest.raises(ValidationError):
        services.set_communications(episode, [elsewhere])
