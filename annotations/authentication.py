"""`Authorization: Bearer <token>` for tools; the browser keeps its session (with CSRF).

Only the SHA-256 of a token is stored, so a token is found by hashing what the client sent; revoked
and expired tokens are not found at all. `last_used_at` is written at most once a minute per token, so
a busy tool does not turn every read into a write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from annotations import throttling
from annotations.formats import sql
from annotations.models import ApiToken, User

LAST_USED_RESOLUTION = timedelta(minutes=1)

_TOKEN_FIELDS = [field.attname for field in ApiToken._meta.concrete_fields]
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
# `ApiToken.objects.active()` with its (active) user, and the request counted against the rate limits
# of the token and of the user (throttling.py) in the same statement: every API request runs it, and
# this way it costs one round trip, prepared (compiling the ORM query cost several times what running
# it does). No caching: a revoked token stops working at once.
_FIND_AND_COUNT = (
    "WITH found AS (SELECT "
    + ", ".join([f't."{name}" AS "t_{name}"' for name in _TOKEN_FIELDS])
    + ", "
    + ", ".join([f'u."{name}" AS "u_{name}"' for name in _USER_FIELDS])
    + f" FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id"
    " WHERE t.key_hash = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %s)"
    " AND u.is_active),"
    f" counted AS (INSERT INTO {throttling.TABLE} AS w (key, window_start, hits)"
    " SELECT k.key, k.window_start, 1 FROM found CROSS JOIN LATERAL"
    " (VALUES ('token:' || found.t_id, %s::timestamptz), ('user:' || found.u_id, %s::timestamptz))"
    " AS k(key, window_start) WHERE k.window_start IS NOT NULL"
    f" {throttling.COUNT_HITS})"
    " SELECT found.*, ARRAY(SELECT key FROM counted), ARRAY(SELECT hits FROM counted) FROM found"
)


def find_active_token(key_hash: str, now: datetime) -> ApiToken | None:
    """The active token with this hash, its user loaded, the request counted: one statement."""
    moment = now.timestamp()
    starts = [
        datetime.fromtimestamp(throttling.window_start(moment, limit[1]), UTC) if limit else None
        for limit in (throttling.rate("token"), throttling.rate("user"))
    ]
    rows = sql.fetch(_FIND_AND_COUNT, [key_hash, now, *starts])
    if not rows:
        return None
    found = rows[0]
    split, end = len(_TOKEN_FIELDS), len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    token = ApiToken.from_db(connection.alias, _TOKEN_FIELDS, found[:split])
    token.user = User.from_db(connection.alias, _USER_FIELDS, found[split:end])
    token.rate_count = (moment, dict(zip(found[end], found[end + 1], strict=True)))
    return token


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("the Authorization header must be `Bearer <token>`")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("the token is not valid") from None
        now = timezone.now()
        token = find_active_token(ApiToken.hash(raw), now)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("the token is not valid, has expired or was revoked")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the bearer token in the OpenAPI schema (Swagger UI's "Authorize" button)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An API token from the API tokens page."}
