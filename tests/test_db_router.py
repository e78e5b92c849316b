"""Which database each kind of request reads from (config/db_router.py).

A second alias, ``replica``, is a test mirror of the test database: a connection of its own
to the same data, as a streaming replica would be. Each test counts the queries each alias
ran. Tests that read through the replica commit (transaction=True): a mirror cannot see a
test transaction's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import shared_task
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Unit, User
from config.db_router import (
    PIN_COOKIE,
    REPLICA,
    ReplicaRouter,
    reading_from_replica,
    replica_reads,
)
from conftest import Org
from tasks_ledger.models import ImportJob
from tests.processes import free_port

pytestmark = pytest.mark.usefixtures("replica_alias")
BOTH = ["default", REPLICA]


@pytest.fixture(scope="module")
def replica_alias() -> Iterator[None]:
    """The ``replica`` alias for this module only, mirroring the test database.

    Module-scoped so it exists before pytest-django sets up each test's databases.
    """
    settings_dict = dict(connections["default"].settings_dict)
    settings_dict["TEST"] = {**settings_dict["TEST"], "MIRROR": "default"}
    connections.settings[REPLICA] = settings_dict
    try:
        yield
    finally:
        if hasattr(connections._connections, REPLICA):
            connections[REPLICA].close()
            delattr(connections._connections, REPLICA)
        del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def lag_checked_each_time(settings: Any) -> None:
    """Each read decision asks the replica its lag afresh: no test inherits what an earlier
    one found (a replica down, a mirror answering)."""
    settings.REPLICA_LAG_CHECK_SECONDS = 0


class Reads:
    """Queries run on the primary and on the replica within a block."""

    def __enter__(self) -> Reads:
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def on_replica(self, table: str) -> bool:
        """True when a query on the replica read ``table``."""
        return any(f'"{table}"' in q["sql"] for q in self.replica.captured_queries)

    def on_primary(self, table: str) -> bool:
        """True when a query on the primary read ``table``."""
        return any(f'"{table}"' in q["sql"] for q in self.primary.captured_queries)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_dashboard_get_reads_from_the_replica_and_its_session_from_the_primary(
    org: Org,
) -> None:
    """GIVEN a replica WHEN an official opens the home page (a dashboard)
    THEN its data comes from the replica, the session from the primary. (The first request
    computes the user's jurisdiction on the primary, and keeps it in Redis: a replica that
    lags must not be kept for the next 5 minutes; the second reads it from Redis.)
    """
    client = _signed_in(org.above)
    assert client.get(reverse("home")).status_code == 200
    with Reads() as reads:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert reads.on_replica("accounts_unit")
    assert not reads.on_primary("accounts_unit")
    assert not reads.on_replica("django_session")


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_an_export_reads_from_the_replica(org: Org) -> None:
    """GIVEN a replica WHEN the ledger's Excel export is downloaded THEN it reads the replica."""
    client = _signed_in(org.above)
    with Reads() as reads:
        response = client.get(reverse("ledger:export"))
        b"".join(response.streaming_content)
    assert response.status_code == 200
    assert reads.on_replica("tasks_ledger_ledgeritem")
    assert not reads.on_primary("tasks_ledger_ledgeritem")


# Not transactional: the replica must not be asked at all (a mirror sees no test data).
@pytest.mark.django_db(databases=BOTH)
def test_a_page_not_listed_reads_from_the_primary(org: Org) -> None:
    """GIVEN a replica WHEN a page that is no dashboard (the units list) is opened
    THEN nothing is read from the replica.
    """
    client = _signed_in(org.above)
    with Reads() as reads:
        response = client.get(reverse("unit-list"))
    assert response.status_code == 200
    assert reads.replica.captured_queries == []
    assert reads.on_primary("accounts_unit")


