"""API routes of the support app, mounted under /api/v1/support/ by gvi.api.

Cases are scoped by `SupportCase.objects.visible_to` exactly as the pages: other organisations get empty
lists and 404s. Single reads are logged (AccessLog action "api"). Facts disclosed to the caller's
organisation are listed on their own route, each one logged when returned.
"""

from datetime import date, datetime
from typing import Literal

from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from gvi.access import scopes
from gvi.access.models import AccessLog
from gvi.access.selectors import read_record, visible_record
from gvi.api_auth import scoped
from gvi.api_input import InputSchema, PatchSchema
from gvi.api_pagination import MAX_OFFSET, LoggedPagination
from gvi.groups.models import Person
from gvi.support import selectors, services
from gvi.support.models import SupportCase

router = Router(tags=["stöd"])

Route = Literal["call_in", "notification", "hotline", "self_referral", "agency_referral", "family"]
Consent = Literal["not_asked", "given", "refused", "withdrawn"]
Threat = Literal["not_assessed", "requested", "low", "elevated", "high"]
OpenStatus = Literal["requested", "active"]
Outcome = Literal["completed", "dropped_out", "moved", "reoffended", "closed_other"]


class ErrorOut(Schema):
    detail: object


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class NeedOut(Schema):
    domain: str
    status: str
    note: str
    assessed_on: date | None
    version: int


class PlanItemOut(Schema):
    id: int
    domain: str
    goal: str
    intervention: str
    provider: str
    start: date | None
    end: date | None
    status: str
    version: int


class SupportCaseOut(Schema):
    id: int
    site_id: int
    owner_id: int
    version: int
    pseudonym: str
    person_id: int | None
    intake_route: str
    referred_by: str
    requested_at: date
    first_contact_date: date | None
    consent_status: str
    consent_date: date | None
    threat_assessment: str
    protected_identity: bool
    relocation: bool
    is_minor: bool
    guardian_contacted: bool
    guardian_contacted_on: date | None
    status: str
    closed_on: date | None
    follow_up_date: date | None
    review_date: date


class SupportCaseDetailOut(SupportCaseOut):
    consent_scope: str
    guardian_note: str
    mentor_name: str
    help_offered: str
    agreed_follow_up: str
    notes: str
    closing_reason: str
    needs: list[NeedOut]
    plan_items: list[PlanItemOut]

    @staticmethod
    def resolve_needs(obj):
        return list(obj.needs.all())

    @staticmethod
    def resolve_plan_items(obj):
        return list(obj.plan_items.all())


class SupportCaseIn(InputSchema):
    pseudonym: str = Field(max_length=80)
    person_id: int | None = None
    intake_route: Route
    referred_by: str = Field("", max_length=200)
    requested_at: date
    first_contact_date: date | None = None
    status: OpenStatus | None = None
    consent_status: Consent = "not_asked"
    consent_scope: str = Field("", max_length=1000)
    consent_date: date | None = None
    threat_assessment: Threat = "not_assessed"
    protected_identity: bool = False
    relocation: bool = False
    is_minor: bool = False
    guardian_contacted: bool = False
    guardian_contacted_on: date | None = None
    guardian_note: str = Field("", max_length=1000)
    mentor_name: str = Field("", max_length=120)
    follow_up_date: date | None = None
    help_offered: str = Field("", max_length=4000)
    agreed_follow_up: str = Field("", max_length=4000)
    notes: str = Field("", max_length=4000)


class SupportCasePatch(PatchSchema):
    clearable = frozenset(
        {"person_id", "first_contact_date", "consent_date", "guardian_contacted_on", "follow_up_date"}
    )
    version: int
    pseudonym: str | None = Field(None, max_length=80)
    person_id: int | None = None
    intake_route: Route | None = None
    referred_by: str | None = Field(None, max_length=200)
    requested_at: date | None = None
    first_contact_date: date | None = None
    status: OpenStatus | None = None
    consent_status: Consent | None = None
    consent_scope: str | None = Field(None, max_length=1000)
    consent_date: date | None = None
    threat_assessment: Threat | None = None
    protected_identity: bool | None = None
    relocation: bool | None = None
    is_minor: bool | None = None
    guardian_contacted: bool | None = None
    guardian_contacted_on: date | None = None
    guardian_note: str | None = Field(None, max_length=1000)
    mentor_name: str | None = Field(None, max_length=120)
    follow_up_date: date | None = None
    review_date: date | None = None
    help_offered: str | None = Field(None, max_length=4000)
    agreed_follow_up: str | None = Field(None, max_length=4000)
    notes: str | None = Field(None, max_length=4000)


