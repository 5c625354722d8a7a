"""The weekly review's agenda points for custom notifications (registered in CommunicationConfig.ready).

Notifications are person data of the organisation that owns them, and agenda points are snapshots the
whole partnership reads (see gvi.partnership.selectors), so, as on *Räckvidd*:
- the partnership's point counts every organisation's notifications at the site – planned, and finished
  since the last review – with counts 1–4 shown as "1–4", and names the groups concerned;
- each organisation gets a point of its own (audience: that organisation) with its exact counts, in all
  and per group of its own memberships.
No person, alias or notification text reaches the agenda.
"""

from django.db.models import Count, F, Q
from django.utils.translation import gettext_noop as N_

from gvi.communication.models import Notification
from gvi.partnership.agenda_text import Joined, Phrase

OUTCOMES = ("planned", "delivered", "refused", "not_found")


def _counting():
    return {
        "planned": Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.PLANNED)),
        "delivered": Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.DELIVERED)),
        "refused": Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.REFUSED)),
        "not_found": Count("pk", distinct=True, filter=Q(outcome=Notification.Outcome.NOT_FOUND)),
    }


def _counts_text(counts: dict) -> Phrase:
    return Phrase(
        N_(
            "%(planned)s planerade; sedan förra genomgången %(delivered)s genomförda, "
            "%(refused)s avböjda och %(not_found)s där personen inte påträffades."
        ),
        **{key: counts[key] for key in OUTCOMES},
    )


def notification_provider(site, since) -> list:
    from gvi.groups.models import Group, GroupMembership
    from gvi.partnership.models import AgendaItem, Organisation
    from gvi.partnership.selectors import AgendaEntry, published_counts, site_count

    notifications = Notification.unscoped_all_sites.filter(site=site).filter(
        Q(outcome=Notification.Outcome.PLANNED) | Q(updated_at__gte=since)
    )
    totals = notifications.aggregate(**_counting())
    if not any(totals.values()):
        return []
    groups = (
        Group.unscoped_all_sites.filter(
            GroupMembership.in_force_q("memberships__"),
            site=site,
            memberships__deactivated_at__isnull=True,
            memberships__person__notifications__in=notifications,
        )
        .distinct()
        .order_by("name")
    )
    entries = [
        AgendaEntry(
            kind=AgendaItem.Kind.NOTIFICATION,
            title=Phrase(N_("Enskilda samtal på platsen")),
            summary=Joined(
                "\n",
                [
                    _counts_text({key: site_count(value) for key, value in totals.items()}),
                    Phrase(N_("Alla organisationers samtal; tal mellan 1 och 4 visas som ”1–4”.")),
                ],
            ),
            data={
                "groups": [{"id": group.pk, "name": group.name} for group in groups],
                **published_counts(totals),
            },
        )
    ]
    per_owner = {
        row.pop("owner_id"): row
        for row in notifications.values("owner_id").annotate(**_counting()).order_by()
    }
    # Per group of the organisation's own memberships: another organisation's membership of the person
    # is not the owner's to read.
    per_group: dict[int, list[dict]] = {}
    for row in (
        notifications.filter(
            GroupMembership.in_force_q("person__memberships__"),
            person__memberships__owner_id=F("owner_id"),
            person__memberships__deactivated_at__isnull=True,
        )
        .values("owner_id", "person__memberships__group_id", "person__memberships__group__name")
        .annotate(**_counting())
        .order_by("person__memberships__group__name")
    ):
        per_group.setdefault(row["owner_id"], []).append(row)
    for organisation in Organisation.objects.filter(pk__in=list(per_owner)).order_by("name"):
        own = per_owner[organisation.pk]
        rows = per_group.get(organisation.pk, [])
        lines = [Phrase(N_("I alla: %(counts)s"), counts=_counts_text(own))]
        lines += [
            Joined(
                ": ",
                [row["person__memberships__group__name"], _counts_text({key: row[key] for key in OUTCOMES})],
            )
            for row in rows
        ]
        entries.append(
            AgendaEntry(
                kind=AgendaItem.Kind.NOTIFICATION,
                title=Phrase(N_("Enskilda samtal: %(org)s"), org=organisation.short_name),
                summary=Joined("\n", lines),
                data={
                    "groups": [
                        {
                            "id": row["person__memberships__group_id"],
                            "name": row["person__memberships__group__name"],
                        }
                        for row in rows
                    ],
                    **own,
                },
                audience=organisation,
            )
        )
    return entries


def register() -> None:
    try:
        from gvi.partnership.selectors import register_agenda_provider
    except ImportError:  # the partnership app always exists; be safe during partial installs
        return
    register_agenda_provider("notifications", notification_provider)
