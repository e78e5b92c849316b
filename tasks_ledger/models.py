"""Ledgers (台账) of key tasks and problems, their items, progress, sign-off and meetings.

The traffic light is defined once, in SQL: :func:`tasks_ledger.selectors.with_light` computes
it from the item's dates, progress and status with the campaign's :class:`LightPolicy`. Lists
at a province's size cannot sort or filter a computed value, so each item also keeps it
(``light_rank``, with its tab ``three_list`` and its area's ``area_order``), written by
:mod:`tasks_ledger.lights` after every write and each morning; :class:`LedgerItemCount` holds
the counts per unit, ledger, light and tab, kept by statement triggers on the item table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Length, Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Unit, history
from campaign.models import Campaign, ResponsibilityChain, TaskForce
from workbooks.models import AbstractImportJob
from workbooks.models import ImportStatus as ImportStatus  # a ledger import's, re-exported

# Caps on free text (characters), so that a pasted novel cannot fill a page, an export cell
# (Excel holds 32,767 characters) or the database. Documented in README ("Ledgers").
TITLE_MAX = 300
TEXT_MAX = 5000  # measures, symptom, rectification, demands, results, minutes
REPORT_MAX = 2000  # a progress report, completion note, reason or decision note


def capped(limit: int) -> list[MaxLengthValidator]:
    """The validator that enforces a text cap on a TextField (its max_length is advisory)."""
    return [MaxLengthValidator(limit)]


class LedgerKind(models.TextChoices):
    """Kinds of ledger seen in the reports; an item has its ledger's kind."""

    KEY_TASK = "key_task", _("key task")
    PROBLEM = "problem", _("problem")
    HARD_PROBLEM = "hard_problem", _("hard problem")
    COMMITMENT = "commitment", _("public commitment")
    PETITION = "petition", _("petition case")
    KEY_PROJECT = "key_project", _("key project")


class ItemStatus(models.TextChoices):
    """Where an item stands in its closed loop."""

    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    SIGNED_OFF = "signed_off", _("signed off")
    SUSPENDED = "suspended", _("suspended")
    CANCELLED = "cancelled", _("cancelled")


# Statuses in which an item still runs against its deadline.
OPEN_STATUSES = (ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS)


class Light(models.TextChoices):
    """The traffic light. ``none`` is for suspended and cancelled items."""

    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")
    NONE = "none", pgettext_lazy("traffic light", "none")


class ReviewStatus(models.TextChoices):
    """Outcome of something the campaign office or lead department decides."""

    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")


