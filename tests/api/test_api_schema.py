"""Schemathesis against our own OpenAPI schema, in process (WSGI), authenticated as every role.

For every operation: no 5xx, and every response (errors included) has a documented status, content
type and shape. Kept small (a few examples per operation and role) so it runs in well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotations.models import ApiToken, Claim, UrlImport
from annotations.roles import Role
from newsroom.wsgi import application
from tests.api.helpers import make_claim
from tests.conftest import DEMO_TEXT
from tests.factories import ArticleFactory, SourceFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
ROLES = [Role.RESEARCHER, Role.EDITOR, Role.REVIEWER, Role.ADMIN]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_process_requests():
    # Django closes the database connection when a WSGI request ends, which would close the test's
    # transaction under it; Django's own test client disconnects these handlers in the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, in_process_requests):
    """Users with tokens, and an article with a claim and a source, for generated requests to find."""
    tokens = {}
    for role in ROLES:
        user = UserFactory.create(username=f"st-{role}", role=role, is_superuser=role == Role.ADMIN)
        tokens[role] = ApiToken.issue(user, name="schemathesis")[1]
    editor = UserFactory.create(username="st-author", role=Role.EDITOR)
    article = ArticleFactory.create(text=DEMO_TEXT, url="https://news.example/schemathesis")
    source = SourceFactory.create()
    claim = make_claim(article, editor, tags=("statistic",), source=source)
    url_import = UrlImport.objects.create(url="https://news.example/schemathesis", requested_by=editor)
    return {"tokens": tokens, "claim": claim, "article": article, "source": source, "import": url_import}


def _aim_at_real_objects(case, world) -> None:
    """Half the generated ids point at objects that exist, so success paths are exercised too."""
    params = case.path_parameters or {}
    # Ids are strings of digits in the schema (the routes' `lookup_value_regex`), not integers.
    if "id" in params and str(params["id"]).isdigit() and int(params["id"]) % 2 == 0:
        kind = case.operation.path.split("/")[3]
        params["id"] = {
            "claims": world["claim"],
            "articles": world["article"],
            "sources": world["source"],
            "imports": world["import"],
        }[kind].pk
        if "number" in params:
            params["number"] = 1
        if "source_id" in params:
            params["source_id"] = world["source"].pk
        version = Claim.objects.filter(pk=world["claim"].pk).values_list("version", flat=True).first()
        if case.headers and "If-Match" in case.headers and version is not None:
            case.headers["If-Match"] = f'"claim-{world["claim"].pk}-v{version}"'


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, role, world):
    _aim_at_real_objects(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['tokens'][role]}"}, checks=CHECKS)


SUGGESTIONS = schema["/api/v1/articles/{id}/suggestions/"]["GET"]


@pytest.mark.parametrize(
    "query",
    [{}, {"all": "true"}, {"all": "no"}, {"page_size": "2"}, {"cursor": "x"}, {"format": "json"}, {"q": "x"}]
    + [{"format": "w3c"}, {"format": "claimreview"}, {"page_size": "0", "all": "1"}]
    + [{"claim_type": "quantity"}, {"claim_type": "gossip"}, {"claim_type": ""}],
)
def test_the_suggestions_list_answers_as_documented_whatever_the_query(query, world):
    """It once answered a plain array where its schema promised a page of the article filters' results."""
    real = str(world["article"].pk)
    researcher = {"Authorization": f"Bearer {world['tokens'][Role.RESEARCHER]}"}
    for pk, headers in ((real, researcher), (str(world["article"].pk + 1000), researcher), (real, {})):
        response = SUGGESTIONS.Case(path_parameters={"id": pk}, query=query).call_and_validate(
            headers=headers, checks=CHECKS
        )
        if pk == real and headers and query.get("claim_type") == "gossip":
            assert response.status_code == 400, "no such claim type"
        elif pk == real and headers and query.get("format", "json") == "json":
            assert response.status_code == 200 and response.json(), "the article's suggestions"


@pytest.mark.django_db
def test_every_operation_documents_the_errors_any_request_can_get(client):
    """A body too large (413), a lockout or rate limit (429) and the database down (503) can answer any
    request, so every operation documents them, in the error shape."""
    document = client.get("/api/schema/?format=json").json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "patch", "put", "delete"}
    ]
    assert operations
    for path, method, operation in operations:
        for status in ("413", "429", "503"):
            response = operation["responses"].get(status)
            assert response, f"{method.upper()} {path} does not document {status}"
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
