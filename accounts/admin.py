"""Admin for people, units, posts and roles, scoped like every other view."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .backends import PLATFORM_APPS
from .forms import AdminPasswordChangeForm
from .jurisdiction import Jurisdiction, jurisdiction_for
from .models import ApiToken, Membership, Role, RoleAssignment, Unit, User
from .services import api_tokens_revoke_all

admin.site.site_header = _("Capability and work-style campaign platform administration")
admin.site.site_title = _("Campaign platform administration")
admin.site.index_title = _("Administration")


def _is_autocomplete(request: HttpRequest, site: admin.AdminSite) -> bool:
    """Whether the request is the admin's autocomplete view (a widget looking for choices)."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == f"{site.name}:autocomplete"


def _keep_current_choices(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """The form, where an unchanged value of a scoped field stays valid.

    A row may already name something outside the user's choices (a group led by a superuser,
    a unit since moved): keeping it widens nothing, and refusing it would block every other
    edit of the row. A *new* value must still be one of the choices.
    """

    class KeepCurrentChoices(form_class):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            instance = getattr(self, "instance", None)
            if instance is None or instance.pk is None:
                return
            for name, field in self.fields.items():
                if not getattr(field, "scoped_choices", False):
                    continue
                current = self.initial.get(name)
                values = current if isinstance(current, list | tuple) else [current]
                key = field.to_field_name or "pk"
                kept = [getattr(v, key, v) for v in values if v not in (None, "")]
                if kept:
                    model = field.queryset.model
                    field.queryset = field.queryset | model._default_manager.filter(
                        **{f"{key}__in": kept}
                    )

    KeepCurrentChoices.__name__ = form_class.__name__
    return KeepCurrentChoices


class ScopedChoicesMixin:
    """Every relation field of an admin form (or an inline's) offers only what the user may
    choose, so a posted id outside the jurisdiction is refused by the field itself ("select
    a valid choice"), whatever the widget showed.

    What may be chosen is keyed by the related model: its registered admin's ``choosable``
    (see :class:`ScopedAdminMixin`). A platform model without one is a configuration error,
    so a new relation cannot silently offer the whole province.
    """

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """A select or autocomplete limited to the choosable rows."""
        scoped = self._scope_choices(db_field, request, kwargs)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if scoped and field is not None:
            field.scoped_choices = True
        return field

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """A multiple select limited to the choosable rows (links with a table of their own
        are edited in inlines, which are scoped the same way)."""
        scoped = self._scope_choices(db_field, request, kwargs)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        if scoped and field is not None:
            field.scoped_choices = True
        return field

    def _scope_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> bool:
        related = db_field.remote_field.model
        site: admin.AdminSite = self.admin_site  # type: ignore[attr-defined]
        chooser = site._registry.get(related)
        choosable = getattr(chooser, "choosable", None)
        if choosable is None:
            if related._meta.app_label in PLATFORM_APPS:
                raise ImproperlyConfigured(
                    f"{related._meta.label} is offered in an admin form but has no scoped admin "
                    "(an admin with JurisdictionAdminMixin) to say which rows a user may choose."
                )
            return False
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(  # type: ignore[attr-defined]
                kwargs.get("using"), db_field, request
            )
        if queryset is None:
            queryset = related._default_manager.all()
        kwargs["queryset"] = choosable(request, queryset)
        return True


class ScopedInlineMixin(ScopedChoicesMixin):
    """The inline counterpart: scoped choices in every row, current values kept."""

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        """The formset whose rows keep their unchanged values valid."""
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        formset.form = _keep_current_choices(formset.form)
        return formset


class ScopedTabularInline(ScopedInlineMixin, admin.TabularInline):
    """A tabular inline with scoped choices; every inline of a scoped admin is one."""


class ScopedAdminMixin(ScopedChoicesMixin):
    """What every platform admin shares, whatever decides its rows.

    - relation fields offer only choosable rows, in its own form and its inlines (which
      must be :class:`ScopedInlineMixin`), and autocompletes pointing at this model search
      only what :meth:`choosable` allows;
    - ``service_fields`` (status, progress, decisions: what services own) are read-only to
      everyone but superusers; ``service_fields_on_add`` of them may be set on a new row;
    - ``inspection_only`` admins (workflow records: reports, requests, evidence) let
      non-superusers look but not add, change or delete: that happens on the pages and the
      API, through the services;
    - list filters on a relation list only values present in the user's rows.
    """

    service_fields: tuple[str, ...] = ()
    service_fields_on_add: tuple[str, ...] = ()
    inspection_only: bool = False

    def choosable(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The rows of ``queryset`` the user may choose in another record's form."""
        raise NotImplementedError

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """Search; for an autocomplete widget, among the choosable rows only."""
        queryset, distinct = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        if _is_autocomplete(request, self.admin_site):  # type: ignore[attr-defined]
            queryset = self.choosable(request, queryset)
        return queryset, distinct

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """The form whose unchanged values stay valid."""
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        return _keep_current_choices(form)

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """The inlines, each of which must scope its choices too."""
        inlines = super().get_inline_instances(request, obj)  # type: ignore[misc]
        for inline in inlines:
            if not isinstance(inline, ScopedInlineMixin):
                raise ImproperlyConfigured(
                    f"{type(inline).__qualname__} must use ScopedInlineMixin "
                    "(e.g. ScopedTabularInline) so its choices are scoped."
                )
        return inlines

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Declared read-only fields, plus the service-owned ones for non-superusers."""
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not request.user.is_superuser:
            settable = self.service_fields_on_add if obj is None else ()
            fields += [f for f in self.service_fields if f not in fields and f not in settable]
        return fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Fields in the model's order, so a field made read-only (a deadline) stays beside
        its neighbours instead of moving to the end of the page."""
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        if self.fields:  # type: ignore[attr-defined]
            return fields
        model_fields = self.model._meta.get_fields()  # type: ignore[attr-defined]
        order = {f.name: i for i, f in enumerate(model_fields)}
        return sorted(fields, key=lambda name: order.get(name, len(order)))

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Filters on a relation offer only values found in the user's own rows."""
        filters = []
        for entry in super().get_list_filter(request):  # type: ignore[misc]
            if isinstance(entry, str):
                last = get_fields_from_path(self.model, entry)[-1]  # type: ignore[attr-defined]
                if last.is_relation:
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        """Model permission; for an inspection-only admin, superusers only."""
        if self.inspection_only and not request.user.is_superuser:
            return False
        return super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission; for an inspection-only admin, superusers only."""
        if self.inspection_only and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission; for an inspection-only admin, superusers only."""
        if self.inspection_only and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]


class JurisdictionAdminMixin(ScopedAdminMixin):
    """Limit an admin list to the user's jurisdiction, changes to what they manage, and
    choices of this model in other forms to what they manage.

    ``jurisdiction_field`` names the FK to Unit (``""`` for Unit itself).
    """

    jurisdiction_field: str = "unit"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Rows within the user's jurisdiction only."""
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset.filter(jurisdiction_for(request.user).q(self.jurisdiction_field))

    def choosable(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Rows whose unit the user manages: naming one in a record cannot reach further."""
        j = jurisdiction_for(request.user)
        return queryset.filter(j.q(self.jurisdiction_field, manage=True))

    def _unit_of(self, obj: Any) -> Unit | None:
        if not self.jurisdiction_field:
            return obj
        target = obj
        for part in self.jurisdiction_field.split("__"):
            target = getattr(target, part, None)
        return target

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission plus, for one row, a right to manage its unit."""
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return jurisdiction_for(request.user).can_manage(self._unit_of(obj))
        return allowed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission plus, for one row, a right to manage its unit."""
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None:
            return jurisdiction_for(request.user).can_manage(self._unit_of(obj))
        return allowed


class MembershipInline(ScopedTabularInline):
    """Posts held in a unit (on the unit page) or by a person (on the user page)."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user", "unit"]


def _may_grant_roles(request: HttpRequest) -> bool:
    """Only administrators grant roles, as :func:`accounts.services.role_assign` demands."""
    return jurisdiction_for(request.user).has_role(Role.ADMINISTRATOR)


class RoleInline(ScopedTabularInline):
    """Platform roles of a person."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["scope"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission, held by an administrator."""
        return super().has_add_permission(request, obj) and _may_grant_roles(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission, held by an administrator."""
        return super().has_change_permission(request, obj) and _may_grant_roles(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission, held by an administrator."""
        return super().has_delete_permission(request, obj) and _may_grant_roles(request)


class PersonAdminMixin(ScopedAdminMixin):
    """The user admin's scope: people are chosen and changed by where they work.

    A non-superuser may choose people holding a post in (or a role over) a unit they
    manage, and change an account only when everything it reaches lies within what they
    manage. Superuser status, groups and single permissions stay the superusers' (a role
    gives the permissions the platform needs); logins and join dates are the system's.
    """

    service_fields = ("is_superuser", "groups", "user_permissions", "last_login", "date_joined")

    def choosable(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """People holding a post in, or a role over, a unit the user manages."""
        return queryset.filter(jurisdiction_for(request.user).people_q(manage=True))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission plus, for one person, a reach within what the user manages."""
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return jurisdiction_for(request.user).can_manage_person(obj)
        return allowed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """As for changing."""
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None:
            return jurisdiction_for(request.user).can_manage_person(obj)
        return allowed


@admin.register(User)
class UserAdmin(PersonAdminMixin, BaseUserAdmin):
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
        """A unit may only be placed under a unit the user manages (not at the top, nor
        beside the top of their jurisdiction); an unchanged place is kept."""
        base = super().get_form(request, obj, change=change, **kwargs)
        j = jurisdiction_for(request.user)
        manageable = j.units(manage=True).values("pk")

        class ScopedUnitForm(base):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                field = self.fields["treebeard_ref_node"]
                current = self.initial.get("treebeard_ref_node")
                kept = [current.pk] if current is not None else []
                field.queryset = field.queryset.filter(Q(pk__in=manageable) | Q(pk__in=kept))

            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                moved = {"treebeard_ref_node", "treebeard_position"} & set(self.changed_data)
                if self.instance.pk is None or moved:
                    ref = cleaned.get("treebeard_ref_node")
                    position = cleaned.get("treebeard_position", "")
                    if not _may_place(j, ref, child=position.endswith("child")):
                        self.add_error("treebeard_ref_node", PLACE_REFUSED)
                return cleaned

        return ScopedUnitForm

    def move_node(self, request: HttpRequest) -> Any:
        """Dragging in the tree obeys the same rule as the form."""
        j = jurisdiction_for(request.user)
        target = Unit.objects.filter(pk=request.POST.get("target") or None).first()
        child = request.POST.get("relation") == "child"
        if target is not None and not _may_place(j, target, child=child):
            messages.error(request, PLACE_REFUSED)
            raise PermissionDenied(PLACE_REFUSED)
        return super().move_node(request)


PLACE_REFUSED = _("A unit can only be placed under a unit you manage.")


def _may_place(j: Jurisdiction, ref: Unit | None, *, child: bool) -> bool:
    """Whether a unit placed as a child (or sibling) of ``ref`` lands under a managed unit."""
    if j.is_global:
        return True
    parent = ref if child or ref is None else Unit.objects.get_parent(ref)
    return j.can_manage(parent)


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Model permission, held by an administrator."""
        return super().has_add_permission(request) and _may_grant_roles(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission, held by an administrator of the role's scope."""
        return super().has_change_permission(request, obj) and _may_grant_roles(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Model permission, held by an administrator of the role's scope."""
        return super().has_delete_permission(request, obj) and _may_grant_roles(request)
