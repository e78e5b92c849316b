"""Every database rule a user can break reads as a sentence, never as a constraint's name.

Django's default message for a check constraint (or a conditional unique one) is
"Constraint “item_signed_off_has_time” is violated." A user who meets it learns nothing;
each such constraint carries its own ``violation_error_message``. Plain unique constraints
on fields are left to Django's "… with this … already exists." unless they say more.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import BaseConstraint, CheckConstraint, UniqueConstraint

OUR_APPS = ("accounts", "campaign", "tasks_ledger", "assessments", "accountability")


def constraints() -> list[tuple[str, BaseConstraint]]:
    found = []
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.app_label != app or model.__name__.endswith("Event"):
                continue  # history event tables mirror their models' fields, not their rules
            for constraint in model._meta.constraints:
                if needs_a_sentence(constraint):
                    found.append((f"{model._meta.label}.{constraint.name}", constraint))
    return found


def needs_a_sentence(constraint: BaseConstraint) -> bool:
    """Check constraints and conditional or expression unique constraints."""
    if isinstance(constraint, CheckConstraint):
        return True
    return isinstance(constraint, UniqueConstraint) and bool(
        constraint.condition is not None or constraint.expressions
    )


@pytest.mark.parametrize(("name", "constraint"), constraints(), ids=lambda v: str(v))
def test_constraint_speaks_a_sentence(name: str, constraint: BaseConstraint) -> None:
    default = constraint.default_violation_error_message % {"name": constraint.name}
    message = str(constraint.get_violation_error_message())
    assert message != default, f"{name} has no message of its own"
    assert constraint.name not in message


def test_the_rules_are_found() -> None:
    """The walk above sees the ledger's rules (so an empty parametrisation cannot pass)."""
    names = {name for name, _constraint in constraints()}
    assert "tasks_ledger.LedgerItem.item_signed_off_has_time" in names
