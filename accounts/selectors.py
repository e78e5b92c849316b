"""Reads of people and units, always scoped to the caller's jurisdiction."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject, Left, Length

from .jurisdiction import jurisdiction_for, kept_beside_jurisdictions
from .models import (
    ApiToken,
    Membership,
    RoleAssignment,
    Unit,
    UnitLevel,
    UnitQuerySet,
    User,
)


def unit_list(*, user: User, search: str = "", level: str = "", kind: str = "") -> UnitQuerySet:
    """Units the user may see, in tree order.

    ``search`` matches code, name or short name; ``level`` and ``kind`` narrow the list.
    """
    units = jurisdiction_for(user).units().order_by("path")
    if search:
        units = units.filter(
            Q(name__icontains=search) | Q(short_name__icontains=search) | Q(code__iexact=search)
        )
    if level:
        units = units.filter(level=level)
    if kind:
        units = units.filter(kind=kind)
    return units


def unit_ancestors_of(*, units: list[Unit]) -> dict[str, Unit]:
    """Every ancestor of the given units keyed by path, in one query (for breadcrumbs)."""
    paths = {
        unit.path[:end]
        for unit in units
        for end in range(Unit.steplen, len(unit.path), Unit.steplen)
    }
    return {u.path: u for u in Unit.objects.filter(path__in=paths)}


def unit_detail(*, user: User, pk: int) -> Unit:
    """One visible unit with its members; raises Unit.DoesNotExist outside the jurisdiction."""
    return (
        unit_list(user=user)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("post", "user__name"),
            )
        )
        .get(pk=pk)
    )


def user_list(*, user: User) -> QuerySet[User]:
    """People who hold a post in a unit the caller may see."""
    j = jurisdiction_for(user)
    return User.objects.filter(
        pk__in=Membership.objects.filter(j.q("unit")).values("user_id")
    ).order_by("name")


def user_profile(*, user: User) -> User:
    """The user with their posts and roles loaded (for "me" pages and the API)."""
    return User.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("unit")),
        Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("scope")),
    ).get(pk=user.pk)


#: The unit columns read with a post or role in :func:`user_with_posts` (every concrete one).
_UNIT_COLUMNS = tuple(f.attname for f in Unit._meta.concrete_fields)


def _rows_with_unit(rows: QuerySet[Any], unit: str, *columns: str) -> ArraySubquery:
    """Each of ``rows`` (a user's posts or roles) as one JSON object with its unit's columns."""
    return ArraySubquery(
        rows.values(
            row=JSONObject(
                **{c: c for c in columns},
                unit=JSONObject(**{c: f"{unit}__{c}" for c in _UNIT_COLUMNS}),
            )
        )
    )


@dataclass(frozen=True)
class CompiledStatement:
    """A query compiled once and run again with other values: its SQL and its parameters,
    where stand-ins (values no row has) take the place of what changes from run to run.

    Building a query's SQL through the ORM costs more than running it when it has many
    joins, subqueries or JSON objects and finds a few rows; the SQL is the same for every
    user but for a few values (an id, a unit's path)."""

    sql: str
    params: tuple[Any, ...]

    @classmethod
    def of(cls, queryset: QuerySet[Any], using: str) -> CompiledStatement:
        """``queryset`` (built with the stand-ins), compiled for the database ``using``."""
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        return cls(sql=sql, params=tuple(params))

    def run(self, using: str, values: dict[Any, Any]) -> list[tuple[Any, ...]]:
        """The rows, each parameter equal to a key of ``values`` (a stand-in) replaced by
        that key's value."""
        params = [values.get(param, param) if _hashable(param) else param for param in self.params]
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()


def _hashable(value: Any) -> bool:
    return isinstance(value, (int, str))


#: A user id no row has (negative, within the column's range): the stand-in for the user's
#: id in the compiled statements (:class:`CompiledStatement`).
SOME_USER = -2_004_318_071


def some_unit_path(index: int) -> str:
    """A unit path no unit has (paths are digits), the stand-in for the user's ``index``-th
    unit in the compiled statements (:class:`CompiledStatement`)."""
    return f"P{index}P"


def json_value(value: Any) -> Any:
    """A jsonb value read by a raw cursor: it comes as text (Django asks so)."""
    return json.loads(value) if isinstance(value, str) else value


#: The user columns :func:`user_with_posts` reads (every concrete one).
_USER_COLUMNS = tuple(f.attname for f in User._meta.concrete_fields)


@functools.lru_cache(maxsize=4)
def _posts_statement(using: str) -> CompiledStatement:
    """:func:`user_with_posts`' statement compiled once for the stand-in user: building it
    took 3 of the 4 ms it cost (two JSON objects of a unit's twelve columns)."""
    posts = Membership.objects.filter(user=OuterRef("pk")).order_by("unit__path", "post", "pk")
    roles = RoleAssignment.objects.filter(user=OuterRef("pk")).order_by("role", "pk")
    return CompiledStatement.of(
        User.objects.filter(pk=SOME_USER)
        .annotate(
            post_rows=_rows_with_unit(posts, "unit", "id", "post", "title"),
            role_rows=_rows_with_unit(roles, "scope", "id", "role"),
        )
        .order_by()
        .values(*_USER_COLUMNS, "post_rows", "role_rows"),
        using,
    )


def user_with_posts(*, user: User) -> tuple[User, list[Membership], list[RoleAssignment]]:
    """The user read again, with their posts and their roles each with its unit, in one
    query (the lists in the order :func:`user_profile`'s would have; the statement compiled
    once, :func:`_posts_statement`). Raises User.DoesNotExist if the row is gone."""
    database = User.objects.all().db  # the database the router reads users from
    rows = _posts_statement(database).run(database, {SOME_USER: user.pk})
    if not rows:
        raise User.DoesNotExist("User matching query does not exist.")
    row = rows[0]
    width = len(_USER_COLUMNS)
    profile = User.from_db(database, _USER_COLUMNS, row[:width])
    post_rows, role_rows = row[width:]

    def unit_of(data: dict[str, Any]) -> Unit:
        return Unit.from_db(database, _UNIT_COLUMNS, [data[c] for c in _UNIT_COLUMNS])

    memberships = []
    for found in post_rows or ():
        values = json_value(found)
        membership = Membership.from_db(
            database,
            ["id", "user_id", "post", "title"],
            [values["id"], profile.pk, values["post"], values["title"]],
        )
        membership.unit = unit_of(values["unit"])
        memberships.append(membership)
    roles_held = []
    for found in role_rows or ():
        values = json_value(found)
        assignment = RoleAssignment.from_db(
            database, ["id", "user_id", "role"], [values["id"], profile.pk, values["role"]]
        )
        assignment.scope = unit_of(values["unit"])
        roles_held.append(assignment)
    return profile, memberships, roles_held


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own unexpired API tokens, newest first (never anyone else's)."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.live().filter(user=user).order_by("-created", "-id")


def unit_children(*, user: User, units: list[Unit]) -> UnitQuerySet:
    """Visible direct sub-units of the given units, in tree order (one query)."""
    query = Q(pk__in=[])
    for unit in units:
        query |= Q(path__startswith=unit.path, depth=unit.depth + 1)
    return unit_list(user=user).filter(query)


def unit_counts(*, user: User) -> dict[str, int]:
    """How many visible units there are, by level and under special assessment (one query,
    kept beside the jurisdictions: the same for everyone who sees the same units, and
    dropped when a unit changes, :func:`accounts.jurisdiction.kept_beside_jurisdictions`)."""
    j = jurisdiction_for(user)

    def counted() -> dict[str, int]:
        counts = {level: Count("pk", filter=Q(level=level)) for level in UnitLevel.values}
        return (
            j.units()
            .order_by()
            .aggregate(
                total=Count("pk"),
                assessed=Count("pk", filter=Q(under_special_assessment=True)),
                **counts,
            )
        )

    return kept_beside_jurisdictions("unit-counts", j, counted)


def units_with_parent(units: UnitQuerySet) -> UnitQuerySet:
    """Annotate ``parent_pk`` (None at a root) inside the same query.

    The parent's path is the unit's path less one step, so a correlated subquery on the
    unique ``path`` index finds it and a list never looks parents up row by row.
    """
    parent = (
        Unit.objects.filter(path=Left(OuterRef("path"), Length(OuterRef("path")) - Unit.steplen))
        .order_by()
        .values("pk")[:1]
    )
    return units.annotate(parent_pk=Subquery(parent))


def jurisdiction_root_units(*, user: User) -> dict[str, list[Unit]]:
    """The units at the top of what the user sees, changes and supervises (one query).

    Keys are ``view``, ``manage`` and ``supervised``; a global user has no roots.
    """
    j = jurisdiction_for(user)
    roots = {"view": j.view_roots, "manage": j.manage_roots, "supervised": j.supervised_roots}
    paths = {path for paths in roots.values() for path in paths}
    by_path = {u.path: u for u in Unit.objects.filter(path__in=paths)} if paths else {}
    return {key: [by_path[p] for p in paths if p in by_path] for key, paths in roots.items()}
