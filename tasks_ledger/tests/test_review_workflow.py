"""Lights change only through review: progress, sign-off and status requests wait for the
campaign office; what a unit says about itself moves nothing until then."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks_ledger import selectors, services
from tasks_ledger.models import (
    ItemStatus,
    LedgerItem,
    Light,
    LightPolicy,
    ProgressReport,
    ReviewStatus,
    StatusChange,
    StatusChangeRequest,
)
from tasks_ledger.tests.factories import make_item, make_ledger

TODAY = dt.date(2022, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign)


@pytest.fixture
def red(org, ledger):
    """An item of 甲县 whose deadline has passed (red on TODAY)."""
    return make_item(ledger, org.county_a, start=dt.date(2022, 1, 1), deadline=dt.date(2022, 5, 1))


def light(org, item: LedgerItem) -> str:
    return selectors.ledger_items(user=org.superuser, today=TODAY).get(pk=item.pk).light


def report(org, item: LedgerItem, percent: int, **kwargs) -> ProgressReport:
    item.refresh_from_db()
    return services.ledger_item_report_progress(
        item=item,
        reporter=kwargs.pop("reporter", org.inside),
        percent=percent,
        text=kwargs.pop("text", f"完成{percent}%"),
        expected_version=item.version,
        **kwargs,
    )


def test_a_pending_report_moves_nothing_until_accepted(org, red):
    """GIVEN a red item WHEN its unit reports 100 % THEN it stays red at 0 % with the figure
    shown as pending; WHEN the office accepts THEN it is completed and green."""
    first = report(org, red, 100, text="全部完工")
    red.refresh_from_db()
    assert (red.progress, red.status, red.pending_progress) == (0, ItemStatus.NOT_STARTED, 100)
    assert red.latest_report == "" and light(org, red) == Light.RED
    assert selectors.ledger_light_counts(user=org.inside)["red"] == 1
    services.progress_report_accept(report=first, reviewer=org.above)
    red.refresh_from_db()
    assert (red.progress, red.status, red.pending_progress) == (100, ItemStatus.COMPLETED, None)
    assert red.latest_report == "全部完工" and light(org, red) == Light.GREEN


def test_a_returned_report_never_moved_the_item(org, red):
    accepted = report(org, red, 40)
    services.progress_report_accept(report=accepted, reviewer=org.above)
    pending = report(org, red, 90)
    red.refresh_from_db()
    assert (red.progress, red.pending_progress) == (40, 90)
    services.progress_report_return(report=pending, reviewer=org.above, reason="数据不实")
    red.refresh_from_db()
    assert (red.progress, red.pending_progress, red.status) == (40, None, ItemStatus.IN_PROGRESS)


def test_an_older_report_accepted_late_does_not_override_a_newer_one(org, red):
    older, newer = report(org, red, 30), report(org, red, 60)
    red.refresh_from_db()
    assert red.pending_progress == 60  # the newest waiting figure is shown
    services.progress_report_accept(report=newer, reviewer=org.above)
    red.refresh_from_db()
    assert (red.progress, red.pending_progress) == (60, 30)
    services.progress_report_accept(report=older, reviewer=org.above)
    red.refresh_from_db()
    assert (red.progress, red.pending_progress) == (60, None)


def test_lowering_progress_needs_a_reason(org, red):
    services.progress_report_accept(report=report(org, red, 60), reviewer=org.above)
    with pytest.raises(ValidationError) as refused:
        report(org, red, 10)
    assert "lower_reason" in refused.value.message_dict
    lowered = report(org, red, 10, lower_reason="部分工程返工")
    assert (lowered.previous_percent, lowered.lower_reason) == (60, "部分工程返工")


def test_an_office_may_switch_review_off(org, ledger, red):
    LightPolicy.objects.create(campaign=org.campaign, review_progress=False)
    made = report(org, red, 100)
    red.refresh_from_db()
    assert made.review_status == ReviewStatus.ACCEPTED
    assert (red.progress, red.status, red.pending_progress) == (100, ItemStatus.COMPLETED, None)
    assert light(org, red) == Light.GREEN


def test_only_the_office_reviews(org, red):
    made = report(org, red, 50)
    for user in (org.inside, org.official, org.supervisor, org.outsider):
        with pytest.raises(PermissionDenied):
            services.progress_report_accept(report=made, reviewer=user)
    red.refresh_from_db()
    assert red.progress == 0


@pytest.mark.parametrize(
    ("change", "status"),
    [(StatusChange.SUSPEND, ItemStatus.SUSPENDED), (StatusChange.CANCEL, ItemStatus.CANCELLED)],
)
def test_suspension_and_cancellation_are_requests(org, red, change, status):
    """GIVEN a red item WHEN its unit asks to suspend or cancel it THEN it stays red until
    the office approves; then it shows no light; history keeps the request."""
    with pytest.raises(ValidationError):
        services.status_change_request_create(
            item=red, requester=org.inside, change=change, reason=""
        )
    asked = services.status_change_request_create(
        item=red, requester=org.inside, change=change, reason="上级调整"
    )
    assert light(org, red) == Light.RED
    with pytest.raises(ValidationError):  # one waiting request per item
        services.status_change_request_create(
            item=red, requester=org.inside, change=change, reason="再问"
        )
    with pytest.raises(PermissionDenied):
        services.status_change_approve(request=asked, approver=org.inside)
    services.status_change_approve(request=asked, approver=org.above)
    red.refresh_from_db()
    assert red.status == status and light(org, red) == Light.NONE
    with pytest.raises(ValidationError):
        services.status_change_approve(request=asked, approver=org.above)  # decided already


def test_a_suspended_item_resumes_where_it_stood(org, red):
    services.progress_report_accept(report=report(org, red, 40), reviewer=org.above)
    asked = services.status_change_request_create(
        item=red, requester=org.inside, change=StatusChange.SUSPEND, reason="暂缓"
    )
    services.status_change_approve(request=asked, approver=org.above)
    red.refresh_from_db()
    with pytest.raises(ValidationError):  # a suspended item takes no progress report
        report(org, red, 50)
    with pytest.raises(ValidationError):  # nor a second suspension
        services.status_change_request_create(
            item=red, requester=org.inside, change=StatusChange.SUSPEND, reason="x"
        )
    resume = services.status_change_request_create(
        item=red, requester=org.inside, change=StatusChange.RESUME, reason="恢复"
    )
    with pytest.raises(ValidationError):
        services.status_change_refuse(request=resume, approver=org.above, note="")
    services.status_change_approve(request=resume, approver=org.above)
    red.refresh_from_db()
    assert (red.status, red.progress) == (ItemStatus.IN_PROGRESS, 40)
    assert StatusChangeRequest.objects.filter(item=red).count() == 2


def test_a_unit_cannot_create_its_own_item_as_done(org, ledger):
    """A unit adding its own item cannot start it completed or with progress; the office
    (whose finding it is) and the system (seeding) can."""
    for fields in ({"status": ItemStatus.COMPLETED}, {"progress": 50}):
        with pytest.raises(ValidationError):
            services.ledger_item_create(
                actor=org.inside,
                ledger=ledger,
                unit=org.county_a,
                title="自报完成",
                start_date=dt.date(2022, 3, 1),
                deadline=dt.date(2022, 6, 30),
                **fields,
            )
    done = services.ledger_item_create(
        actor=org.above,
        ledger=ledger,
        unit=org.county_a,
        title="办公室核定完成",
        start_date=dt.date(2022, 3, 1),
        deadline=dt.date(2022, 6, 30),
        status=ItemStatus.COMPLETED,
        progress=100,
    )
    assert done.status == ItemStatus.COMPLETED


@pytest.mark.parametrize("bad", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_dates_lie_within_the_campaign(org, ledger, red, bad):
    with pytest.raises(ValidationError) as refused:
        services.ledger_item_create(
            actor=org.inside,
            ledger=ledger,
            unit=org.county_a,
            title="日期错误",
            start_date=dt.date(2022, 3, 1),
            deadline=bad,
        )
    assert "deadline" in refused.value.message_dict
    if bad.year > 2022:
        with pytest.raises(ValidationError) as refused:
            services.extension_request_create(
                item=red, requester=org.inside, reason="延期", new_deadline=bad, today=TODAY
            )
    assert LedgerItem.objects.filter(title="日期错误").count() == 0


def test_free_text_has_caps(org, red):
    red.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        report(org, red, 10, text="字" * 200_000)
    assert "text" in refused.value.message_dict
    assert not ProgressReport.objects.exists()
    with pytest.raises(ValidationError):
        services.ledger_item_update(
            actor=org.inside, item=red, expected_version=red.version, measures="措" * 6000
        )


def test_meetings_are_recorded_by_the_office_only(org, ledger):
    for user in (org.inside, org.official, org.supervisor):
        with pytest.raises(PermissionDenied):
            services.meeting_create(
                actor=user,
                campaign=org.campaign,
                kind="dispatch",
                title="调度会",
                date=TODAY,
                host_unit=org.county_a,
                chair=org.inside,
            )


def test_a_constraint_refusal_reads_as_a_sentence(org, red):
    """Moving a signed-off item back reads as a sentence, not the constraint's name."""
    asked = services.signoff_request_create(
        item=red, requester=org.inside, note="完成", files=[pdf()], expected_version=red.version
    )
    services.signoff_approve(request=asked, verifier=org.above)
    red.refresh_from_db()
    red.status = ItemStatus.IN_PROGRESS
    with pytest.raises(ValidationError) as refused:
        red.full_clean()
    assert "item_signed_off_has_time" not in str(refused.value)
    assert "销号" in " ".join(refused.value.messages)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_the_same_moment_read_as_a_sentence(org, red):
    """GIVEN two people asking to extend one item at the same moment (the first one's row
    written but not yet committed, so the second one's check sees nothing) WHEN the second
    writes THEN the unique constraint stops it, and it reads as a sentence."""
    import threading

    from django.db import connection, transaction

    from tasks_ledger.models import ExtensionRequest

    first_written, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                services.extension_request_create(
                    item=red,
                    requester=org.inside,
                    reason="汛期",
                    new_deadline=dt.date(2022, 8, 1),
                    today=dt.date(2022, 4, 1),
                )
                first_written.set()
                second_done.wait(timeout=2)  # the second blocks on the index meanwhile
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_written.wait(timeout=10)
    with pytest.raises(ValidationError) as refused:
        services.extension_request_create(
            item=red,
            requester=org.above,
            reason="同时申请",
            new_deadline=dt.date(2022, 9, 1),
            today=dt.date(2022, 4, 1),
        )
    second_done.set()
    thread.join(timeout=10)
    assert not errors
    assert "延期申请" in refused.value.messages[0]
    assert ExtensionRequest.objects.filter(item=red).count() == 1


