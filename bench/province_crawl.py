#!/usr/bin/env python
"""Crawl: every GET URL of the site at a province's size, to find the unusably slow ones.

    python bench/province_crawl.py [--database nlzf_province] [--users prov_office ...]
    python bench/province_crawl.py --only ledgers supervision --timeout 5s --slow 1000

``bench/province_pages.py`` measures the pages a province opens every day; this one asks
for all of them once, so that a page nobody thought of (the ledger list ran a count over
every item for over ten minutes) is found before a user finds it. It walks the URL resolver:
a pattern without arguments is asked as is; one with arguments is filled with a
representative object the user may see (for the API, the first row of the matching list
endpoint; for the pages, the latest row within the user's jurisdiction, else the latest
row). The admin (nobody measured is staff), sign-out and the format-suffixed API routes are
left out; POST-only views answer 405 and are listed as such.

Every request runs in a savepoint of one transaction that is rolled back at the end (the
province database is never written; sessions are signed in without the login signal, as
``province_pages`` does), under ``SET LOCAL statement_timeout`` (``--timeout``, 5 s): a
statement that runs longer is cancelled, the savepoint rolled back and the URL marked
TIMEOUT; Python time past ``--wall`` seconds (a big export drawn in the view) is stopped
too (WALL). A URL over ``--slow`` ms is marked SLOW. Per URL: status, ms, queries
(statements but transaction control), bytes (streamed bodies are read to the end), sorted
by time, slowest first.
"""

from __future__ import annotations

import gc
import re
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PROVINCE_DB, dump, machine, province_database, report, setup_django
from bench.province_pages import TRANSACTION_CONTROL, load_average, rolled_back, sign_in

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.test import Client

    from accounts.models import User

USERS = ("prov_office", "prov_county_liaison", "prov_official", "prov_assessor")
#: URL names never asked for: signing out ends the session the crawl runs in.
SKIP_NAMES = frozenset({"logout", "set_language"})
#: Namespaces left out: the admin (nobody crawled is staff: every page a redirect).
SKIP_NAMESPACES = ("admin",)
#: PostgreSQL's "canceling statement due to statement timeout".
QUERY_CANCELED = "57014"
#: Arguments a pattern may have besides an object's key.
KEY_ARGUMENTS = ("pk", "round_pk")


class WallClock(Exception):
    """The request ran past ``--wall`` seconds of its own (Python, not a statement)."""


@dataclass(frozen=True)
class Target:
    """One URL pattern to ask: its name, route, and the arguments it takes."""

    name: str
    route: str
    arguments: tuple[str, ...]
    api_list: str | None = None  # the API list route whose first row fills ``pk``


@dataclass
class Hit:
    """One URL asked for and what it cost."""

    who: str
    name: str
    url: str
    status: int | str
    ms: float
    queries: int
    bytes: int
    mark: str = ""
    note: str = ""
    statements: list[tuple[float, str]] = field(default_factory=list)

    def row(self) -> tuple[Any, ...]:
        return (
            self.mark,
            round(self.ms, 1),
            self.status,
            self.queries,
            self.bytes,
            self.who,
            self.url,
            self.note,
        )


# ---------------------------------------------------------------------------------------------
# The URLs
# ---------------------------------------------------------------------------------------------


def _walk(resolver: Any, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, Any, str]]:
    from django.urls import URLResolver

    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), pattern, name or ""


def targets(urlconf: str | None = None) -> list[Target]:
    """Every GET-able pattern of the site, once each (format suffixes left out)."""
    from django.urls import get_resolver

    found: list[Target] = []
    seen: set[tuple[str, str]] = set()
    for route, pattern, name in _walk(get_resolver(urlconf)):
        if not name or name in SKIP_NAMES or name.split(":")[0] in SKIP_NAMESPACES:
            continue
        if "format" in pattern.pattern.regex.groupindex or "<drf_format_suffix" in route:
            continue
        arguments = tuple(pattern.pattern.regex.groupindex)
        if (name, route) in seen:
            continue
        seen.add((name, route))
        api_list = None
        if name.startswith("api:") and "(?P<pk>" in route:
            api_list = "/" + route.split("(?P<pk>")[0].replace("^", "")
        found.append(Target(name, route, arguments, api_list))
    return found


