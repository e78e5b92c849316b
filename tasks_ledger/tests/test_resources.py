"""The ledger's resources, declared for the generic permission cases of ``tests/resources.py``.

Each class names its URLs, a factory making one object in a given unit, and its writes (by
page and by API, how to tell they happened, the rule deciding them and who may do them);
the cases come from :class:`tests.resources.ResourceTests`. ``tests/test_action_parity.py``
asks every write declared here of the rule, the page and the API for every persona.

Records about an item (progress reports, sign-off, extension and status-change requests)
are listed on their item's page and, in the API, by ``?item=<id>``; they open on the item's
page and, in the API, at their own detail.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any
from urllib.parse import urlsplit

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from accounts.models import Membership, Post, Unit, User
from campaign.models import ResponsibilityChain
from campaign.tests.builders import add_chain
from tasks_ledger import rules, services
from tasks_ledger.models import (
    ExtensionRequest,
    ExtensionStatus,
    ImportJob,
    Ledger,
    LedgerItem,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
    StatusChangeRequest,
)
from tasks_ledger.tests.factories import make_item, make_ledger
from tests.resources import SEES, ResourceTests, Write, url

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_numbers = itertools.count(1)


# --- builders ----------------------------------------------------------------------------------


def pdf() -> SimpleUploadedFile:
    """A small real PDF as evidence (a new file object for every upload)."""
    return SimpleUploadedFile("验收材料.pdf", PDF, content_type="application/pdf")


def member_of(org: Any, unit: Unit) -> User:
    """Someone of ``unit`` who asks for things on its items: its liaison."""
    return {org.county_a.pk: org.inside, org.county_b.pk: org.outsider}.get(unit.pk) or (
        org.superuser
    )


def city_ledger(org: Any) -> Ledger:
    """The city's key-task ledger (owned by the campaign's unit)."""
    return Ledger.objects.filter(campaign=org.campaign, title="重点任务台账").first() or (
        make_ledger(org.campaign)
    )


DEPT_LEDGER = "市发改委重点项目台账"


def dept_ledger(org: Any) -> Ledger:
    """A ledger owned by 市发改委, which adds items for the counties it leads."""
    return Ledger.objects.filter(campaign=org.campaign, title=DEPT_LEDGER).first() or (
        make_ledger(org.campaign, title=DEPT_LEDGER, owner=org.city_dept)
    )


def city_dept_chain(org: Any) -> ResponsibilityChain:
    """A chain of the city led by 市发改委: the department verifies its items' sign-off."""
    subject = "重点项目攻坚"
    return ResponsibilityChain.objects.filter(subject=subject).first() or add_chain(
        subject=subject, unit=org.city, lead=org.city_dept, campaign=org.campaign
    )


def new_item(org: Any, unit: Unit, **fields: Any) -> LedgerItem:
    """An item of ``unit`` in the city's ledger, due at the end of June, titled uniquely."""
    fields.setdefault("title", f"{unit.name}任务{next(_numbers)}号")
    return make_item(city_ledger(org), unit, **fields)


def new_report(org: Any, unit: Unit) -> ProgressReport:
    item = new_item(org, unit)
    return services.ledger_item_report_progress(
        item=item,
        reporter=member_of(org, unit),
        percent=40,
        text=f"{item.title}已完成四成",
        expected_version=item.version,
    )


def new_signoff(org: Any, unit: Unit, requester: User | None = None) -> SignOffRequest:
    """A sign-off request on an item whose chain 市发改委 leads."""
    item = new_item(org, unit, chain=city_dept_chain(org))
    return services.signoff_request_create(
        item=item,
        requester=requester or member_of(org, unit),
        note=f"{item.title}全部完成",
        files=[pdf()],
        expected_version=item.version,
    )


def new_signoff_by_the_office(org: Any, unit: Unit) -> SignOffRequest:
    return new_signoff(org, unit, requester=org.above)


def new_extension(org: Any, unit: Unit) -> ExtensionRequest:
    item = new_item(org, unit)
    return services.extension_request_create(
        item=item,
        requester=member_of(org, unit),
        reason=f"{item.title}汛期停工",
        new_deadline=dt.date(2022, 9, 30),
    )


