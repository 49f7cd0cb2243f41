"""Security headers (issue 12, finding 5): a Content-Security-Policy on every page with nonces for what must
be inline, htmx unable to run code, HTTPS settings that pass `check --deploy`, Cache-Control on the API."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from tests.api.helpers import client_for
from tests.factories import ArticleFactory
from tests.test_deployment import CLEAN_ENV, ROOT


@pytest.fixture
def pages(editor, admin_user):
    article = ArticleFactory.create()
    signed_in = Client()
    signed_in.force_login(editor)
    admin = Client()
    admin.force_login(admin_user)
    return [
        (Client(), "/accounts/login/"),
        (Client(), "/accounts/password_reset/"),
        (Client(), "/healthz"),
        (Client(), "/no-such-page/"),
        (signed_in, "/"),
        (signed_in, f"/articles/{article.pk}/"),
        (signed_in, "/claims/"),
        (signed_in, "/account/tokens/"),
        (signed_in, "/api/docs/"),
        (signed_in, "/api/v1/claims/"),
        (signed_in, "/api/schema/"),
        (admin, "/admin/"),
        (admin, "/admin/annotations/claim/"),
    ]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_has_a_policy_that_allows_no_inline_code_or_foreign_sources(pages):
    for client, path in pages:
        response = client.get(path)
        assert "Content-Security-Policy" in response, path
        directives = policy(response)
        assert directives["default-src"] == ["'self'"]
        for kind in ("script-src", "style-src"):
            assert directives[kind][0] == "'self'", path
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(directives[kind]), path
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]


def test_inline_code_that_must_be_inline_carries_the_requests_nonce(editor):
    client = Client()
    client.force_login(editor)
    response = client.get("/api/docs/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce, response["Content-Security-Policy"]
    page = response.content.decode()
    inline = re.findall(r"<(script|style)(\s[^>]*)?>(?!</)", page)
    opened = [attributes for tag, attributes in inline if "src=" not in attributes]
    assert opened and all(f'nonce="{nonce.group(1)}"' in attributes for attributes in opened)
    # A nonce is per request: one seen in a page cannot be reused by what it injects next time.
    assert nonce.group(1) not in client.get("/api/docs/")["Content-Security-Policy"]


def test_the_app_pages_have_no_inline_script_or_style_at_all(pages):
    for client, path in pages:
        response = client.get(path)
        if not response["Content-Type"].startswith("text/html") or path.startswith(("/admin/", "/api/docs")):
            continue
        page = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert "<style" not in page and " style=" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path


def test_htmx_may_not_evaluate_code_or_run_scripts_it_swaps_in(editor):
    client = Client()
    client.force_login(editor)
    page = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert config
    assert '"allowEval": false' in config.group(1)
    assert '"allowScriptTags": false' in config.group(1)
    assert page.index('name="htmx-config"') < page.index("htmx-2.min.js")  # read when htmx loads


def test_production_settings_pass_the_deployment_check_at_warning_level():
    env = CLEAN_ENV | {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "claims.example.org",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_can_be_turned_off_for_a_plain_http_deployment_and_then_the_check_says_so():
    env = CLEAN_ENV | {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "claims.example.org",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W004" in result.stderr


def test_plain_http_is_redirected_to_https_but_the_health_check_is_not(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert Client().get("/healthz").status_code == 200
    settings.SECURE_HSTS_SECONDS = 3600
    assert "max-age=3600" in Client().get("/accounts/login/", secure=True)["Strict-Transport-Security"]


def test_api_answers_are_private_and_revalidated(editor):
    api = client_for(editor)
    for path in ("/api/v1/claims/", "/api/v1/tags/", "/api/v1/export/claims.jsonl", "/api/v1/nothing/"):
        response = api.get(path)
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-cache"} <= cache_control, path
        assert "Authorization" in response["Vary"], path
    assert "private" in client_for(None).get("/api/v1/claims/")["Cache-Control"]  # the 401 too
