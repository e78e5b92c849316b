"""The admin: every model's pages open, lists are scoped, chain rules hold in forms."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Post
from accounts.services import role_assign
from accounts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "campaign", "tasks_ledger", "assessments", "accountability"}


def registered_models():
    return [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


def test_every_platform_model_is_in_the_admin():
    names = {m._meta.model_name for m in registered_models()}
    assert {
        "user",
        "unit",
        "membership",
        "roleassignment",
        "campaign",
        "taskforce",
        "supervisiongroup",
        "responsibilitychain",
    } <= names


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_list_search_and_add_pages_open_in_chinese(org, client, model):
    client.force_login(org.superuser)
    info = (model._meta.app_label, model._meta.model_name)
    listing = client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "甲"})
    assert listing.status_code == 200
    assert 'lang="zh-hans"' in listing.content.decode()
    adding = client.get(reverse("admin:{}_{}_add".format(*info)))
    # Some records only start from their own page (an import checks its file first).
    assert adding.status_code == (
        200 if admin.site._registry[model].has_add_permission(adding.wsgi_request) else 403
    )


def test_change_pages_open_with_history_link(org, client):
    client.force_login(org.superuser)
    for obj in (org.county_a, org.campaign, org.group_a, org.inside):
        info = (obj._meta.app_label, obj._meta.model_name)
        page = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert page.status_code == 200
        # pghistory's admin adds an "Events" button to every tracked model's page.
        assert "pghistory" in page.content.decode()


def test_city_administrator_sees_only_the_city(org, client):
    client.force_login(org.admin)
    listing = client.get(reverse("admin:accounts_unit_changelist"))
    assert listing.status_code == 200
    # The tree admin lists one level at a time, starting from the jurisdiction's roots.
    assert {u.name for u in listing.context["cl"].result_list} == {"测试市"}
    searched = client.get(reverse("admin:accounts_unit_changelist"), {"q": "测试"})
    assert {u.name for u in searched.context["cl"].result_list} == {
        "测试市",
        "测试市发展和改革委员会",
    }


def test_county_administrator_cannot_open_another_county(org, client):
    county_admin = UserFactory(username="county-admin")
    role_assign(actor=org.superuser, user=county_admin, role="administrator", scope=org.county_a)
    client.force_login(county_admin)
    other = client.get(reverse("admin:accounts_unit_change", args=[org.county_b.pk]))
    assert other.status_code == 302  # the admin redirects a row outside the queryset away
    assert (
        client.get(reverse("admin:accounts_unit_change", args=[org.county_a.pk])).status_code == 200
    )


def test_plain_unit_user_has_no_admin(org, client):
    client.force_login(org.inside)
    assert client.get(reverse("admin:index")).status_code == 302


def test_chain_admin_refuses_lead_department_as_cooperating(org, client):
    people = {}
    for post, name in ((Post.PRINCIPAL_LEADER, "书记"), (Post.LEADER_IN_CHARGE, "副县长")):
        person = UserFactory(name=name)
        MembershipFactory(user=person, unit=org.county_a, post=post)
        people[post] = person
    clerk = UserFactory(name="科长")
    MembershipFactory(user=clerk, unit=org.county_a_dept, post=Post.STAFF)
    client.force_login(org.superuser)
    data = {
        "subject": "燃气入户",
        "unit": org.county_a.pk,
        "principal_leader": people[Post.PRINCIPAL_LEADER].pk,
        "leader_in_charge": people[Post.LEADER_IN_CHARGE].pk,
        "lead_department": org.county_a_dept.pk,
        "responsible_person": clerk.pk,
        "cooperation-TOTAL_FORMS": 1,
        "cooperation-INITIAL_FORMS": 0,
        "cooperation-MIN_NUM_FORMS": 0,
        "cooperation-MAX_NUM_FORMS": 1000,
        "cooperation-0-unit": org.county_a_dept.pk,
    }
    page = client.get(reverse("admin:campaign_responsibilitychain_add"))
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data = {k.replace("cooperation", prefix): v for k, v in data.items()}
    response = client.post(reverse("admin:campaign_responsibilitychain_add"), data)
    assert response.status_code == 200
    assert "已是牵头部门" in response.content.decode()
    data[f"{prefix}-0-unit"] = org.township_a.pk
    response = client.post(reverse("admin:campaign_responsibilitychain_add"), data)
    assert response.status_code == 302
