"""People, the organisation tree, posts and platform roles."""

from __future__ import annotations

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


def history() -> tuple[pghistory.RowEvent, ...]:
    """Fresh insert, update and delete trackers (trigger-based, so bulk writes are kept too).

    Trackers are bound to one model when used, so each ``track`` call needs new instances.
    """
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


class PlatformUserManager(UserManager["User"]):
    """Manager for :class:`User`; ``create_user`` accepts ``name`` and ``phone``."""


@pghistory.track(*history(), exclude=["password", "last_login"])
class User(AbstractUser):
    """A person who signs in: real name and phone instead of first/last name."""

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField(_("real name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    objects = PlatformUserManager()  # type: ignore[misc]

    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        """The real name, as Chinese forms expect."""
        return self.name

    def get_short_name(self) -> str:
        """The real name (Chinese names are not split)."""
        return self.name


class UnitLevel(models.TextChoices):
    """Administrative level a unit sits at."""

    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWNSHIP = "township", _("township")


class UnitKind(models.TextChoices):
    """What sort of organ a unit is."""

    PARTY_COMMITTEE = "party_committee", _("Party committee")
    GOVERNMENT = "government", _("government")
    DEPARTMENT = "department", _("department")
    TOWNSHIP = "township", pgettext_lazy("unit kind", "township")
    STATE_ENTERPRISE = "state_enterprise", _("state enterprise")
    OTHER = "other", _("other")


class UnitQuerySet(MP_NodeQuerySet):
    """Querysets of units with jurisdiction helpers."""

    def within(self, *paths: str) -> UnitQuerySet:
        """Units at or below any of the given tree paths, in one query."""
        if not paths:
            return self.none()
        query = models.Q()
        for path in paths:
            query |= models.Q(path__startswith=path)
        return self.filter(query)


class UnitManager(MP_NodeManager):
    """Tree-ordered manager returning :class:`UnitQuerySet`."""

    def get_queryset(self) -> UnitQuerySet:
        """Units in tree order, with the jurisdiction helpers."""
        return UnitQuerySet(self.model, using=self._db).order_by("path")

    def within(self, *paths: str) -> UnitQuerySet:
        """Units at or below any of the given tree paths, in one query."""
        return self.get_queryset().within(*paths)


@pghistory.track(*history())
class Unit(MP_Node):
    """An organisation in the tree province > city > county > township, departments under each.

    The materialised path (``path``) makes "everything in this jurisdiction" one indexed
    ``LIKE 'path%'`` query at any depth.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("full name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=UnitLevel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    under_special_assessment = models.BooleanField(
        _("under special assessment"),
        default=False,
        help_text=_("Included in the campaign's special assessment (专项考核)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by = ["sort_order", "code"]
    objects = UnitManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [
            # text_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' in any collation.
            models.Index(
                fields=["path"], name="unit_path_prefix_idx", opclasses=["text_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The short name where there is one, else the full name."""
        return self.short_name or self.name

    def contains(self, other: Unit) -> bool:
        """Whether ``other`` is this unit or lies below it (no query)."""
        return other.path.startswith(self.path)


class Post(models.TextChoices):
    """A person's post in a unit, as named by the 两级五岗 chain."""

    PRINCIPAL_LEADER = "principal_leader", _("principal leader")
    LEADER_IN_CHARGE = "leader_in_charge", _("leader in charge")
    LIAISON = "liaison", _("liaison")
    STAFF = "staff", _("staff")


@pghistory.track(*history())
class Membership(models.Model):
    """A person's post in a unit. A unit member sees that unit and everything under it."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    title = models.CharField(_("job title"), max_length=50, blank=True)

    # History on a unit's page names the person, not the row id.
    history_label_field = "user"

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["unit__path", "post", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "post"], name="membership_unique_post"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_post_display()}"


class Role(models.TextChoices):
    """Platform roles. A supervision group member's reach comes from the group's units."""

    CAMPAIGN_OFFICE = "campaign_office", _("campaign office")
    SUPERVISOR = "supervisor", _("supervision group member")
    ASSESSMENT_OFFICE = "assessment_office", _("assessment office")
    EVALUATOR = "evaluator", _("third-party evaluator")
    OFFICIAL = "official", _("official (read only)")
    ADMINISTRATOR = "administrator", _("administrator")


@pghistory.track(*history())
class RoleAssignment(models.Model):
    """A platform role held over a jurisdiction (the scope unit and everything under it)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    scope = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("jurisdiction"),
        help_text=_("The role applies to this unit and every unit under it."),
    )

    history_label_field = "user"

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "scope"], name="role_unique_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope}"
