"""Who may call what in the API: the permission table (`roles.py`) applied to viewsets' actions."""

from __future__ import annotations

from typing import Any

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
