"""The pages a coordinator, an analyst and a caseworker use: plan a call-in, invite, record the outcome,
plan and record notifications, suggestions, communicating back; stale forms get a 409 conflict page."""

import types
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.communication.models import CallIn, CallInInvitation, CommunicationBack, Notification
from gvi.partnership.models import Role
from tests.communication.factories import started
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    InvolvementFactory,
    PersonFactory,
    verified_login,
)


def _client(world, role):
    return verified_login(Client(), world.users[role])


def _management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def _call_in_post(world, **changes):
    data = {
        "title": "Höstens stormöte",
        "starts_at": "2030-10-01T17:00",
        "place": "Medborgarhuset",
        "status": "planned",
        "target_groups": [world.record("group", Role.COORDINATOR, "own").pk],
        "service_providers": "Avhopparverksamheten\nArbetsförmedlingen",
        "notes": "",
        **_management("talare", 2),
        "talare-0-category": "victims_family",
        "talare-0-name": "Anhörig",
        "talare-1-category": "",
        **_management("checklista", 1, initial=1),
        "checklista-0-text": "Boka lokal",
        "checklista-0-responsible": world.orgs[("a", "community")].pk,
        **_management("budskap", 2, initial=1),
        "budskap-0-text": "Vi vill inte att du ska dö.",
        "budskap-1-text": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_coordinator_plans_and_edits_a_call_in_with_its_parts(comm_world):
    world = comm_world
    coordinator = _client(world, Role.COORDINATOR)
    form = coordinator.get(reverse("communication:callin_create")).content.decode()
    assert (
        "Genomrepetition med alla talare" in form and "Vi vill att du tar emot den hjälp vi erbjuder." in form
    )
    response = coordinator.post(reverse("communication:callin_create"), _call_in_post(world))
    call_in = CallIn.unscoped_all_sites.get(title="Höstens stormöte")
    assert response.status_code == 302 and response.url == reverse(
        "communication:callin_detail", args=[call_in.pk]
    )
    assert (call_in.owner, call_in.site) == (world.orgs[("a", "municipality")], world.site_a)
    assert list(call_in.speakers.values_list("category", "name")) == [("victims_family", "Anhörig")]
    assert list(call_in.checklist.values_list("text", flat=True)) == ["Boka lokal"]
    assert list(call_in.message_points.values_list("text", flat=True)) == ["Vi vill inte att du ska dö."]
    assert list(call_in.target_groups.all()) == [world.record("group", Role.COORDINATOR, "own")]
    point = call_in.message_points.get()
    edit = _call_in_post(
        world,
        version=1,
        place="Stadshuset",
        **_management("budskap", 2, initial=1),
        **{
            "budskap-0-id": point.pk,
            "budskap-0-text": "Vi vill inte att du ska dö!",
            "budskap-1-text": "Ny punkt",
        },
        **_management("talare", 1),
        **{"talare-0-DELETE": "on"},
    )
    response = coordinator.post(reverse("communication:callin_edit", args=[call_in.pk]), edit)
    assert response.status_code == 302
    call_in.refresh_from_db()
    assert call_in.place == "Stadshuset" and call_in.version == 2 and call_in.speakers.count() == 0
    assert list(call_in.message_points.values_list("pk", "text"))[0] == (
        point.pk,
        "Vi vill inte att du ska dö!",
    )
    stale = coordinator.post(
        reverse("communication:callin_edit", args=[call_in.pk]), {**edit, "place": "Skolan"}
    )
    assert stale.status_code == 409 and "Konflikt" in stale.content.decode()
    assert CallIn.unscoped_all_sites.get(pk=call_in.pk).place == "Stadshuset"


@pytest.mark.django_db
def test_speaker_row_without_category_is_an_error(comm_world):
    coordinator = _client(comm_world, Role.COORDINATOR)
    data = _call_in_post(comm_world, **{"talare-1-name": "Någon utan kategori"})
    response = coordinator.post(reverse("communication:callin_create"), data)
    assert response.status_code == 200 and "Välj talarens kategori." in response.content.decode()
    assert not CallIn.unscoped_all_sites.filter(title="Höstens stormöte").exists()


@pytest.mark.django_db
def test_invite_record_outcome_and_follow_up_on_pages(comm_world):
    world = comm_world
    caseworker = _client(world, Role.CASEWORKER)
    call_in = started(world.record("callin", Role.CASEWORKER, "other_org"))  # the police's, site-wide
    person = PersonFactory(site=world.site_a, owner=world.orgs[("a", "municipality")], alias="Person Ny-001")
    form = caseworker.get(reverse("communication:invitation_create", args=[call_in.pk])).content.decode()
    assert "Person Ny-001" in form and world.record("person", Role.ANALYST, "own").alias not in form
    response = caseworker.post(
        reverse("communication:invitation_create", args=[call_in.pk]),
        {"person": person.pk, "channel": "family", "follow_up": "", "attendee_tasks": ""},
    )
    assert response.status_code == 302
    invitation = CallInInvitation.unscoped_all_sites.get(person=person)
    outcome_url = reverse("communication:callin_outcome", args=[call_in.pk])
    page = caseworker.get(outcome_url).content.decode()
    assert "Person Ny-001" in page and "inbjudan registrerad av andra organisationer" in page
    point = call_in.message_points.get()
    response = caseworker.post(
        outcome_url,
        {
            "version": call_in.version,
            f"point_{point.pk}": "yes",
            f"attended_{invitation.pk}": "no",
            f"version_{invitation.pk}": invitation.version,
            "notes": "Lugnt möte.",
        },
    )
    assert response.status_code == 302
    call_in.refresh_from_db()
    invitation.refresh_from_db()
    assert call_in.status == "held" and call_in.message_points.get().delivered is True
    assert invitation.attended == "no" and invitation.needs_follow_up
    detail = caseworker.get(reverse("communication:callin_detail", args=[call_in.pk])).content.decode()
    assert "Uppföljning saknas" in detail and "framfört" in detail
    response = caseworker.post(
        reverse("communication:invitation_edit", args=[invitation.pk]),
        {
            "version": invitation.version,
            "channel": "family",
            "attended": "no",
            "follow_up": "Hembesök nästa vecka",
            "follow_up_done": "on",
            "attendee_tasks": "",
        },
    )
    assert response.status_code == 302
    assert CallInInvitation.unscoped_all_sites.get(pk=invitation.pk).follow_up_done


@pytest.mark.django_db
def test_checklist_tick_by_partner_and_stale_tick_is_409(comm_world):
    world = comm_world
    partner = _client(world, Role.COMMUNITY_PARTNER)
    call_in = world.record("callin", Role.ANALYST, "own")
    page = partner.get(reverse("communication:callin_detail", args=[call_in.pk])).content.decode()
    assert "Spara checklistan" in page
    item = call_in.checklist.get(responsible__isnull=False)
    url = reverse("communication:callin_checklist", args=[call_in.pk])
    assert partner.post(url, {"version": 1, "done": [item.pk]}).status_code == 302
    item.refresh_from_db()
    assert item.done
    stale = partner.post(url, {"version": 1, "done": []})
    assert stale.status_code == 409
    item.refresh_from_db()
    assert item.done


@pytest.mark.django_db
def test_another_partner_does_not_tick_what_an_organisation_promised(comm_world):
    """Probation may change the police's call-in, but not tick the item the community organisation is
    responsible for; the responsible organisation and the call-in's own organisation may."""
    from gvi.communication.services import may_tick

    world = comm_world
    call_in = world.record("callin", Role.ANALYST, "own")  # the police's
    item = call_in.checklist.get(responsible__isnull=False)
    assert item.responsible == world.orgs[("a", "community")]
    assert not may_tick(world.users[Role.PROBATION_OFFICER], item)
    assert not may_tick(world.users[Role.CASEWORKER], item)
    assert may_tick(world.users[Role.COMMUNITY_PARTNER], item)
    assert may_tick(world.users[Role.ANALYST], item)  # the police run this call-in
    assert may_tick(world.users[Role.COORDINATOR], item)
    probation = _client(world, Role.PROBATION_OFFICER)
    url = reverse("communication:callin_checklist", args=[call_in.pk])
    probation.post(url, {"version": call_in.version, "done": [item.pk]})
    item.refresh_from_db()
    assert not item.done


@pytest.mark.django_db
def test_plan_record_and_repeat_a_notification_on_pages(comm_world, monkeypatch):
    import gvi.support

    calls = []
    monkeypatch.setattr(
        gvi.support,
        "services",
        types.SimpleNamespace(open_case_from_referral=lambda *a, **k: calls.append(k)),
    )
    world = comm_world
    analyst = _client(world, Role.ANALYST)
    person = world.record("person", Role.ANALYST, "own")
    group = world.record("group", Role.ANALYST, "own")
    form = analyst.get(reverse("communication:notification_create"), {"grupp": group.pk}).content.decode()
    assert person.alias in form and "aktiva medlemmar i" in form
    response = analyst.post(
        reverse("communication:notification_create"),
        {
            "person": person.pk,
            "date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "place": "Hemma",
            "delivered_by": "polis + socialsekreterare",
            "delivering_organisations": [
                world.orgs[("a", "police")].pk,
                world.orgs[("a", "municipality")].pk,
            ],
            "message_version": "retaliation",
            "legal_risk_statement": "Villkorlig frigivning kan förverkas.",
            "help_offered": "Avhopparverksamheten",
            "notes": "",
        },
    )
    notification = Notification.unscoped_all_sites.exclude(
        pk=world.record("notification", Role.ANALYST, "own").pk
    ).get(person=person)
    assert response.status_code == 302 and notification.repeat_of is not None
    assert notification.delivering_organisations.count() == 2
    detail = analyst.get(
        reverse("communication:notification_detail", args=[notification.pk])
    ).content.decode()
    assert "Upprepning" in detail and "Villkorlig frigivning kan förverkas." in detail
    outcome = {
        "version": 1,
        "date": timezone.localdate().isoformat(),
        "outcome": "delivered",
        "family_present": "on",
        "help_offered": "Avhopparverksamheten",
        "asked_for_help": "on",
        "follow_up": "",
        "notes": "",
    }
    url = reverse("communication:notification_outcome", args=[notification.pk])
    assert analyst.post(url, outcome).status_code == 302
    notification.refresh_from_db()
    assert notification.outcome == "delivered" and notification.referral_state == "referred"
    assert calls and calls[0]["route"] == "notification"
    stale = analyst.post(url, {**outcome, "outcome": "refused", "asked_for_help": ""})
    assert stale.status_code == 409
    assert Notification.unscoped_all_sites.get(pk=notification.pk).outcome == "delivered"
    listing = analyst.get(
        reverse("communication:notification_list"), {"utfall": "delivered"}
    ).content.decode()
    assert person.alias in listing


@pytest.mark.django_db
def test_suggestions_list_risk_groups_and_quiet_groups_after_incidents(comm_world, monkeypatch):
    world = comm_world
    from gvi.incidents import risk

    risky = world.record("group", Role.ANALYST, "own")
    monkeypatch.setattr(
        risk,
        "suggested_notifications",
        lambda user, now=None: [
            types.SimpleNamespace(group=risky, excess_ratio=2.5, reason="Risken höjd efter test")
        ],
    )
    other = world.record("group", Role.ANALYST, "other_org")  # its member has a planned notification
    kw = {"site": world.site_a, "owner": world.orgs[("a", "probation")]}
    quiet = GroupFactory(name="Tysta gruppen", **kw)
    GroupMembershipFactory(group=quiet, person=PersonFactory(**kw), **kw)
    for group in (other, quiet):
        InvolvementFactory(
            incident=world.records[("incident", "a", "police")],
            group=group,
            member_status="confirmed",
            site=world.site_a,
            owner=world.orgs[("a", "police")],
        )
    analyst = _client(world, Role.ANALYST)
    page = analyst.get(reverse("communication:notification_suggestions")).content.decode()
    assert "Risken höjd efter test" in page and risky.name in page
    assert quiet.name in page and f"?grupp={quiet.pk}" in page
    assert other.name not in page  # notified within 90 days
    assert not any(p.alias in page for p in world.records.values() if hasattr(p, "alias"))


@pytest.mark.django_db
def test_coordinator_communicates_back_and_others_read_it(comm_world):
    world = comm_world
    coordinator = _client(world, Role.COORDINATOR)
    incident = world.record("incident", Role.COORDINATOR, "own")
    groups = [
        world.record("group", Role.COORDINATOR, "own").pk,
        world.record("group", Role.COORDINATOR, "other_org").pk,
    ]
    response = coordinator.post(
        reverse("communication:communicationback_create"),
        {
            "date": date(2026, 3, 1).isoformat(),
            "channel": "call_in",
            "call_in": world.record("callin", Role.COORDINATOR, "own").pk,
            "refers_to_incident": incident.pk,
            "audience_groups": groups,
            "message": "Skjutningen gav konsekvenser för hela gruppen.",
        },
    )
    assert response.status_code == 302
    record = CommunicationBack.unscoped_all_sites.get(message__startswith="Skjutningen gav")
    assert sorted(record.audience_groups.values_list("pk", flat=True)) == sorted(groups)
    wrong = coordinator.post(
        reverse("communication:communicationback_create"),
        {
            "date": "2026-03-01",
            "channel": "public_statement",
            "call_in": record.call_in_id,
            "audience_groups": groups,
            "message": "X",
        },
    )
    assert (
        wrong.status_code == 200 and "Ange stormöte endast när kanalen är stormöte." in wrong.content.decode()
    )
    partner = _client(world, Role.COMMUNITY_PARTNER)
    listing = partner.get(reverse("communication:communicationback_list")).content.decode()
    assert (
        "Skjutningen gav konsekvenser" in listing
        and reverse("communication:communicationback_edit", args=[record.pk]) not in listing
    )
    edit = {
        "version": 1,
        "date": "2026-03-02",
        "channel": "public_statement",
        "audience_groups": groups[:1],
        "message": "Ändrat budskap",
    }
    assert (
        coordinator.post(reverse("communication:communicationback_edit", args=[record.pk]), edit).status_code
        == 302
    )
    stale = coordinator.post(reverse("communication:communicationback_edit", args=[record.pk]), edit)
    assert stale.status_code == 409


@pytest.mark.django_db
def test_pages_have_no_inline_script_or_style(comm_world):
    analyst = _client(comm_world, Role.ANALYST)
    call_in = comm_world.record("callin", Role.ANALYST, "own")
    for url in (
        reverse("communication:callin_list"),
        reverse("communication:callin_detail", args=[call_in.pk]),
        reverse("communication:callin_edit", args=[call_in.pk]),
        reverse("communication:callin_outcome", args=[call_in.pk]),
        reverse("communication:notification_list"),
        reverse("communication:notification_suggestions"),
        reverse("communication:reach"),
    ):
        html = analyst.get(url).content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        assert "<script" not in main and "style=" not in main and " onclick" not in main


@pytest.mark.django_db
def test_forms_posted_back_as_a_browser_would_keep_everything(comm_world):
    from tests.communication.formdata import form_data

    world = comm_world
    coordinator = _client(world, Role.COORDINATOR)
    create = coordinator.get(reverse("communication:callin_create")).content.decode()
    data = form_data(create)
    data["title"] = ["Från webbläsaren"]
    data["place"] = ["Aulan"]
    assert coordinator.post(reverse("communication:callin_create"), data).status_code == 302
    call_in = CallIn.unscoped_all_sites.get(title="Från webbläsaren")
    assert call_in.checklist.count() == 7 and call_in.message_points.count() == 4
    before = (
        list(call_in.checklist.values_list("pk", "text", "done")),
        list(call_in.message_points.values_list("pk", "text")),
    )
    edit_url = reverse("communication:callin_edit", args=[call_in.pk])
    data = form_data(coordinator.get(edit_url).content.decode())
    assert coordinator.post(edit_url, data).status_code == 302
    call_in.refresh_from_db()
    after = (
        list(call_in.checklist.values_list("pk", "text", "done")),
        list(call_in.message_points.values_list("pk", "text")),
    )
    assert after == before and call_in.version == 2
    # Emptying a message point's text removes it.
    data = form_data(coordinator.get(edit_url).content.decode())
    data["budskap-3-text"] = [""]
    assert coordinator.post(edit_url, data).status_code == 302
    assert call_in.message_points.count() == 3
    # The outcome page as a browser posts it (once the call-in has begun), message points delivered.
    started(call_in)
    outcome_url = reverse("communication:callin_outcome", args=[call_in.pk])
    data = form_data(coordinator.get(outcome_url).content.decode())
    for point in call_in.message_points.all():
        data[f"point_{point.pk}"] = ["yes"]
    assert coordinator.post(outcome_url, data).status_code == 302
    assert set(call_in.message_points.values_list("delivered", flat=True)) == {True}
    notification = world.record("notification", Role.ANALYST, "own")
    analyst = _client(world, Role.ANALYST)
    for name in ("notification_edit", "notification_outcome"):
        url = reverse(f"communication:{name}", args=[notification.pk])
        assert analyst.post(url, form_data(analyst.get(url).content.decode())).status_code == 302
    notification.refresh_from_db()
    assert notification.version == 3 and notification.outcome == "planned"


@pytest.mark.django_db
def test_communication_back_incident_choices_show_stockholm_dates(comm_world):
    """A shooting at 00:48 on 20 November, Stockholm time (23:48 UTC the day before), is listed under
    20 November in the form's incident list."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.factories import IncidentFactory

    world = comm_world
    occurred = timezone.now().astimezone(ZoneInfo("Europe/Stockholm")) - timedelta(days=10)
    occurred = datetime(
        occurred.year, occurred.month, occurred.day, 0, 48, tzinfo=ZoneInfo("Europe/Stockholm")
    )
    incident = IncidentFactory(
        site=world.site_a,
        owner=world.orgs[("a", "police")],
        type="shooting",
        occurred_at=occurred,
        area="Norr",
    )
    form = _client(world, Role.COORDINATOR).get(reverse("communication:communicationback_create"))
    html = form.content.decode()
    option = html.split(f'<option value="{incident.pk}"')[1].split("</option>")[0]
    assert f"{occurred:%Y-%m-%d}" in option
    assert f"{occurred - timedelta(days=1):%Y-%m-%d}" not in option


@pytest.mark.django_db
def test_a_call_in_outcome_waits_until_the_call_in_has_begun(comm_world):
    """Recording an outcome a month ahead is refused (page, service) and not offered; once begun it is."""
    from django.core.exceptions import ValidationError

    from gvi.communication import services

    world = comm_world
    call_in = world.record("callin", Role.ANALYST, "own")
    CallIn.unscoped_all_sites.filter(pk=call_in.pk).update(starts_at=timezone.now() + timedelta(days=30))
    call_in.refresh_from_db()
    analyst = _client(world, Role.ANALYST)
    outcome_url = reverse("communication:callin_outcome", args=[call_in.pk])
    detail = analyst.get(reverse("communication:callin_detail", args=[call_in.pk])).content.decode()
    assert outcome_url not in detail
    page = analyst.get(outcome_url).content.decode()
    assert "Utfallet kan registreras först när stormötet har börjat" in page and "<form method" not in page
    response = analyst.post(outcome_url, {"version": call_in.version, "notes": ""})
    assert "Utfallet kan registreras först när stormötet har börjat" in response.content.decode()
    with pytest.raises(ValidationError):
        services.record_call_in_outcome(world.users[Role.ANALYST], call_in, call_in.version, {})
    call_in.refresh_from_db()
    assert call_in.status == "planned"
    started(call_in)
    assert (
        outcome_url in analyst.get(reverse("communication:callin_detail", args=[call_in.pk])).content.decode()
    )
    assert "<form method" in analyst.get(outcome_url).content.decode()
