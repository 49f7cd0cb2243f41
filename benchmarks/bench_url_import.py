"""Importing articles from the web and keeping them current (issue 11), against pages served locally.

    .venv/bin/python benchmarks/bench_url_import.py              # 200 imports, 10,000 watched URLs
    .venv/bin/python benchmarks/bench_url_import.py --quick      # or BENCH_QUICK=1: 20 and 300 (make bench)
    [--imports N] [--watches N] [--workers 1,2] [--concurrency 2]

A page server of its own (a ThreadingHTTPServer in a child process, on 127.0.0.1) serves article pages
built from the article fixtures of tests/fixtures/pages (their navigation, cookie banners, JSON-LD, AMP,
a windows-1252 German page, a hostile one), each URL a distinct article: 6-12 news paragraphs more (the
news story of this folder and quotes from the CLEF-2019 debate transcripts) and a figure of its own; and
a long page of about 15,000 words. The guard lets the server's port through
(`OUTBOUND_ALLOW_LOOPBACK_PORTS`) and the per-host rate is off (`OUTBOUND_PER_HOST_PER_SECOND=0`): every
URL here is on one host, which the default of one request a second would make the whole benchmark.

1. **URL import.** In this process, `tasks.run_url_import` on distinct URLs, timed by step: fetch,
   extract (trafilatura), import (`services.import_article`, of which the suggestions), and the rest (the
   UrlImport row's updates, the watch, the commit). Then, with one real worker
   (`manage.py procrastinate worker --queues url_imports`, DEBUG off) running, end to end one at a time:
   from `queue_url_import` (what the API calls) to the UrlImport row written "imported" (its
   `updated_at`, the worker's clock, which is this machine's), with the job's wait in the queue and run
   time from procrastinate's events; the long page the same ways; and a burst, every URL queued at once.
2. **A monitoring pass.** 10,000 watched articles bulk-created (article, revision with the text the
   served page extracts to, five claims, PageWatch), all made due; one `schedule_checks` pass with
   CHECKS_PER_PASS at 10,000 (timed), then one-shot workers (`--queues checks --one-shot --concurrency 2`,
   the best of 1, 2 and 4 on this machine) until the queue is empty: with one worker, two, then one and
   two again (the quick form: one and two).
   A tenth of the pages have changed since (a paragraph added, another one for each pass), the rest serve
   the stored text. Each pass checks that every URL was fetched exactly once (the server counts), that
   every changed article got a new revision and no other did, and that every job succeeded; it reports
   pages per second (from procrastinate's events: the first job started to the last one done) and the
   cores each process used meanwhile, sampled every 0.25 s: the workers, this database's PostgreSQL
   backends, the page server, this process, and the whole machine (which may be shared). The page server's
   own capacity is measured apart, to show it is not what limits the pass.

   procrastinate picks each job with one query whose plan depends on the jobs table's statistics: with
   statistics that have not seen the checks queue (a new deployment's first big pass, or this benchmark's,
   depending on when autovacuum last analyzed the table) PostgreSQL compares every waiting job with every
   other, seconds per job at 10,000 waiting. Each pass times that query with the statistics from before
   the pass, then runs ANALYZE on the jobs table before the workers start, so that the pass measures the
   workers (a deployment's table has seen its queues), not how soon autovacuum notices.

Runs on its own database (`newsroom_bench_url_import`, recreated, and dropped at the end) on the embedded
server or `DATABASE_URL`'s. Every child process is stopped at the end, on failure and on Ctrl-C, and dies
with this process (Linux's parent-death signal) if it is killed; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import html
import http.client
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import ROOT, SECRET_KEY, free_port, maintenance_url, quick, recreate_database

HERE = Path(__file__).resolve().parent
DATABASE = "newsroom_bench_url_import"
FIXTURES = ROOT / "tests" / "fixtures" / "pages"
NEWS_TEXT = HERE / "ice-nyc-sanctuary-talks.txt"
CORPUS = ROOT / "data" / "checkworthiness"
LONG_WORDS = 15_000
IMPORT_VARIANTS = 1_000  # paragraph mixes for the import pages (each URL also has a figure of its own)
WATCH_VARIANTS = 60  # ... for the watched pages, each extracted once here to know its stored text
CHANGED_EVERY = 10  # one watched page in ten has changed since it was stored
CLAIMS_PER_WATCHED = 5
# Numbers that make each page distinct: seven digits, so they cannot collide with the text's own figures.
BASE_NUMBER, WATCH_NUMBER, IMPORT_NUMBER, LONG_NUMBER = 9_000_000, 1_000_000, 2_000_000, 3_000_000
NUMBER, UPDATE, CANONICAL = "@@NUMBER@@", "@@UPDATE@@", "@@CANONICAL@@"

# The fixtures that hold an article: file, the charset the server names (None: the page's own <meta>),
# the end of a body paragraph the generated paragraphs follow, and whether its canonical link is replaced
# by the page's own path (the hostile page's is `javascript:`, which the app ignores).
TEMPLATES = [
    ("cookie-banner-and-nav.html", "utf-8", "the cuts go further than the arrivals require.</p>", True),
    ("amp-with-canonical.html", "utf-8", "running far ahead of normal.</p>", True),
    ("jsonld-odd-byline.html", "utf-8", "twice in the past six years.</p>", True),
    ("related-and-comments.html", "utf-8", "raise fares before the end of 2025.</p>", True),
    ("hostile.html", "utf-8", "contact page</a>.</p>", False),
    ("german-windows-1252.html", None, "bekannt gegeben werden.</p>", True),
]
SPEAKERS_SKIPPED = {"SYSTEM", "QUESTION", "AUDIENCE", "UNIDENTIFIED MALE", "UNIDENTIFIED FEMALE"}


# --- The pages (shared by the page server's process and this one; no Django) -----------------------------


def paragraph_pool(count: int = 3_000) -> list[str]:
    """News paragraphs: the story in this folder, then quotes and statements from the debate transcripts."""
    rng = random.Random(11)
    texts = [" ".join(p.split()) for p in NEWS_TEXT.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    transcripts = []
    for path in sorted(CORPUS.glob("*.tsv")):
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            speaker, text = parts[1].strip().upper(), " ".join(parts[2].split())
            if speaker not in SPEAKERS_SKIPPED and len(text) >= 30 and not text.startswith("("):
                rows.append((speaker, text))
        transcripts.append(rows)
    while len(texts) < count:
        rows = rng.choice(transcripts)
        i = rng.randrange(len(rows))
        speaker = rows[i][0]
        run = " ".join(text for who, text in rows[i : i + rng.randint(2, 5)] if who == speaker)
        name = speaker.split()[-1].title()
        texts.append(f"“{run}” {name} said." if rng.random() < 0.5 else f"{name} said: “{run}”")
    return texts


class Pages:
    """Every page the server answers, built from a template and a variant; the figure that makes a URL a
    distinct article, the canonical link and a changed page's update are filled in per request."""

    def __init__(self) -> None:
        self.pool = paragraph_pool()
        self.templates = []
        for name, charset, anchor, canonical in TEMPLATES:
            raw = (FIXTURES / name).read_bytes()
            encoding = charset or "cp1252"
            page = raw.decode(encoding)
            assert page.count(anchor) == 1, (name, anchor)
            if canonical:
                start = page.index('<link rel="canonical" href="') + len('<link rel="canonical" href="')
                page = page[:start] + CANONICAL + page[page.index('"', start) :]
            self.templates.append((page, anchor, charset, encoding, name.startswith("german")))
        self._cache: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def base(self, kind: str, variant: int) -> str:
        with self._lock:
            if (kind, variant) not in self._cache:
                self._cache[kind, variant] = self._build(kind, variant)
            return self._cache[kind, variant]

    def _build(self, kind: str, variant: int) -> str:
        page, anchor, _, _, german = self.template(kind, variant)
        rng = random.Random(f"{kind}-{variant}")
        if german:
            marker = f"Im vergangenen Jahr zählten die Verkehrsbetriebe {NUMBER} Fahrgäste auf allen Linien."
            paragraphs = [marker]
        elif kind == "long":
            paragraphs, words = [], 0
            while words < LONG_WORDS - 250:
                paragraph = rng.choice(self.pool)
                paragraphs.append(paragraph)
                words += len(paragraph.split())
            paragraphs.insert(
                1, f"The agency said it had handled {NUMBER} requests since the programme began."
            )
        else:
            paragraphs = rng.sample(self.pool, rng.randint(6, 12))
            paragraphs.insert(
                1, f"The agency said it had handled {NUMBER} requests since the programme began."
            )
        body = "".join(f"\n    <p>{html.escape(p, quote=False)}</p>" for p in paragraphs[:2])
        body += f"\n    {UPDATE}"
        body += "".join(f"\n    <p>{html.escape(p, quote=False)}</p>" for p in paragraphs[2:])
        return page.replace(anchor, anchor + body)

    def template(self, kind: str, variant: int) -> tuple[str, str, str | None, str, bool]:
        return self.templates[0 if kind == "long" else variant % len(self.templates)]

    def render(self, kind: str, variant: int, number: int, path: str, update: int = 0) -> tuple[bytes, str]:
        """The page's bytes and Content-Type."""
        _, _, charset, encoding, german = self.template(kind, variant)
        page = self.base(kind, variant).replace(NUMBER, figure(number, german=german))
        if update:
            note = (
                f"Aktualisiert ({update}): Die Zahlen der Verkehrsbetriebe wurden nachgetragen."
                if german
                else f"Update {update}: this article was revised after publication to add the agency's "
                "latest figures and a response from the mayor's office."
            )
            page = page.replace(UPDATE, f"<p>{note}</p>")
        else:
            page = page.replace(UPDATE, "")
        page = page.replace(CANONICAL, path)
        content_type = f"text/html; charset={charset}" if charset else "text/html"
        return page.encode(encoding), content_type