def new_status_request(org: Any, unit: Unit) -> StatusChangeRequest:
    item = new_item(org, unit)
    return services.status_change_request_create(
        item=item,
        requester=member_of(org, unit),
        change="suspend",
        reason=f"{item.title}规划调整",
    )


def new_meeting(org: Any, unit: Unit) -> ReviewMeeting:
    """A promotion meeting hosted by ``unit``, attended by it."""
    return services.meeting_create(
        actor=None,
        campaign=org.campaign,
        kind="promotion",
        title=f"{unit.name}第{next(_numbers)}次推进会",
        date=dt.date(2022, 5, 30),
        host_unit=unit,
        chair=member_of(org, unit),
        attending_units=[unit],
    )


# --- the Excel import: how a page adds or changes items ---------------------------------------
HEADER = ["序号", "事项", "责任单位", "开始时间", "完成时限"]


def _workbook(rows: list[list[Any]]) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet: Any = workbook.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return SimpleUploadedFile("台账.xlsx", data.getvalue())


def import_rows_api(ledger_of: Any, rows_of: Any) -> Any:
    """An API flow: upload a workbook of ``rows_of(obj)`` into ``ledger_of(obj)``, take 序号
    as the ledger's item numbers, then apply. Answers with the last response."""

    def flow(api: APIClient, obj: Any) -> Any:
        upload = _workbook(rows_of(obj))
        response = api.post(
            reverse("api:import-list"),
            {"ledger": ledger_of(obj).pk, "file": upload},
            format="multipart",
        )
        if response.status_code != 201:
            return response
        job = reverse("api:import-detail", args=[response.json()["id"]])
        response = api.patch(job, {"numbering": "item"}, format="json")
        if response.status_code != 200:
            return response
        return api.post(reverse("api:import-apply", args=[response.json()["id"]]))

    return flow


def import_rows(ledger_of: Any, rows_of: Any) -> Any:
    """A page flow: upload a workbook of ``rows_of(obj)`` into ``ledger_of(obj)``, then apply
    the preview if the upload made one. Answers with the last response."""

    def flow(client: Client, obj: Any) -> Any:
        upload = _workbook(rows_of(obj))
        response = client.post(
            reverse("ledger:import"), {"ledger": ledger_of(obj).pk, "file": upload}
        )
        if response.status_code != 302:
            return response
        match = resolve(urlsplit(response["Location"]).path)
        if match.url_name != "import-job":
            return response  # e.g. to the login page
        job = ImportJob.objects.get(pk=match.kwargs["pk"])
        # The mapping step as the clerk posts it: every column as suggested, 序号 taken as
        # the ledger's item numbers.
        choices = {f"col{c['index']}": c["field"] or "" for c in job.columns}
        choices.update(numbering="item", duplicates=job.duplicates)
        client.post(reverse("ledger:import-mapping", args=[job.pk]), choices)
        return client.post(reverse("ledger:import-apply", args=[job.pk]))

    return flow


def _new_title(obj: LedgerItem) -> str:
    return f"{obj.title}·新增"


def _edited_title(obj: LedgerItem) -> str:
    return f"{obj.title}（改）"


def _new_row(item: LedgerItem) -> list[list[Any]]:
    return [["", _new_title(item), item.unit.name, "2022-06-01", "2022-08-31"]]


def _edited_row(item: LedgerItem) -> list[list[Any]]:
    return [[item.code, _edited_title(item), item.unit.name, "2022-03-01", "2022-06-30"]]


def _add_item(name: str, ledger_of: Any) -> Write:
    """Add an item of the context item's unit to a ledger, by import and by API."""
    return Write(
        name,
        on_object=False,
        page_flow=import_rows(
            ledger_of,
            lambda item: [["", _new_title(item), item.unit.name, "2022-06-01", "2022-08-31"]],
        ),
        api=lambda item: (
            "post",
            url("api:ledger-item-list"),
            {
                "ledger": ledger_of(item).pk,
                "unit": item.unit.pk,
                "title": _new_title(item),
                "start_date": "2022-06-01",
                "deadline": "2022-08-31",
            },
        ),
        done=lambda item: LedgerItem.objects.filter(title=_new_title(item)).exists(),
        rule=lambda user, item: rules.can_create_item(user, ledger_of(item), item.unit),
    )


