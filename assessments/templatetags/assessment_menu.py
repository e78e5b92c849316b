"""Template tags of the assessment pages: which of them the user has a use for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Role
from assessments import rules

register = template.Library()


@dataclass(frozen=True)
class AssessmentMenu:
    """Which assessment pages the user has a use for (no queries beyond the jurisdiction's
    and the office's role assignments, both kept on the user).

    ``office``: the assessment office's workspace: the office's or an administrator's role,
    not as an official (what :func:`rules.is_assessment_office` says, read from the roles the
    jurisdiction already holds instead of a query of its own).
    ``mine``: a unit's own results, deductions and appeals (people holding a post).
    ``ranking``: published rankings, honor rolls and leaders' lists (anyone who sees units).
    ``imports``: importing scores from Excel (the office, and third-party evaluators).
    """

    office: bool
    mine: bool
    ranking: bool
    imports: bool = False

    @property
    def any(self) -> bool:
        """Whether the navbar shows the assessment menu at all."""
        return self.office or self.mine or self.ranking or self.imports


def assessment_menu(user: Any) -> AssessmentMenu:
    """The assessment pages ``user`` has a use for."""
    if user is None or not getattr(user, "is_authenticated", False):
        return AssessmentMenu(office=False, mine=False, ranking=False)
    j = jurisdiction_for(user)
    office = j.is_global or (j.has_role(*rules.OFFICE_ROLES) and Role.OFFICIAL not in j.roles)
    return AssessmentMenu(
        office=office,
        mine=j.is_global or bool(j.member_paths),
        ranking=not j.is_empty,
        imports=office or j.has_role(Role.EVALUATOR),
    )


@register.simple_tag(takes_context=True, name="assessment_menu")
def assessment_menu_tag(context: dict[str, Any]) -> AssessmentMenu:
    """``{% assessment_menu as amenu %}``: ``amenu.office``, ``amenu.mine``,
    ``amenu.ranking``, ``amenu.imports`` and ``amenu.any`` for the signed-in user."""
    request = context.get("request")
    return assessment_menu(getattr(request, "user", None))
