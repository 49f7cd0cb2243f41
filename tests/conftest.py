"""Shared fixtures. Every test runs on real PostgreSQL (the embedded server, or DATABASE_URL)."""

from __future__ import annotations

from typing import Any

import pytest

from annotations.models import Tag, User
from annotations.roles import Role
from annotations.vocabulary import ensure_vocabulary
from tests.factories import ArticleFactory, UserFactory

pytest_plugins = ["tests.local_pages"]  # the local web server and the in-memory task queue


def pytest_configure(config):
    """Start the embedded PostgreSQL (unless DATABASE_URL names a server) before any test connects.

    pytest-django has read the settings already, without a DATABASE_URL (importing settings starts
    nothing), so the started server's address goes into them too. This process holds the server and
    stops it when the run ends.
    """
    from django.conf import settings

    from newsroom.database import connection_settings, start_embedded_unless_configured

    if url := start_embedded_unless_configured():
        database: Any = settings.DATABASES["default"]  # updated in place: Django's connections hold it
        database.update(connection_settings(url))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last, each group in pytest-randomly's order. Playwright's sync API leaves its event
    loop registered as running in the main thread for the rest of the session, and a test after it that
    is not a browser test goes wrong: asgiref's `async_to_sync` (procrastinate's synchronous `defer`)
    refuses to run, and Django keeps the thread's connections in a per-context store, so setting the loop
    aside for one test puts its transaction on one connection and its writes on another, committed."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_memory():
    """Each test starts as a fresh app process would: no token remembered (the cache emptied), no
    rate-limit hits reserved (their database rows are rolled back with the test), no matching index."""
    from django.core.cache import caches

    from annotations import matches
    from annotations.api.throttling import leases

    caches["default"].clear()
    leases.drop_all()
    matches.reset()


@pytest.fixture(autouse=True)
def _vocabulary(request):
    """The tag vocabulary a migration adds, back in place after a live-server test flushed it."""
    if {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    ) or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("transactional_db" if "live_server" in request.fixturenames else "db")
        ensure_vocabulary(Tag)


@pytest.fixture
def editor(db) -> User:
    return UserFactory.create(username="editor", role=Role.EDITOR)


@pytest.fixture
def colleague(db) -> User:
    return UserFactory.create(username="colleague", role=Role.EDITOR)


@pytest.fixture
def reviewer(db) -> User:
    return UserFactory.create(username="reviewer", role=Role.REVIEWER)


@pytest.fixture
def researcher(db) -> User:
    return UserFactory.create(username="researcher", role=Role.RESEARCHER)


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory.create(username="admin", role=Role.ADMIN, is_superuser=True, is_staff=True)


DEMO_TEXT = (
    "New York City has accepted around 160,000 asylum seekers since April 2022, forcing leaders to make "
    "substantial budget cuts. Former Mayor Bill de Blasio in 2014 signed into law a bill, and he enacted "
    "legislation in 2018 that doubled down on this policy."
)


@pytest.fixture
def article(db):
    return ArticleFactory.create(text=DEMO_TEXT)
