"""Who may call what in the API: the permission table (`roles.py`) applied to viewsets' actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from annotations.models import may
from annotations.roles import Action


class RolePermission(BasePermission):
    """Reading needs a role; a write needs one of the actions the viewset names for it (`write_actions`)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return may(request.user, Action.VIEW)
        needed: tuple[Action, ...] = getattr(view, "write_actions", {}).get(getattr(view, "action", None), ())
        return any(may(request.user, needed_action) for needed_action in needed)


class MethodBeforeIdentity:
    """A method the endpoint does not have is 405 for everyone, before who asks is checked.

    DRF authenticates and checks permissions first, so a DELETE on a list answered 401 to a stranger and
    403 to a researcher: neither is true (nobody may, because the endpoint has no DELETE), and the 403
    told a client its role was the problem. Mixed in ahead of DRF's views (`initial` is theirs)."""

    http_method_names: Sequence[str]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method or "")
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