@pghistory.track(*history())
class LightPolicy(models.Model):
    """Traffic-light thresholds of one campaign, tuned by the campaign office in the admin."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="light_policy", verbose_name=_("campaign")
    )
    near_deadline_days = models.PositiveSmallIntegerField(
        _("days before the deadline that turn an item yellow"), default=3
    )
    lag_tolerance_percent = models.PositiveSmallIntegerField(
        _("progress lag (percentage points) that turns an item yellow"),
        default=20,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Yellow when reported progress is this many points behind the share of the "
            "time between start and deadline that has passed."
        ),
    )
    long_term_yellow_days = models.PositiveSmallIntegerField(
        _("days without accepted progress that turn a long-term item yellow"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A long-term item (长期坚持) has no deadline and is never overdue; it turns yellow "
            "when no progress report has been accepted for this many days."
        ),
    )
    long_term_red_days = models.PositiveSmallIntegerField(
        _("days without accepted progress that turn a long-term item red"),
        default=60,
        validators=[MinValueValidator(1)],
    )
    review_progress = models.BooleanField(
        _("progress reports need the office's review"),
        default=True,
        help_text=_(
            "When on (the default), a unit's progress report moves the item's progress, light "
            "and rankings only once the campaign office has accepted it. Switch it off to let "
            "units' own reports count at once."
        ),
    )

    class Meta:
        verbose_name = _("traffic-light policy")
        verbose_name_plural = _("traffic-light policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(long_term_red_days__gt=F("long_term_yellow_days")),
                name="light_policy_long_term_red_after_yellow",
                violation_error_message=_(
                    "A long-term item turns red later than it turns yellow: give more days for red."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self.campaign)


DEFAULT_NEAR_DEADLINE_DAYS = 3
DEFAULT_LAG_TOLERANCE_PERCENT = 20
DEFAULT_LONG_TERM_YELLOW_DAYS = 30
DEFAULT_LONG_TERM_RED_DAYS = 60


@pghistory.track(*history())
class Area(models.Model):
    """An area of work (方面) grouping ledgers: the city keeps 20 ledgers in 6 areas."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="areas", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["campaign", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"],
                name="area_unique_name",
                violation_error_message=_("This campaign already has an area of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*history())
class Ledger(models.Model):
    """One ledger (台账): items of one kind in one area, owned by a unit or task force."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="ledgers", verbose_name=_("campaign")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="ledgers", verbose_name=_("area")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    title = models.CharField(_("title"), max_length=200)
    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="ledgers", verbose_name=_("owner unit")
    )
    task_force = models.ForeignKey(
        TaskForce,
        on_delete=models.SET_NULL,
        related_name="ledgers",
        null=True,
        blank=True,
        verbose_name=_("task force"),
    )
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("ledger")
        verbose_name_plural = _("ledgers")
        ordering = ["campaign", "area__sort_order", "sort_order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "title"],
                name="ledger_unique_title",
                violation_error_message=_("This campaign already has a ledger of that title."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """The area and task force belong to the ledger's campaign."""
        errors: dict[str, Any] = {}
        if self.area_id and self.campaign_id and self.area.campaign_id != self.campaign_id:
            errors["area"] = _("The area belongs to another campaign.")
        if self.task_force is not None and self.task_force.campaign_id != self.campaign_id:
            errors["task_force"] = _("The task force belongs to another campaign.")
        if errors:
            raise ValidationError(errors)


class MeetingKind(models.TextChoices):
    """Kinds of review meeting."""

    DISPATCH = "dispatch", _("dispatch meeting")
    PROMOTION = "promotion", _("promotion meeting")
    CONSULTATION = "consultation", _("consultation meeting")


@pghistory.track(*history())
class ReviewMeeting(models.Model):
    """A review meeting (调度会, 推进会, 会商会) whose decisions become ledger items."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    host_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="hosted_meetings", verbose_name=_("host unit")
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chaired_meetings",
        verbose_name=_("chair"),
    )
    attending_units = models.ManyToManyField(
        Unit,
        through="MeetingAttendance",
        related_name="attended_meetings",
        blank=True,
        verbose_name=_("attending units"),
    )
    minutes = models.TextField(_("minutes"), blank=True)

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")
        ordering = ["-date", "title"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


@pghistory.track(pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None)
class MeetingAttendance(models.Model):
    """A unit attending a review meeting."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")

    history_label_field = "unit"

    class Meta:
        verbose_name = _("meeting attendance")
        verbose_name_plural = _("meeting attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "unit"],
                name="attendance_unique",
                violation_error_message=_("This unit is already listed as attending the meeting."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.unit}"


ITEM_DATE_FIELDS = (
    "start_date",
    "deadline",
    "planned_start",
    "actual_start",
    "planned_completion",
    "actual_completion",
)


def campaign_date_window(campaign: Campaign) -> tuple[date, date]:
    """The dates a ledger of this campaign may carry: its years, widened by
    ``LEDGER_DATE_MARGIN_YEARS`` on each side (a typo such as 0001-01-01 or 9999-12-31 is
    refused; a project planned a few years ahead is not)."""
    margin = settings.LEDGER_DATE_MARGIN_YEARS
    first = campaign.start_date.year if campaign.start_date else campaign.year
    last = campaign.end_date.year if campaign.end_date else campaign.year
    return date(max(first - margin, 1), 1, 1), date(min(last + margin, 9999), 12, 31)


def date_outside_campaign(value: date | None, campaign: Campaign) -> str | None:
    """A Chinese-ready sentence when ``value`` lies outside the campaign's window, else None."""
    if value is None:
        return None
    low, high = campaign_date_window(campaign)
    if low <= value <= high:
        return None
    return str(
        _("%(date)s is outside this campaign's period: use a date from %(low)s to %(high)s.")
        % {"date": value.isoformat(), "low": low.isoformat(), "high": high.isoformat()}
    )


#: The stored light's rank: red 3, yellow 2, green 1, none 0 (suspended or cancelled).
LIGHT_RANK = {Light.NONE: 0, Light.GREEN: 1, Light.YELLOW: 2, Light.RED: 3}
LIGHT_OF_RANK = {rank: light for light, rank in LIGHT_RANK.items()}


class ThreeList(models.TextChoices):
    """The item list's tabs (the weekly three lists and the items set aside): every item is
    in exactly one (:func:`tasks_ledger.selectors.three_list_filter` decides which)."""

    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("being advanced")
    SIGNED_OFF = "signed_off", _("signed off")
    SET_ASIDE = "set_aside", _("suspended or cancelled")


def _count_sql(rows: str) -> str:
    """The body of a statement trigger adding ``rows`` (a SELECT of unit, ledger, light rank,
    tab and a signed count) to :class:`LedgerItemCount` (the unit's own items), in key order
    (so two writers lock the rows in the same order), and appending it for the unit and its
    ancestors to :class:`LedgerItemRollupChange` (folded into :class:`LedgerItemRollup`
    later), skipping keys whose net change is nothing.

    The roll-up is appended to, not updated: its rows near the top of the tree are shared by
    every item below, and a writer updating them holds them until it commits, so every other
    writer of the province waited behind an import's whole transaction, and two imports
    updating rows one by one could deadlock on them (``bench/rollup_contention.py``)."""
    return f"""
        INSERT INTO tasks_ledger_ledgeritemcount AS c
            (unit_id, ledger_id, light_rank, three_list, items)
        SELECT unit_id, ledger_id, light_rank, three_list, SUM(n)
        FROM ({rows}) AS d
        GROUP BY unit_id, ledger_id, light_rank, three_list
        HAVING SUM(n) <> 0
        ORDER BY unit_id, ledger_id, light_rank, three_list
        ON CONFLICT (unit_id, ledger_id, light_rank, three_list)
        DO UPDATE SET items = c.items + EXCLUDED.items;
        INSERT INTO tasks_ledger_ledgeritemrollupchange
            (unit_id, ledger_id, light_rank, three_list, items)
        SELECT a.id, d.ledger_id, d.light_rank, d.three_list, SUM(d.n)
        FROM ({rows}) AS d
        JOIN accounts_unit AS u ON u.id = d.unit_id
        CROSS JOIN LATERAL generate_series(1, u.depth) AS k
        JOIN accounts_unit AS a ON a.path = left(u.path, k * {Unit.steplen})
        GROUP BY a.id, d.ledger_id, d.light_rank, d.three_list
        HAVING SUM(d.n) <> 0;
        RETURN NULL;
    """  # noqa: S608 - fixed SQL of our own tables


_KEY = "unit_id, ledger_id, light_rank, three_list"


class Negated(models.Func):
    """``(-x)`` for a number: a key that sorts it descending in an ascending index (the
    list's red-first order keeps its natural order among items of one light)."""

    template = "(-%(expressions)s)"


class Bigrams(models.Func):
    """Every two characters in a row of a text, lower-cased (``tasks_ledger_bigrams``, an
    immutable SQL function made by migration 0008), for a GIN index the keyword uses."""

    function = "tasks_ledger_bigrams"
    output_field = ArrayField(models.TextField())


class UnitNameGrams(models.Func):
    """The grams of a unit's name and short name (:class:`Bigrams` of both, a space between),
    written as ``unit_name_grams_idx`` indexes them (migration 0024)."""

    template = "tasks_ledger_bigrams(%(expressions)s::text)"
    arg_joiner = "::text || ' ' || "
    output_field = ArrayField(models.TextField())

    def __init__(self) -> None:
        super().__init__(models.F("name"), models.F("short_name"))


#: The text the keyword searches besides the number and the unit's names.
SEARCH_TEXT = Concat(
    "title", Value(" "), "measures", Value(" "), "symptom", output_field=models.TextField()
)


#: The list's natural order as index keys: area, ledger, number (shorter first), id. Every
#: index that serves the list ends with them, so its rows come out in the list's order
#: (keyset.NATURAL writes the same keys as the ORM's order expressions).
LIST_ORDER_KEYS = ("area_order", "ledger", Length("code"), "code", "id")


@pghistory.track(*history(), exclude=["light_rank", "three_list", "area_order", "search_grams"])
class LedgerItem(models.Model):
    """One row of a ledger: a key task, problem, hard problem, commitment, petition or project.

    Every kind shares the chain, code (序号), dates, status and progress; the fields of one
    kind are blank for the others. ``version`` grows with every change so that an edit made
    on a stale copy is refused rather than silently overwriting someone else's.
    """

    ledger = models.ForeignKey(
        Ledger, on_delete=models.CASCADE, related_name="items", verbose_name=_("ledger")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices, editable=False)
    code = models.CharField(_("number"), max_length=20)
    title = models.CharField(_("item"), max_length=300)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="ledger_items",
        verbose_name=_("responsible unit"),
    )
    chain = models.ForeignKey(
        ResponsibilityChain,
        on_delete=models.PROTECT,
        related_name="ledger_items",
        null=True,
        blank=True,
        verbose_name=_("responsibility chain"),
    )
    measures = models.TextField(_("measures"), blank=True, validators=capped(TEXT_MAX))
    start_date = models.DateField(_("start date"))
    # None: a long-term item (长期坚持), never overdue; its light follows accepted progress.
    deadline = models.DateField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a long-term item (长期坚持): it has no deadline."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    latest_report = models.TextField(
        _("latest progress"), blank=True, validators=capped(REPORT_MAX)
    )
    # The day a progress report was last accepted (or counted at once without review): a
    # long-term item's light runs from it, or from the start date before the first one.
    progress_accepted_on = models.DateField(
        _("progress last accepted on"), null=True, blank=True, editable=False
    )
    # What the unit reported and the office has not yet accepted: shown beside ``progress``
    # (the accepted figure, which alone feeds the light, the map, rankings and exports).
    pending_progress = models.PositiveSmallIntegerField(
        _("reported progress awaiting review (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    # A sign-off request waits for verification (销号待核验); the item is unchanged until then.
    signoff_pending = models.BooleanField(_("sign-off awaiting verification"), default=False)
    source_meeting = models.ForeignKey(
        ReviewMeeting,
        on_delete=models.SET_NULL,
        related_name="decisions",
        null=True,
        blank=True,
        verbose_name=_("decided at meeting"),
    )
    # problem (问题清单)
    symptom = models.TextField(_("problem as it shows"), blank=True, validators=capped(TEXT_MAX))
    rectification = models.TextField(
        _("rectification measures"), blank=True, validators=capped(TEXT_MAX)
    )
    # petition case (信访案件)
    petition_source = models.CharField(_("source of the case"), max_length=100, blank=True)
    petitioner_demand = models.TextField(
        _("petitioner's demand"), blank=True, validators=capped(TEXT_MAX)
    )
    handling_result = models.TextField(
        _("handling result"), blank=True, validators=capped(TEXT_MAX)
    )
    # key project (重点项目), amounts in 10,000 yuan (万元)
    planned_investment = models.DecimalField(
        _("planned investment (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    funds_in_place = models.DecimalField(
        _("funds in place (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    investment_completed = models.DecimalField(
        _("investment completed (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    planned_completion = models.DateField(_("planned completion"), null=True, blank=True)
    actual_completion = models.DateField(_("actual completion"), null=True, blank=True)

    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("signed off by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Kept by tasks_ledger.lights (never by hand): the light as with_light computes it (rank
    # as LIGHT_RANK), the tab it is in, and its area's sort order, so that the list's orders,
    # its light filter and tabs, and the counts are read from indexes. History leaves them
    # out: they follow from the fields it records and the date.
    light_rank = models.PositiveSmallIntegerField(_("light (stored)"), default=1, editable=False)
    three_list = models.CharField(
        _("list (stored)"),
        max_length=12,
        choices=ThreeList.choices,
        default=ThreeList.NEW,
        editable=False,
    )
    area_order = models.PositiveSmallIntegerField(
        _("area sort order (stored)"), default=0, editable=False
    )
    # The keyword's grams, kept by PostgreSQL from the text whenever a row is written, so a
    # search reads them (and the GIN index on them) instead of computing them per row.
    search_grams = models.GeneratedField(
        expression=Bigrams(SEARCH_TEXT),
        output_field=ArrayField(models.TextField()),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("ledger item")
        verbose_name_plural = _("ledger items")
        ordering = ["ledger", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["ledger", "code"],
                name="item_unique_code",
                violation_error_message=_(
                    "This ledger already has an item with that number; choose another number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="item_progress_max",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(deadline__gte=F("start_date")),
                name="item_deadline_after_start",
                violation_error_message=_("The deadline is before the start date."),
            ),
            # Signed off exactly when a sign-off time is recorded.
            models.CheckConstraint(
                condition=Q(status=ItemStatus.SIGNED_OFF, signed_off_at__isnull=False)
                | (~Q(status=ItemStatus.SIGNED_OFF) & Q(signed_off_at__isnull=True)),
                name="item_signed_off_has_time",
                violation_error_message=_(
                    "An item is signed off only through a verified sign-off request, and a "
                    "signed-off item cannot be moved back to another status."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="item_unit_status_idx"),
            # A county's items of one light (the list's red filter): its units' red items
            # straight from the index, with the list's order keys (read from the index
            # alone), not every item of its units read to find them.
            models.Index("unit", "light_rank", *LIST_ORDER_KEYS, name="item_unit_light_idx"),
            models.Index(fields=["deadline"], name="item_deadline_idx"),
            # The list's default order (area, ledger, number: see selectors.LIST_ORDERS),
            # then its light filter and red-first order, then a unit's own items in order.
            models.Index(*LIST_ORDER_KEYS, name="item_list_order_idx"),
            models.Index("light_rank", *LIST_ORDER_KEYS, name="item_list_light_idx"),
            models.Index(
                Negated(F("light_rank")), *LIST_ORDER_KEYS, name="item_list_red_first_idx"
            ),
            models.Index("unit", *LIST_ORDER_KEYS, name="item_list_unit_idx"),
            # The keyword: a number typed exactly, and any two characters in a row of the
            # item, its measures or problem (Chinese words are mostly two characters, which
            # pg_trgm's three-character grams cannot serve): see filtersets.keyword_q.
            models.Index(Upper("code"), name="item_code_upper_idx"),
            # The chains a user sees through the items of their units
            # (campaign.rules.chain_visible_q, on every page that lists chains): read from
            # the index alone, not from each of a county's 7,000 items (14 -> 2 ms).
            models.Index("unit", "chain", name="item_unit_chain_idx"),
            GinIndex(fields=["search_grams"], name="item_search_grams_idx"),
            models.Index("three_list", *LIST_ORDER_KEYS, name="item_list_tab_idx"),
        ]
        triggers = [
            # LedgerItemCount follows every write of any kind (a service, the admin, a bulk
            # load, a shell): one statement per written statement, not per row.
            pgtrigger.Trigger(
                name="count_inserted_items",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=_count_sql(f"SELECT {_KEY}, 1 AS n FROM new_rows"),  # noqa: S608
            ),
            pgtrigger.Trigger(
                name="count_deleted_items",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Delete,
                referencing=pgtrigger.Referencing(old="old_rows"),
                func=_count_sql(f"SELECT {_KEY}, -1 AS n FROM old_rows"),  # noqa: S608
            ),
            pgtrigger.Trigger(
                name="count_updated_items",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
                func=_count_sql(
                    f"SELECT {_KEY}, 1 AS n FROM new_rows"  # noqa: S608
                    f" UNION ALL SELECT {_KEY}, -1 AS n FROM old_rows"
                ),
            ),
            # An item given to another unit takes its reports along (ProgressReport.unit).
            # Per row and only for a write that names the unit and changes it: the morning
            # refresh of a hundred thousand lights never runs it.
            pgtrigger.Trigger(
                name="reports_follow_item_unit",
                level=pgtrigger.Row,
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("unit_id"),
                condition=pgtrigger.Condition('OLD."unit_id" IS DISTINCT FROM NEW."unit_id"'),
                func="""
                    UPDATE tasks_ledger_progressreport SET unit_id = NEW.unit_id
                    WHERE item_id = NEW.id;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """An item always has its ledger's kind."""
        if self.ledger_id and not self.kind:
            self.kind = self.ledger.kind
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Dates in order and within the campaign's years, kind as the ledger's, chain of the
        same campaign, project sums sane."""
        errors: dict[str, Any] = {}
        if self.start_date and self.deadline and self.deadline < self.start_date:
            errors["deadline"] = _("The deadline is before the start date.")
        if self.ledger_id:
            for name in ITEM_DATE_FIELDS:
                problem = date_outside_campaign(getattr(self, name), self.ledger.campaign)
                if problem:
                    errors.setdefault(name, problem)
            if self.kind and self.kind != self.ledger.kind:
                errors["kind"] = _("An item has the kind of its ledger.")
            if self.chain is not None and self.chain.campaign_id not in (
                None,
                self.ledger.campaign_id,
            ):
                errors["chain"] = _("The chain belongs to another campaign.")
        if (
            self.planned_completion
            and self.planned_start
            and self.planned_completion < self.planned_start
        ):
            errors["planned_completion"] = _("The planned completion is before the planned start.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        """Whether the item still runs against its deadline."""
        return self.status in OPEN_STATUSES

    @property
    def is_long_term(self) -> bool:
        """A standing measure (长期坚持): no deadline, never overdue."""
        return self.deadline is None

    @property
    def stored_light(self) -> str:
        """The light kept in ``light_rank`` (as of the last write or morning refresh)."""
        return LIGHT_OF_RANK[self.light_rank]


class LedgerItemCount(models.Model):
    """How many items of one unit (its own, not those under it) in one ledger have one light
    and sit in one tab of the list. Kept by LedgerItem's statement triggers on every insert,
    update and delete, rebuilt whole by :func:`tasks_ledger.lights.counts_rebuild`.

    Tabs, home tiles and the battle map sum these rows over a jurisdiction (units by path)
    and, through the ledger, an area, kind or campaign: thousands of rows, not a million
    items. Rows whose count fell to 0 stay until the next rebuild. No database foreign keys:
    a deleted ledger's items are counted down by the trigger while its rows go.
    """

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    ledger = models.ForeignKey(
        Ledger, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    light_rank = models.PositiveSmallIntegerField()
    three_list = models.CharField(max_length=12, choices=ThreeList.choices)
    items = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("item count")
        verbose_name_plural = _("item counts")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ledger", "light_rank", "three_list"],
                name="item_count_unique_key",
            ),
        ]
        indexes = [
            # A ledger's rows (the ledger list sums them per ledger), read from the index.
            models.Index(
                fields=["ledger", "three_list", "unit"],
                include=["items"],
                name="item_count_ledger_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.ledger_id}/{self.light_rank}/{self.three_list}: {self.items}"


class LedgerItemRollup(models.Model):
    """How many items of one ledger held by one unit and every unit under it have one light
    and sit in one tab of the list: the same counts as :class:`LedgerItemCount`, summed up
    the unit tree, so a province's tabs and tiles read a few rows (its roots') instead of
    every unit's, and its battle map the rows of the units under it, by ledger (and so by
    area), instead of the 110,000 rows of every unit's counts.

    The statement triggers on the items append each change to
    :class:`LedgerItemRollupChange`; :func:`tasks_ledger.lights.rollup_fold` (the beat, every
    minute) adds those to these rows. Readers read both at once through
    :class:`LedgerItemSubtree`. A unit moved in the tree (its path changes) rebuilds these
    rows from the counts (trigger ``tasks_ledger_rollup_on_unit_move``).
    """

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    ledger = models.ForeignKey(
        Ledger, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    light_rank = models.PositiveSmallIntegerField()
    three_list = models.CharField(max_length=12, choices=ThreeList.choices)
    items = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("item count under a unit")
        verbose_name_plural = _("item counts under units")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ledger", "light_rank", "three_list"],
                name="item_rollup_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.light_rank}/{self.three_list}: {self.items}"


class LedgerItemRollupChange(models.Model):
    """A change to :class:`LedgerItemRollup` not yet added to it: one row per unit, ledger,
    light and tab that one statement on the items changed (the unit's and each of its ancestors'),
    appended by the item table's triggers and taken away by
    :func:`tasks_ledger.lights.rollup_fold`. Appending takes no lock another writer waits
    for; readers add these rows to the roll-up's (:class:`LedgerItemSubtree`)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    ledger = models.ForeignKey(
        Ledger, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    light_rank = models.PositiveSmallIntegerField()
    three_list = models.CharField(max_length=12, choices=ThreeList.choices)
    items = models.IntegerField()

    class Meta:
        verbose_name = _("change to the item counts under a unit")
        verbose_name_plural = _("changes to the item counts under units")
        indexes = [models.Index(fields=["unit"], name="item_rollup_change_unit_idx")]

    def __str__(self) -> str:
        return (
            f"{self.unit_id}/{self.ledger_id}/{self.light_rank}/{self.three_list}: {self.items:+d}"
        )


class LedgerItemSubtree(models.Model):
    """Read only: how many items of one ledger held by a unit and every unit under it have one
    light and sit in one tab, as of now: the rows of :class:`LedgerItemRollup` and of the
    changes not yet folded into it (:class:`LedgerItemRollupChange`), side by side (a
    database view, ``UNION ALL``, made by migration 0013, by ledger since 0020). Sum
    ``items`` over a unit's rows; a key may have several rows, some negative."""

    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    ledger = models.ForeignKey(
        Ledger, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    light_rank = models.PositiveSmallIntegerField()
    three_list = models.CharField(max_length=12, choices=ThreeList.choices)
    items = models.IntegerField()

    class Meta:
        managed = False
        db_table = "tasks_ledger_subtree_counts"
        verbose_name = _("item count under a unit")
        verbose_name_plural = _("item counts under units")

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.light_rank}/{self.three_list}: {self.items}"


@pghistory.track(*history())
class Milestone(models.Model):
    """A milestone (节点) of an item with its own deadline."""

    item = models.ForeignKey(
        LedgerItem, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("item")
    )
    title = models.CharField(_("milestone"), max_length=200)
    deadline = models.DateField(_("deadline"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["item", "deadline", "sort_order"]

    def __str__(self) -> str:
        return self.title


@pghistory.track(*history())
class Measure(models.Model):
    """One measure of a hard problem (攻坚措施) or rectification measure of a problem."""

    item = models.ForeignKey(
        LedgerItem, on_delete=models.CASCADE, related_name="measure_set", verbose_name=_("item")
    )
    text = models.TextField(_("measure"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["item", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


@pghistory.track(*history(), exclude=["unit"])
class ProgressReport(models.Model):
    """A progress report by the unit; the campaign office accepts it or returns it."""

    item = models.ForeignKey(
        LedgerItem, on_delete=models.CASCADE, related_name="reports", verbose_name=_("item")
    )
    # The item's unit, kept by the database (triggers below and on the item): a county's
    # queue finds its few waiting reports among a province's 18,000 by its units alone,
    # without joining every waiting report to the items (report_pending_unit_idx).
    unit = models.ForeignKey(
        Unit,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("unit"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_reports",
        verbose_name=_("reporter"),
    )
    text = models.TextField(_("progress"), validators=capped(REPORT_MAX))
    percent = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MaxValueValidator(100)]
    )
    previous_percent = models.PositiveSmallIntegerField(
        _("accepted progress when reported (%)"), default=0
    )
    lower_reason = models.TextField(
        _("reason for lowering progress"), blank=True, validators=capped(REPORT_MAX)
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    review_status = models.CharField(
        _("review"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    return_reason = models.TextField(
        _("reason for return"), blank=True, validators=capped(REPORT_MAX)
    )

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__lte=100),
                name="report_percent_max",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=~Q(review_status=ReviewStatus.RETURNED) | ~Q(return_reason=""),
                name="report_return_has_reason",
                violation_error_message=_("Give the reason for returning it."),
            ),
        ]
        indexes = [
            # The office's queue of reports waiting for review, oldest first: few rows among
            # a province's many, read without scanning the others.
            models.Index(
                fields=["created_at", "id"],
                name="report_pending_idx",
                condition=Q(review_status=ReviewStatus.PENDING),
            ),
            # The same rows by item, for a county's queue: from its units' items to their
            # waiting reports through this small index (a province's 18,000 waiting among
            # 560,000 reports), rather than through every report of those items.
            models.Index(
                fields=["item", "created_at", "id"],
                name="report_pending_item_idx",
                condition=Q(review_status=ReviewStatus.PENDING),
            ),
            # The same rows by the item's unit: a county's waiting reports, oldest first.
            models.Index(
                fields=["unit", "created_at", "id"],
                name="report_pending_unit_idx",
                condition=Q(review_status=ReviewStatus.PENDING),
            ),
        ]
        triggers = [
            # Whatever writes a report (a service, an import, the admin, a shell), it takes
            # its item's unit.
            pgtrigger.Trigger(
                name="report_takes_item_unit",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("item_id"),
                func="""
                    NEW.unit_id := (
                        SELECT unit_id FROM tasks_ledger_ledgeritem WHERE id = NEW.item_id
                    );
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.percent}%"


class ItemRequest(models.Model):
    """What every request about an item shares: who asked and when, who decided and when."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        abstract = True


@pghistory.track(*history())
class SignOffRequest(ItemRequest):
    """A request to sign an item off (销号), verified by the lead department or the office.

    While it waits the item stays as it was (status, progress, light), marked 销号待核验;
    only the verifier's approval signs it off.
    """

    item = models.ForeignKey(
        LedgerItem,
        on_delete=models.CASCADE,
        related_name="signoff_requests",
        verbose_name=_("item"),
    )
    note = models.TextField(_("completion report"), validators=capped(REPORT_MAX))
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reason = models.TextField(_("reason for return"), blank=True, validators=capped(REPORT_MAX))

    class Meta:
        verbose_name = _("sign-off request")
        verbose_name_plural = _("sign-off requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One request waits per item at a time (一事一单).
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status=ReviewStatus.PENDING),
                name="signoff_one_pending_per_item",
                violation_error_message=_("A sign-off request for this item is already waiting."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.RETURNED) | ~Q(reason=""),
                name="signoff_return_has_reason",
                violation_error_message=_("Give the reason for returning it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} · {self.get_status_display()}"


class ExtensionStatus(models.TextChoices):
    """Outcome of an extension request."""

    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class ApprovableRequest(ItemRequest):
    """A request the office approves or refuses, with a note (extensions, status changes)."""

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.PENDING,
    )
    decision_note = models.TextField(_("decision note"), blank=True, validators=capped(REPORT_MAX))

    class Meta:
        abstract = True


@pghistory.track(*history())
class ExtensionRequest(ApprovableRequest):
    """A request, made before the deadline, to move it to a new date (延期申请)."""

    item = models.ForeignKey(
        LedgerItem,
        on_delete=models.CASCADE,
        related_name="extension_requests",
        verbose_name=_("item"),
    )
    reason = models.TextField(_("reason"), validators=capped(REPORT_MAX))
    old_deadline = models.DateField(_("current deadline"))
    new_deadline = models.DateField(_("requested deadline"))

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status=ExtensionStatus.PENDING),
                name="extension_one_pending_per_item",
                violation_error_message=_("An extension request for this item is already waiting."),
            ),
            models.CheckConstraint(
                condition=Q(new_deadline__gt=F("old_deadline")),
                name="extension_moves_deadline_later",
                violation_error_message=_("The new deadline must be after the current one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} → {self.new_deadline:%Y-%m-%d}"


class StatusChange(models.TextChoices):
    """What a status-change request asks for."""

    SUSPEND = "suspend", _("suspend")
    CANCEL = "cancel", _("cancel")
    RESUME = "resume", _("resume")


# The status an approved request gives the item.
STATUS_CHANGE_TARGET = {
    StatusChange.SUSPEND: ItemStatus.SUSPENDED,
    StatusChange.CANCEL: ItemStatus.CANCELLED,
}


@pghistory.track(*history())
class StatusChangeRequest(ApprovableRequest):
    """A unit's request to suspend, cancel or resume an item (暂缓, 取消, 恢复), with a reason;
    the campaign office approves or refuses it, like an extension. A unit never sets such a
    status itself: a suspended or cancelled item shows no light."""

    item = models.ForeignKey(
        LedgerItem,
        on_delete=models.CASCADE,
        related_name="status_requests",
        verbose_name=_("item"),
    )
    change = models.CharField(_("change"), max_length=10, choices=StatusChange.choices)
    reason = models.TextField(_("reason"), validators=capped(REPORT_MAX))

    class Meta:
        verbose_name = _("suspension or cancellation request")
        verbose_name_plural = _("suspension and cancellation requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status=ExtensionStatus.PENDING),
                name="status_change_one_pending_per_item",
                violation_error_message=_(
                    "A suspension or cancellation request for this item is already waiting."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=ExtensionStatus.REFUSED) | ~Q(decision_note=""),
                name="status_change_refusal_has_note",
                violation_error_message=_("Give the reason for refusing."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} · {self.get_change_display()}"


class StoredFile(models.Model):
    """What every checked upload keeps beside its file (which each model declares with its
    own folder): the name it came with, its checked type and size, who and when. Files are
    checked by :func:`tasks_ledger.services.evidence_validate` before they are stored."""

    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


@pghistory.track(*history())
class Evidence(StoredFile):
    """A file backing a progress report or a sign-off request (type and size checked)."""

    item = models.ForeignKey(
        LedgerItem, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("item")
    )
    report = models.ForeignKey(
        ProgressReport,
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name=_("progress report"),
    )
    signoff = models.ForeignKey(
        SignOffRequest,
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name=_("sign-off request"),
    )
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-uploaded_at", "-pk"]


def import_upload_path(instance: ImportJob, filename: str) -> str:
    """A random name under ``ledger-imports/``: the client's file name is never a path."""
    import uuid

    from django.utils import timezone

    return f"ledger-imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportNumbering(models.TextChoices):
    """What a sheet's 序号 column means: this ledger's item numbers (a row updates the item
    with its number) or the sheet's own row numbers (every row is a new item)."""

    ITEM = "item", _("this ledger's item numbers")
    ROW = "row", _("the sheet's own row numbers")


class ImportDuplicates(models.TextChoices):
    """What applying does with a new row that matches an open item (title and unit)."""

    SKIP = "skip", _("leave them out")
    ADD = "add", _("add them anyway")


# History keeps who uploaded what, where it went and how it ended; the job's working data
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
class ImportJob(AbstractImportJob):
    """One uploaded workbook on its way into a ledger: checked first, then applied in one
    transaction (:class:`workbooks.models.AbstractImportJob`). The file is stored under a
    random name and only its uploader reaches it."""

    ledger = models.ForeignKey(
        Ledger, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("ledger")
    )
    # The ledger's own name for its uploads' folder (kept from before the shared base).
    file = models.FileField(_("file"), upload_to=import_upload_path)
    created_count = models.PositiveIntegerField(_("items added"), default=0)
    updated_count = models.PositiveIntegerField(_("items updated"), default=0)
    # What 序号 means, and what to do with rows matching an open item.
    numbering = models.CharField(
        _("numbering"),
        max_length=4,
        choices=ImportNumbering.choices,
        blank=True,
        help_text=_("Blank: as suggested from the sheet's numbers and titles."),
    )
    duplicates = models.CharField(
        _("probable duplicates"),
        max_length=4,
        choices=ImportDuplicates.choices,
        default=ImportDuplicates.SKIP,
    )

    class Meta(AbstractImportJob.Meta):
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")

    def __str__(self) -> str:
        return f"{self.original_name} → {self.ledger}"


@pghistory.track(*history())
class ImportMapping(models.Model):
    """How a ledger's uploads name their columns: the clerk's last choice of field for each
    header text, used for the next upload into the same ledger.

    ``columns`` maps a normalised header text to a field key, or to "" for "ignore".
    """

    ledger = models.OneToOneField(
        Ledger, on_delete=models.CASCADE, related_name="import_mapping", verbose_name=_("ledger")
    )
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")

    def __str__(self) -> str:
        return str(self.ledger)
