"""The honor roll admin is for inspection, scoped like the pages: drafts are the office's,
nothing is decided there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaign.tests.factories import CampaignFactory

from ..honor import honor_submission_decide
from ..models import HonorRoll, HonorRollStatus, HonorSubmission, HonorSubmissionStatus
from .test_honor_services import Honor, make_honor

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(org: Any) -> Honor:
    return make_honor(org)


def test_drafts_are_the_offices_and_nothing_is_decided_here(client: Client, h: Honor) -> None:
    """GIVEN May's draft roll, April's published one and a draft of the province's campaign
    WHEN the city administrator (an office) opens the admin THEN it sees the city's two,
    not the province's, and a posted change is refused; the campaign office has no
    assessments admin at all."""
    draft = h.submit().roll
    april = h.published(month=draft.month.replace(month=4))
    org = h.org
    province = HonorRoll.objects.create(
        campaign=CampaignFactory(owner_unit=org.province), month=draft.month
    )
    changelist = reverse("admin:assessments_honorroll_changelist")
    client.force_login(org.admin)
    assert set(client.get(changelist).context["cl"].queryset) == {draft, april}
    outside = reverse("admin:assessments_honorroll_change", args=[province.pk])
    assert client.get(outside).status_code == 302  # not found for them: back to the index
    change = reverse("admin:assessments_honorroll_change", args=[draft.pk])
    client.force_login(org.above)
    assert client.get(changelist).status_code in (302, 403)  # not staff, or no permission
    client.force_login(org.admin)
    page = client.get(change)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert "信访积案清仓见底" in page.content.decode()
    refused = client.post(change, {"status": HonorRollStatus.PUBLISHED})
    assert refused.status_code == 403
    assert HonorRoll.objects.get(pk=draft.pk).status == HonorRollStatus.DRAFT
    submission = HonorSubmission.objects.get(roll=draft)
    honor_submission_decide(submission=submission, actor=h.office, selected=False)
    assert (
        HonorSubmission.objects.get(pk=submission.pk).status == HonorSubmissionStatus.NOT_SELECTED
    )
