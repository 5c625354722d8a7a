"""API routes of the sanctions app, mounted under /api/v1/sanctions/ by gvi.api.

Same `visible_to` scoping as the pages; writes go through gvi.sanctions.services. PATCH carries the
version the caller read: a stale version answers 409 (gvi.api's EditConflict handler).
"""

from datetime import date, datetime
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from gvi.access import scopes
from gvi.access.models import AccessLog
from gvi.access.selectors import read_record, visible_record
from gvi.analysis.deterrence import MIN_N_P90
from gvi.api_auth import scoped
from gvi.api_input import ID_MAX, InputSchema, PatchSchema
from gvi.api_pagination import BoundedPagination
from gvi.groups.models import Group
from gvi.incidents.models import Incident
from gvi.partnership.models import Role
from gvi.sanctions import metrics, services
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode

router = Router(tags=["sanktioner"])

EpisodeStatus = Literal["proposed", "open", "dismissed", "closed"]
ActionStatus = Literal["planned", "in_progress", "done", "cancelled"]
EndReason = Literal["effect_seen", "time_limit", "other"]
METRICS_ROLES = (
    Role.COORDINATOR,
    Role.ANALYST,
    Role.CASEWORKER,
    Role.PROBATION_OFFICER,
    Role.STEERING_MEMBER,
)


class ErrorOut(Schema):
    detail: object


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ----- schemas -----


class EpisodeOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    group_id: int | None
    status: str
    trigger_incident_ids: list[int]
    proposed_at: datetime
    decision_deadline: datetime
    is_overdue: bool
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str
    start_date: date | None
    planned_end_date: date | None
    end_date: date | None
    end_reason: str
    end_note: str
    announced_rule_id: int | None

    @staticmethod
    def resolve_trigger_incident_ids(obj):
        return sorted(incident.pk for incident in obj.trigger_incidents.all())

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by.get_username() if obj.decided_by_id else None


class EpisodeIn(InputSchema):
    group_id: int
    trigger_incident_ids: list[int] = Field(min_length=1, max_length=50)
    decision_note: str = Field("", max_length=4000)


class EpisodePatch(PatchSchema):
    clearable = frozenset({"planned_end_date", "start_date", "announced_rule_id", "trigger_incident_ids"})
    version: int
    planned_end_date: date | None = None
    start_date: date | None = None
    decision_note: str | None = Field(None, max_length=4000)
    announced_rule_id: int | None = None
    trigger_incident_ids: list[int] | None = Field(None, min_length=1, max_length=50)


class DecisionIn(InputSchema):
    version: int
    run: bool
    start_date: date | None = None
    planned_end_date: date | None = None
    announced_rule_id: int | None = None
    note: str = Field("", max_length=4000)


class CloseIn(InputSchema):
    version: int
    end_reason: EndReason
    end_date: date | None = None
    end_note: str = Field("", max_length=4000)


class ActionOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    episode_id: int
    lever: str
    description: str
    responsible_id: int | None
    due_date: date | None
    status: str
    started_on: date | None
    done_on: date | None
    result: str
    checks_made: int
    seizures: int
    arrests: int


class ActionIn(InputSchema):
    episode_id: int
    lever: str = Field(max_length=40)
    description: str = Field("", max_length=2000)
    responsible_id: int | None = None
    due_date: date | None = None
    status: ActionStatus = "planned"


class ActionPatch(PatchSchema):
    clearable = frozenset({"responsible_id", "due_date", "started_on", "done_on"})
    version: int
    description: str | None = Field(None, max_length=2000)
    responsible_id: int | None = None
    due_date: date | None = None
    status: ActionStatus | None = None
    started_on: date | None = None
    done_on: date | None = None
    result: str | None = Field(None, max_length=4000)
    checks_made: int | None = Field(None, ge=0, le=100000)
    seizures: int | None = Field(None, ge=0, le=100000)
    arrests: int | None = Field(None, ge=0, le=100000)


class RuleOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    title: str
    message: str
    announced_on: date
    announced_how: str
    valid_until: date | None
    trigger_types: list[str]
    group_ids: list[int]
    levers: list[str]
    respond_within_days: int | None

    @staticmethod
    def resolve_group_ids(obj):
        return sorted(group.pk for group in obj.groups.all())


class RuleIn(InputSchema):
    title: str = Field(max_length=200)
    message: str = Field(max_length=4000)
    announced_on: date
    announced_how: str = Field("", max_length=200)
    valid_until: date | None = None
    trigger_types: list[str] = Field(default_factory=list, max_length=20)
    group_ids: list[int] = Field(default_factory=list, max_length=200)
    levers: list[str] = Field(default_factory=list, max_length=50)
    respond_within_days: int | None = Field(None, ge=0, le=365)


