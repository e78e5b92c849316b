"""Demo data, the assessments section (四考四评): the demo campaign's scheme for its year and a
round for every quarter, from the city report (``seeds/000_…``).

:func:`accounts.demo.seed_demo` runs :data:`STEPS` after the supervision section (this app
reads the notices and measures, so it comes after ``accountability`` in ``INSTALLED_APPS``);
the step reads the campaign, units and people lower sections keep in the world, the ledger
items and notices they wrote, and the world's :class:`~accounts.demo.DemoCalendar`.

What the report gives, and the data reproduces whatever the as-of date: the four sources
(日常考核、年度考核、第三方评估考核、公众考核) and the four grades (优秀、良好、一般、差); "已经完成
87家单位第一季度考评，有46家单位存在不同程度扣分，我们对考核结果进行了公开晾晒、全市通报" — the
first quarter's round ranks 87 units, 46 of them with standing deductions, and is published
on the public ranking with the campaign's first circular (第1期). Of the 100 units under
special assessment, the 13 the report leaves out of the first quarter are the ones assessed
by their own systems until then (the court and the procuratorate, the mass organisations and
the city's enterprises, :data:`JOINED_IN_Q2`): the office adds them to the scheme after the
first round is published, so every later round ranks all 100.

Invented, because the report withholds them: the scheme's weights (日常40、年度30、第三方20、
公众10), indicators under the province's 四比四看 groups and their points, the categories, grade
bands (优秀≥90 at most 20% of a category, 良好≥80, 一般≥60), the linkage rules (an
admonishment talk means at best good, a circulated criticism at best fair), the dates, every
score but the ledger's, every deduction's reason and points, the two appeals of each round,
and the number of units with deductions after the first quarter.

**Consistent with the ledgers and notices.** The daily indicators are computed from each
unit's own ledger record in the round's period (on-time completion rate, items overdue at
its end, notices received, by :mod:`assessments.daily`); deductions come from inspections
(暗访督查) and people's reports, from the supervision orders and warnings a unit received
(naming the notice) and from its items long overdue (naming the item), never from a matter
under an approved exemption; the annual and third-party scores follow the unit's daily record
with a steady part of its own, so rankings move from quarter to quarter (trends show); the
public score comes from the survey's answers (:mod:`assessments.survey`). The accountability
measures of the supervision section cap the grades their rules say.

**A round's life.** A quarter's round is set up and opened for scoring (with the public
survey open) early in the quarter; deductions are recorded as inspections find problems and
notices go out; the public answers the survey; a week after the quarter ends the survey is
closed and the scores are computed and entered, and the round goes to review with a week
for appeals; one appeal is upheld (the deduction reversed) and one rejected; then it is
published (its circular numbered 第N期) and shown on the public ranking. The honor rolls
come from :func:`assessments.honor.demo_honor_rolls`, one for each month before the
as-of date's. Every event happens only if its day lies before the as-of date, so
the current quarter's round is being scored (survey open) and a quarter that has just ended
is still being scored or reviewed.

**Writes.** The scheme's parts (groups, indicators, categories and their units, grade bands,
linkage rules) are validated rows, as the office enters them in the admin, there being no
services for them; everything else goes through the services (:mod:`assessments.services`:
activate, create and open a round, enter scores, record deductions, file and decide
appeals, to review, publish; :mod:`assessments.survey`; :mod:`assessments.daily`) as the
demo's assessment office (考核办 persona ``assessor``) and units' liaisons, with the clock
set to each event's moment; a published round is shown on the public ranking (公开晾晒).
A campaign that has a scheme for its year already is left as it is: a second run writes nothing.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from unittest import mock

from accountability.models import (
    MeasureKind,
    Notice,
    NoticeKind,
    NoticeStatus,
    exempted_items_q,
    exempted_q,
)
from accounts.demo import (
    ASSESSED_CODES,
    COUNTIES,
    COUNTY_UNITS,
    LIAISONS,
    DemoCalendar,
    DemoWorld,
    Step,
    add_months,
    working_day,
)
from accounts.models import UnitLevel, User
from campaign.demo import campaign_of
from campaign.models import Campaign
from tasks_ledger.models import OPEN_STATUSES, LedgerItem

from . import daily, honor, services, survey
from .models import (
    Appeal,
    CategoryMember,
    DailyMetric,
    Deduction,
    DeductionOrigin,
    Grade,
    GradeBand,
    HonorRoll,
    Indicator,
    IndicatorGroup,
    LinkageRule,
    LinkageTarget,
    Round,
    RoundKind,
    Scheme,
    ScoreEntry,
    Source,
    SurveyResponse,
    UnitCategory,
)

ASSESSOR = "assessor"  # 考核办 persona (杨春梅)
HONOR_SEED = 2022
D = Decimal

# ---------------------------------------------------------------------------------------------
# The scheme
# ---------------------------------------------------------------------------------------------

WEIGHTS = {Source.DAILY: 40, Source.ANNUAL: 30, Source.THIRD_PARTY: 20, Source.PUBLIC: 10}
assert sum(WEIGHTS.values()) == 100

GROUPS = ("比担当看作为", "比效率看速度", "比质量看成效", "比作风看形象")


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    group: str
    name: str
    source: str
    max_points: int
    description: str
    metric: str = ""
    step: str = "1"


INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "RC01", "比效率看速度", "重点任务按期完成率", Source.DAILY, 40,
        "本季度到期的台账事项中按期销号的比例乘以40分；本季度无到期事项的得满分。",
        DailyMetric.ON_TIME_RATE,
    ),
    IndicatorSpec(
        "RC02", "比效率看速度", "逾期未完成事项", Source.DAILY, 20,
        "季度末仍逾期未销号的台账事项，每项扣2分，扣完为止。",
        DailyMetric.OVERDUE_ITEMS, "2",
    ),
    IndicatorSpec(
        "RC03", "比担当看作为", "督办落实情况", Source.DAILY, 20,
        "本季度收到提示单每份扣1分、督办单2分、警示单3分、问责建议单4分，扣完为止。",
        DailyMetric.NOTICES, "1",
    ),
    IndicatorSpec(
        "RC04", "比作风看形象", "督查检查发现问题", Source.DAILY, 20,
        "督查指导组暗访检查、“四单”落实和台账逾期中发现的问题，按《扣分细则》逐项扣分。",
    ),
    IndicatorSpec(
        "ND01", "比质量看成效", "年度重点目标任务完成情况", Source.ANNUAL, 60,
        "对照年度目标责任书，考核办按季度评定目标任务进展。",
    ),
    IndicatorSpec(
        "ND02", "比担当看作为", "攻坚破难和创先争优", Source.ANNUAL, 40,
        "攻坚难题化解、创先争优月榜上榜和经验做法推广情况。",
    ),
    IndicatorSpec(
        "DS01", "比作风看形象", "机关作风第三方评估", Source.THIRD_PARTY, 60,
        "第三方机构通过暗访、走流程体验和服务对象回访评估机关作风。",
    ),
    IndicatorSpec(
        "DS02", "比质量看成效", "营商环境第三方评价", Source.THIRD_PARTY, 40,
        "第三方机构对办事效率、政策落实和企业获得感进行评价。",
    ),
    IndicatorSpec(
        "GZ01", "比作风看形象", "群众满意度测评", Source.PUBLIC, 100,
        "群众通过手机扫码参与满意度测评，按服务态度、办事效率、廉洁自律和总体评价计分。",
    ),
)  # fmt: skip
INDICATOR_SPECS = {spec.code: spec for spec in INDICATORS}
DEDUCTED = "RC04"  # deductions are taken off this indicator
NOTICES = "RC03"  # computed from the notices received

COUNTY_CATEGORY, TOWNSHIP_CATEGORY, CITY_CATEGORY = "县（区）", "乡镇（街道）", "市直单位"
#: The units the report leaves out of the first quarter (100 - 87 = 13): assessed by their
#: own systems until the office brings them into the scheme after the first round.
JOINED_IN_Q2: tuple[str, ...] = (
    "LX-FY", "LX-JCY",  # 法院、检察院
    "LX-ZGH", "LX-TSW", "LX-FL", "LX-KX", "LX-GSL", "LX-CL", "LX-WL",  # 群团组织
    "LX-CTJT", "LX-SWJT", "LX-RLGS", "LX-GJJT",  # 市属国有企业
)  # fmt: skip
#: The report: 已经完成87家单位第一季度考评，有46家单位存在不同程度扣分.
Q1_ASSESSED, Q1_WITH_DEDUCTIONS = 87, 46
assert len(ASSESSED_CODES) - len(JOINED_IN_Q2) == Q1_ASSESSED
assert set(JOINED_IN_Q2) <= set(ASSESSED_CODES)

COUNTY_CODES = tuple(code for code, *_rest in COUNTIES)
TOWNSHIP_CODES = tuple(u.code for u in COUNTY_UNITS if u.level == UnitLevel.TOWNSHIP)


def category_of(code: str) -> str:
    if code in COUNTY_CODES:
        return COUNTY_CATEGORY
    return TOWNSHIP_CATEGORY if code in TOWNSHIP_CODES else CITY_CATEGORY


BANDS = ((Grade.EXCELLENT, 90, 20), (Grade.GOOD, 80, None), (Grade.FAIR, 60, None))
LINKAGES = ((MeasureKind.ADMONISHMENT, Grade.GOOD), (MeasureKind.CIRCULATED_CRITICISM, Grade.FAIR))
QUARTER_NAMES = ("一", "二", "三", "四")

# ---------------------------------------------------------------------------------------------
# Deductions
# ---------------------------------------------------------------------------------------------

#: Problems the supervision groups' unannounced inspections find (暗访督查), with points.
INSPECTION_FINDINGS: tuple[tuple[str, str], ...] = (
    ("督查指导组暗访发现，工作日上班时间有干部脱岗、离岗，考勤管理不严。", "1"),
    ("暗访发现办事窗口工作人员未佩戴工作牌，对群众咨询解答不耐心。", "1"),
    ("工作台账更新不及时，进度填报与实际情况不符。", "1.5"),
    ("未按时报送能力作风建设季度工作总结，经催报后仍迟报。", "0.5"),
    ("“走流程”体验发现办事环节多、材料繁，整改不及时。", "2"),
    ("12345热线转办件未在规定时限内办结反馈。", "1"),
    ("无故缺席全市能力作风建设专题推进会议。", "1"),
    ("报送信息质量不高，两次被退回修改。", "0.5"),
    ("联村包企工作记录不实，走访台账与实际不符。", "1.5"),
    ("政务公开栏信息更新不及时，公开内容不全。", "0.5"),
    ("暗访发现工作时间有干部在办公室玩手机、浏览与工作无关网页。", "1"),
    ("“我为群众办实事”承诺事项推进缓慢，群众反映较多。", "2"),
)
#: Problems people reported (群众反映问题) and their points.
PROBLEM_FINDINGS: tuple[tuple[str, str], ...] = (
    ("群众反映的“低粗差”问题整改不到位，被重复投诉。", "2"),
    ("群众反映办事“推绕拖”，经核查属实。", "1.5"),
    ("企业反映涉企服务事项办理超时，经核查属实。", "1"),
)
SUPERVISION_REASON = "收到督办单{number}（{subject}），工作推进不力。"
WARNING_REASON = "收到警示单{number}（{subject}），整改不力。"
OVERDUE_REASON = "台账事项“{title}”逾期{days}天未完成，且未按规定申请延期。"
#: An item this long overdue at the period's end draws a deduction.
LONG_OVERDUE_DAYS = 30
#: Units drawing inspection or problem deductions after the first quarter: fewer each
#: quarter as the campaign takes hold (invented; the report gives only the first quarter's).
LATER_INSPECTED = (30, 25, 21)
#: Answers to the public survey per unit and round (half that while the quarter runs); a
#: unit needs SURVEY_MIN_RESPONSES (5 by default) for a public score.
SURVEY_ANSWERS = 8
SCORE_COMMENTS = {
    DEDUCTED: "满分20分，督查检查发现问题逐项扣分（见扣分记录）。",
    "ND01": "对照年度目标责任书评定本季度目标任务进展。",
    "ND02": "攻坚难题化解和创先争优情况。",
    "DS01": "第三方评估机构暗访、走流程体验和服务对象回访评分。",
    "DS02": "第三方评估机构营商环境评价评分。",
    "GZ01": "测评答卷不足，按考核办组织的电话回访评分。",
}

APPEAL_UPHELD = (
    "该问题发生时相关干部经批准外出参加上级培训，已补充请假审批单，申请撤销扣分。",
    "经复核，外出人员持有经批准的请假审批手续，不属于脱岗，予以撤销扣分。",
)
APPEAL_REJECTED = (
    "我单位已于检查次日完成整改，申请免于扣分。",
    "扣分依据事实清楚，事后整改不影响扣分认定，维持原扣分决定。",
)

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _salt(*parts: object) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def _unit_noise(*parts: object) -> float:
    """A deterministic number in [-1, 1)."""
    return (_salt(*parts) % 2000) / 1000 - 1


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """The services (and auto-stamped fields) read ``moment`` as now."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _half(value: float, top: int) -> Decimal:
    """``value`` rounded to half points, within 0 and ``top``."""
    halves = D(str(max(min(value, top), 0) * 2)).quantize(D(1), rounding=ROUND_HALF_UP)
    return halves / 2


