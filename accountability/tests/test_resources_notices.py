"""Permission tests of the notices pages and API, declared with :mod:`tests.resources`.

Every notice action (draft, approve, issue, sign for, reply, accept, return, escalate) is
tried through its page and its API by every kind of persona, and asked of its rule by
``tests/test_action_parity.py``. Notices of 甲县 are issued in supervision group A's name
(the ``supervisor`` is in it, the superuser leads it); notices of 乙县 in the city office's.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import Unit
from tests.resources import ResourceTests, Write, url

from .. import rules
from ..models import Notice, NoticeKind, NoticeStatus
from .factories import make_notice, pdf

ISSUERS = ("above", "supervisor", "admin", "superuser")
TARGET = ("inside", "superuser")
NOT_TARGET = ("above", "supervisor", "official", "assessor", "admin")
NOT_ISSUER = ("inside", "official", "assessor")


def _in(state: str, kind: str = NoticeKind.REMINDER) -> Any:
    def make(org: Any, unit: Unit) -> Notice:
        return make_notice(org, unit, state, kind=kind)

    return make


def _status_is(status: str) -> Any:
    return lambda n: Notice.objects.filter(pk=n.pk, status=status).exists()


def _simple(name: str, route: str, status: str, **fields: Any) -> Write:
    """An action without input: the page's POST and the API's, done when the notice is in
    ``status``."""
    return Write(
        name,
        page=lambda n: (url(f"accountability:notice-{route}", n), {}),
        api=lambda n: ("post", url(f"api:notice-{route}", n), {}),
        done=_status_is(status),
        **fields,
    )


def _drafted(n: Notice) -> str:
    return f"{n.subject_title}·另起"


def _draft_page(n: Notice) -> tuple[str, dict[str, Any]]:
    target = f"{reverse('accountability:notice-draft')}?unit={n.target_unit_id}"
    return target, {
        "kind": NoticeKind.REMINDER,
        "group": n.group_id or "",
        "subject_title": _drafted(n),
        "facts": "台账更新不及时",
        "requirements": "三日内补报",
        "reply_deadline": "2022-06-20",
    }


def _draft_api(n: Notice) -> tuple[str, str, dict[str, Any]]:
    _target, form = _draft_page(n)
    payload = {**form, "target_unit": n.target_unit_id, "campaign": n.campaign_id}
    if not n.group_id:
        payload.pop("group")
    return "post", reverse("api:notice-list"), payload


class TestNotices(ResourceTests):
    page_list, page_detail = "accountability:notice-list", "accountability:notice-detail"
    api_list, api_detail = "api:notice-list", "api:notice-detail"
    read_personas = ("outsider", "inside", "above", "supervisor", "official", "assessor", "admin")
    # No one reads a draft but its issuers: each write names who sees it and is refused.
    readers = ()
    managers = ISSUERS

    def make(self, org: Any, unit: Unit) -> Notice:
        return make_notice(org, unit, NoticeStatus.ISSUED)

    def shown_in_page(self, obj: Notice) -> str:
        return obj.subject_title

    writes = [
        Write(
            "draft a notice",
            on_object=False,
            page=_draft_page,
            api=_draft_api,
            done=lambda n: Notice.objects.filter(subject_title=_drafted(n)).exists(),
            rule=lambda user, n: rules.can_draft_notice(user, n.target_unit, n.group),
            refused=("inside",),
        ),
        _simple(
            "approve a notice",
            "approve",
            NoticeStatus.APPROVED,
            make=_in(NoticeStatus.DRAFT, NoticeKind.SUPERVISION),
            rule=rules.can_approve_notice,
            allowed=("superuser",),  # group A's leader
            refused=("above", "supervisor", "admin"),
        ),
        _simple(
            "issue a notice",
            "issue",
            NoticeStatus.ISSUED,
            make=_in(NoticeStatus.APPROVED, NoticeKind.SUPERVISION),
            rule=rules.can_issue_notice,
        ),
        _simple(
            "sign for a notice",
            "sign-for",
            NoticeStatus.SIGNED_FOR,
            rule=rules.can_sign_for_notice,
            allowed=TARGET,
            refused=NOT_TARGET,
        ),
        Write(
            "reply to a notice",
            page=lambda n: (
                url("accountability:notice-reply", n),
                {"text": "已完成整改", "evidence": pdf()},
            ),
            api=lambda n: (
                "post",
                url("api:notice-reply", n),
                {"text": "已完成整改", "files": [pdf()]},
            ),
            api_format="multipart",
            done=_status_is(NoticeStatus.REPLIED),
            make=_in(NoticeStatus.SIGNED_FOR),
            rule=rules.can_reply_notice,
            allowed=TARGET,
            refused=NOT_TARGET,
        ),
        _simple(
            "accept a reply",
            "accept",
            NoticeStatus.CLOSED,
            make=_in(NoticeStatus.REPLIED),
            rule=rules.can_accept_notice,
            refused=NOT_ISSUER,
        ),
        Write(
            "return a reply",
            page=lambda n: (url("accountability:notice-return", n), {"reason": "佐证材料不全"}),
            api=lambda n: ("post", url("api:notice-return", n), {"reason": "佐证材料不全"}),
            done=_status_is(NoticeStatus.RETURNED),
            make=_in(NoticeStatus.REPLIED),
            rule=rules.can_return_notice,
            refused=NOT_ISSUER,
        ),
        Write(
            "escalate a notice",
            page=lambda n: (
                url("accountability:notice-escalate", n),
                {"reply_deadline": "2022-06-20"},
            ),
            api=lambda n: (
                "post",
                url("api:notice-escalate", n),
                {"reply_deadline": "2022-06-20"},
            ),
            done=lambda n: Notice.objects.filter(escalated_from=n).exists(),
            rule=rules.can_escalate_notice,
            refused=NOT_ISSUER,
        ),
    ]
