"""Supervision notices (四单: 提示单, 督办单, 警示单, 问责建议单) and their numbering.

A notice is drafted by a supervision group (or the campaign office), approved where its kind
needs it, issued with an official number, signed for and answered by the target unit, then
accepted and closed (办结) or returned for rework. Overdue is not stored: it is computed from
the reply deadline and the status (:meth:`Notice.is_overdue`, :func:`overdue_q`).

"One matter, one notice" (一事一单): at most one open notice per ledger item and kind, kept
by a partial unique index, so two people drafting at once cannot both succeed.
"""

from __future__ import annotations

from datetime import date

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Unit, history
from campaign.models import Campaign, SupervisionGroup
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem, StoredFile, capped


class NoticeKind(models.TextChoices):
    """The four notices, mildest first (their order is their rank)."""

    REMINDER = "reminder", _("reminder notice")
    SUPERVISION = "supervision", _("supervision order")
    WARNING = "warning", _("warning notice")
    ACCOUNTABILITY = "accountability", _("accountability recommendation")

    @classmethod
    def rank_of(cls, kind: str) -> int:
        """0 for a reminder up to 3 for an accountability recommendation."""
        return list(cls.values).index(kind)

    @classmethod
    def next_of(cls, kind: str) -> NoticeKind | None:
        """The next kind up, or None for the most serious."""
        values = list(cls)
        rank = cls.rank_of(kind)
        return values[rank + 1] if rank + 1 < len(values) else None


class NoticeStatus(models.TextChoices):
    """Where a notice stands in its lifecycle."""

    DRAFT = "draft", _("draft")
    APPROVED = "approved", _("approved")
    ISSUED = "issued", _("issued")
    SIGNED_FOR = "signed_for", _("signed for")
    REPLIED = "replied", _("replied")
    RETURNED = "returned", _("returned for rework")
    CLOSED = "closed", pgettext_lazy("notice status", "closed")


# Statuses the target unit can see: the notice has gone out.
SENT_STATUSES = (
    NoticeStatus.ISSUED,
    NoticeStatus.SIGNED_FOR,
    NoticeStatus.REPLIED,
    NoticeStatus.RETURNED,
    NoticeStatus.CLOSED,
)
# Statuses in which the target unit still owes a reply.
AWAITING_REPLY = (NoticeStatus.ISSUED, NoticeStatus.SIGNED_FOR, NoticeStatus.RETURNED)

DEFAULT_NUMBER_FORMATS = {
    NoticeKind.REMINDER: "提示〔{year}〕{n}号",
    NoticeKind.SUPERVISION: "督办〔{year}〕{n}号",
    NoticeKind.WARNING: "警示〔{year}〕{n}号",
    NoticeKind.ACCOUNTABILITY: "问责建议〔{year}〕{n}号",
}


def number_format(kind: str) -> str:
    """The official number's format for ``kind``: ``settings.NOTICE_NUMBER_FORMATS`` (a dict
    by kind, with ``{year}`` and ``{n}``) over the defaults."""
    formats = {**DEFAULT_NUMBER_FORMATS, **getattr(settings, "NOTICE_NUMBER_FORMATS", {})}
    return str(formats[kind])


def overdue_q(today: date, prefix: str = "") -> Q:
    """Notices past their reply deadline that still await the unit's reply."""
    return Q(**{f"{prefix}status__in": AWAITING_REPLY, f"{prefix}reply_deadline__lt": today})


