"""What every signed-in page pays, kept in Redis: each user's jurisdiction and unread count
(:mod:`accounts.versioned_cache`). A page reads them without a query once they are kept;
every write they are computed from drops them at once, whether it comes through a service,
the admin, the ORM or a bulk path; with Redis down they are computed each time.

Most tests here commit (``transactional_db``): inside a transaction that changed what a value
is computed from the cache is not used at all, so the tests of other modules, which build
their world inside the test's transaction, never meet a kept value.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import versioned_cache
from accounts.jurisdiction import _SHAPE, cached_jurisdiction, jurisdiction_for
from accounts.models import Membership, Post, Role, RoleAssignment, Unit, User
from accounts.notifications import (
    Message,
    notification_mark_read,
    notifications_mark_all_read,
    notify,
    notify_many,
    unread_count,
)
from accounts.services import membership_add
from accounts.tests.factories import MembershipFactory

# Tables the jurisdiction (posts, roles, supervised units) and the bell read.
JURISDICTION_TABLES = ('"accounts_membership"', '"accounts_roleassignment"')
BELL = "read_at"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def statements(client: Client, url: str, status: int = 200) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return [query["sql"] for query in captured.captured_queries]


def reads_jurisdiction(sql: list[str]) -> bool:
    return any(table in query for query in sql for table in JURISDICTION_TABLES)


def fresh(user: User) -> User:
    """The user as a new request loads it (no per-object memo)."""
    return User.objects.get(pk=user.pk)


def kept_key(user: User) -> str:
    """Where an active user's (not a superuser's) jurisdiction is kept."""
    return versioned_cache.cache_key("jurisdiction", _SHAPE, user.pk, 1, 0)


def unit_page(unit: Unit) -> str:
    return reverse("unit-detail", args=[unit.pk])


@pytest.mark.django_db(transaction=True)
def test_the_frame_reads_the_jurisdiction_and_the_bell_once(org: Any) -> None:
    """GIVEN a liaison who has opened a page WHEN they open the trivial frame again THEN it
    reads neither posts nor roles nor the unread count: the session's user and the
    session's save are all it queries."""
    client = signed_in(org.inside)
    first = statements(client, reverse("profile"))
    assert reads_jurisdiction(first)
    again = statements(client, reverse("inbox"))
    assert not reads_jurisdiction(again)
    tree = statements(client, "/units/")
    assert not reads_jurisdiction(tree)
    assert not any("COUNT(" in q and BELL in q for q in tree)


