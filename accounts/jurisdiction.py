"""The one place that decides who may see and change what.

Every selector, view, API view, export and admin asks :func:`jurisdiction_for` and filters
with :meth:`Jurisdiction.q`. A jurisdiction is a set of subtree roots in the unit tree;
"everything within it" is ``path LIKE 'root%'`` for each root, one query at any depth.

Rules:
- a unit member (any post) sees and changes their unit and everything under it;
- the campaign office and administrators see and change their scope;
- the assessment office and third-party evaluators see their scope;
- a supervision group member sees the units assigned to their groups (and what lies under);
- an official sees their scope read only: holding the official role removes change rights
  that posts would otherwise give (a Party secretary's post does not make them an editor);
- a superuser sees and changes everything.

A jurisdiction is computed in 3 queries and kept in Redis for the next requests
(:func:`cached_jurisdiction`); every change of what it is computed from drops it at once.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.utils.translation import gettext as _

from config.db_router import replica_reads

from . import versioned_cache
from .models import Membership, Role, RoleAssignment, Unit

T = TypeVar("T")

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import UnitQuerySet, User

MANAGING_ROLES = frozenset({Role.CAMPAIGN_OFFICE, Role.ADMINISTRATOR})
VIEWING_ROLES = (
    frozenset({Role.ASSESSMENT_OFFICE, Role.EVALUATOR, Role.OFFICIAL, Role.SUPERVISOR})
    | MANAGING_ROLES
)


def _roots(paths: set[str]) -> tuple[str, ...]:
    """Drop paths that lie under another path in the set: the subtree already covers them."""
    ordered = sorted(paths)
    kept: list[str] = []
    for path in ordered:
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return tuple(kept)


def _prefix_q(field_path: str, roots: tuple[str, ...]) -> Q:
    query = Q(pk__in=[])
    for root in roots:
        query |= Q(**{f"{field_path}__startswith": root})
    return query


@dataclass(frozen=True)
class Jurisdiction:
    """What one user may see (``view_roots``) and change (``manage_roots``)."""

    user_id: int | None
    is_global: bool = False
    view_roots: tuple[str, ...] = ()
    manage_roots: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)
    supervised_roots: tuple[str, ...] = ()
    # The units the user holds a post in, exactly (not their subtrees): a lead department
    # verifies sign-offs of other units' items on its chains.
    member_paths: tuple[str, ...] = ()

    # --- queries -------------------------------------------------------------------------
    def q(self, unit_field: str = "unit", *, manage: bool = False) -> Q:
        """A filter for records whose ``unit_field`` (a FK to Unit) lies in the jurisdiction.

        ``unit_field=""`` filters Unit itself.
        """
        if self.is_global:
            return Q()
        path = f"{unit_field}__path" if unit_field else "path"
        return _prefix_q(path, self.manage_roots if manage else self.view_roots)

    def units(self, *, manage: bool = False) -> UnitQuerySet:
        """All units the user may see (or change), in tree order, as one query."""
        return Unit.objects.filter(self.q("", manage=manage))

    def people_q(self, *, manage: bool = False) -> Q:
        """A filter on User: people holding a post in, or a role over, a unit within the
        jurisdiction (or what the user manages). These are the people the user may name in a
        record: a leader, a group member, a responsible person."""
        if self.is_global:
            return Q()
        posts = Membership.objects.filter(self.q("unit", manage=manage)).values("user_id")
        roles = RoleAssignment.objects.filter(self.q("scope", manage=manage)).values("user_id")
        return Q(pk__in=posts) | Q(pk__in=roles)

    def can_manage_person(self, person: User) -> bool:
        """Whether the user may change ``person``'s account (password, active, posts, roles).

        Only when the person is no superuser and everything their posts, roles and supervision
        groups reach lies within what the user manages, whether the account is active or not
        (re-activating it would open that reach). Otherwise a city office could take over a
        provincial official who also holds a post in the city. One query.
        """
        if self.is_global:
            return True
        if person.is_superuser:
            return False
        reached = (
            Unit.objects.filter(
                Q(pk__in=Membership.objects.filter(user=person).values("unit_id"))
                | Q(pk__in=RoleAssignment.objects.filter(user=person).values("scope_id"))
                | Q(supervision_groups__members=person)
                | Q(supervision_groups__leader=person)
            )
            .values_list("path", flat=True)
            .distinct()
        )
        return all(any(path.startswith(r) for r in self.manage_roots) for path in reached)

    def ancestors_q(self, unit_field: str) -> Q:
        """Records whose unit is an ancestor of (or equal to) a jurisdiction root.

        A county user takes part in the city's campaign: the campaign's owner unit lies
        above their jurisdiction, not within it.
        """
        if self.is_global:
            return Q()
        prefixes = {
            root[:end]
            for root in self.view_roots
            for end in range(Unit.steplen, len(root) + 1, Unit.steplen)
        }
        return Q(**{f"{unit_field}__path__in": sorted(prefixes)})

    # --- object checks (no queries) ---------------------------------------------------------
    def can_view(self, unit: Unit | None) -> bool:
        """Whether the unit lies within what the user may see."""
        if unit is None:
            return self.is_global
        return self.is_global or any(unit.path.startswith(r) for r in self.view_roots)

    def can_manage(self, unit: Unit | None) -> bool:
        """Whether the user may change records of this unit."""
        if unit is None:
            return self.is_global
        return self.is_global or any(unit.path.startswith(r) for r in self.manage_roots)

    def takes_part_in(self, unit: Unit) -> bool:
        """Whether ``unit`` is within the jurisdiction or above one of its roots."""
        return self.can_view(unit) or any(r.startswith(unit.path) for r in self.view_roots)

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of these platform roles (superusers hold all)."""
        return self.is_global or bool(self.roles.intersection(roles))

    @property
    def is_read_only(self) -> bool:
        """True when the user may see things but change nothing."""
        return not self.is_global and not self.manage_roots

    @property
    def is_empty(self) -> bool:
        """True when the user sees nothing at all."""
        return not self.is_global and not self.view_roots


