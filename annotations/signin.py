"""Sign-in defences, on django-axes: what counts, by what it locks out, and what a locked-out client hears.

django-axes counts every failed `authenticate()` (the sign-in page and the admin's) in the database, so
every app process shares the count. The API's bearer tokens never go through `authenticate()`: the token
check reports its failures here (`token_failed`) and asks `token_locked_out` before looking a token up.

A failure with a username counts against that account (from any address) and against the address; a
failure without one (a wrong token) only against the address, since it names no account: counting it
against "no username" would let one client lock every token holder out.
"""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from annotations.failures import error_body

MESSAGE = (
    "Too many failed sign-ins for this account or from this address. Try again in {minutes}, or ask an "
    "admin to unlock it."
)


def lockout_parameters(request: Any, credentials: dict[str, Any] | None = None) -> list[str]:
    """AXES_LOCKOUT_PARAMETERS: by account and by address, or by address alone for a nameless attempt."""
    if credentials and credentials.get("username"):
        return ["username", "ip_address"]
    return ["ip_address"]


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind TRUSTED_PROXIES proxies the address the first of
    them appended to X-Forwarded-For (entries further left are whatever the client chose to send)."""
    proxies: int = settings.TRUSTED_PROXIES
    if proxies > 0:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [part.strip() for part in header.split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    address: str | None = request.META.get("REMOTE_ADDR")
    return address


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600


def message(request: HttpRequest | None = None) -> str:
    minutes = math.ceil(retry_after_seconds(request) / 60)
    return MESSAGE.format(minutes=f"{minutes} minute{'s' if minutes != 1 else ''}")


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; the API's error shape under /api/, a page elsewhere."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(429, "locked_out", message(request)), status=429)
    else:
        response = TemplateResponse(
            request, "registration/locked_out.html", {"message": message(request)}, status=429
        ).render()
    response["Retry-After"] = str(retry_after_seconds(request))
    return response


def token_locked_out(request: HttpRequest) -> bool:
    """Whether this address is locked out of the token check (asked before a token is looked up)."""
    return bool(getattr(settings, "AXES_ENABLED", True)) and AxesProxyHandler.is_locked(request, {})


def token_failed(request: HttpRequest) -> None:
    """Count a bearer token the API did not know as a failed sign-in from this address."""
    user_login_failed.send(sender=__name__, credentials={}, request=request)