@pghistory.track(*history())
class Notice(models.Model):
    """One notice of one kind about one matter, to one unit."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="notices", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    # The official number, assigned at issue from NoticeCounter and never reused.
    number = models.CharField(_("number"), max_length=50, blank=True, editable=False)
    number_year = models.PositiveSmallIntegerField(
        _("number year"), null=True, blank=True, editable=False
    )
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True, editable=False)

    group = models.ForeignKey(
        SupervisionGroup,
        on_delete=models.PROTECT,
        related_name="notices",
        null=True,
        blank=True,
        verbose_name=_("issuing supervision group"),
    )
    issuing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("issuing unit")
    )
    target_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="notices", verbose_name=_("target unit")
    )
    responsible_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="NoticePerson",
        related_name="notices",
        blank=True,
        verbose_name=_("responsible people"),
    )
    item = models.ForeignKey(
        LedgerItem,
        on_delete=models.PROTECT,
        related_name="notices",
        null=True,
        blank=True,
        verbose_name=_("ledger item"),
    )
    subject_title = models.CharField(_("matter"), max_length=TITLE_MAX, blank=True)
    facts = models.TextField(_("facts"), validators=capped(TEXT_MAX))
    requirements = models.TextField(_("requirements"), validators=capped(TEXT_MAX))
    reply_deadline = models.DateField(_("reply deadline"))
    escalated_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="escalations",
        null=True,
        blank=True,
        verbose_name=_("escalated from"),
    )
    # The sweep run that wrote this notice (None: a person drafted it).
    sweep_run = models.ForeignKey(
        "SweepRun",
        on_delete=models.SET_NULL,
        related_name="notices",
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("written by sweep run"),
    )

    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("issued by"),
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    signed_for_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("signed for by"),
    )
    signed_for_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True, validators=capped(TEXT_MAX))
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("replied by"),
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-drafted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "kind"],
                condition=~Q(status=NoticeStatus.CLOSED),
                name="notice_one_open_per_item_and_kind",
                violation_error_message=_(
                    "This matter already has an open notice of this kind (one matter, one notice)."
                ),
            ),
            models.UniqueConstraint(
                fields=["kind", "number_year", "sequence"],
                condition=Q(sequence__isnull=False),
                name="notice_number_unique",
                violation_error_message=_("This notice number has already been given."),
            ),
            models.UniqueConstraint(
                fields=["escalated_from"],
                condition=Q(escalated_from__isnull=False),
                name="notice_one_escalation_per_notice",
                violation_error_message=_("This notice has already been escalated."),
            ),
            models.CheckConstraint(
                condition=Q(item__isnull=False) | ~Q(subject_title=""),
                name="notice_has_subject",
                violation_error_message=_(
                    "A notice is about a ledger item or a matter named in words."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[NoticeStatus.DRAFT, NoticeStatus.APPROVED])
                | Q(sequence__isnull=False),
                name="notice_issued_has_number",
                violation_error_message=_("An issued notice has a number."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "reply_deadline"]),
            models.Index(fields=["sweep_run", "kind"]),
            # The registry's keyset orders (accountability.selectors.ORDERS), read either way.
            models.Index(fields=["drafted_at", "id"], name="notice_drafted_keyset"),
            models.Index(fields=["reply_deadline", "id"], name="notice_deadline_keyset"),
            models.Index(
                models.functions.Coalesce("issued_on", models.Value(date(9999, 12, 31))),
                "id",
                name="notice_issued_keyset",
            ),
            models.Index(fields=["kind", "drafted_at", "id"], name="notice_kind_keyset"),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.get_kind_display()} {self.subject}"

    @property
    def subject(self) -> str:
        """The matter in words: the subject title, or the ledger item's title."""
        if self.subject_title:
            return self.subject_title
        return self.item.title if self.item_id and self.item else ""

    @property
    def rank(self) -> int:
        """0 for a reminder up to 3 for an accountability recommendation."""
        return NoticeKind.rank_of(self.kind)

    def is_overdue(self, today: date) -> bool:
        """The reply deadline has passed and the unit has not replied (nor is it closed)."""
        return self.status in AWAITING_REPLY and self.reply_deadline < today


@pghistory.track(pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None)
class NoticePerson(models.Model):
    """Link table: a responsible person named on a notice (tracked, like the campaign's)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    history_label_field = "user"

    class Meta:
        verbose_name = _("responsible person named on a notice")
        verbose_name_plural = _("responsible people named on notices")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="noticeperson_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.notice} · {self.user}"


class NoticeCounter(models.Model):
    """The last number given per kind and year; numbers are never reused."""

    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("notice counter")
        verbose_name_plural = _("notice counters")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="notice_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


@pghistory.track(*history())
class NoticeAttachment(StoredFile):
    """A file with a notice: sent with it by the issuer, or evidence with the unit's reply."""

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("notice")
    )
    with_reply = models.BooleanField(_("evidence with the reply"), default=False)
    file = models.FileField(_("file"), upload_to="notices/%Y/%m/")

    class Meta:
        verbose_name = _("notice attachment")
        verbose_name_plural = _("notice attachments")
        ordering = ["uploaded_at", "pk"]


