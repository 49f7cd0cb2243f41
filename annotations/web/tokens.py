"""The "API tokens" page: a signed-in user lists, creates and revokes their own tokens.

A new token's secret is shown once, in the response to the POST that created it; only its hash is
stored. Another user's token is a 404, as if it did not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from annotations.models import ApiToken, User
from annotations.roles import Action
from annotations.text import unstorable

MAX_EXPIRY_DAYS = 3650


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.may(Action.USE_API_TOKENS):
        raise PermissionDenied("your account may not use API tokens")
    return user


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context: dict[str, object] = {"errors": [], "new_token": None, "name": "", "expires_days": ""}
    status = 200
    if request.method == "POST":
        name = " ".join(request.POST.get("name", "").split())[:100]
        raw_days = request.POST.get("expires_days", "").strip()
        errors = []
        if not name:
            errors.append("Give the token a name, e.g. the tool that will use it.")
        elif reason := unstorable(name):
            errors.append(f"The name {reason}.")
        days: int | None = None
        if raw_days:
            try:
                days = int(raw_days)
            except ValueError:
                days = 0
            if not 1 <= days <= MAX_EXPIRY_DAYS:
                errors.append(f"Expiry must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or empty.")
        if errors:
            context.update(errors=errors, name=name, expires_days=raw_days)
            status = 400
        else:
            token, raw = ApiToken.issue(user, name=name, expires_in_days=days)
            context.update(new_token=raw, new_token_name=token.name)
            status = 201
    context["tokens"] = ApiToken.objects.filter(user=user).order_by("-created_at")
    response = TemplateResponse(request, "annotations/api_tokens.html", context, status=status)
    # The page may show a secret: never cache it anywhere.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def revoke_api_token(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    token = get_object_or_404(ApiToken, pk=pk, user=user)
    token.revoke()
    return redirect("api_tokens")
