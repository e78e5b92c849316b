"""Reads of people and units, always scoped to the caller's jurisdiction."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet, FullResultSet
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


#: Stand-ins (values no row has) for the user's id in the compiled statements
#: (:class:`CompiledStatement`): negative, within the column's range.
SOME_USER = -2_004_318_071
OTHER_USER = -2_004_318_073
#: The marks of two sets of stand-ins for unit paths (paths are digits), of different
#: lengths: the same query built with each tells whether the paths are only parameters.
SOME_MARK = "P"
OTHER_MARK = "QQ"


def some_unit_path(index: int, mark: str = SOME_MARK) -> str:
    """A unit path no unit has, the stand-in for the ``index``-th of the user's units or
    roots in the compiled statements (:class:`CompiledStatement`); ``mark`` tells sets of
    stand-ins apart."""
    return f"{mark}{index}{mark}"


@dataclass(frozen=True)
class CompiledStatement:
    """A query compiled once and run again for other users: its SQL and its parameters,
    where stand-ins take the place of the user's id and of a list of unit paths (each as a
    ``startswith`` pattern, ``path%``).

    Building a query's SQL through the ORM costs more than running it when it has many
    joins, subqueries or JSON objects and finds a few rows; the SQL is the same for every
    user but for those values."""

    sql: str
    params: tuple[Any, ...]
    paths: int  # how many unit paths it takes

    @classmethod
    def of(
        cls, build: Callable[[int, str], QuerySet[Any]], using: str, paths: int = 0
    ) -> CompiledStatement | None:
        """``build(user_id, mark)`` (the query for that user id and the paths
        ``some_unit_path(0..paths-1, mark)``) compiled for the database ``using``; None
        unless the stand-ins come out as whole parameters only.

        Built twice, with two sets of stand-ins (other lengths, other marks): the SQL must
        be the same and the parameters differ only where a stand-in stands whole. A query
        that reads more of the user than their id and those paths, or reads the paths in
        another way (their prefixes, their length), comes out different."""
        try:
            first = build(SOME_USER, SOME_MARK).query.get_compiler(using=using).as_sql()
            second = build(OTHER_USER, OTHER_MARK).query.get_compiler(using=using).as_sql()
        except (EmptyResultSet, FullResultSet):
            return None
        (sql, params), (other_sql, other_params) = first, second
        if sql != other_sql or len(params) != len(other_params):
            return None
        whole = {(SOME_USER, OTHER_USER)} | {
            (f"{some_unit_path(i)}%", f"{some_unit_path(i, OTHER_MARK)}%") for i in range(paths)
        }
        for one, other in zip(params, other_params, strict=True):
            if type(one) is type(other) and one == other:
                continue
            if not (_hashable(one) and _hashable(other) and (one, other) in whole):
                return None
        return cls(sql=sql, params=tuple(params), paths=paths)

    def run(self, using: str, user_id: int, paths: list[str]) -> list[tuple[Any, ...]]:
        """The rows for this user id and these unit paths (as many as it takes)."""
        if len(paths) != self.paths:
            raise ValueError(f"{self.paths} paths expected, {len(paths)} given")
        ops = connections[using].ops
        values: dict[Any, Any] = {SOME_USER: user_id}
        for index, path in enumerate(paths):
            values[f"{some_unit_path(index)}%"] = f"{ops.prep_for_like_query(path)}%"
        params = [values.get(param, param) if _hashable(param) else param for param in self.params]
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()


def _hashable(value: Any) -> bool:
    return isinstance(value, (int, str))


def json_value(value: Any) -> Any:
    """A jsonb value read by a raw cursor: it comes as text (Django asks so)."""
    return json.loads(value) if isinstance(value, str) else value


#: The user columns :func:`user_with_posts` reads (every concrete one).
_USER_COLUMNS = tuple(f.attname for f in User._meta.concrete_fields)


@functools.lru_cache(maxsize=4)
def _posts_statement(using: str) -> CompiledStatement | None:
    """:func:`user_with_posts`' statement compiled once (:class:`CompiledStatement`):
    building it took 3 of the 4 ms it cost (two JSON objects of a unit's twelve columns)."""
    return CompiledStatement.of(lambda user_id, _mark: _posts_query(user_id), using)


def _posts_query(user_id: int) -> QuerySet[Any]:
    posts = Membership.objects.filter(user=OuterRef("pk")).order_by("unit__path", "post", "pk")
    roles = RoleAssignment.objects.filter(user=OuterRef("pk")).order_by("role", "pk")
    return (
        User.objects.filter(pk=user_id)
        .annotate(
            post_rows=_rows_with_unit(posts, "unit", "id", "post", "title"),
            role_rows=_rows_with_unit(roles, "scope", "id", "role"),
        )
        .order_by()
        .values_list(*_USER_COLUMNS, "post_rows", "role_rows")
    )


def user_with_posts(*, user: User) -> tuple[User, list[Membership], list[RoleAssignment]]:
    """The user read again, with their posts and their roles each with its unit, in one
    query (the lists in the order :func:`user_profile`'s would have; the statement compiled
    once, :func:`_posts_statement`). Raises User.DoesNotExist if the row is gone."""
    database = User.objects.all().db  # the database the router reads users from
    statement = _posts_statement(database)
    if statement is None:  # not the case: kept for CompiledStatement's sake
        rows = list(_posts_query(user.pk).using(database))
    else:
        rows = statement.run(database, user.pk, [])
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


@dataclass(frozen=True)
class UnitChip:
    """A unit as a chip on the home page: plain values, no model instance."""

    pk: int
    name: str
    display_name: str


def unit_children_chips(*, user: User, units: list[Unit], limit: int) -> list[UnitChip]:
    """The first ``limit`` of :func:`unit_children`, kept beside the jurisdictions (they
    depend on the units alone: :func:`accounts.jurisdiction.kept_beside_jurisdictions`)."""
    j = jurisdiction_for(user)

    def read() -> list[tuple[int, str, str]]:
        rows = unit_children(user=user, units=units).values_list("pk", "name", "short_name")
        return [(pk, name, short or name) for pk, name, short in rows[:limit]]

    paths = sorted(f"{unit.path}:{unit.depth}" for unit in units)
    kept = kept_beside_jurisdictions("unit-children", j, read, limit, *paths)
    return [UnitChip(*row) for row in kept]


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