@pytest.mark.django_db(transaction=True)
def test_a_role_revoked_in_the_admin_stops_working_at_the_next_request(org: Any) -> None:
    """GIVEN the city's campaign office, its jurisdiction kept WHEN an administrator deletes
    its role in the admin THEN its next request no longer finds county A's page (and the
    grant given again through the service opens it at once)."""
    client = signed_in(org.above)
    assert client.get(unit_page(org.county_a)).status_code == 200
    assert cache.get(kept_key(org.above)) is not None
    role = RoleAssignment.objects.get(user=org.above, role=Role.CAMPAIGN_OFFICE)
    admin = signed_in(org.superuser)
    response = admin.post(
        reverse("admin:accounts_roleassignment_delete", args=[role.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert client.get(unit_page(org.county_a)).status_code == 404
    membership_add(actor=org.superuser, user=org.above, unit=org.county_a, post=Post.LIAISON)
    assert client.get(unit_page(org.county_a)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_posts_groups_moves_and_flags_drop_the_kept_jurisdiction(org: Any) -> None:
    """GIVEN kept jurisdictions WHEN a post is removed, a group member leaves, a unit moves
    or a superuser loses the flag THEN the next lookup sees the change."""
    for user in (org.inside, org.supervisor, org.above, org.superuser):
        cached_jurisdiction(fresh(user))
    Membership.objects.filter(user=org.inside).delete()
    assert jurisdiction_for(fresh(org.inside)).is_empty
    org.group_a.members.remove(org.supervisor)
    assert jurisdiction_for(fresh(org.supervisor)).is_empty
    MembershipFactory(user=org.inside, unit=org.county_a, post=Post.LIAISON)
    cached_jurisdiction(fresh(org.inside))
    Unit.objects.move(org.county_a, org.county_b, pos="sorted-child")  # new paths
    assert jurisdiction_for(fresh(org.inside)).can_manage(Unit.objects.get(pk=org.township_a.pk))
    User.objects.filter(pk=org.superuser.pk).update(is_superuser=False)  # past every signal
    assert not jurisdiction_for(fresh(org.superuser)).is_global


@pytest.mark.django_db(transaction=True)
def test_a_change_in_an_open_transaction_neither_reads_nor_fills_the_cache(org: Any) -> None:
    """GIVEN the office's jurisdiction kept WHEN a transaction revokes its role THEN inside
    it the jurisdiction is computed afresh (no role) and not kept: after the rollback the
    office has its city again."""
    cached_jurisdiction(fresh(org.above))
    with transaction.atomic():
        RoleAssignment.objects.filter(user=org.above).delete()
        assert versioned_cache.changed_here()
        assert jurisdiction_for(fresh(org.above)).is_empty
        assert jurisdiction_for(fresh(org.above)).is_empty
        transaction.set_rollback(True)
    assert not versioned_cache.changed_here()
    assert jurisdiction_for(fresh(org.above)).can_manage(org.county_b)


@pytest.mark.django_db(transaction=True)
def test_a_value_computed_before_a_change_and_stored_after_it_is_not_used(org: Any) -> None:
    """GIVEN a reader that read the version, then a change bumps it WHEN the reader stores what
    it computed from the old rows THEN nobody is served that value."""
    version = versioned_cache.cache_key("jurisdiction", "generation")
    key = kept_key(org.inside)
    stale = cached_jurisdiction(fresh(org.inside))
    old_token = cache.get(version)
    assert cache.get(key) == (old_token, stale)
    Membership.objects.filter(user=org.inside).delete()  # bumps
    cache.set(key, (old_token, stale), 60)  # the slow reader's late write
    assert jurisdiction_for(fresh(org.inside)).is_empty


@pytest.mark.django_db(transaction=True)
def test_the_bell_follows_every_write(org: Any) -> None:
    """GIVEN a kept unread count WHEN notifications are written one by one, in bulk, read
    one and all THEN the count is right each time."""
    user = fresh(org.inside)
    assert unread_count(user=user) == 0
    first = notify(recipients=[user], kind="notice", title="一")[0]
    assert unread_count(user=user) == 1
    notify_many([Message(recipients=[user.pk, org.outsider.pk], kind="notice", title="二")])
    assert unread_count(user=user) == 2
    notification_mark_read(user=user, notification_id=first.pk)
    assert unread_count(user=user) == 1
    with CaptureQueriesContext(connection) as captured:
        assert unread_count(user=user) == 1
    assert not captured.captured_queries  # kept
    assert notifications_mark_all_read(user=user) == 1
    assert unread_count(user=user) == 0
    user.notifications.create(kind="notice", title="三")  # the ORM, as the admin does
    assert unread_count(user=user) == 1
    user.notifications.all().delete()
    assert unread_count(user=user) == 0


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_pages_compute_the_frame(org: Any, settings: Any) -> None:
    """GIVEN Redis unreachable WHEN the liaison opens pages THEN they are served, the
    jurisdiction and the bell computed on every request."""
    unreachable = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {**settings.CACHES, "default": unreachable}
    notify(recipients=[org.inside], kind="notice", title="一")
    client = signed_in(org.inside)
    for _ in range(2):
        sql = statements(client, "/units/")
        assert reads_jurisdiction(sql)
    assert unread_count(user=fresh(org.inside)) == 1
    assert cached_jurisdiction(fresh(org.inside)).can_manage(org.township_a)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_waits_with_one_callback_and_a_savepoint_rollback_drops_its_own() -> None:
    """GIVEN a transaction WHEN a savepoint that changed something rolls back THEN the cache is
    used again; WHEN later changes follow (also in a released savepoint) THEN one callback
    waits for the commit with all their keys (a sweep's thousands of changes are not
    thousands of callbacks to search)."""
    a, b, c, d = (versioned_cache.cache_key("test", name) for name in "abcd")
    with transaction.atomic():
        assert not versioned_cache.changed_here()
        with transaction.atomic():
            versioned_cache.bump([a])
            assert versioned_cache.changed_here()
            transaction.set_rollback(True)
        assert not versioned_cache.changed_here()
        versioned_cache.bump([b])
        versioned_cache.bump([c])
        with transaction.atomic():
            versioned_cache.bump([d])
        assert versioned_cache.changed_here()
        waiting = [
            entry[1]
            for entry in connection.run_on_commit
            if isinstance(entry[1], versioned_cache._Committed)
        ]
        assert len(waiting) == 1 and waiting[0].keys == {b, c, d}
        transaction.set_rollback(True)
    assert not versioned_cache.changed_here()
