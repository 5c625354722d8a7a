"""API routes of the communication app, mounted under /api/v1/communication/ by gvi.api.

Same scoping as the pages: every query starts from `visible_to(user)`. Reads of person contacts
(invitations, notifications) are logged with AccessLog.Action.API, one row per record returned, lists
included. Writes go through gvi.communication.services; a stale `version` answers 409 (gvi.api's handler).
"""

import datetime as dt
from typing import Literal

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from gvi.access import scopes
from gvi.access.models import AccessLog
from gvi.access.selectors import logged_list, read_record, visible_record
from gvi.api_auth import scoped
from gvi.api_input import ID_MAX, InputSchema, PatchSchema
from gvi.communication import services
from gvi.communication.models import CallIn, CallInInvitation, CommunicationBack, Notification
from gvi.communication.reach import reach_for
from gvi.groups.models import Group, Person
from gvi.incidents.models import Incident
from gvi.partnership.models import Organisation

router = Router(tags=["direktkommunikation"])

CallInStatus = Literal["planned", "held", "cancelled"]
SpeakerCategory = Literal[
    "police",
    "municipality",
    "probation",
    "healthcare",
    "community",
    "former_offender",
    "victims_family",
    "other",
]
Channel = Literal["probation", "letter", "family", "outreach", "other"]
Attendance = Literal["unknown", "yes", "no"]
Outcome = Literal["planned", "delivered", "refused", "not_found"]
MessageVersion = Literal["standard", "retaliation", "sanction", "victim", "youth", "other"]
BackChannel = Literal["call_in", "notifications", "public_statement", "social_media", "other"]


class ErrorOut(Schema):
    detail: object


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {409: ErrorOut, **ERRORS}


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


def _page(request, queryset, params: PageParams, log: bool = False) -> dict:
    items = list(queryset[params.offset : params.offset + params.limit])
    if log:
        items = logged_list(request.user, items, via=AccessLog.Action.API)
    return {"items": items, "count": queryset.count()}


# ----- call-ins -----


class SpeakerSchema(InputSchema):
    id: int | None = None
    category: SpeakerCategory
    name: str = Field("", max_length=120)
    organisation: str = Field("", max_length=200)


class ChecklistSchema(InputSchema):
    id: int | None = None
    text: str = Field(max_length=300)
    responsible_id: int | None = None
    due_date: dt.date | None = None
    done: bool = False


class MessagePointSchema(InputSchema):
    id: int | None = None
    text: str = Field(max_length=500)
    delivered: bool | None = None


class CallInOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    title: str
    starts_at: dt.datetime
    place: str
    status: str
    service_providers: str
    notes: str
    target_group_ids: list[int]
    speakers: list[SpeakerSchema]
    checklist: list[ChecklistSchema]
    message_points: list[MessagePointSchema]

    @staticmethod
    def resolve_target_group_ids(obj):
        return [group.pk for group in obj.target_groups.all()]

    @staticmethod
    def resolve_speakers(obj):
        return list(obj.speakers.all())

    @staticmethod
    def resolve_checklist(obj):
        return list(obj.checklist.all())

    @staticmethod
    def resolve_message_points(obj):
        return list(obj.message_points.all())


class CallInPage(Schema):
    items: list[CallInOut]
    count: int


class CallInIn(InputSchema):
    title: str = Field(max_length=200)
    starts_at: dt.datetime
    place: str = Field(max_length=200)
    status: CallInStatus = "planned"
    service_providers: str = Field("", max_length=4000)
    notes: str = Field("", max_length=8000)
    target_group_ids: list[int] = Field(default_factory=list, max_length=100)
    speakers: list[SpeakerSchema] | None = Field(None, max_length=40)
    checklist: list[ChecklistSchema] | None = Field(None, max_length=60)
    message_points: list[MessagePointSchema] | None = Field(None, max_length=30)


class CallInPatch(PatchSchema):
    clearable = frozenset({"target_group_ids", "speakers", "checklist", "message_points"})
    version: int
    title: str | None = Field(None, max_length=200)
    starts_at: dt.datetime | None = None
    place: str | None = Field(None, max_length=200)
    status: CallInStatus | None = None
    service_providers: str | None = Field(None, max_length=4000)
    notes: str | None = Field(None, max_length=8000)
    target_group_ids: list[int] | None = Field(None, max_length=100)
    speakers: list[SpeakerSchema] | None = Field(None, max_length=40)
    checklist: list[ChecklistSchema] | None = Field(None, max_length=60)
    message_points: list[MessagePointSchema] | None = Field(None, max_length=30)


PART_KEYS = ("speakers", "checklist", "message_points")


