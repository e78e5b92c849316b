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
    """The on-commit callback of a transaction's changes: bump their versions again. While
    it waits, the open transaction is one that changed a kept value's inputs
    (:func:`changed_here`)."""

    def __init__(self, keys: set[str]) -> None:
        self.keys = keys

    def __call__(self) -> None:
        _write_versions(self.keys)


#: Where a connection remembers its waiting callback: (the ``run_on_commit`` list it was
#: seen in, its index there or -1 for none, the callback or None).
_SEEN = "_versioned_cache_pending"


def _pending(using: str) -> tuple[_Committed, set[str]] | None:
    """The callback waiting for the open transaction to commit, with the savepoints it was
    made in; None when the transaction changed nothing kept.

    Django's ``run_on_commit`` (private, but the same since Django 4.2) holds it only while
    the transaction, or the savepoint it was made in, stands: a commit runs the list and a
    rollback drops entries, both into a new list. What was found is remembered with the list
    it was found in, so a transaction with thousands of callbacks (a sweep) is not searched
    on every call: only when the list is another one.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    entries: list[Any] = connection.run_on_commit
    seen: tuple[list[Any], int, _Committed | None] | None = getattr(connection, _SEEN, None)
    if seen is None or seen[0] is not entries:
        found = [(i, e[1]) for i, e in enumerate(entries) if isinstance(e[1], _Committed)]
        seen = (entries, *found[0]) if found else (entries, -1, None)
        setattr(connection, _SEEN, seen)
    _entries, index, callback = seen
    if callback is None or index >= len(entries) or entries[index][1] is not callback:
        return None
    savepoints: set[str] = entries[index][0]
    return callback, savepoints


def changed_here(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the open transaction changed what any kept value is computed from."""
    return _pending(using) is not None


def _write_versions(keys: Iterable[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, VERSION_SECONDS)


def bump(version_keys: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """What the values under these version keys are computed from has changed: drop them
    now and again when the transaction commits (one callback a transaction)."""
    keys = set(version_keys)
    if not keys:
        return
    _write_versions(keys)
    connection = connections[using]
    if not connection.in_atomic_block:
        return
    pending = _pending(using)
    # The waiting callback takes these keys too unless it was made in a savepoint that is
    # no longer open around us: that one's rollback would drop our bump with it.
    if pending is not None and pending[1] <= set(connection.savepoint_ids):
        pending[0].keys |= keys
        return
    callback = _Committed(keys)
    transaction.on_commit(callback, using=using, robust=True)
    entries = connection.run_on_commit
    setattr(connection, _SEEN, (entries, len(entries) - 1, callback))


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
