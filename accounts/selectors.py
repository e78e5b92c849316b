"""Reads of people and units, always scoped to the caller's jurisdiction."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from .jurisdiction import jurisdiction_for
from .models import Membership, RoleAssignment, Unit, UnitQuerySet, User


def unit_list(*, user: User, search: str = "") -> UnitQuerySet:
    """Units the user may see, in tree order; ``search`` matches code, name or short name."""
    units = jurisdiction_for(user).units().order_by("path")
    if search:
        units = units.filter(
            Q(name__icontains=search) | Q(short_name__icontains=search) | Q(code__iexact=search)
        )
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
    return unit_list(user=user).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("user").order_by("post", "user__name"),
        )
    ).get(pk=pk)


def user_list(*, user: User) -> QuerySet[User]:
    """People who hold a post in a unit the caller may see."""
    j = jurisdiction_for(user)
    return (
        User.objects.filter(
            pk__in=Membership.objects.filter(j.q("unit")).values("user_id")
        )
        .order_by("name")
    )


def user_profile(*, user: User) -> User:
    """The user with their posts and roles loaded (for "me" pages and the API)."""
    return User.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("unit")),
        Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("scope")),
    ).get(pk=user.pk)