def round_title(cal: DemoCalendar, quarter: Quarter) -> str:
    """``2026年第一季度`` (the circular says 关于…能力作风建设考核结果的通报); a campaign across
    two years counts its own quarters: ``2026—2027年度第二季度``."""
    first, last = cal.start.year, cal.end.year
    years = f"{first}年" if first == last else f"{first}—{last}年度"
    return years + quarter.title


@dataclass
class Quarter:
    """One quarter of the campaign's year and the days of its round's events."""

    number: int
    start: date
    end: date

    @property
    def title(self) -> str:
        return f"第{QUARTER_NAMES[self.number - 1]}季度"

    def day(self, offset: int) -> date:
        """A working day ``offset`` days after the quarter's end."""
        return working_day(self.end + timedelta(days=offset))

    @property
    def opened(self) -> date:
        """The round is set up and opened for scoring (survey open)."""
        return working_day(self.start + timedelta(days=6))

    @property
    def scored(self) -> date:
        return self.day(7)

    @property
    def reviewed(self) -> date:
        return self.day(9)

    @property
    def appeal_until(self) -> date:
        return self.day(14)

    @property
    def appealed(self) -> date:
        return self.day(11)

    @property
    def decided(self) -> date:
        return self.day(15)

    @property
    def published(self) -> date:
        return self.day(17)