def test_reports_decided_out_of_order_never_lower_without_a_reason(org, red):
    """GIVEN 40 % accepted, then 60 % and a correction to 50 % waiting WHEN the office
    accepts 60 % first THEN accepting the 50 % is refused (it would now lower the figure
    without a reason) and the item keeps 60 %."""
    services.progress_report_accept(report=report(org, red, 40), reviewer=org.above)
    high, correction = report(org, red, 60), report(org, red, 50, text="更正：上次多报")
    services.progress_report_accept(report=high, reviewer=org.above)
    with pytest.raises(ValidationError) as refused:
        services.progress_report_accept(report=correction, reviewer=org.above)
    assert "60%" in refused.value.messages[0]
    red.refresh_from_db()
    correction.refresh_from_db()
    assert red.progress == 60 and correction.review_status == ReviewStatus.PENDING


def test_verifying_a_sign_off_closes_what_still_waits(org, red):
    """GIVEN a waiting report, cancellation and sign-off on one item WHEN the sign-off is
    verified THEN the report is returned and the cancellation refused with the reason, and
    the item carries no pending mark."""
    waiting = report(org, red, 100)
    cancel = services.status_change_request_create(
        item=red, requester=org.inside, change=StatusChange.CANCEL, reason="取消"
    )
    red.refresh_from_db()
    asked = services.signoff_request_create(
        item=red, requester=org.inside, note="完成", files=[pdf()], expected_version=red.version
    )
    services.signoff_approve(request=asked, verifier=org.above)
    waiting.refresh_from_db()
    cancel.refresh_from_db()
    red.refresh_from_db()
    assert waiting.review_status == ReviewStatus.RETURNED and "销号" in waiting.return_reason
    assert cancel.status == "refused" and "销号" in cancel.decision_note
    assert (red.status, red.pending_progress, red.signoff_pending) == (
        ItemStatus.SIGNED_OFF,
        None,
        False,
    )
    assert not selectors.report_queue(user=org.above).filter(item=red).exists()


