"""The actions on schemes, rounds, deductions and appeals, once, for their pages and the API:
which rule decides each, in which statuses it applies at all, and the sentence a refusal
gives (as :mod:`accountability.actions` does for notices).

Pages' POST views and the API's actions ask :func:`refuse_unless` before they read the
input: someone who may not act gets a 403 with the rule's reason, never field errors about a
change they may not make. An object in a status where the action does not apply passes on
to the service, which says so in words (a form error on the page, a 400 from the API). The
services ask the same rules again. :func:`allowed_actions` is what a page shows as buttons
and the API as ``actions``: what applies now and what the rule allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import rules
from .models import AppealStatus, DeductionStatus, RoundStatus, SchemeStatus


@dataclass(frozen=True)
class Action:
    """One action on an object of one kind."""

    name: str
    rule: Callable[[Any, Any], bool]
    applies: Callable[[Any], bool]
    refusal: Promise


def _table(*actions: Action) -> dict[str, Action]:
    return {action.name: action for action in actions}


def _in(*statuses: str) -> Callable[[Any], bool]:
    return lambda obj: obj.status in statuses


_RUNS_ROUNDS = _("Only the assessment office over the campaign runs its rounds.")

#: On a scheme.
SCHEME_ACTIONS = _table(
    Action(
        "activate",
        rules.can_manage_scheme,
        _in(SchemeStatus.DRAFT),
        _("Only the assessment office over the campaign manages its schemes."),
    ),
    Action(
        "create_round",
        rules.can_manage_scheme,
        lambda scheme: True,
        _("Only the assessment office over the campaign opens rounds under its schemes."),
    ),
)

#: On a round: its moves, and entering scores and deductions in it.
ROUND_ACTIONS = _table(
    Action("open_scoring", rules.can_manage_round, _in(RoundStatus.DRAFT), _RUNS_ROUNDS),
    Action("to_review", rules.can_manage_round, _in(RoundStatus.SCORING), _RUNS_ROUNDS),
    Action("publish", rules.can_manage_round, _in(RoundStatus.REVIEW), _RUNS_ROUNDS),
    Action("archive", rules.can_manage_round, _in(RoundStatus.PUBLISHED), _RUNS_ROUNDS),
    Action(
        "enter_scores",
        rules.can_enter_scores,
        _in(RoundStatus.SCORING),
        _("Only the assessment office over the campaign enters scores."),
    ),
    Action(
        "import_scores",
        rules.can_import_scores,
        _in(RoundStatus.SCORING),
        _(
            "Only the assessment office, or a third-party evaluator for the third-party "
            "indicators, enters scores in this round."
        ),
    ),
    Action(
        "record_deduction",
        rules.can_record_deduction,
        _in(*rules.DEDUCTING_STATUSES),
        _("Only the assessment office records deductions, while the round is scored or reviewed."),
    ),
    Action("show_publicly", rules.can_manage_round, lambda r: not r.public, _RUNS_ROUNDS),
    Action("hide_publicly", rules.can_manage_round, lambda r: r.public, _RUNS_ROUNDS),
)


def _appealable(deduction: Any) -> bool:
    """Standing, in a round whose window for appeals is open, with no appeal pending."""
    return (
        deduction.status == DeductionStatus.STANDING
        and rules.appeal_window_open(deduction.round)
        and not deduction.appeals.filter(status=AppealStatus.PENDING).exists()
    )


#: On a deduction.
DEDUCTION_ACTIONS = _table(
    Action(
        "appeal",
        rules.can_file_appeal,
        _appealable,
        _("Only the unit itself (or a unit above it) appeals its deductions."),
    ),
)

#: On an appeal.
APPEAL_ACTIONS = _table(
    Action(
        "decide",
        rules.can_decide_appeal,
        lambda appeal: (
            appeal.status == AppealStatus.PENDING
            and appeal.deduction.round.status == RoundStatus.REVIEW
        ),
        _("Only the assessment office over the campaign decides appeals."),
    ),
)


def refuse_unless(table: dict[str, Action], name: str, user: Any, obj: Any) -> None:
    """Raise PermissionDenied when the action applies to ``obj`` as it stands but the rule
    does not let ``user`` take it."""
    action = table[name]
    if action.applies(obj) and not action.rule(user, obj):
        raise PermissionDenied(str(action.refusal))


def allowed_actions(table: dict[str, Action], user: Any, obj: Any) -> list[str]:
    """The actions of ``table`` that ``user`` may take on ``obj`` now, in the table's order."""
    return [
        name for name, action in table.items() if action.applies(obj) and action.rule(user, obj)
    ]
