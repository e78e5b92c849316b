"""Who may do what with assessments (四考四评), built on :mod:`accounts.jurisdiction`.

Every rule comes in two forms, as in :mod:`accountability.rules`: a yes/no for one object
(``can_*``) and a filter for lists (``*_q``); ``assessments/tests/test_rules.py`` checks that
they agree for every persona.

- The office: the assessment office (or an administrator) whose role's scope covers the
  campaign's owner unit, unless the user also holds the official role (which removes change
  rights). It manages schemes and rounds, enters scores, records deductions and decides
  appeals. The assessment office's role only lets it *see* its scope in the jurisdiction
  module, so the office is found from its role assignments (one query, kept on the user).
- The unit's side: people holding a post in the unit or above it who may change records. It
  appeals against the unit's own deductions while the round is under review and the appeal
  window is open, one pending appeal per deduction.
- Seeing results and deductions: the office and readers (officials, the assessment office)
  within their jurisdiction always; people holding a post in the unit itself its own ones at
  any time; once the round is published, everyone whose jurisdiction covers the unit.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accountability.rules import applicable_units_q, can_apply_exemption
from accounts.jurisdiction import Jurisdiction, jurisdiction_for
from accounts.models import Post, Role, RoleAssignment, Unit

from .models import (
    FROZEN_STATUSES,
    Appeal,
    AppealStatus,
    DeductionStatus,
    HonorRollStatus,
    HonorSubmissionStatus,
    RoundStatus,
)

if TYPE_CHECKING:
    from accounts.models import Membership, User
    from campaign.models import Campaign

    from .models import Deduction, EvidenceFile, HonorRoll, HonorSubmission, Result, Round, Scheme

OFFICE_ROLES = (Role.ASSESSMENT_OFFICE, Role.ADMINISTRATOR)
READER_ROLES = (Role.OFFICIAL, Role.ASSESSMENT_OFFICE)
NOTHING = Q(pk__in=[])
#: Rounds in which deductions are recorded (not before scoring, not once frozen).
DEDUCTING_STATUSES = (RoundStatus.SCORING, RoundStatus.REVIEW)


def _office_roots(user: Any) -> tuple[str, ...]:
    """The scopes over which the user acts as the assessment office (one query, kept on the
    user object like its jurisdiction)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached: tuple[str, ...] | None = getattr(user, "_assessment_office_cache", None)
    if cached is None:
        rows = list(RoleAssignment.objects.filter(user=user).values_list("role", "scope__path"))
        if any(role == Role.OFFICIAL for role, _path in rows):
            cached = ()
        else:
            cached = tuple(sorted({path for role, path in rows if role in OFFICE_ROLES}))
        setattr(user, "_assessment_office_cache", cached)  # noqa: B010 - a per-object memo
    return cached


def _is_office(user: Any, j: Jurisdiction, owner_unit: Unit) -> bool:
    if j.is_global:
        return True
    return any(owner_unit.path.startswith(root) for root in _office_roots(user))


def _office_q(user: Any, j: Jurisdiction, campaign_field: str) -> Q:
    """A filter on records whose campaign (reached by ``campaign_field``) the user's office
    covers."""
    if j.is_global:
        return Q()
    query = NOTHING
    for root in _office_roots(user):
        query |= Q(**{f"{campaign_field}__owner_unit__path__startswith": root})
    return query


def _on_unit_side(user: Any, unit: Unit) -> bool:
    """The user holds a post in ``unit`` or above it and may change records: the side that
    applies for the unit's exemptions (:func:`accountability.rules.can_apply_exemption`)."""
    return can_apply_exemption(user, unit)


def _unit_side_q(user: Any) -> Q:
    """The list form of _on_unit_side, on records with a ``unit``."""
    if jurisdiction_for(user).is_global:
        return Q()
    return Q(unit__in=Unit.objects.filter(applicable_units_q(user)))


# --- schemes and rounds ------------------------------------------------------------------------
def can_manage_scheme(user: User, scheme: Scheme) -> bool:
    """Set up the scheme and run its rounds (open scoring, review, publish, archive): the
    office over the campaign's owner unit."""
    return _is_office(user, jurisdiction_for(user), scheme.campaign.owner_unit)


def manageable_schemes_q(user: User) -> Q:
    """The list form of can_manage_scheme (a filter on Scheme)."""
    return _office_q(user, jurisdiction_for(user), "campaign")


def can_manage_round(user: User, round_: Round) -> bool:
    """Move a round through its statuses: whoever manages its scheme."""
    return can_manage_scheme(user, round_.scheme)


