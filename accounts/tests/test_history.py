"""History: every change is kept with who, when, from where and what changed."""

from __future__ import annotations

import pghistory
import pytest

from accounts.history import history_for
from accounts.models import Unit
from accounts.services import membership_add, role_assign, unit_create

pytestmark = pytest.mark.django_db


def test_bulk_update_is_recorded_with_context(org):
    """GIVEN units changed by a bulk UPDATE WHEN history is read THEN each change is there."""
    with pghistory.context(user=org.superuser.pk, command="test-bulk"):
        Unit.objects.filter(pk=org.county_b.pk).update(short_name="乙")
    entries = history_for(org.county_b)
    latest = entries[0]
    assert latest.action == "修改"
    assert ("简称", "", "乙") in latest.changes
    assert latest.actor == "超级管理员"
    assert latest.source == "命令 test-bulk"


def test_membership_change_appears_in_unit_history(org):
    with pghistory.context(user=org.above.pk):
        membership_add(actor=org.above, user=org.outsider, unit=org.county_a, post="staff")
    entries = history_for(org.county_a)
    assert any(e.model == "任职" and e.action == "新建" for e in entries)


def test_admin_change_through_request_records_user_and_url(org, client):
    client.force_login(org.superuser)
    url = f"/admin/accounts/unit/{org.county_b.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["name"] = "乙县（新）"
    data["treebeard_ref_node"] = data["treebeard_ref_node"].pk
    data.update(
        {
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = history_for(org.county_b)[0]
    assert entry.actor == "超级管理员"
    assert entry.source == f"POST {url}"
    assert ("全称", "乙县", "乙县（新）") in entry.changes


def test_m2m_additions_are_history_too(org):
    org.group_a.assigned_units.add(org.county_b)
    entries = history_for(org.group_a)
    assert any(e.action == "加入" for e in entries)


def test_role_grant_needs_an_administrator(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        role_assign(actor=org.above, user=org.inside, role="official", scope=org.county_a)
    grant = role_assign(actor=org.admin, user=org.inside, role="official", scope=org.county_a)
    assert grant.scope == org.county_a


def test_unit_create_places_child_under_parent_and_checks_rights(org):
    from django.core.exceptions import PermissionDenied

    unit = unit_create(
        actor=org.inside,
        parent=org.county_a,
        code="A-NEW",
        name="甲县新局",
        level="county",
        kind="department",
    )
    assert unit.path.startswith(org.county_a.path)
    with pytest.raises(PermissionDenied):
        unit_create(
            actor=org.outsider,
            parent=org.county_a,
            code="A-NEW2",
            name="越权",
            level="county",
            kind="department",
        )


def test_link_history_names_the_linked_unit_in_chinese(org):
    org.group_a.assigned_units.add(org.county_b)
    entry = next(e for e in history_for(org.group_a) if e.action == "加入")
    assert entry.model == "督查组联系单位"
    assert entry.object_label in {"甲县", "乙县"}
    assert "乙县" in {e.object_label for e in history_for(org.group_a) if e.action == "加入"}


def test_superuser_leading_a_group_has_it_as_supervised(org):
    from accounts.jurisdiction import jurisdiction_for

    assert jurisdiction_for(org.superuser).supervised_roots == (org.county_a.path,)


def test_membership_history_names_the_person(org):
    membership_add(actor=None, user=org.outsider, unit=org.county_a, post="staff")
    labels = {e.object_label for e in history_for(org.county_a) if e.model == "任职"}
    assert "乙县联络员" in labels