# --- accountability measures (六问) ---------------------------------------------------------
class MeasureKind(models.TextChoices):
    """The six measures, mildest first (their order is their rank)."""

    SELF_EXAMINATION = "self_examination", _("order to self-examine")
    CIRCULATED_CRITICISM = "circulated_criticism", _("circulated criticism")
    ADMONISHMENT = "admonishment", _("admonishment talk")
    REASSIGNMENT = "reassignment", _("recommend reassignment")
    ORGANISATIONAL = "organisational", _("recommend organisational handling")
    DISCIPLINARY = "disciplinary", _("disciplinary sanction")

    @classmethod
    def rank_of(cls, kind: str) -> int:
        """0 for an order to self-examine up to 5 for a disciplinary sanction."""
        return list(cls.values).index(kind)


DEFAULT_STRIKE_THRESHOLDS = {"principal_leader": 3}


def strike_thresholds() -> dict[str, int]:
    """``settings.ACCOUNTABILITY_STRIKE_THRESHOLDS`` over the defaults: for
    ``"principal_leader"``, the number of measures on a unit in one calendar year at which the
    unit's principal leader is involved too (a third strike)."""
    return {
        **DEFAULT_STRIKE_THRESHOLDS,
        **getattr(settings, "ACCOUNTABILITY_STRIKE_THRESHOLDS", {}),
    }


