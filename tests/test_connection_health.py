"""The health check of a kept database connection (newsroom/postgresql/base.py).

A connection the server ended must be replaced before a request uses it; a healthy one must be
recognised without a round trip, which was a tenth of a short API request.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection

from annotations.models import Tag


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.1)  # the server's goodbye reaches the socket


@pytest.mark.django_db(transaction=True)
def test_a_healthy_connection_is_usable_without_a_query(monkeypatch: pytest.MonkeyPatch) -> None:
    _backend_pid()

    def no_query(*args: object, **kwargs: object) -> None:
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(connection.connection, "cursor", no_query)
    assert connection.is_usable()


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it() -> None:
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    old = _backend_pid()
    _terminate(old)
    assert not connection.is_usable()

    request_started.send(sender=None)  # as a request begins: Django will check before the first query
    # The request's first query succeeds (it would raise on the ended connection), on a new one.
    assert Tag.objects.filter(slug="statistic").exists()
    assert _backend_pid() != old


@pytest.mark.django_db(transaction=True)
def test_a_connection_with_a_message_pending_gets_the_full_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # A notification waiting on a live connection is not a failure: the full check runs and keeps it.
    with connection.cursor() as cursor:
        cursor.execute("LISTEN newsroom_health")
    pid = _backend_pid()
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("NOTIFY newsroom_health")
    time.sleep(0.1)
    checks: list[str] = []
    cursor = connection.connection.cursor

    def counted_cursor(*args: object, **kwargs: object) -> object:
        checks.append("cursor")
        return cursor(*args, **kwargs)

    monkeypatch.setattr(connection.connection, "cursor", counted_cursor)
    assert connection.is_usable()
    assert checks, "the full check did not run"
    monkeypatch.undo()
    assert _backend_pid() == pid
