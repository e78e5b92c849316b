"""The actions on a notice, once, for its page and its API: which rule decides each, in
which statuses it applies at all, and the sentence a refusal gives.

Both the page's POST views and the API's actions ask :func:`refuse_unless` before they read
the input: someone who may not act gets a 403 with the rule's reason, never a list of
field errors about a change they may not make. A notice in a status where the action does
not apply passes on to the service, which says so in words (a form error on the page, a
400 from the API). The services ask the same rules again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import rules
from .models import Notice, NoticeKind, NoticeStatus


@dataclass(frozen=True)
class Action:
    """One action on a notice."""

    name: str
    rule: Callable[[Any, Notice], bool]
    applies: Callable[[Notice], bool]
    refusal: Promise


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "approve",
            rules.can_approve_notice,
            lambda n: n.status == NoticeStatus.DRAFT and n.kind != NoticeKind.REMINDER,
            _("Only the supervision group's leader (or the campaign office) approves this notice."),
        ),
        Action(
            "issue",
            rules.can_issue_notice,
            lambda n: (
                n.status == NoticeStatus.APPROVED
                or (n.status == NoticeStatus.DRAFT and n.kind == NoticeKind.REMINDER)
            ),
            _("You may not issue this notice."),
        ),
        Action(
            "sign_for",
            rules.can_sign_for_notice,
            lambda n: n.status == NoticeStatus.ISSUED,
            _("Only the target unit signs for this notice."),
        ),
        Action(
            "reply",
            rules.can_reply_notice,
            lambda n: n.status in rules.REPLYABLE,
            _("Only the target unit replies."),
        ),
        Action(
            "accept",
            rules.can_accept_notice,
            lambda n: n.status == NoticeStatus.REPLIED,
            _("You may not decide on this reply."),
        ),
        Action(
            "return",
            rules.can_return_notice,
            lambda n: n.status == NoticeStatus.REPLIED,
            _("You may not decide on this reply."),
        ),
        Action(
            "escalate",
            rules.can_escalate_notice,
            lambda n: n.status in rules.ESCALATABLE and n.kind != NoticeKind.ACCOUNTABILITY,
            _("You may not escalate this notice."),
        ),
    )
}


def refuse_unless(name: str, user: Any, notice: Notice) -> None:
    """Raise PermissionDenied when the action applies to the notice as it stands but the
    rule does not let ``user`` take it."""
    action = ACTIONS[name]
    if action.applies(notice) and not action.rule(user, notice):
        raise PermissionDenied(str(action.refusal))


def allowed_actions(user: Any, notice: Notice) -> set[str]:
    """The actions ``user`` may take on ``notice`` now (what its page offers)."""
    return {name for name, action in ACTIONS.items() if action.rule(user, notice)}
