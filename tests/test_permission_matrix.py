"""The permission matrix over both interfaces: every role against every endpoint of the two URLconfs.

`annotations.roles.can(role, action)` is the one table; this suite asks the HTML views and the API (with a
real bearer token) for every endpoint as every role, and holds each answer to the table:

- allowed: the endpoint's success status, and a write changed the database;
- forbidden: 403 (API and pages), and nothing in the database changed (every app table compared);
- anonymous: 401 with `WWW-Authenticate: Bearer` from the API, a redirect to the login page from a page;
- inactive (signed in, or given a token, then deactivated): as anonymous, 401 / the login page;
- a role the table does not know (`intern`, edited in by hand): may do nothing. The pages apply the
  project's rule for objects ("404 for the rest, never 403", `web/access.py`; DESIGN.md names no status)
  and show empty lists; the API refuses every read and write with 403 before any lookup, so no id is
  told apart either.

Two things are not a plain "403": an import from a URL is seen by whoever asked for it and by admins only
(404 for anyone else, in both interfaces), and the page's claim form drops the fields a role may not set
(the form does not show them) instead of refusing them: 200, with nothing saved. See `_claim_form_refusal`.

`test_every_url_pattern_and_method_is_in_the_matrix` walks both URLconfs, so a new endpoint (or a new method
on an old one) fails until it is added here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, resolve
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.testing import InMemoryConnector
from rest_framework.test import APIClient

from annotations import services
from annotations.models import (
    ApiToken,
    ClaimFactCheck,
    FactCheck,
    PageWatch,
    Suggestion,
    Tag,
    UrlImport,
    User,
)
from annotations.roles import Action, Role, can
from annotations.vocabulary import ensure_vocabulary
from tests.api.helpers import etag_of, make_claim
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS, INACTIVE, UNKNOWN = "anonymous", "inactive", "unknown_role"
WHO = [ANONYMOUS, INACTIVE, UNKNOWN, *(role.value for role in Role)]
LOGIN = 302  # to the login page
HX = {"HTTP_HX_REQUEST": "true"}
NEW_QUOTE = "substantial budget cuts"  # free words of DEMO_TEXT: a new claim, a re-attach
IMPORT_URL = "http://93.184.215.14/story"  # a literal public address: the guard passes it without DNS
UNKNOWN_ROLE = "intern"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as conftest's, for the module's users


# --- The world the cases run in: made once for the module, each test's changes rolled back ------------


class World:
    """An article (with suggestions and a watch on its original), a claim with a source attached, another
    source, a reviewed claim, and for each kind of user: the user, a signed-in session, a bearer token, an
    import it asked for and a token of its own. Committed once (`world`); every test runs in its own
    transaction on top of it, so each starts from the same state."""

    def __init__(self) -> None:
        self.author = UserFactory.create(username="matrix-author", role=Role.EDITOR)
        self.users: dict[str, User] = {}
        for who in WHO[1:]:
            role = {INACTIVE: Role.EDITOR, UNKNOWN: UNKNOWN_ROLE}.get(who, who)
            admin = who == Role.ADMIN
            self.users[who] = UserFactory.create(
                username=f"matrix-{who}", role=role, is_superuser=admin, is_staff=admin
            )
        self.sessions = {who: _session_of(user) for who, user in self.users.items()}
        self.bearers = {who: ApiToken.issue(user, name="matrix")[1] for who, user in self.users.items()}
        self.own_imports = {
            who: UrlImport.objects.create(url=IMPORT_URL, requested_by=user)
            for who, user in self.users.items()
        }
        self.own_tokens = {who: ApiToken.issue(user, name="own")[0] for who, user in self.users.items()}
        self.others_import = UrlImport.objects.create(url=IMPORT_URL, requested_by=self.author)
        self.others_token = ApiToken.issue(self.author, name="someone else's")[0]
        self.article = ArticleFactory.create(text=DEMO_TEXT)
        self.source, self.other_source = SourceFactory.create(), SourceFactory.create()
        self.claim = make_claim(self.article, self.author, source=self.source)
        checker = UserFactory.create(username="matrix-checker", role=Role.REVIEWER)
        self.reviewed_claim = make_claim(
            self.article, self.author, "legislation in 2018", verdict="false", reviewer=checker
        )
        revision = self.article.current_revision
        assert revision is not None
        self.suggestion = next(
            s
            for s in Suggestion.objects.filter(article=self.article).shown_on(revision)
            if s.claim_id is None
        )
        # The same claim elsewhere (issue 13): a twin in another article, in one cluster with `claim`,
        # reviewed and with a source to share; a third article's claim to confirm or dismiss; two
        # published fact-checks, one confirmed for `claim`.
        self.twin = make_claim(
            ArticleFactory.create(text=DEMO_TEXT), self.author, verdict="false", reviewer=checker
        )
        self.twin = services.update_claim(
            claim=self.twin, by=checker, expected_version=self.twin.version, status="reviewed"
        )
        self.twin = services.attach_source(
            claim=self.twin,
            source=SourceFactory.create(),
            relation="refutes",
            by=self.author,
            expected_version=self.twin.version,
        )
        services.confirm_same_claim(
            claim=self.claim, other=self.twin, by=self.author, expected_version=self.claim.version
        )
        self.claim.refresh_from_db()
        self.elsewhere = make_claim(ArticleFactory.create(text=DEMO_TEXT), self.author)
        self.fact_check, self.confirmed_fact_check = (
            FactCheck.objects.create(
                claim_reviewed=f"New York took in 160,000 asylum seekers ({n})",
                publisher="PolitiFact",
                url=f"https://factcheck.example/{n}",
                origin=FactCheck.Origin.CLAIMREVIEW,
            )
            for n in ("a", "b")
        )
        ClaimFactCheck.objects.create(claim=self.claim, fact_check=self.confirmed_fact_check)
        self.page_watch = PageWatch.objects.create(
            article=self.article,
            url=self.article.url,
            interval=timedelta(hours=1),
            next_check_at=timezone.now(),
        )


def _session_of(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module", name="world")
def world_fixture(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The world, committed (outside any test's transaction); the tables emptied afterwards, as a
    transactional test leaves them (the vocabulary is put back by conftest's `_vocabulary`)."""
    with django_db_blocker.unblock():
        with app.replace_connector(InMemoryConnector()), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            ensure_vocabulary(Tag)
            built = World()
        yield built
        call_command("flush", interactive=False, verbosity=0)
        ensure_vocabulary(Tag)


