"""Who may do what: the one permission table (no Django import, so it can be read and tested alone).

Every view, API endpoint and service asks `can(role, action)`; nothing else decides permissions.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    RESEARCHER = "researcher"
    ADMIN = "admin"


class Action(StrEnum):
    VIEW = "view"  # read articles, claims, sources, tags and history
    IMPORT_ARTICLE = "import_article"  # add an article or a new revision of one
    CREATE_CLAIM = "create_claim"
    EDIT_CLAIM = "edit_claim"  # quote, note, tags, sources, re-anchoring
    DELETE_CLAIM = "delete_claim"
    SUBMIT_FOR_REVIEW = "submit_for_review"  # draft <-> in review
    REVIEW_CLAIM = "review_claim"  # set a verdict, mark reviewed
    EDIT_SOURCE = "edit_source"  # create and correct sources
    MANAGE_TAGS = "manage_tags"  # the controlled vocabulary
    USE_API_TOKENS = "use_api_tokens"


_EVERYONE = frozenset(Role)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW: _EVERYONE,
    Action.IMPORT_ARTICLE: frozenset({Role.EDITOR, Role.ADMIN}),
    Action.CREATE_CLAIM: frozenset({Role.EDITOR, Role.ADMIN}),
    Action.EDIT_CLAIM: frozenset({Role.EDITOR, Role.ADMIN}),
    Action.DELETE_CLAIM: frozenset({Role.EDITOR, Role.ADMIN}),
    Action.SUBMIT_FOR_REVIEW: frozenset({Role.EDITOR, Role.REVIEWER, Role.ADMIN}),
    Action.REVIEW_CLAIM: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.EDIT_SOURCE: frozenset({Role.EDITOR, Role.REVIEWER, Role.ADMIN}),
    Action.MANAGE_TAGS: frozenset({Role.ADMIN}),
    Action.USE_API_TOKENS: _EVERYONE,
}


def can(role: Role | str | None, action: Action) -> bool:
    """Whether a user with `role` may do `action`; no role (anonymous, inactive) may do nothing."""
    if role is None:
        return False
    return Role(role) in PERMISSIONS[action]