NOBODY = Jurisdiction(user_id=None)


def compute_jurisdiction(user: User) -> Jurisdiction:
    """Build the jurisdiction from memberships, roles and supervision groups (3 queries)."""
    if not user.is_active:
        return NOBODY
    # Supervision groups live in the campaign app; the reverse relation is enough here.
    supervised = set(
        Unit.objects.filter(
            Q(supervision_groups__members=user) | Q(supervision_groups__leader=user)
        ).values_list("path", flat=True)
    )
    if user.is_superuser:
        return Jurisdiction(
            user_id=user.pk,
            is_global=True,
            roles=frozenset(Role.values),
            supervised_roots=_roots(supervised),
        )

    member_paths = set(user.memberships.values_list("unit__path", flat=True))
    role_rows = list(user.role_assignments.values_list("role", "scope__path"))
    roles = {role for role, _path in role_rows}
    if supervised:
        roles.add(Role.SUPERVISOR)

    view = member_paths | {p for role, p in role_rows if role in VIEWING_ROLES} | supervised
    manage = {p for role, p in role_rows if role in MANAGING_ROLES}
    if Role.OFFICIAL not in roles:
        manage |= member_paths
    return Jurisdiction(
        user_id=user.pk,
        view_roots=_roots(view),
        manage_roots=_roots(manage),
        roles=frozenset(roles),
        supervised_roots=_roots(supervised),
        member_paths=tuple(sorted(member_paths)),
    )


#: How long a cached jurisdiction may be used at most. Every change it is computed from
#: drops it at once (:func:`jurisdictions_changed`); the timeout bounds what a change made
#: while Redis could not be reached leaves behind.
JURISDICTION_CACHE_SECONDS = 300
_TOPIC = "jurisdiction"
# The field names are part of the key: a deployment that changes the class never reads a
# jurisdiction pickled by the one before.
_SHAPE = zlib.crc32(",".join(f.name for f in fields(Jurisdiction)).encode())


def _generation_key() -> str:
    return versioned_cache.cache_key(_TOPIC, "generation")