def figure(number: int, *, german: bool) -> str:
    return f"{number:,}".replace(",", ".") if german else f"{number:,}"


def watch_variant(index: int) -> int:
    return index % WATCH_VARIANTS


def changed(index: int) -> bool:
    return index % CHANGED_EVERY == 0


def serve_pages(port: int) -> None:
    """The page server's process: /article/N, /long/N and /watch/N, plus /_hits (the requests per path
    since the last /_reset?generation=G; G > 0 serves a changed tenth of the watched pages, changed
    once more for each G)."""
    pages = Pages()
    state: dict[str, Any] = {"hits": {}, "generation": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/_hits":
                with lock:
                    self._answer(200, json.dumps(state["hits"]).encode(), "application/json")
                return
            if parts.path == "/_reset":
                with lock:
                    state["hits"] = {}
                    state["generation"] = int(parse_qs(parts.query).get("generation", ["0"])[0])
                self._answer(200, b"{}", "application/json")
                return
            with lock:
                state["hits"][parts.path] = state["hits"].get(parts.path, 0) + 1
                generation = state["generation"]
            kind, _, number = parts.path.strip("/").partition("/")
            if not number.isdigit() or kind not in {"article", "long", "watch"}:
                self._answer(404, b"not found", "text/plain")
                return
            index = int(number)
            if kind == "watch":
                update = generation if changed(index) else 0
                body, ctype = pages.render(
                    kind, watch_variant(index), WATCH_NUMBER + index, parts.path, update
                )
            elif kind == "article":
                body, ctype = pages.render(kind, index % IMPORT_VARIANTS, IMPORT_NUMBER + index, parts.path)
            else:
                body, ctype = pages.render(kind, 0, LONG_NUMBER + index, parts.path)
            self._answer(200, body, ctype)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # the default backlog of 5 drops connections under a burst
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    parent = os.getppid()

    def orphaned() -> None:  # ends with the benchmark, however that ends
        while os.getppid() == parent:
            time.sleep(1)
        server.shutdown()

    threading.Thread(target=orphaned, daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.2)
    server.server_close()


# --- Child processes ------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In a child, before exec: SIGTERM when this benchmark's process dies, whatever kills it (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Children:
    """The processes this benchmark started, each stopped by its id at the end."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        with contextlib.suppress(ValueError):
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(self.running):
            self.stop(process)


def wait_until(condition: Callable[[], bool], what: str, seconds: float, every: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"waited {seconds:.0f} s for {what}")
        time.sleep(every)


def page_server_get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def worker_env(url: str, port: int) -> dict[str, str]:
    """A worker as production runs it (DEBUG off, INFO logs), let through to the page server."""
    env = os.environ | {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "NEWSROOM_ENV_FILE": os.devnull,
        "OUTBOUND_ALLOW_LOOPBACK_PORTS": str(port),
        "OUTBOUND_PER_HOST_PER_SECOND": "0",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def worker_command(*options: str) -> list[str]:
    return [sys.executable, "manage.py", "procrastinate", "worker", *options]


# --- CPU accounting -------------------------------------------------------------------------------------


def postmaster(database: str) -> Any:
    """The main process of the PostgreSQL server that serves `database` (the parent of one of its
    backends: this process has one), when it runs on this machine (psutil.Process), or None. Other
    servers may run here too (tests start their own)."""
    import psutil

    for process in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if process.info["name"] == "postgres" and database in " ".join(process.info["cmdline"] or []):
                return process.parent()
    return None


class CpuSampler:
    """CPU seconds used by each group of processes, sampled every `every` seconds from its start: the
    workers (the pids given to `watch`), this database's PostgreSQL backends (other databases on the same
    server are not counted: the machine may be shared), the page server and this process. A process seen
    first after the start counts from zero; one that exits loses at most its last `every` seconds."""

    def __init__(self, server_pid: int, database: str, every: float = 0.25) -> None:
        import psutil

        self.psutil = psutil
        self.every = every
        self.database = database
        self.main = postmaster(database)
        self.fixed = {"server": psutil.Process(server_pid), "benchmark": psutil.Process()}
        self.workers: list[Any] = []
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group: dict[int, str] = {}
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._done = threading.Event()
        self._first = True
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pids: list[int]) -> None:
        self.workers += [self.psutil.Process(pid) for pid in pids]

    def _processes(self) -> Iterator[tuple[str, Any]]:
        for name, process in self.fixed.items():
            yield name, process
        for process in list(self.workers):
            yield "workers", process
        if self.main is not None:
            with contextlib.suppress(self.psutil.Error):
                for child in self.main.children():
                    with contextlib.suppress(self.psutil.Error):
                        if self.database in " ".join(child.cmdline()):
                            yield "postgres", child

    def _sample(self) -> None:
        for name, process in self._processes():
            with contextlib.suppress(self.psutil.Error):
                times = process.cpu_times()
                seconds = times.user + times.system
                if process.pid not in self.base:  # seen at the first sample: counted from now; later: new
                    self.base[process.pid] = seconds if self._first else 0.0
                self.last[process.pid] = seconds
                self.group[process.pid] = name
        self._first = False
        totals = dict.fromkeys(("workers", "postgres", "server", "benchmark"), 0.0)
        for pid, seconds in self.last.items():
            totals[self.group[pid]] += seconds - self.base[pid]
        machine = self.psutil.cpu_times()
        # Every process's (others' too: the machine may be shared), counted from the first sample.
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        self.machine_base = getattr(self, "machine_base", busy)
        totals["machine"] = busy - self.machine_base
        self.samples.append((time.time(), totals))

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self._sample()

    def start(self) -> CpuSampler:
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=10)
        self._sample()

    def at(self, moment: float) -> dict[str, float]:
        """Each group's CPU seconds by `moment` (interpolated between samples)."""
        before = max((s for s in self.samples if s[0] <= moment), default=self.samples[0], key=lambda s: s[0])
        after = min((s for s in self.samples if s[0] >= moment), default=self.samples[-1], key=lambda s: s[0])
        if after[0] == before[0]:
            return dict(before[1])
        share = (moment - before[0]) / (after[0] - before[0])
        return {name: before[1][name] + share * (after[1][name] - before[1][name]) for name in before[1]}

    def between(self, start: float, end: float) -> dict[str, float]:
        """Cores each group used on average from `start` to `end` (time.time() seconds)."""
        first, last = self.at(start), self.at(end)
        return {name: (last[name] - first[name]) / (end - start) for name in first}


