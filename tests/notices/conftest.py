"""A real SMTP server on loopback (aiosmtpd), started by the tests: messages really travel over SMTP."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address):
        return [message for recipients, message in self.messages if address in recipients]

    @staticmethod
    def text(message) -> str:
        """Everything a reader could see: every header and the decoded body."""
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        return headers + "\n" + message.get_content()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings, request):
    inbox = Inbox()
    request.node._smtp_inbox = inbox
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.GVI_BASE_URL = "https://gvi.test.example"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def with_emails(world):
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.all():
        user.email = f"{user.username}@test.invalid"
        user.save(update_fields=["email"])
    return world


@pytest.fixture(autouse=True)
def no_person_data_in_any_message(request, world):
    """After every test here: every message that went out (over SMTP or to Django's test outbox) is
    scanned for every person alias, group name, incident summary and task text in the database."""
    from django.core import mail

    yield
    from gvi.groups.models import Group, Person
    from gvi.incidents.models import Incident
    from gvi.partnership.models import Task

    texts = [
        Inbox.text(message) for _recipients, message in getattr(request.node, "_smtp_inbox", Inbox()).messages
    ]
    texts += [f"{m.subject}\n{m.body}\n{m.extra_headers}" for m in getattr(mail, "outbox", [])]
    forbidden = {
        *Person.unscoped_all_sites.values_list("alias", flat=True),
        *Group.unscoped_all_sites.values_list("name", flat=True),
        *Incident.unscoped_all_sites.exclude(summary="").values_list("summary", flat=True),
        *Task.objects.values_list("title", flat=True),
    }
    for text in texts:
        leaked = [name for name in forbidden if name and name in text]
        assert not leaked, f"person or group data in an e-mail: {leaked}"
