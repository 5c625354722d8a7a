"""Reads of the log follow-up. The data-protection officer of an organisation sees the access-log rows of
its own users (the organisation they acted for) and the rows about records its organisation owns,
whoever read them: persons and other compartmented records (by owner, also after a record was removed:
its history keeps the owner), memberships in the organisation, its users' accounts and API keys, and its
own follow-up rounds. Records purged with their history can no longer be resolved: their rows stay
visible only when one of the organisation's users wrote them.

Rows name users, times, actions and record ids; for a person of the organisation its alias (code name)
identifies it. No record content is read here.
"""

from datetime import datetime, time, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from gvi.access.models import AccessLog, ApiToken, CompartmentedRecord
from gvi.groups.models import Person
from gvi.partnership.models import Membership, Role


def dpo_memberships(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return user.memberships.active().filter(role=Role.DATA_PROTECTION_OFFICER).select_related("organisation")


def dpo_organisation_ids(user) -> list[int]:
    return list(dpo_memberships(user).values_list("organisation_id", flat=True))


def _ids(queryset, field: str = "pk"):
    return queryset.annotate(logged_key=Cast(field, CharField())).values("logged_key")


def logged_compartment_models() -> list[type[CompartmentedRecord]]:
    """Models whose single reads are logged (CompartmentedRecord.logs_reads)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, CompartmentedRecord) and model.logs_reads and not model._meta.abstract
    ]


def _record_ids_q(model, queryset_of_ids) -> Q:
    return Q(record_type=model._meta.label_lower, record_id__in=queryset_of_ids)


def owned_rows_q(organisation_id: int) -> Q:
    """Rows about records owned by (or accounts belonging to) the organisation."""
    from gvi.logreview.models import FollowUpRound

    found = Q()
    for model in logged_compartment_models():
        history = getattr(model, "history", None)
        source = (
            history.model.objects.filter(owner_id=organisation_id)
            if history
            else model._base_manager.filter(owner_id=organisation_id)
        )
        found |= _record_ids_q(model, _ids(source.order_by(), "id").distinct())
    members = Membership.objects.filter(organisation_id=organisation_id)
    found |= _record_ids_q(
        Membership,
        _ids(
            Membership.history.model.objects.filter(organisation_id=organisation_id).order_by(), "id"
        ).distinct(),
    )
    user_model = get_user_model()
    found |= _record_ids_q(user_model, _ids(user_model.objects.filter(pk__in=members.values("user_id"))))
    found |= _record_ids_q(ApiToken, _ids(ApiToken.objects.filter(user_id__in=members.values("user_id"))))
    found |= _record_ids_q(FollowUpRound, _ids(FollowUpRound.objects.filter(organisation_id=organisation_id)))
    return found


def organisation_log(organisation_ids):
    """Every row an organisation's data-protection officer may see (see the module docstring)."""
    allowed = Q(pk__in=[])
    for organisation_id in organisation_ids:
        allowed |= Q(organisation_id_logged=organisation_id) | owned_rows_q(organisation_id)
    return AccessLog.objects.filter(allowed)


def person_rows_q(person_id: int) -> Q:
    """Rows about one person's data: the person entry and every logged record that names the person (group
    memberships, involvements, support cases, invitations, notifications), removed ones included."""
    found = Q(record_type=Person._meta.label_lower, record_id=str(person_id))
    for model in logged_compartment_models():
        if model is Person:
            continue
        names_person = any(
            getattr(f, "related_model", None) is Person and f.name == "person"
            for f in model._meta.get_fields()
        )
        if not names_person:
            continue
        history = getattr(model, "history", None)
        source = history.model.objects if history else model._base_manager
        found |= _record_ids_q(model, _ids(source.filter(person_id=person_id).order_by(), "id").distinct())
    return found


def day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def in_period(queryset, start=None, end=None):
    """Rows from `start` to `end` (dates, both included, local time)."""
    if start:
        queryset = queryset.filter(at__gte=day_start(start))
    if end:
        queryset = queryset.filter(at__lt=day_start(end + timedelta(days=1)))
    return queryset


def search_log(organisation_ids, criteria: dict):
    """The organisation's rows matching the search form's cleaned data; newest first."""
    rows = organisation_log(organisation_ids)
    if criteria.get("anvandare"):
        rows = rows.filter(username__iexact=criteria["anvandare"])
    if criteria.get("posttyp"):
        rows = rows.filter(record_type=criteria["posttyp"])
    if criteria.get("postid"):
        rows = rows.filter(record_id=str(criteria["postid"]))
    if criteria.get("person"):
        rows = rows.filter(person_rows_q(criteria["person"].pk))
    if criteria.get("atgard"):
        rows = rows.filter(action=criteria["atgard"])
    if criteria.get("andamal"):
        rows = rows.filter(purpose__icontains=criteria["andamal"])
    rows = in_period(rows, criteria.get("fran"), criteria.get("till"))
    return rows.order_by("-seq")


def organisation_persons(organisation_ids):
    """The persons the organisation owns, deactivated ones included: identified by alias and id only."""
    return Person._base_manager.filter(owner_id__in=list(organisation_ids)).only("id", "alias", "owner_id")


def person_aliases(organisation_ids, rows) -> dict[str, str]:
    """record id -> alias for the person rows among `rows` that the organisation owns."""
    ids = {row.record_id for row in rows if row.record_type == Person._meta.label_lower}
    numeric = [int(value) for value in ids if value.isdigit()]
    return {
        str(pk): alias
        for pk, alias in organisation_persons(organisation_ids)
        .filter(pk__in=numeric)
        .values_list("id", "alias")
    }


def last_month(today) -> tuple:
    """The calendar month before `today`'s: its first and last day."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def dpo_start_summary(user, today) -> dict:
    """What the start page tells the data-protection officer: is last month followed up, what is open."""
    from gvi.logreview.models import FollowUpRound

    org_ids = dpo_organisation_ids(user)
    start, end = last_month(today)
    rounds = FollowUpRound.objects.filter(organisation_id__in=org_ids)
    covered = rounds.filter(signed_at__isnull=False, period_start__lte=start, period_end__gte=end)
    return {
        "last_month_start": start,
        "last_month_end": end,
        "last_month_signed": bool(org_ids)
        and set(covered.values_list("organisation_id", flat=True)) >= set(org_ids),
        "open_rounds": rounds.filter(signed_at__isnull=True).count(),
    }