def _unit_path(model: type[Model]) -> str | None:
    """The way from ``model`` to the unit it belongs to, for the jurisdiction's filter."""
    from accounts.models import Unit

    names = {f.name: f for f in model._meta.get_fields()}
    if model is Unit:
        return ""
    for way in ("unit", "scope"):
        if way in names and getattr(names[way], "related_model", None) is Unit:
            return way
    for hop in ("item", "notice", "deduction", "score", "round"):
        related = getattr(names.get(hop), "related_model", None)
        if related is not None:
            inner = _unit_path(related)
            if inner:
                return f"{hop}__{inner}"
    return None


def latest_seen(model: type[Model], user: User) -> int | None:
    """The latest row of ``model`` the user may see: its own (recipient, user), else within
    the jurisdiction by its unit, else the latest row (the view decides)."""
    from accounts.jurisdiction import jurisdiction_for

    names = {f.name for f in model._meta.get_fields()}
    rows: QuerySet[Any] = model._default_manager.all()
    if "recipient" in names:
        rows = rows.filter(recipient=user)
    elif model.__name__ in ("ApiToken", "ImportJob", "ScoreImportJob") and "user" in names:
        rows = rows.filter(user=user)
    else:
        way = _unit_path(model)
        if way is not None:
            scoped = rows.filter(jurisdiction_for(user).q(way))
            pk = scoped.order_by("-pk").values_list("pk", flat=True).first()
            if pk is not None:
                return pk
    return rows.order_by("-pk").values_list("pk", flat=True).first()


def _models() -> list[tuple[re.Pattern[str], Callable[[User], int | None]]]:
    """Which object fills a page's key, by the URL name (first match wins)."""
    from accountability.models import AccountabilityMeasure, Exemption, Notice, NoticeAttachment
    from accounts.models import ApiToken, Notification, Unit
    from assessments.models import (
        Appeal,
        Deduction,
        EvidenceFile,
        HonorFlag,
        HonorRoll,
        HonorSubmission,
        Round,
        Scheme,
        ScoreEntry,
        ScoreImportJob,
    )
    from campaign.models import Campaign, ResponsibilityChain
    from tasks_ledger.models import (
        Evidence,
        ExtensionRequest,
        ImportJob,
        LedgerItem,
        ProgressReport,
        ReviewMeeting,
        SignOffRequest,
        StatusChangeRequest,
    )

    def own_unit(user: User) -> int | None:
        membership = user.memberships.order_by("pk").values_list("unit_id", flat=True).first()
        return membership or Unit.objects.order_by("pk").values_list("pk", flat=True).first()

    def of(model: type[Model]) -> Callable[[User], int | None]:
        return lambda user: latest_seen(model, user)

    table: list[tuple[str, Callable[[User], int | None]]] = [
        (r"^token-", of(ApiToken)),
        (r"^notification-", of(Notification)),
        (r"^unit-", own_unit),
        (r"^campaign:(detail|history)$", of(Campaign)),
        (r"^campaign:chain-", of(ResponsibilityChain)),
        (r"^ledger:item-", of(LedgerItem)),
        (r"^ledger:report-", of(ProgressReport)),
        (r"^ledger:signoff-", of(SignOffRequest)),
        (r"^ledger:extension-", of(ExtensionRequest)),
        (r"^ledger:status-request-", of(StatusChangeRequest)),
        (r"^ledger:evidence$", of(Evidence)),
        (r"^ledger:meeting-", of(ReviewMeeting)),
        (r"^ledger:import-", of(ImportJob)),
        (r"^accountability:notice-attachment$", of(NoticeAttachment)),
        (r"^accountability:notice-", of(Notice)),
        (r"^accountability:measure-", of(AccountabilityMeasure)),
        (r"^accountability:exemption-", of(Exemption)),
        (r"^assessments:scheme-", of(Scheme)),
        (r"^assessments:score-import-job$", of(ScoreImportJob)),
        (r"^assessments:score-detail$", of(ScoreEntry)),
        (r"^assessments:evidence-file$", of(EvidenceFile)),
        (r"^assessments:(deduction-detail|deduction-history|appeal-create)$", of(Deduction)),
        (r"^assessments:appeal-detail$", of(Appeal)),
        (r"^assessments:honor-flag-remove$", of(HonorFlag)),
        (r"^assessments:honor-submission-", of(HonorSubmission)),
        (r"^assessments:honor-", of(HonorRoll)),
        (r"^(assessments|public):", of(Round)),
    ]
    return [(re.compile(pattern), pick) for pattern, pick in table]