# --- Measurements ---------------------------------------------------------------------------------------


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[-1] if len(ordered) > 1 else ordered[0]
    return {"median": statistics.median(ordered), "p95": p95, "max": ordered[-1], "n": len(ordered)}


@contextlib.contextmanager
def step_timers() -> Iterator[dict[str, float]]:
    """The seconds spent in each step of `run_url_import`, summed while the block runs."""
    from annotations import services, tasks

    spent: dict[str, float] = {}
    originals = {
        (tasks, "_page"): "fetch",
        (tasks, "_article_in"): "extract",
        (services, "import_article"): "import",
        (services, "store_suggestions"): "suggestions",
    }
    saved = {key: getattr(*key) for key in originals}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for (module, attribute), name in originals.items():
        setattr(module, attribute, timed(name, saved[module, attribute]))
    try:
        yield spent
    finally:
        for (module, attribute), function in saved.items():
            setattr(module, attribute, function)


def in_process_imports(base: str, paths: list[str], editor: Any) -> dict[str, list[float]]:
    """`run_url_import` on each path in this process, step by step (seconds)."""
    from annotations import tasks
    from annotations.models import UrlImport

    steps: dict[str, list[float]] = {"total": [], "fetch": [], "extract": [], "import": [], "suggestions": []}
    for path in paths:
        url_import = tasks.record_url_import(url=base + path, by=editor)
        with step_timers() as spent:
            started = time.perf_counter()
            tasks.run_url_import(url_import)
            total = time.perf_counter() - started
        assert (url_import.state, url_import.outcome) == (UrlImport.State.IMPORTED, "created"), url_import
        steps["total"].append(total)
        for name in ("fetch", "extract", "import", "suggestions"):
            steps[name].append(spent.get(name, 0.0))
    steps["rest"] = [
        t - f - e - i
        for t, f, e, i in zip(steps["total"], steps["fetch"], steps["extract"], steps["import"], strict=True)
    ]
    return steps


