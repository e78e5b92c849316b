"""API tokens with an end: one per sign-in, stored hashed, expiring, listed and revoked by
their owner only, and ended by a password change or deactivation on every path."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.services import (
    api_token_create,
    api_tokens_revoke_all,
    user_deactivate,
    user_password_set,
)
from tests.processes import ROOT, child_env

pytestmark = pytest.mark.django_db

LOGIN = {"username": "inside", "password": "pass-1234"}


def sign_in(user_agent: str = "ledger-sync/1.0") -> dict[str, Any]:
    """Sign in through the API as ``inside``; the response body."""
    response = APIClient().post(
        reverse("api:token"), LOGIN, format="json", headers={"User-Agent": user_agent}
    )
    assert response.status_code == 200, response.content
    return response.json()


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    """Whether the key authenticates (200 from /me/) or is refused (401)."""
    status = with_key(key).get(reverse("api:me")).status_code
    assert status in (200, 401), status
    return status == 200


def assert_401(response: Any, code: str) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert [e["code"] for e in response.json()["errors"]] == [code]


# --- a new token per sign-in, stored hashed, with an end ----------------------------------------


def test_each_sign_in_gives_a_new_token_with_its_expiry(org):
    with time_machine.travel(dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        first = sign_in("laptop")
        second = sign_in("phone")
        assert works(first["token"]) and works(second["token"])
    assert first["token"] != second["token"]
    assert first["id"] != second["id"]
    assert first["expiry"] == "2022-07-01T10:00:00+08:00"  # 30 days, in Beijing time
    rows = ApiToken.objects.filter(user=org.inside).order_by("id")
    assert [t.user_agent for t in rows] == ["laptop", "phone"]


def test_the_key_is_not_stored_only_its_hash(org):
    body = sign_in()
    key = body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.digest == hash_token(key)
    assert len(key) == 64 and len(token.digest) == 128
    # Only the first 15 characters are kept, to find the row; never the whole key.
    assert token.token_key == key[:15]
    stored = {str(value) for value in model_to_dict(token).values()}
    assert key not in stored
    assert not ApiToken.objects.filter(digest=key).exists()
    assert not ApiToken.objects.filter(token_key=key).exists()


def test_an_expired_token_is_refused_and_deleted(org):
    """GIVEN a token made now WHEN used just after API_TOKEN_TTL_DAYS (30) THEN 401."""
    start = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        key = sign_in()["token"]
    with time_machine.travel(start + dt.timedelta(days=30) - dt.timedelta(seconds=1), tick=False):
        assert works(key)
    with time_machine.travel(start + dt.timedelta(days=30, seconds=1), tick=False):
        assert_401(with_key(key).get(reverse("api:me")), "authentication_failed")
    assert not ApiToken.objects.filter(user=org.inside).exists()


def test_expired_tokens_are_not_listed_and_are_swept_at_the_next_sign_in(org):
    start = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        old = sign_in()
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        client = Client()
        client.force_login(org.inside)
        assert old["token"][:8] not in client.get(reverse("profile")).content.decode()
        assert ApiToken.objects.filter(pk=old["id"]).exists()
        new = sign_in()
    assert list(ApiToken.objects.filter(user=org.inside).values_list("pk", flat=True)) == [
        new["id"]
    ]


def test_the_lifetime_follows_the_setting(org, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(days=2)}
    with time_machine.travel(dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        token, _key = api_token_create(user=org.inside)
    assert token.expiry == dt.datetime(2022, 6, 3, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("value", "days"), [(None, "30"), ("7", "7")])
def test_api_token_ttl_days_comes_from_the_environment(value, days):
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test")
    env.pop("API_TOKEN_TTL_DAYS", None)
    if value is not None:
        env["API_TOKEN_TTL_DAYS"] = value
    code = "import django; django.setup(); from knox.settings import knox_settings as k; "
    code += "print(k.TOKEN_TTL.days)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == days


def test_a_token_lifetime_below_one_day_is_refused_at_start():
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test", API_TOKEN_TTL_DAYS="0")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "API_TOKEN_TTL_DAYS must be at least 1" in result.stderr


# --- anonymous callers -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["api:auth-token-list", "api:auth-token-revoke-all"])
def test_anonymous_gets_401_with_the_token_challenge(org, name):
    client = APIClient()
    response = client.get(reverse(name)) if name.endswith("list") else client.post(reverse(name))
    assert_401(response, "not_authenticated")


def test_anonymous_is_sent_to_sign_in_from_the_profile_page(org, client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    revoke = client.post(reverse("tokens-revoke-all"))
    assert revoke.status_code == 302 and revoke["Location"].startswith(reverse("login"))


# --- listing and revoking through the API ------------------------------------------------------


def test_the_list_shows_only_my_tokens_and_which_one_is_in_use(org):
    mine = [sign_in("laptop"), sign_in("phone")]
    api_token_create(user=org.outsider, user_agent="someone else's")
    response = with_key(mine[1]["token"]).get(reverse("api:auth-token-list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {mine[0]["id"], mine[1]["id"]}
    assert rows[mine[1]["id"]]["current"] is True
    assert rows[mine[0]["id"]]["current"] is False
    assert rows[mine[0]["id"]]["prefix"] == mine[0]["token"][:8]
    assert rows[mine[0]["id"]]["user_agent"] == "laptop"
    fields = {"id", "prefix", "created", "expiry", "user_agent", "current"}
    assert set(rows[mine[0]["id"]]) == fields


def test_revoking_one_token_ends_only_that_one(org):
    laptop, phone = sign_in("laptop"), sign_in("phone")
    client = with_key(phone["token"])
    response = client.delete(reverse("api:auth-token-detail", args=[laptop["id"]]))
    assert response.status_code == 204
    assert not works(laptop["token"])
    assert works(phone["token"])
    assert list(ApiToken.objects.filter(user=org.inside).values_list("pk", flat=True)) == [
        phone["id"]
    ]


def test_revoke_all_ends_every_token_of_mine_and_no_one_elses(org):
    keys = [sign_in()["token"] for _n in range(3)]
    _other, other_key = api_token_create(user=org.outsider)
    response = with_key(keys[0]).post(reverse("api:auth-token-revoke-all"))
    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    assert not any(works(key) for key in keys)
    assert works(other_key)
    assert not ApiToken.objects.filter(user=org.inside).exists()


def test_another_users_token_cannot_be_seen_or_revoked(org):
    victim = sign_in()
    _token, outsider_key = api_token_create(user=org.outsider)
    client = with_key(outsider_key)
    url = reverse("api:auth-token-detail", args=[victim["id"]])
    for response in (client.get(url), client.delete(url)):
        assert response.status_code == 404, response.content
        assert [e["code"] for e in response.json()["errors"]] == ["not_found"]
    assert works(victim["token"])

    # Nor through the page.
    page = Client()
    page.force_login(org.outsider)
    assert page.post(reverse("token-revoke", args=[victim["id"]])).status_code == 404
    assert works(victim["token"])


def test_revoking_is_logged_with_its_reason(org, caplog):
    sign_in()
    with caplog.at_level("INFO", logger="accounts.auth"):
        api_tokens_revoke_all(user=org.inside, reason="revoked by owner")
    assert "api tokens revoked user=inside count=1 reason=revoked by owner" in caplog.text


# --- password changes and deactivation end every token -----------------------------------------


def change_on_the_password_page(user: User) -> None:
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pass-1234",
            "new_password1": "Another-pass-9876",
            "new_password2": "Another-pass-9876",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("password_change_done")


def set_in_the_admin(user: User, superuser: User) -> None:
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = client.post(
        url,
        {"usable_password": "true", "password1": "Admin-set-5432", "password2": "Admin-set-5432"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("admin:accounts_user_change", args=[user.pk])


def unusable_in_the_admin(user: User, superuser: User) -> None:
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response["Location"] == reverse("admin:accounts_user_change", args=[user.pk])
    user.refresh_from_db()
    assert not user.has_usable_password()


def through_the_service(user: User) -> None:
    user_password_set(user=user, password="Service-set-1234")


def outside_our_code(user: User) -> None:
    """What ``manage.py changepassword`` or a shell does: set_password and save."""
    user.set_password("Shell-set-1234")
    user.save()


def bulk_update(user: User) -> None:
    User.objects.filter(pk=user.pk).update(password="!unusable")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda org: change_on_the_password_page(org.inside), id="password page"),
        pytest.param(lambda org: set_in_the_admin(org.inside, org.superuser), id="admin form"),
        pytest.param(lambda org: unusable_in_the_admin(org.inside, org.superuser), id="unusable"),
        pytest.param(lambda org: through_the_service(org.inside), id="service"),
        pytest.param(lambda org: outside_our_code(org.inside), id="set_password and save"),
        pytest.param(lambda org: bulk_update(org.inside), id="bulk update"),
    ],
)
def test_a_password_change_ends_every_token(org, change):
    keys = [sign_in()["token"] for _n in range(2)]
    _other, other_key = api_token_create(user=org.outsider)
    change(org)
    assert not ApiToken.objects.filter(user=org.inside).exists()
    assert not any(works(key) for key in keys)
    assert works(other_key)


def test_the_password_page_and_the_admin_form_go_through_the_service(org, caplog):
    sign_in()
    with caplog.at_level("INFO", logger="accounts.auth"):
        change_on_the_password_page(org.inside)
    assert "api tokens revoked user=inside count=1 reason=password changed" in caplog.text
    caplog.clear()
    api_token_create(user=org.inside)
    with caplog.at_level("INFO", logger="accounts.auth"):
        set_in_the_admin(org.inside, org.superuser)
    assert "api tokens revoked user=inside count=1 reason=password changed" in caplog.text
    org.inside.refresh_from_db()
    assert org.inside.check_password("Admin-set-5432")


def test_signing_in_again_after_a_password_change_works(org):
    sign_in()
    through_the_service(org.inside)
    response = APIClient().post(
        reverse("api:token"), {"username": "inside", "password": "Service-set-1234"}, format="json"
    )
    assert response.status_code == 200
    assert works(response.json()["token"])


def test_an_unrelated_save_keeps_the_tokens(org):
    key = sign_in()["token"]
    org.inside.name = "甲县联络员（新）"
    org.inside.save()
    User.objects.filter(pk=org.inside.pk).update(last_login=timezone.now())
    assert works(key)


def admin_post_data(response: Any) -> dict[str, Any]:
    """The admin change form as the page drew it, ready to post back."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for field in form:
            if field.field.disabled:
                continue
            value = field.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, dt.datetime):
                local = timezone.localtime(value)
                data[f"{field.html_name}_0"] = local.strftime("%Y-%m-%d")
                data[f"{field.html_name}_1"] = local.strftime("%H:%M:%S")
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def deactivate_in_the_admin(user: User, superuser: User) -> None:
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = admin_post_data(client.get(url))
    assert data.pop("is_active") == "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize(
    "deactivate",
    [
        pytest.param(lambda org: deactivate_in_the_admin(org.inside, org.superuser), id="admin"),
        pytest.param(lambda org: user_deactivate(user=org.inside), id="service"),
        pytest.param(
            lambda org: User.objects.filter(pk=org.inside.pk).update(is_active=False),
            id="bulk update",
        ),
    ],
)
def test_deactivation_ends_every_token(org, deactivate):
    keys = [sign_in()["token"] for _n in range(2)]
    _other, other_key = api_token_create(user=org.outsider)
    deactivate(org)
    assert not ApiToken.objects.filter(user=org.inside).exists()
    assert not any(works(key) for key in keys)
    # Reactivated, the account does not get its old tokens back.
    User.objects.filter(pk=org.inside.pk).update(is_active=True)
    assert not any(works(key) for key in keys)
    assert works(other_key)


