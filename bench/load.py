#!/usr/bin/env python
"""Load test: the province's users against gunicorn, measured (issue 10, part 5).

    python bench/load.py [--database nlzf_province] [--users 40] [--spawn-rate 5]
                         [--duration 150s] [--workers 5] [--json]
    python bench/load.py --database-url postgres://.../nlzf_x --no-copy --duration 15s
    python bench/load.py ... --static-root DIR   # serve the files collected in DIR

What it does, in order:

1. **Database.** Copies ``--database`` (default ``nlzf_province``, built by
   ``manage.py seed_scale``) to a scratch database with ``createdb -T`` (or, while others
   keep sessions open on it, ``pg_dump`` piped into ``psql``), because liaisons
   write progress reports, and drops the copy at the end (``--keep-copy`` keeps it).
   ``--no-copy`` uses ``--database-url`` as it is (a throw-away test database). The copy
   is migrated to this checkout's models first.
2. **Plan.** Reads from that database who plays whom (``LOAD_PLAN``, a JSON file
   ``bench/locustfile.py`` reads): liaisons of units with open items and those items, the
   officials and API clients (the province's accounts from ``seed_scale`` if there, else the
   demo's), the exporter, and the latest published round with results.
3. **Processes.** Collects the static files (``collectstatic`` under production settings,
   WhiteNoise's compression included: about a minute of CPU; ``--static-root DIR`` serves
   the files already collected in ``DIR`` instead, as ``tests/test_load_script.py`` does
   with the collection it shares with the smoke test), then starts, as
   ``tests/test_smoke_processes.py`` does and compose would: gunicorn (``config.wsgi``,
   ``config.settings.production``, a fresh secret, SECURE_SSL_REDIRECT off behind the
   proxy whose ``X-Forwarded-Proto`` the users send) with ``--workers`` sync workers, and a
   Celery worker on a queue of its own.
   The default of 5 workers is gunicorn's own rule, 2 x cores + 1 on this 2-core machine:
   a request is Python on one core at a time, and while some wait on PostgreSQL (on the
   same machine) or on the export's few seconds the others keep both cores busy; more
   workers only add memory and context switches.
4. **Load.** ``locust --headless`` with the users of ``bench/locustfile.py`` for
   ``--duration``, its statistics written as CSV.
5. **Figures.** Prints, per kind of request: requests, requests per second, p50, p95, p99
   and failures; the total throughput; the errors (the run fails if there is any, or if a
   kind of request was never made); the ratio of the ranking endpoint's requests per second
   to the trivial JSON view's, both asked by a probe with no think time under the same mix;
   and the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOCUST = str(Path(PYTHON).with_name("locust"))
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
DEFAULT_DATABASE = "nlzf_province"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
#: How many liaisons (each with up to ITEMS_EACH open items of their unit) play.
LIAISONS = 40
ITEMS_EACH = 20
#: Issue 10: the ranking endpoint serves at least this share of the trivial JSON view's
#: requests per second under the same load (the ratio is printed to three places, so a
#: miss by a hair does not round up to the goal).
RANKING_GOAL = 0.30
# Accounts tried in this order; the first that exist play officials, API clients, exporter.
OFFICIALS = ("prov_office", "prov_official", "prov_secretary", "office", "official")
API_CLIENTS = ("prov_office", "prov_county_liaison", "office", "county_liaison")
EXPORTERS = ("prov_county_liaison", "county_liaison")
TRIVIAL = "probe: trivial JSON (/healthz)"
RANKING = "probe: API ranking"
#: Every kind of request bench/locustfile.py names; the run fails if one was never made.
KINDS = (
    "sign-in: login page",
    "sign-in: submit",
    "API: token",
    "page: home",
    "page: items",
    "page: item",
    "page: report progress",
    "page: battle map",
    "page: ranking",
    "API: ranking",
    "API: items, first page",
    "API: items, next page",
    "export: items to Excel",
    RANKING,
    TRIVIAL,
)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="database to copy")
    parser.add_argument(
        "--database-url",
        default=None,
        help="server (and, with --no-copy, database) to use (default: DATABASE_URL's server)",
    )
    parser.add_argument("--no-copy", action="store_true", help="use the database as it is")
    parser.add_argument("--keep-copy", action="store_true", help="keep the copy afterwards")
    parser.add_argument("--users", type=int, default=40, help="simulated users (default 40)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--duration", default="150s", help="locust's --run-time (default 150s)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument(
        "--think", type=float, default=1.0, help="scale of the users' think times (default 1)"
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: free)")
    parser.add_argument("--out", default=None, help="directory for logs and CSV (default: tmp)")
    parser.add_argument(
        "--static-root",
        default=None,
        metavar="DIR",
        help="serve the static files already collected in this directory (collectstatic under"
        " production settings) instead of collecting them (default: collect into --out)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args(argv)


# --- database --------------------------------------------------------------------------------
def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _psql_args(url: str) -> list[str]:
    parts = urlsplit(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    return [*args, "-U", parts.username or "postgres"]


@contextlib.contextmanager
def database(options: argparse.Namespace) -> Iterator[str]:
    """The URL of the database to load: a copy of ``--database`` (dropped afterwards), or
    ``--database-url`` itself with ``--no-copy``."""
    server = options.database_url or os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if options.no_copy:
        yield server
        return
    copy = f"nlzf_load_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    for _attempt in range(20):  # createdb -T needs the template free of other sessions
        done = subprocess.run(
            ["createdb", *_psql_args(server), "-T", options.database, copy],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            break
        if "being accessed by other users" not in done.stderr:
            raise SystemExit(f"createdb -T {options.database} failed: {done.stderr}")
        time.sleep(3)
    else:  # others keep reading it: a dump of one snapshot, restored into the copy
        print(f"{options.database} is in use: copying it with pg_dump instead", flush=True)
        subprocess.run(["createdb", *_psql_args(server), copy], check=True)
        dump = subprocess.Popen(
            ["pg_dump", *_psql_args(server), "--no-owner", "--no-privileges", options.database],
            stdout=subprocess.PIPE,
        )
        subprocess.run(
            ["psql", *_psql_args(server), "-q", "-v", "ON_ERROR_STOP=1", "-o", os.devnull, copy],
            stdin=dump.stdout,
            check=True,
        )
        if dump.wait() != 0:
            raise SystemExit(f"pg_dump {options.database} failed")
    print(f"copied {options.database} to {copy} in {time.perf_counter() - started:.1f} s")
    try:
        url = _with_database(server, copy)
        started = time.perf_counter()
        # The copy takes this checkout's migrations (a no-op when the source is up to date).
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
            },
            check=True,
        )
        print(f"migrated {copy} in {time.perf_counter() - started:.1f} s", flush=True)
        yield url
    finally:
        if options.keep_copy:
            print(f"kept {copy}")
        else:
            subprocess.run(
                ["dropdb", *_psql_args(server), "--force", "--if-exists", copy], check=False
            )
            print(f"dropped {copy}")


# --- plan ------------------------------------------------------------------------------------
def make_plan(database_url: str) -> dict[str, Any]:
    """Who plays whom, read from the database (in a child process with Django set up)."""
    done = subprocess.run(
        [PYTHON, __file__, "--plan"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"planning failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plan() -> dict[str, Any]:
    """(In the child) the liaisons and their open items, the accounts, the round."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Count

    from accounts.demo import DEFAULT_DEMO_PASSWORD
    from accounts.models import Membership, Post, User
    from assessments.models import Round, RoundStatus
    from tasks_ledger.models import OPEN_STATUSES, LedgerItem

    existing = set(
        User.objects.filter(
            username__in={*OFFICIALS, *API_CLIENTS, *EXPORTERS}, is_active=True
        ).values_list("username", flat=True)
    )
    # The province's accounts when seed_scale made them, else the demo's.
    province = any(u.startswith("prov_") for u in existing)
    wanted = [u for u in existing if u.startswith("prov_") == province]
    officials = [u for u in OFFICIALS if u in wanted]
    api_clients = [u for u in API_CLIENTS if u in wanted]
    exporter = next(u for u in EXPORTERS if u in wanted)

    liaisons = []
    memberships = (
        Membership.objects.filter(post=Post.LIAISON, user__is_active=True)
        .order_by("unit__path", "user_id")
        .values_list("user__username", "unit_id")
    )
    for username, unit_id in memberships.iterator():
        items = list(
            LedgerItem.objects.filter(unit_id=unit_id, status__in=OPEN_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)[:ITEMS_EACH]
        )
        if len(items) >= 3:
            liaisons.append({"username": username, "items": items})
        if len(liaisons) >= LIAISONS:
            break
    published = (
        Round.objects.filter(status=RoundStatus.PUBLISHED)
        .annotate(scored=Count("results"))
        .filter(scored__gt=0)
        .order_by("-scored", "-published_at")
        .values_list("pk", flat=True)
    )
    round_id = published.first()
    if round_id is None:
        raise SystemExit("no published round with results: nothing to rank")
    officials = [u for u in officials if _sees_ranking(u, round_id)]
    if not officials:
        raise SystemExit(f"none of {OFFICIALS} may see round {round_id}'s ranking")
    return {
        "password": os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
        "liaisons": liaisons,
        "officials": officials,
        "officials_api": officials[0],
        "api_clients": api_clients,
        "exporter": exporter,
        "round": round_id,
        "api_pages": 3,
    }


