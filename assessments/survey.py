"""The public satisfaction survey (公众考核): answers from a page that needs no sign-in, the
office opening and closing it, and the public scores computed from the answers.

A member of the public rates one unit of a round on four counts (attitude, efficiency,
integrity and discipline, overall), each 1 to 5, and gives a mainland mobile number. The
number is never stored: only its HMAC-SHA256 under ``SURVEY_PHONE_KEY`` (derived from
``SECRET_KEY`` when empty) is kept, enough for the database's unique (round, hash) to refuse
a second answer from the same number in the same round, whoever races whom.

An answer does not lock the round's row, unlike the office's writes (:mod:`.services`): the
survey is the one write that strangers make in volume, an answer changes nothing published,
and the public scores read the answers at one moment. A closed or frozen round refuses them.

The public score of a unit is ``max_points × (mean rating − 1) / 4`` on every indicator of
the public source: a mean of 5 gives full marks, a mean of 1 nothing. Units with fewer than
``SURVEY_MIN_RESPONSES`` answers get no score, and the office is told which.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from tasks_ledger.models import TEXT_MAX
from tasks_ledger.services import checked_text

from . import rules
from .models import CategoryMember, Round, ScoreEntry, Source, SurveyResponse
from .services import ScoreSpec, _lock_round, _refuse_frozen, _require, scores_enter

#: The four counts an answer rates, in the order the page asks them.
RATINGS = ("attitude", "efficiency", "conduct", "overall")
#: The unique constraint that keeps one answer per number and round.
ONE_PER_PHONE = "survey_one_per_phone"
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
#: What people type around a number: spaces (also full-width), dashes, brackets, dots.
PHONE_NOISE = re.compile(r"[\s\-–—().]")


# --- the phone number --------------------------------------------------------------------------
def phone_normalise(raw: str) -> str:
    """The 11 digits of a mainland mobile number written with +86, 0086, spaces or dashes
    (full-width characters too); ValidationError in words for anything else."""
    text = PHONE_NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not MAINLAND_MOBILE.fullmatch(text):
        raise ValidationError(
            {"phone": _("Enter a mainland mobile number of 11 digits, such as 13812345678.")}
        )
    return text


def _phone_key() -> bytes:
    key = settings.SURVEY_PHONE_KEY
    if key:
        return key.encode()
    # A key of its own, so the hash is no HMAC Django computes elsewhere under SECRET_KEY.
    return hashlib.sha256(b"assessments.survey.phone:" + settings.SECRET_KEY.encode()).digest()


def phone_hash(phone: str) -> str:
    """The keyed hash (64 hex digits) a normalised phone number is kept as."""
    return hmac.new(_phone_key(), phone.encode(), hashlib.sha256).hexdigest()


# --- answering ---------------------------------------------------------------------------------
def survey_closed_message() -> str:
    """What a respondent reads when the round takes no answers."""
    return _("The survey for this round is closed. Thank you for your interest.")


def duplicate_message() -> str:
    """What a respondent reads when the number has answered in this round already."""
    return _("This phone number has already answered the survey for this round.")


def accepts_answers(round_: Round) -> bool:
    """The round's survey is open and the round is not published."""
    return round_.survey_open and not round_.frozen


def _rating(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({name: _("Choose a rating from 1 to 5.")})
    return value


@transaction.atomic
def survey_respond(
    *,
    round_: Round,
    unit: Unit,
    phone: str,
    attitude: int,
    efficiency: int,
    conduct: int,
    overall: int,
    comment: str = "",
) -> SurveyResponse:
    """Record one member of the public's answer about ``unit`` in ``round_``. Refused in
    words when the survey is closed, the unit is not assessed in the round's scheme, a
    rating is not 1 to 5, the number is not a mainland mobile, or it answered already."""
    round_ = Round.objects.get(pk=round_.pk)
    if not accepts_answers(round_):
        raise ValidationError(survey_closed_message())
    if not CategoryMember.objects.filter(scheme_id=round_.scheme_id, unit=unit).exists():
        raise ValidationError({"unit": _("Choose one of the units listed in this survey.")})
    ratings = {
        name: _rating(name, value)
        for name, value in zip(RATINGS, (attitude, efficiency, conduct, overall), strict=True)
    }
    text = checked_text(comment, "comment", TEXT_MAX)
    digest = phone_hash(phone_normalise(phone))
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                round=round_, unit=unit, phone_hash=digest, comment=text, **ratings
            )
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) != ONE_PER_PHONE:
            raise
        raise ValidationError({"phone": duplicate_message()}) from exc


# --- the office ----------------------------------------------------------------------------
def _survey_switch(round_: Round, actor: User, is_open: bool) -> Round:
    round_ = _lock_round(round_)
    _require(
        rules.can_manage_survey(actor, round_),
        _("Only the assessment office over the campaign opens and closes its public survey."),
    )
    if is_open:
        _refuse_frozen(round_)
    if round_.survey_open != is_open:
        round_.survey_open = is_open
        round_.save(update_fields=["survey_open"])
    return round_


@transaction.atomic
def survey_open(*, round_: Round, actor: User) -> Round:
    """Open the round's public survey (not once the round is published)."""
    return _survey_switch(round_, actor, True)


@transaction.atomic
def survey_close(*, round_: Round, actor: User) -> Round:
    """Close the round's public survey; the answers stay."""
    return _survey_switch(round_, actor, False)


