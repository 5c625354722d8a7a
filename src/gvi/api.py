"""The JSON API (OpenAPI schema at /api/v1/openapi.json). Same `visible_to` scoping as the pages."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer, django_auth

from gvi.access.models import AccessLog, ApiToken
from gvi.access.selectors import read_record
from gvi.access.services import EditConflict
from gvi.groups.models import Group, Person
from gvi.groups.services import update_person
from gvi.incidents.models import Incident


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash_token(token), user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        request.api_token_user = True
        return found.user


api = NinjaAPI(
    title="GVI API",
    version="1",
    description="Programmatic access to the GVI platform. Every call is scoped to what the caller may see.",
    auth=[BearerToken(), django_auth],
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


class PersonPatch(Schema):
    version: int
    alias: str | None = None
    birth_year: int | None = None
    age_band: str | None = None
    is_minor: bool | None = None
    is_suspected_perpetrator: bool | None = None
    is_victim: bool | None = None
    is_at_risk: bool | None = None
    review_date: date | None = None
    notes: str | None = None


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
    area: str
    dead: int
    injured: int
    status: str


class ErrorOut(Schema):
    detail: object


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@api.get("/me", response=MeOut, tags=["konto"])
def me(request):
    memberships = request.user.memberships.active().select_related("organisation", "site")
    return {
        "username": request.user.get_username(),
        "memberships": [
            {"organisation": m.organisation.name, "site": m.site.name if m.site else None, "role": m.role}
            for m in memberships
        ],
    }


@api.get("/persons", response=list[PersonOut], tags=["kartläggning"])
@paginate(LimitOffsetPagination)
def list_persons(request):
    return Person.objects.visible_to(request.user).order_by("pk")


@api.get("/persons/{pk}", response={200: PersonOut, **ERRORS}, tags=["kartläggning"])
def get_person(request, pk: str):
    return read_record(request.user, Person, pk, via=AccessLog.Action.API)


@api.patch("/persons/{pk}", response={200: PersonOut, 409: ErrorOut, **ERRORS}, tags=["kartläggning"])
def patch_person(request, pk: str, payload: PersonPatch):
    person = read_record(request.user, Person, pk, via=AccessLog.Action.API)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return update_person(request.user, person, changes, version)


@api.get("/groups", response=list[GroupOut], tags=["kartläggning"])
@paginate(LimitOffsetPagination)
def list_groups(request):
    return Group.objects.visible_to(request.user).order_by("pk")


@api.get("/groups/{pk}", response={200: GroupOut, **ERRORS}, tags=["kartläggning"])
def get_group(request, pk: str):
    return read_record(request.user, Group, pk, via=AccessLog.Action.API)


@api.get("/incidents", response=list[IncidentOut], tags=["incidenter"])
@paginate(LimitOffsetPagination)
def list_incidents(request):
    return Incident.objects.visible_to(request.user).order_by("-occurred_at", "pk")


@api.get("/incidents/{pk}", response={200: IncidentOut, **ERRORS}, tags=["incidenter"])
def get_incident(request, pk: str):
    return read_record(request.user, Incident, pk, via=AccessLog.Action.API)
