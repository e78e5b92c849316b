"""The demo ledgers reproduce the city report's figures from the platform's own data.

Figures of ``seeds/000_…``: 6 areas and 20 ledgers with 521 key tasks; 39 hard problems with
117 measures; 773 petition cases, all resolved; 52 key projects ranked by their four rates;
179 "low, rough, poor" problems solved; 116 problems analysed with 64 rectification measures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pghistory.models
import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Membership, Post, Unit, User
from campaign import demo as campaign_demo
from campaign.models import Campaign
from tasks_ledger import demo, selectors
from tasks_ledger.models import (
    Area,
    Evidence,
    ExtensionRequest,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    Light,
    Measure,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    SignOffRequest,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="class")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Seed once per test class (rolled back at the end); the command's output."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def campaign() -> Campaign:
    """The demo campaign."""
    return Campaign.objects.get(
        owner_unit__code=campaign_demo.CITY, name=campaign_demo.CAMPAIGN_NAME
    )


def items(kind: str | None = None, ledger: str | None = None) -> Any:
    """The demo campaign's items, of a kind or a ledger (by the start of its title)."""
    rows = LedgerItem.objects.filter(ledger__campaign=campaign())
    if kind:
        rows = rows.filter(kind=kind)
    if ledger:
        rows = rows.filter(ledger__title__startswith=ledger)
    return rows


def lights(username: str, today: dt.date | None, **filters: Any) -> Counter[str]:
    """Items by light as ``username`` sees them on ``today``, through the list selector."""
    user = User.objects.get(username=username)
    rows = selectors.ledger_items(user=user, today=today).filter(**filters)
    return Counter(rows.values_list("light", flat=True))


def ledger_rows() -> Counter[str]:
    """Rows of every ledger table, history events included."""
    models = [m for m in apps.get_app_config("tasks_ledger").get_models() if not m._meta.proxy]
    counts = Counter({m._meta.label: m._default_manager.count() for m in models})
    counts["events"] = sum(
        m._default_manager.count()
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and m._meta.app_label == "tasks_ledger"
    )
    return counts