def first_id(content: bytes) -> int | None:
    """The first row's id of an API list answer (paginated or not)."""
    import json

    try:
        data = json.loads(content)
    except ValueError:
        return None
    rows = data.get("results", data) if isinstance(data, dict) else data
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        key = rows[0].get("id", rows[0].get("pk"))
        return key if isinstance(key, int) else None
    return None


# ---------------------------------------------------------------------------------------------
# Asking
# ---------------------------------------------------------------------------------------------


def _alarm(_signum: int, _frame: Any) -> None:
    raise WallClock


def _close(response: Any) -> None:
    """Close a streamed response (its cursor, if stopped half-way) as the test client does:
    without ``close_old_connections``, which would close the connection the crawl's
    transaction lives in (its autocommit is off)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def ask(client: Client, who: str, name: str, url: str, *, wall: float, slow_ms: float) -> Hit:
    """One GET in a savepoint of its own: status, time, statements, bytes."""
    from django.db import OperationalError, connection, transaction
    from django.test.utils import CaptureQueriesContext

    status: int | str
    size = 0
    note = ""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, wall)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        try:
            with transaction.atomic():
                try:
                    response: Any = client.get(url)
                    if response.streaming:
                        try:
                            for chunk in response.streaming_content:
                                size += len(chunk)
                        finally:
                            _close(response)
                    else:
                        size = len(response.content)
                except BaseException as error:
                    # A view stopped half-way may hold an iterator over a server-side cursor:
                    # close it now, in the savepoint where the cursor still exists (closed
                    # later, after the rollback, its error would abort the whole transaction).
                    traceback.clear_frames(error.__traceback__)
                    gc.collect()
                    raise
                status = response.status_code
                if status in (301, 302):
                    note = "-> " + response.get("Location", "")
        except WallClock:
            status, note = "WALL", f"stopped after {wall:g} s"
        except OperationalError as error:
            cause = error.__cause__
            code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
            status = "TIMEOUT" if code == QUERY_CANCELED else "DBERROR"
            note = str(error).splitlines()[0][:100]
        except Exception as error:  # a crawl reports every failure and goes on
            status, note = "ERROR", f"{type(error).__name__}: {str(error)[:100]}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    ms = (time.perf_counter() - started) * 1000
    statements = [
        (float(query.get("time") or 0) * 1000, query["sql"])
        for query in captured.captured_queries
        if not TRANSACTION_CONTROL.match(query["sql"])
    ]
    if status in ("TIMEOUT", "WALL"):
        mark = status
    elif isinstance(status, str) or status >= 500:
        mark = "ERROR"
    elif ms > slow_ms:
        mark = "SLOW"
    else:
        mark = ""
    return Hit(who, name, url, status, ms, len(statements), size, mark, note, statements)


def urls_for(
    target: Target, user: User, api_ids: dict[str, int | None], picks: list[Any]
) -> str | tuple[None, str] | None:
    """The URL to ask for ``target``: its route reversed with a representative object."""
    from django.urls import NoReverseMatch, reverse

    if not target.arguments:
        return reverse(target.name)
    if set(target.arguments) - set(KEY_ARGUMENTS):
        return None, f"arguments {', '.join(target.arguments)}"
    key: int | None = None
    if target.api_list is not None:
        key = api_ids.get(target.api_list)
    else:
        for pattern, pick in picks:
            if pattern.search(target.name):
                key = pick(user)
                break
        else:
            return None, "no object known for it"
    if key is None:
        return None, "no object the user may see"
    try:
        return reverse(target.name, kwargs={target.arguments[0]: key})
    except NoReverseMatch as error:
        return None, str(error)[:100]


def _repair(client: Client, user: User, timeout: str) -> None:
    """A new session for ``user`` and the statement timeout set again (the transaction is
    still the one rolled back at the end: a savepoint's rollback never leaves it)."""
    from django.db import connection

    assert connection.in_atomic_block, "the crawl must run in the transaction rolled back"
    with connection.cursor() as cursor:  # fails if the transaction was aborted: crawl stops
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [timeout])
    sign_in(client, user)


