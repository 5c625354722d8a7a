"""Writes of the notices app: recording notices, delivering them, each user's choices, calendar links.

Delivery happens only in the background worker (gvi.notices.tasks), one task per notice: the task's
transaction holds the notice row locked, sends, and records the result, so a notice is marked sent in
the same commit as the task's completion. A notice whose sending failed is tried again later with a
growing pause, at most `GVI_NOTICE_MAX_ATTEMPTS` times, then recorded as failed. Each message carries a
Message-ID made from the notice, so even the narrow window (SMTP accepted, then the worker died before
its commit) gives receiving systems what they need to drop a duplicate.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gvi.notices import kinds as k
from gvi.notices.collect import Due, due_notices
from gvi.notices.models import CalendarFeed, Notice, NoticeSetting

logger = logging.getLogger(__name__)

RETRY_PAUSES = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)]


# ----- choices -----


def user_roles(user) -> set[str]:
    return set(user.memberships.active().values_list("role", flat=True))


def offered_kinds(user) -> list[k.Kind]:
    """The kinds the user's roles may receive (the settings page offers these)."""
    roles = user_roles(user)
    return [kind for kind in k.KINDS if roles & kind.roles]


def choices_of(user) -> dict[str, bool]:
    """Every offered kind with the user's choice, or the default of their roles without one."""
    roles = user_roles(user)
    own = dict(NoticeSetting.objects.filter(user=user).values_list("kind", "enabled"))
    return {
        kind.code: own.get(kind.code, bool(roles & kind.default_roles))
        for kind in k.KINDS
        if roles & kind.roles
    }


@transaction.atomic
def save_choices(user, enabled_codes) -> None:
    offered = {kind.code for kind in offered_kinds(user)}
    enabled_codes = set(enabled_codes) & offered
    for code in offered:
        NoticeSetting.objects.update_or_create(
            user=user, kind=code, defaults={"enabled": code in enabled_codes}
        )


def _wanted(due: list[Due]) -> list[Due]:
    from django.contrib.auth import get_user_model

    user_ids = {item.user_id for item in due}
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    }
    choices = {user_id: choices_of(user) for user_id, user in users.items()}
    return [item for item in due if choices.get(item.user_id, {}).get(item.kind, False)]


# ----- recording and delivery -----


def record(due: list[Due]) -> int:
    """Create a notice for each due item its user wants that has none yet; returns how many are new."""
    created = 0
    for item in _wanted(due):
        if Notice.objects.filter(user_id=item.user_id, kind=item.kind, key=item.key).exists():
            continue
        try:
            with transaction.atomic():
                Notice.objects.create(user_id=item.user_id, kind=item.kind, key=item.key, path=item.path)
        except IntegrityError:  # another worker recorded it at the same moment
            continue
        created += 1
    return created


def dispatch(now=None) -> int:
    """Enqueue a delivery task for each pending notice that is not queued and whose pause is over."""
    from gvi.notices.tasks import deliver_notice

    now = now or timezone.now()
    ready = Notice.objects.filter(status=Notice.Status.PENDING, queued=False).exclude(next_attempt_at__gt=now)
    count = 0
    for notice_id in list(ready.values_list("pk", flat=True)):
        with transaction.atomic():
            if not Notice.objects.filter(pk=notice_id, queued=False).update(queued=True):
                continue
            deliver_notice.enqueue(notice_id)
        count += 1
    return count


def collect_and_dispatch(now=None) -> dict[str, int]:
    now = now or timezone.now()
    return {"recorded": record(due_notices(now)), "queued": dispatch(now)}


def absolute(path: str) -> str:
    return settings.GVI_BASE_URL.rstrip("/") + path


def message_for(notice: Notice) -> EmailMessage:
    """The message: a fixed sentence for the kind, the link, and where to change one's choices. In Swedish
    whatever the worker's language; nothing else (no name, group, incident or case detail)."""
    kind = k.BY_CODE[notice.kind]
    with translation.override("sv"):
        body = "\n".join(
            [
                str(kind.text),
                _("Öppna den här: %(link)s") % {"link": absolute(notice.path)},
                "",
                _(
                    "Av sekretesskäl står inga uppgifter om personer, grupper eller ärenden i e-postmeddelanden. Logga in i GVI för att se dem."
                ),
                _("Välj vilka meddelanden du får: %(link)s")
                % {"link": absolute("/installningar/aviseringar/")},
            ]
        )
        subject = str(kind.subject)
    domain = settings.GVI_BASE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "gvi"
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.user.email],
        headers={"Message-ID": f"<gvi-notice-{notice.pk}@{domain}>", "Auto-Submitted": "auto-generated"},
    )


def deliver(notice_id: int) -> str:
    """Send one notice (called by the worker's task). Returns its status afterwards."""
    notice = Notice.objects.select_for_update().select_related("user").filter(pk=notice_id).first()
    if notice is None or notice.status != Notice.Status.PENDING:
        return "gone" if notice is None else notice.status
    notice.queued = False
    notice.attempts += 1
    now = timezone.now()
    user = notice.user
    if not user.is_active or not user.email:
        notice.status = Notice.Status.FAILED
        notice.last_error = "no active recipient"
        notice.save()
        return notice.status
    try:
        message_for(notice).send(fail_silently=False)
    except Exception as error:  # any failure of the mail system: record it, try again later
        notice.last_error = f"{type(error).__name__}: {error}"[:300]
        if notice.attempts >= settings.GVI_NOTICE_MAX_ATTEMPTS:
            notice.status = Notice.Status.FAILED
            logger.error(
                "Notice %s failed after %s attempts (%s)", notice.pk, notice.attempts, type(error).__name__
            )
        else:
            notice.next_attempt_at = now + RETRY_PAUSES[min(notice.attempts, len(RETRY_PAUSES)) - 1]
            logger.warning("Notice %s not sent (%s); trying again later", notice.pk, type(error).__name__)
    else:
        notice.status = Notice.Status.SENT
        notice.sent_at = now
        notice.last_error = ""
        notice.next_attempt_at = None
    notice.save()
    return notice.status


# ----- calendar links -----


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def renew_calendar_link(user) -> str:
    """Make (or replace) the user's secret calendar link; returns the secret, which is not stored."""
    secret = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={"secret_hash": hash_secret(secret), "created_at": timezone.now(), "last_used_at": None},
    )
    return secret


@transaction.atomic
def remove_calendar_link(user) -> None:
    CalendarFeed.objects.filter(user=user).delete()