class CloseIn(InputSchema):
    version: int
    outcome: Outcome
    closed_on: date
    closing_reason: str = Field(max_length=2000)


class ContactIn(InputSchema):
    date: date
    type: Literal["meeting", "call", "message", "home_visit"]
    note: str = Field("", max_length=2000)


class ContactOut(Schema):
    id: int
    case_id: int
    date: date
    type: str
    note: str


class FactOut(Schema):
    id: int
    statement: str
    person_id: int | None
    person_alias: str | None
    from_organisation: str
    legal_ground: str
    purpose: str
    decided_at: datetime
    expires_at: datetime | None


class FactPage(Schema):
    items: list[FactOut]
    count: int


def _person(user, person_id):
    return visible_record(user, Person, person_id) if person_id is not None else None


@router.get("/cases", auth=scoped(scopes.READ_SUPPORT), response={200: list[SupportCaseOut], **ERRORS})
@paginate(LoggedPagination)
def list_support_cases(request, status: str = "", route: str = "", overdue: bool = False):
    """The caller's organisation's cases (empty for everyone outside social services)."""
    return selectors.cases_for(request.user, status=status[:20], route=route[:20], overdue=overdue).order_by(
        "pk"
    )


@router.get("/cases/{pk}", auth=scoped(scopes.READ_SUPPORT), response={200: SupportCaseDetailOut, **ERRORS})
def get_support_case(request, pk: str):
    return read_record(request.user, SupportCase, pk, via=AccessLog.Action.API)


@router.post("/cases", auth=scoped(scopes.WRITE_SUPPORT), response={201: SupportCaseOut, **ERRORS})
def create_support_case(request, payload: SupportCaseIn):
    data = payload.dict(exclude_unset=True)
    person_id = data.pop("person_id", None)
    with transaction.atomic():
        data["person"] = _person(request.user, person_id)
        return Status(201, services.open_case(request.user, data))


@router.patch(
    "/cases/{pk}", auth=scoped(scopes.WRITE_SUPPORT), response={200: SupportCaseOut, 409: ErrorOut, **ERRORS}
)
def patch_support_case(request, pk: str, payload: SupportCasePatch):
    case = read_record(request.user, SupportCase, pk, via=AccessLog.Action.API)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "person_id" in changes:
        changes["person"] = _person(request.user, changes.pop("person_id"))
    return services.update_case(request.user, case, changes, version)


@router.post(
    "/cases/{pk}/close",
    auth=scoped(scopes.WRITE_SUPPORT),
    response={200: SupportCaseOut, 409: ErrorOut, **ERRORS},
)
def close_support_case(request, pk: str, payload: CloseIn):
    case = read_record(request.user, SupportCase, pk, via=AccessLog.Action.API)
    return services.close_case(
        request.user, case, payload.outcome, payload.closed_on, payload.closing_reason, payload.version
    )


@router.post("/cases/{pk}/contacts", auth=scoped(scopes.WRITE_SUPPORT), response={201: ContactOut, **ERRORS})
def add_support_contact(request, pk: str, payload: ContactIn):
    case = visible_record(request.user, SupportCase, pk)
    return Status(201, services.log_contact(request.user, case, payload.dict()))


@router.get("/facts", auth=scoped(scopes.READ_SUPPORT), response={200: FactPage, **ERRORS})
def list_support_facts(
    request, limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)
):
    """Facts disclosed to the caller's organisation (statement only), each one logged as read."""
    facts = selectors.facts_received(request.user).order_by("-decided_at", "-pk")
    count = facts.count()
    shown = selectors.present_facts(request.user, facts[offset : offset + limit], via=AccessLog.Action.API)
    return {"items": [fact.__dict__ for fact in shown], "count": count}