def jurisdictions_changed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every cached jurisdiction (now and when the transaction commits).

    Called by the receivers in :mod:`accounts.receivers` when posts, roles, supervision
    groups or units change, by :meth:`accounts.models.UnitManager.move`, and by the
    bulk writers that pass by those signals (seeding). One generation for all users: these
    changes are rare, and a moved unit changes the paths of everyone under it.
    """
    versioned_cache.bump([_generation_key()], using=using)


def kept_beside_jurisdictions(
    name: str, jurisdiction: Jurisdiction, compute: Callable[[], T], *parts: object
) -> T:
    """A value computed from the units a jurisdiction sees and the campaigns, areas and
    ledgers among them (the item list's filter options), kept in the cache and shared by
    everyone who sees the same units (``name`` and ``parts`` tell such values apart).

    Kept under the jurisdictions' generation, so what drops every kept jurisdiction drops it
    too: posts, roles, groups and units change it (:mod:`accounts.receivers`), and so do
    campaigns, areas and ledgers (``CATALOGUE_SOURCES`` there)."""
    seen = repr((jurisdiction.is_global, jurisdiction.view_roots))
    roots = hashlib.sha256(seen.encode()).hexdigest()[:24]
    return versioned_cache.cached(
        version=_generation_key(),
        key=versioned_cache.cache_key(name, roots, *parts),
        compute=compute,
        timeout=JURISDICTION_CACHE_SECONDS,
    )


def kept_unit_names(ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """The id, name and short name of each of the units ``ids`` (a few: a county's), in id
    order, kept in the cache under the jurisdictions' generation (a unit saved drops them)
    and read on the primary. A county's keyword search tested its units' names with a
    query on every request (:func:`tasks_ledger.filtersets.keyword_filter`)."""
    wanted = sorted(ids)
    named = hashlib.sha256(",".join(map(str, wanted)).encode()).hexdigest()[:24]

    def read() -> list[tuple[int, str, str]]:
        with replica_reads(False):
            return list(
                Unit.objects.filter(pk__in=wanted)
                .order_by("pk")
                .values_list("pk", "name", "short_name")
            )

    return versioned_cache.cached(
        version=_generation_key(),
        key=versioned_cache.cache_key("unit-names", named),
        compute=read,
        timeout=JURISDICTION_CACHE_SECONDS,
    )


def _computed_on_primary(user: User) -> Jurisdiction:
    # A dashboard's reads may go to the replica; a jurisdiction that is kept must not be one
    # from before a change the replica has not replayed yet.
    with replica_reads(False):
        return compute_jurisdiction(user)


def cached_jurisdiction(user: User) -> Jurisdiction:
    """The user's jurisdiction from the cache, or computed (3 queries) and kept there.

    The key holds the user's active and superuser flags, read with the user on every
    request, so a deactivated account or a withdrawn superuser status never finds the old
    jurisdiction.
    """
    if not user.is_active:
        return NOBODY
    if user.pk is None:  # not saved: nothing to key it by
        return compute_jurisdiction(user)
    key = versioned_cache.cache_key(
        _TOPIC, _SHAPE, user.pk, int(user.is_active), int(user.is_superuser)
    )
    return versioned_cache.cached(
        version=_generation_key(),
        key=key,
        compute=lambda: _computed_on_primary(user),
        timeout=JURISDICTION_CACHE_SECONDS,
    )


def jurisdiction_for(user: User | AnonymousUser | Any) -> Jurisdiction:
    """The user's jurisdiction, looked up once per user object (i.e. once per request):
    from the cache (:func:`cached_jurisdiction`), or computed."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    cached: Jurisdiction | None = getattr(user, "_jurisdiction_cache", None)
    if cached is None:
        cached = cached_jurisdiction(cast("User", user))
        setattr(user, "_jurisdiction_cache", cached)  # noqa: B010 - a per-object memo
    return cached


def require_manage(actor: User | None, unit: Unit | None) -> None:
    """Raise PermissionDenied unless ``actor`` may change records of ``unit``.

    ``actor=None`` is the system itself (management commands, seeding). Every service that
    writes records of a unit calls this before writing.
    """
    if actor is not None and not jurisdiction_for(actor).can_manage(unit):
        raise PermissionDenied(_("You may not change records of this unit."))
