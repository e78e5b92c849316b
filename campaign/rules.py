"""Who may see a responsibility chain, beside :mod:`accounts.jurisdiction` and built on it.

The rule comes in two forms from the same roots, side by side, as the jurisdiction does:
:func:`chain_visible_q` filters lists (the chain list, the API, the campaign page's table
and counts, the chain page's 404) and :func:`can_view_chain` answers for one chain in hand
(whether a page may link to it). ``campaign/tests/test_rules.py`` checks that both give the
same answer for every persona and chain.

A chain is visible to a user who

1. may see its unit (where its principal leader and leader in charge answer), its lead
   department (where its responsible person works) or one of its cooperating departments;
2. holds one of its posts in person (principal leader, leader in charge, responsible person),
   even when that post's unit lies outside what they otherwise see;
3. may see a ledger item the chain carries, by the ledger's own scoping
   (:func:`tasks_ledger.selectors.ledger_items`, not a copy of it);
4. or may see one of its child chains by 1-3: a county's share of a city task leads up to the
   city's chain it carries out (两级, the second level answering to the first).

Anyone who may open a ledger item may therefore open its chain, and everyone named in a chain
may open it. Rule 4 goes one level up, which is what two levels need; a grandparent is not
reached through a grandchild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import Q, QuerySet

from accounts.jurisdiction import Jurisdiction, jurisdiction_for

from .models import ChainCooperation, ResponsibilityChain

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

NOTHING = Q(pk__in=[])


def _visible_item_chains(user: User | AnonymousUser | Any) -> QuerySet[Any]:
    """Ids of the chains carried by ledger items the user may see (a subquery).

    Imported here: the ledger app sits above this one and its selectors import ours.
    """
    from tasks_ledger.models import LedgerItem

    # The items of the lists (tasks_ledger.selectors.ledger_items: those of the units in the
    # jurisdiction), without the lists' lights, joins and order: the chain ids then come
    # from the index on (unit, chain) alone (item_unit_chain_idx).
    return (
        LedgerItem.objects.filter(jurisdiction_for(user).q("unit"), chain__isnull=False)
        .order_by()
        .values("chain_id")
    )


def _own_q(user: User | AnonymousUser | Any, j: Jurisdiction) -> Q:
    """Rules 1-3 for one chain row (its own units, posts and items)."""
    cooperating = ChainCooperation._default_manager.filter(j.q("unit")).values("chain_id")
    return (
        j.q("unit")
        | j.q("lead_department")
        | Q(pk__in=cooperating)
        | Q(principal_leader_id=user.pk)
        | Q(leader_in_charge_id=user.pk)
        | Q(responsible_person_id=user.pk)
        | Q(pk__in=_visible_item_chains(user))
    )


def chain_visible_q(user: User | AnonymousUser | Any) -> Q:
    """A filter for the chains the user may see (one SQL statement with subqueries)."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    if j.user_id is None:
        return NOTHING
    own = _own_q(user, j)
    parents_of_visible = (
        ResponsibilityChain.objects.filter(own, parent__isnull=False).order_by().values("parent_id")
    )
    return own | Q(pk__in=parents_of_visible)


def _own_check(
    user: User | AnonymousUser | Any, j: Jurisdiction, chain: ResponsibilityChain
) -> bool:
    """Rules 1 and 2 for one loaded chain (its cooperating departments may be prefetched)."""
    if j.can_view(chain.unit) or j.can_view(chain.lead_department):
        return True
    if user.pk in (
        chain.principal_leader_id,
        chain.leader_in_charge_id,
        chain.responsible_person_id,
    ):
        return True
    return any(j.can_view(unit) for unit in chain.cooperating_departments.all())


def _children(chain: ResponsibilityChain) -> list[ResponsibilityChain]:
    """The chain's children with what rules 1-2 read, from the prefetch cache if loaded."""
    if "children" in getattr(chain, "_prefetched_objects_cache", {}):
        return list(chain.children.all())
    return list(
        ResponsibilityChain.objects.filter(parent=chain)
        .select_related("unit", "lead_department")
        .prefetch_related("cooperating_departments")
    )


def can_view_chain(user: User | AnonymousUser | Any, chain: ResponsibilityChain) -> bool:
    """Whether the user may see this chain (at most 4 queries; none when its unit, lead
    department or a post answers, with ``unit`` and ``lead_department`` loaded)."""
    j = jurisdiction_for(user)
    if j.is_global:
        return True
    if j.user_id is None:
        return False
    if _own_check(user, j, chain):
        return True
    children = _children(chain)
    if any(_own_check(user, j, child) for child in children):
        return True
    # Rule 3 for the chain itself and rule 4 through rule 3 of a child: one query.
    pks = [chain.pk, *(child.pk for child in children)]
    from tasks_ledger.selectors import ledger_items  # see _visible_item_chains

    return ledger_items(user=cast("User", user)).filter(chain_id__in=pks).exists()