def manageable_rounds_q(user: User) -> Q:
    """The list form of can_manage_round (a filter on Round)."""
    return _office_q(user, jurisdiction_for(user), "scheme__campaign")


# --- scores and deductions ---------------------------------------------------------------------
def can_enter_scores(user: User, round_: Round) -> bool:
    """Enter scores in a round being scored: the office."""
    return round_.status == RoundStatus.SCORING and can_manage_round(user, round_)


def scorable_rounds_q(user: User) -> Q:
    """The list form of can_enter_scores (a filter on Round)."""
    return Q(status=RoundStatus.SCORING) & manageable_rounds_q(user)


def can_record_deduction(user: User, round_: Round) -> bool:
    """Record a deduction in a round being scored or reviewed: the office."""
    return round_.status in DEDUCTING_STATUSES and can_manage_round(user, round_)


def deductible_rounds_q(user: User) -> Q:
    """The list form of can_record_deduction (a filter on Round)."""
    return Q(status__in=DEDUCTING_STATUSES) & manageable_rounds_q(user)


# --- appeals -----------------------------------------------------------------------------------
def _window_open(round_: Round, today: date) -> bool:
    return (
        round_.status == RoundStatus.REVIEW
        and round_.appeal_until is not None
        and today <= round_.appeal_until
    )


def can_file_appeal(user: User, deduction: Deduction, today: date | None = None) -> bool:
    """Appeal a standing deduction: the unit's side, while its round is under review and on or
    before the round's last day for appeals, when no appeal of it awaits a decision. Only
    who sees the deduction appeals it (before publication, a unit above sees a unit's
    deductions only as a reader: its own unit's side appeals)."""
    today = today or timezone.localdate()
    return (
        deduction.status == DeductionStatus.STANDING
        and _window_open(deduction.round, today)
        and _on_unit_side(user, deduction.unit)
        and _may_view(user, deduction.round, deduction.unit)
        and not deduction.appeals.filter(status=AppealStatus.PENDING).exists()
    )


def appealable_deductions_q(user: User, today: date | None = None) -> Q:
    """The list form of can_file_appeal (a filter on Deduction)."""
    today = today or timezone.localdate()
    pending = Appeal.objects.filter(deduction=OuterRef("pk"), status=AppealStatus.PENDING)
    return (
        Q(
            status=DeductionStatus.STANDING,
            round__status=RoundStatus.REVIEW,
            round__appeal_until__gte=today,
        )
        & ~Q(Exists(pending))
        & _unit_side_q(user)
        & _viewable_q(user, "round")
    )


def can_decide_appeal(user: User, appeal: Appeal) -> bool:
    """Uphold or reject a pending appeal while its round is under review: the office."""
    round_ = appeal.deduction.round
    return (
        appeal.status == AppealStatus.PENDING
        and round_.status == RoundStatus.REVIEW
        and can_manage_round(user, round_)
    )


def decidable_appeals_q(user: User) -> Q:
    """The list form of can_decide_appeal (a filter on Appeal)."""
    return Q(status=AppealStatus.PENDING, deduction__round__status=RoundStatus.REVIEW) & _office_q(
        user, jurisdiction_for(user), "deduction__round__scheme__campaign"
    )


# --- seeing results and deductions -----------------------------------------------------------
def _may_view(user: User, round_: Round, unit: Unit) -> bool:
    j = jurisdiction_for(user)
    if _is_office(user, j, round_.scheme.campaign.owner_unit):
        return True
    if j.has_role(*READER_ROLES) and j.can_view(unit):
        return True
    if unit.path in j.member_paths:
        return True
    return round_.status in FROZEN_STATUSES and j.can_view(unit)


def _viewable_q(user: User, round_field: str) -> Q:
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    readers = j.q("unit") if j.has_role(*READER_ROLES) else NOTHING
    own = Q(unit__path__in=j.member_paths) if j.member_paths else NOTHING
    published = Q(**{f"{round_field}__status__in": FROZEN_STATUSES}) & j.q("unit")
    return _office_q(user, j, f"{round_field}__scheme__campaign") | readers | own | published


def can_view_result(user: User, result: Result) -> bool:
    """The office and readers over the unit always; the unit itself its own result at any
    time; everyone whose jurisdiction covers the unit once the round is published."""
    return _may_view(user, result.round, result.unit)


def viewable_results_q(user: User) -> Q:
    """The list form of can_view_result (a filter on Result)."""
    return _viewable_q(user, "round")


