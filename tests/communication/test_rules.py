"""The rules of direct communication: repeats, help requests and referrals, attendance, removal, checklists,
communicating back and the weekly agenda point."""

import types
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.services import EditConflict
from gvi.communication import services
from gvi.communication.agenda import notification_provider
from gvi.communication.models import CallIn, CallInInvitation, CommunicationBack, Notification, ReferralState
from gvi.partnership.models import Organisation, Role
from tests.communication.factories import (
    CallInFactory,
    InvitationFactory,
    NotificationFactory,
    add_communication_records,
    started,
)
from tests.factories import PersonFactory, verified_login


@pytest.fixture
def world(world):
    """The shared world with the communication records of tests.communication.factories."""
    add_communication_records(world)
    return world


def _held(world, org_type="police"):
    org = world.orgs[("a", org_type)]
    return CallInFactory(
        site=world.site_a, owner=org, status=CallIn.Status.HELD, starts_at=timezone.now() - timedelta(days=7)
    )


def _data(**extra):
    return {"date": date(2026, 1, 10), "delivered_by": "polis + socialsekreterare", **extra}


# ----- repeats -----


@pytest.mark.django_db
def test_a_second_notification_to_the_same_person_is_a_repeat(world):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    first = services.plan_notification(analyst, person, _data(date=date(2026, 1, 10), outcome="refused"))
    assert first.repeat_of is None and not first.is_repeat
    second = services.plan_notification(analyst, person, _data(date=date(2026, 2, 1)))
    assert second.repeat_of == first
    third = services.plan_notification(analyst, person, _data(date=date(2026, 2, 1)))
    assert third.repeat_of == second  # same day, registered later
    other = services.plan_notification(analyst, PersonFactory(site=person.site, owner=person.owner), _data())
    assert other.repeat_of is None
    # Moving the first one after the others makes it a repeat of the latest earlier one.
    services.update_notification(analyst, first, {"date": date(2026, 3, 1)}, first.version)
    first.refresh_from_db()
    assert first.repeat_of == third


@pytest.mark.django_db
def test_a_repeat_of_another_organisations_notification_is_flagged_without_showing_it(world):
    analyst, caseworker = world.users[Role.ANALYST], world.users[Role.CASEWORKER]
    person = world.record("person", Role.CASEWORKER, "own")  # owned by the municipality ...
    earlier = NotificationFactory(site=world.site_a, owner=world.orgs[("a", "police")], person=person)
    later = services.plan_notification(caseworker, person, _data(date=earlier.date + timedelta(days=30)))
    assert later.repeat_of == earlier
    page = verified_login(Client(), caseworker).get(
        reverse("communication:notification_detail", args=[later.pk])
    )
    html = page.content.decode()
    assert (
        "annan organisation" in html
        and reverse("communication:notification_detail", args=[earlier.pk]) not in html
    )
    response = verified_login(Client(), caseworker).get(f"/api/v1/communication/notifications/{later.pk}")
    assert response.json()["is_repeat"] is True and response.json()["repeat_of_id"] is None
    assert analyst  # the police analyst owns the earlier one


# ----- help requests -----


@pytest.fixture
def fake_support(monkeypatch):
    """A stand-in for gvi.support.services.open_case_from_referral that records its calls."""
    import gvi.support.services  # the attribute exists whatever was imported before

    calls = []
    module = types.SimpleNamespace(
        # The contact's offer and agreed follow-up go with the referral (tests/communication/test_delivering).
        open_case_from_referral=lambda user, person, route, requested_at, help_offered="", agreed_follow_up="": (
            calls.append((user.username, person.pk, route, requested_at))
        )
    )
    monkeypatch.setattr(gvi.support, "services", module, raising=False)
    return calls


@pytest.fixture
def no_support(monkeypatch):
    import gvi.support.services  # the attribute exists whatever was imported before

    monkeypatch.setattr(gvi.support, "services", types.SimpleNamespace(), raising=False)


@pytest.mark.django_db
def test_asking_for_help_during_a_notification_refers_the_person(world, fake_support):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    notification = services.plan_notification(analyst, person, _data())
    assert fake_support == [] and notification.referral_state == ReferralState.NONE
    services.update_notification(
        analyst, notification, {"outcome": "delivered", "asked_for_help": True}, notification.version
    )
    notification.refresh_from_db()
    assert fake_support == [("analyst", person.pk, "notification", date(2026, 1, 10))]
    assert notification.referral_state == ReferralState.REFERRED and notification.referred_at
    assert notification.help_requested_on == date(2026, 1, 10)
    services.update_notification(
        analyst, notification, {"follow_up": "Ring om en vecka"}, notification.version
    )
    assert len(fake_support) == 1  # sent once