def _split_call_in(request, data: dict):
    group_ids = data.pop("target_group_ids", None)
    groups = None if group_ids is None else [visible_record(request.user, Group, pk) for pk in group_ids]
    parts = {key: data.pop(key) for key in PART_KEYS if key in data}
    parts = {key: rows for key, rows in parts.items() if rows is not None}
    return groups, parts or None


@router.get("/callins", auth=scoped(scopes.READ_COMMUNICATION), response={200: CallInPage, **ERRORS})
def list_call_ins(request, params: Query[PageParams], status: CallInStatus | None = None):
    call_ins = CallIn.objects.visible_to(request.user).prefetch_related(
        "target_groups", "speakers", "checklist", "message_points"
    )
    if status:
        call_ins = call_ins.filter(status=status)
    return _page(request, call_ins.order_by("-starts_at", "pk"), params)


@router.get("/callins/{pk}", auth=scoped(scopes.READ_COMMUNICATION), response={200: CallInOut, **ERRORS})
def get_call_in(request, pk: str):
    return read_record(request.user, CallIn, pk, via=AccessLog.Action.API)


@router.post("/callins", auth=scoped(scopes.WRITE_COMMUNICATION), response={201: CallInOut, **ERRORS})
def create_call_in(request, payload: CallInIn):
    data = payload.dict()
    groups, parts = _split_call_in(request, data)
    return Status(201, services.plan_call_in(request.user, data, groups, parts))


@router.patch(
    "/callins/{pk}", auth=scoped(scopes.WRITE_COMMUNICATION), response={200: CallInOut, **WRITE_ERRORS}
)
def patch_call_in(request, pk: str, payload: CallInPatch):
    call_in = visible_record(request.user, CallIn, pk)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    groups, parts = _split_call_in(request, changes)
    return services.update_call_in(request.user, call_in, changes, version, groups, parts)


# ----- invitations -----


class InvitationOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    call_in_id: int
    person_id: int
    channel: str
    attended: str
    follow_up: str
    follow_up_done: bool
    attendee_tasks: str
    asked_for_help: bool
    help_requested_on: dt.date | None
    referral_state: str


class InvitationPage(Schema):
    items: list[InvitationOut]
    count: int


class InvitationIn(InputSchema):
    call_in_id: int
    person_id: int
    channel: Channel
    follow_up: str = Field("", max_length=2000)
    attendee_tasks: str = Field("", max_length=4000)


class InvitationPatch(PatchSchema):
    version: int
    channel: Channel | None = None
    attended: Attendance | None = None
    follow_up: str | None = Field(None, max_length=2000)
    follow_up_done: bool | None = None
    attendee_tasks: str | None = Field(None, max_length=4000)
    asked_for_help: bool | None = None


@router.get("/invitations", auth=scoped(scopes.READ_COMMUNICATION), response={200: InvitationPage, **ERRORS})
def list_invitations(request, params: Query[PageParams], call_in: int | None = Query(None, ge=1, le=ID_MAX)):
    invitations = CallInInvitation.objects.visible_to(request.user).order_by("pk")
    if call_in is not None:
        invitations = invitations.filter(call_in_id=call_in)
    return _page(request, invitations, params, log=True)


@router.get(
    "/invitations/{pk}", auth=scoped(scopes.READ_COMMUNICATION), response={200: InvitationOut, **ERRORS}
)
def get_invitation(request, pk: str):
    return read_record(request.user, CallInInvitation, pk, via=AccessLog.Action.API)


@router.post("/invitations", auth=scoped(scopes.WRITE_COMMUNICATION), response={201: InvitationOut, **ERRORS})
def create_invitation(request, payload: InvitationIn):
    data = payload.dict()
    call_in = visible_record(request.user, CallIn, data.pop("call_in_id"))
    person = visible_record(request.user, Person, data.pop("person_id"))
    return Status(201, services.invite(request.user, call_in, person, data))


@router.patch(
    "/invitations/{pk}",
    auth=scoped(scopes.WRITE_COMMUNICATION),
    response={200: InvitationOut, **WRITE_ERRORS},
)
def patch_invitation(request, pk: str, payload: InvitationPatch):
    invitation = read_record(request.user, CallInInvitation, pk, via=AccessLog.Action.API)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return services.update_invitation(request.user, invitation, changes, version)


# ----- notifications -----


class NotificationOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    person_id: int
    date: dt.date
    place: str
    delivered_by: str
    delivering_organisation_ids: list[int]
    family_present: bool
    message_version: str
    legal_risk_statement: str
    help_offered: str
    outcome: str
    follow_up: str
    is_repeat: bool
    repeat_of_id: int | None  # only when the caller may see the earlier notification
    asked_for_help: bool
    help_requested_on: dt.date | None
    referral_state: str
    notes: str

    @staticmethod
    def resolve_delivering_organisation_ids(obj):
        return [org.pk for org in obj.delivering_organisations.all()]

    @staticmethod
    def resolve_repeat_of_id(obj):
        return getattr(obj, "visible_repeat_of_id", None)


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int


class NotificationIn(InputSchema):
    person_id: int
    date: dt.date
    place: str = Field("", max_length=200)
    delivered_by: str = Field(max_length=200)
    delivering_organisation_ids: list[int] = Field(default_factory=list, max_length=20)
    family_present: bool = False
    message_version: MessageVersion = "standard"
    legal_risk_statement: str = Field("", max_length=4000)
    help_offered: str = Field("", max_length=4000)
    outcome: Outcome = "planned"
    follow_up: str = Field("", max_length=4000)
    asked_for_help: bool = False
    notes: str = Field("", max_length=4000)


class NotificationPatch(PatchSchema):
    clearable = frozenset({"delivering_organisation_ids"})
    version: int
    date: dt.date | None = None
    place: str | None = Field(None, max_length=200)
    delivered_by: str | None = Field(None, max_length=200)
    delivering_organisation_ids: list[int] | None = Field(None, max_length=20)
    family_present: bool | None = None
    message_version: MessageVersion | None = None
    legal_risk_statement: str | None = Field(None, max_length=4000)
    help_offered: str | None = Field(None, max_length=4000)
    outcome: Outcome | None = None
    follow_up: str | None = Field(None, max_length=4000)
    asked_for_help: bool | None = None
    notes: str | None = Field(None, max_length=4000)


def _with_visible_repeats(user, notifications):
    notifications = list(notifications)
    earlier = {n.repeat_of_id for n in notifications if n.repeat_of_id}
    visible = set(Notification.objects.visible_to(user).filter(pk__in=earlier).values_list("pk", flat=True))
    for notification in notifications:
        notification.visible_repeat_of_id = (
            notification.repeat_of_id if notification.repeat_of_id in visible else None
        )
    return notifications