class RulePatch(PatchSchema):
    clearable = frozenset({"valid_until", "group_ids", "respond_within_days"})
    version: int
    title: str | None = Field(None, max_length=200)
    message: str | None = Field(None, max_length=4000)
    announced_how: str | None = Field(None, max_length=200)
    valid_until: date | None = None
    trigger_types: list[str] | None = Field(None, max_length=20)
    group_ids: list[int] | None = Field(None, max_length=200)
    levers: list[str] | None = Field(None, max_length=50)
    respond_within_days: int | None = Field(None, ge=0, le=365)


class DurationOut(Schema):
    n: int
    median: float | None
    p90: float | None = Field(
        description=f"The 90th percentile in days; null below {MIN_N_P90} values (too few to say), as the pages show it"
    )


class ShareOut(Schema):
    numerator: int
    denominator: int
    percent: float | None


class FiguresOut(Schema):
    episodes: dict[str, int]
    to_decision: DurationOut
    to_first_action: DurationOut
    to_communication: DurationOut
    decided_in_time: ShareOut
    certainty: ShareOut
    awaiting_decision: int
    predictability: ShareOut
    without_rule: int
    communicated: ShareOut


class QuarterOut(Schema):
    quarter: str
    figures: FiguresOut


class MetricsOut(Schema):
    site_ids: list[int]
    start: date | None
    end: date | None
    site: FiguresOut
    quarters: list[QuarterOut]


# ----- helpers -----


def _incidents(user, ids) -> list[Incident]:
    return [visible_record(user, Incident, pk) for pk in ids]


def _rule(user, pk) -> AnnouncedRule | None:
    return visible_record(user, AnnouncedRule, pk) if pk else None


def _split(payload) -> tuple[dict, int]:
    changes = payload.dict(exclude_unset=True)
    return changes, changes.pop("version")


# ----- episodes -----


@router.get("/episodes", auth=scoped(scopes.READ_SANCTIONS), response={200: list[EpisodeOut], **ERRORS})
@paginate(BoundedPagination)
def list_sanction_episodes(
    request, status: EpisodeStatus | None = None, group: int | None = Query(None, ge=1, le=ID_MAX)
):
    episodes = (
        SanctionEpisode.objects.visible_to(request.user)
        .select_related("decided_by")
        .prefetch_related("trigger_incidents")
        .order_by("pk")
    )
    if status:
        episodes = episodes.filter(status=status)
    if group is not None:
        episodes = episodes.filter(group_id=group)
    return episodes


@router.get("/episodes/{pk}", auth=scoped(scopes.READ_SANCTIONS), response={200: EpisodeOut, **ERRORS})
def get_sanction_episode(request, pk: str):
    return read_record(request.user, SanctionEpisode, pk, via=AccessLog.Action.API)


@router.post("/episodes", auth=scoped(scopes.WRITE_SANCTIONS), response={201: EpisodeOut, **ERRORS})
def create_sanction_episode(request, payload: EpisodeIn):
    group = visible_record(request.user, Group, payload.group_id)
    incidents = _incidents(request.user, payload.trigger_incident_ids)
    return Status(201, services.create_episode(request.user, group, incidents, payload.decision_note))


@router.patch("/episodes/{pk}", auth=scoped(scopes.WRITE_SANCTIONS), response={200: EpisodeOut, **ERRORS})
def patch_sanction_episode(request, pk: str, payload: EpisodePatch):
    episode = visible_record(request.user, SanctionEpisode, pk)
    changes, version = _split(payload)
    triggers = changes.pop("trigger_incident_ids", None)
    if "announced_rule_id" in changes:
        changes["announced_rule"] = _rule(request.user, changes.pop("announced_rule_id"))
    return services.update_episode(
        request.user,
        episode,
        changes,
        version,
        trigger_incidents=_incidents(request.user, triggers) if triggers is not None else None,
    )


@router.post(
    "/episodes/{pk}/decision", auth=scoped(scopes.WRITE_SANCTIONS), response={200: EpisodeOut, **ERRORS}
)
def decide_sanction_episode(request, pk: str, payload: DecisionIn):
    episode = visible_record(request.user, SanctionEpisode, pk)
    return services.decide_episode(
        request.user,
        episode,
        payload.version,
        run=payload.run,
        start_date=payload.start_date,
        planned_end_date=payload.planned_end_date,
        announced_rule=_rule(request.user, payload.announced_rule_id),
        note=payload.note,
    )


@router.post(
    "/episodes/{pk}/close", auth=scoped(scopes.WRITE_SANCTIONS), response={200: EpisodeOut, **ERRORS}
)
def close_sanction_episode(request, pk: str, payload: CloseIn):
    episode = visible_record(request.user, SanctionEpisode, pk)
    return services.close_episode(
        request.user,
        episode,
        payload.version,
        end_date=payload.end_date,
        end_reason=payload.end_reason,
        end_note=payload.end_note,
    )


# ----- actions -----