def queued_import(url: str, editor: Any, deadline_s: float = 120) -> tuple[int, float]:
    """Queue one import as the API does and wait for its row to say imported: its id and the seconds
    from the call to the row's last write."""
    from annotations import tasks
    from annotations.models import UrlImport

    started = time.time()
    url_import = tasks.queue_url_import(url=url, by=editor)
    rows = UrlImport.objects.filter(pk=url_import.pk).values_list("state", "updated_at", "error")
    row: list[tuple[str, Any, str]] = []

    def done() -> bool:
        nonlocal row
        row = list(rows.all())  # a fresh query each time
        return row[0][0] in UrlImport.FINAL_STATES

    wait_until(done, f"the import of {url}", deadline_s, every=0.01)
    state, updated_at, error = row[0]
    assert state == UrlImport.State.IMPORTED, (url, state, error)
    return url_import.pk, updated_at.timestamp() - started


def wait_for_job(url_import_id: int, seconds: float = 60) -> None:
    """Until the import's job is finished too (the row says imported a moment before the worker marks
    the job done and looks for the next one)."""
    from django.db import connection

    def finished() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status FROM procrastinate_jobs WHERE task_name = 'annotations.import_url'"
                " AND (args->>'url_import_id')::bigint = %s",
                [url_import_id],
            )
            row = cursor.fetchone()
        return row is not None and row[0] in ("succeeded", "failed")

    wait_until(finished, f"the job of import {url_import_id}", seconds, every=0.01)


