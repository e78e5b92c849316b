"""Forms of the accounts pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference, UnitKind, UnitLevel, User
from .services import user_password_set


class UnitSearchForm(forms.Form):
    """The search box and filters above the organisation tree (all optional, GET)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Unit name, short name or code"),
                "autocomplete": "off",
            }
        ),
    )
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("All levels")), *UnitLevel.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *UnitKind.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> dict[str, str]:
        """The cleaned filters ("" when absent or invalid), as keyword arguments."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": (data.get("q") or "").strip(),
            "level": data.get("level") or "",
            "kind": data.get("kind") or "",
        }


class PasswordThroughServiceMixin:
    """Save a password form's new password through ``user_password_set``.

    Django's password forms set the password on the user and save it themselves; routed
    through the service, a new password also ends the user's API tokens.
    """

    cleaned_data: dict[str, Any]

    def set_password_and_save(
        self,
        user: User,
        password_field_name: str = "password1",  # noqa: S107 - a field's name
        commit: bool = True,
    ) -> User:
        """Set the password (or none usable, in the admin) and save it with the service."""
        if not commit:
            return super().set_password_and_save(  # type: ignore[misc]
                user, password_field_name, commit=commit
            )
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data[password_field_name] if usable else None
        user_password_set(user=user, password=password)
        return user


class PasswordChangeForm(PasswordThroughServiceMixin, auth_forms.PasswordChangeForm):
    """The password page's form: old password, new password twice."""


class AdminPasswordChangeForm(PasswordThroughServiceMixin, auth_forms.AdminPasswordChangeForm):
    """The admin's set-password form for someone else."""


class NotificationPreferenceForm(forms.ModelForm):
    """The profile page's choice of emails, texts and the daily digest."""

    class Meta:
        model = NotificationPreference
        fields = ["email", "daily_digest", "sms"]
        widgets = {
            name: forms.CheckboxInput(attrs={"class": "form-check-input"})
            for name in ("email", "daily_digest", "sms")
        }