class Actor:
    """The world as one kind of user meets it: what the cases build their requests from."""

    def __init__(self, world: World, who: str) -> None:
        self.world, self.who = world, who
        self.user = world.users.get(who)
        self.article, self.claim, self.reviewed_claim = world.article, world.claim, world.reviewed_claim
        self.source, self.other_source = world.source, world.other_source
        self.suggestion, self.page_watch = world.suggestion, world.page_watch
        self.others_import, self.others_token = world.others_import, world.others_token
        self.own_import = world.own_imports.get(who, world.others_import)
        self.own_token = world.own_tokens.get(who, world.others_token)

    @property
    def role(self) -> Role | None:
        """The table's role of the acting user (None: anonymous, inactive, unknown)."""
        return Role(self.who) if self.who in Role.__members__.values() else None

    def session_client(self, client: Client) -> Client:
        if self.who != ANONYMOUS:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.world.sessions[self.who]
        return client

    def bearer_client(self, client: APIClient) -> APIClient:
        if self.who != ANONYMOUS:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.world.bearers[self.who]}")
        return client

    def deactivate(self) -> None:
        """The inactive user is switched off after its session and its token were given."""
        if self.who == INACTIVE:
            User.objects.filter(pk=self.world.users[INACTIVE].pk).update(is_active=False)

    def version(self) -> dict[str, int]:
        self.claim.refresh_from_db()
        return {"version": self.claim.version}

    def if_match(self) -> dict[str, str]:
        return {"HTTP_IF_MATCH": etag_of(self.claim)}


# --- What "nothing changed" means: every app table, row by row ---------------------------------------

# Bookkeeping a read may write: the session, the rate-limit windows, and columns stamped on use.
# The stored embeddings are a cache of what a text's vector is (`matches.embeddings_for`): a lookup fills it.
UNCOMPARED_TABLES = frozenset(
    {"django_session", "annotations_api_rate_window", "django_migrations", "annotations_textembedding"}
)
# django-axes counts failed sign-ins, and a refused bearer token is one (`api/authentication.py`).
UNCOMPARED_PREFIXES = ("axes_",)
UNCOMPARED_COLUMNS = ("last_used_at", "last_login")


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
        names = [name for (name,) in cursor.fetchall()]
    return [n for n in names if n not in UNCOMPARED_TABLES and not n.startswith(UNCOMPARED_PREFIXES)]


