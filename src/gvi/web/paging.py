"""One page of a list: `settings.GVI_PAGE_SIZE` rows, the page number in `?sida=`, the count capped
(gvi.paging: "över 10 000")."""

from django.conf import settings

from gvi.paging import capped_page


def page_of(request, queryset, per_page: int | None = None):
    return capped_page(request, queryset, per_page or settings.GVI_PAGE_SIZE)