# Not transactional: the replica must not be asked at all (a mirror sees no test data).
@pytest.mark.django_db(databases=BOTH)
def test_after_a_post_the_browser_reads_its_dashboards_from_the_primary(org: Org) -> None:
    """GIVEN a replica WHEN a user posts anything (here: marks notifications read)
    THEN the POST reads the primary only, the response pins the browser with a short-lived
    cookie, and the next dashboard GET with that cookie reads the primary too.
    """
    client = _signed_in(org.above)
    with Reads() as reads:
        response = client.post(reverse("notifications-read-all"))
    assert reads.replica.captured_queries == []
    pin = response.cookies[PIN_COOKIE]
    assert int(pin["max-age"]) == 15
    assert pin["httponly"]
    with Reads() as reads:
        assert client.get(reverse("home")).status_code == 200
    assert reads.replica.captured_queries == []
    assert reads.on_primary("accounts_unit")


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_read_inside_a_transaction_and_every_write_go_to_the_primary(org: Org) -> None:
    """GIVEN replica reads switched on WHEN code reads inside a transaction, or saves an
    object it read from the replica and reads again THEN those go to the primary; a plain
    read goes to the replica, and a model kept on the primary (sessions) never goes there.
    """
    from django.contrib.sessions.models import Session

    router = ReplicaRouter()
    with replica_reads():
        unit = Unit.objects.get(pk=org.county_a.pk)
        assert unit._state.db == REPLICA
        assert router.db_for_read(Session) is None
        assert router.db_for_read(ImportJob) is None  # named as app.model
        with transaction.atomic():
            assert Unit.objects.get(pk=org.county_a.pk)._state.db == "default"
        unit.name = "甲县（改）"
        with Reads() as reads:
            unit.save(update_fields=["name"])
            # After a write, this context reads what it wrote: from the primary.
            assert Unit.objects.get(pk=org.county_a.pk).name == "甲县（改）"
        assert reads.replica.captured_queries == []
        assert reads.on_primary("accounts_unit")
    assert Unit.objects.get(pk=org.county_a.pk).name == "甲县（改）"
    assert router.db_for_read(Unit) is None  # switched off again
    assert router.allow_migrate(REPLICA, "accounts") is False
    assert router.allow_migrate("default", "accounts") is True


@shared_task(name="tests.test_db_router.read_alias")
def read_alias() -> str:
    """Where a read of units goes from inside this task."""
    return ReplicaRouter().db_for_read(Unit) or "default"


def test_tasks_listed_read_from_the_replica(settings: Any) -> None:
    """GIVEN REPLICA_READ_TASKS naming a task WHEN it runs THEN it reads the replica; the
    next task, not listed, reads the primary again.
    """
    settings.REPLICA_MAX_LAG_SECONDS = 0  # no lag check: no database in this test
    settings.REPLICA_READ_TASKS = ["tests.test_db_router.read_alias"]
    assert read_alias.apply().get() == REPLICA
    settings.REPLICA_READ_TASKS = []
    assert read_alias.apply().get() == "default"


def test_without_a_replica_alias_the_router_answers_nothing() -> None:
    """GIVEN no replica alias (DATABASE_REPLICA_URL unset) THEN reads go to the default."""
    settings_dict = connections.settings.pop(REPLICA)
    try:
        with replica_reads():
            model: type[Model] = Unit
            assert ReplicaRouter().db_for_read(model) is None
    finally:
        connections.settings[REPLICA] = settings_dict


@pytest.mark.django_db
def test_without_a_replica_requests_leave_nothing_switched_on(org: Org) -> None:
    """GIVEN no replica alias WHEN a dashboard is opened and a form posted
    THEN nothing is read from a replica, no pin cookie is set, and reads are not left
    switched on for whatever the process runs next (the next test, task or request).
    """
    settings_dict = connections.settings.pop(REPLICA)
    try:
        client = _signed_in(org.above)
        assert client.get(reverse("home")).status_code == 200
        response = client.post(reverse("notifications-read-all"))
        assert PIN_COOKIE not in response.cookies
        connections.settings[REPLICA] = settings_dict
        assert not reading_from_replica()
    finally:
        connections.settings[REPLICA] = settings_dict


def _view_names(patterns: list[Any], namespace: str = "") -> set[str]:
    """Every URL name under ``patterns``, with its namespaces (``ledger:map``)."""
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _view_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_view_sent_to_the_replica_exists() -> None:
    """GIVEN REPLICA_READ_VIEWS THEN each names a URL of the site, so a renamed dashboard
    cannot silently fall back to the primary; the map, the rankings and the exports are in.
    """
    names = _view_names(get_resolver().url_patterns)
    assert set(django_settings.REPLICA_READ_VIEWS) <= names
    for name in ("home", "ledger:map", "ledger:export", "api:ranking", "accountability:stats"):
        assert name in django_settings.REPLICA_READ_VIEWS


@pytest.fixture
def replica_down() -> Iterator[None]:
    """The replica alias pointing where nothing listens, as when its server is down."""
    saved = connections.settings[REPLICA]
    if hasattr(connections._connections, REPLICA):
        connections[REPLICA].close()
        delattr(connections._connections, REPLICA)
    connections.settings[REPLICA] = {**saved, "PORT": str(free_port())}
    try:
        yield
    finally:
        connections[REPLICA].close()
        delattr(connections._connections, REPLICA)
        connections.settings[REPLICA] = saved


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_replica_that_does_not_answer_leaves_the_dashboards_on_the_primary(
    org: Org, settings: Any, replica_down: None
) -> None:
    """GIVEN a replica whose server does not answer WHEN an official opens the home page
    THEN it is served from the primary, not a 500.
    """
    client = _signed_in(org.above)
    with CaptureQueriesContext(connections["default"]) as primary:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert any('"accounts_unit"' in q["sql"] for q in primary.captured_queries)