def _city_ledger_of(item: LedgerItem) -> Ledger:
    return item.ledger


def _dept_ledger_of(item: LedgerItem) -> Ledger:
    return Ledger.objects.get(campaign=item.ledger.campaign, title=DEPT_LEDGER)


# --- ledger items ------------------------------------------------------------------------------


class TestLedgerItems(ResourceTests):
    page_list, page_detail = "ledger:item-list", "ledger:item-detail"
    api_list, api_detail = "api:ledger-item-list", "api:ledger-item-detail"
    # Every persona, for reads and for reporting progress: the matrix once written by hand.
    read_personas = tuple(SEES)
    readers = ("official", "supervisor", "assessor")

    def make(self, org: Any, unit: Unit) -> LedgerItem:
        dept_ledger(org)  # for the write that adds to it
        return new_item(org, unit)

    def shown_in_page(self, obj: LedgerItem) -> str:
        return obj.title

    writes = [
        Write(
            "report progress",
            page=lambda item: (
                url("ledger:item-progress", item),
                {"percent": 30, "text": "完成三成", "version": item.version},
            ),
            api=lambda item: (
                "post",
                url("api:ledger-item-progress", item),
                {"percent": 30, "text": "完成三成", "version": item.version},
            ),
            done=lambda item: ProgressReport.objects.filter(item=item).exists(),
            rule=rules.can_update_item,
            allowed=("inside", "above", "admin", "superuser"),
        ),
        Write(
            "request sign-off",
            page=lambda item: (
                url("ledger:item-signoff", item),
                {"note": "全部完成", "version": item.version, "evidence": pdf()},
            ),
            api=lambda item: (
                "post",
                url("api:ledger-item-signoff", item),
                {"note": "全部完成", "version": item.version, "files": [pdf()]},
            ),
            api_format="multipart",
            done=lambda item: SignOffRequest.objects.filter(item=item).exists(),
            rule=rules.can_update_item,
        ),
        Write(
            "request extension",
            page=lambda item: (
                url("ledger:item-extension", item),
                {"new_deadline": "2022-09-30", "reason": "汛期停工"},
            ),
            api=lambda item: (
                "post",
                url("api:ledger-item-extension", item),
                {"new_deadline": "2022-09-30", "reason": "汛期停工"},
            ),
            done=lambda item: ExtensionRequest.objects.filter(item=item).exists(),
            rule=rules.can_update_item,
        ),
        Write(
            "request status change",
            page=lambda item: (
                url("ledger:item-status-request", item),
                {"change": "suspend", "reason": "规划调整"},
            ),
            api=lambda item: (
                "post",
                url("api:ledger-item-status-request", item),
                {"change": "suspend", "reason": "规划调整"},
            ),
            done=lambda item: StatusChangeRequest.objects.filter(item=item).exists(),
            rule=rules.can_update_item,
        ),
        Write(
            "edit an item",
            # The page changes an item's fields through the Excel import (a row with its
            # number); the API through PATCH.
            page_flow=import_rows(
                _city_ledger_of,
                lambda item: [
                    [item.code, _edited_title(item), item.unit.name, "2022-03-01", "2022-06-30"]
                ],
            ),
            api=lambda item: (
                "patch",
                url("api:ledger-item-detail", item),
                {"title": _edited_title(item), "version": item.version},
            ),
            done=lambda item: LedgerItem.objects.filter(
                pk=item.pk, title=_edited_title(item)
            ).exists(),
            rule=rules.can_update_item,
        ),
        _add_item("add an item", _city_ledger_of),
        # A department's ledger: its owner may add items of any unit (rules.can_create_item).
        _add_item("add an item to a department's ledger", _dept_ledger_of),
        # The Excel import, through the page and through the API's import steps.
        Write(
            "import a new item",
            on_object=False,
            page_flow=import_rows(_city_ledger_of, _new_row),
            api_flow=import_rows_api(_city_ledger_of, _new_row),
            done=lambda item: LedgerItem.objects.filter(title=_new_title(item)).exists(),
            rule=lambda user, item: rules.can_create_item(user, item.ledger, item.unit),
        ),
        Write(
            "import an edit of an item",
            page_flow=import_rows(_city_ledger_of, _edited_row),
            api_flow=import_rows_api(_city_ledger_of, _edited_row),
            done=lambda item: LedgerItem.objects.filter(
                pk=item.pk, title=_edited_title(item)
            ).exists(),
            rule=rules.can_update_item,
        ),
    ]


