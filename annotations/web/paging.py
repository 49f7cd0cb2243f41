"""Pages of the HTML lists that cost the same at a thousand rows or a million.

Django's Paginator counts every matching row (`COUNT(*)`) on every page: 100 ms and more over a million
claims, and a whole scan when a filter matches most of them. Here the count stops at `count_limit`: below it
the list says exactly how many and numbers its pages as usual; above it the list says "more than 1,000" and
each page only asks whether a next one exists (it fetches one row more than it shows), so paging on costs
the same on page 2 as on page 200, and nothing ever counts a million rows.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator

if TYPE_CHECKING:
    from django.db.models import QuerySet


class BoundedPage(Page):  # type: ignore[type-arg]
    more = False  # set by BoundedPaginator.page when it could not count to the end

    def has_next(self) -> bool:
        paginator = self.paginator
        if isinstance(paginator, BoundedPaginator) and not paginator.count_is_exact:
            return self.more
        return super().has_next()


class BoundedPaginator(Paginator):  # type: ignore[type-arg]
    count_limit = 1000

    @cached_property
    def counted(self) -> int:
        """Matching rows, counted up to one past the limit, unordered (the order changes no count, and
        PostgreSQL stops as soon as it has found enough)."""
        rows = cast("QuerySet[Any]", self.object_list).order_by().values("pk")
        return rows[: self.count_limit + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.count_limit)

    @property
    def count_is_exact(self) -> bool:
        return self.counted <= self.count_limit

    def validate_number(self, number: Any) -> int:
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return int(number)

    def page(self, number: Any) -> BoundedPage:
        number = self.validate_number(number)
        if self.count_is_exact:
            return super().page(number)  # type: ignore[return-value]
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        page = BoundedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def get_page(self, number: Any) -> BoundedPage:
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages if self.count_is_exact else 1)

    def _get_page(self, *args: Any, **kwargs: Any) -> BoundedPage:
        return BoundedPage(*args, **kwargs)


def page_of(object_list: Any, per_page: int, number: Any) -> BoundedPage:
    """The page `number` as the query string gives it: anything not a page is the first (or last) one."""
    return BoundedPaginator(object_list, per_page).get_page(number)
