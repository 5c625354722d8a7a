"""E-mail notices against a real SMTP server on loopback: sent by the worker's tasks, in Swedish, with the
right link, without person data, once, retried on failure, by each user's choice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.groups.models import Group, Person
from gvi.incidents.models import Incident
from gvi.notices import collect
from gvi.notices.models import Notice, NoticeSetting
from gvi.notices.tasks import collect_notices
from gvi.operations.worker import run_ready_tasks
from gvi.partnership.models import Role, Task
from gvi.sanctions.models import SanctionEpisode
from tests.factories import verified_login
from tests.notices.conftest import Inbox, free_port
from tests.partnership.factories import TaskFactory

C, A, CW = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER


def run_worker():
    """What `gvi worker` does when the five-minute slot comes: the scan task, then the deliveries it
    queued, each a task of its own."""
    collect_notices.enqueue()
    return run_ready_tasks()


def subjected(messages, subject):
    return [message for message in messages if message["Subject"] == subject]


def assign(world, role=A, **kwargs):
    site = world.site_a
    defaults = {
        "site": site,
        "owner": world.org_of(role),
        "responsible": world.users[role],
        "decision": world.records[("decision", "a", "police")],
    }
    return TaskFactory(**{**defaults, **kwargs})


@pytest.mark.django_db
def test_an_assigned_task_arrives_by_smtp_in_swedish_with_its_link_and_nothing_else(
    world, with_emails, smtp_server
):
    group = world.records[("group", "a", "police")]
    task = assign(world, group=group, title=f"Kontakta {group.name} om avhopp")
    run_worker()
    [message] = subjected(smtp_server.to("analyst@test.invalid"), "GVI: ny uppgift")
    body = message.get_content()
    assert "Du har en ny uppgift i GVI." in body
    assert f"https://gvi.test.example/uppgifter/{task.pk}/" in body
    assert group.name not in Inbox.text(message) and "avhopp" not in Inbox.text(message)
    assert message["Message-ID"].startswith("<gvi-notice-")
    notice = Notice.objects.get(user=world.users[A], kind="task_assigned")
    assert notice.status == Notice.Status.SENT and notice.sent_at and notice.attempts == 1


@pytest.mark.django_db
def test_every_outgoing_message_is_free_of_the_worlds_person_and_group_names(
    world, with_emails, smtp_server, time_machine
):
    """Every kind of notice the world gives rise to, then every message scanned for every person alias,
    group name and incident text of the world."""
    # Date reminders wait until 07:00: before 09:00 Stockholm time the scene moves on to 09:00 (under make
    # test-calendar it can be 02:56 on the night the clocks go back); never back, past the world's records.
    nine = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    time_machine.move_to(max(nine, timezone.localtime()), tick=False)
    now = timezone.now()
    group = world.records[("group", "a", "police")]
    assign(world, role=A, group=group, title=group.name)
    assign(world, role=CW, due_date=timezone.localdate() + timedelta(days=1), title=group.name)
    overdue = assign(world, role=C, due_date=timezone.localdate() - timedelta(days=2), title=group.name)
    Task.objects.filter(pk=overdue.pk).update(updated_at=now - timedelta(days=5))
    SanctionEpisode.unscoped_all_sites.filter(site=world.site_a).update(
        status=SanctionEpisode.Status.PROPOSED, decision_deadline=now + timedelta(hours=6)
    )
    Person.unscoped_all_sites.filter(site=world.site_a).update(
        review_date=timezone.localdate() + timedelta(days=3)
    )
    disclosure = world.records[("disclosure", "a", "municipality")]
    type(disclosure).objects.filter(pk=disclosure.pk).update(expires_at=now + timedelta(days=1))
    run_worker()

    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert {
        "task_assigned",
        "task_due_tomorrow",
        "task_overdue",
        "sanction_proposed",
        "sanction_deadline",
        "reviews_due",
        "disclosure_received",
        "disclosure_expiring",
    } <= kinds
    assert Notice.objects.exclude(status=Notice.Status.SENT).count() == 0
    assert len(smtp_server.messages) == Notice.objects.count()
    forbidden = {
        *Person.unscoped_all_sites.values_list("alias", flat=True),
        *Group.unscoped_all_sites.values_list("name", flat=True),
        *Incident.unscoped_all_sites.exclude(summary="").values_list("summary", flat=True),
        *Task.objects.values_list("title", flat=True),
    }
    assert forbidden
    for _recipients, message in smtp_server.messages:
        text = Inbox.text(message)
        leaked = [name for name in forbidden if name and name in text]
        assert not leaked, f"{message['Subject']}: {leaked}"


@pytest.mark.django_db
def test_a_help_request_reaches_the_caseworkers_of_social_services(world, with_emails, smtp_server):
    from gvi.support.models import IntakeRoute
    from gvi.support.services import open_case_from_referral

    person = world.records[("person", "a", "police")]
    open_case_from_referral(world.users[A], person, IntakeRoute.CALL_IN, timezone.localdate())
    run_worker()
    [message] = subjected(smtp_server.to("caseworker@test.invalid"), "GVI: ny begäran om hjälp")
    assert "https://gvi.test.example/stod/" in message.get_content()
    assert person.alias not in Inbox.text(message)
    assert not subjected(
        smtp_server.to("analyst@test.invalid"), "GVI: ny begäran om hjälp"
    )  # the referrer is not told about the case


@pytest.mark.django_db
def test_no_notice_is_sent_twice(world, with_emails, smtp_server):
    assign(world)
    run_worker()
    run_worker()
    collect_notices.enqueue()
    collect_notices.enqueue()
    run_ready_tasks()
    assert len(subjected(smtp_server.to("analyst@test.invalid"), "GVI: ny uppgift")) == 1
    assert Notice.objects.filter(kind="task_assigned").count() == 1


@pytest.mark.django_db
def test_a_failed_sending_is_recorded_and_tried_again_later(
    world, with_emails, smtp_server, settings, time_machine
):
    assign(world)
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there: the connection is refused
    run_worker()
    notice = Notice.objects.get(kind="task_assigned")
    assert notice.status == Notice.Status.PENDING and notice.attempts == 1
    assert "ConnectionRefusedError" in notice.last_error and notice.next_attempt_at
    settings.EMAIL_PORT = live_port
    run_worker()  # before the pause is over: not tried
    assert Notice.objects.get(pk=notice.pk).attempts == 1 and not smtp_server.messages
    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)
    run_worker()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.attempts == 2
    assert len(subjected(smtp_server.to("analyst@test.invalid"), "GVI: ny uppgift")) == 1


@pytest.mark.django_db
def test_a_notice_that_keeps_failing_is_recorded_as_failed(world, with_emails, settings, time_machine):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    settings.GVI_NOTICE_MAX_ATTEMPTS = 3
    assign(world)
    for _ in range(4):
        run_worker()
        time_machine.move_to(timezone.now() + timedelta(hours=2), tick=False)
    notice = Notice.objects.get(kind="task_assigned")
    assert notice.status == Notice.Status.FAILED and notice.attempts == 3


@pytest.mark.django_db
def test_pages_send_nothing_the_worker_sends(world, with_emails, settings):
    """Assigning a task through the page sends no e-mail in the request; the worker's run does."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    decision = world.records[("decision", "a", "police")]
    client = verified_login(Client(), world.users[C])
    response = client.post(
        reverse("meetings:task_create", kwargs={"pk": decision.pk}),
        {
            "owner": world.org_of(A).pk,
            "responsible": world.users[A].pk,
            "title": "Planera stormöte",
            "due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert mail.outbox == [] and not Notice.objects.exists()
    run_worker()
    assert [
        m.subject for m in mail.outbox if m.to == ["analyst@test.invalid"] and "uppgift" in m.subject
    ] == ["GVI: ny uppgift"]


@pytest.mark.django_db
def test_defaults_follow_the_role_and_each_user_chooses(world, with_emails, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SanctionEpisode.unscoped_all_sites.filter(site=world.site_a).update(
        status=SanctionEpisode.Status.PROPOSED, decision_deadline=timezone.now() + timedelta(hours=40)
    )
    run_worker()
    told = {m.to[0] for m in mail.outbox if m.subject == "GVI: sanktionsärende väntar på beslut"}
    assert told == {"coordinator@test.invalid"}  # the analyst may choose it; off by default

    client = verified_login(Client(), world.users[A])
    page = client.get(reverse("notices:settings"))
    assert page.status_code == 200
    assert "Ett föreslaget sanktionsärende väntar på beslut" in page.content.decode()
    assert (
        "En begäran om hjälp har kommit till socialtjänsten" not in page.content.decode()
    )  # not for analysts
    response = client.post(reverse("notices:settings"), {"kind": ["sanction_proposed"]})
    assert response.status_code == 302
    assert NoticeSetting.objects.get(user=world.users[A], kind="task_assigned").enabled is False
    mail.outbox.clear()
    assign(world)
    run_worker()
    subjects = [m.subject for m in mail.outbox if m.to == ["analyst@test.invalid"]]
    assert set(subjects) == {"GVI: sanktionsärende väntar på beslut"}


@pytest.mark.django_db
def test_date_reminders_wait_for_the_morning_and_come_once_per_due_date(world, with_emails, time_machine):
    task = assign(world, due_date=timezone.localdate() + timedelta(days=1))
    Task.objects.filter(pk=task.pk).update(updated_at=timezone.now() - timedelta(days=5))
    night = timezone.localtime().replace(hour=5, minute=0)
    kinds = {due.kind for due in collect.due_notices(night)}
    assert "task_due_tomorrow" not in kinds
    morning = night.replace(hour=8)
    [due] = [d for d in collect.due_notices(morning) if d.kind == "task_due_tomorrow"]
    assert due.key == f"task:{task.pk}:due:{task.due_date}"
    day_after = morning + timedelta(days=2)
    [overdue] = [d for d in collect.due_notices(day_after) if d.kind == "task_overdue"]
    assert overdue.key == due.key  # one overdue notice per due date; a new due date gives a new one


@pytest.mark.django_db
def test_the_deadline_warning_comes_in_the_last_12_hours_only(world):
    episode = world.records[("sanctionepisode", "a", "police")]
    deadline = timezone.now() + timedelta(hours=48)
    SanctionEpisode.unscoped_all_sites.filter(pk=episode.pk).update(
        status="proposed", decision_deadline=deadline
    )

    def warned(at):
        return {
            d.user_id
            for d in collect.sanction_notices(at)
            if d.kind == "sanction_deadline" and f":{episode.pk}:" in d.key
        }

    assert warned(deadline - timedelta(hours=13)) == set()
    assert world.users[C].pk in warned(deadline - timedelta(hours=11))
    assert warned(deadline + timedelta(minutes=1)) == set()


@pytest.mark.django_db
def test_a_deactivated_user_or_one_without_an_address_gets_nothing(world, with_emails, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assign(world, role=A)
    assign(world, role=CW)
    world.users[A].is_active = False
    world.users[A].save()
    world.users[CW].email = ""
    world.users[CW].save()
    run_worker()
    assert not Notice.objects.filter(user__in=[world.users[A], world.users[CW]]).exists()
    assert mail.outbox == []