def can_view_deduction(user: User, deduction: Deduction) -> bool:
    """As for results: the unit sees only its own deductions before publication."""
    return _may_view(user, deduction.round, deduction.unit)


def viewable_deductions_q(user: User) -> Q:
    """The list form of can_view_deduction (a filter on Deduction)."""
    return _viewable_q(user, "round")


# --- the office's workspace (helper B1) --------------------------------------------------------
def is_assessment_office(user: User) -> bool:
    """Whether the user acts as an assessment office anywhere (the workspace is theirs): an
    administrator over everything, or someone holding the office's role, not as an official."""
    j = jurisdiction_for(user)
    if j.is_global:
        return bool(getattr(user, "is_authenticated", False))
    return bool(_office_roots(user))


def can_view_score(user: User, round_: Round, unit: Unit) -> bool:
    """See a unit's score in a round (and its evidence): as for its result."""
    return _may_view(user, round_, unit)


# --- seeing schemes, rounds, scores and appeals (the API and the pages) -----------------------
def appeal_window_open(round_: Round, today: date | None = None) -> bool:
    """Appeals may be filed in the round now: under review, on or before its last day."""
    return _window_open(round_, today or timezone.localdate())


def _sees_campaign(user: Any, j: Jurisdiction, owner_unit: Unit) -> bool:
    return _is_office(user, j, owner_unit) or j.takes_part_in(owner_unit)


def _sees_campaign_q(user: Any, campaign_field: str) -> Q:
    j = jurisdiction_for(user)
    owner = f"{campaign_field}__owner_unit"
    return _office_q(user, j, campaign_field) | j.q(owner) | j.ancestors_q(owner)


def can_view_scheme(user: User, scheme: Scheme) -> bool:
    """Everyone taking part in the campaign reads its schemes (the rules a unit is assessed
    by are shown to it), and the office over the campaign."""
    return _sees_campaign(user, jurisdiction_for(user), scheme.campaign.owner_unit)


def viewable_schemes_q(user: User) -> Q:
    """The list form of can_view_scheme (a filter on Scheme)."""
    return _sees_campaign_q(user, "campaign")


def can_view_round(user: User, round_: Round) -> bool:
    """As for its scheme: a round's title, period and status are no secret."""
    return can_view_scheme(user, round_.scheme)


def viewable_rounds_q(user: User) -> Q:
    """The list form of can_view_round (a filter on Round)."""
    return _sees_campaign_q(user, "scheme__campaign")


def viewable_scores_q(user: User) -> Q:
    """The list form of can_view_score (a filter on ScoreEntry): as for results, the unit
    sees only its own scores before publication."""
    return _viewable_q(user, "round")


def can_view_appeal(user: User, appeal: Appeal) -> bool:
    """Whoever sees the deduction sees its appeals."""
    return can_view_deduction(user, appeal.deduction)


def viewable_appeals_q(user: User) -> Q:
    """The list form of can_view_appeal (a filter on Appeal)."""
    from .models import Deduction

    return Q(deduction__in=Deduction.objects.filter(viewable_deductions_q(user)).values("pk"))


# --- honor rolls (创先争优月榜) -------------------------------------------------------------
# A unit's side submits its highlights for a month of a campaign it takes part in; the
# assessment office over the campaign selects, flags and publishes. Before publication a
# roll is the office's: a unit sees only its own submissions (everyone whose jurisdiction
# covers the unit does). Once published, the roll, its selected highlights and its flags
# are for every signed-in user taking part in the campaign.
def _honor_takes_part(user: Any, owner_unit: Unit) -> bool:
    return jurisdiction_for(user).takes_part_in(owner_unit)


def _honor_taking_part_q(user: Any, campaign_field: str) -> Q:
    """Records of campaigns the user takes part in (as :func:`campaign.selectors.campaign_list`)."""
    j = jurisdiction_for(user)
    if j.is_empty:
        return NOTHING
    owner = f"{campaign_field}__owner_unit"
    return j.q(owner) | j.ancestors_q(owner)


def _honor_in_campaign(unit: Unit, owner_unit: Unit) -> bool:
    return unit.path.startswith(owner_unit.path)


def can_submit_honor(user: User, campaign: Campaign, unit: Unit) -> bool:
    """Submit a highlight for ``unit`` to the campaign's honor roll: the unit's side (people
    holding a post in the unit or above it who may change records: its liaison, its
    leaders), for a unit within the campaign."""
    return _honor_in_campaign(unit, campaign.owner_unit) and _on_unit_side(user, unit)