@pghistory.track(*history())
class AccountabilityMeasure(models.Model):
    """One accountability measure decided on a person of a unit, or on the unit alone."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="measures", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=MeasureKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="accountability_measures",
        null=True,
        blank=True,
        verbose_name=_("person held accountable"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="accountability_measures",
        verbose_name=_("unit"),
    )
    basis_notices = models.ManyToManyField(
        Notice,
        through="MeasureBasis",
        related_name="measures",
        blank=True,
        verbose_name=_("notices cited"),
    )
    basis = models.TextField(_("basis"), blank=True, validators=capped(TEXT_MAX))
    deciding_authority = models.CharField(_("deciding authority"), max_length=TITLE_MAX)
    decided_on = models.DateField(_("decided on"))
    document_number = models.CharField(_("document number"), max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True, validators=capped(TEXT_MAX))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history_label_field = "unit"

    class Meta:
        verbose_name = _("accountability measure")
        verbose_name_plural = _("accountability measures")
        ordering = ["-decided_on", "-pk"]
        indexes = [
            models.Index(fields=["unit", "decided_on"]),
            models.Index(fields=["person", "decided_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(deciding_authority=""),
                name="measure_has_authority",
                violation_error_message=_("Name the authority that decided the measure."),
            ),
        ]

    def __str__(self) -> str:
        who = self.person if self.person_id else self.unit
        return f"{self.get_kind_display()} · {who}"

    @property
    def rank(self) -> int:
        """0 for an order to self-examine up to 5 for a disciplinary sanction."""
        return MeasureKind.rank_of(self.kind)


@pghistory.track(pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None)
class MeasureBasis(models.Model):
    """Link table: a notice cited as the basis of a measure (tracked)."""

    measure = models.ForeignKey(AccountabilityMeasure, on_delete=models.CASCADE, related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="+")
    history_label_field = "notice"

    class Meta:
        verbose_name = _("notice cited by a measure")
        verbose_name_plural = _("notices cited by measures")
        constraints = [
            models.UniqueConstraint(fields=["measure", "notice"], name="measurebasis_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} · {self.notice}"


# --- exemptions (容错免责) ------------------------------------------------------------------
class Distinction(models.TextChoices):
    """The "three distinctions" (三个区分开来) an exemption is argued under."""

    PIONEERING = (
        "pioneering",
        _("a mistake from inexperience in pioneering reform, not a knowing violation"),
    )
    EXPLORATORY = (
        "exploratory",
        _("an error in an exploratory trial not yet restricted, not defiance of a ban"),
    )
    UNINTENTIONAL = (
        "unintentional",
        _("an unintentional fault in pushing development, not a violation for private gain"),
    )


class ExemptionStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


@pghistory.track(*history())
class Exemption(models.Model):
    """A unit's application for fault tolerance and exemption (容错免责) about one matter: a
    notice or a ledger item. The campaign office over the unit approves or refuses it; an
    approved exemption stops pending escalation for the matter (:func:`exempted_q`)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="exemptions", verbose_name=_("campaign")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="exemptions", verbose_name=_("unit")
    )
    notice = models.ForeignKey(
        Notice,
        on_delete=models.PROTECT,
        related_name="exemptions",
        null=True,
        blank=True,
        verbose_name=_("notice"),
    )
    item = models.ForeignKey(
        LedgerItem,
        on_delete=models.PROTECT,
        related_name="exemptions",
        null=True,
        blank=True,
        verbose_name=_("ledger item"),
    )
    distinctions = ArrayField(
        models.CharField(max_length=16, choices=Distinction.choices),
        verbose_name=_("distinctions (三个区分开来)"),
    )
    reasons = models.TextField(_("reasons"), validators=capped(TEXT_MAX))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExemptionStatus.choices,
        default=ExemptionStatus.PENDING,
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, validators=capped(TEXT_MAX))
    history_label_field = "unit"

    class Meta:
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        ordering = ["-applied_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notice__isnull=False) | Q(item__isnull=False),
                name="exemption_has_matter",
                violation_error_message=_("An exemption is about a notice or a ledger item."),
            ),
            models.CheckConstraint(
                condition=Q(distinctions__len__gt=0),
                name="exemption_has_distinction",
                violation_error_message=_("Choose at least one of the three distinctions."),
            ),
            models.UniqueConstraint(
                fields=["notice"],
                condition=Q(status=ExemptionStatus.PENDING, notice__isnull=False),
                name="exemption_one_pending_per_notice",
                violation_error_message=_(
                    "This matter already has an exemption application awaiting a decision."
                ),
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status=ExemptionStatus.PENDING, item__isnull=False),
                name="exemption_one_pending_per_item",
                violation_error_message=_(
                    "This matter already has an exemption application awaiting a decision."
                ),
            ),
        ]

    def __str__(self) -> str:
        matter = self.notice if self.notice_id else self.item
        return f"{matter} · {self.get_status_display()}"


def _approved() -> QuerySet[Exemption]:
    return Exemption.objects.filter(status=ExemptionStatus.APPROVED)


def exempted_q(prefix: str = "") -> Q:
    """Notices (a filter on Notice, ``prefix`` for a relation to one) whose matter has an
    approved exemption: the notice itself or a notice it escalates from (up to the most
    serious kind), or its ledger item. The sweep leaves these alone."""
    notices = _approved().filter(notice__isnull=False).values("notice_id")
    items = _approved().filter(item__isnull=False).values("item_id")
    query = Q(**{f"{prefix}item__in": items})
    hop = prefix
    for _rank in NoticeKind.values:
        query |= Q(**{f"{hop}pk__in": notices})
        hop += "escalated_from__"
    return query


def exempted_items_q(prefix: str = "") -> Q:
    """Ledger items (a filter on LedgerItem) with an approved exemption of their own."""
    items = _approved().filter(item__isnull=False).values("item_id")
    return Q(**{f"{prefix}pk__in": items})


def is_exempted(matter: Notice | LedgerItem) -> bool:
    """Whether an approved exemption covers ``matter``: for a notice, as :func:`exempted_q`;
    for a ledger item, an exemption about the item itself."""
    if isinstance(matter, Notice):
        return Notice.objects.filter(exempted_q(), pk=matter.pk).exists()
    return _approved().filter(item=matter).exists()


