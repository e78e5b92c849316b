"""The API's door to :mod:`tasks_ledger.rules`: the same questions the pages ask.

A viewset names, per action, the rule that decides it (``action_rules``) and, for creating,
the rule about the caller (``create_rule``). DRF asks :class:`LedgerRules` before the body
is parsed (``has_permission``) and once the object is loaded (``has_object_permission``),
so a refusal is a 403 with the rule's Chinese sentence, never a validation error about a
change the caller may not make at all. The services ask the same rules again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.jurisdiction import jurisdiction_for

from .. import rules

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# (rule, refusal) — the rule takes the user and the object of the action.
Rule = tuple[Callable[[Any, Any], bool], "StrOrPromise"]

UPDATE_ITEM: Rule = (rules.can_update_item, _("You may not change this item."))
REVIEW_ITEM: Rule = (
    lambda user, record: rules.can_review_item(user, record.item),
    _("Only the campaign office over this item's unit decides this."),
)
VERIFY_SIGNOFF: Rule = (
    rules.can_verify_signoff,
    _(
        "Only the campaign office over this item's unit or its lead department verifies "
        "this sign-off, and never the person who asked for it."
    ),
)


class LedgerRules(permissions.BasePermission):
    """Read for anyone signed in (the selectors scope what they see); every write asks the
    rule the view names for its action."""

    message: Any = _("You may not do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Reads pass; writes need somewhere to write and, to create, the view's rule."""
        if request.method in permissions.SAFE_METHODS:
            return True
        if jurisdiction_for(request.user).is_read_only:
            self.message = _("You can read here but not change anything.")
            return False
        create_rule: Rule | None = getattr(view, "create_rule", None)
        if getattr(view, "action", None) == "create" and create_rule is not None:
            rule, refusal = create_rule
            if not rule(request.user, None):
                self.message = refusal
                return False
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        """The rule of the view's action, on this object."""
        if request.method in permissions.SAFE_METHODS:
            return True
        action_rules: dict[str, Rule] = getattr(view, "action_rules", {})
        entry = action_rules.get(getattr(view, "action", "") or "")
        if entry is None:
            return True
        rule, refusal = entry
        if not rule(request.user, obj):
            self.message = refusal
            return False
        return True
