"""Anyone could lock any account (issue 21, finding 6): a per-address throttle, a progressive delay before
the hard lock, and the user's own unlock by a link sent by e-mail (a real SMTP server on loopback)."""

import re
import socket
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import AccessLog
from gvi.operations.worker import run_ready_tasks
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("access:login")
PASSWORD = "ett-langt-testlosenord"


def attempt(username, password="fel-losenord", address="198.51.100.7"):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})


def test_one_address_cannot_lock_account_after_account(settings):
    """The attack: wrong passwords for guessable usernames, one after another, from one machine."""
    settings.GVI_ADDRESS_FAILURES = 3
    victims = [UserFactory() for _ in range(4)]
    for victim in victims[:3]:
        assert attempt(victim.username).status_code == 200
    assert attempt(victims[3].username).status_code == 429  # the address is refused, not the account
    # The fourth account was never tried: from another address its owner signs in.
    assert attempt(victims[3].username, PASSWORD, address="203.0.113.9").status_code == 302


def test_a_progressive_delay_comes_before_the_hard_lock(settings):
    settings.GVI_LOGIN_DELAY_SECONDS = 2
    user = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert attempt(user.username).status_code == 200  # first failure: no wait yet
        early = attempt(user.username, PASSWORD)
        assert early.status_code == 429 and "Vänta 2 sekunder" in early.content.decode()
        clock.shift(timedelta(seconds=2))
        assert attempt(user.username).status_code == 200  # second failure: now 4 seconds
        clock.shift(timedelta(seconds=3))
        still_early = attempt(user.username)
        assert still_early.status_code == 429, still_early.status_code
        assert "Vänta 1 sekunder" in still_early.content.decode()
        clock.shift(timedelta(seconds=1))
        assert attempt(user.username, PASSWORD).status_code == 302
    # Early attempts did not count towards the lock: two failures only.
    from axes.models import AccessAttempt

    assert sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=user.username)) == 2


@pytest.fixture
def smtp_server():
    handler = _Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


class _Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def test_a_locked_user_unlocks_with_a_link_sent_by_email(
    settings, smtp_server, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    user = UserFactory(
        username="anna.andersson", first_name="Anna", last_name="Andersson", email="anna@example.invalid"
    )
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(user.username, address="203.0.113.1")
    assert attempt(user.username, PASSWORD, address="203.0.113.2").status_code == 429

    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(reverse("access:unlock_request"), {"username": user.username})
        Client().post(reverse("access:unlock_request"), {"username": "finns-inte"})  # same answer, no mail
    assert page.status_code == 200
    assert run_ready_tasks() == ["SUCCESSFUL"]
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "anna@example.invalid"
    text = message.get_payload(decode=True).decode()
    for person_data in ("anna.andersson", "Anna", "Andersson"):
        assert person_data not in text and person_data not in message["Subject"]
    link = re.search(r"http://testserver(/konto/las-upp/[^/\s]+/)", text).group(1)

    client = Client()
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert attempt(user.username, PASSWORD, address="203.0.113.2").status_code == 302
    assert client.post(link).status_code == 404  # used once
    assert AccessLog.objects.filter(record_type="auth.user", record_id=str(user.pk), action="unlock").exists()


def test_no_link_for_an_account_that_is_not_locked(django_capture_on_commit_callbacks):
    user = UserFactory(email="b@example.invalid")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Client().post(reverse("access:unlock_request"), {"username": user.username})
    assert callbacks == []