# --- records about an item ---------------------------------------------------------------------


class ItemRecordTests(ResourceTests):
    """Records listed on their item's page and in the API by ``?item=``."""

    def page_list_url(self, obj: Any) -> str:
        return url("ledger:item-detail", obj.item)

    def page_detail_url(self, obj: Any) -> str:
        return url("ledger:item-detail", obj.item)

    def api_list_url(self, obj: Any) -> str:
        return f"{reverse(self.api_list or '')}?item={obj.item_id}"


def _decision(
    name: str,
    route: str,
    *,
    api: str,
    outcome: dict[str, str],
    page_data: dict[str, Any] | None = None,
    api_data: dict[str, Any] | None = None,
    rule: Any = None,
    **fields: Any,
) -> Write:
    """A decision on a record of an item: the page ``ledger:<route>``, the API
    ``api:<api>``; done when the record reads ``outcome``. By default the office's decision
    (rules.can_review_item), which the unit sees but may not take."""
    fields.setdefault("allowed", ("above",))
    fields.setdefault("refused", ("inside",))
    return Write(
        name,
        page=lambda obj: (url(f"ledger:{route}", obj), page_data or {}),
        api=lambda obj: ("post", url(f"api:{api}", obj), api_data or page_data or {}),
        done=lambda obj: type(obj).objects.filter(pk=obj.pk, **outcome).exists(),
        rule=rule or (lambda user, obj: rules.can_review_item(user, obj.item)),
        **fields,
    )


ACCEPTED = {"review_status": ReviewStatus.ACCEPTED}
RETURNED = {"review_status": ReviewStatus.RETURNED}


class TestProgressReports(ItemRecordTests):
    api_list, api_detail = "api:progress-report-list", "api:progress-report-detail"

    def make(self, org: Any, unit: Unit) -> ProgressReport:
        return new_report(org, unit)

    def shown_in_page(self, obj: ProgressReport) -> str:
        return obj.text

    writes = [
        _decision(
            "accept a report", "report-accept", api="progress-report-accept", outcome=ACCEPTED
        ),
        _decision(
            "return a report",
            "report-return",
            api="progress-report-return",
            outcome=RETURNED,
            page_data={"reason": "照片不清"},
        ),
    ]


class TestSignOffRequests(ItemRecordTests):
    api_list, api_detail = "api:signoff-request-list", "api:signoff-request-detail"

    def make(self, org: Any, unit: Unit) -> SignOffRequest:
        return new_signoff(org, unit)

    def shown_in_page(self, obj: SignOffRequest) -> str:
        return obj.note

    # Asked for by the unit's liaison: the office (or 市发改委, which leads the item's
    # chain) verifies, the unit does not. Asked for by the office itself: never verified by
    # the one who asked.
    writes = [
        _decision(
            "verify a sign-off",
            "signoff-approve",
            api="signoff-request-approve",
            outcome={"status": ReviewStatus.ACCEPTED},
            rule=rules.can_verify_signoff,
        ),
        _decision(
            "return a sign-off",
            "signoff-return",
            api="signoff-request-return",
            outcome={"status": ReviewStatus.RETURNED},
            page_data={"reason": "材料不全"},
            rule=rules.can_verify_signoff,
        ),
        _decision(
            "verify a sign-off the office asked for",
            "signoff-approve",
            api="signoff-request-approve",
            outcome={"status": ReviewStatus.ACCEPTED},
            rule=rules.can_verify_signoff,
            make=new_signoff_by_the_office,
            allowed=("admin",),
            refused=("above", "inside"),
        ),
    ]


class TestExtensionRequests(ItemRecordTests):
    api_list, api_detail = "api:extension-request-list", "api:extension-request-detail"

    def make(self, org: Any, unit: Unit) -> ExtensionRequest:
        return new_extension(org, unit)

    def shown_in_page(self, obj: ExtensionRequest) -> str:
        return obj.reason

    writes = [
        _decision(
            "approve an extension",
            "extension-approve",
            api="extension-request-approve",
            outcome={"status": ExtensionStatus.APPROVED},
        ),
        _decision(
            "refuse an extension",
            "extension-refuse",
            api="extension-request-refuse",
            outcome={"status": ExtensionStatus.REFUSED},
            page_data={"reason": "理由不足"},
            api_data={"note": "理由不足"},
        ),
    ]


