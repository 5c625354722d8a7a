"""The weekly review's agenda point for custom notifications (registered in CommunicationConfig.ready).

Agenda points are snapshots every meeting participant reads, so they carry group-level counts only:
per group, the notifications the generating user may see that are planned, or finished since the last
review. No person, alias or notification text reaches the agenda.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from gvi.communication.models import Notification


def notification_provider(user, site, since) -> list:
    from gvi.partnership.models import AgendaItem
    from gvi.partnership.selectors import AgendaEntry

    rows = (
        Notification.objects.visible_to(user)
        .filter(site=site, person__memberships__deactivated_at__isnull=True)
        .filter(Q(outcome=Notification.Outcome.PLANNED) | Q(updated_at__gte=since))
        .values("person__memberships__group_id", "person__memberships__group__name")
        .annotate(
            planned=Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.PLANNED)),
            delivered=Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.DELIVERED)),
            refused=Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.REFUSED)),
            not_found=Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.NOT_FOUND)),
        )
        .order_by("person__memberships__group__name")
    )
    entries = []
    for row in rows:
        name = row["person__memberships__group__name"]
        counts = {key: row[key] for key in ("planned", "delivered", "refused", "not_found")}
        entries.append(
            AgendaEntry(
                kind=AgendaItem.Kind.NOTIFICATION,
                title=_("Enskilda samtal: %(group)s") % {"group": name},
                summary=_(
                    "%(planned)s planerade; sedan förra genomgången %(delivered)s genomförda, "
                    "%(refused)s avböjda och %(not_found)s där personen inte påträffades."
                )
                % counts,
                weight=float(counts["planned"]),
                data={"groups": [{"id": row["person__memberships__group_id"], "name": name}], **counts},
            )
        )
    return entries


def register() -> None:
    try:
        from gvi.partnership.selectors import register_agenda_provider
    except ImportError:  # the partnership app always exists; be safe during partial installs
        return
    register_agenda_provider("notifications", notification_provider)
