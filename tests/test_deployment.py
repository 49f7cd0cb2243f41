"""Settings safety and the production shape in docker-compose.yml, read against the settings it relies on.

No Docker engine runs here, so the compose file is kept honest by parsing it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "newsroom" / "settings.py").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_VARIABLES = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', SETTINGS)) | {
    "DATABASE_URL"
}


def _settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='newsroom.settings';"
            "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        env=clean | {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = _settings_import(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_with_a_secret_key_has_no_development_hosts():
    result = _settings_import(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False []"


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = _settings_import(DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_the_app_runs_under_gunicorn_with_the_projects_wsgi_module():
    command = COMPOSE["services"]["app"]["command"]
    assert command[0] == "gunicorn" and command[1] == "newsroom.wsgi:application"
    assert (ROOT / "newsroom" / "wsgi.py").exists()
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in SETTINGS


def test_the_app_process_tunes_the_garbage_collector_for_its_short_lived_objects():
    # In a process of its own: the tuning is process-wide (newsroom/wsgi.py says why).
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc; n = len(gc.get_objects()); import newsroom.wsgi;"
            "print(gc.get_threshold()[0], gc.get_freeze_count() > n, len(gc.get_objects()) < n)",
        ],
        cwd=ROOT,
        env=os.environ | {"DEBUG": "true", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Young objects are collected every 50,000 allocations, and what the app loaded at start (views
    # included) is frozen, out of every collection's way.
    assert result.stdout.split() == ["50000", "True", "True"]


@pytest.mark.parametrize("service", ["app", "migrate"])
def test_the_app_is_configured_only_through_variables_the_settings_read(service):
    environment = COMPOSE["services"][service]["environment"]
    assert set(environment) <= SETTINGS_VARIABLES, set(environment) - SETTINGS_VARIABLES
    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")  # required, never defaulted
    db = COMPOSE["services"]["db"]["environment"]
    assert environment["DATABASE_URL"] == (
        f"postgres://{db['POSTGRES_USER']}:${{POSTGRES_PASSWORD}}@db:5432/{db['POSTGRES_DB']}"
    )


def test_every_service_waits_for_a_healthy_database_and_has_health_checks():
    services = COMPOSE["services"]
    assert services["db"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    probe = " ".join(services["app"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\S*?)'", probe)
    assert path is not None
    assert resolve(path.group(1)).url_name == "healthz"


@pytest.mark.django_db
def test_the_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_image_copies_everything_the_app_imports():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("newsroom", "annotations", "templates", "static"):
        assert f"COPY {folder} ./{folder}" in dockerfile