def test_the_admin_lists_tokens_without_keys_and_cannot_make_them(org, client):
    body = sign_in()
    client.force_login(org.superuser)
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert body["token"][:8] in html
    assert body["token"] not in html
    assert ApiToken.objects.get(pk=body["id"]).digest not in html
    assert not admin.site._registry[ApiToken].has_add_permission(listing.wsgi_request)


# --- the profile page --------------------------------------------------------------------------


def test_the_profile_page_lists_my_tokens_and_no_one_elses(org, client):
    laptop = sign_in("Mozilla/5.0 (Windows NT 10.0) laptop")
    _other, other_key = api_token_create(user=org.outsider, user_agent="outsider-device")
    client.force_login(org.inside)
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的账户" in html and "API 令牌" in html
    assert "甲县联络员" in html and "inside" in html
    assert f"{laptop['token'][:8]}…" in html
    assert "Mozilla/5.0 (Windows NT 10.0) laptop" in html
    assert reverse("token-revoke", args=[laptop["id"]]) in html
    assert other_key[:8] not in html and "outsider-device" not in html
    assert "30 天" in html
    assert [t.pk for t in response.context["tokens"]] == [laptop["id"]]


def test_the_profile_page_says_when_there_are_no_tokens(org, client):
    client.force_login(org.inside)
    html = client.get(reverse("profile")).content.decode()
    assert "您还没有 API 令牌" in html
    assert reverse("tokens-revoke-all") not in html  # nothing to revoke


