"""Keyset ("cursor") pagination: every page costs the same, and a sync sees each unchanged row once.

Lists are ordered by `id`, or by `(updated_at, id)` when the client filters on `updated_since` (a sync).
The cursor is the sort key of the last row served, and the next page is `WHERE (key) > (cursor)`.
Unlike DRF's CursorPagination (position plus an offset among equal timestamps) nothing is skipped when
rows sharing a timestamp change between two pages; a claim changed during a sync moves past the
cursor and is served again, with its new version, on a later page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from annotations import db
from annotations.db import Row
from annotations.models import visibility_sql

SYNC_PARAM = "updated_since"


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 100
    max_page_size = 1_000

    def __init__(self) -> None:
        self.next_url: str | None = None

    def ordering(self, request: Request, queryset: QuerySet[Any]) -> tuple[str, ...]:
        syncing = SYNC_PARAM in request.query_params and hasattr(queryset.model, "updated_at")
        return ("updated_at", "id") if syncing else ("id",)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"must be a whole number from 1 to {self.max_page_size}"]}
            )
        return size

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        """One page of `queryset` (model or `.values()` rows), ordered by the keyset; sets `next_url`."""
        keys = self.ordering(request, queryset)
        size = self.get_page_size(request)
        queryset = queryset.order_by(*keys)
        if (raw := request.query_params.get(self.cursor_query_param)) is not None:
            queryset = queryset.filter(_after(keys, _decode(raw, keys)))
        return self._page(request, list(queryset[: size + 1]), size, keys)

    def paginate_sql(self, request: Request, where: list[str], params: list[Any]) -> list[Row]:
        """One page of the claim rows `visible_to` the user, by id, with their tags and sources, from
        `db.claims_with_related` (`where`: conditions ANDed); sets `next_url`.

        The same keyset as `paginate_queryset` for an unsynced list, without building a queryset.
        """
        size = self.get_page_size(request)
        visible, visible_params = visibility_sql(request.user)
        where, params = [*where, visible], [*params, *visible_params]
        if (raw := request.query_params.get(self.cursor_query_param)) is not None:
            where, params = [*where, "c.id > %s"], [*params, _decode(raw, ("id",))[0]]
        rows = db.claims_with_related(" AND ".join(where), [*params, size + 1], "ORDER BY c.id LIMIT %s")
        return self._page(request, rows, size, ("id",))

    def _page(self, request: Request, rows: list[Any], size: int, keys: tuple[str, ...]) -> list[Any]:
        page, more = rows[:size], len(rows) > size
        self.next_url = None
        if more:
            cursor = _encode([_value(page[-1], key) for key in keys])
            self.next_url = replace_query_param(request.build_absolute_uri(), self.cursor_query_param, cursor)
        return page

    def get_paginated_response(self, data: Any) -> Response:
        headers = {"Link": f'<{self.next_url}>; rel="next"'} if self.next_url else None
        return Response({"next": self.next_url, "results": data}, headers=headers)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last one. Also in the `Link` header.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque position from a `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def _value(row: Any, key: str) -> Any:
    value = row[key] if isinstance(row, dict) else getattr(row, key)
    return value.isoformat() if isinstance(value, datetime) else value


def _encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode("ascii").rstrip("=")


def _decode(raw: str, keys: tuple[str, ...]) -> list[Any]:
    invalid = ValidationError({"cursor": ["not a cursor from this list: follow the `next` link as given"]})
    try:
        values = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise invalid from None
    if not isinstance(values, list) or len(values) != len(keys):
        raise invalid
    decoded: list[Any] = []
    for key, value in zip(keys, values, strict=True):
        if key == "id" and isinstance(value, int) and not isinstance(value, bool):
            decoded.append(value)
        elif key != "id" and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise invalid from None
            if moment.tzinfo is None:
                raise invalid
            decoded.append(moment)
        else:
            raise invalid
    return decoded


def _after(keys: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order of `keys`: (a > x) or (a = x and b > y).

    The redundant `a >= x` lets PostgreSQL start its index range scan at the cursor rather than filter
    from the start of the index, so the last page of a big sync is as fast as the first.
    """
    if len(keys) == 1:
        return Q(**{f"{keys[0]}__gt": values[0]})
    first, rest = keys[0], keys[1:]
    return Q(**{f"{first}__gte": values[0]}) & (
        Q(**{f"{first}__gt": values[0]}) | (Q(**{first: values[0]}) & _after(rest, values[1:]))
    )
