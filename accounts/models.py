"""People, the organisation tree, posts and platform roles."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from knox.models import AbstractAuthToken, AuthTokenManager
from knox.settings import CONSTANTS
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
        triggers = [
            # The services revoke API tokens on our write paths (``user_password_set``,
            # ``user_deactivate``; the password pages and the admin go through them). This
            # trigger is the guarantee for every other path: Django's ``changepassword``
            # command (an app cannot override it, django.contrib.auth comes first), a shell,
            # a bulk ``update()``, which a ``save()`` override or a signal would miss. A token
            # must not outlive the password it was obtained with, nor the account. Like
            # Django's sessions, tokens also end when a login upgrades the password's hash.
            pgtrigger.Trigger(
                name="revoke_api_tokens",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("password", "is_active"),
                condition=pgtrigger.Condition(
                    "OLD.password IS DISTINCT FROM NEW.password"
                    " OR (OLD.is_active AND NOT NEW.is_active)"
                ),
                func="DELETE FROM accounts_apitoken WHERE user_id = NEW.id; RETURN NULL;",
            ),
        ]

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

    def move(self, node: Unit, target: Unit, pos: str | None = None) -> None:
        """Move ``node`` and its subtree (the admin's form and drag and drop come here).

        treebeard rewrites the paths in bulk, past the signals that drop the cached
        jurisdictions, which are made of paths: they are dropped here.
        """
        from .jurisdiction import jurisdictions_changed

        super().move(node, target, pos)
        jurisdictions_changed(using=self.db)


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


class ApiTokenManager(AuthTokenManager, models.Manager["ApiToken"]):
    """knox's manager: ``create`` returns the row and the key, which is shown only once."""

    def live(self) -> models.QuerySet[ApiToken]:
        """Tokens that have not expired (expired ones are refused and deleted when used)."""
        return self.filter(models.Q(expiry__isnull=True) | models.Q(expiry__gt=timezone.now()))


class ApiToken(AbstractAuthToken, models.Model):
    """An API token (django-rest-knox): one per sign-in, stored hashed, with an expiry.

    Only the SHA-512 ``digest`` of the key is stored, with the key's first characters
    (``token_key``) to find the row; the key itself is shown once, when the token is made.
    Knox's own model is swapped for this one (``KNOX_TOKEN_MODEL``) so a token has a plain
    id to revoke it by (rather than its digest in a URL) and remembers the device it was
    obtained from.
    """

    id = models.BigAutoField(primary_key=True)
    # Knox's own views reach a user's tokens as ``auth_token_set``.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="auth_token_set", verbose_name=_("user")
    )
    digest = models.CharField(_("digest"), max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    token_key = models.CharField(
        _("key prefix"),
        max_length=CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH + CONSTANTS.TOKEN_KEY_LENGTH,
        db_index=True,
    )
    created = models.DateTimeField(_("created at"), auto_now_add=True)
    expiry = models.DateTimeField(_("expires at"), null=True, blank=True)
    user_agent = models.CharField(_("device"), max_length=200, blank=True)

    objects = ApiTokenManager()

    #: Characters of the key shown to identify a token (the key starts with them).
    PREFIX_LENGTH = 8

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… · {self.user_id}"

    @property
    def prefix(self) -> str:
        """The first characters of the key, enough for its owner to tell tokens apart."""
        return self.token_key[: self.PREFIX_LENGTH]


def validate_relative_link(value: str) -> None:
    """A notification's link stays on this site: a path starting with one "/"."""
    if value and (not value.startswith("/") or value.startswith("//")):
        raise ValidationError(
            _("The link must be a path on this site, starting with “/”."), code="link"
        )


class Notification(models.Model):
    """One message to one user: shown in their inbox, and maybe emailed or texted.

    Not history-tracked (no ``pghistory.track``): notifications are messages about business
    records, not business records themselves; what they announce is tracked where it lives.
    Written by :func:`accounts.notifications.notify` only.
    """

    recipient = models.ForeignKey(
        User,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(
        _("kind"),
        max_length=32,
        help_text=_("Short code of what the notification is about, e.g. “notice”."),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(
        _("link"), max_length=500, blank=True, validators=[validate_relative_link]
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    texted_at = models.DateTimeField(_("texted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(link="")
                | (models.Q(link__startswith="/") & ~models.Q(link__startswith="//")),
                name="notification_link_relative",
                violation_error_message=_(
                    "The link must be a path on this site, starting with “/”."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        """Whether the recipient has marked it read."""
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one user wants notifications beyond the inbox. No row means the defaults.

    Not history-tracked: a personal setting about messages, not a business record.
    """

    user = models.OneToOneField(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(
        _("urgent ones by SMS"),
        default=True,
        help_text=_("Only urgent notifications are texted, to the phone in your account."),
    )
    daily_digest = models.BooleanField(
        _("one daily digest email"),
        default=False,
        help_text=_(
            "One email a day listing your unread notifications, instead of one per notification."
        ),
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def emails_each(self) -> bool:
        """One email per notification (email on, no digest)."""
        return self.email and not self.daily_digest

    @property
    def emails_digest(self) -> bool:
        """One digest email a day (email on, digest on)."""
        return self.email and self.daily_digest
