"""Pages of the accounts app: sign-in, home, profile, the organisation tree and units."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import PasswordChangeForm

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        # The form saves through ``user_password_set``, which also ends the API tokens.
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/profile/", views.profile_view, name="profile"),
    path("accounts/profile/tokens/<int:pk>/revoke/", views.token_revoke_view, name="token-revoke"),
    path(
        "accounts/profile/tokens/revoke-all/",
        views.tokens_revoke_all_view,
        name="tokens-revoke-all",
    ),
    path(
        "accounts/profile/notifications/",
        views.notification_preferences_view,
        name="notification-preferences",
    ),
    path("accounts/inbox/", views.inbox_view, name="inbox"),
    path("accounts/inbox/<int:pk>/open/", views.notification_open_view, name="notification-open"),
    path("accounts/inbox/<int:pk>/read/", views.notification_read_view, name="notification-read"),
    path(
        "accounts/inbox/read-all/", views.notifications_read_all_view, name="notifications-read-all"
    ),
    path("units/", views.unit_list_view, name="unit-list"),
    path("units/<int:pk>/", views.unit_detail_view, name="unit-detail"),
    path("units/<int:pk>/history/", views.unit_history_view, name="unit-history"),
]