def quarters(cal: DemoCalendar) -> list[Quarter]:
    """The four quarters of the campaign's year (moved like every date of the demo); the
    first starts at the campaign's launch."""
    found = []
    for number in range(1, 5):
        start = cal.day(3 * number - 2, 1)
        end = add_months(cal.day(3 * number - 2, 1), 3) - timedelta(days=1)
        found.append(Quarter(number, max(start, cal.start), end))
    return found


def long_overdue(campaign: Campaign, end: date) -> dict[int, list[tuple[LedgerItem, int]]]:
    """Each unit's items still open on the as-of date whose deadline lay more than
    :data:`LONG_OVERDUE_DAYS` before ``end`` (so overdue at ``end`` by any count), with the
    days late at ``end``, longest first; items under an approved exemption are left out."""
    found: dict[int, list[tuple[LedgerItem, int]]] = defaultdict(list)
    items = (
        LedgerItem.objects.filter(
            ledger__campaign=campaign,
            status__in=OPEN_STATUSES,
            deadline__lt=end - timedelta(days=LONG_OVERDUE_DAYS),
        )
        .exclude(exempted_items_q())
        .only("pk", "unit_id", "deadline", "title", "ledger_id")
        .order_by("deadline", "pk")
    )
    for item in items:
        assert item.deadline is not None
        found[item.unit_id].append((item, (end - item.deadline).days))
    return found


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, world: DemoWorld, campaign: Campaign) -> None:
        self.world = world
        self.cal = world.calendar
        self.campaign = campaign
        self.office: User = world.users[ASSESSOR]
        self.units = {code: world.units[code] for code in ASSESSED_CODES}
        self.codes = {unit.pk: code for code, unit in self.units.items()}
        self.scheme: Scheme
        self.indicators: dict[str, Indicator] = {}
        self.categories: dict[str, UnitCategory] = {}
        self.members: set[str] = set()
        self.joined_on: date | None = None
        # The unit of each quarter whose only deduction an appeal reverses.
        self.upheld: dict[int, str] = {}

    def at(self, day: date, *salt: object) -> datetime:
        """``day`` at an office hour that depends on ``salt``."""
        return self.cal.at(day, "assessments", *salt)

    def before_today(self, day: date) -> bool:
        return day < self.cal.as_of

    # --- the scheme ------------------------------------------------------------------------
    def build_scheme(self) -> None:
        year = self.cal.year
        day = working_day(self.cal.start + timedelta(days=7))
        with _clock(self.at(day, "scheme")):
            scheme = Scheme(
                campaign=self.campaign,
                year=year,
                title=f"{year}年度机关能力作风建设“四考四评”考核评价方案",
                daily_weight=D(WEIGHTS[Source.DAILY]),
                annual_weight=D(WEIGHTS[Source.ANNUAL]),
                third_party_weight=D(WEIGHTS[Source.THIRD_PARTY]),
                public_weight=D(WEIGHTS[Source.PUBLIC]),
                tier_count=3,
            )
            scheme.full_clean()
            scheme.save()
            groups = {}
            for order, name in enumerate(GROUPS, start=1):
                groups[name] = IndicatorGroup.objects.create(
                    scheme=scheme, name=name, sort_order=order
                )
            for order, spec in enumerate(INDICATORS, start=1):
                indicator = Indicator(
                    scheme=scheme,
                    group=groups[spec.group],
                    code=spec.code,
                    name=spec.name,
                    source=spec.source,
                    max_points=D(spec.max_points),
                    description=spec.description,
                    metric=spec.metric,
                    metric_step=D(spec.step),
                    sort_order=order,
                )
                indicator.full_clean()
                indicator.save()
                self.indicators[spec.code] = indicator
            for order, name in enumerate(
                (COUNTY_CATEGORY, TOWNSHIP_CATEGORY, CITY_CATEGORY), start=1
            ):
                self.categories[name] = UnitCategory.objects.create(
                    scheme=scheme, name=name, sort_order=order
                )
            for grade, lowest, quota in BANDS:
                GradeBand.objects.create(
                    scheme=scheme,
                    grade=grade,
                    min_total=D(lowest),
                    quota_percent=None if quota is None else D(quota),
                )
            GradeBand.objects.create(scheme=scheme, grade=Grade.POOR, min_total=D(0))
            for kind, best in LINKAGES:
                LinkageRule.objects.create(
                    scheme=scheme, measure_kind=kind, target=LinkageTarget.UNIT, best_grade=best
                )
            self.scheme = scheme
            self.add_members([c for c in ASSESSED_CODES if c not in JOINED_IN_Q2])
            self.scheme = services.scheme_activate(scheme=scheme, actor=self.office)
        self.world.note(Scheme)
        self.world.note(Indicator, len(INDICATORS))

    def add_members(self, codes: list[str]) -> None:
        """The office assesses ``codes`` in their categories from now on."""
        CategoryMember.objects.bulk_create(
            CategoryMember(
                scheme=self.scheme,
                category=self.categories[category_of(code)],
                unit=self.units[code],
            )
            for code in codes
        )
        self.members.update(codes)
        self.world.note(CategoryMember, len(codes))

    # --- a round ---------------------------------------------------------------------------
    def build_round(self, quarter: Quarter) -> None:
        """The quarter's round, as far as it has got by the as-of date."""
        if not self.before_today(quarter.opened):
            return
        office, n = self.office, quarter.number
        with _clock(self.at(quarter.opened, "round", n)):
            round_ = services.round_create(
                scheme=self.scheme,
                actor=office,
                kind=RoundKind.QUARTERLY,
                quarter=n,
                title=round_title(self.cal, quarter),
                period_start=quarter.start,
                period_end=quarter.end,
                appeal_until=quarter.appeal_until,
            )
            round_ = services.round_open_scoring(round_=round_, actor=office)
            round_ = survey.survey_open(round_=round_, actor=office)
        self.world.note(Round)
        deductions = self.record_deductions(round_, quarter)
        answered = min(quarter.end, self.cal.yesterday)
        with _clock(self.at(answered, "survey", n)):
            per_unit = SURVEY_ANSWERS if answered == quarter.end else SURVEY_ANSWERS // 2
            added = survey.demo_survey_responses(round_, per_unit=per_unit, seed=_salt(n))
        self.world.note(SurveyResponse, added)
        if not self.before_today(quarter.scored):
            return
        with _clock(self.at(quarter.scored, "scores", n)):
            round_ = survey.survey_close(round_=round_, actor=office)
            self.enter_scores(round_, quarter)
        if not self.before_today(quarter.reviewed):
            return
        with _clock(self.at(quarter.reviewed, "review", n)):
            round_ = services.round_to_review(round_=round_, actor=office)
        self.appeals(round_, quarter, deductions)
        if not self.before_today(quarter.published):
            return
        with _clock(self.at(quarter.published, "publish", n)):
            round_ = services.round_publish(round_=round_, actor=office)
            round_ = services.round_show_publicly(round_=round_, actor=office)
        joined = quarter.day(20)
        if n == 1 and self.before_today(joined):
            with _clock(self.at(joined, "members")):
                self.add_members(list(JOINED_IN_Q2))
            self.joined_on = joined

    # --- deductions ------------------------------------------------------------------------
    def record_deductions(self, round_: Round, quarter: Quarter) -> list[Deduction]:
        """The quarter's deductions up to the as-of date, in time order: warnings received,
        items long overdue at the quarter's end, and what inspections and people's reports
        found (46 units in all in the first quarter, one more whose deduction an appeal
        will reverse)."""
        first = quarter.opened + timedelta(days=1)
        last = min(quarter.scored - timedelta(days=1), self.cal.yesterday)
        members = sorted(self.members)
        joined_after = {code: self.joined_on for code in JOINED_IN_Q2 if self.joined_on}
        plan: list[tuple[date, str, Callable[[], Deduction]]] = []

        def add(day: date, code: str, make: Callable[[], Deduction]) -> None:
            day = working_day(max(day, first, joined_after.get(code, first)))
            if day <= last:
                plan.append((day, code, make))

        notices = (
            Notice.objects.filter(
                campaign=self.campaign,
                kind__in=[NoticeKind.SUPERVISION, NoticeKind.WARNING],
                issued_on__range=(quarter.start, quarter.end),
                target_unit__code__in=members,
            )
            .exclude(status=NoticeStatus.DRAFT)
            .exclude(exempted_q())
        )
        for notice in notices.order_by("issued_on", "pk"):
            assert notice.issued_on is not None
            warning = notice.kind == NoticeKind.WARNING
            reason = (WARNING_REASON if warning else SUPERVISION_REASON).format(
                number=notice.number, subject=notice.subject
            )
            add(
                notice.issued_on + timedelta(days=2),
                self.codes[notice.target_unit_id],
                self.deduction(round_, notice.target_unit_id, "2" if warning else "1", reason,
                               DeductionOrigin.NOTICE, notice=notice),
            )  # fmt: skip
        for unit_id, items in long_overdue(self.campaign, quarter.end).items():
            code = self.codes.get(unit_id)
            if code not in self.members:
                continue
            item, days = items[0]
            reason = OVERDUE_REASON.format(title=item.title, days=days)
            add(
                quarter.day(3),
                code,
                self.deduction(round_, unit_id, "1", reason, DeductionOrigin.OVERDUE_ITEM,
                               item=item),
            )  # fmt: skip
        deducted = {code for _day, code, _make in plan}
        others = sorted(
            (c for c in members if c not in deducted), key=lambda c: _salt(quarter.number, c)
        )
        if quarter.number == 1:
            wanted = Q1_WITH_DEDUCTIONS - len(deducted)
            assert wanted >= 0, "the first quarter has too many ledger deductions"
        else:
            wanted = LATER_INSPECTED[min(quarter.number, 4) - 2]
        span = max((quarter.end - first).days, 1)
        # One more unit: its only deduction (脱岗) is reversed by an upheld appeal.
        for index, code in enumerate(others[: wanted + 1]):
            unit_id = self.units[code].pk
            upheld = index == wanted
            if upheld:
                self.upheld[quarter.number] = code
            finds = 1 if upheld else 1 + (_salt("twice", quarter.number, code) % 4 == 0)
            for n in range(finds):
                salt = _salt("finding", quarter.number, code, n)
                problem = not upheld and salt % 5 == 0
                reason, points = (
                    INSPECTION_FINDINGS[0]
                    if upheld
                    else (PROBLEM_FINDINGS if problem else INSPECTION_FINDINGS)[
                        salt % (len(PROBLEM_FINDINGS) if problem else len(INSPECTION_FINDINGS))
                    ]
                )
                origin = DeductionOrigin.PROBLEM if problem else DeductionOrigin.INSPECTION
                add(
                    first + timedelta(days=salt % span),
                    code,
                    self.deduction(round_, unit_id, points, reason, origin),
                )
        made: list[Deduction] = []
        for day, code, make in sorted(plan, key=lambda p: (p[0], p[1])):
            with _clock(self.at(day, "deduction", code, len(made))):
                made.append(make())
        self.world.note(Deduction, len(made))
        return made

    def deduction(
        self,
        round_: Round,
        unit_id: int,
        points: str,
        reason: str,
        origin: str,
        *,
        notice: Notice | None = None,
        item: LedgerItem | None = None,
    ) -> Callable[[], Deduction]:
        unit = self.units[self.codes[unit_id]]

        def make() -> Deduction:
            return services.deduction_record(
                round_=round_,
                actor=self.office,
                unit=unit,
                indicator=self.indicators[DEDUCTED],
                points=points,
                reason=reason,
                origin=origin,
                notice=notice,
                item=item,
            )

        return make

    # --- scores ----------------------------------------------------------------------------
    def enter_scores(self, round_: Round, quarter: Quarter) -> None:
        """Every indicator's points for every unit assessed: the daily ones computed from the
        ledger, the public one from the survey's answers, the others as the office and the
        evaluators gave them, following the unit's daily record with a steady part of its
        own (a unit strong in one quarter tends to stay strong; some improve, some slip)."""
        n, office = quarter.number, self.office
        written = daily.daily_scores_compute(round_=round_, actor=office, today=quarter.scored)
        public = survey.public_scores_compute(round_=round_, actor=office)
        written += public.written
        computed = ScoreEntry.objects.filter(round=round_, indicator__source=Source.DAILY)
        daily_points: dict[int, Decimal] = defaultdict(Decimal)
        notices: dict[int, Decimal] = {}
        for unit_id, code, points in computed.values_list("unit_id", "indicator__code", "points"):
            daily_points[unit_id] += points
            if code == NOTICES:
                notices[unit_id] = INDICATOR_SPECS[NOTICES].max_points - points
        entries = []
        without_public = {unit.pk for unit, _count in public.too_few}
        for code in sorted(self.members):
            unit = self.units[code]
            # The computed daily points (out of 80) and the full 20 of RC04 before deductions.
            daily_pct = float(daily_points[unit.pk]) + INDICATOR_SPECS[DEDUCTED].max_points
            warned = float(notices.get(unit.pk, 0))
            strength, slope = _unit_noise("strength", code), _unit_noise("slope", code)
            noise = [_unit_noise("noise", n, code, k) for k in range(5)]
            annual = 81 + 6 * strength + (0.6 + slope) * (n - 1) + 0.3 * (daily_pct - 90)
            third = 82 + 5 * strength + (0.5 + slope) * (n - 1) - 0.8 * warned
            marks: dict[str, Decimal] = {
                DEDUCTED: D(INDICATOR_SPECS[DEDUCTED].max_points),
                "ND01": _half((annual + 2 * noise[0]) * 0.6, 60),
                "ND02": _half((annual + 3 * noise[1]) * 0.4, 40),
                "DS01": _half((third + 2.5 * noise[2]) * 0.6, 60),
                "DS02": _half((third + 3 * noise[3]) * 0.4, 40),
            }
            if unit.pk in without_public:  # too few answers: the office's fallback
                marks["GZ01"] = _half(85 + 4 * strength + 3 * noise[4], 100)
            entries += [
                (unit, self.indicators[key], value, SCORE_COMMENTS[key])
                for key, value in marks.items()
            ]
        written += services.scores_enter(round_=round_, actor=office, entries=entries)
        self.world.note(ScoreEntry, written)

    # --- appeals ---------------------------------------------------------------------------
    def appeals(self, round_: Round, quarter: Quarter, deductions: list[Deduction]) -> None:
        """Two appeals: the extra unit's 脱岗 deduction, upheld; one inspection deduction of
        another unit, rejected."""
        extra = self.upheld.get(quarter.number)
        upheld = next((d for d in deductions if self.codes[d.unit_id] == extra), None)
        rejected = next(
            (d for d in deductions
             if d.origin == DeductionOrigin.INSPECTION and d is not upheld
             and d.unit_id != getattr(upheld, "unit_id", None)),
            None,
        )  # fmt: skip
        for deduction, texts, accept in ((upheld, APPEAL_UPHELD, True),
                                         (rejected, APPEAL_REJECTED, False)):  # fmt: skip
            if deduction is None or not self.before_today(quarter.appealed):
                continue
            code = self.codes[deduction.unit_id]
            liaison = self.world.users[LIAISONS[code]]
            with _clock(self.at(quarter.appealed, "appeal", code)):
                appeal = services.appeal_file(
                    deduction=deduction, actor=liaison, reasons=texts[0], today=quarter.appealed
                )
            self.world.note(Appeal)
            if self.before_today(quarter.decided):
                with _clock(self.at(quarter.decided, "decide", code)):
                    services.appeal_decide(
                        appeal=appeal, actor=self.office, upheld=accept, reason=texts[1]
                    )


def build_assessments(world: DemoWorld) -> None:
    """The campaign's scheme for its year and its quarters' rounds, unless it has one."""
    campaign = campaign_of(world)
    if Scheme.objects.filter(campaign=campaign, year=world.calendar.year).exists():
        return
    builder = _Builder(world, campaign)
    builder.build_scheme()
    for quarter in quarters(world.calendar):
        builder.build_round(quarter)


def build_honor_rolls(world: DemoWorld) -> None:
    """A published honor roll (创先争优月榜) for every month of the campaign before the as-of
    date's, unless the campaign has rolls already (a run on a later day writes nothing)."""
    campaign = campaign_of(world)
    if HonorRoll.objects.filter(campaign=campaign).exists():
        return
    rolls = honor.demo_honor_rolls(campaign, as_of=world.as_of, seed=HONOR_SEED)
    if rolls:
        world.note(HonorRoll, len(rolls))


STEPS: tuple[Step, ...] = (build_assessments, build_honor_rolls)
