"""Query expressions PostgreSQL plans better than Django's own spelling of the same test
(every app's selectors and rules use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import BooleanField, Func


class AmongIds(Func):
    """``column = ANY(ARRAY(subquery))``: the subquery runs once (an InitPlan) and each row
    is looked up among its ids. A plain ``IN (subquery)`` may be turned into a join, which
    the planner, expecting few matches, loops over for every matching item (seen with a
    keyword matching 10,000 items: 0.7 s instead of 10 ms)."""

    output_field = BooleanField()

    def __init__(self, column: Any, subquery: Any) -> None:
        super().__init__(column, subquery)

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        """The column and the subquery, compiled."""
        column, subquery = self.get_source_expressions()
        lhs, lhs_params = compiler.compile(column)
        rhs, rhs_params = compiler.compile(subquery)
        return f"({lhs} = ANY(ARRAY{rhs}))", [*lhs_params, *rhs_params]


class AnyOf(Func):
    """``column = ANY(%s)``: the values as one array parameter. PostgreSQL reads ``IN (…)``
    as that array, so the plan is the same; Django compiles one parameter instead of one
    per value (the 5,000 units of a province cost 70 ms a request as ``__in``).

    ``values`` may be a callable that gives them when the statement is compiled: a filter
    form's choices then cost nothing to build and read their ids (kept in the cache) only
    when a choice is checked."""

    output_field = BooleanField()

    def __init__(self, column: Any, values: list[int] | Callable[[], list[int]]) -> None:
        super().__init__(column)
        self.values = values

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        """The column compiled, the values as one list (psycopg sends it as an array)."""
        column, params = compiler.compile(self.get_source_expressions()[0])
        values = self.values() if callable(self.values) else self.values
        return f"({column} = ANY(%s))", [*params, values]
