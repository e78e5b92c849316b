"""The demo's supervision section: the report's 25 reminders, 18 supervision orders and 11
warnings with real lifecycles, four measures and one exemption, consistent with the demo
ledgers, so that the sweep on the as-of date finds only a handful to do.

Seeded once, pinned to 20 July 2026 (the ledgers' tests' date: 29 items are then more than
three days overdue).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from accountability import demo
from accountability.escalation import sweep
from accountability.models import (
    AccountabilityMeasure,
    Exemption,
    ExemptionStatus,
    MeasureKind,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from accounts.models import Notification
from tasks_ledger.models import OPEN_STATUSES, LedgerItem

# The ledgers' demo tests seed the same day; their helpers (and fixture) serve here too.
from tasks_ledger.tests.test_demo import AS_OF, campaign, end_of_yesterday, seed, seeded

__all__ = ["seeded"]  # a fixture, used by name

pytestmark = pytest.mark.django_db

R, S, W = NoticeKind.REMINDER, NoticeKind.SUPERVISION, NoticeKind.WARNING


def notices() -> list[Notice]:
    return list(
        Notice.objects.filter(campaign=campaign())
        .select_related("escalated_from", "group", "item")
        .order_by("pk")
    )


@pytest.mark.usefixtures("seeded")
class TestDemoNotices:
    def test_the_reports_counts_in_the_campaigns_year(self) -> None:
        """25 reminders, 18 supervision orders and 11 warnings, all issued in the campaign's
        year and numbered in its official format; no drafts, no accountability
        recommendation."""
        year = campaign().year
        all_notices = notices()
        assert Counter(n.kind for n in all_notices) == {R: 25, S: 18, W: 11}
        assert {n.number_year for n in all_notices} == {year}
        assert all(n.status != NoticeStatus.DRAFT for n in all_notices)
        numbers = {n.number for n in all_notices}
        assert f"督办〔{year}〕18号" in numbers and f"提示〔{year}〕25号" in numbers
        assert f"警示〔{year}〕11号" in numbers and f"警示〔{year}〕12号" not in numbers

    def test_numbers_are_unique_and_follow_the_issue_dates(self) -> None:
        """Within a kind, numbers run 1..n without gaps, in the order the notices went out."""
        by_kind: dict[str, list[Notice]] = {}
        for notice in notices():
            by_kind.setdefault(notice.kind, []).append(notice)
        for kind, rows in by_kind.items():
            rows.sort(key=lambda n: n.sequence or 0)
            assert [n.sequence for n in rows] == list(range(1, len(rows) + 1)), kind
            issued = [n.issued_on for n in rows]
            assert issued == sorted(issued), kind  # type: ignore[type-var]
        assert len({n.number for n in notices()}) == 54

    def test_statuses_match_their_timestamps_and_nothing_is_dated_after_yesterday(
        self,
    ) -> None:
        """Each step of a notice's life is recorded in order (drafted, approved, issued,
        signed for, replied, closed), none on or after the as-of date; a reminder needs no
        approval, anything more serious was approved by the issuing group's leader."""
        end = end_of_yesterday(AS_OF)
        for n in notices():
            assert n.issued_on is not None and n.issued_on < AS_OF
            assert n.drafted_at < end and timezone.localdate(n.drafted_at) <= n.issued_on
            if n.kind == R:
                assert n.approved_at is None
            else:
                assert n.group is not None and n.approved_by_id == n.group.leader_id
                assert n.approved_at is not None and n.drafted_at <= n.approved_at
            signed = n.status != NoticeStatus.ISSUED
            assert (n.signed_for_at is not None) == signed
            replied = n.status in (NoticeStatus.REPLIED, NoticeStatus.RETURNED, NoticeStatus.CLOSED)
            assert (n.replied_at is not None) == replied and bool(n.reply) == replied
            assert (n.closed_at is not None) == (n.status == NoticeStatus.CLOSED)
            assert bool(n.return_reason) >= (n.status == NoticeStatus.RETURNED)
            moments = [m for m in (n.signed_for_at, n.replied_at, n.closed_at) if m is not None]
            assert moments == sorted(moments) and all(m < end for m in moments)
            if n.signed_for_at is not None:
                assert timezone.localdate(n.signed_for_at) >= n.issued_on
            assert n.reply_deadline >= n.issued_on
            assert n.item is not None and n.target_unit_id == n.item.unit_id

    def test_escalations_rise_in_kind_about_the_same_matter(self) -> None:
        """10 supervision orders follow reminders and 7 warnings follow supervision orders,
        each about the same item, issued after the notice it escalates while that one was
        still unanswered or later answered with it."""
        pairs: Counter[tuple[str, str]] = Counter()
        for n in notices():
            previous = n.escalated_from
            if previous is None:
                continue
            assert NoticeKind.rank_of(n.kind) > NoticeKind.rank_of(previous.kind)
            assert previous.item_id == n.item_id
            assert previous.issued_on is not None and n.issued_on is not None
            assert previous.issued_on < n.issued_on
            pairs[(previous.kind, n.kind)] += 1
        assert pairs == {(R, S): 10, (S, W): 7}

    def test_most_matters_are_settled_a_few_wait_on_someone(self) -> None:
        """Two notices await signing for, two replies await acceptance, one reply was
        returned; every matter whose last notice is closed is closed throughout; notices
        still open are about items still open, and their last notice's reply deadline lies
        ahead (but for one ignored reminder)."""
        status = Counter(n.status for n in notices())
        assert status[NoticeStatus.ISSUED] == 2
        assert status[NoticeStatus.REPLIED] == 2
        assert status[NoticeStatus.RETURNED] == 1
        assert status[NoticeStatus.CLOSED] > len(notices()) // 3
        last = {n.item_id: n for n in sorted(notices(), key=lambda n: n.issued_on or AS_OF)}
        assert len(last) == len(demo.SHAPES) == 37
        past = 0
        for n in last.values():
            chain = [x for x in notices() if x.item_id == n.item_id]
            if n.status == NoticeStatus.CLOSED:
                assert all(x.status == NoticeStatus.CLOSED for x in chain)
                continue
            assert n.item is not None and n.item.status in OPEN_STATUSES
            past += n.reply_deadline < AS_OF
        assert past == 1

    def test_overdue_items_mostly_have_their_notice_already(self) -> None:
        """Of the items more than three days overdue, all but the three most recently
        overdue have an open notice."""
        overdue = LedgerItem.objects.filter(
            ledger__campaign=campaign(),
            status__in=OPEN_STATUSES,
            deadline__lt=AS_OF - dt.timedelta(days=3),
        )
        open_notice = Notice.objects.exclude(status=NoticeStatus.CLOSED).values("item_id")
        without = overdue.exclude(pk__in=open_notice)
        assert overdue.count() > 10
        assert without.count() == demo.LEFT_FOR_THE_SWEEP

    def test_measures_and_the_exemption(self) -> None:
        """Four measures, each citing a warning to the unit it is on, decided after that
        warning and before the as-of date; one exemption, approved by the campaign office."""
        measures = list(AccountabilityMeasure.objects.filter(campaign=campaign()))
        assert len(measures) == 4
        assert Counter(m.kind for m in measures) == {
            MeasureKind.ADMONISHMENT: 2,
            MeasureKind.CIRCULATED_CRITICISM: 1,
            MeasureKind.SELF_EXAMINATION: 1,
        }
        for measure in measures:
            (warning,) = measure.basis_notices.all()
            assert warning.kind == W and warning.target_unit_id == measure.unit_id
            assert warning.issued_on is not None
            assert warning.issued_on < measure.decided_on < AS_OF
            assert measure.created_by.username == "office"
        (exemption,) = Exemption.objects.filter(campaign=campaign())
        assert exemption.status == ExemptionStatus.APPROVED
        assert exemption.decided_by is not None and exemption.decided_by.username == "office"
        assert exemption.notice is not None
        assert exemption.notice.status not in (NoticeStatus.CLOSED, NoticeStatus.DRAFT)
        assert exemption.decided_at is not None and exemption.decided_at < end_of_yesterday(AS_OF)

    def test_history_holds_every_step_and_nobody_was_told(self) -> None:
        """Every notice's steps are in its history (an insert and an update per step); the
        past is not announced to anyone's inbox."""
        events: Counter[int] = Counter(
            Notice.pgh_event_model.objects.filter(pgh_obj__campaign=campaign()).values_list(
                "pgh_obj_id", flat=True
            )
        )
        for n in notices():
            steps = 1 + (n.kind != R) + 1 + (n.signed_for_at is not None)
            assert events[n.pk] >= steps
        assert not Notification.objects.filter(kind__startswith="notice").exists()

    def test_a_dry_run_sweep_on_the_as_of_date_finds_a_handful(self) -> None:
        """On the as-of date the sweep has only a few reminders and escalations to write."""
        before = Notice.objects.count()
        run = sweep(now=timezone.make_aware(dt.datetime(2026, 7, 20, 9, 0)), dry_run=True)
        found = sum(run.counts.get(kind, 0) for kind in NoticeKind.values)
        assert 1 <= found <= 6, run.counts
        assert run.counts[R] == demo.LEFT_FOR_THE_SWEEP
        assert Notice.objects.count() == before

    def test_a_second_run_writes_nothing(self) -> None:
        before = (Notice.objects.count(), AccountabilityMeasure.objects.count())
        seed(AS_OF)
        assert (Notice.objects.count(), AccountabilityMeasure.objects.count()) == before
