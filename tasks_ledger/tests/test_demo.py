"""The demo ledgers reproduce the city report's figures from the platform's own data, as
they stand on an as-of date.

Figures of ``seeds/000_…``: 6 areas and 20 ledgers with 521 key tasks; 39 hard problems with
117 measures; 773 petition cases, all resolved; 52 key projects ranked by their four rates;
179 "low, rough, poor" problems solved; 116 problems analysed with 64 rectification measures.
The seed is pinned to 20 July 2026 (:data:`AS_OF`); the figures and a realistic few red
items are checked again early and late in a campaign (:class:`TestOtherDays`).
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
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import demo as org
from accounts.demo import DemoCalendar
from accounts.models import Membership, Post, Unit, User
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

#: The day the seeded demo stands on (the consolidation phase of the 2026 campaign).
AS_OF = dt.date(2026, 7, 20)
OPEN = [ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS]
SET_ASIDE = [ItemStatus.SUSPENDED, ItemStatus.CANCELLED]


def seed(as_of: dt.date) -> str:
    """Run the command on ``as_of``; what it printed."""
    out = StringIO()
    call_command("seed_demo", "--as-of", as_of.isoformat(), stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Seed once per test class on :data:`AS_OF` (rolled back at the end); the output."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed(AS_OF)
        transaction.set_rollback(True)


def campaign() -> Campaign:
    """The demo campaign (there is one in a seeded database)."""
    return Campaign.objects.get(owner_unit__code=org.CITY)


def end_of_yesterday(as_of: dt.date) -> dt.datetime:
    """The moment the as-of date begins: nothing in the demo happens at or after it."""
    return timezone.make_aware(dt.datetime.combine(as_of, dt.time.min))


def red_share(today: dt.date) -> float:
    """Red items as a share of the open ones, as the office sees them on ``today``."""
    mix = lights("office", today, status__in=OPEN)
    return mix[Light.RED] / sum(mix.values())


def assert_a_snapshot_of(as_of: dt.date) -> None:
    """Nothing in the campaign is dated on or after ``as_of``."""
    start = end_of_yesterday(as_of)
    mine = Q(item__ledger__campaign=campaign())
    assert (
        not items()
        .filter(Q(created_at__gte=start) | Q(updated_at__gte=start) | Q(signed_off_at__gte=start))
        .exists()
    )
    assert not items().filter(progress_accepted_on__gte=as_of).exists()
    assert not ProgressReport.objects.filter(
        mine, Q(created_at__gte=start) | Q(reviewed_at__gte=start)
    ).exists()
    for model in (SignOffRequest, ExtensionRequest):
        assert not model.objects.filter(
            mine, Q(requested_at__gte=start) | Q(decided_at__gte=start)
        ).exists()
    assert not Evidence.objects.filter(mine, uploaded_at__gte=start).exists()
    assert not Milestone.objects.filter(mine, done_on__gte=as_of).exists()
    assert not ReviewMeeting.objects.filter(campaign=campaign(), date__gte=as_of).exists()
    assert not User.objects.filter(date_joined__gte=start).exists()


def assert_the_reports_figures() -> None:
    """The report's figures, exact, whatever the as-of date."""
    assert Ledger.objects.filter(campaign=campaign()).count() == 20
    assert Area.objects.filter(campaign=campaign()).count() == 6
    per_ledger = dict(items().values_list("ledger__title").annotate(n=Count("pk")))
    assert per_ledger == {spec.title: spec.count for spec in demo.LEDGERS}
    assert items().count() == 1700
    assert items(LedgerKind.KEY_TASK).count() == 521
    assert Measure.objects.filter(item__kind=LedgerKind.HARD_PROBLEM).count() == 117
    assert items(LedgerKind.PETITION).exclude(status__in=["signed_off", "completed"]).count() == 0
    assert items(ledger="“低粗差”").filter(status=ItemStatus.SIGNED_OFF).count() == 179
    assert Measure.objects.filter(item__ledger__title__startswith="“解放思想").count() == 64
    assert Unit.objects.filter(pk__in=items().values("unit")).count() == 100


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
        rates = selectors.project_rates(projects, today=AS_OF)
        assert rates["projects"] == 52
        assert (rates["due_end"], rates["on_time"]) == (8, 7)
        assert 90 <= rates["start_rate"] < 100
        assert 85 <= rates["funds_rate"] < 100
        assert 50 < rates["investment_rate"] < 80  # past half by mid-year (双过半)
        assert 80 <= rates["on_time_rate"] < 100
        by_unit = list(selectors.project_rates_by_unit(projects, today=AS_OF))
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

    def test_lights_on_the_as_of_date(self, seeded: str) -> None:
        """GIVEN the as-of date THEN key tasks are mostly green, with yellow ones and a few
        red ones: red items are 3-8% of the open ones; each persona liaison finds a red and
        a yellow item of their own."""
        mix = lights("office", AS_OF, kind=LedgerKind.KEY_TASK)
        assert sum(mix.values()) == 521
        assert 10 <= mix[Light.RED] <= 40
        assert 20 <= mix[Light.YELLOW] <= 80
        assert mix[Light.GREEN] > 350
        assert 0.03 <= red_share(AS_OF) <= 0.08
        for username in ("county_liaison", "dept_liaison", "township_liaison"):
            own = lights(username, AS_OF)
            assert own[Light.RED] >= 1 and own[Light.YELLOW] >= 1, username
        # Both kinds of yellow occur: due within three days, and behind schedule.
        near = items(LedgerKind.KEY_TASK).filter(
            deadline__gte=AS_OF, deadline__lte=AS_OF + dt.timedelta(days=3), status__in=OPEN
        )
        assert near.exists()
        assert mix[Light.YELLOW] > near.count()

    def test_what_fell_due_long_ago_is_mostly_done(self, seeded: str) -> None:
        """Of the key tasks and problems due more than three months before the as-of date,
        hardly any is still open; of those due in the last month, most are done or wait
        for their sign-off to be verified."""
        due = items().filter(kind__in=[LedgerKind.KEY_TASK, LedgerKind.PROBLEM])
        old = due.filter(deadline__lt=AS_OF - dt.timedelta(days=90))
        assert old.count() > 50
        assert old.filter(status__in=OPEN).count() <= old.count() * 0.03
        recent = due.filter(deadline__lt=AS_OF, deadline__gte=AS_OF - dt.timedelta(days=30))
        closed = recent.filter(status__in=[ItemStatus.COMPLETED, ItemStatus.SIGNED_OFF])
        assert closed.count() >= recent.count() * 0.6

    def test_the_campaigns_year_in_titles_and_document_numbers(self, seeded: str) -> None:
        """Multi-year tasks name the campaign's years and are due at a year's end after it;
        the real plans keep their own dates; documents carry the year they were issued;
        nothing names the report's 2022."""
        assert not items().filter(title__contains="2022").exists()
        assert not Ledger.objects.filter(description__contains="2022").exists()
        spans = items().filter(title__contains="（2026—")
        assert spans.count() >= 6
        for title, deadline in spans.values_list("title", "deadline"):
            assert deadline == dt.date(int(title.split("—")[1][:4]), 12, 31), title
        plan = items().get(title__startswith="完成“十五五”规划纲要")  # 2026-2030
        assert plan.deadline == dt.date(2030, 12, 31)
        assert items().get(title__contains="2030年前实现碳达峰").deadline == dt.date(2030, 12, 31)
        assert Ledger.objects.filter(description__contains="〔2026〕").count() == 2

    def test_standing_measures_are_long_term_items(self, seeded: str) -> None:
        """The seeds' standing measures (常态化, 坚持, 长效机制) are long-term items (长期坚持):
        no deadline, no milestones, never overdue; reported about monthly, the last report
        accepted within the policy's days for most (green), a month ago for some (yellow)."""
        standing = items().filter(deadline__isnull=True)
        assert 5 <= standing.count() <= 10
        assert set(standing.values_list("kind", flat=True)) == {LedgerKind.KEY_TASK}
        assert set(standing.values_list("status", flat=True)) == {ItemStatus.IN_PROGRESS}
        assert not Milestone.objects.filter(item__in=standing).exists()
        assert not ExtensionRequest.objects.filter(item__in=standing).exists()
        for item in standing:
            assert item.progress_accepted_on is not None
            assert AS_OF - item.progress_accepted_on <= dt.timedelta(days=45)
            assert item.reports.filter(review_status="accepted").count() >= 3
        mix = lights("office", AS_OF, deadline__isnull=True)
        assert mix[Light.GREEN] >= 3 and not mix[Light.RED]

    def test_progress_accepted_on_is_the_last_acceptance(self, seeded: str) -> None:
        """Every item's ``progress_accepted_on`` is the day its newest accepted report was
        accepted (None when none was), as the review workflow records it."""
        accepted = ProgressReport.objects.filter(
            item__ledger__campaign=campaign(), review_status="accepted"
        )
        last: dict[int, tuple[dt.datetime, dt.date]] = {}
        for item_id, made, reviewed in accepted.values_list("item", "created_at", "reviewed_at"):
            if item_id not in last or made > last[item_id][0]:
                last[item_id] = (made, timezone.localdate(reviewed))
        recorded = dict(items().values_list("pk", "progress_accepted_on"))
        assert {pk: day for pk, day in recorded.items() if day} == {
            pk: day for pk, (_made, day) in last.items()
        }

    def test_what_nobody_updates_turns_red_later(self, seeded: str) -> None:
        """Four months after the as-of date, with no one updating, many more are red (the
        escalation would have work)."""
        later = AS_OF + dt.timedelta(days=120)
        assert lights("office", later)[Light.RED] > 3 * lights("office", AS_OF)[Light.RED]

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

    def test_nothing_happens_on_or_after_the_as_of_date(self, seeded: str) -> None:
        """Everything stands as it did when the as-of date began: no item, report, decision,
        request, file or meeting is dated on or after it; evidence files exist."""
        assert_a_snapshot_of(AS_OF)
        mine = Q(item__ledger__campaign=campaign())
        names = set(Evidence.objects.filter(mine).values_list("file", flat=True))
        assert names and all(default_storage.exists(name) for name in names)
        # Every sign-off request has its evidence.
        assert not SignOffRequest.objects.filter(mine, evidence__isnull=True).exists()

    def test_every_moment_follows_what_it_depends_on(self, seeded: str) -> None:
        """Reviews come after their reports, decisions after their requests, an item is made
        before anything happens to it and last updated with the last thing that did; a
        signed-off item carries the moment its sign-off was verified; meetings and launches
        fall on working days."""
        mine = Q(item__ledger__campaign=campaign())
        assert not ProgressReport.objects.filter(mine, reviewed_at__lt=F("created_at")).exists()
        for model in (SignOffRequest, ExtensionRequest):
            assert not model.objects.filter(mine, decided_at__lt=F("requested_at")).exists()
        assert not ProgressReport.objects.filter(
            mine, created_at__lt=F("item__created_at")
        ).exists()
        assert not items().filter(created_at__gt=F("updated_at")).exists()
        assert not items().filter(updated_at__lt=F("signed_off_at")).exists()
        signed = items().filter(status=ItemStatus.SIGNED_OFF)
        verified = signed.filter(
            signoff_requests__status="accepted", signoff_requests__decided_at=F("signed_off_at")
        )
        assert signed.count() == verified.count() > 1000
        meetings = ReviewMeeting.objects.filter(campaign=campaign())
        assert all(day.weekday() < 5 for day in meetings.values_list("date", flat=True))

    def test_rows_pass_model_validation(self, seeded: str) -> None:
        """A sample of every kind passes full_clean (the bulk path skips lookups only)."""
        for kind in LedgerKind.values:
            for item in items(kind).order_by("pk")[:: 25 if kind == LedgerKind.PETITION else 7]:
                item.full_clean()
                for milestone in item.milestones.all():
                    milestone.full_clean()
                    assert item.deadline and milestone.deadline <= item.deadline
                for measure in item.measure_set.all():
                    measure.full_clean()

    def test_tiles_tabs_and_map_count_every_item(self, seeded: str, client: Client) -> None:
        """GIVEN the office and a county liaison WHEN they open the home page, the item list
        and the battle map THEN every item is counted once: the light tiles (suspended and
        cancelled items under "no light") add up to the total, the list's tabs add up to
        "all" and each lists as many items as its badge says, and the map's units add up
        to the same total, each unit's lights to its own."""
        for username in ("office", "county_liaison"):
            client.force_login(User.objects.get(username=username))
            home = client.get(reverse("home"))
            tiles = home.context["ledger_lights"]
            total = tiles["total"]
            assert tiles["red"] + tiles["yellow"] + tiles["green"] + tiles["none"] == total > 0
            assert "无灯：暂缓或取消" in home.content.decode()
            listed = client.get(reverse("ledger:item-list"))
            tabs = {tab["value"]: tab["count"] for tab in listed.context["tabs"]}
            assert set(tabs) == {"", *selectors.THREE_LISTS}
            assert tabs[""] == total == sum(count for value, count in tabs.items() if value)
            for value, count in tabs.items():
                page = client.get(reverse("ledger:item-list"), {"three": value} if value else {})
                # Keyset pages carry no total: count what the page's filters select.
                assert page.context["filter"].qs.count() == count, value
            battle = client.get(reverse("ledger:map"))
            rows, grand = battle.context["rows"], battle.context["grand"]
            assert sum(row.totals["total"] for row in rows) == grand["total"] == total
            for counts in (grand, *(row.totals for row in rows)):
                lit = counts["red"] + counts["yellow"] + counts["green"] + counts["none"]
                assert lit == counts["total"]
        assert tiles["none"] >= 1  # the county has suspended or cancelled items too
        assert "停" in battle.content.decode()

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
        seed(AS_OF)
        assert ledger_rows() == before