def honor_submit_units_q(user: User, campaign: Campaign) -> Q:
    """The list form of can_submit_honor: the units (a filter on Unit) the user may submit
    for in ``campaign``."""
    return Q(path__startswith=campaign.owner_unit.path) & applicable_units_q(user)


def can_manage_honor(user: User, campaign: Campaign) -> bool:
    """Select, flag and publish the campaign's honor rolls: the assessment office over the
    campaign (as for schemes and rounds)."""
    return _is_office(user, jurisdiction_for(user), campaign.owner_unit)


def manageable_honor_rolls_q(user: User) -> Q:
    """The list form of can_manage_honor (a filter on HonorRoll)."""
    return _office_q(user, jurisdiction_for(user), "campaign")


def can_decide_honor(user: User, roll: HonorRoll) -> bool:
    """Decide the highlights, set flags and publish: the office, while the roll is a draft."""
    return roll.status == HonorRollStatus.DRAFT and can_manage_honor(user, roll.campaign)


def decidable_honor_rolls_q(user: User) -> Q:
    """The list form of can_decide_honor (a filter on HonorRoll)."""
    return Q(status=HonorRollStatus.DRAFT) & manageable_honor_rolls_q(user)


def can_view_honor_roll(user: User, roll: HonorRoll) -> bool:
    """The office always; once published, everyone taking part in the campaign. Its flags
    are seen with it."""
    owner = roll.campaign.owner_unit
    if _is_office(user, jurisdiction_for(user), owner):
        return True
    return roll.status == HonorRollStatus.PUBLISHED and _honor_takes_part(user, owner)


def viewable_honor_rolls_q(user: User, roll_field: str = "") -> Q:
    """The list form of can_view_honor_roll (a filter on HonorRoll, or on a model reaching it
    by ``roll_field``, such as ``"roll"`` for flags)."""
    prefix = f"{roll_field}__" if roll_field else ""
    j = jurisdiction_for(user)
    if j.is_global:  # (Q() | x is x: an empty Q would not widen the OR)
        return Q()
    published = Q(**{f"{prefix}status": HonorRollStatus.PUBLISHED}) & _honor_taking_part_q(
        user, f"{prefix}campaign"
    )
    return _office_q(user, j, f"{prefix}campaign") | published


def can_view_honor_submission(user: User, submission: HonorSubmission) -> bool:
    """The office; everyone whose jurisdiction covers the unit (the unit sees its own); once
    the roll is published, a selected highlight is seen by everyone taking part."""
    roll = submission.roll
    j = jurisdiction_for(user)
    if _is_office(user, j, roll.campaign.owner_unit) or j.can_view(submission.unit):
        return True
    return (
        roll.status == HonorRollStatus.PUBLISHED
        and submission.status == HonorSubmissionStatus.SELECTED
        and _honor_takes_part(user, roll.campaign.owner_unit)
    )


