"""``seed_scale`` builds a province on top of the demo, at a tiny size here: 2 cities (the demo's
and one new), 60 new units, 3,000 items, 300 notices and 1 published round, in batches of 500
rows so that every loader sends several COPY statements.

The data must be usable as a real database is: a valid tree, jurisdictions that hold, numbers
that continue, published rounds with a result for every assessed unit, writes through the
services that work on seeded rows, and history recording again once the load is over.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.test import Client
from django.urls import reverse

from accountability.models import Notice, NoticeCounter, NoticeStatus
from accountability.services import next_number
from accounts.models import Membership, Unit, User
from assessments.models import CategoryMember, Result, Round, RoundStatus
from campaign import scale
from campaign.models import Campaign, ResponsibilityChain
from tasks_ledger import selectors, services
from tasks_ledger.models import (
    OPEN_STATUSES,
    Ledger,
    LedgerItem,
    LedgerItemCount,
    ProgressReport,
    ReviewStatus,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 7, 20)
SIZES = {"units": 60, "cities": 2, "items": 3000, "notices": 300, "rounds": 1, "batch": 500}


def seed_scale(**sizes: int) -> str:
    out = StringIO()
    args = [f"--{name}={value}" for name, value in sizes.items()]
    call_command("seed_scale", *args, f"--as-of={AS_OF.isoformat()}", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The demo and a tiny province, seeded once for the module; rolled back at its end.
    Each test's own transaction nests inside as a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", f"--as-of={AS_OF.isoformat()}", stdout=StringIO())
        yield seed_scale(**SIZES)
        transaction.set_rollback(True)


def province_campaign() -> Campaign:
    return Campaign.objects.get(name=scale.campaign_name(AS_OF))


def province_items() -> Any:
    return LedgerItem.objects.filter(ledger__campaign=province_campaign())


def test_it_refuses_without_the_demo() -> None:
    """GIVEN an empty database WHEN seeding the province THEN it asks for seed_demo first.
    (Before the module's seeded fixture, which keeps its data until the module ends.)"""
    with pytest.raises(CommandError, match="seed_demo"):
        seed_scale(**SIZES)


def test_it_refuses_a_user_who_may_not_switch_triggers_off() -> None:
    """GIVEN a database user who is no superuser WHEN seeding THEN it says what it needs,
    rather than loading with the history triggers on."""
    province = Unit.objects.add_root(
        {"code": scale.PROVINCE, "name": "黑龙江省", "level": "province", "kind": "government"}
    )
    Campaign.objects.create(
        name="某活动", year=2026, start_date=AS_OF, end_date=AS_OF, owner_unit=province
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE nlzf_seed_scale_reader NOLOGIN IN ROLE pg_read_all_data")
        cursor.execute("SET LOCAL ROLE nlzf_seed_scale_reader")
    with pytest.raises(CommandError, match="superuser"):
        seed_scale(**SIZES)


class TestSeedScale:
    def test_counts(self, seeded: str) -> None:
        """GIVEN the sizes asked for WHEN seeded THEN exactly that many rows of each kind."""
        assert Unit.objects.filter(code__startswith="HL-").count() >= 5  # organs, departments
        assert (
            Unit.objects.exclude(code__startswith="LX").exclude(code=scale.PROVINCE).count()
            == SIZES["units"]
        )
        assert province_items().count() == SIZES["items"]
        assert Notice.objects.filter(campaign=province_campaign()).count() == SIZES["notices"]
        assert (
            Round.objects.filter(
                scheme__campaign=province_campaign(), status=RoundStatus.PUBLISHED
            ).count()
            == SIZES["rounds"]
        )
        assert "ledger items 3,000" in seeded
        for login in (scale.OFFICE_USER, scale.COUNTY_LIAISON_USER, scale.ASSESSOR_USER):
            assert login in seeded
            assert User.objects.get(username=login).check_password("Demo-nlzf-2022")

    def test_it_says_the_history_triggers_went_off_and_on(self, seeded: str) -> None:
        """GIVEN the command's output THEN it says the triggers went off and back on."""
        assert seeded.count("History triggers off") == seeded.count("History triggers back on")
        assert "History triggers off" in seeded
        assert "none points nowhere" in seeded
        item_events = apps.get_model("tasks_ledger", "LedgerItemEvent")
        assert not item_events.objects.filter(pgh_obj__in=province_items()).exists()

    def test_the_tree_is_valid(self, seeded: str) -> None:
        """GIVEN the units laid out by COPY WHEN treebeard checks the tree THEN no problem,
        and the province has its 2 cities."""
        assert Unit.objects.find_problems() == ([], [], [], [], [])
        province = Unit.objects.get(code=scale.PROVINCE)
        children = Unit.objects.get_children(province)
        assert children.count() == province.numchild
        assert children.filter(level="city").count() == SIZES["cities"]
        county = Unit.objects.get(code="ST-C01")
        assert Unit.objects.get_parent(county).code == "ST"
        assert Unit.objects.get_children(county).count() == county.numchild > 0

    def test_items_are_spread_with_about_a_tenth_red(self, seeded: str) -> None:
        """GIVEN the items WHEN their lights are computed as of the seed's day THEN about 10 %
        are red (open past their deadline), every kind of ledger has items and every item
        outside the province's departments has a chain of its city or county."""
        office = User.objects.get(username=scale.OFFICE_USER)
        lights = Counter(
            selectors.ledger_items(user=office, today=AS_OF)
            .filter(ledger__campaign=province_campaign())
            .values_list("light", flat=True)
        )
        assert sum(lights.values()) == SIZES["items"]
        assert 0.07 < lights["red"] / SIZES["items"] < 0.13
        assert lights["yellow"] and lights["green"] and lights["none"]
        assert len(set(province_items().values_list("kind", flat=True))) == len(scale.KINDS)
        assert not province_items().filter(chain__isnull=True).exists()
        assert ResponsibilityChain.objects.filter(
            campaign=province_campaign(), parent__isnull=False
        ).exists()

    def test_items_are_stored_in_the_order_of_their_units(self, seeded: str) -> None:
        """GIVEN the load WHEN the item table is read in its physical order THEN the items
        come unit by unit (a county's items on few pages, not one page each), and the table
        keeps a tenth of each page free for updates."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT unit_id FROM tasks_ledger_ledgeritem ORDER BY ctid")
            units = [unit for (unit,) in cursor.fetchall()]
            cursor.execute(
                "SELECT reloptions FROM pg_class WHERE oid = 'tasks_ledger_ledgeritem'::regclass"
            )
            (options,) = cursor.fetchone()
        assert len(units) == LedgerItem.objects.count() > SIZES["items"]
        assert units == sorted(units)
        assert options == ["fillfactor=90"]

    def test_stored_lights_and_counts_follow_the_items(self, seeded: str) -> None:
        """GIVEN the load with the count triggers off WHEN it ends THEN the kept counts add up
        to the items, and each item's stored light is the computed one."""
        total = LedgerItemCount.objects.aggregate(n=Sum("items"))["n"]
        assert total == LedgerItem.objects.count()
        mismatched = [
            pk
            for pk, stored, computed in selectors.with_light(
                province_items(), today=AS_OF
            ).values_list("pk", "light_rank", "light_rank_now")
            if stored != computed
        ]
        assert mismatched == []

    def test_a_county_liaison_sees_exactly_their_subtree(self, seeded: str) -> None:
        """GIVEN the liaison of a seeded county WHEN they list items THEN they see exactly the
        items of the county and the units under it."""
        liaison = User.objects.get(username=scale.COUNTY_LIAISON_USER)
        county = liaison.memberships.get().unit
        assert county.level == "county"
        seen = set(selectors.ledger_items(user=liaison, today=AS_OF).values_list("pk", flat=True))
        expected = set(
            LedgerItem.objects.filter(unit__path__startswith=county.path).values_list(
                "pk", flat=True
            )
        )
        assert seen == expected
        assert len(seen) > 10

    def test_a_county_liaison_takes_part_in_the_provincial_campaign(self, seeded: str) -> None:
        """GIVEN the seeded province WHEN its county liaison lists their campaigns THEN the
        provincial campaign is among them (the province owns it, so every unit under the
        province takes part, as every unit of the demo city takes part in the city's)."""
        from campaign.selectors import campaign_list

        liaison = User.objects.get(username=scale.COUNTY_LIAISON_USER)
        assert province_campaign().owner_unit.code == scale.PROVINCE
        assert province_campaign() in set(campaign_list(user=liaison))

    def test_the_round_is_published_with_a_result_for_every_unit(self, seeded: str) -> None:
        """GIVEN the seeded round WHEN it is read THEN it is published (numbered circular,
        public) with a result for every unit assessed in its scheme, and its ranking page
        opens for the provincial assessor."""
        round_ = Round.objects.get(scheme__campaign=province_campaign())
        assert round_.status == RoundStatus.PUBLISHED
        assert round_.published_at and round_.circular_issue == 1 and round_.public
        members = CategoryMember.objects.filter(scheme=round_.scheme)
        assert members.count() >= SIZES["units"] - 10
        results = Result.objects.filter(round=round_)
        assert set(results.values_list("unit_id", flat=True)) == set(
            members.values_list("unit_id", flat=True)
        )
        assert results.filter(deduction_count__gt=0).exists()
        client = Client()
        client.force_login(User.objects.get(username=scale.ASSESSOR_USER))
        response = client.get(reverse("assessments:round-ranking", args=[round_.pk]))
        assert response.status_code == 200
        assert round_.title in response.content.decode()

    def test_notice_numbers_are_unique_and_continue(self, seeded: str) -> None:
        """GIVEN the seeded notices WHEN numbered THEN no number is given twice, every sent
        notice has one, and the next number of a kind follows the highest given."""
        sent = Notice.objects.exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.APPROVED])
        assert not sent.filter(sequence__isnull=True).exists()
        numbers = Counter(sent.values_list("number", flat=True))
        assert numbers and max(numbers.values()) == 1
        highest = sent.values("kind", "number_year").annotate(top=Max("sequence"))
        for row in highest:
            counter = NoticeCounter.objects.get(kind=row["kind"], year=row["number_year"])
            assert counter.last == row["top"]
        kind, year = highest[0]["kind"], highest[0]["number_year"]
        assert next_number(kind, year) == highest[0]["top"] + 1
        escalated = Notice.objects.filter(escalated_from__isnull=False)
        assert escalated.exists()
        assert not escalated.values("escalated_from").annotate(n=Count("id")).filter(n__gt=1)

    def test_a_progress_report_through_the_service_works_and_is_in_history(
        self, seeded: str
    ) -> None:
        """GIVEN an open seeded item WHEN its unit's liaison reports progress through the
        service THEN the report is recorded, and history records it (triggers back on)."""
        item = (
            province_items()
            .filter(status__in=OPEN_STATUSES, pending_progress__isnull=True)
            .exclude(unit__code__startswith="LX")
            .order_by("pk")
            .first()
        )
        assert item is not None
        liaison = User.objects.get(memberships__unit=item.unit, memberships__post="liaison")
        events = apps.get_model("tasks_ledger", "ProgressReportEvent")
        before = events.objects.count()
        report = services.ledger_item_report_progress(
            item=item,
            reporter=liaison,
            percent=min(item.progress + 5, 100),
            text="按计划推进。",
            expected_version=item.version,
        )
        assert report.review_status == ReviewStatus.PENDING
        assert ProgressReport.objects.filter(item=item, pk=report.pk).exists()
        assert events.objects.count() == before + 1

    def test_a_new_item_through_the_service_takes_the_next_number(self, seeded: str) -> None:
        """GIVEN a seeded ledger WHEN the office adds an item through the service without a
        number THEN it takes one more than the highest seeded number."""
        ledger = Ledger.objects.filter(campaign=province_campaign()).order_by("pk").first()
        assert ledger is not None
        codes = [int(code) for code in ledger.items.values_list("code", flat=True)]
        assert sorted(codes) == list(range(1, len(codes) + 1))
        item = services.ledger_item_create(
            actor=User.objects.get(username=scale.OFFICE_USER),
            ledger=ledger,
            unit=ledger.items.first().unit,  # type: ignore[union-attr]
            title="新增任务",
            start_date=AS_OF,
            deadline=AS_OF + dt.timedelta(days=30),
        )
        assert item.code == str(len(codes) + 1)

    def test_a_second_run_is_refused(self, seeded: str) -> None:
        """GIVEN a seeded province WHEN the command runs again THEN it refuses in words."""
        with pytest.raises(CommandError, match="seeded already"):
            seed_scale(**SIZES)


def test_the_copier_fills_columns_it_is_not_given(
    django_user_model: type[User],
) -> None:
    """GIVEN a COPY that names only some columns WHEN it runs THEN the others get their
    defaults, and a generated column is left to PostgreSQL."""
    unit = Unit.objects.add_root({"code": "X", "name": "某单位", "level": "city", "kind": "other"})
    user = django_user_model.objects.create(username="someone", name="某人")
    copier = scale.Copier(
        Membership, ["user_id", "unit_id", "post"], now=dt.datetime.now(dt.UTC), batch=10
    )
    copier.add([str(user.pk), str(unit.pk), "staff"])
    copier.flush()
    assert Membership.objects.get(user=user).title == ""
    generated = [f.column for f in LedgerItem._meta.concrete_fields if getattr(f, "generated", 0)]
    items = scale.Copier(LedgerItem, scale.ITEM_COLUMNS, now=dt.datetime.now(dt.UTC), batch=10)
    assert all(f'"{column}"' not in items.sql for column in generated)
