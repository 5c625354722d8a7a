"""Social services named as delivering a custom notification reads it (through a disclosure), and the
support case born from the notification carries the help offered and the agreed follow-up."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.communication.models import Notification
from gvi.partnership.models import Role
from gvi.support.models import SupportCase
from tests.factories import verified_login


def _client(world, role):
    return verified_login(Client(), world.users[role])


def _plan(world, analyst, person, organisations, **changes):
    data = {
        "person": person.pk,
        "date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "place": "Hemma",
        "delivered_by": "polis + socialsekreterare",
        "delivering_organisations": [org.pk for org in organisations],
        "message_version": "standard",
        "legal_risk_statement": "",
        "help_offered": "",
        "notes": "",
        **changes,
    }
    return analyst.post(reverse("communication:notification_create"), data)


def _new_notification(world, person):
    planned = world.record("notification", Role.ANALYST, "own").pk
    return Notification.unscoped_all_sites.exclude(pk=planned).get(person=person)


@pytest.mark.django_db
def test_social_services_named_as_delivering_reads_the_notification_but_cannot_change_it(comm_world):
    world = comm_world
    police, social = world.orgs[("a", "police")], world.orgs[("a", "municipality")]
    person = world.record("person", Role.ANALYST, "own")
    analyst, caseworker = _client(world, Role.ANALYST), _client(world, Role.CASEWORKER)

    response = _plan(world, analyst, person, [police, social])
    assert response.status_code == 302
    notification = _new_notification(world, person)
    detail = reverse("communication:notification_detail", args=[notification.pk])

    disclosure = Disclosure.objects.active().get(
        content_type=ContentType.objects.get_for_model(Notification), object_id=notification.pk
    )
    assert disclosure.to_organisation == social and disclosure.from_organisation == police
    # Police to social services: 10:18 a runs the other way; delivering the owner's message is its own work.
    assert disclosure.legal_ground == Disclosure.LegalGround.OSL_10_2
    assert disclosure.expires_at is not None
    assert disclosure.decided_by == world.users[Role.ANALYST]

    page = caseworker.get(detail)
    assert page.status_code == 200
    text = page.content.decode()
    assert "har lämnat ut samtalet till er eftersom er organisation framför budskapet" in text
    assert person.alias in text
    # The person entry itself is not disclosed: no link that would end in "not found".
    assert reverse("groups:person_detail", args=[person.pk]) not in text
    listing = caseworker.get(reverse("communication:notification_list")).content.decode()
    assert detail in listing
    received = caseworker.get(reverse("access:disclosures")).content.decode()
    assert f'href="{detail}"' in received, "the received disclosure links to the notification"
    # Read, not changed: disclosed records are read-only.
    edit = caseworker.get(reverse("communication:notification_edit", args=[notification.pk]))
    assert edit.status_code in (403, 404)
    assert "Registrera utfall" not in text

    # No longer named: the disclosure is revoked and the notification is closed to social services.
    form = {
        "version": notification.version,
        "person": person.pk,
        "date": notification.date.isoformat(),
        "place": "Hemma",
        "delivered_by": "polis",
        "delivering_organisations": [police.pk],
        "message_version": "standard",
        "legal_risk_statement": "",
        "help_offered": "",
        "notes": "",
    }
    edited = analyst.post(reverse("communication:notification_edit", args=[notification.pk]), form)
    assert edited.status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.revoked_at is not None
    assert caseworker.get(detail).status_code == 404


@pytest.mark.django_db
def test_a_notification_not_naming_social_services_stays_closed_to_it(comm_world):
    world = comm_world
    person = world.record("person", Role.ANALYST, "own")
    analyst, caseworker = _client(world, Role.ANALYST), _client(world, Role.CASEWORKER)
    assert _plan(world, analyst, person, [world.orgs[("a", "police")]]).status_code == 302
    notification = _new_notification(world, person)
    assert (
        caseworker.get(reverse("communication:notification_detail", args=[notification.pk])).status_code
        == 404
    )
    assert not Disclosure.objects.filter(
        content_type=ContentType.objects.get_for_model(Notification), object_id=notification.pk
    ).exists()


@pytest.mark.django_db
def test_a_role_that_may_not_disclose_is_told_why_it_cannot_name_another_organisation(comm_world):
    world = comm_world
    coordinator = _client(world, Role.COORDINATOR)  # municipality: its own person, police as deliverer
    person = world.record("person", Role.COORDINATOR, "own")
    response = _plan(world, coordinator, person, [world.orgs[("a", "police")]])
    assert response.status_code == 200
    text = response.content.decode()
    assert "din roll får inte lämna ut samtal" in text
    assert text.count("din roll får inte lämna ut samtal") == 1
    assert not Notification.unscoped_all_sites.filter(person=person, place="Hemma").exists()


@pytest.mark.django_db
def test_the_support_case_from_a_notification_carries_the_offer_and_the_follow_up(comm_world):
    world = comm_world
    police, social = world.orgs[("a", "police")], world.orgs[("a", "municipality")]
    person = world.record("person", Role.ANALYST, "own")
    analyst = _client(world, Role.ANALYST)
    assert _plan(world, analyst, person, [police, social]).status_code == 302
    notification = _new_notification(world, person)
    outcome = {
        "version": notification.version,
        "date": timezone.localdate().isoformat(),
        "outcome": "delivered",
        "help_offered": "Avhopparverksamheten och hjälp med skuldsanering",
        "asked_for_help": "on",
        "follow_up": "Socialsekreteraren ringer på fredag; nytt möte om två veckor.",
        "notes": "",
    }
    url = reverse("communication:notification_outcome", args=[notification.pk])
    assert analyst.post(url, outcome).status_code == 302
    case = SupportCase.unscoped_all_sites.get(person=person, intake_route="notification")
    assert case.help_offered == "Avhopparverksamheten och hjälp med skuldsanering"
    assert case.agreed_follow_up == "Socialsekreteraren ringer på fredag; nytt möte om två veckor."
    assert case.referred_by == police.name

    page = _client(world, Role.CASEWORKER).get(reverse("support:case_detail", args=[case.pk]))
    text = page.content.decode()
    assert "Avhopparverksamheten och hjälp med skuldsanering" in text
    assert "Socialsekreteraren ringer på fredag" in text
    route = "Enskilt samtal eller hembesök"
    assert text.count(route) == 1, "the intake route is said once, not repeated in 'referred by'"
    assert "Hänvisad från" not in text


@pytest.mark.django_db
def test_the_disclosed_notification_and_the_case_fields_read_in_english(
    comm_world, settings, back_to_swedish
):
    world = comm_world
    police, social = world.orgs[("a", "police")], world.orgs[("a", "municipality")]
    person = world.record("person", Role.ANALYST, "own")
    assert _plan(world, _client(world, Role.ANALYST), person, [police, social]).status_code == 302
    notification = _new_notification(world, person)
    caseworker = _client(world, Role.CASEWORKER)
    caseworker.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = caseworker.get(
        reverse("communication:notification_detail", args=[notification.pk])
    ).content.decode()
    assert f"{police.name} has disclosed this notification to you because your organisation delivers" in text
    case = world.record("supportcase", Role.CASEWORKER, "own")
    text = caseworker.get(reverse("support:case_detail", args=[case.pk])).content.decode()
    assert "Agreed follow-up" in text


@pytest.mark.django_db
def test_removing_the_notification_revokes_its_delivery_disclosures(comm_world):
    world = comm_world
    police, social = world.orgs[("a", "police")], world.orgs[("a", "municipality")]
    person = world.record("person", Role.ANALYST, "own")
    analyst = _client(world, Role.ANALYST)
    assert _plan(world, analyst, person, [police, social]).status_code == 302
    notification = _new_notification(world, person)
    pk = notification.pk
    url = reverse("communication:notification_remove", args=[pk])
    assert analyst.post(url, {"version": notification.version}).status_code == 302
    disclosures = Disclosure.objects.filter(
        content_type=ContentType.objects.get_for_model(Notification), object_id=pk
    )
    assert disclosures.count() == 1 and not disclosures.active().exists()