def crawl(
    user: User,
    *,
    timeout: str = "5s",
    wall: float = 30.0,
    slow_ms: float = 1000.0,
    only: Sequence[str] = (),
    urlconf: str | None = None,
) -> tuple[list[Hit], list[tuple[str, str, str]]]:
    """Every target as ``user``: the hits and the targets left out (name, route, why)."""
    from django.test import Client

    client = Client()
    sign_in(client, user)
    who = user.username
    chosen = [t for t in targets(urlconf) if not only or any(w in t.route for w in only)]
    client.get("/")  # the session, the jurisdiction and the badge cached, as every page has them
    hits: list[Hit] = []
    left: list[tuple[str, str, str]] = []
    api_ids: dict[str, int | None] = {}
    picks = _models()
    # Lists first: their first rows fill the API's detail routes.
    for target in sorted(chosen, key=lambda t: bool(t.arguments)):
        url = urls_for(target, user, api_ids, picks)
        if url is None or isinstance(url, tuple):
            left.append((target.name, target.route, url[1] if url else "?"))
            continue
        hit = ask(client, who, target.name, url, wall=wall, slow_ms=slow_ms)
        hits.append(hit)
        if isinstance(hit.status, str):
            # A request stopped half-way may leave the session or the transaction's settings
            # behind: set them again so the next URL is asked as the first was.
            _repair(client, user, timeout)
        if target.name.startswith("api:") and hit.status == 200:
            api_ids[url] = first_id(client.get(url).content) if hit.bytes < 5_000_000 else None
        print(f"  {hit.mark or 'ok':7} {hit.ms:9.1f} ms {hit.status!s:7} {url}", flush=True)
    return hits, left


def slowest(hit: Hit, count: int = 3) -> list[tuple[float, str]]:
    """The ``count`` slowest statements of a hit."""
    return sorted(hit.statements, key=lambda s: -s[0])[:count]


def run(
    users: Sequence[User],
    *,
    timeout: str = "5s",
    wall: float = 30.0,
    slow_ms: float = 1000.0,
    only: Sequence[str] = (),
    urlconf: str | None = None,
) -> list[Hit]:
    """Crawl as every user in turn (one transaction, rolled back by the caller); print the
    table sorted by time and the slowest statements of each SLOW/TIMEOUT row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [timeout])
    everything: list[Hit] = []
    for user in users:
        before = load_average()
        print(f"\n{user.username}: load average {before}", flush=True)
        hits, left = crawl(
            user, timeout=timeout, wall=wall, slow_ms=slow_ms, only=only, urlconf=urlconf
        )
        everything += hits
        for name, route, why in left:
            print(f"  left out {name} ({route}): {why}")
    everything.sort(key=lambda h: -h.ms)
    print()
    print(
        report(
            f"{len(everything)} GETs; statement_timeout {timeout}, SLOW > {slow_ms:g} ms; "
            f"load average {load_average()}",
            ("", "ms", "status", "queries", "bytes", "user", "url", "note"),
            [hit.row() for hit in everything],
        ),
        flush=True,
    )
    for hit in everything:
        if hit.mark in ("SLOW", "TIMEOUT", "WALL"):
            print(f"\n{hit.mark} {hit.who} {hit.url} ({hit.ms:.0f} ms)")
            for ms, sql in slowest(hit):
                print(f"   {ms:8.1f} ms  {sql[:600]}")
    return everything


def _options() -> Any:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=PROVINCE_DB, help="(default: %(default)s)")
    parser.add_argument("--users", nargs="+", default=list(USERS), help="usernames")
    parser.add_argument("--timeout", default="5s", help="statement_timeout (%(default)s)")
    parser.add_argument("--wall", type=float, default=30.0, help="seconds a request may take")
    parser.add_argument("--slow", type=float, default=1000.0, help="SLOW over this many ms")
    parser.add_argument("--only", nargs="+", default=(), metavar="WORD", help="routes holding")
    parser.add_argument("--json", action="store_true", help="print the hits as JSON too")
    return parser.parse_args()


def main() -> None:
    """Crawl the province database (read only: one transaction, rolled back)."""
    options = _options()
    setup_django()
    province_database(name=options.database)
    from accounts.models import User

    users = [u for name in options.users for u in User.objects.filter(username=name)]
    with rolled_back():
        hits = run(
            users,
            timeout=options.timeout,
            wall=options.wall,
            slow_ms=options.slow,
            only=options.only,
        )
        about = machine()
    if options.json:
        rows = [{k: v for k, v in vars(h).items() if k != "statements"} for h in hits]
        print(dump({"benchmark": "province_crawl", "machine": about, "hits": rows}))


if __name__ == "__main__":
    main()
