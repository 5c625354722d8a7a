"""Background jobs of the access model, run by `gvi worker` on the schedule in gvi.operations.schedule.

The daily retention run lives in gvi.operations.tasks (it asks the worker to recompute the network and the
risk model afterwards, which is the worker's business, not the access layer's). The only import from
gvi.operations here is the task decorator's facade (gvi.operations.background), listed in the import
contracts of pyproject.toml."""

import logging

from gvi.operations.background import task

logger = logging.getLogger(__name__)


@task()
def anchor_access_log() -> dict:
    """The daily anchor of the access-log chain outside the database (as `gvi audit anchor`)."""
    from gvi.access.anchor import write_anchor

    return write_anchor()


@task()
def verify_access_log() -> dict:
    """The nightly walk of the access-log chain (as `gvi audit verify`). A break is logged as an error
    for the operators' monitoring and kept as the task's result."""
    from gvi.access.audit import verify_chain

    report = verify_chain()
    if not report.ok:
        logger.error("Access-log chain broken at row %s: %s", report.first_break_seq, report.reason)
    return {
        "ok": report.ok,
        "rows_checked": report.rows_checked,
        "first_break_seq": report.first_break_seq,
        "reason": report.reason,
    }


# What an account notice says. No name, username or other person data: only what happened and what to do.
NOTICES = {
    "password_reset": (
        "GVI: ditt lösenord har återställts",
        "En administratör har återställt lösenordet till ditt konto i GVI. Du får en engångslänk av "
        "administratören för att välja ett nytt lösenord, och aktiverar tvåfaktorsinloggningen igen vid "
        "nästa inloggning. Om du inte har bett om det: kontakta din organisations samordnare genast.",
    ),
    "authenticator_reset": (
        "GVI: din autentiseringsapp har återställts",
        "En administratör har tagit bort autentiseringsappen för ditt konto i GVI. Vid nästa inloggning "
        "kopplar du en ny. Om du inte har bett om det: kontakta din organisations samordnare genast.",
    ),
    "password_changed": (
        "GVI: ditt lösenord har bytts",
        "Lösenordet till ditt konto i GVI har just bytts. Om det inte var du: kontakta din organisations "
        "samordnare genast.",
    ),
}


@task()
def send_account_notice(user_id: int, kind: str) -> dict:
    """Tell a user by e-mail that something happened to their account (the message names no person)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email or kind not in NOTICES:
        return {"sent": 0}
    subject, body = NOTICES[kind]
    sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return {"sent": sent}


@task()
def send_unlock_link(user_id: int, url: str) -> dict:
    """The unlock link for a locked account, to the account's own address; the message names no person."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return {"sent": 0}
    body = (
        "Någon har begärt en länk för att låsa upp ett konto i GVI som hör till den här adressen. Länken gäller "
        f"en timme och kan användas en gång:\n\n{url}\n\nOm det inte var du kan du bortse från meddelandet."
    )
    return {"sent": send_mail("GVI: lås upp ditt konto", body, settings.DEFAULT_FROM_EMAIL, [user.email])}