class TestStatusChangeRequests(ItemRecordTests):
    api_list, api_detail = "api:status-request-list", "api:status-request-detail"

    def make(self, org: Any, unit: Unit) -> StatusChangeRequest:
        return new_status_request(org, unit)

    def shown_in_page(self, obj: StatusChangeRequest) -> str:
        return obj.reason

    writes = [
        _decision(
            "approve a status change",
            "status-request-approve",
            api="status-request-approve",
            outcome={"status": ExtensionStatus.APPROVED},
        ),
        _decision(
            "refuse a status change",
            "status-request-refuse",
            api="status-request-refuse",
            outcome={"status": ExtensionStatus.REFUSED},
            page_data={"reason": "不符合条件"},
            api_data={"note": "不符合条件"},
        ),
    ]


# --- review meetings ---------------------------------------------------------------------------


def _meeting_title(meeting: ReviewMeeting) -> str:
    return f"{meeting.title}·调度会"


def _chair(meeting: ReviewMeeting) -> User:
    """The city's principal leader chairs (someone every office of the city may name)."""
    owner = meeting.campaign.owner_unit
    return Membership.objects.get(unit=owner, post=Post.PRINCIPAL_LEADER).user


def _meeting_page(meeting: ReviewMeeting) -> tuple[str, dict[str, Any]]:
    unit = meeting.host_unit
    return url("ledger:meeting-create"), {
        "campaign": meeting.campaign_id,
        "date": "2022-06-01",
        "kind": "dispatch",
        "title": _meeting_title(meeting),
        "host_unit": meeting.campaign.owner_unit_id,
        "chair": _chair(meeting).pk,
        "attending_units": [unit.pk],
        "minutes": "听取进展汇报",
        "decisions-TOTAL_FORMS": "1",
        "decisions-INITIAL_FORMS": "0",
        "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "50",
        "decisions-0-ledger": Ledger.objects.get(
            campaign=meeting.campaign, title="重点任务台账"
        ).pk,
        "decisions-0-unit": unit.pk,
        "decisions-0-title": f"{_meeting_title(meeting)}议定事项",
        "decisions-0-deadline": "2022-06-30",
    }


def _meeting_api(meeting: ReviewMeeting) -> tuple[str, str, dict[str, Any]]:
    _target, form = _meeting_page(meeting)
    return (
        "post",
        url("api:meeting-list"),
        {
            "campaign": form["campaign"],
            "kind": form["kind"],
            "title": form["title"],
            "date": form["date"],
            "host_unit": form["host_unit"],
            "chair": form["chair"],
            "attending_units": form["attending_units"],
            "minutes": form["minutes"],
            "decisions": [
                {
                    "ledger": form["decisions-0-ledger"],
                    "unit": form["decisions-0-unit"],
                    "title": form["decisions-0-title"],
                    "deadline": form["decisions-0-deadline"],
                }
            ],
        },
    )


class TestReviewMeetings(ResourceTests):
    page_list, page_detail = "ledger:meeting-list", "ledger:meeting-detail"
    api_list, api_detail = "api:meeting-list", "api:meeting-detail"

    def make(self, org: Any, unit: Unit) -> ReviewMeeting:
        city_ledger(org)  # for the decisions of the meeting the writes record
        return new_meeting(org, unit)

    def shown_in_page(self, obj: ReviewMeeting) -> str:
        return obj.title

    writes = [
        # Hosted by the campaign's unit (the city), with one decision for the context
        # meeting's unit; the context meeting only names things.
        Write(
            "record a meeting",
            on_object=False,
            page=_meeting_page,
            api=_meeting_api,
            done=lambda m: ReviewMeeting.objects.filter(title=_meeting_title(m)).exists(),
            rule=lambda user, m: rules.can_record_meeting(user, m.campaign.owner_unit),
            allowed=("above",),
            refused=("inside",),
        ),
    ]