def _sees_ranking(username: str, round_id: int) -> bool:
    """(In the child) whether ``username`` gets round ``round_id``'s ranking page and
    endpoint (Django's test client, no server needed)."""
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User

    with contextlib.suppress(RuntimeError):
        setup_test_environment()  # the test client's host, once
    client = Client()
    client.force_login(User.objects.get(username=username))
    page = client.get(f"/assessments/rounds/{round_id}/ranking/")
    api = client.get(f"/api/v1/ranking/?round={round_id}")
    return page.status_code == api.status_code == 200


# --- processes -------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """gunicorn and a Celery worker under production settings on the load's database."""

    def __init__(self, database_url: str, options: argparse.Namespace, work: Path) -> None:
        self.port = options.port or _free_port()
        self.work = work
        self.queue = f"load-{uuid.uuid4().hex[:8]}"
        self.collect = options.static_root is None
        self.static_root = work / "static" if self.collect else Path(options.static_root)
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        self.env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_ROOT": str(self.static_root),
            "MEDIA_ROOT": str(work / "media"),
            "DATABASE_URL": database_url,
            "CACHE_KEY_PREFIX": self.queue,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
        }
        self.workers = options.workers
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        started = time.perf_counter()
        if self.collect:
            subprocess.run(
                [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=self.env,
                check=True,
            )
        elif not (self.static_root / "staticfiles.json").is_file():
            raise SystemExit(f"--static-root {self.static_root}: no collected files there")
        self._spawn(
            "web",
            [
                PYTHON, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers),
                "--timeout", "120",
                "--access-logfile", str(self.work / "access.log"),
            ],
        )  # fmt: skip
        self._spawn(
            "worker",
            [
                PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info",
                "-P", "solo", "-Q", self.queue, "-n", f"{self.queue}@%h",
                "--without-mingle", "--without-gossip",
            ],
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    log = (self.work / f"{name}.log").read_text(errors="replace")
                    raise SystemExit(f"{name} exited:\n{log[-3000:]}")
            with contextlib.suppress(OSError):
                if self.get("/healthz")[0] == 200:
                    break
            time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not answer /healthz in 120 s")
        print(
            f"gunicorn ({self.workers} sync workers) and a Celery worker up on port "
            f"{self.port} in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

    def _spawn(self, name: str, args: list[str]) -> None:
        with open(self.work / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def get(self, path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own
            return response.status, response.read()

    def stop(self) -> None:
        """SIGTERM to each process group (gunicorn's and Celery's children too), then KILL."""
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# --- load and figures ------------------------------------------------------------------------
def run_locust(stack: Stack, plan_file: Path, options: argparse.Namespace) -> Path:
    """locust headless with ``bench/locustfile.py``; the prefix of its CSV files."""
    prefix = stack.work / "locust"
    subprocess.run(
        [
            LOCUST, "-f", str(LOCUSTFILE), "--headless",
            "-u", str(options.users), "-r", str(options.spawn_rate), "-t", options.duration,
            "--host", f"http://127.0.0.1:{stack.port}",
            "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
            "--loglevel", "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_PLAN": str(plan_file)},
        check=False,  # locust exits 1 on any failure; the figures say which
    )  # fmt: skip
    return prefix


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def figures(prefix: Path) -> dict[str, Any]:
    """Per kind of request and in total, from locust's ``_stats.csv`` and ``_failures.csv``."""
    kinds = []
    total: dict[str, Any] = {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            figure: dict[str, Any] = {
                "kind": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(_number(row["Requests/s"]), 2),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
            }
            if row["Name"] == "Aggregated":
                total = figure
            else:
                kinds.append(figure)
    failures = []
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as errors:
        for row in csv.DictReader(errors):
            failures.append(f"{row['Occurrences']} x {row['Name']}: {row['Error']}")
    by_kind = {k["kind"]: k for k in kinds}
    trivial, ranking = by_kind.get(TRIVIAL), by_kind.get(RANKING)
    ratio = (
        round(ranking["rps"] / trivial["rps"], 3)
        if ranking and trivial and trivial["rps"]
        else None
    )
    return {"kinds": kinds, "total": total, "failures": failures, "ranking_ratio": ratio}


def report(result: dict[str, Any], expected: tuple[str, ...]) -> str:
    """The figures as a table and a few lines."""
    header = ("kind of request", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    rows = [
        (
            k["kind"],
            f"{k['requests']:,}",
            f"{k['rps']:.2f}",
            f"{k['p50_ms']:.0f}",
            f"{k['p95_ms']:.0f}",
            f"{k['p99_ms']:.0f}",
            str(k["failures"]),
        )
        for k in [*result["kinds"], {**result["total"], "kind": "all requests"}]
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, tuple("-" * w for w in widths), *rows]
    ]
    missing = [kind for kind in expected if kind not in {k["kind"] for k in result["kinds"]}]
    ratio = result["ranking_ratio"]
    lines += [
        "",
        f"throughput: {result['total'].get('rps', 0):.1f} requests/s; "
        f"errors: {result['total'].get('failures', 0)}",
        "ranking endpoint / trivial JSON view, requests per second under the same load: "
        + (
            "n/a"
            if ratio is None
            else f"{ratio:.3f} (goal: at least {RANKING_GOAL:.2f}: "
            + ("met" if ratio >= RANKING_GOAL else "MISSED")
            + ")"
        ),
    ]
    if missing:
        lines.append("kinds never requested: " + ", ".join(missing))
    lines += [f"error: {failure}" for failure in result["failures"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Copy, plan, start, load, print; 0 when there was no error and every kind was made."""
    if sys.argv[1:2] == ["--plan"]:
        print(json.dumps(_plan()))
        return 0
    options = arguments(argv)
    work = Path(options.out or tempfile.mkdtemp(prefix="nlzf-load-"))
    work.mkdir(parents=True, exist_ok=True)
    with database(options) as database_url:
        plan = {**make_plan(database_url), "think": options.think}
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        print(
            f"plan: {len(plan['liaisons'])} liaisons, officials {', '.join(plan['officials'])}, "
            f"API clients {', '.join(plan['api_clients'])}, exporter {plan['exporter']}, "
            f"round {plan['round']}",
            flush=True,
        )
        stack = Stack(database_url, options, work)
        try:
            stack.start()
            load_before = os.getloadavg()
            started = time.perf_counter()
            prefix = run_locust(stack, plan_file, options)
            elapsed = time.perf_counter() - started
            load_after = os.getloadavg()
        finally:
            stack.stop()
    result = figures(prefix)
    result.update(
        users=options.users,
        duration=options.duration,
        gunicorn_workers=options.workers,
        cpus=os.cpu_count(),
        load_before=[round(x, 2) for x in load_before],
        load_after=[round(x, 2) for x in load_after],
        seconds=round(elapsed, 1),
    )
    print()
    print(
        f"Load: {options.users} users for {options.duration} against gunicorn with "
        f"{options.workers} sync workers on {os.cpu_count()} CPUs"
    )
    print(report(result, KINDS))
    print(
        "load average before: {} · after: {}".format(
            " ".join(f"{x:.2f}" for x in load_before), " ".join(f"{x:.2f}" for x in load_after)
        )
    )
    print(f"logs and CSV: {work}")
    if options.json:
        print(json.dumps(result, ensure_ascii=False))
    missing = [kind for kind in KINDS if kind not in {k["kind"] for k in result["kinds"]}]
    return 1 if result["failures"] or result["total"].get("failures") or missing else 0


if __name__ == "__main__":
    sys.exit(main())
