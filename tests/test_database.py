"""The embedded PostgreSQL: started on demand, stopped on exit or Ctrl-C, its data reused next time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent

START = """
import sys, time, psycopg
from newsroom.database import embedded_database_url
url = embedded_database_url()
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS visits (n int)")
    conn.execute("INSERT INTO visits VALUES (1)")
    print(conn.execute("SELECT count(*) FROM visits").fetchone()[0], flush=True)
if sys.argv[1] == "wait":
    print("ready", flush=True)
    time.sleep(120)
"""


def _servers_for(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(pgdata) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def _python(pgdata: Path, mode: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"EMBEDDED_PGDATA": str(pgdata)}
    return subprocess.Popen(
        [sys.executable, "-c", START, mode],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # As from a terminal: a CI runner may start us with Ctrl-C ignored, which children would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_until_stopped(pgdata: Path) -> None:
    deadline = time.monotonic() + 20
    while _servers_for(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)


def _start_and_hold(pgdata: Path) -> subprocess.Popen[str]:
    process = _python(pgdata, "wait")
    assert process.stdout is not None
    process.stdout.readline()
    assert process.stdout.readline().strip() == "ready"
    assert _servers_for(pgdata), "the server should be running while the process holds it"
    return process


@pytest.fixture
def pgdata():
    # Not under pytest's tmp_path: pytest resets its root folder to 0700 when another run starts, which
    # locks the server's own (non-root) user out. A short path, too: the socket path must stay small.
    folder = Path(tempfile.mkdtemp(prefix="newsroom-pg-", dir="/tmp")) / "data"
    yield folder
    for process in _servers_for(folder):
        process.kill()
    shutil.rmtree(folder.parent, ignore_errors=True)


def test_it_stops_on_exit_and_reuses_the_data_next_time(pgdata):
    first = _python(pgdata, "exit")
    out, err = first.communicate(timeout=90)
    assert first.returncode == 0, err
    assert out.strip() == "1"
    assert _servers_for(pgdata) == []
    second = _python(pgdata, "exit")
    out, err = second.communicate(timeout=90)
    assert out.strip() == "2", err  # the first run's row is still there
    assert _servers_for(pgdata) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_kill_stops_the_server(pgdata, signum):
    process = _start_and_hold(pgdata)
    process.send_signal(signum)
    process.wait(timeout=60)
    _wait_until_stopped(pgdata)
    assert _servers_for(pgdata) == []


def test_a_holder_killed_without_notice_does_not_keep_the_server_running(pgdata):
    process = _start_and_hold(pgdata)
    process.kill()  # SIGKILL: no atexit, its pid stays in the server's list of holders
    process.wait(timeout=30)
    assert _servers_for(pgdata), "nobody stopped the server"
    follower = _python(pgdata, "exit")
    out, err = follower.communicate(timeout=90)
    assert out.strip() == "2", err
    _wait_until_stopped(pgdata)
    assert _servers_for(pgdata) == []


RELOADER = """
import signal, subprocess, sys, time
from newsroom.database import embedded_database_url
embedded_database_url()
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], "wait"], stdout=subprocess.PIPE, text=True)
child.stdout.readline(); child.stdout.readline()  # the child holds the server too
print("ready", flush=True)
try:
    child.wait()
finally:
    child.kill()  # as runserver's reloader does when it is terminated: no atexit in the child
    child.wait()
"""


def test_a_terminated_reloader_that_kills_its_child_still_stops_the_server(pgdata):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"EMBEDDED_PGDATA": str(pgdata)}
    parent = subprocess.Popen(
        [sys.executable, "-c", RELOADER, START], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE
    )
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "ready"
    assert _servers_for(pgdata)
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=60)
    _wait_until_stopped(pgdata)
    assert _servers_for(pgdata) == []


def test_two_processes_share_one_server_and_the_last_one_stops_it(pgdata):
    first = _start_and_hold(pgdata)
    second = _start_and_hold(pgdata)
    first.send_signal(signal.SIGINT)
    first.wait(timeout=60)
    time.sleep(1)
    assert _servers_for(pgdata), "stopped while the second process still used it"
    second.send_signal(signal.SIGINT)
    second.wait(timeout=60)
    _wait_until_stopped(pgdata)
    assert _servers_for(pgdata) == []


# Importing the settings (as mypy's Django plugin and other tools do) must start nothing: mypy exits
# without running atexit handlers, so a server it started would run on.
def _env_without_database(pgdata: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "NEWSROOM_ENV_FILE"}} | {
        "EMBEDDED_PGDATA": str(pgdata),
        "NEWSROOM_ENV_FILE": os.devnull,
        "DEBUG": "true",
    }


def test_importing_the_settings_starts_no_server(pgdata):
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'newsroom.settings'\n"
        "import django; django.setup()\n"
        "from django.conf import settings; print(settings.DATABASES['default']['HOST'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env_without_database(pgdata),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/embedded-postgres-not-started"  # the placeholder, named for its cause
    assert _servers_for(pgdata) == []
    assert not pgdata.exists()


def test_mypy_starts_no_server(pgdata, tmp_path):
    checked = tmp_path / "uses_settings.py"
    checked.write_text("from django.conf import settings\n\nDEBUG: bool = settings.DEBUG\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mypy"), "--config-file", "pyproject.toml", str(checked)],
        cwd=ROOT,
        env=_env_without_database(pgdata),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _servers_for(pgdata) == []
    assert not pgdata.exists()


def test_manage_py_starts_the_embedded_server_and_stops_it_on_exit(pgdata):
    code = "from django.db import connection; print(connection.cursor().execute('SELECT 42').fetchone()[0])"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=_env_without_database(pgdata),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"
    assert (pgdata / "PG_VERSION").exists()
    _wait_until_stopped(pgdata)
    assert _servers_for(pgdata) == []