def test_the_revoke_button_ends_that_token_only(org, client):
    laptop, phone = sign_in("laptop"), sign_in("phone")
    client.force_login(org.inside)
    response = client.post(reverse("token-revoke", args=[laptop["id"]]), follow=True)
    assert response.redirect_chain == [(reverse("profile"), 302)]
    html = response.content.decode()
    assert f"令牌 {laptop['token'][:8]}… 已吊销" in html
    assert [t.pk for t in response.context["tokens"]] == [phone["id"]]
    assert not works(laptop["token"]) and works(phone["token"])


def test_the_revoke_all_button_ends_every_token(org, client):
    keys = [sign_in()["token"] for _n in range(2)]
    client.force_login(org.inside)
    response = client.post(reverse("tokens-revoke-all"), follow=True)
    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "已吊销 2 个令牌" in response.content.decode()
    assert response.context["tokens"] == []
    assert not any(works(key) for key in keys)
    # The page itself still works: revoking tokens does not end the signed-in session.
    assert client.get(reverse("profile")).status_code == 200


def test_the_revoke_buttons_only_accept_post(org, client):
    token = sign_in()
    client.force_login(org.inside)
    assert client.get(reverse("token-revoke", args=[token["id"]])).status_code == 405
    assert client.get(reverse("tokens-revoke-all")).status_code == 405
    assert works(token["token"])


def test_the_user_menu_links_to_the_profile_page(org, client):
    client.force_login(org.official)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("profile")}"' in html
