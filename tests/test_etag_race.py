"""The same-ETag race: many writers read one claim's ETag and PATCH it with If-Match at the same moment.

Each writer is a thread with its own database connection, sending real requests through the WSGI stack
(django.test's client) with its own bearer token; the data is committed (`transactional_db`) so that every
connection sees it. Per round exactly one writer wins (200), every other one is told the claim changed
(412), the claim then reads exactly as the winner's response said, and its history gained one event.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections
from rest_framework.test import APIClient

from annotations.models import ApiToken, history_of
from annotations.roles import Role
from tests.api.helpers import client_for, make_claim
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, UserFactory

WRITERS = 20
ROUNDS = 5
WAIT_SECONDS = 15  # for the writers to line up, and to finish: a hang fails the test, it does not stall it


def test_of_writers_with_the_same_etag_exactly_one_wins_each_round(transactional_db: None) -> None:
    author = UserFactory.create(username="race-author", role=Role.EDITOR)
    writers = [UserFactory.create(username=f"race-writer-{n}", role=Role.EDITOR) for n in range(WRITERS)]
    tokens = [ApiToken.issue(writer, name="race")[1] for writer in writers]
    claim = make_claim(ArticleFactory.create(text=DEMO_TEXT), author)
    url = f"/api/v1/claims/{claim.pk}/"
    reader = client_for(author)

    for round_number in range(ROUNDS):
        before = reader.get(url)
        assert before.status_code == 200
        events_before = history_of(claim).count()
        seen, answers = _race(url, tokens, f"round {round_number}")
        failures = [answer for answer in answers if not isinstance(answer, tuple)]
        assert not failures, failures
        assert set(seen) == {before["ETag"]}, "the writers did not all read the same ETag"

        results = [answer for answer in answers if isinstance(answer, tuple)]
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [200] + [412] * (WRITERS - 1), f"round {round_number}: {statuses}"
        assert all(body["error"]["status"] == 412 for status, body, _ in results if status == 412)
        winner = next(n for n, (status, _, _) in enumerate(results) if status == 200)
        _, won, won_etag = results[winner]

        after = reader.get(url)
        assert after.json() == won, "the claim is not what the winner was told"
        assert after["ETag"] == won_etag != before["ETag"]
        assert won["note"] == f"round {round_number}, writer {winner}"
        assert won["version"] == before.json()["version"] + 1

        events = list(history_of(claim))
        assert len(events) == events_before + 1, "one write, one history event"
        newest = events[0]
        assert newest.pgh_diff["note"][1] == won["note"]
        assert newest.pgh_context["user"] == writers[winner].pk


Answer = tuple[int, Any, str | None] | BaseException | None


def _race(url: str, tokens: list[str], label: str) -> tuple[list[str | None], list[Answer]]:
    """Every token's writer reads the claim, waits for the others, then PATCHes it with the ETag it read;
    what each read and what each was answered (or the exception it met)."""
    line_up = threading.Barrier(len(tokens), timeout=WAIT_SECONDS)
    seen: list[str | None] = [None] * len(tokens)
    answers: list[Answer] = [None] * len(tokens)

    def write(n: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[n]}")
            seen[n] = client.get(url)["ETag"]  # each writer reads the claim itself
            line_up.wait()
            response = client.patch(
                url, {"note": f"{label}, writer {n}"}, format="json", HTTP_IF_MATCH=seen[n]
            )
            answers[n] = (response.status_code, response.json(), response.get("ETag"))
        except BaseException as error:  # reported by the main thread
            answers[n] = error
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a writer did not finish"
    return seen, answers