def job_times(task_name: str, since_job: int) -> list[dict[str, Any]]:
    """For each job of `task_name` after `since_job`: seconds from deferred to started (the wait in the
    queue) and from started to succeeded (the worker's run), from procrastinate's events."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.id, j.args, j.status,"
            " extract(epoch FROM min(e.at) FILTER (WHERE e.type = 'deferred')),"
            " extract(epoch FROM min(e.at) FILTER (WHERE e.type = 'started')),"
            " extract(epoch FROM max(e.at) FILTER (WHERE e.type = 'succeeded'))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " WHERE j.task_name = %s AND j.id > %s GROUP BY j.id ORDER BY j.id",
            [task_name, since_job],
        )
        return [
            {
                "id": job_id,
                "args": args if isinstance(args, dict) else json.loads(args),
                "status": status,
                "deferred": float(deferred) if deferred is not None else float("nan"),
                "started": float(started) if started is not None else float("nan"),
                "succeeded": float(succeeded) if succeeded is not None else float("nan"),
            }
            for job_id, args, status, deferred, started, succeeded in cursor.fetchall()
        ]


def last_job_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        return int(cursor.fetchone()[0])


def url_imports(
    children: Children, url: str, port: int, editor: Any, count: int, long_runs: int, log: Path
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {}

    # In this process: warm (the ranker's model, trafilatura's first call), then step by step.
    in_process_imports(base, ["/article/900000", "/article/900001"], editor)
    results["in_process"] = {
        name: stats(values)
        for name, values in in_process_imports(base, [f"/article/{n}" for n in range(count)], editor).items()
    }
    long_steps = in_process_imports(base, [f"/long/{n}" for n in range(long_runs)], editor)
    results["long_in_process"] = {name: stats(values) for name, values in long_steps.items()}

    # One real worker.
    worker = children.start(worker_command("--queues", "url_imports"), env=worker_env(url, port), log=log)
    try:
        # Its first job waits for the worker's start-up and pays for its first imports of the models.
        _, first = queued_import(f"{base}/article/910000", editor, deadline_s=180)
        results["worker_first_import_s"] = first
        for n in range(1, 3):
            queued_import(f"{base}/article/{910000 + n}", editor)

        # As editors ask: each import queued while the worker waits (its previous job done, 50-150 ms
        # later), so the worker hears of it by PostgreSQL's NOTIFY.
        rng = random.Random(3)

        def one_by_one(paths: list[str], *, idle: bool) -> tuple[list[float], list[dict[str, Any]]]:
            since = last_job_id()
            seconds = []
            pks = []
            for path in paths:
                pk, took = queued_import(base + path, editor)
                seconds.append(took)
                pks.append(pk)
                if idle:
                    wait_for_job(pk)
                    time.sleep(rng.uniform(0.05, 0.15))
            for pk in pks:
                wait_for_job(pk)
            jobs = job_times("annotations.import_url", since)
            assert len(jobs) == len(paths) and all(j["status"] == "succeeded" for j in jobs), jobs[:3]
            return seconds, jobs

        seconds, jobs = one_by_one([f"/article/{100000 + n}" for n in range(count)], idle=True)
        results["end_to_end"] = stats(seconds)
        results["queue_wait"] = stats([j["started"] - j["deferred"] for j in jobs])
        results["worker_run"] = stats([j["succeeded"] - j["started"] for j in jobs])
        seconds, _ = one_by_one([f"/long/{100 + n}" for n in range(long_runs)], idle=True)
        results["long_end_to_end"] = stats(seconds)
        # Back to back: the next one queued as soon as the previous row says imported, while the worker
        # is finishing that job and about to look for the next.
        seconds, jobs = one_by_one([f"/article/{300000 + n}" for n in range(count)], idle=False)
        waits = [j["started"] - j["deferred"] for j in jobs]
        results["back_to_back"] = stats(seconds)
        results["back_to_back_queue_wait"] = stats(waits)
        results["back_to_back_waits_over_1s"] = sum(1 for wait in waits if wait > 1)

        # A burst: every URL queued at once, one worker draining them.
        from annotations import tasks
        from annotations.models import UrlImport

        started = time.perf_counter()
        ids = [tasks.queue_url_import(url=f"{base}/article/{200000 + n}", by=editor).pk for n in range(count)]
        queued = time.perf_counter() - started
        pending = UrlImport.objects.filter(pk__in=ids).exclude(state__in=UrlImport.FINAL_STATES)
        wait_until(lambda: not pending.exists(), "the burst of imports", 60 + count, every=0.05)
        drained = time.perf_counter() - started
        assert UrlImport.objects.filter(pk__in=ids, state=UrlImport.State.IMPORTED).count() == count
        results["burst"] = {
            "imports": count,
            "queue_s": queued,
            "drained_s": drained,
            "per_s": count / drained,
        }
    finally:
        children.stop(worker)
    if worker.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        raise SystemExit(f"the import worker exited with {worker.returncode} (log: {log})")
    return results


# --- Monitoring -----------------------------------------------------------------------------------------


def stored_texts(pages: Pages, port: int) -> dict[int, Any]:
    """Each watched variant's ArticleInput as the app extracts it, with its base figure in it once."""
    from annotations.extracting import extract_article

    inputs = {}
    for variant in range(WATCH_VARIANTS):
        german = pages.template("watch", variant)[4]
        path = f"/watch/base-{variant}"
        body, ctype = pages.render("watch", variant, BASE_NUMBER + variant, path)
        charset = ctype.partition("charset=")[2] or None
        article = extract_article(body, url=f"http://127.0.0.1:{port}{path}", charset=charset)
        marker = figure(BASE_NUMBER + variant, german=german)
        assert (
            article.text.count(marker) == 1
            and body.decode(pages.template("watch", variant)[3]).count(marker) == 1
        ), (variant, marker)
        inputs[variant] = article
    return inputs


def watched_input(inputs: dict[int, Any], pages: Pages, index: int) -> Any:
    from dataclasses import replace

    variant = watch_variant(index)
    german = pages.template("watch", variant)[4]
    old, new = figure(BASE_NUMBER + variant, german=german), figure(WATCH_NUMBER + index, german=german)
    base = inputs[variant]
    return replace(base, text=base.text.replace(old, new), html=base.html.replace(old, new))


def create_watches(url: str, pages: Pages, port: int, count: int, editor: Any) -> dict[int, int]:
    """`count` watched articles with their stored revision and claims, bulk-inserted; article id -> index."""
    import psycopg
    from django.db import connection, transaction
    from django.utils import timezone

    from annotations.models import Article, PageWatch, Revision
    from annotations.text import content_hash

    inputs = stored_texts(pages, port)
    # A sample of the watched pages extracted for real: the stored text is what a check will find.
    from annotations.extracting import extract_article

    for index in random.Random(5).sample(range(count), min(count, 25)):
        path = f"/watch/{index}"
        body, ctype = pages.render("watch", watch_variant(index), WATCH_NUMBER + index, path)
        found = extract_article(
            body, url=f"http://127.0.0.1:{port}{path}", charset=ctype.partition("charset=")[2] or None
        )
        assert found.text == watched_input(inputs, pages, index).text, index

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM annotations_article")
        first_article = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM annotations_revision")
        first_revision = cursor.fetchone()[0] + 1
    now = timezone.now()
    interval = timedelta(hours=1)
    articles, revisions, watches = [], [], []
    ids: dict[int, int] = {}
    for index in range(count):
        article_input = watched_input(inputs, pages, index)
        page_url = f"http://127.0.0.1:{port}/watch/{index}"
        article_id, revision_id = first_article + index, first_revision + index
        ids[article_id] = index
        revisions.append(
            Revision(
                id=revision_id,
                article_id=article_id,
                number=1,
                text=article_input.text,
                html=article_input.html,
                content_hash=content_hash(article_input.text),
                created_at=now,
                created_by=editor,
            )
        )
        articles.append(
            Article(
                id=article_id,
                title=article_input.title,
                outlet=article_input.outlet,
                byline=article_input.byline,
                url=page_url,
                published_at=article_input.published_at,
                language=article_input.language,
                current_revision_id=revision_id,
            )
        )
        watches.append(
            PageWatch(article_id=article_id, url=page_url, interval=interval, next_check_at=now + interval)
        )
    with (
        transaction.atomic()
    ):  # foreign keys are checked at commit: revisions first (the search trigger reads them)
        Revision.objects.bulk_create(revisions, batch_size=1_000)
        Article.objects.bulk_create(articles, batch_size=1_000)
        PageWatch.objects.bulk_create(watches, batch_size=1_000)
        with connection.cursor() as cursor:
            for table in ("annotations_article", "annotations_revision"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
    # Claims, as editors would have marked them: spans of the stored text (no history rows: not needed).
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            'INSERT INTO annotations_claim (article_id, revision_id, start, "end", exact, prefix, suffix,'
            " status, verdict, note, anchor_state, version, created_by_id, created_at, updated_by_id,"
            " updated_at)"
            " SELECT r.article_id, r.id, s.start, s.start + 40, substr(r.text, s.start + 1, 40), '', '',"
            " 'draft', '', '', 'anchored', 1, %(user)s, now(), %(user)s, now()"
            " FROM annotations_revision r CROSS JOIN LATERAL"
            " (SELECT (g * (length(r.text) - 60) / (%(per)s + 1)) AS start"
            "  FROM generate_series(1, %(per)s) g) s WHERE r.article_id >= %(first)s",
            {"user": editor.pk, "per": CLAIMS_PER_WATCHED, "first": first_article},
        )
        conn.execute("VACUUM ANALYZE")
    return ids


