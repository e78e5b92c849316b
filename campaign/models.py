"""Campaigns, their phases, task forces, supervision groups and responsibility chains."""

from __future__ import annotations

from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Post, Unit, User, history


class CampaignStatus(models.TextChoices):
    """Where a campaign stands."""

    DRAFT = "draft", _("draft")
    ACTIVE = "active", pgettext_lazy("campaign status", "active")
    CLOSED = "closed", _("closed")


@pghistory.track(*history())
class Campaign(models.Model):
    """A campaign such as 2022年“能力作风建设年”活动, run by an owner unit over a period."""

    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("owner unit")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner_unit", "name"], name="campaign_unique_name"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="campaign_dates_ordered",
                violation_error_message=_("The end date is before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The period ends after it starts and lies in the campaign's year."""
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})
        if self.start_date and self.year and self.start_date.year != self.year:
            raise ValidationError({"year": _("The year does not match the start date.")})


class PhaseKind(models.TextChoices):
    """The four phases every campaign runs through, in order."""

    LAUNCH = "launch", _("launch and implementation")
    LOOK_BACK = "look_back", _("look back")
    CONSOLIDATE = "consolidate", _("consolidation and improvement")
    EVALUATE = "evaluate", _("summary and evaluation")


PHASE_ORDER = {kind: index for index, kind in enumerate(PhaseKind.values)}