def _organisations(ids):
    if ids is None:
        return None
    found = list(Organisation.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise Http404
    return found


@router.get(
    "/notifications", auth=scoped(scopes.READ_COMMUNICATION), response={200: NotificationPage, **ERRORS}
)
def list_notifications(
    request,
    params: Query[PageParams],
    person: int | None = Query(None, ge=1, le=ID_MAX),
    outcome: Outcome | None = None,
):
    notifications = Notification.objects.visible_to(request.user).prefetch_related("delivering_organisations")
    if person is not None:
        notifications = notifications.filter(person_id=person)
    if outcome:
        notifications = notifications.filter(outcome=outcome)
    page = _page(request, notifications.order_by("-date", "-pk"), params, log=True)
    page["items"] = _with_visible_repeats(request.user, page["items"])
    return page


@router.get(
    "/notifications/{pk}", auth=scoped(scopes.READ_COMMUNICATION), response={200: NotificationOut, **ERRORS}
)
def get_notification(request, pk: str):
    notification = read_record(request.user, Notification, pk, via=AccessLog.Action.API)
    return _with_visible_repeats(request.user, [notification])[0]


@router.post(
    "/notifications", auth=scoped(scopes.WRITE_COMMUNICATION), response={201: NotificationOut, **ERRORS}
)
def create_notification(request, payload: NotificationIn):
    data = payload.dict()
    person = visible_record(request.user, Person, data.pop("person_id"))
    organisations = _organisations(data.pop("delivering_organisation_ids"))
    notification = services.plan_notification(request.user, person, data, organisations)
    return Status(201, _with_visible_repeats(request.user, [notification])[0])


@router.patch(
    "/notifications/{pk}",
    auth=scoped(scopes.WRITE_COMMUNICATION),
    response={200: NotificationOut, **WRITE_ERRORS},
)
def patch_notification(request, pk: str, payload: NotificationPatch):
    notification = read_record(request.user, Notification, pk, via=AccessLog.Action.API)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    organisations = _organisations(changes.pop("delivering_organisation_ids", None))
    notification = services.update_notification(request.user, notification, changes, version, organisations)
    return _with_visible_repeats(request.user, [notification])[0]


# ----- communicating back -----


class CommunicationBackOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    date: dt.date
    message: str
    channel: str
    audience_group_ids: list[int]
    call_in_id: int | None
    refers_to_incident_id: int | None
    refers_to_type: str | None
    refers_to_id: int | None

    @staticmethod
    def resolve_audience_group_ids(obj):
        return [group.pk for group in obj.audience_groups.all()]

    @staticmethod
    def resolve_refers_to_type(obj):
        if not obj.refers_to_type_id:
            return None
        content_type = ContentType.objects.get_for_id(obj.refers_to_type_id)
        return f"{content_type.app_label}.{content_type.model}"


class CommunicationBackPage(Schema):
    items: list[CommunicationBackOut]
    count: int


class CommunicationBackIn(InputSchema):
    date: dt.date
    message: str = Field(max_length=8000)
    channel: BackChannel
    audience_group_ids: list[int] = Field(min_length=1, max_length=100)
    call_in_id: int | None = None
    refers_to_incident_id: int | None = None


class CommunicationBackPatch(PatchSchema):
    clearable = frozenset({"audience_group_ids", "call_in_id", "refers_to_incident_id"})
    version: int
    date: dt.date | None = None
    message: str | None = Field(None, max_length=8000)
    channel: BackChannel | None = None
    audience_group_ids: list[int] | None = Field(None, min_length=1, max_length=100)
    call_in_id: int | None = None
    refers_to_incident_id: int | None = None


def _back_links(request, data: dict) -> list | None:
    if data.get("call_in_id") is not None:
        data["call_in"] = visible_record(request.user, CallIn, data.pop("call_in_id"))
    elif "call_in_id" in data:
        data["call_in"] = data.pop("call_in_id")
    if data.get("refers_to_incident_id") is not None:
        data["refers_to_incident"] = visible_record(request.user, Incident, data.pop("refers_to_incident_id"))
    elif "refers_to_incident_id" in data:
        data["refers_to_incident"] = data.pop("refers_to_incident_id")
    ids = data.pop("audience_group_ids", None)
    return None if ids is None else [visible_record(request.user, Group, pk) for pk in ids]


@router.get(
    "/communications-back",
    auth=scoped(scopes.READ_COMMUNICATION),
    response={200: CommunicationBackPage, **ERRORS},
)
def list_communications_back(
    request, params: Query[PageParams], group: int | None = Query(None, ge=1, le=ID_MAX)
):
    records = CommunicationBack.objects.visible_to(request.user).prefetch_related("audience_groups")
    if group is not None:
        records = records.filter(audience_groups__id=group)
    return _page(request, records.order_by("-date", "-pk"), params)


@router.get(
    "/communications-back/{pk}",
    auth=scoped(scopes.READ_COMMUNICATION),
    response={200: CommunicationBackOut, **ERRORS},
)
def get_communication_back(request, pk: str):
    return read_record(request.user, CommunicationBack, pk, via=AccessLog.Action.API)


@router.post(
    "/communications-back",
    auth=scoped(scopes.WRITE_COMMUNICATION),
    response={201: CommunicationBackOut, **ERRORS},
)
def create_communication_back(request, payload: CommunicationBackIn):
    data = payload.dict()
    groups = _back_links(request, data)
    return Status(201, services.create_communication_back(request.user, data, groups))


@router.patch(
    "/communications-back/{pk}",
    auth=scoped(scopes.WRITE_COMMUNICATION),
    response={200: CommunicationBackOut, **WRITE_ERRORS},
)
def patch_communication_back(request, pk: str, payload: CommunicationBackPatch):
    record = visible_record(request.user, CommunicationBack, pk)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    groups = _back_links(request, changes)
    return services.update_communication_back(request.user, record, changes, version, groups)


# ----- reach -----


class ReachOut(Schema):
    """Site-level reach as an aggregate: null counts are suppressed (1–4), null shares not published."""

    site_id: int
    site: str
    members: int | None
    reached_6: int | None
    reached_12: int | None
    share_6: float | None
    share_12: float | None
    invited: int | None
    attended: int | None
    attendance_rate: float | None
    delivered: int | None
    refused: int | None
    not_found: int | None
    repeats: int | None
    asked_for_help: int | None
    help_sought: int | None
    help_with_contact: int | None
    help_median_days: float | None


@router.get("/reach", auth=scoped(scopes.READ_COMMUNICATION), response={200: list[ReachOut], **ERRORS})
def communication_reach(request):
    rows = []
    for report in reach_for(request.user):
        figures = report.published
        rows.append(
            {
                "site_id": report.site.pk,
                "site": report.site.name,
                **{name: getattr(figures, name) for name in ReachOut.model_fields if hasattr(figures, name)},
                "help_sought": report.help_uptake.asked_for_help if report.help_uptake else None,
                "help_with_contact": report.help_uptake.with_contact if report.help_uptake else None,
                "help_median_days": report.help_uptake.median_days if report.help_uptake else None,
            }
        )
    return rows