@dataclass(frozen=True)
class PublicScores:
    """What computing public scores did: scores written, and the units left without one
    because they had fewer answers than the minimum (with their count)."""

    written: int
    minimum: int
    too_few: list[tuple[Unit, int]]


def _points(max_points: Decimal, total: int, count: int) -> Decimal:
    """max × (mean − 1) / 4, where mean = total / (4 × count): exactly max × (total − 4
    count) / (16 count), rounded half up to hundredths."""
    exact = max_points * Decimal(total - 4 * count) / Decimal(16 * count)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def public_scores_compute(*, round_: Round, actor: User) -> PublicScores:
    """Score every indicator of the public source for every assessed unit from its answers
    in the round: the answers aggregated per unit in one query, the scores written through
    :func:`.services.scores_enter` (one upsert, and its refusals: a published round, a round
    not being scored). Units with fewer than ``SURVEY_MIN_RESPONSES`` answers get none."""
    round_ = Round.objects.select_related("scheme__campaign__owner_unit").get(pk=round_.pk)
    _require(
        rules.can_manage_survey(actor, round_),
        _("Only the assessment office over the campaign manages its public survey."),
    )
    indicators = list(round_.scheme.indicators.filter(source=Source.PUBLIC))
    if not indicators:
        raise ValidationError(_("The scheme has no indicator of the public source to score."))
    minimum = settings.SURVEY_MIN_RESPONSES
    members = (
        CategoryMember.objects.filter(scheme_id=round_.scheme_id)
        .select_related("unit")
        .order_by("category__sort_order", "category_id", "unit__path")
    )
    counts = {
        row["unit_id"]: (row["answers"], row["total"])
        for row in SurveyResponse.objects.filter(round=round_)
        .values("unit_id")
        .annotate(
            answers=Count("pk"),
            total=Sum(F("attitude") + F("efficiency") + F("conduct") + F("overall")),
        )
    }
    entries: list[ScoreSpec] = []
    too_few: list[tuple[Unit, int]] = []
    for member in members:
        answers, total = counts.get(member.unit_id, (0, 0))
        if answers < max(minimum, 1):
            too_few.append((member.unit, answers))
            continue
        mean = (Decimal(total) / Decimal(4 * answers)).quantize(Decimal("0.01"))
        comment = _("Public survey: %(count)d answers, mean rating %(mean)s of 5.") % {
            "count": answers,
            "mean": mean,
        }
        entries += [
            (member.unit, indicator, _points(indicator.max_points, total, answers), comment)
            for indicator in indicators
        ]
    written = scores_enter(round_=round_, actor=actor, entries=entries)
    return PublicScores(written=written, minimum=minimum, too_few=too_few)


# --- the demo ------------------------------------------------------------------------------
def _demo_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


@transaction.atomic
def demo_survey_responses(round_: Round, *, per_unit: int, seed: int) -> int:
    """``per_unit`` answers for every unit assessed in the round's scheme, as if the public
    had answered while the survey was open: each unit has its own level of satisfaction, so
    public scores differ. Made before the round is published (refused after); the same seed
    gives the same numbers, whose answers are not added twice. Returns how many were added."""
    round_ = _lock_round(round_)
    _refuse_frozen(round_)
    rng = random.Random(seed)
    units = list(
        CategoryMember.objects.filter(scheme_id=round_.scheme_id)
        .order_by("unit__path")
        .values_list("unit_id", flat=True)
    )
    phones: set[str] = set()
    rows: list[SurveyResponse] = []
    for unit_id in units:
        level = rng.uniform(3.0, 4.8)
        for _answer in range(per_unit):
            phone = _demo_phone(rng)
            while phone in phones:
                phone = _demo_phone(rng)
            phones.add(phone)
            ratings = {name: min(5, max(1, round(rng.gauss(level, 0.7)))) for name in RATINGS}
            rows.append(
                SurveyResponse(
                    round=round_, unit_id=unit_id, phone_hash=phone_hash(phone), **ratings
                )
            )
    before = SurveyResponse.objects.filter(round=round_).count()
    SurveyResponse.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return SurveyResponse.objects.filter(round=round_).count() - before


# --- reads ---------------------------------------------------------------------------------
def survey_unit_counts(*, round_: Round) -> QuerySet[CategoryMember]:
    """The units assessed in the round's scheme, by category, each with its answers in the
    round (``answers``, ``rating_total``: the sum of all four ratings of all its answers) and
    its public score (``public_points``, the points of the public indicators, None before
    computing), in one query at any length. (Here rather than in :mod:`.selectors`: only the
    survey's office page reads it.)"""
    answers = (
        SurveyResponse.objects.filter(round=round_, unit=OuterRef("unit_id"))
        .order_by()
        .values("unit_id")
    )
    points = (
        ScoreEntry.objects.filter(
            round=round_, unit=OuterRef("unit_id"), indicator__source=Source.PUBLIC
        )
        .order_by()
        .values("unit_id")
    )
    return (
        CategoryMember.objects.filter(scheme_id=round_.scheme_id)
        .select_related("unit", "category")
        .annotate(
            answers=Coalesce(Subquery(answers.annotate(n=Count("pk")).values("n")), 0),
            rating_total=Coalesce(
                Subquery(
                    answers.annotate(
                        t=Sum(F("attitude") + F("efficiency") + F("conduct") + F("overall"))
                    ).values("t")
                ),
                0,
            ),
            public_points=Subquery(points.annotate(s=Sum("points")).values("s")),
        )
        .order_by("category__sort_order", "category_id", "unit__path")
    )