@pytest.mark.django_db
def test_asking_for_help_at_a_call_in_refers_with_the_call_in_date(world, fake_support):
    analyst = world.users[Role.ANALYST]
    call_in = _held(world)
    person = world.record("person", Role.ANALYST, "own")
    invitation = services.invite(analyst, call_in, person, {"channel": "letter"})
    services.update_invitation(
        analyst, invitation, {"attended": "yes", "asked_for_help": True}, invitation.version
    )
    assert fake_support == [("analyst", person.pk, "call_in", timezone.localdate(call_in.starts_at))]


@pytest.mark.django_db
def test_without_the_support_module_the_request_waits_and_is_sent_later(world, no_support, monkeypatch):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    notification = services.plan_notification(
        analyst, person, _data(outcome="delivered", asked_for_help=True)
    )
    assert notification.referral_state == ReferralState.WAITING
    page = verified_login(Client(), analyst).get(
        reverse("communication:notification_detail", args=[notification.pk])
    )
    assert "registreras när stödmodulen finns" in page.content.decode()
    assert services.retry_waiting_referrals(analyst) == 0
    import gvi.support.services  # the attribute exists whatever was imported before

    calls = []
    monkeypatch.setattr(
        gvi.support,
        "services",
        types.SimpleNamespace(open_case_from_referral=lambda *args, **kwargs: calls.append(kwargs["route"])),
    )
    assert services.retry_waiting_referrals(analyst) == 1
    notification.refresh_from_db()
    assert notification.referral_state == ReferralState.REFERRED and calls == ["notification"]


@pytest.mark.django_db
def test_a_refused_referral_waits_instead_of_failing_the_save(world, monkeypatch):
    import gvi.support.services  # the attribute exists whatever was imported before

    def refuse(*args, **kwargs):
        raise PermissionDenied("nej")

    monkeypatch.setattr(gvi.support, "services", types.SimpleNamespace(open_case_from_referral=refuse))
    analyst = world.users[Role.ANALYST]
    notification = services.plan_notification(
        analyst, world.record("person", Role.ANALYST, "own"), _data(outcome="delivered", asked_for_help=True)
    )
    assert notification.referral_state == ReferralState.WAITING


@pytest.mark.django_db
def test_with_the_real_support_module_a_case_is_opened_that_police_cannot_see(world):
    support_services = pytest.importorskip("gvi.support.services")
    if not hasattr(support_services, "open_case_from_referral"):
        pytest.skip("the support module has no referral yet")
    from gvi.support.models import SupportCase

    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    notification = services.plan_notification(
        analyst, person, _data(outcome="delivered", asked_for_help=True)
    )
    assert notification.referral_state == ReferralState.REFERRED
    assert SupportCase.unscoped_all_sites.filter(person=person).count() == 1
    assert not SupportCase.objects.visible_to(analyst).filter(person=person).exists()


@pytest.mark.django_db
def test_help_and_attendance_need_a_held_call_in_and_attendance(world):
    analyst = world.users[Role.ANALYST]
    planned = world.record("callin", Role.ANALYST, "own")
    invitation = services.invite(
        analyst, planned, PersonFactory(site=world.site_a, owner=planned.owner), {"channel": "letter"}
    )
    with pytest.raises(ValidationError) as error:
        services.update_invitation(analyst, invitation, {"attended": "yes"}, invitation.version)
    assert "attended" in error.value.message_dict
    held = _held(world)
    invitation = services.invite(
        analyst, held, PersonFactory(site=world.site_a, owner=held.owner), {"channel": "letter"}
    )
    with pytest.raises(ValidationError) as error:
        services.update_invitation(
            analyst, invitation, {"attended": "no", "asked_for_help": True}, invitation.version
        )
    assert "asked_for_help" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.plan_notification(
            analyst,
            world.record("person", Role.ANALYST, "own"),
            _data(outcome="refused", asked_for_help=True),
        )


# ----- invitations and call-ins -----


@pytest.mark.django_db
def test_invitations_name_visible_persons_once(world):
    analyst = world.users[Role.ANALYST]
    call_in = world.record("callin", Role.ANALYST, "own")
    with pytest.raises(PermissionDenied):
        services.invite(
            analyst, call_in, world.record("person", Role.ANALYST, "other_org"), {"channel": "letter"}
        )
    with pytest.raises(ValidationError):  # the world already invited this person
        services.invite(analyst, call_in, world.record("person", Role.ANALYST, "own"), {"channel": "letter"})
    caseworker = world.users[Role.CASEWORKER]
    invitation = services.invite(
        caseworker, call_in, world.record("person", Role.CASEWORKER, "own"), {"channel": "family"}
    )
    assert invitation.owner == world.orgs[("a", "municipality")] and invitation.site == world.site_a