@pghistory.track(*history())
class CampaignPhase(models.Model):
    """One phase of a campaign with its dates (shown as a timeline)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="phases", verbose_name=_("campaign")
    )
    kind = models.CharField(_("phase"), max_length=12, choices=PhaseKind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0, editable=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    goals = models.TextField(_("goals"), blank=True)

    class Meta:
        verbose_name = _("campaign phase")
        verbose_name_plural = _("campaign phases")
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="phase_unique_kind"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="phase_dates_ordered",
                violation_error_message=_("The end date is before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_kind_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        """Keep ``order`` in step with the phase kind so the timeline sorts itself."""
        self.order = PHASE_ORDER.get(self.kind, 0)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        """The phase lies inside the campaign period and ends after it starts."""
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})
        campaign = getattr(self, "campaign", None)
        if (
            campaign
            and self.start_date
            and self.end_date
            and (self.start_date < campaign.start_date or self.end_date > campaign.end_date)
        ):
            raise ValidationError(_("The phase must lie within the campaign period."))


class TaskForceKind(models.TextChoices):
    """Kinds of task force named in the reports."""

    WORK_FORCE = "work_force", _("work force")
    SPECIAL_GROUP = "special_group", _("special working group")
    PROMOTION_GROUP = "promotion_group", _("promotion group")


@pghistory.track(*history())
class TaskForce(models.Model):
    """A task force (工作专班, 专项工作组, 推进组) that owns an area of work."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="task_forces", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=TaskForceKind.choices)
    area = models.CharField(_("area"), max_length=100)
    leader = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="led_task_forces",
        verbose_name=_("leading official"),
    )
    member_units = models.ManyToManyField(
        Unit,
        through="TaskForceUnit",
        related_name="task_forces",
        blank=True,
        verbose_name=_("member units"),
    )
    members = models.ManyToManyField(
        User,
        through="TaskForceMember",
        related_name="task_forces",
        blank=True,
        verbose_name=_("members"),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("task force")
        verbose_name_plural = _("task forces")
        ordering = ["campaign", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="task_force_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SupervisionGroupKind(models.TextChoices):
    """Kinds of supervision group."""

    INSPECTION = "inspection", _("inspection and guidance group")
    SPECIAL = "special", _("special supervision group")


@pghistory.track(*history())
class SupervisionGroup(models.Model):
    """A supervision group (督查指导组, 专项督导组) watching its assigned units."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="supervision_groups",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=SupervisionGroupKind.choices)
    leader = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="led_supervision_groups",
        verbose_name=_("leader"),
    )
    members = models.ManyToManyField(
        User,
        through="SupervisionGroupMember",
        related_name="supervision_groups",
        blank=True,
        verbose_name=_("members"),
    )
    assigned_units = models.ManyToManyField(
        Unit,
        through="SupervisionGroupUnit",
        related_name="supervision_groups",
        blank=True,
        verbose_name=_("assigned units"),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("supervision group")
        verbose_name_plural = _("supervision groups")
        ordering = ["campaign", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="supervision_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*history())
class ResponsibilityChain(models.Model):
    """The "two levels, five posts" chain (两级五岗) that tasks, problems and notices carry.

    ``unit`` is the unit whose leaders answer: its principal leader 统责 and leader in charge
    揽责; the lead department 领责 and cooperating departments 分责 do the work; the
    responsible person 担责 belongs to the lead department.

    The two levels: a county's chain for its share of a city task names the city's chain as
    ``parent``; the parent's unit lies above the child's, so chains never form a loop.
    """

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
        verbose_name=_("parent chain"),
        help_text=_("The higher level's chain this one carries out a share of."),
    )

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="chains",
        null=True,
        blank=True,
        verbose_name=_("campaign"),
    )
    task_force = models.ForeignKey(
        TaskForce,
        on_delete=models.SET_NULL,
        related_name="chains",
        null=True,
        blank=True,
        verbose_name=_("task force"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="chains", verbose_name=_("unit")
    )
    principal_leader = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("principal leader")
    )
    leader_in_charge = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("leader in charge")
    )
    lead_department = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="led_chains",
        verbose_name=_("lead department"),
    )
    cooperating_departments = models.ManyToManyField(
        Unit,
        through="ChainCooperation",
        related_name="cooperating_chains",
        blank=True,
        verbose_name=_("cooperating departments"),
    )
    responsible_person = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible person")
    )

    class Meta:
        verbose_name = _("responsibility chain")
        verbose_name_plural = _("responsibility chains")
        ordering = ["unit__path", "subject"]

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        """Each person holds the post the chain names them for, in the unit named for it."""
        errors: dict[str, str] = {}
        if (
            self.unit_id
            and self.principal_leader_id
            and not self.principal_leader.memberships.filter(
                unit_id=self.unit_id, post=Post.PRINCIPAL_LEADER
            ).exists()
        ):
            errors["principal_leader"] = gettext(
                "%(person)s is not a principal leader of %(unit)s."
            ) % {"person": self.principal_leader, "unit": self.unit}
        if (
            self.unit_id
            and self.leader_in_charge_id
            and not self.leader_in_charge.memberships.filter(
                unit_id=self.unit_id, post=Post.LEADER_IN_CHARGE
            ).exists()
        ):
            errors["leader_in_charge"] = gettext(
                "%(person)s is not a leader in charge of %(unit)s."
            ) % {"person": self.leader_in_charge, "unit": self.unit}
        if (
            self.lead_department_id
            and self.responsible_person_id
            and not (
                self.responsible_person.memberships.filter(unit_id=self.lead_department_id).exists()
            )
        ):
            errors["responsible_person"] = gettext(
                "%(person)s does not work in the lead department %(unit)s."
            ) % {"person": self.responsible_person, "unit": self.lead_department}
        if (
            self.unit_id
            and self.lead_department_id
            and not self.unit.contains(self.lead_department)
        ):
            errors["lead_department"] = gettext(
                "The lead department must be %(unit)s or a unit under it."
            ) % {"unit": self.unit}
        if self.task_force is not None and self.task_force.campaign_id != self.campaign_id:
            errors["task_force"] = gettext("The task force must belong to the chain's campaign.")
        if self.parent_id and self.unit_id:
            parent = self.parent
            assert parent is not None
            if parent.campaign_id != self.campaign_id:
                errors["parent"] = gettext("The parent chain must belong to the same campaign.")
            elif parent.unit_id == self.unit_id or not parent.unit.contains(self.unit):
                errors["parent"] = gettext(
                    "The parent chain must belong to a unit above %(unit)s."
                ) % {"unit": self.unit}
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def validate_cooperating(lead_department: Unit | None, cooperating: list[Unit]) -> None:
        """The lead department is not also a cooperating department."""
        if lead_department is not None and any(u.pk == lead_department.pk for u in cooperating):
            raise ValidationError(
                {
                    "cooperating_departments": gettext(
                        "%(unit)s is the lead department and cannot also cooperate."
                    )
                    % {"unit": lead_department}
                }
            )

    def as_line(self) -> str:
        """The chain as one line of Chinese, e.g. for a table cell or a notice."""
        # ``cooperating_names`` when the query annotated them (campaign.selectors.chains_of).
        names = getattr(self, "cooperating_names", None)
        if names is None:
            names = [u.display_name for u in self.cooperating_departments.all()]
        cooperating = "、".join(names)
        parts = [
            gettext("principal leader in overall charge: %s") % self.principal_leader,
            gettext("leader in charge: %s") % self.leader_in_charge,
            gettext("lead department: %s") % self.lead_department.display_name,
            gettext("cooperating departments: %s") % (cooperating or gettext("none")),
            gettext("responsible person: %s") % self.responsible_person,
        ]
        return gettext("; ").join(parts)


# Many-to-many links have explicit through models so that triggers (history) are installed by
# migrations like any other table: who was added to or removed from what is history too.


def _link(
    name: str,
    owner: str,
    target: type[models.Model],
    owner_field: str,
    target_field: str,
    verbose_name: Any,
) -> type[models.Model]:
    """Build one tracked link table with a unique (owner, target) pair.

    ``history_label_field`` tells history which side to name ("added 甲县 to the group").
    """
    attrs = {
        "__module__": __name__,
        "__doc__": f"Link table: {name}.",
        owner_field: models.ForeignKey(owner, on_delete=models.CASCADE, related_name="+"),
        target_field: models.ForeignKey(target, on_delete=models.CASCADE, related_name="+"),
        "history_label_field": target_field,
        "Meta": type(
            "Meta",
            (),
            {
                "verbose_name": verbose_name,
                "verbose_name_plural": verbose_name,
                "constraints": [
                    models.UniqueConstraint(
                        fields=[owner_field, target_field], name=f"{name.lower()}_unique"
                    )
                ],
            },
        ),
        "__str__": lambda self: f"{getattr(self, owner_field)} · {getattr(self, target_field)}",
    }
    model = type(name, (models.Model,), attrs)
    return pghistory.track(
        pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None
    )(model)


TaskForceUnit = _link(
    "TaskForceUnit", "TaskForce", Unit, "task_force", "unit", _("task force member unit")
)
TaskForceMember = _link(
    "TaskForceMember", "TaskForce", User, "task_force", "user", _("task force member")
)
SupervisionGroupMember = _link(
    "SupervisionGroupMember",
    "SupervisionGroup",
    User,
    "group",
    "user",
    _("supervision group member"),
)
SupervisionGroupUnit = _link(
    "SupervisionGroupUnit",
    "SupervisionGroup",
    Unit,
    "group",
    "unit",
    _("unit covered by a supervision group"),
)
ChainCooperation = _link(
    "ChainCooperation",
    "ResponsibilityChain",
    Unit,
    "chain",
    "unit",
    _("cooperating department"),
)
