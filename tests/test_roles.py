"""The permission table, as a matrix: every role against every action."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from annotations.models import may
from annotations.roles import PERMISSIONS, Action, Role, can

E, R, S, A = Role.EDITOR, Role.REVIEWER, Role.RESEARCHER, Role.ADMIN

EXPECTED = {
    Action.VIEW: {E, R, S, A},
    Action.IMPORT_ARTICLE: {E, A},
    Action.CREATE_CLAIM: {E, A},
    Action.EDIT_CLAIM: {E, A},
    Action.DELETE_CLAIM: {E, A},
    Action.SUBMIT_FOR_REVIEW: {E, R, A},
    Action.REVIEW_CLAIM: {R, A},
    Action.EDIT_SOURCE: {E, R, A},
    Action.MANAGE_TAGS: {A},
    Action.USE_API_TOKENS: {E, R, S, A},
}


def test_every_action_is_in_the_table():
    assert set(PERMISSIONS) == set(Action) == set(EXPECTED)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_the_permission_matrix(role, action):
    assert can(role, action) == (role in EXPECTED[action])


def test_a_researcher_can_only_read():
    assert [action for action in Action if can(Role.RESEARCHER, action)] == [
        Action.VIEW,
        Action.USE_API_TOKENS,
    ]


def test_nobody_without_a_role_can_do_anything():
    assert not any(can(None, action) for action in Action)
    assert not any(may(AnonymousUser(), action) for action in Action)


@pytest.mark.django_db
def test_an_inactive_user_can_do_nothing(editor):
    editor.is_active = False
    assert not any(editor.may(action) for action in Action)


@pytest.mark.django_db
def test_a_superuser_acts_as_an_admin_whatever_the_role_field_says(researcher):
    researcher.is_superuser = True
    assert researcher.effective_role is Role.ADMIN
    assert researcher.may(Action.MANAGE_TAGS)


@pytest.mark.django_db
def test_an_unknown_role_in_the_database_grants_nothing(editor):
    editor.role = "intern"
    assert editor.effective_role is None
    assert not any(editor.may(action) for action in Action)
