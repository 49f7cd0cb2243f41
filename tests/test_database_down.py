"""The database goes away (issue 12, finding 4): every request answers 503 with Retry-After in the error
shape (the API's JSON, a page for HTML), /healthz says what is down, and service resumes by itself.

The app reaches PostgreSQL through a TCP relay on loopback for these tests; closing the relay (and the
connections it carries) is, as far as the app can tell, the server stopping: connections are cut and new
ones refused. Opening it again is the server coming back.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from annotations.models import ApiToken
from tests.factories import ArticleFactory
from tests.processes import free_port


class Relay:
    """Forwards 127.0.0.1:port to the database server while it is up."""

    def __init__(self, target: str | tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def up(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self._listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone leaves the port listening
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the server is down
            if isinstance(self.target, str):  # the server's Unix socket
                server = socket.socket(socket.AF_UNIX)
                server.connect(self.target)
            else:
                server = socket.create_connection(self.target)
            self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(transactional_db) -> Iterator[Relay]:
    settings = connection.settings_dict
    saved = {key: settings[key] for key in ("HOST", "PORT", "OPTIONS")}
    options = dict(settings["OPTIONS"])
    host = options.pop("host", None) or settings["HOST"] or "127.0.0.1"
    port = int(settings["PORT"] or 5432)
    # The embedded server listens on a Unix socket in its data folder; DATABASE_URL may name a TCP one.
    relay = Relay(f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port))
    relay.up()
    connection.close()
    settings.update(HOST="127.0.0.1", PORT=str(relay.port), OPTIONS=options)
    try:
        yield relay
    finally:
        relay.down()
        connection.close()
        settings.update(saved)


def test_with_the_database_down_every_request_answers_503_and_service_resumes(relay, editor):
    article = ArticleFactory.create()
    _, raw = ApiToken.issue(editor, name="sync")
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
    pages = Client(raise_request_exception=False)
    pages.force_login(editor)
    requests = [
        (api, "get", "/api/v1/claims/", None),
        (api, "get", f"/api/v1/articles/{article.pk}/", None),
        (api, "post", "/api/v1/claims/", {"article": article.pk, "revision": 1, "start": 0, "end": 4}),
        (pages, "get", "/", None),
        (pages, "get", f"/articles/{article.pk}/", None),
        (pages, "get", "/claims/?q=asylum", None),
        (pages, "post", f"/articles/{article.pk}/claims/", {"start": 0, "end": 4, "revision": 1}),
    ]

    def send(client: Client, method: str, path: str, body: dict[str, int] | None) -> Any:
        # What Django's handler does around every request, and its test client leaves out so that a test's
        # connection survives: drop a connection that failed and is no longer usable.
        close_old_connections()
        if method == "get":
            return client.get(path)
        if path.startswith("/api/"):
            return client.post(path, body, content_type="application/json")
        return client.post(path, body)

    def statuses() -> list[int]:
        return [send(*request).status_code for request in requests]

    assert client_ok(statuses())

    relay.down()
    for client, method, path, body in requests:
        response = send(client, method, path, body)
        assert response.status_code == 503, path
        assert response["Retry-After"] == "5"
        if path.startswith("/api/"):
            assert response.json()["error"]["code"] == "unavailable"
            assert "database" in response.json()["error"]["message"]
        else:
            assert "The database is not answering" in response.content.decode()
    health = Client().get("/healthz")
    assert health.status_code == 503
    assert health["Retry-After"] == "5"
    assert health.json()["status"] == "down"
    assert health.json()["database"] == "down"

    relay.up()
    assert client_ok(statuses())  # without a restart: each request replaced the failed connection
    assert Client().get("/healthz").json()["database"] == "ok"


def client_ok(statuses: list[int]) -> bool:
    # Whether a POST's claim is accepted does not matter here: that the database answered does.
    return all(status < 500 for status in statuses)