@router.get("/actions", auth=scoped(scopes.READ_SANCTIONS), response={200: list[ActionOut], **ERRORS})
@paginate(BoundedPagination)
def list_sanction_actions(request, episode: int | None = Query(None, ge=1, le=ID_MAX)):
    actions = SanctionAction.objects.visible_to(request.user).order_by("pk")
    if episode is not None:
        actions = actions.filter(episode_id=episode)
    return actions


@router.get("/actions/{pk}", auth=scoped(scopes.READ_SANCTIONS), response={200: ActionOut, **ERRORS})
def get_sanction_action(request, pk: str):
    return read_record(request.user, SanctionAction, pk, via=AccessLog.Action.API)


def _responsible(data: dict) -> None:
    if "responsible_id" in data:
        pk = data.pop("responsible_id")
        data["responsible"] = get_user_model().objects.filter(pk=pk).first() if pk else None
        if pk and data["responsible"] is None:
            raise Http404


@router.post("/actions", auth=scoped(scopes.WRITE_SANCTIONS), response={201: ActionOut, **ERRORS})
def create_sanction_action(request, payload: ActionIn):
    data = payload.dict(exclude_unset=True)
    episode = visible_record(request.user, SanctionEpisode, data.pop("episode_id"))
    _responsible(data)
    return Status(201, services.create_action(request.user, episode, data))


@router.patch("/actions/{pk}", auth=scoped(scopes.WRITE_SANCTIONS), response={200: ActionOut, **ERRORS})
def patch_sanction_action(request, pk: str, payload: ActionPatch):
    action = visible_record(request.user, SanctionAction, pk)
    changes, version = _split(payload)
    _responsible(changes)
    return services.update_action(request.user, action, changes, version)


# ----- announced rules -----


@router.get("/rules", auth=scoped(scopes.READ_SANCTIONS), response={200: list[RuleOut], **ERRORS})
@paginate(BoundedPagination)
def list_announced_rules(request):
    return AnnouncedRule.objects.visible_to(request.user).prefetch_related("groups").order_by("pk")


@router.get("/rules/{pk}", auth=scoped(scopes.READ_SANCTIONS), response={200: RuleOut, **ERRORS})
def get_announced_rule(request, pk: str):
    return read_record(request.user, AnnouncedRule, pk, via=AccessLog.Action.API)


@router.post("/rules", auth=scoped(scopes.WRITE_SANCTIONS), response={201: RuleOut, **ERRORS})
def create_announced_rule(request, payload: RuleIn):
    data = payload.dict(exclude_unset=True)
    groups = [visible_record(request.user, Group, pk) for pk in data.pop("group_ids", [])]
    return Status(201, services.create_rule(request.user, data, groups))


@router.patch("/rules/{pk}", auth=scoped(scopes.WRITE_SANCTIONS), response={200: RuleOut, **ERRORS})
def patch_announced_rule(request, pk: str, payload: RulePatch):
    rule = visible_record(request.user, AnnouncedRule, pk)
    changes, version = _split(payload)
    group_ids = changes.pop("group_ids", None)
    groups = [visible_record(request.user, Group, g) for g in group_ids] if group_ids is not None else None
    return services.update_rule(request.user, rule, changes, version, groups)


# ----- figures -----


def _figures(figures) -> dict:
    def duration(summary):
        return {"n": summary.n, "median": summary.median, "p90": summary.p90_reported}

    def share(value):
        return {"numerator": value.numerator, "denominator": value.denominator, "percent": value.percent}

    return {
        "episodes": figures.episodes,
        "to_decision": duration(figures.to_decision),
        "to_first_action": duration(figures.to_first_action),
        "to_communication": duration(figures.to_communication),
        "decided_in_time": share(figures.decided_in_time),
        "certainty": share(figures.certainty),
        "awaiting_decision": figures.awaiting_decision,
        "predictability": share(figures.predictability),
        "without_rule": figures.without_rule,
        "communicated": share(figures.communicated),
    }


@router.get("/metrics", auth=scoped(scopes.READ_SANCTIONS), response={200: MetricsOut, **ERRORS})
def sanction_metrics(request, start: date | None = None, end: date | None = None):
    """Swiftness, certainty and predictability for the caller's sites (aggregate; no group names)."""
    site_ids = sorted(
        set(
            request.user.memberships.active()
            .filter(role__in=METRICS_ROLES, site__isnull=False)
            .values_list("site_id", flat=True)
        )
    )
    if not site_ids:
        raise PermissionDenied("Din roll ser inte uppföljningen av sanktioner.")
    report = metrics.deterrence_report(site_ids, start, end)
    return {
        "site_ids": site_ids,
        "start": start,
        "end": end,
        "site": _figures(report.site),
        "quarters": [{"quarter": row.label, "figures": _figures(row.figures)} for row in report.quarters],
    }
