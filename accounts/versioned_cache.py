"""Values kept in the cache (Redis) that are dropped the moment what they are computed from
changes: each user's jurisdiction, each user's count of unread notifications.

A value is stored beside the *version* it was computed under, a random token kept in a key
of its own. A change writes a new token (:func:`bump`), and from then on every value stored
under the old one is ignored, also one that a reader computed from the old rows and stores
a moment after the change (it carries the token it read before computing). The version and
the value come back in one round trip (``get_many``).

A change bumps at once and again once its transaction commits: until then readers elsewhere
compute from the committed rows, and what they store meanwhile is dropped by the second
bump. Inside a transaction that made any such change the cache is neither read nor filled:
the transaction's own rows are not in it, and a value computed from them must not outlive a
rollback. (One switch for all values: such transactions are few, an admin's edit or a sweep,
and a test that builds its world in its transaction meets no kept value, so its query counts
are those of a cold cache.)

With Redis down (django-redis ignores its errors) every read is a miss and nothing is kept:
the value is computed each time, correct and slower. A bump lost while Redis could not be
reached but kept its data leaves values stale for at most their timeout.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

T = TypeVar("T")

#: Version tokens outlive the values they guard. One that expires is replaced by a new
#: token, which costs a recompute and nothing else.
VERSION_SECONDS = 24 * 3600


def cache_key(*parts: object) -> str:
    """A key that names the default database: two databases on one Redis (test runs side by
    side, a copy of the province) never share a value."""
    database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    return ":".join(str(part) for part in ("versioned", database, *parts))


class _Committed:
    """The on-commit callback of a change: bump the versions again. While it waits, the
    open transaction is one that changed a kept value's inputs (:func:`changed_here`)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def __call__(self) -> None:
        _write_versions(self.keys)


def _pending(using: str) -> list[_Committed]:
    """The callbacks of changes waiting for the open transaction to commit.

    Django's ``run_on_commit`` (private, but stable since Django 1.9) holds them only while
    the transaction, or the savepoint they were made in, stands: a commit runs and clears
    them, a rollback drops them.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        return []
    return [entry[1] for entry in connection.run_on_commit if isinstance(entry[1], _Committed)]


def changed_here(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the open transaction changed what any kept value is computed from."""
    return bool(_pending(using))


def _write_versions(keys: list[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, VERSION_SECONDS)


def bump(version_keys: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """What the values under these version keys are computed from has changed: drop them
    now and again when the transaction commits (one callback per key set and transaction)."""
    keys = sorted(set(version_keys))
    if not keys:
        return
    _write_versions(keys)
    if not connections[using].in_atomic_block:
        return
    if any(callback.keys == keys for callback in _pending(using)):
        return
    transaction.on_commit(_Committed(keys), using=using, robust=True)


def cached(*, version: str, key: str, compute: Callable[[], T], timeout: int) -> T:
    """The value under ``key`` if it was stored under ``version``'s current token, else
    ``compute()``, stored for ``timeout`` seconds under the token read before computing."""
    if changed_here():
        return compute()
    found: dict[str, Any] = cache.get_many([version, key])
    token = found.get(version)
    entry = found.get(key)
    if token is not None and isinstance(entry, tuple) and len(entry) == 2 and entry[0] == token:
        return entry[1]
    if token is None:
        token = secrets.token_hex(8)
        added = cache.add(version, token, VERSION_SECONDS)
        if added is None:  # Redis did not answer: compute, keep nothing
            return compute()
        if not added:  # another reader set it first
            token = cache.get(version)
    value = compute()
    if token is not None:
        cache.set(key, (token, value), timeout)
    return value