def viewable_honor_submissions_q(user: User) -> Q:
    """The list form of can_view_honor_submission (a filter on HonorSubmission)."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    own = j.q("unit") if not j.is_empty else NOTHING
    published = Q(
        roll__status=HonorRollStatus.PUBLISHED, status=HonorSubmissionStatus.SELECTED
    ) & _honor_taking_part_q(user, "roll__campaign")
    return _office_q(user, j, "roll__campaign") | own | published


def can_view_evidence(user: User, evidence: EvidenceFile) -> bool:
    """Download an evidence file: whoever may see what it backs (its score, deduction,
    appeal or honor-roll highlight)."""
    if evidence.score is not None:
        return can_view_score(user, evidence.score.round, evidence.score.unit)
    if evidence.deduction is not None:
        return can_view_deduction(user, evidence.deduction)
    if evidence.appeal is not None:
        return can_view_appeal(user, evidence.appeal)
    if evidence.submission is not None:
        return can_view_honor_submission(user, evidence.submission)
    return False


# --- leaders' positive and negative lists (正负面清单) ----------------------------------------
#: The posts whose holders have a list: the unit's leaders (两级五岗's first two posts).
LEADER_POSTS = (Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE)
#: Who sees every leader's list within their jurisdiction: the offices and officials.
LEADER_LIST_ROLES = (
    Role.ASSESSMENT_OFFICE,
    Role.CAMPAIGN_OFFICE,
    Role.ADMINISTRATOR,
    Role.OFFICIAL,
)


def can_view_leader_list(user: User, membership: Membership) -> bool:
    """A leader's list (one leader post in one unit): the leader their own; the offices and
    officials every leader within their jurisdiction."""
    if membership.post not in LEADER_POSTS:
        return False
    if getattr(user, "pk", None) is not None and membership.user_id == user.pk:
        return True
    j = jurisdiction_for(user)
    return j.has_role(*LEADER_LIST_ROLES) and j.can_view(membership.unit)


def viewable_leader_lists_q(user: User) -> Q:
    """The list form of can_view_leader_list (a filter on Membership)."""
    j = jurisdiction_for(user)
    if j.is_empty:
        return NOTHING
    if j.is_global:
        return Q(post__in=LEADER_POSTS)
    offices = j.q("unit") if j.has_role(*LEADER_LIST_ROLES) else NOTHING
    return Q(post__in=LEADER_POSTS) & (Q(user_id=user.pk) | offices)


# --- the public survey -------------------------------------------------------------------------
def can_manage_survey(user: User, round_: Round) -> bool:
    """Open and close the round's public survey, see its answers counted per unit and compute
    public scores from them: the office that runs the round. (Answering needs no rule: the
    survey page is for anyone, limited per address and per phone number.)"""
    return can_manage_round(user, round_)


def survey_manageable_rounds_q(user: User) -> Q:
    """The list form of can_manage_survey (a filter on Round)."""
    return manageable_rounds_q(user)


# --- publication: the circular and the public ranking (helper C) ------------------------------
def can_view_circular(user: User, round_: Round) -> bool:
    """Read a published round's circular (情况通报), which names every unit's tier: the office
    over the round, and everyone who sees one of its results (it is circulated to the units
    assessed and to who oversees them). Before publication there is no circular."""
    from .models import Result

    if not round_.frozen:
        return False
    if can_manage_round(user, round_):
        return True
    return Result.objects.filter(round=round_).filter(viewable_results_q(user)).exists()


def circular_rounds_q(user: User) -> Q:
    """The list form of can_view_circular (a filter on Round)."""
    from .models import Result

    seen = Result.objects.filter(round=OuterRef("pk")).filter(viewable_results_q(user))
    return Q(status__in=FROZEN_STATUSES) & (manageable_rounds_q(user) | Q(Exists(seen)))


def is_public_ranking(round_: Round) -> bool:
    """Shown on the public ranking (grades and tiers only, no sign-in): a published or archived
    round the office chose to show (``Round.public``)."""
    return round_.public and round_.frozen


#: The list form of is_public_ranking (a filter on Round).
PUBLIC_RANKING_Q = Q(public=True, status__in=FROZEN_STATUSES)


# --- score imports (helper A) -------------------------------------------------------------------
def _evaluator_roots(user: Any) -> tuple[str, ...]:
    """The scopes over which the user works as a third-party evaluator (one query, kept on
    the user object like its jurisdiction)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached: tuple[str, ...] | None = getattr(user, "_assessment_evaluator_cache", None)
    if cached is None:
        cached = tuple(
            sorted(
                RoleAssignment.objects.filter(user=user, role=Role.EVALUATOR).values_list(
                    "scope__path", flat=True
                )
            )
        )
        setattr(user, "_assessment_evaluator_cache", cached)  # noqa: B010 - a per-object memo
    return cached


def _evaluates(user: Any, round_: Round) -> bool:
    owner = round_.scheme.campaign.owner_unit
    return any(owner.path.startswith(root) for root in _evaluator_roots(user))


def can_import_scores(user: User, round_: Round) -> bool:
    """Upload a workbook of scores into a round being scored: whoever enters scores (the
    office), and a third-party evaluator whose scope covers the campaign (third-party
    indicators only, :func:`importable_sources`)."""
    return can_enter_scores(user, round_) or (
        round_.status == RoundStatus.SCORING and _evaluates(user, round_)
    )


def importable_rounds_q(user: User) -> Q:
    """The list form of can_import_scores (a filter on Round)."""
    evaluated = NOTHING
    for root in _evaluator_roots(user):
        evaluated |= Q(scheme__campaign__owner_unit__path__startswith=root)
    return scorable_rounds_q(user) | (Q(status=RoundStatus.SCORING) & evaluated)


def importable_sources(user: User, round_: Round) -> tuple[str, ...]:
    """The sources whose indicators the user may import scores of in the round: every
    source for whoever enters scores, the third-party one for an evaluator, none else."""
    from .models import Source

    if can_enter_scores(user, round_):
        return tuple(Source.values)
    if can_import_scores(user, round_):
        return (Source.THIRD_PARTY,)
    return ()