def fingerprint(queue: InMemoryConnector | None = None) -> dict[str, str]:
    """An md5 of every row of every app table (and the in-memory task queue's jobs), for before/after."""
    dropped = "".join(f" - '{column}'" for column in UNCOMPARED_COLUMNS)
    # Table names from pg_tables, no input.
    template = (
        "SELECT '{name}', md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) "
        'FROM (SELECT (to_jsonb(t){dropped})::text AS r FROM "{name}" t) s'
    )
    parts = [template.format(name=name, dropped=dropped) for name in _tables()]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        state = dict(cursor.fetchall())
    if queue is not None:
        state["task queue"] = repr(sorted((row["task_name"], row["args"]) for row in queue.jobs.values()))
    return state


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


# --- The cases ------------------------------------------------------------------------------------------

Rule = Callable[[Role], bool]


def needs(*actions: Action) -> Rule:
    """Allowed for a role that may do every one of `actions`."""
    return lambda role: all(can(role, action) for action in actions)


def needs_any(*actions: Action) -> Rule:
    return lambda role: any(can(role, action) for action in actions)


def admins_only(role: Role) -> bool:
    return role is Role.ADMIN


def nobody(role: Role) -> bool:
    return False


@dataclass(frozen=True)
class Request:
    path: str
    data: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    method: str  # lower case
    build: Callable[[Actor], Request]
    allowed: Rule
    success: int
    # How the endpoint answers those the table gives no role (anonymous, inactive, unknown):
    #   "public": like anyone else; "page": 403 to an unknown role; "object": 404 to an unknown role
    #   (`access.py`); "list": 200 showing none of `hidden`; "any_user" (API): the same to every user;
    #   "signed_in" (pages): the same to everyone signed in, whatever their role (their own account);
    #   "anyone" (API): the same answer without even checking the token.
    scope: str = "object"
    writes: bool = False
    changes: bool = True  # an allowed write changes the database
    refusal: Callable[[Role], int] = lambda role: 403
    hidden: Callable[[Actor], str] | None = None  # what a "list" must not show to an unknown role


def _with(_made: object, request: Request) -> Request:
    """`request`, once `_made` (what the page should list) exists."""
    return request


def _span(quote: str) -> dict[str, Any]:
    start = DEMO_TEXT.index(quote)
    return {"start": start, "end": start + len(quote), "exact": quote}


def _claim_form_refusal(gate: Rule) -> Callable[[Role], int]:
    """The page's claim form sends only what a role may set (`claims.claim_update`): a field behind `gate`
    is dropped for a role that fails it (200, nothing saved); past the gate the service refuses (403)."""
    return lambda role: 403 if gate(role) else 200


def _claim_form(actor: Actor, **fields: Any) -> Request:
    data: dict[str, Any] = {"note": "", "status": "draft", **actor.version(), **fields}
    return Request(f"/claims/{actor.claim.pk}/edit/", data, HX)


E = Action
WRONG_PASSWORD = {"username": "nobody", "password": "wrong"}
NEW_PASSWORDS = {"new_password1": "a new passphrase 9", "new_password2": "another one 9"}


def _anyone(name: str, method: str, path: str, success: int, data: dict[str, Any] | None = None) -> Case:
    return Case(name, method, lambda w: Request(path, data), lambda r: True, success, scope="public")


def _own_account(name: str, method: str, path: str, data: dict[str, Any] | None = None) -> Case:
    return Case(name, method, lambda w: Request(path, data), lambda r: True, 200, scope="signed_in")


ACCOUNT_CASES: list[Case] = [
    _anyone("sign-in page", "get", "/accounts/login/", 200),
    _anyone("wrong sign-in", "post", "/accounts/login/", 200, WRONG_PASSWORD),
    _anyone("sign out", "post", "/accounts/logout/", 302),
    _anyone("password reset page", "get", "/accounts/password_reset/", 200),
    _anyone(
        "password reset for no account", "post", "/accounts/password_reset/", 302, {"email": "no@one.example"}
    ),
    _anyone("password reset sent", "get", "/accounts/password_reset/done/", 200),
    _anyone("password reset bad link", "get", "/accounts/reset/MQ/set-password/", 200),
    _anyone("password reset bad link post", "post", "/accounts/reset/MQ/set-password/", 200, NEW_PASSWORDS),
    _anyone("password reset complete", "get", "/accounts/reset/done/", 200),
    _own_account("password change page", "get", "/accounts/password_change/"),
    _own_account(
        "password change with a wrong password", "post", "/accounts/password_change/", NEW_PASSWORDS
    ),
    _own_account("password changed", "get", "/accounts/password_change/done/"),
]

