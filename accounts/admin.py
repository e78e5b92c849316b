"""Admin for people, units, posts and roles, scoped like every other view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .forms import AdminPasswordChangeForm
from .jurisdiction import jurisdiction_for
from .models import ApiToken, Membership, RoleAssignment, Unit, User
from .services import api_tokens_revoke_all

admin.site.site_header = _("Capability and work-style campaign platform administration")
admin.site.site_title = _("Campaign platform administration")
admin.site.index_title = _("Administration")


class JurisdictionAdminMixin:
    """Limit an admin list to the user's jurisdiction and changes to what they manage.

    ``jurisdiction_field`` names the FK to Unit (``""`` for Unit itself).
    """

    jurisdiction_field: str = "unit"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Rows within the user's jurisdiction only."""
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset.filter(jurisdiction_for(request.user).q(self.jurisdiction_field))

    def _unit_of(self, obj: Any) -> Unit | None:
        if not self.jurisdiction_field:
            return obj
        target = obj
        for part in self.jurisdiction_field.split("__"):
            target = getattr(target, part, None)
        return target

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission plus, for one row, a right to manage its unit."""
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        if allowed and obj is not None:
            return jurisdiction_for(request.user).can_manage(self._unit_of(obj))
        return allowed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission plus, for one row, a right to manage its unit."""
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        if allowed and obj is not None:
            return jurisdiction_for(request.user).can_manage(self._unit_of(obj))
        return allowed


class MembershipInline(admin.TabularInline):
    """Posts held in a unit (on the unit page) or by a person (on the user page)."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user", "unit"]


class RoleInline(admin.TabularInline):
    """Platform roles of a person."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["scope"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """People: real name and phone instead of first and last name."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("name", "phone", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "name", "phone", "password1", "password2"),
            },
        ),
    )
    list_display = ("username", "name", "phone", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "role_assignments__role")
    search_fields = ("username", "name", "phone", "email")
    ordering = ("username",)
    inlines = [MembershipInline, RoleInline]
    # Sets the password through the service, which also ends the user's API tokens.
    change_password_form = AdminPasswordChangeForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """People holding a post in a unit within the jurisdiction (and the user themself)."""
        queryset = super().get_queryset(request)
        j = jurisdiction_for(request.user)
        if j.is_global:
            return queryset
        return queryset.filter(
            pk__in=Membership.objects.filter(j.q("unit")).values("user_id")
        ) | queryset.filter(pk=request.user.pk)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        """Save; unticking "active" also ends the user's API tokens."""
        if change and "is_active" in form.changed_data and not obj.is_active:
            api_tokens_revoke_all(user=obj, reason="deactivated")
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens, for inspection and revocation (deleting one revokes it).

    Tokens are only made by signing in to the API: the key is shown once, to its owner.
    """

    list_display = ("user", "prefix", "created", "expiry", "user_agent")
    list_filter = ("created", "expiry")
    search_fields = ("user__username", "user__name", "token_key")
    list_select_related = ("user",)
    fields = ("user", "prefix", "created", "expiry", "user_agent")
    readonly_fields = fields

    @admin.display(description=_("key prefix"))
    def prefix(self, obj: ApiToken) -> str:
        """The start of the key, as the owner's profile page shows it."""
        return f"{obj.prefix}…"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        """Tokens of the people the user admin shows this user."""
        users = self.admin_site._registry[User].get_queryset(request)
        return super().get_queryset(request).filter(user__in=users.values("pk"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: a token is made by its owner signing in."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never: a token is revoked (deleted), not edited."""
        return False


@admin.register(Unit)
class UnitAdmin(JurisdictionAdminMixin, TreeAdmin):
    """The organisation tree, draggable, with search by code and name."""

    jurisdiction_field = ""
    form = movenodeform_factory(Unit)
    list_display = (
        "name",
        "code",
        "short_name",
        "level",
        "kind",
        "under_special_assessment",
        "is_active",
    )
    list_filter = ("level", "kind", "under_special_assessment", "is_active")
    search_fields = ("code", "name", "short_name")
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Unit]:
        """Treebeard lists one level at a time from the roots; our roots are the jurisdiction's."""
        queryset = super().get_queryset(request)
        j = jurisdiction_for(request.user)
        at_top = (
            hasattr(request, "_treebeard_parent_id")
            and not request._treebeard_parent_id
            and not getattr(request, "_ignore_treebeard_filters", False)
            and not self.is_filtered(request)
        )
        if at_top and not j.is_global:
            return Unit.objects.filter(path__in=j.view_roots)
        return queryset

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """A unit may only be placed beside or under units the user manages."""
        base = super().get_form(request, obj, change=change, **kwargs)
        manageable = jurisdiction_for(request.user).units(manage=True).values("pk")

        class ScopedUnitForm(base):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                field = self.fields["treebeard_ref_node"]
                field.queryset = field.queryset.filter(pk__in=manageable)

        return ScopedUnitForm


@admin.register(Membership)
class MembershipAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Posts of people in units."""

    list_display = ("user", "unit", "post", "title")
    list_filter = ("post", "unit__level", "unit__kind")
    search_fields = ("user__name", "user__username", "unit__name", "unit__code", "title")
    autocomplete_fields = ["user", "unit"]
    list_select_related = ("user", "unit")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Platform roles and the jurisdiction each applies to."""

    jurisdiction_field = "scope"
    list_display = ("user", "role", "scope")
    list_filter = ("role",)
    search_fields = ("user__name", "user__username", "scope__name")
    autocomplete_fields = ["user", "scope"]
    list_select_related = ("user", "scope")
