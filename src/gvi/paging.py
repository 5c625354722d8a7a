"""Pagination that never counts a whole table: at most `COUNT_CAP` rows are counted, so a list over
100,000 incidents costs one bounded count (`SELECT COUNT(*) FROM (... LIMIT 10001)`) per request, and
the page says "över 10 000" instead of the exact number. Pages beyond the cap are reached by narrowing
the filters (the page says so)."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        objects = self.object_list
        if hasattr(objects, "count") and callable(objects.count) and hasattr(objects, "query"):
            return objects[: self.cap + 1].count()
        return len(objects)

    @property
    def capped(self) -> bool:
        """More rows than `cap`: `count` is the cap, and the true number is not known."""
        return self._counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)


def capped_page(request, queryset, per_page: int):
    return CappedPaginator(queryset, per_page).get_page(request.GET.get("sida"))