HTML_CASES: list[Case] = [
    *ACCOUNT_CASES,
    Case("healthz", "get", lambda w: Request("/healthz"), lambda r: True, 200, scope="public"),
    Case(
        "article list",
        "get",
        lambda w: _with(w.article, Request("/")),
        needs(E.VIEW),
        200,
        scope="list",
        hidden=lambda w: w.article.title,
    ),
    Case(
        "claim list",
        "get",
        lambda w: _with(w.claim, Request("/claims/")),
        needs(E.VIEW),
        200,
        scope="list",
        hidden=lambda w: w.claim.exact,
    ),
    Case(
        "source search",
        "get",
        lambda w: Request("/sources/search/", {"q": w.source.title}),
        needs(E.VIEW),
        200,
        scope="list",
        hidden=lambda w: w.source.url,  # a result shows it; the query (the title) is echoed when none is
    ),
    Case(
        "add article page", "get", lambda w: Request("/articles/new/"), needs(E.IMPORT_ARTICLE), 200, "page"
    ),
    Case("article page", "get", lambda w: Request(f"/articles/{w.article.pk}/"), needs(E.VIEW), 200),
    Case(
        "article page with claim",
        "get",
        lambda w: Request(f"/articles/{w.article.pk}/", {"claim": w.claim.pk}),
        needs(E.VIEW),
        200,
    ),
    Case("revisions", "get", lambda w: Request(f"/articles/{w.article.pk}/revisions/"), needs(E.VIEW), 200),
    Case(
        "revision compare",
        "get",
        lambda w: Request(f"/articles/{w.article.pk}/revisions/compare/"),
        needs(E.VIEW),
        200,
    ),
    Case(
        "revision detail",
        "get",
        lambda w: Request(f"/articles/{w.article.pk}/revisions/1/"),
        needs(E.VIEW),
        200,
    ),
    Case("claim panel", "get", lambda w: Request(f"/claims/{w.claim.pk}/", None, HX), needs(E.VIEW), 200),
    Case("claim history", "get", lambda w: Request(f"/claims/{w.claim.pk}/history/"), needs(E.VIEW), 200),
    Case("own URL import", "get", lambda w: Request(f"/imports/{w.own_import.pk}/"), needs(E.VIEW), 200),
    Case(
        "someone else's URL import",
        "get",
        lambda w: Request(f"/imports/{w.others_import.pk}/"),
        admins_only,
        200,
        refusal=lambda role: 404,
    ),
    Case(
        "API tokens page", "get", lambda w: Request("/account/tokens/"), needs(E.USE_API_TOKENS), 200, "page"
    ),
    # --- writes
    Case(
        "add article (text)",
        "post",
        lambda w: Request("/articles/new/", {"title": "Fresh", "text": "Fresh text with 7 figures."}),
        needs(E.IMPORT_ARTICLE),
        302,
        "page",
        writes=True,
    ),
    Case(
        "new revision (same URL, new text)",
        "post",
        lambda w: Request(
            "/articles/new/",
            {"title": w.article.title, "url": w.article.url, "text": DEMO_TEXT + " Officials disagree."},
        ),
        needs(E.IMPORT_ARTICLE),
        302,
        "page",
        writes=True,
    ),
    Case(
        "import from URL",
        "post",
        lambda w: Request("/articles/new/", {"url": IMPORT_URL}),
        needs(E.IMPORT_ARTICLE),
        302,
        "page",
        writes=True,
    ),
    Case(
        "check the original now",
        "post",
        lambda w: Request(f"/articles/{w.page_watch.article_id}/revisions/fetch/"),
        needs(E.IMPORT_ARTICLE),
        302,
        writes=True,
    ),
    Case(
        "show/hide suggestions",
        "post",
        lambda w: Request(f"/articles/{w.article.pk}/suggestions/toggle/"),
        needs(E.VIEW),
        302,
        writes=True,
        changes=False,  # the session only
    ),
    Case(
        "create claim",
        "post",
        lambda w: Request(f"/articles/{w.article.pk}/claims/", _span(NEW_QUOTE), HX),
        needs(E.CREATE_CLAIM),
        201,
        writes=True,
    ),
    Case(
        "edit note",
        "post",
        lambda w: _claim_form(w, note="checked with the city"),
        needs_any(E.EDIT_CLAIM, E.REVIEW_CLAIM),
        200,
        writes=True,
        refusal=_claim_form_refusal(needs_any(E.EDIT_CLAIM, E.REVIEW_CLAIM)),
    ),
    Case(
        "submit for review",
        "post",
        lambda w: _claim_form(w, status="in_review"),
        needs(E.SUBMIT_FOR_REVIEW),
        200,
        writes=True,
        refusal=_claim_form_refusal(needs(E.SUBMIT_FOR_REVIEW)),
    ),
    Case(
        "mark reviewed",
        "post",
        lambda w: _claim_form(w, status="reviewed"),
        needs(E.REVIEW_CLAIM),
        200,
        writes=True,
        refusal=_claim_form_refusal(needs(E.SUBMIT_FOR_REVIEW)),
    ),
    Case(
        "set verdict",
        "post",
        lambda w: _claim_form(w, verdict="false"),
        needs(E.REVIEW_CLAIM),
        200,
        writes=True,
        refusal=_claim_form_refusal(needs(E.REVIEW_CLAIM)),
    ),
    Case(
        "edit tags",
        "post",
        lambda w: _claim_form(w, tags=["statistic"]),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
        refusal=_claim_form_refusal(needs(E.EDIT_CLAIM)),
    ),
    Case(
        "toggle tag",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/tags/toggle/", {"tag": "statistic", **w.version()}, HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "attach existing source",
        "post",
        lambda w: Request(
            f"/claims/{w.claim.pk}/sources/",
            {"source": w.other_source.pk, "relation": "refutes", **w.version()},
            HX,
        ),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "attach new source by URL",
        "post",
        lambda w: Request(
            f"/claims/{w.claim.pk}/sources/",
            {
                "url": "https://evidence.example/report",
                "title": "Report",
                "relation": "supports",
                **w.version(),
            },
            HX,
        ),
        needs(E.EDIT_CLAIM, E.EDIT_SOURCE),
        200,
        writes=True,
    ),
    Case(
        "detach source",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/sources/{w.source.pk}/remove/", w.version(), HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "delete claim",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/delete/", w.version(), HX),
        needs(E.DELETE_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "re-attach claim",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/reattach/", {**_span(NEW_QUOTE), **w.version()}, HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "dismiss attention",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/dismiss/", w.version(), HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "claim matches",
        "get",
        lambda w: Request(f"/claims/{w.claim.pk}/matches/", None, HX),
        needs(E.VIEW),
        200,
    ),
    Case(
        "suggestion matches",
        "get",
        lambda w: Request(f"/suggestions/{w.suggestion.pk}/matches/", None, HX),
        needs(E.VIEW),
        200,
    ),
    Case(
        "confirm the same claim elsewhere",
        "post",
        lambda w: Request(
            f"/claims/{w.claim.pk}/matches/confirm/", {"claim": w.world.elsewhere.pk, **w.version()}, HX
        ),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "confirm a fact-check",
        "post",
        lambda w: Request(
            f"/claims/{w.claim.pk}/matches/confirm/", {"fact_check": w.world.fact_check.pk, **w.version()}, HX
        ),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "dismiss a match",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/matches/dismiss/", {"claim": w.world.elsewhere.pk}, HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "take a fact-check off",
        "post",
        lambda w: Request(
            f"/claims/{w.claim.pk}/fact-checks/remove/",
            {"fact_check": w.world.confirmed_fact_check.pk, **w.version()},
            HX,
        ),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "leave the cluster",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/cluster/leave/", w.version(), HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "share the cluster's sources",
        "post",
        lambda w: Request(f"/claims/{w.claim.pk}/cluster/sources/", w.version(), HX),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "use a verdict from elsewhere",
        "post",
        lambda w: Request(
            f"/claims/{w.claim.pk}/matches/verdict/", {"claim": w.world.twin.pk, **w.version()}, HX
        ),
        needs(E.REVIEW_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "accept suggestion",
        "post",
        lambda w: Request(f"/suggestions/{w.suggestion.pk}/accept/", None, HX),
        needs(E.CREATE_CLAIM),
        201,
        writes=True,
    ),
    Case(
        "dismiss suggestion",
        "post",
        lambda w: Request(f"/suggestions/{w.suggestion.pk}/dismiss/", None, HX),
        needs(E.CREATE_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "create API token",
        "post",
        lambda w: Request("/account/tokens/", {"name": "matrix tool"}),
        needs(E.USE_API_TOKENS),
        201,
        "page",
        writes=True,
    ),
    Case(
        "revoke own API token",
        "post",
        lambda w: Request(f"/account/tokens/{w.own_token.pk}/revoke/"),
        needs(E.USE_API_TOKENS),
        302,
        "page",
        writes=True,
    ),
    Case(
        "revoke someone else's API token",
        "post",
        lambda w: Request(f"/account/tokens/{w.others_token.pk}/revoke/"),
        nobody,
        302,
        "page",
        writes=True,
        refusal=lambda role: 404,
    ),
]


def _unknown_url(method: str, actor: Actor) -> Request:
    return Request("/api/v1/nothing-here/", {} if method != "get" else None)


def _patch_claim(body: dict[str, Any], actor: Actor) -> Request:
    return Request(f"/api/v1/claims/{actor.claim.pk}/", body, actor.if_match())


# The claim edits of the API's PATCH, one field each, and who may make them.
CLAIM_PATCHES: list[tuple[str, dict[str, Any], Rule]] = [
    ("edit note", {"note": "checked with the city"}, needs_any(E.EDIT_CLAIM, E.REVIEW_CLAIM)),
    ("edit tags", {"tags": ["statistic"]}, needs(E.EDIT_CLAIM)),
    ("set verdict", {"verdict": "false"}, needs(E.REVIEW_CLAIM)),
    ("submit for review", {"status": "in_review"}, needs(E.SUBMIT_FOR_REVIEW)),
    ("mark reviewed", {"status": "reviewed"}, needs(E.REVIEW_CLAIM)),
]


API_CASES: list[Case] = [
    Case("list articles", "get", lambda w: Request("/api/v1/articles/"), needs(E.VIEW), 200),
    Case("read article", "get", lambda w: Request(f"/api/v1/articles/{w.article.pk}/"), needs(E.VIEW), 200),
    Case(
        "read revision",
        "get",
        lambda w: Request(f"/api/v1/articles/{w.article.pk}/revisions/1/"),
        needs(E.VIEW),
        200,
    ),
    Case(
        "article suggestions",
        "get",
        lambda w: Request(f"/api/v1/articles/{w.article.pk}/suggestions/"),
        needs(E.VIEW),
        200,
    ),
    Case(
        "list claims",
        "get",
        lambda w: Request(f"/api/v1/claims/?article={w.claim.article_id}"),
        needs(E.VIEW),
        200,
    ),
    Case("read claim", "get", lambda w: Request(f"/api/v1/claims/{w.claim.pk}/"), needs(E.VIEW), 200),
    Case(
        "claim matches", "get", lambda w: Request(f"/api/v1/claims/{w.claim.pk}/matches/"), needs(E.VIEW), 200
    ),
    Case(
        "read claim as W3C",
        "get",
        lambda w: Request(f"/api/v1/claims/{w.claim.pk}/?format=w3c"),
        needs(E.VIEW),
        200,
    ),
    Case(
        "read ClaimReview",
        "get",
        lambda w: Request(f"/api/v1/claims/{w.reviewed_claim.pk}/?format=claimreview"),
        needs(E.VIEW),
        200,
    ),
    Case("list tags", "get", lambda w: Request("/api/v1/tags/"), needs(E.VIEW), 200),
    Case("list sources", "get", lambda w: _with(w.source, Request("/api/v1/sources/")), needs(E.VIEW), 200),
    Case("read source", "get", lambda w: Request(f"/api/v1/sources/{w.source.pk}/"), needs(E.VIEW), 200),
    Case(
        "own URL import", "get", lambda w: Request(f"/api/v1/imports/{w.own_import.pk}/"), needs(E.VIEW), 200
    ),
    Case(
        "someone else's URL import",
        "get",
        lambda w: Request(f"/api/v1/imports/{w.others_import.pk}/"),
        admins_only,
        200,
        refusal=lambda role: 404,
    ),
    Case("export JSONL", "get", lambda w: Request("/api/v1/export/claims.jsonl"), needs(E.VIEW), 200),
    Case("export CSV", "get", lambda w: Request("/api/v1/export/claims.csv"), needs(E.VIEW), 200),
    Case("OpenAPI schema", "get", lambda w: Request("/api/schema/"), lambda r: True, 200, scope="public"),
    Case("API docs", "get", lambda w: Request("/api/docs/"), lambda r: True, 200, scope="public"),
    *(
        Case(
            f"unknown API URL ({method.upper()})",
            method,
            partial(_unknown_url, method),
            lambda r: True,
            404,
            scope="anyone",  # no such endpoint, whoever asks, not even checking a token (views.not_found)
        )
        for method in ("get", "post", "put", "patch", "delete")
    ),
    # --- writes
    Case(
        "import article",
        "post",
        lambda w: Request("/api/v1/articles/", {"title": "Fresh", "text": "Fresh text with 7 figures."}),
        needs(E.IMPORT_ARTICLE),
        201,
        writes=True,
    ),
    Case(
        "new revision (same URL, new text)",
        "post",
        lambda w: Request(
            "/api/v1/articles/",
            {"title": w.article.title, "url": w.article.url, "text": DEMO_TEXT + " Officials disagree."},
        ),
        needs(E.IMPORT_ARTICLE),
        200,
        writes=True,
    ),
    Case(
        "import from URL",
        "post",
        lambda w: Request("/api/v1/articles/", {"url": IMPORT_URL}),
        needs(E.IMPORT_ARTICLE),
        202,
        writes=True,
    ),
    Case(
        "create claim",
        "post",
        lambda w: Request("/api/v1/claims/", {"article": w.article.pk, "exact": NEW_QUOTE}),
        needs(E.CREATE_CLAIM),
        201,
        writes=True,
    ),
    *(
        Case(
            name,
            "patch",
            partial(_patch_claim, body),
            rule,
            200,
            writes=True,
        )
        for name, body, rule in CLAIM_PATCHES
    ),
    Case(
        "delete claim",
        "delete",
        lambda w: Request(f"/api/v1/claims/{w.claim.pk}/", None, w.if_match()),
        needs(E.DELETE_CLAIM),
        204,
        writes=True,
    ),
    Case(
        "attach existing source",
        "post",
        lambda w: Request(
            f"/api/v1/claims/{w.claim.pk}/sources/",
            {"source": w.other_source.pk, "relation": "refutes"},
            w.if_match(),
        ),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "attach new source by URL",
        "post",
        lambda w: Request(
            f"/api/v1/claims/{w.claim.pk}/sources/",
            {"url": "https://evidence.example/report", "title": "Report", "relation": "supports"},
            w.if_match(),
        ),
        needs(E.EDIT_CLAIM, E.EDIT_SOURCE),
        200,
        writes=True,
    ),
    Case(
        "detach source",
        "delete",
        lambda w: Request(f"/api/v1/claims/{w.claim.pk}/sources/{w.source.pk}/", None, w.if_match()),
        needs(E.EDIT_CLAIM),
        200,
        writes=True,
    ),
    Case(
        "create source",
        "post",
        lambda w: Request("/api/v1/sources/", {"url": "https://evidence.example/new", "title": "New"}),
        needs(E.EDIT_SOURCE),
        201,
        writes=True,
    ),
    Case(
        "edit source",
        "patch",
        lambda w: Request(f"/api/v1/sources/{w.source.pk}/", {"title": "Corrected title"}),
        needs(E.EDIT_SOURCE),
        200,
        writes=True,
    ),
]


def expected_html(case: Case, actor: Actor) -> int:
    if case.scope == "public":
        return case.success
    if actor.who in (ANONYMOUS, INACTIVE):
        return LOGIN
    if case.scope == "signed_in":
        return case.success
    role = actor.role
    if role is None:  # a role the table does not know
        return {"page": 403, "object": 404, "list": case.success}[case.scope]
    return case.success if case.allowed(role) else case.refusal(role)


def expected_api(case: Case, actor: Actor) -> int:
    if case.scope == "anyone":
        return case.success
    if actor.who == ANONYMOUS:
        return case.success if case.scope == "public" else 401
    if actor.who == INACTIVE:
        return 401  # the token is no longer valid: refused before anything, public or not
    if case.scope in ("public", "any_user"):
        return case.success
    role = actor.role
    if role is None:
        return 403
    return case.success if case.allowed(role) else case.refusal(role)


def _params(cases: list[Case]) -> Iterator[Any]:
    for case in cases:
        slug = case.name.replace(" ", "_").replace("'", "")
        for who in WHO:
            yield pytest.param(case, who, id=f"{slug}-{who}")


def _send(client: Client, case: Case, request: Request, **extra: Any) -> Any:
    send = getattr(client, case.method)
    headers = {**request.headers, **extra}
    if case.method == "get":
        return send(request.path, request.data, **headers)
    if isinstance(client, APIClient):
        return send(request.path, request.data, format="json", **headers)
    return send(request.path, request.data or {}, **headers)


def _assert_database(case: Case, status: int, allowed: bool, before: dict[str, str], after: dict[str, str]):
    changed = changed_tables(before, after)
    if allowed and case.writes and case.changes:
        assert changed, f"{case.name} answered {status} but changed nothing"
    elif not allowed or not case.writes:
        assert not changed, f"{case.name} answered {status} and changed {changed}"


def _allowed(case: Case, actor: Actor, expected: int) -> bool:
    return expected == case.success and actor.role is not None and case.allowed(actor.role)


# --- The HTML views ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "who"), list(_params(HTML_CASES)))
def test_the_pages_follow_the_permission_table(case: Case, who: str, world: World, queue) -> None:
    actor = Actor(world, who)
    client = actor.session_client(Client())
    request = case.build(actor)
    actor.deactivate()
    before = fingerprint(queue)
    response = _send(client, case, request)
    after = fingerprint(queue)
    expected = expected_html(case, actor)
    assert response.status_code == expected, response.content[:300]
    if who in (ANONYMOUS, INACTIVE) and case.scope != "public":
        assert response["Location"].startswith("/accounts/login/?next=")
    if case.scope == "list" and who == UNKNOWN and case.hidden is not None:
        assert case.hidden(actor) not in response.content.decode(), "a role-less user sees what it may not"
    _assert_database(case, response.status_code, _allowed(case, actor, expected), before, after)


# --- The API, with a real bearer token -----------------------------------------------------------------


@pytest.mark.parametrize(("case", "who"), list(_params(API_CASES)))
def test_the_api_follows_the_permission_table(case: Case, who: str, world: World, queue) -> None:
    actor = Actor(world, who)
    client = actor.bearer_client(APIClient())
    request = case.build(actor)
    actor.deactivate()
    before = fingerprint(queue)
    response = _send(client, case, request)
    after = fingerprint(queue)
    expected = expected_api(case, actor)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400 and case.scope != "public":  # the schema and its docs have their own formats
        assert response.json()["error"]["status"] == expected
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    _assert_database(case, response.status_code, _allowed(case, actor, expected), before, after)


# --- Nothing slips in untested -------------------------------------------------------------------------


def _leaves(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URLPattern under `patterns`, with a label: its namespaced name, or its route."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _leaves(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield (f"{namespace}{entry.name}" if entry.name else prefix + str(entry.pattern)), entry


def web_patterns() -> list[tuple[str, URLPattern]]:
    from annotations.web import urls

    return list(_leaves(urls.urlpatterns))


def api_patterns() -> list[tuple[str, URLPattern]]:
    from annotations.api import urls

    return list(_leaves(urls.urlpatterns))


def api_methods(pattern: URLPattern) -> set[str]:
    """The methods an API route answers (not HEAD and OPTIONS, which every view answers as it does GET)."""
    callback: Any = pattern.callback
    if actions := getattr(callback, "actions", None):  # a viewset's route
        methods = {method for method in actions if method in callback.cls.http_method_names}
    else:
        view = callback.view_class
        methods = {method for method in view.http_method_names if hasattr(view, method)}
    return methods - {"head", "options"}


PROBED_METHODS = ("get", "post", "put", "patch", "delete")


def web_methods(client: Client, pattern: URLPattern) -> set[str]:
    """The methods a page accepts, found by asking (its decorators answer 405 to the others first). The
    ids are ones that do not exist, so nothing is changed."""
    kwargs = dict.fromkeys(pattern.pattern.converters, 999_999)
    from django.urls import reverse

    path = reverse(pattern.name, kwargs=kwargs)
    return {method for method in PROBED_METHODS if getattr(client, method)(path).status_code != 405}


def covered(cases: list[Case], actor: Actor) -> set[tuple[Any, str]]:
    keys = set()
    for case in cases:
        path = case.build(actor).path.split("?")[0]
        keys.add((resolve(path).func, case.method))
    return keys


def test_every_url_pattern_and_method_is_in_the_matrix(world: World) -> None:
    actor = Actor(world, Role.ADMIN.value)
    client = actor.session_client(Client())
    html, api = covered(HTML_CASES, actor), covered(API_CASES, actor)
    missing = [
        f"{method.upper()} {label}"
        for label, pattern in web_patterns()
        for method in sorted(web_methods(client, pattern))
        if (pattern.callback, method) not in html
    ] + [
        f"{method.upper()} {label}"
        for label, pattern in api_patterns()
        for method in sorted(api_methods(pattern))
        if (pattern.callback, method) not in api
    ]
    assert not missing, f"endpoints the permission matrix does not cover: {missing}"
