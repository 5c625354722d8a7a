"""Pagination for every API list: bounded, so a huge limit or offset is a 422, never a database overflow."""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from gvi.access.models import AccessLog

MAX_LIMIT = 500
MAX_OFFSET = 10**9


class BoundedPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class LoggedPagination(BoundedPagination):
    """For lists of person-level records: every record on the returned page gets its access-log row,
    as a detail read does."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        from gvi.access.selectors import logged_list

        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = logged_list(
            request.user, page[self.items_attribute], via=AccessLog.Action.API
        )
        return page