# --- escalation (the sweep) ------------------------------------------------------------------
@pghistory.track(*history())
class EscalationPolicy(models.Model):
    """How the daily sweep escalates in one campaign (edited in the admin).

    An open ledger item overdue by ``reminder_after_days`` gets an automatic reminder (issued
    at once); a long-term item (no deadline) counts as overdue once ``long_term_days`` have
    passed without an accepted progress report. A notice still unanswered the given days
    after its reply deadline is followed by the next kind, issued at once or drafted for the
    group leader's approval; an accountability recommendation is always a draft.
    """

    campaign = models.OneToOneField(
        Campaign,
        on_delete=models.CASCADE,
        related_name="escalation_policy",
        verbose_name=_("campaign"),
    )
    enabled = models.BooleanField(
        _("sweep this campaign"),
        default=True,
        help_text=_("Untick to stop automatic reminders and escalation in this campaign."),
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("reminder after days overdue"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("An open ledger item this many days past its deadline gets a reminder."),
    )
    long_term_days = models.PositiveSmallIntegerField(
        _("long-term item quiet days"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A long-term item (no deadline) without an accepted progress report for this many "
            "days counts as overdue."
        ),
    )
    reply_days = models.PositiveSmallIntegerField(
        _("days given to reply"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("Reply deadline of a notice the sweep writes: this many days after it."),
    )
    supervision_after_days = models.PositiveSmallIntegerField(
        _("supervision order after days"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Days after an unanswered reminder's reply deadline."),
    )
    supervision_issue_at_once = models.BooleanField(
        _("issue supervision orders at once"),
        default=True,
        help_text=_("Untick to draft them for the group leader's approval instead."),
    )
    warning_after_days = models.PositiveSmallIntegerField(
        _("warning after days"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Days after an unanswered supervision order's reply deadline."),
    )
    warning_issue_at_once = models.BooleanField(
        _("issue warnings at once"),
        default=False,
        help_text=_("Untick to draft them for the group leader's approval instead."),
    )
    accountability_after_days = models.PositiveSmallIntegerField(
        _("accountability recommendation after days"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Days after an unanswered warning's reply deadline. An accountability "
            "recommendation is always drafted for a person to approve."
        ),
    )
    due_soon_days = models.PositiveSmallIntegerField(
        _("remind of reply deadlines days before"),
        default=2,
        help_text=_("The target unit is told once when a reply deadline is this close."),
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self) -> str:
        return str(self.campaign)

    def after_days(self, kind: str) -> int:
        """Days past the reply deadline of the kind below ``kind`` before ``kind`` follows."""
        return {
            NoticeKind.SUPERVISION: self.supervision_after_days,
            NoticeKind.WARNING: self.warning_after_days,
            NoticeKind.ACCOUNTABILITY: self.accountability_after_days,
        }[NoticeKind(kind)]


class SweepStatus(models.TextChoices):
    RUNNING = "running", _("running")
    FINISHED = "finished", _("finished")
    FAILED = "failed", _("failed")
    INTERRUPTED = "interrupted", _("interrupted")


class SweepTrigger(models.TextChoices):
    BEAT = "beat", _("scheduled (beat)")
    COMMAND = "command", _("command")
    ADMIN = "admin", _("administrator")


class SweepRun(models.Model):
    """One run of the escalation sweep: when, what it wrote (counts by kind), what failed.

    Written before the sweep's transaction and finished after it, so a run that failed or
    whose worker was killed stays visible (failed, or interrupted once another run finds
    its database session gone).
    """

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    trigger = models.CharField(
        _("started by"), max_length=10, choices=SweepTrigger.choices, default=SweepTrigger.COMMAND
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=SweepStatus.choices, default=SweepStatus.RUNNING
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    statements = models.PositiveIntegerField(_("SQL statements"), default=0)
    errors = models.TextField(_("errors"), blank=True)
    backend_pid = models.IntegerField(_("database session"), null=True, blank=True, editable=False)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return _("sweep run %(pk)s of %(date)s") % {"pk": self.pk, "date": self.as_of}

    @property
    def total(self) -> int:
        """Notices written (or, in a dry run, that would have been)."""
        return sum(int(self.counts.get(kind, 0)) for kind in NoticeKind.values)