class TestSeededLedgers:
    """The figures, read back from one seeded database."""

    def test_review_marks_match_the_waiting_reports_and_sign_offs(self, seeded: str) -> None:
        """GIVEN the seed THEN an item shows a pending figure exactly when a report of it
        waits (the newest one's), is marked 销号待核验 exactly when a sign-off waits, and its
        own progress is an accepted figure, never a waiting one."""
        from tasks_ledger.models import ProgressReport, ReviewStatus, SignOffRequest

        waiting = ProgressReport.objects.filter(review_status=ReviewStatus.PENDING)
        newest: dict[int, int] = {}
        for item_id, percent in waiting.order_by("item", "created_at").values_list(
            "item", "percent"
        ):
            newest[item_id] = percent
        marked = dict(
            LedgerItem.objects.filter(pending_progress__isnull=False).values_list(
                "pk", "pending_progress"
            )
        )
        assert newest and marked == newest
        asked = set(
            SignOffRequest.objects.filter(status=ReviewStatus.PENDING).values_list(
                "item", flat=True
            )
        )
        assert asked and asked == set(
            LedgerItem.objects.filter(signoff_pending=True).values_list("pk", flat=True)
        )
        still_open = LedgerItem.objects.filter(
            pk__in=list(newest),
            status__in=[ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS, ItemStatus.COMPLETED],
        )
        for item in still_open.prefetch_related("reports"):
            accepted = [r for r in item.reports.all() if r.review_status == ReviewStatus.ACCEPTED]
            before = [r for r in accepted if r.created_at <= max(
                r.created_at for r in item.reports.all() if r.review_status == ReviewStatus.PENDING
            )]  # fmt: skip
            standing = max(before, key=lambda r: r.created_at).percent if before else 0
            assert item.progress == standing, item

    def test_20_ledgers_in_6_areas(self, seeded: str) -> None:
        """GIVEN the seed THEN 6 areas hold 20 ledgers (共建立了6个方面20本工作台账)."""
        assert Area.objects.filter(campaign=campaign()).count() == 6
        ledgers = Ledger.objects.filter(campaign=campaign())
        assert ledgers.count() == 20
        assert set(ledgers.values_list("area__name", flat=True)) == set(demo.AREAS)
        for ledger in ledgers.select_related("area", "task_force", "owner_unit"):
            ledger.full_clean()
            assert ledger.items.exists()
            assert ledger.items.exclude(kind=ledger.kind).count() == 0
        # Every kind the issue names is there.
        assert set(ledgers.values_list("kind", flat=True)) == set(LedgerKind.values)

    def test_521_key_tasks(self, seeded: str) -> None:
        """521 key tasks (细化521项重点任务), with the 172 of the business-environment plan, the
        20 livelihood projects and the 38 signed industrial projects as ledgers of their own."""
        assert items(LedgerKind.KEY_TASK).count() == 521
        assert items(ledger="优化营商环境专项行动").count() == 172
        assert items(ledger="20件民生工程").count() == 20
        assert items(ledger="招商引资签约项目").count() == 38
        # Every key task and problem carries a chain of the campaign (两级五岗).
        for kind in (LedgerKind.KEY_TASK, LedgerKind.HARD_PROBLEM, LedgerKind.PROBLEM):
            assert not items(kind).filter(chain__isnull=True).exists()
        assert not items().exclude(chain__campaign=campaign()).exists()

    def test_39_hard_problems_with_117_measures(self, seeded: str) -> None:
        """梳理攻坚难题39条，提出攻坚措施117条."""
        hard = items(LedgerKind.HARD_PROBLEM)
        assert hard.count() == 39
        assert Measure.objects.filter(item__in=hard).count() == 117
        per_item = hard.annotate(n=Count("measure_set")).values_list("n", flat=True)
        assert min(per_item) >= 2 and max(per_item) <= 5
        solved = hard.filter(title__in=demo.HARD_PROBLEMS_SOLVED)
        assert set(solved.values_list("status", flat=True)) == {ItemStatus.SIGNED_OFF}

    def test_773_petitions_all_resolved(self, seeded: str) -> None:
        """773件重点领域信访案件全部得到有效化解: each signed off or completed, with its source,
        the petitioner's demand and the handling result."""
        petitions = items(LedgerKind.PETITION)
        assert petitions.count() == 773
        resolved = petitions.filter(status__in=[ItemStatus.SIGNED_OFF, ItemStatus.COMPLETED])
        assert resolved.count() == 773
        assert not petitions.filter(
            Q(petition_source="") | Q(petitioner_demand="") | Q(handling_result="")
        ).exists()
        assert not petitions.exclude(progress=100).exists()
        assert petitions.filter(status=ItemStatus.SIGNED_OFF).count() > 700

    def test_52_key_projects_and_their_four_rates(self, seeded: str) -> None:
        """52个省市重点项目: the four rates, computed in SQL, are good but not perfect."""
        projects = items(LedgerKind.KEY_PROJECT)
        assert projects.count() == 52
        assert not projects.filter(
            Q(planned_investment__isnull=True)
            | Q(funds_in_place__isnull=True)
            | Q(investment_completed__isnull=True)
            | Q(planned_start__isnull=True)
            | Q(planned_completion__isnull=True)
        ).exists()
        rates = selectors.project_rates(projects, today=demo.DEMO_TODAY)
        assert rates["projects"] == 52
        assert (rates["due_end"], rates["on_time"]) == (8, 7)
        assert 90 <= rates["start_rate"] < 100
        assert 85 <= rates["funds_rate"] < 100
        assert 50 < rates["investment_rate"] < 80  # past half by mid-year (双过半)
        assert 80 <= rates["on_time_rate"] < 100
        by_unit = list(selectors.project_rates_by_unit(projects, today=demo.DEMO_TODAY))
        assert sum(row["projects"] for row in by_unit) == 52

    def test_179_low_rough_poor_problems_solved(self, seeded: str) -> None:
        """解决各类“低粗差”问题179个: all signed off, problem and rectification written down,
        at least one in every unit under special assessment."""
        problems = items(ledger="“低粗差”")
        assert problems.count() == 179
        assert problems.filter(kind=LedgerKind.PROBLEM).count() == 179
        signed = problems.filter(
            status=ItemStatus.SIGNED_OFF, signed_off_at__isnull=False, signed_off_by__isnull=False
        )
        assert signed.count() == 179
        assert not problems.filter(Q(symptom="") | Q(rectification="")).exists()
        assert problems.values("unit").distinct().count() == 100

    def test_116_problems_and_64_measures(self, seeded: str) -> None:
        """剖析问题116个，制定整改措施64条: 64 problems carry a measure; each of the others is
        rectified with a problem of the same root cause that does."""
        problems = items(ledger="“解放思想促进高质量发展”")
        assert problems.count() == 116
        assert Measure.objects.filter(item__in=problems).count() == 64
        with_measure = set(
            problems.filter(measure_set__isnull=False).values_list("code", flat=True)
        )
        assert len(with_measure) == 64
        for code, rectification in problems.exclude(code__in=with_measure).values_list(
            "code", "rectification"
        ):
            lead = rectification.removeprefix("与第").split("项", 1)[0]
            assert lead in with_measure and lead != code, rectification
        assert not problems.filter(Q(symptom="") | Q(rectification="")).exists()

    def test_items_spread_over_the_100_assessed_units(self, seeded: str) -> None:
        """Items fall to units under special assessment, all 100 of them."""
        units = Unit.objects.filter(pk__in=items().values("unit"))
        assert units.count() == 100
        assert not units.filter(under_special_assessment=False).exists()
        per_unit = Counter(items().values_list("unit", flat=True))
        assert sum(n >= 5 for n in per_unit.values()) >= 50  # most units keep several items

    def test_lights_at_the_reference_date(self, seeded: str) -> None:
        """GIVEN the reference date THEN key tasks are mostly green, with red and yellow ones,
        and each persona liaison finds a red and a yellow item of their own."""
        mix = lights("office", demo.DEMO_TODAY, kind=LedgerKind.KEY_TASK)
        assert sum(mix.values()) == 521
        assert 20 <= mix[Light.RED] <= 80
        assert 20 <= mix[Light.YELLOW] <= 80
        assert mix[Light.GREEN] > 350
        for username in ("county_liaison", "dept_liaison", "township_liaison"):
            own = lights(username, demo.DEMO_TODAY)
            assert own[Light.RED] >= 1 and own[Light.YELLOW] >= 1, username
        # Both kinds of yellow occur: due within three days, and behind schedule.
        near = items(LedgerKind.KEY_TASK).filter(
            deadline__gte=demo.DEMO_TODAY,
            deadline__lte=demo.DEMO_TODAY + dt.timedelta(days=3),
            status__in=[ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS],
        )
        assert near.exists()
        assert mix[Light.YELLOW] > near.count()

    @pytest.mark.parametrize(
        "today", [dt.date(2024, 6, 30), dt.date(2026, 11, 23), dt.date(2030, 6, 30)]
    )
    def test_lights_on_later_dates(self, seeded: str, today: dt.date) -> None:
        """GIVEN a date after 2022 THEN items left open in July 2022 are red (escalation has
        work) and the multi-year tasks still show yellow and green."""
        mix = lights("office", today, kind=LedgerKind.KEY_TASK)
        assert mix[Light.RED] > 200
        assert mix[Light.YELLOW] >= 1
        assert mix[Light.GREEN] > 150

    def test_lights_today(self, seeded: str) -> None:
        """Whatever day the tests run, some key tasks are overdue."""
        assert timezone.localdate() > dt.date(2022, 12, 31)
        assert lights("office", None, kind=LedgerKind.KEY_TASK)[Light.RED] > 200

    def test_office_queues_are_not_empty(self, seeded: str) -> None:
        """The campaign office has sign-offs, extensions and progress reports to decide."""
        office = User.objects.get(username="office")
        assert selectors.signoff_queue(user=office).count() >= 10
        assert selectors.extension_queue(user=office).count() >= 3
        assert selectors.report_queue(user=office).count() >= 10
        # Decided ones too: accepted, returned (with a reason), approved and refused.
        assert SignOffRequest.objects.filter(status="returned").exclude(reason="").exists()
        assert ProgressReport.objects.filter(review_status="returned").exists()
        assert set(ExtensionRequest.objects.values_list("status", flat=True)) == {
            "pending",
            "approved",
            "refused",
        }
        for extension in ExtensionRequest.objects.select_related("item"):
            assert extension.requested_at.date() <= extension.old_deadline
            if extension.status == "approved":
                assert extension.item.deadline == extension.new_deadline

    def test_progress_is_reported_by_the_units_liaisons(self, seeded: str) -> None:
        """Reports, sign-off and extension requests come from the item's unit's liaison."""
        liaisons = set(
            Membership.objects.filter(post=Post.LIAISON).values_list("user_id", "unit_id")
        )
        mine = Q(item__ledger__campaign=campaign())
        for rows in (
            ProgressReport.objects.filter(mine).values_list("reporter_id", "item__unit_id"),
            SignOffRequest.objects.filter(mine).values_list("requested_by_id", "item__unit_id"),
            ExtensionRequest.objects.filter(mine).values_list("requested_by_id", "item__unit_id"),
        ):
            pairs = set(rows)
            assert pairs and pairs <= liaisons
        assert Milestone.objects.filter(mine).count() > 100

    def test_review_meetings_turn_decisions_into_items(self, seeded: str) -> None:
        """Eight review meetings (调度会, 推进会, 会商会) whose decisions are ledger items."""
        meetings = ReviewMeeting.objects.filter(campaign=campaign())
        assert meetings.count() == len(demo.MEETINGS)
        assert set(meetings.values_list("kind", flat=True)) == {
            "dispatch",
            "promotion",
            "consultation",
        }
        for meeting in meetings:
            decisions = meeting.decisions.all()
            assert decisions.exists() and meeting.attending_units.exists()
            for item in decisions:
                assert item.chain_id and item.start_date == meeting.date
        office = User.objects.get(username="office")
        assert selectors.meeting_list(user=office).count() == len(demo.MEETINGS)

    def test_a_snapshot_of_the_reference_date(self, seeded: str) -> None:
        """Nothing in the ledgers happened after the reference date; evidence files exist."""
        end = timezone.make_aware(dt.datetime.combine(demo.DEMO_TODAY, dt.time.max))
        mine = Q(item__ledger__campaign=campaign())
        assert not items().filter(Q(created_at__gt=end) | Q(updated_at__gt=end)).exists()
        assert not items().filter(signed_off_at__gt=end).exists()
        assert not ProgressReport.objects.filter(mine, created_at__gt=end).exists()
        assert not SignOffRequest.objects.filter(mine, requested_at__gt=end).exists()
        assert not ExtensionRequest.objects.filter(mine, requested_at__gt=end).exists()
        names = set(Evidence.objects.filter(mine).values_list("file", flat=True))
        assert names and all(default_storage.exists(name) for name in names)
        # Every sign-off request has its evidence.
        assert not SignOffRequest.objects.filter(mine, evidence__isnull=True).exists()

    def test_rows_pass_model_validation(self, seeded: str) -> None:
        """A sample of every kind passes full_clean (the bulk path skips lookups only)."""
        for kind in LedgerKind.values:
            for item in items(kind).order_by("pk")[:: 25 if kind == LedgerKind.PETITION else 7]:
                item.full_clean()
                for milestone in item.milestones.all():
                    milestone.full_clean()
                    assert milestone.deadline <= item.deadline
                for measure in item.measure_set.all():
                    measure.full_clean()

    def test_history_names_the_seed(self, seeded: str) -> None:
        """Bulk-created items are in history, attributed to the seed command."""
        item = items(LedgerKind.KEY_TASK).first()
        assert item is not None
        events = pghistory.models.Events.objects.tracks(item)
        assert events.exists()
        assert {e.pgh_context.get("command") for e in events if e.pgh_context} == {"seed_demo"}

    def test_second_run_changes_nothing(self, seeded: str) -> None:
        """GIVEN a seeded database WHEN seeding again THEN no ledger row or event is added."""
        before = ledger_rows()
        assert before["tasks_ledger.LedgerItem"] == 1700
        out = StringIO()
        call_command("seed_demo", stdout=out)
        assert ledger_rows() == before


def test_plans_are_deterministic() -> None:
    """The plans are the same on every run (seeded random, no clock)."""
    for spec in demo.LEDGERS:
        first = demo.ledger_plans(spec, campaign_demo.ASSESSED_CODES)
        again = demo.ledger_plans(spec, campaign_demo.ASSESSED_CODES)
        assert first == again
        assert len(first) == spec.count
        assert len({p.code for p in first}) == spec.count


def test_partly_deleted_ledger_is_completed(db: None) -> None:
    """GIVEN a seeded ledger missing some items WHEN seeding again THEN only those come back."""
    call_command("seed_demo", stdout=StringIO())
    ledger = Ledger.objects.get(title="20件民生工程任务台账")
    ledger.items.filter(code__in=["3", "4"]).delete()
    kept = set(ledger.items.values_list("pk", flat=True))

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert ledger.items.count() == 20
    assert kept < set(ledger.items.values_list("pk", flat=True))
    assert set(ledger.items.exclude(pk__in=kept).values_list("code", flat=True)) == {"3", "4"}
