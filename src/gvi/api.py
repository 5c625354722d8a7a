"""The JSON API (OpenAPI schema at /api/v1/openapi.json). Same `visible_to` scoping as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.responses import Status

from gvi.access import scopes
from gvi.access.models import AccessLog
from gvi.access.selectors import read_record, visible_record
from gvi.access.services import (
    EditConflict,
    claim_idempotency_key,
    remove_record,
    settle_idempotency_key,
)
from gvi.api_auth import UNSCOPED, BearerToken, scoped  # noqa: F401 (BearerToken: gvi.api.BearerToken)
from gvi.api_input import ID_MAX, InputSchema, PatchSchema
from gvi.api_pagination import BoundedPagination, LoggedPagination
from gvi.groups import services as audit
from gvi.groups.models import Group, GroupMembership, GroupRelation, Person
from gvi.incidents import services as incident_services
from gvi.incidents.models import Incident

api = NinjaAPI(
    title="GVI API",
    version="1",
    description="Programmatic access to the GVI platform. Every call is scoped to what the caller may see.",
    auth=UNSCOPED,
    docs_url=None,
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(EditConflict)
def conflict(request, exc):
    return api.create_response(
        request, {"detail": str(exc), "current_version": exc.record.version}, status=409
    )


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return api.create_response(
        request, {"detail": exc.message_dict if hasattr(exc, "error_dict") else exc.messages}, status=422
    )


@api.exception_handler(NinjaValidationError)
def invalid_input(request, exc):
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Authentication required"}, status=401)


class MembershipOut(Schema):
    organisation: str
    site: str | None
    role: str


class MeOut(Schema):
    username: str
    memberships: list[MembershipOut]


class PersonOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    alias: str
    birth_year: int | None
    age_band: str
    is_minor: bool
    is_suspected_perpetrator: bool
    is_victim: bool
    is_at_risk: bool
    review_date: date
    entry_state: str  # four eyes: "proposed" until a second person approves, "approved", "rejected"


class PersonPatch(PatchSchema):
    clearable = frozenset({"personal_number", "birth_year"})
    version: int
    personal_number: str | None = Field(None, max_length=20)
    alias: str | None = None
    birth_year: int | None = None
    age_band: str | None = None
    is_minor: bool | None = None
    is_suspected_perpetrator: bool | None = None
    is_victim: bool | None = None
    is_at_risk: bool | None = None
    review_date: date | None = None
    notes: str | None = None


class PersonIn(InputSchema):
    alias: str = Field(max_length=80)
    personal_number: str | None = Field(None, max_length=20)
    birth_year: int | None = None
    age_band: str = ""
    is_minor: bool = False
    is_suspected_perpetrator: bool = False
    is_victim: bool = False
    is_at_risk: bool = False
    review_date: date | None = None
    notes: str = ""


class GroupIn(InputSchema):
    name: str
    aliases: str = ""
    area: str = ""
    status: str = "active"
    size_min: int | None = None
    size_max: int | None = None
    violence_tier: int = 1
    sources: str = ""
    next_review: date


class GroupPatch(PatchSchema):
    clearable = frozenset({"size_min", "size_max", "last_reviewed"})
    version: int
    name: str | None = None
    aliases: str | None = None
    area: str | None = None
    status: str | None = None
    size_min: int | None = None
    size_max: int | None = None
    violence_tier: int | None = None
    sources: str | None = None
    last_reviewed: date | None = None
    next_review: date | None = None


class MembershipRecordOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    person_id: int
    group_id: int
    role: str
    valid_from: date
    valid_to: date | None
    criteria: list[str]
    confidence: str
    review_date: date
    deactivated_at: datetime | None
    entry_state: str  # four eyes: only "approved" counts in the audit, network, risk and statistics


class MembershipIn(InputSchema):
    person_id: int
    group_id: int
    role: str
    valid_from: date
    valid_to: date | None = None
    criteria: list[str]
    evidence_note: str
    confidence: str
    review_date: date | None = None


class MembershipPatch(PatchSchema):
    clearable = frozenset({"valid_to"})
    version: int
    role: str | None = None
    valid_to: date | None = None
    criteria: list[str] | None = None
    evidence_note: str | None = None
    confidence: str | None = None
    review_date: date | None = None


class RelationOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    group_a_id: int
    group_b_id: int
    type: str
    intensity: int
    since: date | None
    last_evidence: date | None
    confidence: str
    review_date: date


class RelationIn(InputSchema):
    group_a_id: int
    group_b_id: int
    type: str
    intensity: int = 1
    since: date | None = None
    last_evidence: date | None = None
    confidence: str
    basis: str
    review_date: date | None = None


class RelationPatch(PatchSchema):
    clearable = frozenset({"last_evidence"})
    version: int
    type: str | None = None
    intensity: int | None = None
    last_evidence: date | None = None
    confidence: str | None = None
    basis: str | None = None
    review_date: date | None = None


class GroupOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    name: str
    aliases: str
    area: str
    status: str
    violence_tier: int
    next_review: date


class IncidentOut(Schema):
    id: int
    site_id: int
    version: int
    type: str
    confirmed_shooting: bool
    occurred_at: datetime
    area: str  # the name of one of the site's areas, "" for none
    dead: int
    injured: int
    status: str

    @staticmethod
    def resolve_area(obj) -> str:
        return obj.area_name


class InvolvementIn(InputSchema):
    group_id: int
    role: Literal["suspect", "victim", "other"]
    member_status: Literal["confirmed", "suspected", "none", "unknown"] = "unknown"
    confidence: Literal["high", "medium", "low"] = "medium"


class IncidentIn(InputSchema):
    type: Literal[
        "shooting", "explosion", "lethal", "attempted_murder", "aggravated_assault", "arson", "other"
    ]
    confirmed_shooting: bool = False
    occurred_at: datetime
    area: str = Field("", max_length=120)  # an area of the site by name or alias; unknown is refused
    latitude: Decimal | None = Field(None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, decimal_places=6)
    dead: int = Field(0, ge=0, le=1000)
    injured: int = Field(0, ge=0, le=1000)
    police_reference: str = Field("", max_length=40)
    status: Literal["new", "reviewed", "closed"] = "new"
    summary: str = Field("", max_length=4000)
    involvements: list[InvolvementIn] = Field(default_factory=list, max_length=50)


class IncidentPatch(PatchSchema):
    version: int
    status: Literal["new", "reviewed", "closed"] | None = None
    summary: str | None = Field(None, max_length=4000)
    dead: int | None = Field(None, ge=0, le=1000)
    injured: int | None = Field(None, ge=0, le=1000)
    confirmed_shooting: bool | None = None
    area: str | None = Field(None, max_length=120)


class ErrorOut(Schema):
    detail: object


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@api.get("/me", auth=scoped(scopes.ANY), response={200: MeOut, **ERRORS}, tags=["konto"])
def me(request):
    memberships = request.user.memberships.active().select_related("organisation", "site")
    return {
        "username": request.user.get_username(),
        "memberships": [
            {"organisation": m.organisation.name, "site": m.site.name if m.site else None, "role": m.role}
            for m in memberships
        ],
    }


@api.get(
    "/persons",
    auth=scoped(scopes.READ_PERSONS),
    response={200: list[PersonOut], **ERRORS},
    tags=["kartläggning"],
)
@paginate(LoggedPagination)
def list_persons(request):
    return Person.objects.visible_to(request.user).order_by("pk")


@api.get(
    "/persons/{pk}",
    auth=scoped(scopes.READ_PERSONS),
    response={200: PersonOut, **ERRORS},
    tags=["kartläggning"],
)
def get_person(request, pk: str):
    return read_record(request.user, Person, pk, via=AccessLog.Action.API)


@api.patch(
    "/persons/{pk}",
    auth=scoped(scopes.WRITE_PERSONS),
    response={200: PersonOut, 409: ErrorOut, **ERRORS},
    tags=["kartläggning"],
)
def patch_person(request, pk: str, payload: PersonPatch):
    person = read_record(request.user, Person, pk, via=AccessLog.Action.API)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    personal_number = changes.pop("personal_number", None)
    return audit.update_person(request.user, person, changes, version, personal_number)


@api.post(
    "/persons", auth=scoped(scopes.WRITE_PERSONS), response={201: PersonOut, **ERRORS}, tags=["kartläggning"]
)
def create_person(request, payload: PersonIn):
    data = payload.dict(exclude_unset=True)
    personal_number = data.pop("personal_number", None)
    return Status(201, audit.create_person(request.user, data, personal_number))


@api.delete(
    "/persons/{pk}",
    auth=scoped(scopes.WRITE_PERSONS),
    response={204: None, 409: ErrorOut, **ERRORS},
    tags=["kartläggning"],
)
def delete_person(request, pk: str, version: int):
    remove_record(request.user, visible_record(request.user, Person, pk, "change"), version)
    return Status(204, None)


@api.get(
    "/groups",
    auth=scoped(scopes.READ_GROUPS),
    response={200: list[GroupOut], **ERRORS},
    tags=["kartläggning"],
)
@paginate(BoundedPagination)
def list_groups(request):
    return Group.objects.visible_to(request.user).order_by("pk")


@api.get(
    "/groups/{pk}", auth=scoped(scopes.READ_GROUPS), response={200: GroupOut, **ERRORS}, tags=["kartläggning"]
)
def get_group(request, pk: str):
    return read_record(request.user, Group, pk, via=AccessLog.Action.API)


@api.post(
    "/groups", auth=scoped(scopes.WRITE_GROUPS), response={201: GroupOut, **ERRORS}, tags=["kartläggning"]
)
def create_group(request, payload: GroupIn):
    return Status(201, audit.create_group(request.user, payload.dict(exclude_unset=True)))


@api.patch(
    "/groups/{pk}",
    auth=scoped(scopes.WRITE_GROUPS),
    response={200: GroupOut, 409: ErrorOut, **ERRORS},
    tags=["kartläggning"],
)
def patch_group(request, pk: str, payload: GroupPatch):
    group = visible_record(request.user, Group, pk)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return audit.update_group(request.user, group, changes, version)


@api.get(
    "/memberships",
    auth=scoped(scopes.READ_PERSONS),
    response={200: list[MembershipRecordOut], **ERRORS},
    tags=["kartläggning"],
)
@paginate(LoggedPagination)
def list_memberships(
    request,
    group: int | None = Query(None, ge=1, le=ID_MAX),
    person: int | None = Query(None, ge=1, le=ID_MAX),
):
    memberships = GroupMembership.objects.visible_to(request.user).order_by("pk")
    if group is not None:
        memberships = memberships.filter(group_id=group)
    if person is not None:
        memberships = memberships.filter(person_id=person)
    return memberships


@api.get(
    "/memberships/{pk}",
    auth=scoped(scopes.READ_PERSONS),
    response={200: MembershipRecordOut, **ERRORS},
    tags=["kartläggning"],
)
def get_membership(request, pk: str):
    return read_record(request.user, GroupMembership, pk, via=AccessLog.Action.API)


@api.post(
    "/memberships",
    auth=scoped(scopes.WRITE_PERSONS),
    response={201: MembershipRecordOut, **ERRORS},
    tags=["kartläggning"],
)
def create_membership(request, payload: MembershipIn):
    data = payload.dict(exclude_unset=True)
    data["person"] = visible_record(request.user, Person, data.pop("person_id"), "change")
    data["group"] = visible_record(request.user, Group, data.pop("group_id"))
    return Status(201, audit.create_membership(request.user, data))


@api.patch(
    "/memberships/{pk}",
    auth=scoped(scopes.WRITE_PERSONS),
    response={200: MembershipRecordOut, 409: ErrorOut, **ERRORS},
    tags=["kartläggning"],
)
def patch_membership(request, pk: str, payload: MembershipPatch):
    membership = read_record(request.user, GroupMembership, pk, via=AccessLog.Action.API)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return audit.update_membership(request.user, membership, changes, version)


@api.delete(
    "/memberships/{pk}",
    auth=scoped(scopes.WRITE_PERSONS),
    response={204: None, 409: ErrorOut, **ERRORS},
    tags=["kartläggning"],
)
def delete_membership(request, pk: str, version: int):
    remove_record(request.user, visible_record(request.user, GroupMembership, pk, "change"), version)
    return Status(204, None)


@api.get(
    "/relations",
    auth=scoped(scopes.READ_GROUPS),
    response={200: list[RelationOut], **ERRORS},
    tags=["kartläggning"],
)
@paginate(BoundedPagination)
def list_relations(request):
    return GroupRelation.objects.visible_to(request.user).order_by("pk")


@api.get(
    "/relations/{pk}",
    auth=scoped(scopes.READ_GROUPS),
    response={200: RelationOut, **ERRORS},
    tags=["kartläggning"],
)
def get_relation(request, pk: str):
    return read_record(request.user, GroupRelation, pk, via=AccessLog.Action.API)


@api.post(
    "/relations",
    auth=scoped(scopes.WRITE_GROUPS),
    response={201: RelationOut, **ERRORS},
    tags=["kartläggning"],
)
def create_relation(request, payload: RelationIn):
    data = payload.dict(exclude_unset=True)
    data["group_a"] = visible_record(request.user, Group, data.pop("group_a_id"))
    data["group_b"] = visible_record(request.user, Group, data.pop("group_b_id"))
    return Status(201, audit.create_relation(request.user, data))


@api.patch(
    "/relations/{pk}",
    auth=scoped(scopes.WRITE_GROUPS),
    response={200: RelationOut, 409: ErrorOut, **ERRORS},
    tags=["kartläggning"],
)
def patch_relation(request, pk: str, payload: RelationPatch):
    relation = visible_record(request.user, GroupRelation, pk)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return audit.update_relation(request.user, relation, changes, version)


@api.get(
    "/incidents",
    auth=scoped(scopes.READ_INCIDENTS),
    response={200: list[IncidentOut], **ERRORS},
    tags=["incidenter"],
)
@paginate(BoundedPagination)
def list_incidents(request):
    return Incident.objects.visible_to(request.user).select_related("area").order_by("-occurred_at", "pk")


@api.get(
    "/incidents/{pk}",
    auth=scoped(scopes.READ_INCIDENTS),
    response={200: IncidentOut, **ERRORS},
    tags=["incidenter"],
)
def get_incident(request, pk: str):
    return read_record(request.user, Incident, pk, via=AccessLog.Action.API)


@api.post(
    "/incidents",
    auth=scoped(scopes.INCIDENTS_PUSH),
    response={200: IncidentOut, 201: IncidentOut, **ERRORS},
    tags=["incidenter"],
)
def push_incident(request, payload: IncidentIn):
    """For systems that push incidents: the incident and its group involvement in one transaction.

    With a header `Idempotency-Key` (1–100 characters: letters, digits, . _ : -) a retried request, e.g.
    after a timeout, does not create the incident twice: it answers 200 with the incident the first
    request created (201 is a new incident)."""
    data = payload.dict(exclude_unset=True)
    involvements = data.pop("involvements", [])
    key = request.headers.get("Idempotency-Key")
    with transaction.atomic():
        claim = None
        if key is not None:
            claim, earlier = claim_idempotency_key(request.user, key, "incidents.push")
            if earlier is not None:
                return Status(200, visible_record(request.user, Incident, earlier))
        incident = incident_services.register_incident(request.user, data)
        for item in involvements:
            group = visible_record(request.user, Group, item["group_id"])
            incident_services.code_involvement(
                request.user,
                incident,
                {
                    "group": group,
                    "role": item["role"],
                    "member_status": item.get("member_status", "unknown"),
                    "confidence": item.get("confidence", "medium"),
                },
            )
        settle_idempotency_key(claim, incident)
    return Status(201, incident)


@api.patch(
    "/incidents/{pk}",
    auth=scoped(scopes.INCIDENTS_PUSH),
    response={200: IncidentOut, 409: ErrorOut, **ERRORS},
    tags=["incidenter"],
)
def patch_incident(request, pk: str, payload: IncidentPatch):
    incident = visible_record(request.user, Incident, pk)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return incident_services.update_incident(request.user, incident, changes, version)


# Routers of the apps that keep their API beside their models.
from gvi.communication.api import router as communication_router  # noqa: E402
from gvi.sanctions.api import router as sanctions_router  # noqa: E402
from gvi.support.api import router as support_router  # noqa: E402

api.add_router("/communication", communication_router)
api.add_router("/support", support_router)
api.add_router("/sanctions", sanctions_router)