def test_a_unit_leading_its_own_townships_does_not_verify_them(org, ledger):
    """GIVEN a township item on a chain led by its county WHEN the township asks for
    sign-off THEN the county's liaison (who reports for the township) may not verify it;
    the office may."""
    from accounts.models import Post
    from accounts.tests.factories import MembershipFactory, UserFactory
    from campaign.services import chain_create
    from tasks_ledger import rules

    people = {}
    for post in (Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE):
        people[post] = UserFactory()
        MembershipFactory(user=people[post], unit=org.county_a, post=post)
    chain = chain_create(
        actor=None,
        subject="镇级任务",
        unit=org.county_a,
        campaign=org.campaign,
        principal_leader=people[Post.PRINCIPAL_LEADER],
        leader_in_charge=people[Post.LEADER_IN_CHARGE],
        lead_department=org.county_a,
        responsible_person=org.inside,
    )
    item = make_item(ledger, org.township_a, chain=chain)
    township = UserFactory()
    MembershipFactory(user=township, unit=org.township_a, post=Post.LIAISON)
    asked = services.signoff_request_create(
        item=item, requester=township, note="完成", files=[pdf()], expected_version=item.version
    )
    assert not rules.can_verify_signoff(org.inside, asked)
    assert rules.can_verify_signoff(org.above, asked)
