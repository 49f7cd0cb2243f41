"""`Authorization: Bearer <token>` for tools; the browser keeps its session (with CSRF).

Only the SHA-256 of a token is stored, so a token is found by hashing what the client sent; revoked
and expired tokens are not found at all. `last_used_at` is written at most once a minute per token, so
a busy tool does not turn every read into a write.

A token found is remembered in the default cache for `API_TOKEN_CACHE_SECONDS` (5 by default), so that
a tool's next requests skip the lookup: it was a round trip on every request, a tenth of a short one.
Expiry is still checked on every request. Revoking a token, deactivating a user or changing a role
forgets what is remembered (`models.forget`, called where our code does those), so it applies at once
where the cache is shared, and within those seconds in processes with a cache of their own. 0 turns
the memory off. Rate limits are counted apart, by `throttling.py`.

A token not found counts as a failed sign-in from the client's address (annotations/signin.py): after
LOGIN_FAILURE_LIMIT of them the address is locked out (429) of every lookup until the cool-off ends, so
guessing tokens slows to a few per quarter hour. A remembered token skips that check along with the lookup.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from annotations import signin
from annotations.models import ApiToken, User

LAST_USED_RESOLUTION = timedelta(minutes=1)


class LockedOut(exceptions.APIException):
    """Too many failed sign-ins from this address (annotations/signin.py); `wait` becomes Retry-After."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = "too many failed sign-ins from this address: try again later"

    def __init__(self, detail: str | None = None, wait: int | None = None) -> None:
        super().__init__(detail)
        self.wait = wait


def find_active_token(key_hash: str) -> ApiToken | None:
    """The active token with this hash, with its user, if the user is active."""
    return (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=key_hash, user__is_active=True)
        .first()
    )


def _expired(token: ApiToken, now: datetime) -> bool:
    return token.expires_at is not None and token.expires_at <= now


class BearerTokenAuthentication(BaseAuthentication):
    """DRF's `TokenAuthentication`, with the `Bearer` keyword, hashed tokens and a short memory."""

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
        return self.authenticate_credentials(raw, request._request)

    def authenticate_credentials(self, raw: str, request: HttpRequest) -> tuple[User, ApiToken]:
        now = timezone.now()
        key_hash = ApiToken.hash(raw)
        cache, cache_key = caches["default"], ApiToken.cache_key(key_hash)
        seconds = settings.API_TOKEN_CACHE_SECONDS
        remembered: tuple[float, ApiToken] | None = cache.get(cache_key) if seconds > 0 else None
        if remembered is not None and _expired(remembered[1], now):
            cache.delete(cache_key)
            remembered = None
        if remembered is None:
            if signin.token_locked_out(request):
                raise LockedOut(signin.message(request), wait=signin.retry_after_seconds(request))
            token = find_active_token(key_hash)
            if token is None:
                # The failure that reaches the limit is answered as the lockout by axes' middleware.
                signin.token_failed(request)
                raise exceptions.AuthenticationFailed("the token is not valid, has expired or was revoked")
            self._mark_used(token, now)
            if seconds > 0:
                self._remember(cache_key, time.time(), token, seconds)
        else:
            found_at, token = remembered
            if self._mark_used(token, now):
                self._remember(cache_key, found_at, token, seconds)  # the new last_used_at
        return token.user, token

    @staticmethod
    def _mark_used(token: ApiToken, now: datetime) -> bool:
        """Write `last_used_at` if the last write was a minute ago or more; whether it was written."""
        if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
            return False
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        return True

    @staticmethod
    def _remember(cache_key: str, found_at: float, token: ApiToken, seconds: int) -> None:
        left = seconds - (time.time() - found_at)  # remembered as long as when first found, no longer
        if left > 0:
            caches["default"].set(cache_key, (found_at, token), left)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the bearer token in the OpenAPI schema (Swagger UI's "Authorize" button)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An API token from the API tokens page."}
