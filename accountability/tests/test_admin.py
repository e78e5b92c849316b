"""The notice admin is for inspection, scoped by the jurisdiction and the notice rules."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accountability.models import Notice, NoticeKind

from .conftest import DEADLINE, Notices

pytestmark = pytest.mark.django_db


def _province_notice(notices: Notices) -> Notice:
    org = notices.org
    return Notice.objects.create(
        campaign=org.campaign,
        kind=NoticeKind.REMINDER,
        issuing_unit=org.province,
        target_unit=org.province,
        subject_title="省级事项",
        facts="事实",
        requirements="要求",
        reply_deadline=DEADLINE,
    )


def test_the_city_administrator_sees_its_notices_only_and_changes_none(
    notices: Notices, client: Client
) -> None:
    """GIVEN an issued reminder to 甲县 and a draft to the province WHEN the city's
    administrator opens the admin THEN it lists 甲县's notice, not the province's; the
    change page shows it but refuses a post; there is no add page."""
    org = notices.org
    ours, theirs = notices.issued(), _province_notice(notices)
    client.force_login(org.admin)  # the campaign office has no model rights in this app
    listing = client.get(reverse("admin:accountability_notice_changelist"))
    assert listing.status_code == 200
    shown = set(listing.context["cl"].queryset)
    assert ours in shown and theirs not in shown
    change = reverse("admin:accountability_notice_change", args=[ours.pk])
    page = client.get(change)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert "提示〔2022〕1号" in page.content.decode()
    assert client.post(change, {"facts": "改写"}).status_code == 403
    assert client.get(
        reverse("admin:accountability_notice_change", args=[theirs.pk])
    ).status_code in (302, 404)
    assert client.get(reverse("admin:accountability_notice_add")).status_code == 403
    ours.refresh_from_db()
    assert ours.facts != "改写"


def test_a_group_draft_stays_out_of_other_staff_lists(notices: Notices, client: Client) -> None:
    """A staff member of 甲县 (target side) does not see the group's draft before it is issued."""
    org = notices.org
    org.inside.is_staff = True
    org.inside.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    org.inside.user_permissions.add(Permission.objects.get(codename="view_notice"))
    draft = notices.draft()
    issued = notices.issued(item=notices.plain)
    client.force_login(org.inside)
    listing = client.get(reverse("admin:accountability_notice_changelist"))
    shown = set(listing.context["cl"].queryset)
    assert issued in shown and draft not in shown


def test_the_superuser_sees_every_notice(notices: Notices, client: Client) -> None:
    ours, theirs = notices.issued(), _province_notice(notices)
    client.force_login(notices.org.superuser)
    listing = client.get(reverse("admin:accountability_notice_changelist"))
    assert {ours, theirs} <= set(listing.context["cl"].queryset)
