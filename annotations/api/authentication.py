"""`Authorization: Bearer <token>` for tools; the browser keeps its session (with CSRF).

Only the SHA-256 of a token is stored, so a token is found by hashing what the client sent; revoked
and expired tokens are not found at all. `last_used_at` is written at most once a minute per token, so
a busy tool does not turn every read into a write.

A token found is remembered by the process for `API_TOKEN_CACHE_SECONDS` (5 by default), so that a
tool's next requests skip the lookup: it was a round trip on every request, a tenth of a short one.
Expiry is still checked on every request, and saving or deleting any token or user empties the
process's memory at once, so revoking, deactivating or changing a role takes effect immediately in
the process that did it and within those seconds in the others. 0 turns the memory off.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from annotations import db
from annotations.api import throttling
from annotations.models import ApiToken, User

LAST_USED_RESOLUTION = timedelta(minutes=1)

_TOKEN_FIELDS = [field.attname for field in ApiToken._meta.concrete_fields]
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
# `ApiToken.objects.active()` with its (active) user, and the request counted against the rate limits
# of the token and of the user (throttling.py) in the same statement: every API request runs it, and
# this way it costs one round trip, prepared (compiling the ORM query cost several times what running
# it does).
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


def find_active_token(key_hash: str, now: datetime) -> tuple[ApiToken, throttling.Counted] | None:
    """The active token with this hash, its user loaded, and the request counted against the token's
    and the user's rate limits (the counts, as of `now`): one statement."""
    moment = now.timestamp()
    starts = [
        datetime.fromtimestamp(throttling.window_start(moment, limit[1]), UTC) if limit else None
        for limit in (throttling.rate("token"), throttling.rate("user"))
    ]
    rows = db.fetch(_FIND_AND_COUNT, [key_hash, now, *starts])
    if not rows:
        return None
    found = rows[0]
    split, end = len(_TOKEN_FIELDS), len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    token = ApiToken.from_db(connection.alias, _TOKEN_FIELDS, found[:split])
    token.user = User.from_db(connection.alias, _USER_FIELDS, found[split:end])
    return token, (moment, dict(zip(found[end], found[end + 1], strict=True)))


class RecentTokens:
    """The tokens this process found in the last `API_TOKEN_CACHE_SECONDS`, by hash (module docstring)."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[float, ApiToken]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str, now: datetime) -> ApiToken | None:
        entry = self._found.get(key_hash)
        if entry is None:
            return None
        found_at, token = entry
        if time.monotonic() - found_at >= settings.API_TOKEN_CACHE_SECONDS or not (
            token.expires_at is None or token.expires_at > now
        ):
            with self._lock:
                if self._found.get(key_hash) is entry:
                    del self._found[key_hash]
            return None
        return token

    def remember(self, key_hash: str, token: ApiToken) -> None:
        if settings.API_TOKEN_CACHE_SECONDS > 0:
            with self._lock:
                self._found[key_hash] = (time.monotonic(), token)

    def forget_all(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self._found.clear()


recent_tokens = RecentTokens()
# Any change to a token or a user (revoked, expired, deactivated, another role) drops what this process
# remembers; other processes see it when their memory of the token runs out.
for _model in (ApiToken, User):
    for _signal in (post_save, post_delete):
        _signal.connect(
            recent_tokens.forget_all, sender=_model, dispatch_uid=f"recent-tokens-{_model.__name__}"
        )


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
        key_hash = ApiToken.hash(raw)
        token = recent_tokens.get(key_hash, now)
        if token is None:
            if (found := find_active_token(key_hash, now)) is None:
                raise exceptions.AuthenticationFailed("the token is not valid, has expired or was revoked")
            token, counted = found
            throttling.counted_already(request, counted)  # so the throttle does not count it again
            recent_tokens.remember(key_hash, token)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            # (Remembered tokens are shared by the process's threads: at worst two write the same minute.)
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