# procrastinate's own choice of the next job (procrastinate_fetch_job_v2, 3.x), for its plan and time.
FETCH_CANDIDATE = """
    SELECT jobs.id FROM procrastinate_jobs AS jobs
    WHERE NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs AS other_jobs
        WHERE jobs.lock IS NOT NULL AND other_jobs.lock = jobs.lock
          AND (other_jobs.status = 'doing' OR (other_jobs.status = 'todo' AND (
              other_jobs.priority > jobs.priority
              OR (other_jobs.priority = jobs.priority AND other_jobs.id < jobs.id)))))
      AND jobs.status = 'todo' AND jobs.queue_name = ANY('{checks}')
      AND (jobs.scheduled_at IS NULL OR jobs.scheduled_at <= now())
    ORDER BY jobs.priority DESC, jobs.id ASC LIMIT 1 FOR UPDATE OF jobs SKIP LOCKED
"""


def fetch_query() -> dict[str, Any]:
    """How PostgreSQL would pick the next job now: whether its plan looks the candidate's lock up in the
    lock index or compares it with every waiting job, the plan, the time of one such pick (rolled back),
    and how often the jobs table has been analyzed so far."""
    from django.db import OperationalError, connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT autoanalyze_count, analyze_count FROM pg_stat_user_tables"
            " WHERE relname = 'procrastinate_jobs'"
        )
        autoanalyze, analyze = cursor.fetchone()
    seconds, plan = float("inf"), "(cancelled after 30 s)"
    with contextlib.suppress(OperationalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '30s'")
        started = time.perf_counter()
        # Run once, with the rows each step read (TIMING OFF: about the query's own time).
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, BUFFERS) " + FETCH_CANDIDATE)
        seconds = time.perf_counter() - started
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return {
        # The good plan looks each candidate's lock up; the others compare it with every waiting job.
        "looks_lock_up": "Index Cond: (lock = jobs.lock)" in plan,
        "plan": plan,
        "one_fetch_s": seconds,
        "autoanalyze_count": autoanalyze,
        "analyze_count": analyze,
    }


