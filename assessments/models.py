"""Assessments (四考四评): a scheme per campaign and year, quarterly and annual rounds, score
entries from four sources, deductions with appeals, and results ranked in tiers.

A **scheme** says how units are assessed in a year: the four sources (daily 日常, annual
年度, third-party 第三方, public 公众) with their weights (together 100), indicators grouped
as the office likes (四比四看 for the province), each with its maximum points and the source
that scores it, unit categories ranked apart, grade bands with optional quotas, and linkage
rules (an accountability measure caps a grade). A **round** runs draft → scoring → review →
published → archived; once published nothing of it changes. **Results** are computed for
all units of a round at once in SQL (:mod:`assessments.results`).
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accountability.models import MeasureKind, Notice
from accounts.models import Unit, history
from campaign.models import Campaign
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem, StoredFile, capped
from workbooks.models import AbstractImportJob

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Source(models.TextChoices):
    """The four sources of an assessment (四考)."""

    DAILY = "daily", _("daily assessment")
    ANNUAL = "annual", _("annual assessment")
    THIRD_PARTY = "third_party", _("third-party evaluation")
    PUBLIC = "public", _("public assessment")


class Grade(models.TextChoices):
    """The four grades, best first (their order is their rank)."""

    EXCELLENT = "excellent", _("excellent")
    GOOD = "good", _("good")
    FAIR = "fair", pgettext_lazy("grade", "fair")
    POOR = "poor", _("poor")

    @classmethod
    def rank_of(cls, grade: str) -> int:
        """0 for excellent up to 3 for poor."""
        return list(cls.values).index(grade)


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_USE = "in_use", _("in use")


class DailyMetric(models.TextChoices):
    """What in a unit's own ledger record computes a daily indicator (the formula is shown
    to the unit): the share of its items due in the period that were completed on time,
    its overdue items, the notices it received in the period."""

    ON_TIME_RATE = "on_time_rate", _("on-time completion rate")
    OVERDUE_ITEMS = "overdue_items", _("overdue items")
    NOTICES = "notices", _("notices received")


@pghistory.track(*history())
class Scheme(models.Model):
    """How the units of one campaign are assessed in one year."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="schemes", verbose_name=_("campaign")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    status = models.CharField(
        _("status"), max_length=10, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    daily_weight = models.DecimalField(
        _("daily weight (%)"), max_digits=7, decimal_places=2, validators=PERCENT
    )
    annual_weight = models.DecimalField(
        _("annual weight (%)"), max_digits=7, decimal_places=2, validators=PERCENT
    )
    third_party_weight = models.DecimalField(
        _("third-party weight (%)"), max_digits=7, decimal_places=2, validators=PERCENT
    )
    public_weight = models.DecimalField(
        _("public weight (%)"), max_digits=7, decimal_places=2, validators=PERCENT
    )
    tier_count = models.PositiveSmallIntegerField(
        _("tiers"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_("Each category's ranking is cut into this many tiers (第一档, 第二档, …)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-year", "campaign"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "year"], name="scheme_one_per_year"),
            models.CheckConstraint(
                condition=Q(
                    daily_weight__gte=0,
                    annual_weight__gte=0,
                    third_party_weight__gte=0,
                    public_weight__gte=0,
                ),
                name="scheme_weights_not_negative",
                violation_error_message=_("A weight cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def weight_of(self, source: str) -> Decimal:
        """The weight of ``source`` in percent."""
        return Decimal(getattr(self, f"{source}_weight"))

    @property
    def weights_total(self) -> Decimal:
        """The four weights together (a scheme in use has 100)."""
        return sum((self.weight_of(source) for source in Source.values), Decimal(0))


class IndicatorGroup(models.Model):
    """A group of indicators (for the province, one of 四比四看)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="groups", verbose_name=_("scheme")
    )
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        ordering = ["scheme", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="indicatorgroup_unique"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*history())
class Indicator(models.Model):
    """What is scored, out of how many points, by which source."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("scheme")
    )
    group = models.ForeignKey(
        IndicatorGroup,
        on_delete=models.PROTECT,
        related_name="indicators",
        null=True,
        blank=True,
        verbose_name=_("group"),
    )
    code = models.CharField(_("number"), max_length=20)
    name = models.CharField(_("name"), max_length=TITLE_MAX)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    max_points = models.DecimalField(
        _("maximum points"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    description = models.TextField(_("how it is scored"), blank=True)
    metric = models.CharField(
        _("computed from the ledger"),
        max_length=20,
        choices=DailyMetric.choices,
        blank=True,
        help_text=_(
            "Daily indicators only: blank when assessors score it, otherwise the unit's own "
            "ledger record that computes it."
        ),
    )
    metric_step = models.DecimalField(
        _("points per count"),
        max_digits=7,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_(
            "For overdue items and notices: points taken off for each one (a notice counts "
            "once for a reminder, twice for a supervision order, three times for a warning "
            "and four times for an accountability recommendation)."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_unique_code"),
            models.CheckConstraint(
                condition=Q(max_points__gt=0),
                name="indicator_max_points_positive",
                violation_error_message=_("The maximum points must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(metric="") | Q(source=Source.DAILY),
                name="indicator_metric_only_daily",
                violation_error_message=_(
                    "Only a daily indicator can be computed from the ledger."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UnitCategory(models.Model):
    """Units ranked together (for example the counties, the city's departments)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="categories", verbose_name=_("scheme")
    )
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    units = models.ManyToManyField(
        Unit, through="CategoryMember", related_name="+", verbose_name=_("units")
    )

    class Meta:
        verbose_name = _("unit category")
        verbose_name_plural = _("unit categories")
        ordering = ["scheme", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="unitcategory_unique"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None)
class CategoryMember(models.Model):
    """A unit assessed in a category of a scheme (in one category per scheme)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(UnitCategory, on_delete=models.CASCADE, related_name="members")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    history_label_field = "unit"

    class Meta:
        verbose_name = _("unit assessed in a category")
        verbose_name_plural = _("units assessed in categories")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "unit"], name="categorymember_one_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.unit}"


class GradeBand(models.Model):
    """The lowest total a grade needs, and at most what share of a category may have it."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="bands", verbose_name=_("scheme")
    )
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    min_total = models.DecimalField(
        _("lowest total"), max_digits=7, decimal_places=2, validators=PERCENT
    )
    quota_percent = models.DecimalField(
        _("at most, in percent of the category"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("Empty: no quota. For example 20 keeps excellent to the top fifth."),
    )

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["scheme", "-min_total"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "grade"], name="gradeband_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} ≥ {self.min_total}"


class LinkageTarget(models.TextChoices):
    UNIT = "unit", _("the unit")
    LEADER = "leader", _("the leader concerned")


class LinkageRule(models.Model):
    """An accountability measure in the round's period caps a grade: for example an
    admonishment talk means at best good (not excellent)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="linkages", verbose_name=_("scheme")
    )
    measure_kind = models.CharField(
        _("accountability measure"), max_length=24, choices=MeasureKind.choices
    )
    target = models.CharField(
        _("applies to"), max_length=8, choices=LinkageTarget.choices, default=LinkageTarget.UNIT
    )
    best_grade = models.CharField(_("best grade allowed"), max_length=10, choices=Grade.choices)

    class Meta:
        verbose_name = _("linkage rule")
        verbose_name_plural = _("linkage rules")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "measure_kind", "target"], name="linkagerule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_kind_display()} → {self.get_best_grade_display()}"


class RoundKind(models.TextChoices):
    QUARTERLY = "quarterly", _("quarterly")
    ANNUAL = "annual", _("annual")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCORING = "scoring", _("scoring")
    REVIEW = "review", _("under review")
    PUBLISHED = "published", _("published")
    ARCHIVED = "archived", _("archived")


#: Statuses in which a round no longer changes.
FROZEN_STATUSES = (RoundStatus.PUBLISHED, RoundStatus.ARCHIVED)


@pghistory.track(*history())
class Round(models.Model):
    """One quarterly or annual assessment under a scheme."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("scheme")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RoundKind.choices)
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    appeal_until = models.DateField(
        _("appeals until"),
        null=True,
        blank=True,
        help_text=_("Units may appeal a deduction up to and including this day."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("published by"),
    )
    circular_issue = models.PositiveIntegerField(_("circular issue (第N期)"), null=True, blank=True)
    survey_open = models.BooleanField(
        _("public survey open"),
        default=False,
        help_text=_("While open, anyone may rate a unit of this round on the survey page."),
    )
    public = models.BooleanField(
        _("shown on the public ranking"),
        default=False,
        help_text=_("Once published, show grades and tiers on the public ranking page."),
    )

    class Meta:
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="round_period_in_order",
                violation_error_message=_("The period ends before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(kind=RoundKind.ANNUAL, quarter__isnull=True)
                | Q(kind=RoundKind.QUARTERLY, quarter__isnull=False),
                name="round_quarter_matches_kind",
                violation_error_message=_(
                    "A quarterly round names its quarter; an annual one does not."
                ),
            ),
            models.UniqueConstraint(
                fields=["scheme", "kind", "quarter"],
                name="round_one_per_quarter",
                nulls_distinct=False,
                violation_error_message=_("The scheme already has a round for this period."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def frozen(self) -> bool:
        """Published or archived: its scores, deductions and results no longer change."""
        return self.status in FROZEN_STATUSES


@pghistory.track(*history())
class ScoreEntry(models.Model):
    """The points a unit got on one indicator in one round, from the indicator's source."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="scores", verbose_name=_("round")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="scores", verbose_name=_("indicator")
    )
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    comment = models.TextField(_("comment"), blank=True, validators=capped(TEXT_MAX))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("assessor"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "unit", "indicator"], name="score_one_per_indicator"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0),
                name="score_not_negative",
                violation_error_message=_("Points cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.indicator}: {self.points}"


class DeductionOrigin(models.TextChoices):
    INSPECTION = "inspection", _("inspection")
    NOTICE = "notice", pgettext_lazy("deduction origin", "notice")
    PROBLEM = "problem", _("problem")
    OVERDUE_ITEM = "overdue_item", _("overdue item")


class DeductionStatus(models.TextChoices):
    STANDING = "standing", _("standing")
    REVERSED = "reversed", _("reversed")


@pghistory.track(*history())
class Deduction(models.Model):
    """Points taken off a unit's indicator in a round (扣分), with the reason and where it
    came from. An upheld appeal or an approved exemption reverses it; both stay on record."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="deductions", verbose_name=_("round")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="deductions",
        verbose_name=_("indicator"),
    )
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    reason = models.TextField(_("reason"), validators=capped(TEXT_MAX))
    origin = models.CharField(_("origin"), max_length=14, choices=DeductionOrigin.choices)
    notice = models.ForeignKey(
        Notice,
        on_delete=models.PROTECT,
        related_name="deductions",
        null=True,
        blank=True,
        verbose_name=_("notice"),
    )
    item = models.ForeignKey(
        LedgerItem,
        on_delete=models.PROTECT,
        related_name="deductions",
        null=True,
        blank=True,
        verbose_name=_("ledger item"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeductionStatus.choices,
        default=DeductionStatus.STANDING,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    reversed_reason = models.TextField(_("why reversed"), blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["round", "unit", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gt=0),
                name="deduction_points_positive",
                violation_error_message=_("A deduction takes off more than zero points."),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="deduction_has_reason",
                violation_error_message=_("Give the reason for the deduction."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} −{self.points} · {self.indicator}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("upheld")
    REJECTED = "rejected", _("rejected")


@pghistory.track(*history())
class Appeal(models.Model):
    """A unit's appeal against a deduction (申诉), decided by the office with a reason."""

    deduction = models.ForeignKey(
        Deduction, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("deduction")
    )
    reasons = models.TextField(_("reasons"), validators=capped(TEXT_MAX))
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    history_label_field = "deduction"

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deduction"],
                condition=Q(status=AppealStatus.PENDING),
                name="appeal_one_pending_per_deduction",
                violation_error_message=_(
                    "This deduction already has an appeal awaiting a decision."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deduction} · {self.get_status_display()}"


class Result(models.Model):
    """A unit's result in a round: per-source subtotals (each out of 100), the weighted
    total, grade, rank and tier within its category, and its movement since the previous
    round. Written for all units at once by :func:`assessments.results.round_compute`."""

    # No index of its own on the round: the unique (round, unit) index serves it. Every
    # index here is written for every unit each time a round's results are computed.
    round = models.ForeignKey(
        Round,
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name=_("round"),
        db_index=False,
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    category = models.ForeignKey(
        UnitCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    # As they were when the results were computed: a published ranking keeps them even if
    # the unit or the category is renamed later.
    unit_code = models.CharField(_("unit code"), max_length=32, blank=True)
    unit_name = models.CharField(_("unit name"), max_length=100, blank=True)
    category_name = models.CharField(_("category name"), max_length=100, blank=True)
    daily = models.DecimalField(_("daily"), max_digits=7, decimal_places=2)
    annual = models.DecimalField(_("annual"), max_digits=7, decimal_places=2)
    third_party = models.DecimalField(_("third-party"), max_digits=7, decimal_places=2)
    public = models.DecimalField(_("public"), max_digits=7, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    deduction_count = models.PositiveIntegerField(_("deductions"), default=0)
    deducted = models.DecimalField(
        _("points deducted"), max_digits=7, decimal_places=2, default=Decimal(0)
    )
    band_grade = models.CharField(_("grade by score"), max_length=10, choices=Grade.choices)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    grade_note = models.CharField(_("why the grade differs"), max_length=200, blank=True)
    rank = models.PositiveIntegerField(_("rank"))
    tier = models.PositiveSmallIntegerField(_("tier"))
    movement = models.IntegerField(_("places moved"), null=True, blank=True)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["round", "category", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="result_one_per_unit"),
            # Also the ranking's index (round, category, rank): no second copy of it.
            models.UniqueConstraint(
                fields=["round", "category", "rank"], name="result_rank_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.unit}: {self.total}"


@pghistory.track(*history())
class EvidenceFile(StoredFile):
    """A file backing a score, a deduction, an appeal or an honor-roll submission (type and
    size checked like every upload); it belongs to exactly one of them."""

    score = models.ForeignKey(
        ScoreEntry,
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name=_("score"),
    )
    deduction = models.ForeignKey(
        Deduction,
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name=_("deduction"),
    )
    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name=_("appeal"),
    )
    submission = models.ForeignKey(
        "HonorSubmission",
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name=_("highlight"),
    )
    file = models.FileField(_("file"), upload_to="assessments/%Y/%m/")

    class Meta:
        verbose_name = _("assessment evidence")
        verbose_name_plural = _("assessment evidence")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(score__isnull=False, deduction=None, appeal=None, submission=None)
                    | Q(score=None, deduction__isnull=False, appeal=None, submission=None)
                    | Q(score=None, deduction=None, appeal__isnull=False, submission=None)
                    | Q(score=None, deduction=None, appeal=None, submission__isnull=False)
                ),
                name="assessment_evidence_one_owner",
                violation_error_message=_(
                    "A file of evidence belongs to one score, deduction, appeal or highlight."
                ),
            ),
        ]


RATING = [MinValueValidator(1), MaxValueValidator(5)]


class SurveyResponse(models.Model):
    """One member of the public's rating of a unit in a round (公众考核), from the survey
    page that needs no sign-in. The phone number is kept only as a keyed hash, enough to
    refuse a second response from the same number in the same round."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("round")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    phone_hash = models.CharField(_("phone number (keyed hash)"), max_length=64)
    attitude = models.PositiveSmallIntegerField(_("service attitude"), validators=RATING)
    efficiency = models.PositiveSmallIntegerField(_("efficiency"), validators=RATING)
    conduct = models.PositiveSmallIntegerField(_("integrity and discipline"), validators=RATING)
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"), validators=RATING)
    comment = models.TextField(_("comment"), blank=True, validators=capped(TEXT_MAX))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "phone_hash"],
                name="survey_one_per_phone",
                violation_error_message=_(
                    "This phone number has already answered the survey for this round."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    attitude__range=(1, 5),
                    efficiency__range=(1, 5),
                    conduct__range=(1, 5),
                    overall__range=(1, 5),
                ),
                name="survey_ratings_one_to_five",
                violation_error_message=_("Each rating is from 1 to 5."),
            ),
        ]
        indexes = [models.Index(fields=["round", "unit"], name="survey_round_unit_idx")]

    def __str__(self) -> str:
        return f"{self.round} · {self.unit}"


class HonorRollStatus(models.TextChoices):
    DRAFT = "draft", _("being selected")
    PUBLISHED = "published", _("published")


@pghistory.track(*history())
class HonorRoll(models.Model):
    """A campaign's honor roll for one month (创先争优月榜): units submit highlights, the
    office selects and publishes, with optional red and blue flags for the top and bottom."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="honor_rolls", verbose_name=_("campaign")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=HonorRollStatus.choices,
        default=HonorRollStatus.DRAFT,
    )
    note = models.TextField(_("note"), blank=True, validators=capped(TEXT_MAX))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("honor roll")
        verbose_name_plural = _("honor rolls")
        ordering = ["-month", "campaign"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "month"], name="honor_roll_one_per_month"),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="honor_roll_month_first_day",
                violation_error_message=_("A roll's month is given by its first day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.month:%Y-%m}"


class HonorSubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    SELECTED = "selected", _("selected")
    NOT_SELECTED = "not_selected", _("not selected")


@pghistory.track(*history())
class HonorSubmission(models.Model):
    """A unit's highlight for a month's honor roll, with evidence; the office selects it
    (with its place on the roll) or not."""

    roll = models.ForeignKey(
        HonorRoll, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("roll")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    text = models.TextField(_("what was achieved"), validators=capped(TEXT_MAX))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=HonorSubmissionStatus.choices,
        default=HonorSubmissionStatus.SUBMITTED,
    )
    place = models.PositiveSmallIntegerField(_("place on the roll"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("office's note"), blank=True)

    class Meta:
        verbose_name = _("honor roll highlight")
        verbose_name_plural = _("honor roll highlights")
        ordering = ["roll", "place", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["roll", "place"],
                condition=Q(place__isnull=False),
                name="honor_submission_place_unique",
                violation_error_message=_("Another highlight already has this place."),
            ),
            models.CheckConstraint(
                condition=Q(place__isnull=True) | Q(status=HonorSubmissionStatus.SELECTED),
                name="honor_submission_place_if_selected",
                violation_error_message=_("Only a selected highlight has a place."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.title}"


class FlagColour(models.TextChoices):
    RED = "red", _("red flag")
    BLUE = "blue", _("blue flag")


@pghistory.track(*history())
class HonorFlag(models.Model):
    """A red flag (top place) or blue flag (bottom place) on a month's roll."""

    roll = models.ForeignKey(
        HonorRoll, on_delete=models.CASCADE, related_name="flags", verbose_name=_("roll")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    colour = models.CharField(_("flag"), max_length=4, choices=FlagColour.choices)
    reason = models.TextField(_("reason"), validators=capped(TEXT_MAX))

    class Meta:
        verbose_name = _("honor roll flag")
        verbose_name_plural = _("honor roll flags")
        ordering = ["roll", "colour", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["roll", "unit"], name="honor_flag_one_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.roll} · {self.unit} · {self.get_colour_display()}"


# --- score imports ------------------------------------------------------------------------------
# History keeps who uploaded what into which round and how it ended; the job's working data
# (problems, plan, columns, row counters) changes many times a job and is the job's own.
@pghistory.track(
    *history(),
    exclude=[
        "errors",
        "plan",
        "columns",
        "header_row",
        "total_rows",
        "processed_rows",
        "language",
        "file",
        "size",
    ],
)
class ScoreImportJob(AbstractImportJob):
    """One uploaded workbook of scores on its way into a round: checked first (unit,
    indicator, points and comment of every row, or one column per indicator), then entered
    in one transaction through :func:`assessments.services.scores_enter`, or not at all
    (:mod:`assessments.score_imports`). Only its uploader reaches it."""

    upload_folder = "score-imports"

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("round")
    )
    created_count = models.PositiveIntegerField(_("scores added"), default=0)
    updated_count = models.PositiveIntegerField(_("scores corrected"), default=0)

    class Meta(AbstractImportJob.Meta):
        verbose_name = _("score import")
        verbose_name_plural = _("score imports")

    def __str__(self) -> str:
        return f"{self.original_name} → {self.round}"