@pytest.mark.django_db
def test_a_call_in_with_invitations_is_cancelled_not_removed(world):
    analyst = world.users[Role.ANALYST]
    call_in = world.record("callin", Role.ANALYST, "own")
    with pytest.raises(ValidationError):
        services.remove_call_in(analyst, call_in, call_in.version)
    services.cancel_call_in(analyst, call_in, call_in.version)
    assert CallIn.unscoped_all_sites.get(pk=call_in.pk).status == "cancelled"
    empty = CallInFactory(site=world.site_a, owner=call_in.owner)
    services.remove_call_in(analyst, empty, empty.version)
    assert not CallIn.unscoped_all_sites.filter(pk=empty.pk).exists()


@pytest.mark.django_db
def test_record_outcome_marks_the_call_in_held_and_touches_only_own_invitations(world):
    analyst = world.users[Role.ANALYST]
    call_in = started(world.record("callin", Role.ANALYST, "own"))
    own = world.records[("invitation", "a", "police")]
    other = InvitationFactory(
        call_in=call_in,
        person=world.record("person", Role.CASEWORKER, "own"),
        site=world.site_a,
        owner=world.orgs[("a", "municipality")],
    )
    point = call_in.message_points.get()
    services.record_call_in_outcome(
        analyst,
        call_in,
        call_in.version,
        {point.pk: True},
        {own.pk: ("yes", own.version), other.pk: ("no", 1)},
    )
    call_in.refresh_from_db()
    assert call_in.status == "held" and call_in.message_points.get().delivered is True
    assert CallInInvitation.unscoped_all_sites.get(pk=own.pk).attended == "yes"
    assert CallInInvitation.unscoped_all_sites.get(pk=other.pk).attended == "unknown"


@pytest.mark.django_db
def test_a_call_in_with_recorded_attendance_stays_held(world):
    analyst = world.users[Role.ANALYST]
    call_in = started(world.record("callin", Role.ANALYST, "own"))
    own = world.records[("invitation", "a", "police")]
    services.record_call_in_outcome(analyst, call_in, call_in.version, {}, {own.pk: ("yes", own.version)})
    with pytest.raises(ValidationError) as error:
        services.update_call_in(analyst, call_in, {"status": "planned"}, call_in.version)
    assert "status" in error.value.message_dict
    assert CallIn.unscoped_all_sites.get(pk=call_in.pk).status == "held"


@pytest.mark.django_db
def test_a_stale_invitation_in_the_outcome_rolls_everything_back(world):
    analyst = world.users[Role.ANALYST]
    call_in = started(world.record("callin", Role.ANALYST, "own"))
    own = world.records[("invitation", "a", "police")]
    with pytest.raises(EditConflict):
        services.record_call_in_outcome(
            analyst, call_in, call_in.version, {}, {own.pk: ("yes", own.version + 5)}
        )
    assert CallIn.unscoped_all_sites.get(pk=call_in.pk).status == "planned"


@pytest.mark.django_db
def test_the_responsible_organisation_ticks_its_own_checklist_items_only(world):
    partner = world.users[Role.COMMUNITY_PARTNER]
    call_in = world.record("callin", Role.ANALYST, "own")
    theirs = call_in.checklist.get(responsible__type=Organisation.Type.COMMUNITY)
    other = call_in.checklist.get(responsible__isnull=True)
    services.set_checklist_done(partner, call_in, {theirs.pk, other.pk}, call_in.version)
    theirs.refresh_from_db()
    other.refresh_from_db()
    assert theirs.done and not other.done
    assert CallIn.unscoped_all_sites.get(pk=call_in.pk).version == 2
    with pytest.raises(EditConflict):
        services.set_checklist_done(partner, call_in, set(), 1)
    with pytest.raises(PermissionDenied):
        services.update_call_in(partner, call_in, {"place": "Annat"}, 2)
    steering = world.users[Role.STEERING_MEMBER]
    with pytest.raises(PermissionDenied):
        services.set_checklist_done(steering, call_in, set(), 2)


@pytest.mark.django_db
def test_editing_parts_keeps_ids_and_removes_dropped_rows(world):
    analyst = world.users[Role.ANALYST]
    call_in = services.plan_call_in(
        analyst,
        {"title": "T", "starts_at": timezone.now(), "place": "P"},
        [world.record("group", Role.ANALYST, "own")],
    )
    assert call_in.checklist.count() == len(services.DEFAULT_CHECKLIST)
    assert call_in.message_points.count() == len(services.DEFAULT_MESSAGE_POINTS)
    keep = call_in.message_points.first()
    services.update_call_in(
        analyst,
        call_in,
        {},
        call_in.version,
        None,
        {
            "message_points": [{"id": keep.pk, "text": "Ändrad"}, {"text": "Ny"}],
            "speakers": [{"category": "police"}],
        },
    )
    texts = list(call_in.message_points.values_list("pk", "text"))
    assert texts[0] == (keep.pk, "Ändrad") and texts[1][1] == "Ny" and len(texts) == 2
    assert call_in.speakers.get().category == "police"
    with pytest.raises(ValidationError):
        services.update_call_in(
            analyst, call_in, {}, call_in.version, [world.record("group", Role.ANALYST, "other_site")]
        )