def monitoring_pass(
    children: Children,
    url: str,
    port: int,
    ids: dict[int, int],
    generation: int,
    workers: int,
    concurrency: int,
    server_pid: int,
    log: Path,
) -> dict[str, Any]:
    """Everything due, one scheduler pass, `workers` one-shot workers until the queue is empty; checked."""
    from django.conf import settings
    from django.db import connection

    from annotations import tasks

    total = len(ids)
    first_id = min(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotations_pagewatch SET next_check_at = now() - interval '1 hour'"
            " WHERE article_id >= %s",
            [first_id],
        )
        cursor.execute("VACUUM ANALYZE annotations_pagewatch")
        # The jobs table's statistics as a deployment's would stand between passes (autovacuum analyzes
        # it at its own times: which state it saw last decides procrastinate's plan, see fetch_query).
        cursor.execute("ANALYZE procrastinate_jobs")
    page_server_get(port, f"/_reset?generation={generation}")
    since = last_job_id()
    settings.CHECKS_PER_PASS = total
    started = time.perf_counter()
    queued = tasks.schedule_checks.func()
    scheduler_s = time.perf_counter() - started
    assert queued == total, (queued, total)
    # The next-job query with statistics from before the pass, then after ANALYZE, which the workers get:
    # the pass then measures the workers, not how soon autovacuum notices the new jobs.
    fetch_stale = fetch_query()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE procrastinate_jobs")
    fetch_at_start = fetch_query()

    sampler = CpuSampler(server_pid, DATABASE).start()
    launched = time.time()
    env = worker_env(url, port)
    options = ("--queues", "checks", "--one-shot", "--concurrency", str(concurrency))
    processes = [children.start(worker_command(*options), env=env, log=log) for _ in range(workers)]
    sampler.watch([process.pid for process in processes])
    deadline = time.monotonic() + 120 + total / 5  # far above the slowest rate seen (about 30 pages/s)
    try:
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise SystemExit(f"the check workers did not finish in time (log: {log})") from None
    finally:
        sampler.stop()
        for process in processes:
            children.stop(process)
    exited = time.time()
    if any(process.returncode for process in processes):
        raise SystemExit(f"a check worker exited with {[p.returncode for p in processes]} (log: {log})")

    jobs = job_times("annotations.refetch_article", since)
    statuses: dict[str, int] = {}
    for job in jobs:
        statuses[job["status"]] = statuses.get(job["status"], 0) + 1
    assert statuses == {"succeeded": total}, statuses
    first_start, last_done = min(j["started"] for j in jobs), max(j["succeeded"] for j in jobs)
    span = last_done - first_start
    buckets = [0] * (int(span // 10) + 1)  # pages done in each 10 s from the first start
    for job in jobs:
        buckets[int((job["succeeded"] - first_start) // 10)] += 1

    hits = json.loads(page_server_get(port, "/_hits"))
    expected = {f"/watch/{index}" for index in ids.values()}
    once = sum(1 for path in expected if hits.get(path) == 1)
    assert once == total and set(hits) == expected, (once, total, len(hits))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, count(r.id), bool_and(w.failures = 0 AND w.last_checked_at IS NOT NULL),"
            " bool_or(w.last_revision_id IS NOT NULL)"
            " FROM annotations_article a JOIN annotations_pagewatch w ON w.article_id = a.id"
            " JOIN annotations_revision r ON r.article_id = a.id WHERE a.id >= %s GROUP BY a.id",
            [first_id],
        )
        rows = cursor.fetchall()
    revised = sum(1 for article_id, _, _, _ in rows if changed(ids[article_id]))
    wrong = [
        (ids[article_id], revisions, last_revision)
        for article_id, revisions, ok, last_revision in rows
        if not ok
        or revisions != (1 + generation if changed(ids[article_id]) else 1)
        or last_revision != changed(ids[article_id])
    ]
    assert not wrong and len(rows) == total, wrong[:5]
    return {
        "workers": workers,
        "concurrency": concurrency,
        "pages": total,
        "changed": revised,
        "scheduler_pass_s": scheduler_s,
        "jobs_span_s": span,
        "pages_per_s": total / span,
        "workers_wall_s": exited - launched,
        "first_job_after_launch_s": first_start - launched,
        "exit_after_last_job_s": exited - last_done,
        "pages_per_s_whole": total / (scheduler_s + exited - launched),
        "fetched_once": once,
        "fetch_stale": fetch_stale,
        "fetch_at_start": fetch_at_start,
        "fetch_at_end": {key: value for key, value in fetch_query().items() if key.endswith("_count")},
        "pages_per_10s": buckets,
        "job_run": stats([j["succeeded"] - j["started"] for j in jobs]),
        # Cores used by each group while the jobs ran, and CPU seconds over the workers' whole life.
        "cores_during_jobs": sampler.between(first_start, last_done),
        "cpu_s_whole": dict(sampler.samples[-1][1]),
    }


def server_capacity(port: int, requests: int, threads: int, server_pid: int) -> dict[str, float]:
    """The page server alone: watched pages fetched over a new connection each, as the app fetches."""
    import psutil

    server = psutil.Process(server_pid)
    counter = iter(range(requests))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            body = page_server_get(port, f"/watch/{index % 10_000}")
            assert len(body) > 1_000

    before = server.cpu_times()
    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    seconds = time.perf_counter() - started
    after = server.cpu_times()
    cpu = after.user + after.system - before.user - before.system
    return {
        "requests": requests,
        "per_s": requests / seconds,
        "server_cpu_ms_per_page": cpu / requests * 1000,
    }


# --- The run --------------------------------------------------------------------------------------------


def report(r: dict[str, Any]) -> None:
    def line(name: str, s: dict[str, float]) -> None:
        print(
            f"  {name:<44} median {s['median'] * 1000:8.1f} ms   p95 {s['p95'] * 1000:8.1f} ms   (n={s['n']})"
        )

    imports = r["imports"]
    print(f"\nURL import ({'quick' if r['quick'] else 'full'}): pages from a local server, per-host rate off")
    print(f" load average before / after the run: {r['load_before']} / {r['load_after']}")
    print(" in this process (`run_url_import`), by step:")
    labels = {
        "import": "import (incl. suggestions)",
        "suggestions": "  of which suggestions",
        "rest": "rest (row updates, watch, commit)",
    }
    for name in ("total", "fetch", "extract", "import", "suggestions", "rest"):
        line(labels.get(name, name), imports["in_process"][name])
    print(f" the long page (~{LONG_WORDS:,} words), in this process:")
    for name in ("total", "fetch", "extract", "import", "suggestions", "rest"):
        line(labels.get(name, name), imports["long_in_process"][name])
    print(" one worker, from queue_url_import to the row saying imported:")
    line("end to end (the worker idle in between)", imports["end_to_end"])
    line("  wait in the queue (deferred -> started)", imports["queue_wait"])
    line("  the worker's run (started -> succeeded)", imports["worker_run"])
    line("the long page, end to end", imports["long_end_to_end"])
    line("back to back, end to end", imports["back_to_back"])
    line("  back to back, wait in the queue", imports["back_to_back_queue_wait"])
    print(f"  back to back, waits over 1 s: {imports['back_to_back_waits_over_1s']}")
    print(f"  first import after the worker starts: {imports['worker_first_import_s']:.2f} s")
    burst = imports["burst"]
    print(
        f"  burst of {burst['imports']} queued at once: drained in {burst['drained_s']:.2f} s,"
        f" {burst['per_s']:.1f} imports/s"
    )
    m = r["monitoring"]
    print(f"\nMonitoring pass over {m['watches']:,} watched URLs (setup {m['setup_s']:.1f} s)")
    for p in m["passes"]:
        cores = p["cores_during_jobs"]
        print(
            f"  {p['workers']} worker(s), concurrency {p['concurrency']}: {p['pages_per_s']:.1f} pages/s"
            f" ({p['pages']:,} in {p['jobs_span_s']:.1f} s); scheduler pass {p['scheduler_pass_s']:.2f} s;"
            f" {p['pages_per_s_whole']:.1f} pages/s counting it and the workers' start-up"
            f" ({p['workers_wall_s']:.1f} s from launch to exit: first job after"
            f" {p['first_job_after_launch_s']:.1f} s, exit {p['exit_after_last_job_s']:.1f} s after the last)"
        )
        print(
            f"    each URL fetched once: {p['fetched_once'] == p['pages']}; revised {p['changed']},"
            f" the others unchanged; a job median {p['job_run']['median'] * 1000:.0f} ms,"
            f" p95 {p['job_run']['p95'] * 1000:.0f} ms"
        )

        def plan(fetch: dict[str, Any]) -> str:
            how = "looks the lock up" if fetch["looks_lock_up"] else "compares with every waiting job"
            return f"{fetch['one_fetch_s'] * 1000:.1f} ms ({how})"

        print(
            f"    procrastinate's next-job query once the pass is queued: {plan(p['fetch_stale'])} with the"
            f" statistics from before it, {plan(p['fetch_at_start'])} after ANALYZE (the workers' case);"
            f" autoanalyze of the jobs table during the pass: {p['fetch_at_start']['autoanalyze_count']} ->"
            f" {p['fetch_at_end']['autoanalyze_count']}"
        )
        print(f"    pages done in each 10 s: {p['pages_per_10s']}")
        print(
            f"    cores used while the jobs ran: workers {cores['workers']:.2f}, PostgreSQL (this"
            f" database) {cores['postgres']:.2f}, page server {cores['server']:.2f},"
            f" this process {cores['benchmark']:.2f}; the whole machine {cores['machine']:.2f} of"
            f" {os.cpu_count()}"
        )
    s = m["server_capacity"]
    print(
        f"  the page server alone: {s['per_s']:.0f} pages/s over a new connection each,"
        f" {s['server_cpu_ms_per_page']:.2f} ms of its CPU a page"
    )
    print(json.dumps(r, default=float))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-pages":
        serve_pages(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="20 imports, 300 watched URLs (also BENCH_QUICK=1)"
    )
    parser.add_argument("--imports", type=int, default=None, help="imports timed each way (200)")
    parser.add_argument("--watches", type=int, default=None, help="watched URLs (10,000)")
    parser.add_argument("--concurrency", type=int, default=2, help="jobs at once in each check worker")
    parser.add_argument(
        "--workers", default=None, help="check workers of each pass, comma-separated (1,2,1,2; quick: 1,2)"
    )
    args = parser.parse_args()
    short = quick()
    count = args.imports or (20 if short else 200)
    watches = args.watches or (300 if short else 10_000)
    long_runs = 2 if short else 5
    # Twice each in the full form: this machine's speed drifts between minutes (see BENCHMARKS.md).
    workers_list = [int(n) for n in (args.workers or ("1,2" if short else "1,2,1,2")).split(",") if n.strip()]
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    url = recreate_database(DATABASE)  # starts (or joins) the embedded server when there is no DATABASE_URL
    children = Children()
    logs = Path(tempfile.gettempdir())
    server_log, worker_log = logs / "bench_url_import_pages.log", logs / "bench_url_import_workers.log"
    server_log.write_bytes(b"")
    worker_log.write_bytes(b"")
    try:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from annotations.models import User
        from annotations.roles import Role

        call_command("migrate", verbosity=0, interactive=False)
        logging.getLogger("procrastinate").setLevel(logging.WARNING)  # "Deferred 1 job" for each
        settings.DEBUG = False  # as the workers run: no query log
        port = free_port()
        server = children.start(
            [sys.executable, str(Path(__file__).resolve()), "--serve-pages", str(port)],
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
            log=server_log,
        )

        def listening() -> bool:
            if server.poll() is not None:
                raise SystemExit(f"the page server exited (log: {server_log})")
            with contextlib.suppress(OSError):
                page_server_get(port, "/_hits")
                return True
            return False

        wait_until(listening, "the page server", 30, every=0.1)
        settings.OUTBOUND_ALLOW_LOOPBACK_PORTS = frozenset({port})
        settings.OUTBOUND_PER_HOST_PER_SECOND = 0
        editor = User.objects.create(username="bench-editor", role=Role.EDITOR)

        print(f"Imports: {count} each way (logs: {worker_log})", file=sys.stderr, flush=True)
        results: dict[str, Any] = {"quick": short, "load_before": os.getloadavg()[0]}
        results["imports"] = url_imports(children, url, port, editor, count, long_runs, worker_log)

        print(f"Monitoring: {watches:,} watched URLs", file=sys.stderr, flush=True)
        from annotations.models import PageWatch

        PageWatch.objects.all().delete()  # the imports' own watches: not part of the pass
        started = time.perf_counter()
        ids = create_watches(url, Pages(), port, watches, editor)
        monitoring: dict[str, Any] = {
            "watches": watches,
            "setup_s": time.perf_counter() - started,
            "passes": [],
        }
        for generation, workers in enumerate(workers_list, start=1):
            print(f"  pass {generation}: {workers} worker(s)", file=sys.stderr, flush=True)
            monitoring["passes"].append(
                monitoring_pass(
                    children, url, port, ids, generation, workers, args.concurrency, server.pid, worker_log
                )
            )
        monitoring["server_capacity"] = server_capacity(port, 500 if short else 3_000, 4, server.pid)
        results["monitoring"] = monitoring
        results["load_after"] = os.getloadavg()[0]
    finally:
        children.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        drop_database()
    report(results)


def drop_database() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))


if __name__ == "__main__":
    main()