def test_plans_are_deterministic() -> None:
    """The plans are the same on every run for the same as-of date (seeded random, no
    clock)."""
    cal = DemoCalendar.for_date(AS_OF)
    for spec in demo.LEDGERS:
        first = demo.ledger_plans(spec, org.ASSESSED_CODES, cal)
        again = demo.ledger_plans(spec, org.ASSESSED_CODES, cal)
        assert first == again
        assert len(first) == spec.count
        assert len({p.code for p in first}) == spec.count


def test_partly_deleted_ledger_is_completed(db: None) -> None:
    """GIVEN a seeded ledger missing some items WHEN seeding again THEN only those come back."""
    seed(AS_OF)
    ledger = Ledger.objects.get(title="20件民生工程任务台账")
    ledger.items.filter(code__in=["3", "4"]).delete()
    kept = set(ledger.items.values_list("pk", flat=True))

    seed(AS_OF)

    assert ledger.items.count() == 20
    assert kept < set(ledger.items.values_list("pk", flat=True))
    assert set(ledger.items.exclude(pk__in=kept).values_list("code", flat=True)) == {"3", "4"}


@pytest.fixture(scope="class", params=[dt.date(2026, 3, 16), dt.date(2026, 11, 20)])
def other_day(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[dt.date]:
    """Seeded early in a campaign (a month after its first deadlines) and late in one
    (weeks before its end), rolled back after each; the as-of date."""
    as_of: dt.date = request.param
    with django_db_blocker.unblock(), transaction.atomic():
        seed(as_of)
        yield as_of
        transaction.set_rollback(True)


class TestOtherDays:
    """The same demo seeded on another day: the same figures, as they stand on that day."""

    def test_the_figures_hold_with_a_few_red(self, other_day: dt.date) -> None:
        """GIVEN the seed early or late in a campaign THEN the campaign is under way with a
        quarter behind it, the report's figures are exact, red items are 3-8% of the open
        ones, each persona has a red and a yellow item, and nothing is dated on or after the
        as-of date."""
        c = campaign()
        assert c.start_date <= other_day <= c.end_date
        assert other_day - c.start_date >= (c.end_date - c.start_date) / 4
        assert_the_reports_figures()
        assert 0.03 <= red_share(other_day) <= 0.08
        for username in ("county_liaison", "dept_liaison", "township_liaison"):
            own = lights(username, other_day)
            assert own[Light.RED] >= 1 and own[Light.YELLOW] >= 1, username
        assert_a_snapshot_of(other_day)

    def test_what_fell_due_is_mostly_done(self, other_day: dt.date) -> None:
        """Most key tasks due before the as-of date are done or wait for their sign-off, and
        nearly all of those due over six weeks before; those due after it are mostly open;
        the meetings all lie behind."""
        tasks = items(LedgerKind.KEY_TASK).exclude(deadline__isnull=True)
        done = [ItemStatus.COMPLETED, ItemStatus.SIGNED_OFF, *SET_ASIDE]
        past = tasks.filter(deadline__lt=other_day - dt.timedelta(days=3))
        assert past.exists() and past.filter(status__in=done).count() >= past.count() * 0.6
        older = tasks.filter(deadline__lt=other_day - dt.timedelta(days=45))
        assert older.filter(status__in=done).count() >= older.count() * 0.9
        ahead = tasks.filter(deadline__gt=other_day + dt.timedelta(days=3))
        assert ahead.filter(status__in=OPEN).count() >= ahead.count() * 0.7
        assert ReviewMeeting.objects.filter(campaign=campaign()).count() == len(demo.MEETINGS)


@pytest.mark.parametrize(
    "as_of",
    [dt.date(2025, 1, 10), dt.date(2026, 5, 12), dt.date(2031, 9, 1), dt.date(2036, 3, 3)],
)
def test_plans_hold_on_any_day(as_of: dt.date) -> None:
    """GIVEN any as-of date, years ahead included THEN every ledger has its number of items,
    every item starts before its deadline and lies within the years a ledger accepts around
    its campaign, and nothing anyone did is dated on or after the as-of date."""
    cal = DemoCalendar.for_date(as_of)
    margin = settings.LEDGER_DATE_MARGIN_YEARS  # the window campaign_date_window allows
    low, high = dt.date(cal.start.year - margin, 1, 1), dt.date(cal.end.year + margin, 12, 31)
    for spec in demo.LEDGERS:
        plans = demo.ledger_plans(spec, org.ASSESSED_CODES, cal)
        assert len(plans) == spec.count, spec.title
        for plan in plans:
            assert plan.deadline is None or plan.start <= plan.deadline, plan
            for day in (plan.start, plan.deadline):
                assert day is None or low <= day <= high, plan
            done = [r.day for r in plan.reports]
            done += [d for s in plan.signoffs for d in (s.day, s.decided) if d]
            done += [d for e in plan.extensions for d in (e.day, e.decided) if d]
            done += [m[2] for m in plan.milestones if m[2]]
            assert all(day < as_of for day in done), plan
            assert all(e.day <= e.old for e in plan.extensions), plan