# ----- communicating back -----


@pytest.mark.django_db
def test_communication_back_needs_groups_at_its_site_and_can_refer_to_any_site_record(world):
    coordinator = world.users[Role.COORDINATOR]
    group = world.record("group", Role.COORDINATOR, "own")
    data = {"date": date(2026, 2, 1), "message": "Som vi sa.", "channel": "public_statement"}
    with pytest.raises(ValidationError):
        services.create_communication_back(coordinator, data, [])
    with pytest.raises(ValidationError):
        services.create_communication_back(
            coordinator, data, [world.record("group", Role.COORDINATOR, "other_site")]
        )
    incident = world.record("incident", Role.COORDINATOR, "own")
    record = services.create_communication_back(
        coordinator, {**data, "refers_to_incident": incident}, [group], refers_to=group
    )
    assert services.communications_back_referring_to(incident) == [record]
    assert services.communications_back_referring_to(group) == [record]
    with pytest.raises(ValidationError):
        services.create_communication_back(
            coordinator, data, [group], refers_to=world.record("incident", Role.COORDINATOR, "other_site")
        )
    with pytest.raises(PermissionDenied):
        services.create_communication_back(world.users[Role.CASEWORKER], data, [group])
    assert CommunicationBack.unscoped_all_sites.filter(
        pk=record.pk, owner=world.orgs[("a", "municipality")]
    ).exists()


# ----- the weekly agenda -----


@pytest.mark.django_db
def test_the_agenda_point_counts_notifications_per_group_without_persons(world):
    from gvi.partnership.selectors import AGENDA_PROVIDERS

    assert AGENDA_PROVIDERS["notifications"] is notification_provider
    person = world.record("person", Role.ANALYST, "own")
    NotificationFactory(
        person=person, site=world.site_a, owner=person.owner, outcome="delivered", date=timezone.localdate()
    )
    entries = notification_provider(world.site_a, timezone.now() - timedelta(days=14))
    group = world.record("group", Role.ANALYST, "own")
    # The partnership's point: the whole site (a planned one per organisation, the police's delivered one),
    # counts 1–4 shown as "1–4", and the groups concerned.
    [shared] = [entry for entry in entries if entry.audience is None]
    assert (shared.data["planned"], shared.data["delivered"], shared.data["refused"]) == (None, None, 0)
    assert (
        "1–4 planerade" in str(shared.summary)
        and {"id": group.pk, "name": group.name} in shared.data["groups"]
    )
    # The police's own point: its exact counts, per group of its own memberships.
    own = {entry.audience: entry for entry in entries if entry.audience is not None}
    police = own[person.owner]
    assert police.data["groups"] == [{"id": group.pk, "name": group.name}]
    assert (police.data["planned"], police.data["delivered"]) == (1, 1)
    assert f"{group.name}: 1 planerade; sedan förra genomgången 1 genomförda" in str(police.summary)
    assert all(person.alias not in f"{entry.title} {entry.summary}" for entry in entries)
    assert Notification.unscoped_all_sites.count() >= 1


# ----- retention -----


@pytest.mark.django_db
def test_purging_a_person_purges_their_contacts_and_the_history(world, settings):
    from gvi.access.retention import run_retention

    settings.GVI_REVIEW_GRACE_DAYS = 30
    settings.GVI_PURGE_AFTER_DAYS = 60
    today = timezone.localdate()  # the world's records are dated from today
    person = world.record("person", Role.ANALYST, "own")
    invitation = world.records[("invitation", "a", "police")]
    notification = world.record("notification", Role.ANALYST, "own")
    Person = type(person)
    Person.unscoped_all_sites.filter(pk=person.pk).update(
        review_date=today - timedelta(days=200), deactivated_at=timezone.now() - timedelta(days=400)
    )
    result = run_retention(today=today)
    assert result.purged["communication.callininvitation"] == 1
    assert result.purged["communication.notification"] == 1
    assert not CallInInvitation.history.filter(id=invitation.pk).exists()
    assert not Notification.history.filter(id=notification.pk).exists()
    assert CallIn.unscoped_all_sites.filter(pk=invitation.call_in_id).exists()  # the logistics stay
