"""Demo data, the ledgers' section: the city campaign's ledgers (``seeds/000_…``).

:func:`accounts.demo.seed_demo` runs :data:`STEPS` after the campaign's section; the steps
read the campaign, chains and people that lower sections keep in the world, and the
world's :class:`~accounts.demo.DemoCalendar` (the as-of date).

What the report gives, and the data reproduces exactly, whatever the as-of date:

- 6 areas and 20 ledgers (共建立了6个方面20本工作台账) holding 521 key tasks (细化521项重点任务);
  of those, the business-environment action plan's 172 key tasks (明确172项重点任务), the 20
  livelihood projects (20件民生工程) and the 38 newly signed industrial projects
  (新签约产业项目38个)
  each get a ledger of that size;
- 39 hard problems with 117 measures (梳理攻坚难题39条，提出攻坚措施117条);
- 773 petition cases handed down from above, all resolved (773件重点领域信访案件全部得到有效化解):
  every one is signed off or completed, with its source, the petitioner's demand and the
  handling result filled in;
- 52 provincial and city key projects (52个省市重点项目) with their money and dates, whose four
  rates (四率) are good but not perfect on the as-of date;
- 179 "low, rough, poor" problems, all solved and signed off (解决各类“低粗差”问题179个);
- 116 problems analysed by the standing committee's seminar with 64 rectification measures
  (剖析问题116个，制定整改措施64条). A ``Measure`` belongs to one item, so the 64 measures sit on
  64 of the problems; the other 52 share the measure of a problem with the same root cause,
  and their ``rectification`` text names that problem's number (合并整改). Every root cause has
  at least one measure.
- 20 public commitments by units' principal leaders (20家单位主要领导…进行公开承诺).
- The report's standing work (清单台账动态更新, 持续整治作风顽疾, 长效工作机制): a few key tasks
  are long-term items (长期坚持, no deadline) whose light follows their accepted reports.

Invented: every title beyond the report's wording, the units each item falls to, dates,
progress, money, petitioners (always "某某"), the two documents' numbers, and a handful of
review meetings (the report's "300余次" is not an exact figure, so eight stand for them).

**Dates.** Every date is written in the report's year (``cal.day(month, day)``) and moved
by the calendar to the demo campaign's, or counted from the as-of date (``cal.today``), so
that the ledgers stand as they would on that date: nothing is dated on or after it (reports
and decisions end the day before, at office hours), what fell due long ago is nearly all
signed off, what fell due in the last weeks is mostly done or waiting for its sign-off to
be verified, and what falls due later is under way. Multi-year tasks name the campaign's
years (their titles carry ``{first}``-``{last}``); those tied to real plans keep their real
dates (十四五/十五五, 碳达峰 2030, 2035 远景目标). Seeding never reads the clock for anything
but the default as-of date, so the same date gives the same data however often it is
seeded (re-runs write nothing).

How the traffic light looks (counts from ``selectors.ledger_items``; the tests hold them):

- *On the as-of date*: red items are a few percent of the open ones (3-8% on the dates the
  tests pin; between 2% and 9% on any day of a campaign: fewest early on, when few
  deadlines lie behind, most in its last months, when few items are still open). On
  2026-07-20, of the 521 key tasks 23 are red, 54 yellow (due within three days, or behind
  the elapsed share of their time by more than 20 points, or a long-term item quiet for a
  month), 427 green and 17 none (suspended or cancelled); of all 1,700 items 30 are red of
  420 open. Each persona unit (兴城区, 市发改委, 兴城区红旗镇) has a red and a yellow key
  task of its own; the office's queues hold 79 sign-off requests, 10 extension requests and
  127 progress reports.
- *Later, with nobody updating*: what stays open turns red as its deadline passes (212 red
  four months on, 389 a year on), as it would in a ledger nobody keeps; the multi-year and
  long-term items keep the lists from being a wall of red.
- *Key projects* on 2026-07-20: 开工率 95.8% (46 of 48 due), 资金到位率 91.7%, 投资完成率
  62.6% (past half by mid-year) and 按期竣工率 87.5% (7 of 8 due).

Writes: ledgers, areas and meetings go through the services with ``actor=None``; items and
their milestones, measures, progress reports, sign-off and extension requests and evidence
are bulk-created (the history triggers still record every row, in the seed's context),
after the same model validation the services run. A row is written only when its natural
key (area name, ledger title, ledger + item number, meeting title) is missing; the
children of an item are written with the item. Evidence rows share three small demo files
stored once under ``evidence/demo/``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import DateTimeField, Model

from accounts.demo import (
    ASSESSED_CODES,
    CAMPAIGN_OFFICE_UNIT,
    COUNTIES,
    LIAISONS,
    DemoCalendar,
    DemoWorld,
    Step,
    working_day,
)
from accounts.models import Unit, User
from campaign.demo import CampaignDemo, campaign_of
from campaign.models import ResponsibilityChain

from . import services
from .models import (
    Area,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    LightPolicy,
    Measure,
    MeetingKind,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
)
from .services import area_get_or_create, ledger_create, meeting_create

# Seeds every random choice (with the ledger's title), so each run builds the same data.
RANDOM_SEED = "nlzf-demo-ledgers-2022"
OFFICE = "office"  # the campaign office persona reviews and verifies

NOT_STARTED, IN_PROGRESS = ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS
COMPLETED, SIGNED_OFF = ItemStatus.COMPLETED, ItemStatus.SIGNED_OFF
SUSPENDED, CANCELLED = ItemStatus.SUSPENDED, ItemStatus.CANCELLED
PENDING, ACCEPTED, RETURNED = ReviewStatus.PENDING, ReviewStatus.ACCEPTED, ReviewStatus.RETURNED

# ---------------------------------------------------------------------------------------------
# Areas and ledgers
# ---------------------------------------------------------------------------------------------

AREAS: tuple[str, ...] = ("项目建设", "营商环境", "民生保障", "信访维稳", "作风整治", "解放思想")


@dataclass(frozen=True)
class LedgerSpec:
    """One of the 20 ledgers: area, kind, title, owner unit and task force, item count.

    ``chain`` names the task force whose responsibility chain the items carry (the ledger's
    own task force unless told).
    """

    area: str
    kind: str
    title: str
    owner: str
    task_force: str | None
    count: int
    description: str
    chain: str | None = None

    @property
    def chain_force(self) -> str | None:
        """The task force whose chain the ledger's items carry."""
        return self.chain or self.task_force


KT, PROBLEM, HARD = LedgerKind.KEY_TASK, LedgerKind.PROBLEM, LedgerKind.HARD_PROBLEM
PETITION, PROJECT, COMMITMENT = LedgerKind.PETITION, LedgerKind.KEY_PROJECT, LedgerKind.COMMITMENT

# fmt: off
LEDGERS: tuple[LedgerSpec, ...] = (
    LedgerSpec("项目建设", PROJECT, "省市重点项目建设台账", "LX-FGW", "项目建设推进工作专班", 52,
               "52个省市重点项目，按年度计划投资调度资金到位率、投资完成率、开工率和按期竣工率。"),
    LedgerSpec("项目建设", KT, "主要经济指标调度台账", "LX-FGW", "经济指标调度工作专班", 24,
               "主要经济指标周调度、月分析、季通报，确保上半年实现“双过半”。"),
    LedgerSpec("项目建设", KT, "招商引资签约项目落地台账", "LX-TCJ", "招商引资工作专班", 38,
               "围绕“4+N”产业体系，推动年初以来新签约的38个产业项目落地开工。"),
    LedgerSpec("项目建设", KT, "数字经济发展重点任务台账", "LX-GXJ", "数字经济工作专班", 22,
               "推进智慧城市建设和“i龙兴”城市公共服务平台项目。"),
    LedgerSpec("项目建设", KT, "冰雪经济发展重点任务台账", "LX-WGLJ", "冰雪经济工作专班", 18,
               "发展冰雪旅游、冰雪体育和冰雪装备产业。"),
    LedgerSpec("营商环境", KT, "优化营商环境专项行动重点任务台账", "LX-YSHJJ", "营商环境工作专班",
               172, "《优化营商环境专项行动方案》（龙政办发〔{year}〕12号）"
                    "及系列配套文件明确的172项重点任务。"),
    LedgerSpec("营商环境", KT, "政务服务和信用体系建设任务台账", "LX-YSHJJ", "营商环境工作专班", 31,
               "深化“放管服”改革，推进“网上办”“一窗办”和城市信用体系建设。"),
    LedgerSpec("民生保障", KT, "20件民生工程任务台账", "LX-ZJJ", "民生工程工作专班", 20,
               "大力实施20件民生工程，推进老旧小区改造和燃气入户项目。"),
    LedgerSpec("民生保障", KT, "“我为群众办实事”实践活动任务台账", CAMPAIGN_OFFICE_UNIT, None, 30,
               "问政于民、问计于民、问需于民，解决群众急难愁盼问题。", chain="民生工程工作专班"),
    LedgerSpec("民生保障", KT, "城市整治提升任务台账", "LX-CGJ", "城市整治提升工作专班", 28,
               "开展拆违治乱和城市清新行动，清理私搭乱建，新增城区绿化。"),
    LedgerSpec("民生保障", KT, "生态环境保护督察反馈问题整改台账", "LX-STHJJ",
               "环保督察整改工作专班",
               26, "生态环境保护督察反馈问题逐项整改、逐项销号。"),
    LedgerSpec("信访维稳", PETITION, "上级交办重点领域信访案件台账", "LX-XFJ", "信访工作专班", 773,
               "上级交办的773件重点领域信访案件，清单台账动态更新，逐案化解。"),
    LedgerSpec("信访维稳", KT, "执法司法服务提升攻坚任务台账", "LX-ZFW",
               "执法司法服务提升攻坚专项工作组", 25, "解决群众反映强烈的执法司法问题。"),
    LedgerSpec("作风整治", PROBLEM, "“低粗差”问题整改台账", "LX-JWJW",
               "不良作风整治专项工作组", 179,
               "多渠道搜集社情民意，对“低粗差”问题直面问题、及时整改、逐个销号。"),
    LedgerSpec("作风整治", KT, "不良作风整治专项行动任务台账", "LX-JWJW", "不良作风整治专项工作组",
               27, "整治有诺不践、联村包企不实、“走流程”变“走秀”、“口会而实不至”等作风顽疾。"),
    LedgerSpec("作风整治", KT, "机关工作质效提升任务台账", "LX-ZZB",
               "机关工作质效提升专项工作组", 24,
               "开展“业务大讲堂”，提升机关干部能力素质和工作质效。"),
    LedgerSpec("作风整治", COMMITMENT, "单位主要领导公开承诺事项台账", CAMPAIGN_OFFICE_UNIT,
               None, 20,
               "20家单位主要领导在“能力作风专栏”公开承诺，接受群众监督。",
               chain="不良作风整治专项工作组"),
    LedgerSpec("解放思想", PROBLEM, "“解放思想促进高质量发展”研讨问题整改台账", "LX-SWB",
               "重大决策部署督办落实专项工作组", 116,
               "常委班子成员围绕“思想观念怎么变、短板弱项怎么补、振兴发展怎么干”剖析问题、制定整改措施。"),
    LedgerSpec("解放思想", HARD, "《攻坚破难计划》攻坚难题台账", "LX-ZFB",
               "重大决策部署督办落实专项工作组", 39,
               "问政于民、问计于民、问需于民，制定《攻坚破难计划》（龙办发〔{year}〕8号），"
               "梳理攻坚难题39条，提出攻坚措施117条。"),
    LedgerSpec("解放思想", KT, "重大决策部署督办落实任务台账", "LX-SWB",
               "重大决策部署督办落实专项工作组", 36,
               "明确牵头领导、责任部门、整改措施、完成时限，对调度会议定事项跟踪督办。"),
)
# fmt: on
assert len(LEDGERS) == 20 and {s.area for s in LEDGERS} == set(AREAS)
assert sum(s.count for s in LEDGERS if s.kind == KT) == 521

# ---------------------------------------------------------------------------------------------
# Key tasks: per ledger, the tasks and the units each falls to ("县区" = the four counties).
# A third element gives a task a horizon of its own: a deadline years ahead (its title may
# name the years), or none at all for a standing measure (长期坚持).
# ---------------------------------------------------------------------------------------------

#: (title, calendar) -> (title, deadline or None for a standing measure, progress so far).
Horizon = Callable[[str, DemoCalendar], tuple[str, date | None, int]]
TaskRow = tuple[str, str] | tuple[str, str, Horizon]
NUMERALS = "一二三四五六七八九"


def years(span: int, progress: int) -> Horizon:
    """A task running to the end of the year ``span`` years after the campaign's, with the
    progress reported so far; ``{first}`` and ``{last}`` in its title name the two years."""

    def horizon(title: str, cal: DemoCalendar) -> tuple[str, date | None, int]:
        first, last = cal.year, cal.year + span
        return title.format(first=first, last=last), date(last, 12, 31), progress

    return horizon


def _elapsed(first: int, last: int, today: date) -> float:
    """Percent of the years ``first`` to ``last`` (whole years) that lies behind ``today``."""
    begin, end = date(first, 1, 1), date(last, 12, 31)
    return 100 * max(0, min((today - begin).days, (end - begin).days)) / (end - begin).days


def five_year_plan(title: str, cal: DemoCalendar) -> tuple[str, date | None, int]:
    """The five-year plan (规划纲要) of the as-of year: 十四五 for 2021-2025, 十五五 for
    2026-2030 and so on, due at its end, with progress a little behind its elapsed time."""
    number = 14 + (cal.today.year - 2021) // 5
    first = 2021 + 5 * (number - 14)
    plan = f"十{NUMERALS[number - 11]}五"
    progress = max(5, _round5(_elapsed(first, first + 4, cal.today) - 5))
    return title.format(plan=plan), date(first + 4, 12, 31), progress


def carbon_peak(title: str, cal: DemoCalendar) -> tuple[str, date | None, int]:
    """Peak carbon before 2030 (the national plan's date); after 2030, five years of the
    way to neutrality by 2060 (a ledger's dates stay within 15 years of its campaign)."""
    year = cal.today.year
    if year < 2030:
        return title, date(2030, 12, 31), max(5, _round5(_elapsed(2021, 2030, cal.today) - 10))
    return f"落实碳中和行动方案（{year}—{year + 5}年）", date(year + 5, 12, 31), 15


def vision_2035(title: str, cal: DemoCalendar) -> tuple[str, date | None, int]:
    """The 2035 long-range goals; after 2035, those for the middle of the century."""
    if cal.today.year < 2035:
        return title, date(2035, 12, 31), max(5, _round5(_elapsed(2021, 2035, cal.today) - 5))
    progress = max(5, _round5(_elapsed(2036, 2049, cal.today)))
    return "到本世纪中叶全面建成社会主义现代化强国目标任务分解落实", date(2049, 12, 31), progress


def poverty_transition(title: str, cal: DemoCalendar) -> tuple[str, date | None, int]:
    """The transition period after poverty alleviation ran to the end of 2025; after it,
    preventing a return to poverty is a standing measure (长期坚持)."""
    if cal.today.year <= 2025:
        return title, date(2025, 12, 31), max(5, _round5(_elapsed(2021, 2025, cal.today) - 5))
    return "健全常态化防止返贫致贫帮扶机制", None, 0


def standing_measure(title: str, cal: DemoCalendar) -> tuple[str, date | None, int]:
    """A standing measure (长期坚持): no deadline; its light follows accepted progress."""
    return title, None, 0


# fmt: off
KEY_TASKS: dict[str, tuple[TaskRow, ...]] = {
    "主要经济指标调度台账": (
        ("地区生产总值增速上半年实现“双过半”", "FGW TJJ 县区"),
        ("规模以上工业增加值增速进入全省前列", "GXJ 县区"),
        ("固定资产投资完成年度目标任务", "FGW 县区"),
        ("社会消费品零售总额稳步增长", "SWJ"),
        ("实际利用省外资金完成年度任务", "TCJ"),
        ("一般公共预算收入完成年度预算", "CZJ"),
        ("农林牧渔业总产值稳定增长", "NYJ"),
        ("培育规上工业企业和限上商贸企业入统", "GXJ SWJ"),
        ("完成“{plan}”规划纲要确定的主要目标任务", "FGW", five_year_plan),
        ("坚持主要经济指标周调度、月分析、季通报", "TJJ", standing_measure),
    ),
    "招商引资签约项目落地台账": tuple(
        (f"推动{name}签约落地开工", units)
        for name, units in (
            ("玉米深加工产业链延伸项目", "AN FLX"), ("生物基新材料产业园项目", "XC TCJ"),
            ("绿色食品加工产业园项目", "FLX AN"), ("精细化工延链项目（对接兴达化工）", "LH TCJ"),
            ("新能源装备制造项目", "XC GXJ"), ("光伏发电项目", "AN FLX"),
            ("风力发电项目", "FLX AN"), ("生物质热电联产项目", "LH XC"),
            ("冰雪装备制造项目", "XC WGLJ"), ("现代物流园区项目", "LH SWJ"),
            ("农机装备制造项目", "AN NYJ"), ("乳制品加工项目", "FLX NYJ"),
            ("中药材种植加工项目", "AN LCJ"), ("数据中心项目", "XC DSJ"),
            ("汽车零部件项目", "LH GXJ"), ("大豆精深加工项目", "FLX AN"),
            ("肉牛养殖加工一体化项目", "AN FLX"), ("寒地黑土特色农产品精深加工项目", "FLX XC"),
            ("储能电站项目", "LH FGW"),
        )
    ),
    "数字经济发展重点任务台账": (
        ("推进“i龙兴”城市公共服务平台项目建设", "DSJ GXJ"),
        ("建设城市运行管理服务平台", "DSJ CGJ"),
        ("推进5G基站建设，实现城区和重点乡镇全覆盖", "GXJ 县区"),
        ("建设市级政务数据共享交换平台", "DSJ"),
        ("推进政务数据归集共享和开放", "DSJ FGW"),
        ("推动规上工业企业“上云用数赋智”", "GXJ 县区"),
        ("培育数字经济核心产业企业", "GXJ KJJ"),
        ("建设智慧社区示范点", "XC LH"),
        ("建设智慧农业示范基地", "NYJ"),
    ),
    "冰雪经济发展重点任务台账": (
        ("落实冰雪经济发展规划（{first}—{last}年）", "WGLJ", years(8, 15)),
        ("推进冰雪旅游度假区提档升级", "WGLJ LCJ AN"),
        ("建设城区公共冰场雪场", "TYJ XC LH"),
        ("开展“百万青少年上冰雪”活动", "JYJ TYJ"),
        ("培育冰雪装备制造企业", "GXJ"),
        ("打造冰雪旅游精品线路", "WGLJ FLX AN"),
        ("做好冬季旅游交通运输保障", "JTJ"),
        ("建设林区冰雪运动体验基地", "LCJ"),
        ("开展冰雪赛事进社区活动", "XC-01 LH-01 AN-01"),
    ),
    "优化营商环境专项行动重点任务台账": (
        ("推行企业开办“一窗通办”，全程网办时间压缩至0.5个工作日", "SCJGJ 县区"),
        ("推进工程建设项目“审批承诺制”改革", "YSHJJ ZJJ ZRZYJ 县区"),
        ("推行工业项目“拿地即开工”", "ZRZYJ ZJJ FGW 县区"),
        ("推进政务服务事项“网上办”全覆盖", "YSHJJ DSJ 县区"),
        ("扩大“一窗办”事项范围", "YSHJJ 县区"),
        ("推行“一件事一次办”集成服务", "YSHJJ DSJ 县区"),
        ("落实留抵退税等纾困惠企政策", "CZJ FGW GXJ 县区"),
        ("开展“万人进万企”助企服务", "GXJ SWJ 县区"),
        ("建立企业诉求“接诉即办”机制", "YSHJJ ZFB 县区"),
        ("清理规范涉企收费", "SCJGJ CZJ FGW"),
        ("推进不动产登记“一网通办”，一般登记3个工作日内办结", "ZRZYJ 县区"),
        ("推行水电气暖报装“一站式”服务", "SWJT RLGS ZJJ"),
        ("压缩获得电力办理时间", "FGW GXJ"),
        ("压减用水报装办理时限", "SWJT SWUJ"),
        ("压减用气报装办理时限", "ZJJ"),
        ("推进供热报装便利化", "RLGS ZJJ"),
        ("优化纳税缴费服务，推进“非接触式”办理", "CZJ"),
        ("推进社保业务“网上办、掌上办”", "RSJ 县区"),
        ("推进医保经办服务便民化", "YBJ 县区"),
        ("推进住房公积金业务“跨省通办”", "GJJ"),
        ("落实“双随机、一公开”监管", "SCJGJ STHJJ YJJ WJW JTJ 县区"),
        ("推行包容审慎监管和轻微违法免罚清单", "SCJGJ SFJ STHJJ CGJ"),
        ("推进“信用+监管”分级分类监管", "FGW SCJGJ"),
        ("开展政务诚信专项治理", "FGW 县区"),
        ("清理拖欠民营企业中小企业账款", "GXJ CZJ 县区"),
        ("规范中介服务，建设网上中介服务超市", "YSHJJ FGW"),
        ("推进政府采购全流程电子化", "CZJ"),
        ("营商环境主要指标进入全省第一方阵（{first}—{last}年）", "YSHJJ", years(5, 70)),
        ("组建项目帮办代办服务队伍", "YSHJJ TCJ 县区"),
        ("落实“首问负责、一次性告知、限时办结”制度", "YSHJJ ZJJ ZRZYJ RSJ GAJ 县区"),
        ("开展政务服务“好差评”工作", "YSHJJ 县区"),
        ("推行证明事项告知承诺制", "SFJ GAJ MZJ"),
        ("推进“证照分离”改革全覆盖", "SCJGJ 县区"),
        ("推进电子证照在政务服务中的应用", "DSJ YSHJJ"),
        ("提升办理建筑许可便利度", "ZJJ"),
        ("推行工程建设项目竣工联合验收", "ZJJ ZRZYJ"),
        ("优化跨境贸易服务", "SWJ"),
        ("加强知识产权创造、保护和运用", "SCJGJ KJJ"),
        ("推进企业破产案件简易审理", "FY"),
        ("提升商事纠纷解决效率", "FY SFJ"),
        ("加强劳动力市场监管和服务", "RSJ"),
        ("开展营商环境突出问题专项整治", "YSHJJ JWJW 县区"),
        ("建立营商环境监督员队伍", "YSHJJ GSL"),
        ("推进“交房即交证”改革", "ZRZYJ ZJJ XC LH"),
        ("推行“证照联办”和“准入即准营”", "SCJGJ YSHJJ"),
        ("开展“局长走流程”体验政务服务", "YSHJJ ZJJ RSJ"),
    ),
    "政务服务和信用体系建设任务台账": (
        ("推进“i龙兴”政务服务移动端建设", "DSJ YSHJJ"),
        ("推进政务服务中心“一站式”功能提升", "YSHJJ 县区"),
        ("推进乡镇（街道）便民服务中心标准化建设",
         "XC-01 XC-05 LH-02 AN-01 AN-03 FLX-01 FLX-02"),
        ("建成数字政府，政务服务全面实现“一网通办”", "DSJ", years(3, 40)),
        ("推进社会信用体系建设，提升城市信用排名", "FGW"),
        ("建立市场主体信用档案", "SCJGJ"),
        ("开展失信被执行人联合惩戒", "FY FGW"),
        ("推进“信易贷”平台应用", "FGW CZJ"),
        ("开展诚信建设宣传月活动", "XCB FGW"),
        ("推进政务服务“跨省通办”", "YSHJJ GAJ RSJ"),
        ("推行“帮办代办”和“延时错时”服务", "YSHJJ 县区"),
    ),
    "20件民生工程任务台账": (
        ("实施城镇老旧小区改造，惠及4000余户居民", "ZJJ"),
        ("实施燃气入户工程，1.2万余户居民用上安全燃气", "CTJT"),
        ("推进市医院迁建", "WJW"),
        ("推进高级中学新建", "JYJ"),
        ("实施城区供热管网改造", "RLGS"),
        ("实施城区供水管网改造", "SWJT"),
        ("实施城区道路维修改造", "CGJ"),
        ("新建改造城区公厕", "LH"),
        ("实施农村饮水安全巩固提升工程", "SWUJ"),
        ("建设社区居家养老服务中心", "XC"),
        ("落实困难群众基本生活保障", "MZJ"),
        ("新建改扩建公办幼儿园", "AN"),
        ("实施就业援助，新增城镇就业", "RSJ"),
        ("新增城区公交线路和新能源公交车", "GJJT"),
        ("建设城区公共停车场", "ZRZYJ"),
        ("建设口袋公园和全民健身广场", "TYJ"),
        ("推进基层医疗卫生机构标准化建设", "FLX"),
        ("实施农村人居环境整治提升", "NYJ"),
        ("开展城乡居民免费健康体检", "CL"),
        ("实施城镇老旧小区改造三年行动（{first}—{last}年）", "ZJJ", years(2, 30)),
    ),
    "“我为群众办实事”实践活动任务台账": (
        ("解决群众反映的急难愁盼问题", "XC-07 XC-02 LH-03 AN-02 FLX-03"),
        ("开展“联百村包百企进万户”走访帮扶", "AN-04 AN-05 FLX-04 FLX-05 XC-06"),
        ("整治农村道路“出行难”问题", "XC-07 AN-06 FLX-06"),
        ("解决老旧小区“停车难”问题", "XC-03 LH-04"),
        ("推进“一老一小”关爱服务", "MZJ LH-05"),
        ("开展“送政策、送技术、送服务”下乡", "NYJ KX AN-07"),
        ("推进农村危房改造和抗震改造", "XCZXJ AN-08"),
        ("开展义诊巡诊进社区进乡村", "WJW FLX-07"),
        ("解决农民工工资拖欠问题", "RSJ ZGH"),
        ("开展法律援助进基层", "SFJ FL"),
        ("巩固拓展脱贫攻坚成果同乡村振兴有效衔接（过渡期至2025年底）", "XCZXJ",
         poverty_transition),
        ("建设美丽乡村示范村（{first}—{last}年）", "XC-07", years(5, 25)),
    ),
    "城市整治提升任务台账": (
        ("整治城中村和城乡结合部环境", "XC LH"),
        ("开展拆违治乱行动，清理私搭乱建", "CGJ XC LH XC-01 XC-02 LH-01"),
        ("开展城市清新行动，新增城区绿化面积", "CGJ XC LH"),
        ("整治城区占道经营和马路市场", "CGJ XC-03 LH-02"),
        ("整治背街小巷环境卫生", "XC-04 LH-03 XC-05"),
        ("整治城区交通秩序和乱停乱放", "GAJ"),
        ("清理城区“牛皮癣”小广告", "CGJ XC-06"),
        ("推进生活垃圾分类和清运", "CGJ LH"),
        ("整治建筑工地扬尘", "ZJJ"),
        ("整治违规户外广告和牌匾", "CGJ ZRZYJ"),
        ("推进城区亮化工程", "CGJ"),
        ("实施城市更新行动（{first}—{last}年）", "XC", years(8, 12)),
        ("争创全国文明城市（{first}—{last}年）", "XCB", years(4, 60)),
    ),
    "生态环境保护督察反馈问题整改台账": (
        ("推进生态环境保护督察反馈问题整改销号", "STHJJ"),
        ("整治城区黑臭水体", "SWUJ XC LH"),
        ("推进城镇污水处理厂提标改造", "SWJT"),
        ("整治秸秆露天焚烧", "NYJ AN FLX"),
        ("淘汰燃煤小锅炉", "STHJJ RLGS"),
        ("整治畜禽养殖污染", "NYJ AN FLX"),
        ("整治非法采砂采石", "ZRZYJ SWUJ"),
        ("推进历史遗留矿山生态修复", "ZRZYJ"),
        ("整治违法占用林地草地", "LCJ AN"),
        ("推进农村生活污水治理", "STHJJ FLX AN-01"),
        ("加强饮用水水源地保护", "SWUJ STHJJ"),
        ("整治工业企业超标排放", "STHJJ GXJ"),
        ("落实碳达峰实施方案，确保2030年前实现碳达峰", "STHJJ", carbon_peak),
    ),
    "执法司法服务提升攻坚任务台账": (
        ("开展执法司法突出问题专项整治", "ZFW GAJ SFJ FY JCY"),
        ("推进“一站式”诉讼服务中心建设", "FY"),
        ("推进户籍业务“就近办、一次办”", "GAJ"),
        ("开展涉企行政执法专项治理", "SFJ SCJGJ"),
        ("落实行政执法“三项制度”", "SFJ CGJ STHJJ YJJ JTJ"),
        ("推进矛盾纠纷多元化解", "ZFW 县区"),
        ("开展常态化扫黑除恶斗争", "GAJ", standing_measure),
        ("推进切实解决执行难", "FY"),
        ("推进公益诉讼检察", "JCY"),
        ("推进社区矫正规范化", "SFJ"),
        ("打击治理电信网络诈骗", "GAJ"),
        ("加强公共法律服务体系建设", "SFJ"),
    ),
    "不良作风整治专项行动任务台账": (
        ("整治有诺不践问题", "JWJW 县区"),
        ("整治联村包企不实问题", "ZZB AN FLX"),
        ("整治“走流程”变“走秀”问题", "JGGW YSHJJ"),
        ("整治“口会而实不至”问题", "JWJW XC LH"),
        ("整治推诿扯皮、敷衍塞责问题", "JGGW ZJJ ZRZYJ RSJ"),
        ("整治“门难进、脸难看、事难办”问题", "YSHJJ GAJ YBJ GJJ"),
        ("开设“能力作风专栏”曝光典型问题", "RMT XCB"),
        ("开展不良作风问题线索排查", "JWJW"),
        ("坚持开展作风建设明察暗访", "JWJW JGGW", standing_measure),
        ("对整改不及时、不到位的追责问责", "JWJW"),
    ),
    "机关工作质效提升任务台账": (
        ("开展“业务大讲堂”", "ZZB DX JGGW FGW ZJJ SCJGJ"),
        ("开展机关干部能力素质提升培训", "ZZB DX"),
        ("推进机构职能规定落实", "BB"),
        ("开展“模范机关”创建", "JGGW ZFB SWB"),
        ("精简文件会议，规范公文办理", "SWB ZFB"),
        ("推进机关事务集中统一管理", "JGSW"),
        ("开展机关干部“走流程”体验", "JGGW YSHJJ RSJ"),
        ("建立机关工作质效评价机制", "ZZB"),
        ("推行“马上就办、办就办好”工作机制", "ZFB JTJ SWUJ"),
        ("开展干部人事档案专项审核", "ZZB DAG"),
    ),
    "重大决策部署督办落实任务台账": (
        ("落实省委“六个龙江”“八个振兴”部署", "SWB ZYS"),
        ("落实市委“五个优势”“三篇文章”“三个提升”部署", "SWB ZFB ZYS"),
        ("推进“1+9”综合性举措落实", "SWB XSB"),
        ("推动“解放思想、振兴发展”研讨成果转化", "ZYS XCB"),
        ("落实“9个专项行动”", "SWB ZFB"),
        ("打好“兴工、营城、活商、富农、惠民”牌", "ZFB FGW GXJ SWJ NYJ"),
        ("落实巡察反馈问题整改", "XSB MZJ JYJ WJW"),
        ("办理人大代表建议和政协委员提案", "ZFB"),
        ("落实领导批示件跟踪督办", "SWB ZFB", standing_measure),
        ("到2035年基本实现社会主义现代化远景目标任务分解落实", "ZYS", vision_2035),
    ),
}
# fmt: on


@dataclass(frozen=True)
class MeetingSpec:
    """A review meeting on ``day`` (month, day of the report's year) and its decisions:
    (unit, title, days given) in the督办 ledger."""

    key: str
    kind: str
    title: str
    day: tuple[int, int]
    host: str
    chair: str
    attending: str
    minutes: str
    decisions: tuple[tuple[str, str, int], ...]


DECISIONS_LEDGER = "重大决策部署督办落实任务台账"
DISPATCH, PROMOTION = MeetingKind.DISPATCH, MeetingKind.PROMOTION
CONSULTATION = MeetingKind.CONSULTATION

# fmt: off
MEETINGS: tuple[MeetingSpec, ...] = (
    MeetingSpec("m1", DISPATCH, "全市机关能力作风建设工作领导小组第一次调度会", (3, 8),
                CAMPAIGN_OFFICE_UNIT, "secretary", "SWB ZFB ZZB JWJW 县区",
                "听取活动启动情况汇报，部署量化任务目标和挂图作战。",
                (("ZZB", "指导纳入专项考核的单位按期量化任务目标、挂图作战", 23),
                 ("SWB", "建立能力作风建设清单台账并动态更新", 23))),
    MeetingSpec("m2", PROMOTION, "全市重点项目建设推进会", (4, 12), "LX-FGW",
                "vice_mayor_industry", "FGW ZRZYJ ZJJ CZJ 县区",
                "调度省市重点项目开复工情况，协调解决用地、资金等制约因素。",
                (("ZRZYJ", "解决重点项目用地报批滞后问题", 30),
                 ("CZJ", "协调重点项目建设资金及时拨付", 30))),
    MeetingSpec("m3", CONSULTATION, "重点领域信访积案化解会商会", (5, 10), "LX-XFJ",
                "vice_mayor_security", "XFJ ZJJ RSJ GAJ ZFW",
                "逐案会商上级交办信访积案，明确包案领导和化解时限。",
                (("ZJJ", "化解房地产领域信访积案", 51),)),
    MeetingSpec("m4", DISPATCH, "优化营商环境专项行动调度会", (5, 24), "LX-YSHJJ",
                "official", "YSHJJ ZJJ ZRZYJ SWJT RLGS SCJGJ",
                "调度172项重点任务推进情况，通报审批时限和报装时限压减进度。",
                (("ZJJ", "压缩工程建设项目审批时限", 37),
                 ("SWJT", "解决企业反映的水电气暖报装慢问题", 37))),
    MeetingSpec("m5", PROMOTION, "20件民生工程推进会", (6, 14), "LX-ZJJ",
                "vice_mayor_urban", "ZJJ CTJT RLGS SWJT CZJ",
                "推进老旧小区改造和燃气入户工程，确保汛期、供暖期前完成节点任务。",
                (("CTJT", "加快燃气入户工程施工进度", 36),)),
    MeetingSpec("m6", DISPATCH, "主要经济指标调度会", (6, 28), "LX-FGW",
                "mayor", "FGW TJJ GXJ SWJ CZJ 县区",
                "分析主要经济指标完成情况，确保实现“双过半”。",
                (("FGW", "确保固定资产投资按月完成序时进度", 33),
                 ("GXJ", "推动规上工业企业满负荷生产", 33))),
    MeetingSpec("m7", CONSULTATION, "生态环境保护督察反馈问题整改会商会", (7, 12),
                "LX-STHJJ", "vice_mayor_culture", "STHJJ SWUJ ZRZYJ NYJ",
                "会商黑臭水体整治和秸秆禁烧问题整改验收标准。",
                (("SWUJ", "制定黑臭水体整治验收方案", 20),)),
    MeetingSpec("m8", PROMOTION, "“能力作风建设年”活动“回头看”推进会", (7, 15),
                CAMPAIGN_OFFICE_UNIT, "deputy_secretary", "SWB ZZB JWJW 县区",
                "对照清单台账开展“回头看”，部署第二季度考核。",
                (("XC", "对照清单台账开展“回头看”，查漏补缺", 31),)),
)
# fmt: on
assert sum(len(m.decisions) for m in MEETINGS) == 12


def meeting_days(cal: DemoCalendar) -> dict[str, date]:
    """Each meeting's day: as in the report's year, or, when the campaign is younger than
    that, drawn in proportion into the weeks it has run; always a working day in the past."""
    start, latest = cal.start, cal.today - timedelta(days=3)
    last = max(cal.day(*m.day) for m in MEETINGS)
    days = {}
    for meeting in MEETINGS:
        day = cal.day(*meeting.day)
        if last > latest:
            day = start + (day - start) * ((latest - start) / (last - start))
        days[meeting.key] = working_day(day)
    return days


def _codes(text: str) -> list[str]:
    """Unit codes from a row's short tokens: ``"FGW 县区"`` -> ``["LX-FGW", "LX-XC", ...]``."""
    codes: list[str] = []
    for part in text.split():
        if part == "县区":
            codes += [code for code, *_rest in COUNTIES]
        else:
            codes.append(part if part.startswith("LX-") else f"LX-{part}")
    return codes


# ---------------------------------------------------------------------------------------------
# Petition cases: eight key fields (8个重点领域), each (subject, demand, result) with a place.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PetitionField:
    """A key field of petitions: how many of the 773 cases, the units handling them, cases."""

    name: str
    count: int
    units: str
    cases: tuple[tuple[str, str, str], ...]


# fmt: off
PETITION_FIELDS: tuple[PetitionField, ...] = (
    PetitionField("房地产领域", 170, "ZJJ ZRZYJ XC LH 县区", (
        ("反映{estate}小区不动产权证书长期未办理", "要求尽快办理不动产权证书",
         "住建、自然资源部门联合推行“容缺办理”，开发企业补缴税费后已为业主集中办理不动产权证书，信访人表示满意"),
        ("反映{estate}小区开发企业逾期交房", "要求开发企业尽快交房并支付逾期违约金",
         "属地政府成立专班督促开发企业复工，已完成交房，违约金按合同约定协商支付，信访人息访"),
        ("反映{estate}小区物业服务差、收费不规范", "要求更换物业企业、规范收费",
         "住建部门约谈物业企业并责令整改，业主大会依法选聘新物业，收费标准已公示"),
        ("反映{estate}小区房屋漏水、墙体开裂", "要求开发企业维修并赔偿损失",
         "责成开发企业在保修期内完成维修，经第三方检测房屋质量合格，信访人认可处理结果"),
    )),
    PetitionField("征地拆迁领域", 110, "ZRZYJ 县区 乡镇", (
        ("反映{township}征地补偿款未足额发放", "要求足额发放征地补偿款",
         "经核查补偿款已拨付至乡镇，督促乡镇5个工作日内足额发放到户，信访人已领取"),
        ("反映{township}房屋征收补偿标准偏低", "要求提高补偿标准",
         "依据征收补偿方案和评估报告逐项解释，对遗漏的附属物补充评估补偿，信访人已签订协议"),
        ("反映{township}被征地农民养老保险未落实", "要求纳入被征地农民社会保障",
         "人社部门会同乡镇核实身份后纳入参保范围，已办理参保登记"),
    )),
    PetitionField("劳资纠纷领域", 130, "RSJ ZGH 县区", (
        ("反映{company}拖欠农民工工资", "要求支付拖欠工资",
         "人社部门立案查处，责令企业限期支付并动用工资保证金，拖欠工资已足额发放"),
        ("反映{company}未依法缴纳社会保险", "要求补缴社会保险费",
         "责令用人单位限期补缴，社会保险费已补缴到位，信访人表示认可"),
        ("反映{company}解除劳动合同未支付经济补偿", "要求支付经济补偿金",
         "经劳动争议调解达成协议，企业已支付经济补偿金"),
    )),
    PetitionField("涉法涉诉领域", 90, "ZFW FY JCY GAJ SFJ", (
        ("反映民事案件胜诉后长期未执行到位", "要求法院加大执行力度",
         "法院开展专项执行行动，查控被执行人财产，案件已执行完毕"),
        ("反映{county}治安案件处理不公", "要求重新调查处理",
         "公安机关复核案件事实，依法维持原处理决定并释法说理，信访人服判息访"),
        ("反映申请法律援助未获受理", "要求提供法律援助",
         "司法局复核后认定符合条件，已指派律师提供法律援助"),
    )),
    PetitionField("退役军人领域", 60, "TYJRJ 县区", (
        ("退役军人反映安置待遇未落实", "要求落实安置待遇",
         "退役军人事务部门核实身份和政策依据，已按政策落实相关待遇"),
        ("退役军人反映优抚金发放不及时", "要求按时足额发放优抚金",
         "核查后补发优抚金，建立按月发放台账，信访人表示满意"),
    )),
    PetitionField("农村土地领域", 90, "NYJ 县区 乡镇", (
        ("反映{township}土地承包经营权纠纷", "要求确认土地承包经营权",
         "乡镇农经站调取确权档案，组织双方调解，重新确认承包地块，双方签字认可"),
        ("反映{township}村集体土地发包不公开", "要求公开发包程序和收益",
         "乡镇纪委核查后责成村委会公开发包程序和收益，问题已整改"),
    )),
    PetitionField("涉众金融领域", 53, "GAJ CZJ 县区", (
        ("反映{company}非法集资，本金无法兑付", "要求追回集资款",
         "公安机关立案侦查，追赃挽损后按比例清退，已向信访人通报进展并做好解释"),
        ("反映{company}以养老项目名义吸收资金", "要求返还投资款",
         "处置非法集资部门组织清退，已返还部分资金并释法明理，信访人表示理解"),
    )),
    PetitionField("城市管理领域", 70, "CGJ RLGS SWJT ZJJ XC LH", (
        ("反映{estate}小区冬季供暖温度不达标", "要求供热企业保证室温达标",
         "热力公司更换老化管网并入户测温，室温已达标，退还不达标期间热费"),
        ("反映{estate}小区周边违法建筑影响通行", "要求拆除违法建筑",
         "城管部门依法拆除违法建筑，恢复道路通行"),
        ("反映{estate}小区供水水压不足", "要求解决用水问题",
         "水务集团增设二次加压设备，水压恢复正常"),
    )),
)
# fmt: on
assert sum(f.count for f in PETITION_FIELDS) == 773  # 773件重点领域信访案件

PETITION_SOURCES = (
    "国家信访局交办",
    "省信访局交办",
    "省信访联席会议办公室交办",
    "省领导批示件",
    "省委巡视组转办",
    "国家信访信息系统网上转送",
    "省长信箱转办",
)
ESTATES = (
    "锦绣家园", "阳光花园", "幸福里", "龙湖湾", "兴华苑", "金色港湾", "和谐家园", "书香苑",
    "御景园", "东方名都", "滨江花园", "学府壹号", "翠湖天地", "鑫源小区", "华府名城", "铁西新村",
)  # fmt: skip
SURNAME_LETTERS = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
COMPANY_KINDS = ("建筑工程有限公司", "商贸有限公司", "房地产开发有限公司", "农业科技有限公司",
                 "投资咨询有限公司", "物业服务有限公司")  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Key projects (52个省市重点项目): name, responsible unit, continuing (续建) or new (新建).
# ---------------------------------------------------------------------------------------------

# fmt: off
PROJECTS: tuple[tuple[str, str, bool], ...] = (
    ("龙兴风电场项目", "AN", True), ("安宁县光伏发电项目", "AN", False),
    ("丰乐县风电项目", "FLX", False), ("兴城区生物质热电联产项目", "XC", True),
    ("龙湖区储能电站项目", "LH", False), ("丰乐县农光互补光伏项目", "FLX", False),
    ("城区集中供热热源厂扩建项目", "RLGS", True), ("220千伏输变电工程", "FGW", True),
    ("兴达化工精细化工延链项目", "LH", False), ("玉米深加工项目", "AN", True),
    ("生物基新材料产业园一期项目", "XC", True), ("绿色食品产业园项目", "FLX", False),
    ("大豆精深加工项目", "FLX", False), ("乳制品加工项目", "FLX", True),
    ("肉牛养殖加工一体化项目", "AN", False), ("新能源装备制造项目", "XC", False),
    ("冰雪装备制造项目", "XC", False), ("农机装备制造项目", "AN", False),
    ("汽车零部件产业园项目", "LH", False), ("中药材精深加工项目", "AN", False),
    ("数据中心项目", "DSJ", False), ("现代物流园区项目", "LH", True),
    ("冷链物流中心项目", "SWJ", False), ("市医院迁建项目", "WJW", True),
    ("市第一高级中学新校区项目", "JYJ", True), ("城镇老旧小区改造项目", "ZJJ", False),
    ("燃气入户工程", "CTJT", True), ("城区供热管网改造工程", "RLGS", False),
    ("城区供水管网改造工程", "SWJT", False), ("污水处理厂提标改造工程", "SWJT", True),
    ("城区排水防涝工程", "ZJJ", False), ("城区道路改造工程", "CTJT", False),
    ("国道龙兴过境段改扩建工程", "JTJ", True), ("省道安宁至丰乐段改造工程", "JTJ", True),
    ("农村公路提档升级工程", "JTJ", False), ("高标准农田建设项目", "NYJ", False),
    ("灌区续建配套与节水改造项目", "SWUJ", True), ("农村饮水安全巩固提升工程", "SWUJ", False),
    ("冰雪旅游度假区提升项目", "WGLJ", True), ("全民健身中心项目", "TYJ", False),
    ("“i龙兴”城市公共服务平台项目", "DSJ", False), ("智慧城市运行管理中心项目", "CGJ", False),
    ("保障性租赁住房项目", "ZJJ", False), ("养老服务中心项目", "MZJ", False),
    ("职业教育实训基地项目", "JYJ", False), ("疾病预防控制中心业务楼项目", "WJW", False),
    ("城区公共停车场项目", "CTJT", False), ("垃圾焚烧发电项目", "CGJ", True),
    ("森林防火应急道路项目", "LCJ", False), ("粮食仓储设施改造项目", "LSJ", False),
    ("兴城区老工业区改造项目", "XC", True), ("龙湖湿地公园生态修复项目", "LH", True),
)
# fmt: on
assert len(PROJECTS) == 52  # 52个省市重点项目
# Planned to be finished by the as-of date (all but the logistics park on time).
PROJECTS_DUE = {"玉米深加工项目", "生物基新材料产业园一期项目", "乳制品加工项目",
                "现代物流园区项目",
                "市医院迁建项目", "市第一高级中学新校区项目", "污水处理厂提标改造工程",
                "冰雪旅游度假区提升项目"}  # fmt: skip
PROJECT_LATE = "现代物流园区项目"
PROJECTS_NOT_STARTED = {"绿色食品产业园项目", "汽车零部件产业园项目"}  # due to start, not yet
PROJECTS_STARTING_LATER = {"养老服务中心项目", "职业教育实训基地项目",
                           "疾病预防控制中心业务楼项目", "粮食仓储设施改造项目"}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# "Low, rough, poor" problems (低粗差): (title, how it shows, rectification)
# ---------------------------------------------------------------------------------------------

# fmt: off
LOW_ROUGH_POOR: tuple[tuple[str, str, str], ...] = (
    ("窗口工作人员服务态度生硬", "群众反映办事窗口工作人员答复简单生硬、解释不耐心",
     "开展窗口服务礼仪培训，推行首问负责和服务承诺，设置服务评价器接受群众评价"),
    ("办事要求群众重复提交材料", "同一事项要求群众多次提交相同证明材料",
     "梳理办事材料清单，可共享材料不再要求提交，实行“一次性告知”"),
    ("办事指南内容粗糙、标注不清", "办事指南未列明办理时限和材料样表，群众多次往返",
     "重新编制办事指南和材料样表，在大厅和网上同步公开"),
    ("工作推诿扯皮、效率低下", "跨科室事项相互推诿，群众诉求长期得不到答复",
     "明确牵头科室和办理时限，建立内部流转台账，实行限时办结"),
    ("接听群众来电不规范", "工作时间电话无人接听或答复不准确",
     "落实电话值守制度，公布咨询电话并安排专人接听、登记、回复"),
    ("政策宣传解读不到位", "惠企惠民政策宣传不及时，群众和企业不知晓",
     "编印政策汇编，开展政策进企业进社区宣讲，网站及时发布政策解读"),
    ("调研走过场、问题底数不清", "调研不深入、走马观花，问题底数不清",
     "建立领导干部基层调研制度，形成问题清单和调研报告并跟踪落实"),
    ("会议文件过多、基层负担重", "重复发文、层层开会，基层报表多",
     "精简会议文件，统一报表口径，清理规范工作群和报表"),
    ("上班迟到早退、脱岗离岗", "明察暗访发现个别干部工作时间脱岗、玩手机",
     "严格考勤管理，开展作风纪律专项检查，对问题人员通报批评"),
    ("为企服务不主动", "企业反映审批事项无人主动对接、进度不透明",
     "建立包联企业服务专员制度，定期走访，办理进度实时告知"),
    ("承诺事项兑现不及时", "对群众和企业的承诺未按期兑现",
     "建立承诺事项台账，明确兑现时限和责任人，逐项跟踪销号"),
    ("便民服务大厅管理不规范", "大厅秩序混乱、窗口标识不清、等候时间长",
     "优化窗口设置和叫号系统，增设导办岗位和自助服务设备"),
    ("网上办事系统使用不便", "网上申报流程复杂，群众不会用、不愿用",
     "优化网上申报流程，安排帮办人员现场指导，推出操作视频"),
    ("信访事项答复不及时", "群众来信来访未按期答复或答复内容空泛",
     "建立信访事项办理台账，落实按期答复和回访制度"),
    ("执法方式简单粗暴", "执法过程中态度生硬、以罚代管",
     "开展规范执法培训，推行说理式执法和轻微违法免罚"),
    ("环境卫生管理粗放", "辖区背街小巷垃圾清运不及时，群众反映强烈",
     "落实网格化保洁责任，增加清运频次，建立日巡查制度"),
    ("联系群众不紧密", "包村干部入户走访少，群众诉求了解不及时",
     "落实“联百村包百企进万户”，建立入户走访台账和民情日记"),
    ("工作落实标准不高", "工作满足于“过得去”，重点工作推进质量不高",
     "对标先进地区制定提升方案，明确标准和时限，纳入绩效考核"),
    ("档案资料管理混乱", "业务档案不完整、查找困难",
     "开展档案集中整理，建立电子档案目录和借阅登记制度"),
    ("公共设施维护不及时", "辖区路灯、井盖等公共设施损坏后长期未修复",
     "建立公共设施巡查维护台账，接报后限时修复"),
    ("惠农政策落实打折扣", "惠农补贴发放不及时、公示不规范",
     "核查补贴发放情况，及时足额发放并张榜公示"),
    ("办事“找关系”“托人情”", "群众反映不托人办不成事",
     "公开办事流程和时限，设立投诉举报电话，办件全程留痕"),
    ("干部业务能力不足", "对新政策新业务不熟悉，解答群众咨询不准确",
     "开展“业务大讲堂”和岗位练兵，组织业务知识测试"),
    ("对群众诉求“只转不办”", "12345热线转办事项简单转交、不跟踪落实",
     "建立热线工单督办机制，实行办结回访和满意度评价"),
    ("财务报销审批周期长", "报销流程繁琐、审批周期长，影响工作开展",
     "修订财务报销制度，推行网上审批，压缩审批周期"),
)
# fmt: on

# ---------------------------------------------------------------------------------------------
# The standing committee's seminar (研讨): root causes under its three questions, the units
# each falls to, and the rectification measure drafted for it.
# ---------------------------------------------------------------------------------------------

STUDY_QUESTIONS = ("思想观念怎么变", "短板弱项怎么补", "振兴发展怎么干")
# fmt: off
STUDY_PROBLEMS: tuple[tuple[int, str, str, str], ...] = (
    (0, "“等靠要”思想仍然存在，主动破解发展难题意识不强", "FGW GXJ AN FLX",
     "开展“解放思想大讨论”，建立发展难题“揭榜攻坚”机制"),
    (0, "思想观念保守，对新业态新模式接受慢", "KJJ SWJ DSJ",
     "组织赴先进地区学习考察，制定新业态新模式培育清单"),
    (0, "开放意识不强，招商引资思路窄", "TCJ SWJ", "建立产业链招商图谱，推行以商招商、驻点招商"),
    (0, "担当意识不足，遇到矛盾绕着走", "ZJJ ZRZYJ XC", "落实领导包案和“首接负责”，对推诿扯皮问责"),
    (0, "服务意识不强，“官本位”思想仍有残留", "YSHJJ SCJGJ",
     "推行“局长走流程”，建立服务对象评价机制"),
    (0, "创新意识不足，习惯于老思路老办法", "ZZB JGGW GXJ", "设立机关创新项目评选，推广创新案例"),
    (0, "法治思维不强，依法决策能力不足", "SFJ ZFB",
     "落实重大行政决策合法性审查，开展领导干部学法"),
    (0, "危机意识不强，对经济下行压力估计不足", "FGW TJJ", "建立经济运行监测预警和应对预案"),
    (0, "“小富即安”思想，争先进位意识不强", "LH AN FLX", "对标全省先进县区制定争先进位目标"),
    (0, "对标先进不够，比学赶超氛围不浓", "ZZB XCB", "开展比学赶超擂台赛，定期晾晒工作实绩"),
    (0, "抓落实“最后一公里”意识不强", "SWB ZFB", "建立重点工作督办落实闭环机制"),
    (0, "群众观念淡化，联系服务群众不够", "MZJ XCZXJ RSJ",
     "落实“联百村包百企进万户”，建立民情台账"),
    (0, "底线思维不强，风险防范意识不足", "YJJ GAJ", "健全重大风险排查化解机制"),
    (0, "学习不深入，用新理念指导实践不够", "JGGW DX XCB",
     "完善理论学习中心组学习制度，开展专题轮训"),
    (1, "产业结构单一，工业支撑能力弱", "GXJ FGW XC LH", "围绕“4+N”产业体系实施延链补链强链"),
    (1, "项目储备质量不高，大项目好项目少", "FGW TCJ", "建立项目谋划储备库，实行滚动储备"),
    (1, "民营经济发展不充分，市场主体活力不足", "GXJ SCJGJ GSL", "落实支持民营经济发展政策措施"),
    (1, "科技创新能力弱，研发投入不足", "KJJ", "培育高新技术企业，落实研发费用加计扣除"),
    (1, "城市基础设施欠账较多", "ZJJ CGJ SWJT", "编制城市基础设施补短板三年行动计划"),
    (1, "公共服务供给不足，教育医疗资源不均衡", "JYJ WJW", "推进医联体和城乡教育共同体建设"),
    (1, "县域经济发展不平衡", "AN FLX", "制定县域经济差异化发展方案"),
    (1, "农业产业链条短，农产品精深加工不足", "NYJ AN FLX", "引进培育农产品精深加工龙头企业"),
    (1, "财政收支矛盾突出，保障能力弱", "CZJ", "加强收入征管，压减一般性支出"),
    (1, "营商环境仍有短板，审批服务效率不高", "YSHJJ ZRZYJ ZJJ",
     "推进“审批承诺制”和“拿地即开工”改革"),
    (1, "干部队伍专业化水平不高", "ZZB BB", "实施干部专业化能力提升计划"),
    (1, "数字化治理能力不足", "DSJ", "推进政务数据共享和“城市大脑”建设"),
    (1, "生态环境保护历史欠账多", "STHJJ SWUJ", "建立生态环境问题整改销号台账"),
    (1, "人才引进难、留住难", "RSJ ZZB", "完善人才引进激励政策和服务保障"),
    (1, "信访积案化解难度大", "XFJ ZFW", "落实领导包案和信访积案攻坚化解"),
    (1, "基层治理能力薄弱", "MZJ XC-01 LH-01 AN-01", "推进网格化管理和社区工作者队伍建设"),
    (1, "文化旅游资源挖掘利用不足", "WGLJ", "打造冰雪旅游和红色旅游精品线路"),
    (1, "粮食仓储和物资储备能力不足", "LSJ GXS", "实施粮食仓储设施改造和应急物资储备"),
    (2, "发展路径不清晰，“4+N”产业体系谋划不深", "FGW GXJ", "编制“4+N”产业发展规划和招商图谱"),
    (2, "重点项目推进慢，要素保障跟不上", "FGW ZRZYJ CZJ", "建立重点项目要素保障会商机制"),
    (2, "招商引资精准度不高，落地率偏低", "TCJ SWJ XC", "实行签约项目全程代办和落地考核"),
    (2, "对上争取资金和政策力度不够", "FGW CZJ", "建立对上争取工作专班和项目申报台账"),
    (2, "冰雪经济和数字经济培育缓慢", "WGLJ GXJ DSJ", "出台冰雪经济和数字经济扶持政策"),
    (2, "城市功能品质提升慢", "ZJJ CGJ ZRZYJ", "实施城市更新和城市清新行动"),
    (2, "乡村振兴产业支撑不足", "XCZXJ NYJ AN FLX", "发展特色种养和农产品加工，壮大村集体经济"),
    (2, "开放合作平台不多", "SWJ", "对接国家级开放平台，组织企业参加展会"),
    (2, "民生实事落实不够精准", "MZJ RSJ WJW", "问需于民确定民生实事清单，实行群众评议"),
    (2, "工作推进机制不健全，跟踪问效不够", "SWB ZFB XSB", "健全“四个体系”，实行清单化管理"),
    (2, "考核激励作用发挥不充分", "ZZB", "完善“四考四评”结果运用"),
    (2, "干部担当作为氛围不浓，容错纠错机制落实不够", "ZZB JWJW",
     "落实“三个区分开来”，出台容错纠错实施办法"),
    (2, "国有企业改革发展滞后", "GZW CTJT SWJT RLGS", "推进国企改革三年行动，完善法人治理"),
    (2, "宣传推介力度不够", "XCB RMT", "开展城市形象宣传推介活动"),
    (2, "安全生产监管存在薄弱环节", "YJJ", "开展安全生产专项整治三年行动"),
    (2, "统筹疫情防控和经济社会发展能力需提升", "WJW FGW GAJ",
     "完善疫情防控应急预案和保供稳链机制"),
)
# fmt: on
STUDY_DAY = (4, 26)  # the seminar (invented date)
STUDY_MEASURES = 64  # 制定整改措施64条

# ---------------------------------------------------------------------------------------------
# Hard problems (攻坚难题): title, unit, two measures of its own, how many measures in all.
# ---------------------------------------------------------------------------------------------

# fmt: off
HARD_PROBLEMS: tuple[tuple[str, str, str, str, int], ...] = (
    ("市医院搬迁历史遗留问题", "WJW", "完成新院区建设和设备搬迁", "妥善安置原院区职工和患者", 3),
    ("高中新建历史遗留问题", "JYJ", "完成新校区建设并投入使用", "做好师生搬迁和招生衔接", 3),
    ("城区冬季供热不达标问题", "RLGS", "实施老旧供热管网改造", "新建热源厂调峰锅炉", 4),
    ("老旧小区改造后管理缺位问题", "ZJJ", "引入专业物业或实行社区托管",
     "建立改造后小区长效管理机制", 3),
    ("城区停车难问题", "ZRZYJ", "新建公共停车场，增加停车泊位", "推行错时共享停车", 3),
    ("城区主干道交通拥堵问题", "GAJ", "优化信号配时和交通组织", "打通断头路、卡脖路", 3),
    ("城区排水不畅、雨季内涝问题", "ZJJ", "改造雨污分流管网", "清淤疏浚排水管道和明渠", 4),
    ("农村饮水安全问题", "SWUJ", "实施农村供水工程提质增效", "建立水质检测和运维管护机制", 3),
    ("商品房办证难问题", "ZRZYJ", "分类处置历史遗留问题项目", "推行“容缺办理”集中办证", 5),
    ("农民工工资拖欠问题", "RSJ", "落实工资保证金和实名制管理", "开展根治欠薪专项行动", 3),
    ("农村道路“畅通不畅”问题", "JTJ", "实施农村公路提档升级", "落实“路长制”养护管理", 3),
    ("城区集贸市场脏乱差问题", "SCJGJ", "实施集贸市场改造提升", "落实市场开办者主体责任", 2),
    ("背街小巷路面破损问题", "CGJ", "实施背街小巷路面硬化改造", "建立路面巡查修复机制", 3),
    ("城区公厕数量少、管理差问题", "LH", "新建改造城区公厕", "推行公厕专人保洁", 2),
    ("企业融资难融资贵问题", "CZJ", "设立中小企业转贷应急资金", "推进“信易贷”银企对接", 4),
    ("工程建设项目审批慢问题", "YSHJJ", "推行“审批承诺制”和“拿地即开工”",
     "建立重点项目帮办代办机制", 4),
    ("不动产登记排队时间长问题", "ZRZYJ", "推行不动产登记“一网通办”",
     "实行延时错时服务、增设窗口", 2),
    ("看病难、住院难问题", "WJW", "推进医联体建设", "推行预约诊疗和分时段就诊", 3),
    ("城区学位紧张、“大班额”问题", "JYJ", "新建改扩建中小学校", "优化学区划分和招生政策", 3),
    ("养老服务设施不足问题", "MZJ", "建设社区居家养老服务中心", "发展普惠养老服务", 3),
    ("城区垃圾处理能力不足问题", "CGJ", "建设垃圾焚烧发电项目", "推进生活垃圾分类", 3),
    ("秸秆露天焚烧屡禁不止问题", "NYJ", "推进秸秆综合利用", "实行网格化禁烧包保", 3),
    ("黑臭水体治理问题", "SWUJ", "实施控源截污和清淤疏浚", "落实河湖长制巡河机制", 3),
    ("城区供水管网漏损率高问题", "SWJT", "改造老旧供水管网", "推进智慧水务漏损监测", 2),
    ("公交线路少、发车间隔长问题", "GJJT", "新增优化公交线路", "更新新能源公交车", 3),
    ("物业服务矛盾突出问题", "ZJJ", "建立物业服务质量考评机制", "推进业主委员会规范组建", 3),
    ("城区私搭乱建问题", "CGJ", "开展拆违治乱专项行动", "建立违建动态巡查机制", 2),
    ("信访积案化解难问题", "XFJ", "落实领导包案化解", "推行信访听证和第三方参与化解", 4),
    ("企业用工难问题", "RSJ", "搭建线上线下招聘平台", "开展订单式职业技能培训", 3),
    ("乡村振兴产业带动弱问题", "XCZXJ", "培育壮大农业龙头企业", "发展庭院经济和特色种养", 3),
    ("城区绿化覆盖率低问题", "XC", "实施城市清新行动增绿补绿", "建设口袋公园", 2),
    ("政务数据共享难问题", "DSJ", "建设政务数据共享交换平台", "编制数据共享责任清单", 3),
    ("冬季冰雪道路通行安全问题", "JTJ", "落实冰雪路面清雪除冰责任", "增加除雪机械设备", 3),
    ("老工业区环境污染问题", "STHJJ", "推进老工业区企业搬迁改造", "开展土壤污染修复", 3),
    ("食品安全监管薄弱问题", "SCJGJ", "推进“明厨亮灶”工程", "开展食品安全监督抽检", 3),
    ("社区服务能力不足问题", "MZJ", "推进社区工作者队伍建设", "建设“一站式”社区服务站", 3),
    ("国有企业历史包袱重问题", "GZW", "推进国企改革三年行动", "分类处置历史遗留问题", 3),
    ("电信网络诈骗多发问题", "GAJ", "开展反诈宣传进社区进企业", "推进涉诈资金快速止付", 3),
    ("城区夜间照明不足问题", "CGJ", "实施城区亮化工程", "推进路灯节能改造", 2),
)
# fmt: on
assert len(HARD_PROBLEMS) == 39  # 梳理攻坚难题39条
assert sum(row[4] for row in HARD_PROBLEMS) == 117  # 提出攻坚措施117条
HARD_PROBLEMS_SOLVED = {"市医院搬迁历史遗留问题", "高中新建历史遗留问题"}  # 得到妥善解决
HARD_DAY = (3, 20)  # the 《攻坚破难计划》 (invented date)
HARD_MEASURES = (
    "摸清底数，建立问题清单和工作台账",
    "积极争取上级资金和政策支持",
    "建立周调度、月通报机制，倒排工期推进",
)

# ---------------------------------------------------------------------------------------------
# Public commitments (公开承诺) by 20 units' principal leaders on the TV column.
# ---------------------------------------------------------------------------------------------

# fmt: off
COMMITMENTS: tuple[tuple[str, str], ...] = (
    ("ZRZYJ", "不动产登记一般业务3个工作日内办结"), ("YSHJJ", "政务服务事项应上尽上、全程网办"),
    ("SCJGJ", "企业开办全流程0.5个工作日办结"), ("RSJ", "社保业务“一窗通办”，让群众少跑腿"),
    ("YBJ", "医保报销“一站式”结算"), ("GJJ", "住房公积金提取业务即时办结"),
    ("GAJ", "户籍业务“就近办、一次办”"), ("ZJJ", "施工许可审批时限压减一半"),
    ("SWJT", "用水报装“零跑腿”"), ("RLGS", "供暖期室温达标，投诉24小时内处理"),
    ("CGJ", "城区主次干道环境卫生常态保洁"), ("JTJ", "农村公路养护到位、通行顺畅"),
    ("WJW", "二级以上医院全面推行预约诊疗"), ("JYJ", "城区义务教育学位应保尽保"),
    ("XFJ", "初次信访事项按期办结"), ("MZJ", "困难群众救助“一件事一次办”"),
    ("XC", "街道便民服务中心“全科受理”"), ("LH", "城区背街小巷整治全覆盖"),
    ("AN", "乡镇便民服务中心“一站式”服务"), ("FLX", "农村饮水安全保障全覆盖"),
)
# fmt: on
assert len(COMMITMENTS) == 20  # 20家单位主要领导…公开承诺
COMMITMENT_DAY = (3, 15)  # on the TV column (invented date)

# ---------------------------------------------------------------------------------------------
# Plans: what each item, with its children, looks like on the as-of date
# ---------------------------------------------------------------------------------------------


@dataclass
class ReportPlan:
    """A progress report by the unit's liaison."""

    day: date
    percent: int
    text: str
    review: str = ACCEPTED
    reason: str = ""
    evidence: bool = False


@dataclass
class SignOffPlan:
    """A sign-off request and, unless pending, its decision."""

    day: date
    note: str
    status: str = PENDING
    decided: date | None = None
    reason: str = ""


@dataclass
class ExtensionPlan:
    """An extension request from ``old`` to ``new`` and, unless pending, its decision."""

    day: date
    reason: str
    old: date
    new: date
    status: str = ExtensionStatus.PENDING
    decided: date | None = None
    note: str = ""


@dataclass
class ItemPlan:
    """One item as it stands on the as-of date, with everything hanging from it.

    ``deadline`` is None for a standing measure (长期坚持).
    """

    code: str
    title: str
    unit: str
    start: date
    deadline: date | None
    status: str = NOT_STARTED
    progress: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    milestones: list[tuple[str, date, date | None]] = field(default_factory=list)
    measures: list[tuple[str, date | None, bool]] = field(default_factory=list)
    reports: list[ReportPlan] = field(default_factory=list)
    signoffs: list[SignOffPlan] = field(default_factory=list)
    extensions: list[ExtensionPlan] = field(default_factory=list)
    meeting: str | None = None
    signed_off: date | None = None

    def entered(self, cal: DemoCalendar) -> date:
        """When the item was put in the ledger: when it arose, or when the campaign began for
        items older or due to start later, but never after its first report."""
        day = self.start if cal.start <= self.start <= cal.yesterday else cal.start
        return min([day, *(r.day for r in self.reports)])


@dataclass(frozen=True)
class Words:
    """What the reports of one kind of item say at each stage."""

    started: tuple[str, ...]
    midway: tuple[str, ...]
    nearly: tuple[str, ...]
    done: tuple[str, ...]
    lagging: tuple[str, ...]
    signoff: tuple[str, ...]


TASK_WORDS = Words(
    started=(
        "已制定工作方案，明确责任分工和时间节点",
        "已召开专题部署会议，任务分解到科室和责任人",
        "已完成前期调研，形成问题清单和任务清单",
    ),
    midway=(
        "按计划推进，阶段性任务已完成",
        "正在组织实施，已完成主要环节工作",
        "已完成过半任务量，正在协调解决难点问题",
    ),
    nearly=(
        "主体工作基本完成，正在查漏补缺",
        "已进入收尾阶段，正在准备验收材料",
    ),
    done=(
        "已全部完成，形成完成情况报告",
        "任务全部完成，经自查达到预期目标",
    ),
    lagging=(
        "受疫情影响，部分工作推进滞后，正在倒排工期加快推进",
        "前期手续办理滞后，进度慢于计划，已协调相关部门加快办理",
        "资金到位较慢，影响推进进度，正在积极争取",
    ),
    signoff=(
        "任务已按要求完成，完成情况报告和佐证材料见附件，申请销号",
        "经自查已达到台账要求，申请验收销号",
    ),
)
PROBLEM_WORDS = Words(
    started=("已召开专题会议剖析问题根源，制定整改方案", "已明确整改责任人和整改时限"),
    midway=("整改措施正在落实，已取得阶段性成效", "已完成部分整改任务，正在建立长效机制"),
    nearly=("整改基本完成，正在开展整改效果评估",),
    done=("问题已整改到位，建立长效机制防止反弹",),
    lagging=("整改涉及多个部门，协调难度大，进度滞后", "整改资金尚未落实，正在协调解决"),
    signoff=("问题已整改到位，整改报告和佐证材料见附件，申请销号",),
)
PROJECT_WORDS = Words(
    started=("项目前期手续办理中，已完成立项和用地预审",),
    midway=("项目主体工程施工中，按计划推进", "项目正在施工，资金按进度拨付"),
    nearly=("主体工程完工，正在进行设备安装调试",),
    done=("项目已竣工并通过验收",),
    lagging=("受疫情和原材料价格上涨影响，施工进度滞后", "项目资金未按计划到位，进度滞后"),
    signoff=("项目已竣工验收，竣工验收报告见附件，申请销号",),
)
RETURN_REASONS = (
    "佐证材料不完整，请补充验收报告和现场照片",
    "完成情况与台账要求不一致，请补充说明",
)
REPORT_RETURN_REASONS = (
    "进度描述过于笼统，请写明完成的具体工作量",
    "未附佐证材料，请补充",
)
EXTENSION_REASONS = (
    "受疫情影响施工延误，申请延期",
    "需上级审批的手续尚未办结，申请延期",
    "资金未按计划到位，申请延期",
)


def _between(rng: random.Random, first: date, last: date) -> date:
    """A day from ``first`` to ``last`` (``first`` if the range is empty)."""
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return following - timedelta(days=1)


def _month_ends(first: date, last: date) -> list[date]:
    """Every month's last day from ``first`` to ``last``."""
    ends, day = [], _month_end(first)
    while day <= last:
        ends.append(day)
        day = _month_end(day + timedelta(days=1))
    return ends


def _behind(progress: int, start: date, deadline: date, today: date, *, lag: int = 20) -> bool:
    """The light selector's "behind schedule" test on ``today``, in integers."""
    span = max((deadline - start).days, 1)
    elapsed = (today - start).days
    return progress * span < elapsed * 100 - lag * span


def _round5(value: float) -> int:
    """Progress as people report it: a multiple of 5 from 0 to 100."""
    return max(0, min(100, 5 * round(value / 5)))


def _reports(
    plan: ItemPlan,
    rng: random.Random,
    words: Words,
    cal: DemoCalendar,
    *,
    until: date,
    percent: int,
    pending_last: bool = False,
    lagging: bool = False,
) -> None:
    """One to three reports rising to ``percent`` by ``until`` (reports every month or so)."""
    # Projects running since an earlier year report on the platform from the year's start.
    first = max(plan.start + timedelta(days=7), cal.day(1, 4))
    until = min(until, cal.yesterday)
    if until < plan.start:
        return
    first = min(first, until)
    count = max(1, min(3, (until - first).days // 30 + 1))
    days = sorted(
        {until}
        | {first + timedelta(days=(until - first).days * i // count) for i in range(1, count)}
    )
    steps = [_round5(percent * (i + 1) / len(days)) for i in range(len(days))]
    steps[-1] = percent
    for index, (day, step) in enumerate(zip(days, steps, strict=True)):
        last = index == len(days) - 1
        if step >= 100:
            text = rng.choice(words.done)
        elif last and lagging:
            text = rng.choice(words.lagging)
        elif step >= 80:
            text = rng.choice(words.nearly)
        elif step >= 35:
            text = rng.choice(words.midway)
        else:
            text = rng.choice(words.started)
        review = PENDING if last and pending_last else ACCEPTED
        plan.reports.append(ReportPlan(day, step, text, review, evidence=rng.random() < 0.15))
    if len(plan.reports) >= 2 and rng.random() < 0.05:
        # An earlier report the office sent back; the unit reported again.
        earlier = plan.reports[-2]
        earlier.review, earlier.reason = RETURNED, rng.choice(REPORT_RETURN_REASONS)


def _close(
    plan: ItemPlan, rng: random.Random, words: Words, cal: DemoCalendar, *, on: date, how: str
) -> None:
    """Complete the item on ``on``; ``how``: signed_off, pending (sign-off asked), completed,
    or returned (sign-off sent back, the item reopened)."""
    on = max(on, plan.start)
    _reports(plan, rng, words, cal, until=on, percent=100)
    plan.status, plan.progress = COMPLETED, 100
    asked = min(on + timedelta(days=rng.randint(1, 3)), cal.yesterday)
    note = rng.choice(words.signoff)
    if how == "signed_off":
        decided = min(asked + timedelta(days=rng.randint(1, 6)), cal.yesterday)
        plan.signoffs.append(SignOffPlan(asked, note, ACCEPTED, decided))
        plan.status, plan.signed_off = SIGNED_OFF, decided
    elif how == "pending":
        plan.signoffs.append(SignOffPlan(asked, note))
    elif how == "returned":
        returned = min(asked + timedelta(days=2), cal.yesterday)
        plan.signoffs.append(
            SignOffPlan(asked, note, RETURNED, returned, rng.choice(RETURN_REASONS))
        )
        plan.status = IN_PROGRESS
        if returned < cal.yesterday:
            plan.progress = 95
            plan.reports.append(
                ReportPlan(returned + timedelta(days=1), 95, "正在按要求补充验收材料", PENDING)
            )


def _advance(
    plan: ItemPlan, rng: random.Random, words: Words, cal: DemoCalendar, *, mode: str
) -> None:
    """Leave the item open on the as-of date: ``on_track``, ``lag`` or ``not_started``."""
    today, deadline = cal.today, plan.deadline
    assert deadline is not None
    span = max((deadline - plan.start).days, 1)
    share = max(0.0, min(1.0, (today - plan.start).days / span))
    if mode == "not_started" or share <= 0:
        plan.status, plan.progress = NOT_STARTED, 0
        return
    if mode == "lag":
        progress = _round5(share * 100 - rng.uniform(28, 45))
        if progress <= 0 or not _behind(progress, plan.start, deadline, today):
            mode = "on_track"
    if mode == "on_track":
        progress = min(95, max(5, _round5(share * 100 + rng.uniform(-8, 20))))
        while _behind(progress, plan.start, deadline, today) and progress < 95:
            progress += 5
    if deadline < today:  # overdue: stuck short of done
        progress = min(progress, _round5(rng.uniform(40, 90)))
    plan.status, plan.progress = IN_PROGRESS, progress
    _reports(
        plan,
        rng,
        words,
        cal,
        until=today - timedelta(days=rng.randint(1, 20)),
        percent=progress,
        pending_last=rng.random() < 0.3,
        lagging=mode == "lag" or deadline < today,
    )


def _standing(plan: ItemPlan, rng: random.Random, words: Words, cal: DemoCalendar) -> None:
    """A standing measure (长期坚持): reported about monthly since it began, the last report
    some days ago; one in four has been quiet for over a month (yellow), none for two."""
    quiet = rng.randint(33, 45) if rng.random() < 0.25 else rng.randint(3, 24)
    day, days = max(cal.today - timedelta(days=quiet), plan.start), list[date]()
    while day >= plan.start + timedelta(days=10) or not days:
        days.insert(0, day)
        day -= timedelta(days=rng.randint(26, 34))
    for index, day in enumerate(days):
        percent = _round5(min(80, 20 + 60 * (index + 1) / max(len(days), 6)))
        text = rng.choice(words.started if index == 0 else words.midway)
        plan.reports.append(ReportPlan(day, percent, text, evidence=rng.random() < 0.15))
    plan.status, plan.progress = IN_PROGRESS, plan.reports[-1].percent


def _live(
    plan: ItemPlan, rng: random.Random, words: Words, scenario: str, cal: DemoCalendar
) -> None:
    """Play the item's life up to the as-of date as ``scenario`` says.

    Scenarios: done (signed off), pending (sign-off waiting), completed (not yet asked),
    returned (sign-off sent back), on_track, lag, not_started, overdue, near (due within
    three days), suspended, cancelled, ext_pending / ext_approved / ext_refused (an
    extension request on an open item).
    """
    today, deadline = cal.today, plan.deadline
    assert deadline is not None
    latest_close = min(deadline, today - timedelta(days=4))
    if scenario in ("done", "pending", "completed", "returned"):
        if scenario == "done":
            earliest = plan.start + timedelta(days=max(1, (latest_close - plan.start).days // 2))
            on = _between(rng, earliest, latest_close)
            if deadline < today and rng.random() < 0.1:  # a few are finished late
                on = _between(rng, deadline, today - timedelta(days=8))
        else:
            on = _between(rng, today - timedelta(days=14), today - timedelta(days=3))
        _close(plan, rng, words, cal, on=on, how="signed_off" if scenario == "done" else scenario)
    elif scenario in ("on_track", "lag", "not_started", "overdue", "near"):
        mode = "on_track" if scenario in ("overdue", "near") else scenario
        _advance(plan, rng, words, cal, mode=mode)
    elif scenario in ("suspended", "cancelled"):
        _advance(plan, rng, words, cal, mode="on_track")
        plan.status = SUSPENDED if scenario == "suspended" else CANCELLED
        text = (
            "因上级政策调整，经领导小组同意暂缓实施"
            if scenario == "suspended"
            else ("经领导小组研究，该任务并入其他任务统筹推进，予以取消")
        )
        said = max(today - timedelta(days=rng.randint(5, 30)), plan.start)
        plan.reports.append(ReportPlan(min(said, cal.yesterday), plan.progress, text))
    elif scenario == "ext_pending":
        _advance(plan, rng, words, cal, mode=rng.choice(("on_track", "lag")))
        asked = today - timedelta(days=rng.randint(1, 6))
        plan.extensions.append(
            ExtensionPlan(
                asked,
                rng.choice(EXTENSION_REASONS),
                deadline,
                _month_end(deadline + timedelta(days=rng.choice((20, 50)))),
            )
        )
    elif scenario == "ext_approved":
        # Asked before the old deadline and before the as-of date, approved two days on.
        olds = [
            day
            for day in _month_ends(plan.start + timedelta(days=20), deadline - timedelta(days=1))
            if day <= today + timedelta(days=10)
        ]
        if not olds:  # too short or too far off to have been extended: just on track
            _live(plan, rng, words, "on_track", cal)
            return
        old = rng.choice(olds)
        asked = min(old - timedelta(days=rng.randint(5, 12)), today - timedelta(days=3))
        asked = max(asked, plan.start)
        decided = min(asked + timedelta(days=2), cal.yesterday)
        plan.extensions.append(
            ExtensionPlan(
                asked,
                rng.choice(EXTENSION_REASONS),
                old,
                deadline,
                ExtensionStatus.APPROVED,
                decided,
                "同意延期，请按新时限完成",
            )
        )
        _advance(plan, rng, words, cal, mode="on_track")
    elif scenario == "ext_refused":
        asked = max(plan.start, deadline - timedelta(days=rng.randint(5, 12)))
        plan.extensions.append(
            ExtensionPlan(
                asked,
                rng.choice(EXTENSION_REASONS),
                deadline,
                _month_end(deadline + timedelta(days=45)),
                ExtensionStatus.REFUSED,
                min(asked + timedelta(days=2), cal.yesterday),
                "该任务为年度硬任务，不予延期，请倒排工期加快推进",
            )
        )
        _advance(plan, rng, words, cal, mode="on_track")
    else:
        raise ValueError(scenario)
    if plan.reports and plan.status != NOT_STARTED:
        standing = [r for r in plan.reports if r.review != RETURNED]
        plan.fields.setdefault("latest_report", standing[-1].text if standing else "")


def _pick(rng: random.Random, weights: Sequence[tuple[str, int]]) -> str:
    """A weighted choice."""
    names, counts = zip(*weights, strict=True)
    return rng.choices(names, weights=counts)[0]


# Deadlines of key tasks (month, day of the campaign's year) and how often each comes up.
# fmt: off
KT_DEADLINES: tuple[tuple[tuple[int, int], int], ...] = (
    ((3, 31), 5), ((4, 30), 8), ((5, 31), 10), ((6, 30), 20), ((7, 15), 2), ((7, 20), 2),
    ((7, 31), 5), ((8, 31), 8), ((9, 30), 12), ((10, 31), 8), ((11, 30), 5), ((12, 31), 15),
)
KT_STARTS = ((2, 21), (3, 1), (3, 10), (3, 21), (4, 1), (4, 15), (5, 5))
# How key tasks stand once their deadline is behind: most are done, some wait for their
# sign-off to be verified, and a few are still open (overdue, red). The longer ago, the
# fewer: past three months they are rare. Weights in thousandths; the share still open when
# recently due is set by :func:`_recent_overdue`.
RECENT_PAST = (("done", 620), ("pending", 180), ("completed", 50), ("returned", 10),
               ("suspended", 25), ("cancelled", 15))
OLDER_PAST = (("done", 860), ("pending", 40), ("completed", 20), ("returned", 5),
              ("overdue", 8), ("ext_refused", 2), ("suspended", 50), ("cancelled", 15))
OLD_PAST = (("done", 927), ("pending", 10), ("completed", 10), ("overdue", 3),
            ("suspended", 35), ("cancelled", 15))
#: "Recently due": within a month and a half, so that a month's end always falls in it.
RECENT_DAYS = 45
#: About this share of the open key tasks is red on the as-of date.
RED_SHARE = 0.035
# Within three days of the deadline, most have just asked for their sign-off.
JUST_PAST = (("done", 300), ("pending", 600), ("completed", 100))
NEAR_SCENARIOS = (("near", 75), ("pending", 25))
FUTURE_SCENARIOS = (("on_track", 55), ("lag", 14), ("not_started", 6), ("done", 8),
                    ("pending", 4), ("ext_pending", 3), ("ext_approved", 5), ("returned", 2),
                    ("suspended", 1))
# fmt: on

# Persona units get, in order, these scenarios on their key tasks in these ledgers, so that
# each finds a red and a yellow item of its own on the as-of date.
FORCED: dict[tuple[str, str], tuple[str, ...]] = {
    ("主要经济指标调度台账", "LX-FGW"): ("overdue", "near"),
    ("城市整治提升任务台账", "LX-XC"): ("overdue", "lag"),
    ("“我为群众办实事”实践活动任务台账", "LX-XC-07"): ("overdue", "near"),
}


def _forced_deadline(scenario: str, today: date) -> date:
    """A persona's red item fell due at a month's end weeks ago; its yellow one is due in
    two days, or is months off and behind schedule."""
    if scenario == "overdue":
        return _month_end(today - timedelta(days=40))
    if scenario == "near":
        return today + timedelta(days=2)
    return _month_end(today + timedelta(days=75))


@functools.cache
def _recent_overdue(cal: DemoCalendar) -> float:
    """The chance that a key task fell due recently (:data:`RECENT_DAYS`) and is still open.

    Open key tasks are mostly those due later, and the red ones mostly those due recently;
    the chance is set so that about :data:`RED_SHARE` of the open ones are red,
    however many deadlines the as-of date has behind it (many right after a quarter's end,
    few early in the campaign), within 5% and 45%.
    """
    today, weights = cal.today, [(cal.day(*day), weight) for day, weight in KT_DEADLINES]
    ahead = sum(w for day, w in weights if day >= today)
    recent = sum(w for day, w in weights if 0 < (today - day).days <= RECENT_DAYS)
    # The other ledgers keep about 0.2 open items besides each open key task.
    return max(0.05, min(0.45, 1.2 * RED_SHARE * ahead / recent)) if recent else 0.05


def _scenario_for(deadline: date, rng: random.Random, cal: DemoCalendar) -> str:
    """How a key task with this deadline stands on the as-of date."""
    late = (cal.today - deadline).days
    if late > 90:
        return _pick(rng, OLD_PAST)
    if late > RECENT_DAYS:
        return _pick(rng, OLDER_PAST)
    if late > 0:
        still_open = round(1000 * _recent_overdue(cal))
        past = RECENT_PAST if late > 3 else JUST_PAST
        scale = (1000 - still_open) / sum(w for _name, w in past)
        weights = [(name, round(w * scale)) for name, w in past]
        weights += [("overdue", still_open * 4 // 5), ("ext_refused", still_open // 5)]
        return _pick(rng, weights)
    if late >= -3:
        return _pick(rng, NEAR_SCENARIOS)
    return _pick(rng, FUTURE_SCENARIOS)


def _milestones(plan: ItemPlan, rng: random.Random, cal: DemoCalendar) -> None:
    """Milestones (节点): yearly for multi-year tasks, otherwise plan / carry out / finish."""
    today, deadline = cal.today, plan.deadline
    assert deadline is not None
    if deadline.year > cal.end.year + 1:
        years = range(today.year, deadline.year + 1)
        chosen = sorted({*list(years)[:3], deadline.year})
        for year in chosen:
            day = deadline if year == deadline.year else date(year, 12, 31)
            plan.milestones.append((f"完成{year}年度目标任务", day, None))
        return
    span = (deadline - plan.start).days
    finished = [r.day for r in plan.reports if r.percent == 100]
    for title, share, needs in (
        ("制定实施方案", 0.25, 20),
        ("全面组织实施", 0.7, 60),
        ("完成并组织验收", 1.0, 100),
    ):
        day = plan.start + timedelta(days=round(span * share))
        done = None
        if day < today and plan.progress >= needs:
            done = min(day + timedelta(days=rng.randint(-6, 4)), cal.yesterday)
            done = max(done, plan.start)
        if finished:
            done = min(day, finished[-1])
        plan.milestones.append((title, day, done))


def _key_tasks(spec: LedgerSpec, rng: random.Random, cal: DemoCalendar) -> list[ItemPlan]:
    """The key tasks of one ledger: each row's task for each of its units, then decisions."""
    today = cal.today
    plans: list[ItemPlan] = []
    forced = {unit: list(scenarios) for (title, unit), scenarios in FORCED.items()
              if title == spec.title}  # fmt: skip
    starts = [cal.day(*day) for day in KT_STARTS]
    deadlines = [(cal.day(*day), weight) for day, weight in KT_DEADLINES]
    for row in KEY_TASKS[spec.title]:
        title, units = row[0], row[1]
        for unit in _codes(units):
            code = str(len(plans) + 1)
            if len(row) == 3:  # a horizon of its own: years ahead, or a standing measure
                name, horizon, progress = row[2](title, cal)
                plan = ItemPlan(code, name, unit, cal.day(3, 1), horizon)
                if horizon is None:
                    _standing(plan, rng, TASK_WORDS, cal)
                else:
                    plan.status, plan.progress = IN_PROGRESS, progress
                    until = today - timedelta(days=10)
                    _reports(plan, rng, TASK_WORDS, cal, until=until, percent=progress)
                    _milestones(plan, rng, cal)
                plan.fields["latest_report"] = plan.reports[-1].text
                plans.append(plan)
                continue
            if forced.get(unit):
                scenario = forced[unit].pop(0)
                deadline = _forced_deadline(scenario, today)
            else:
                deadline = rng.choices(*zip(*deadlines, strict=True))[0]
                scenario = _scenario_for(deadline, rng, cal)
            start = rng.choice(
                [d for d in starts if d <= deadline - timedelta(days=30)] or starts[:1]
            )
            if scenario == "not_started":  # added in the last weeks (some in the last one)
                start = max(start, today - timedelta(days=rng.randint(2, 17)))
            plan = ItemPlan(code, title, unit, start, deadline)
            _live(plan, rng, TASK_WORDS, scenario, cal)
            if (deadline - start).days >= 90 and rng.random() < 0.35:
                _milestones(plan, rng, cal)
            plans.append(plan)
    if spec.title == DECISIONS_LEDGER:
        days = meeting_days(cal)
        for meeting in MEETINGS:
            for unit, title, given in meeting.decisions:
                day = days[meeting.key]
                deadline = day + timedelta(days=given)
                plan = ItemPlan(str(len(plans) + 1), title, _codes(unit)[0], day, deadline)
                plan.meeting = meeting.key
                _live(plan, rng, TASK_WORDS, _scenario_for(deadline, rng, cal), cal)
                plans.append(plan)
    assert len(plans) == spec.count, (spec.title, len(plans), spec.count)
    return plans


def _petitions(spec: LedgerSpec, rng: random.Random, cal: DemoCalendar) -> list[ItemPlan]:
    """773 cases in the eight fields, every one resolved: signed off or completed."""
    counties = {code: short for code, _name, short, _names in COUNTIES}
    townships = [
        (f"{code}-{i:02d}", f"{short}{name}", code)
        for code, _name, short, names in COUNTIES
        for i, name in enumerate(names, start=1)
    ]
    first, last = cal.day(1, 4), min(cal.day(6, 20), cal.today - timedelta(days=24))
    plans: list[ItemPlan] = []
    for petition_field in PETITION_FIELDS:
        pool = _codes(petition_field.units.replace("乡镇", " "))
        local = "乡镇" in petition_field.units  # townships handle some cases themselves
        for _index in range(petition_field.count):
            subject, demand, result = rng.choice(petition_field.cases)
            unit = rng.choice(pool)
            township_code, township, county = rng.choice(townships)
            if local and rng.random() < 0.5:
                unit = township_code
            elif unit in counties:
                _code, township, county = rng.choice([t for t in townships if t[2] == unit])
            place = counties[county]
            text = subject.format(
                estate=f"{place}{rng.choice(ESTATES)}",
                township=township,
                company=f"{place}某{rng.choice(COMPANY_KINDS)}",
                county=place,
            )
            who = f"{rng.choice(SURNAME_LETTERS)}某某"
            if "小区" in text and rng.random() < 0.3:
                who = f"{rng.randint(3, 40)}名业主"
            received = _between(rng, first, last)
            plan = ItemPlan(str(len(plans) + 1), f"{who}{text}", unit, received,
                            received + timedelta(days=60))  # fmt: skip
            plan.fields.update(
                petition_source=rng.choice(PETITION_SOURCES),
                petitioner_demand=f"{demand}（{petition_field.name}）",
                handling_result=result,
                measures="落实领导包案，属地和部门联合调查，依法依规分类处理",
            )
            resolved = min(
                received + timedelta(days=rng.randint(12, 58)), cal.today - timedelta(days=3)
            )
            how = _pick(rng, (("signed_off", 92), ("pending", 3), ("completed", 5)))
            plan.status, plan.progress = COMPLETED, 100
            plan.reports.append(ReportPlan(resolved, 100, f"已办结：{result}"))
            asked = min(resolved + timedelta(days=1), cal.yesterday)
            note = "案件已化解，信访人签字确认，申请销号"
            if how == "signed_off":
                decided = min(asked + timedelta(days=rng.randint(1, 7)), cal.yesterday)
                plan.signoffs.append(SignOffPlan(asked, note, ACCEPTED, decided))
                plan.status, plan.signed_off = SIGNED_OFF, decided
            elif how == "pending":
                plan.signoffs.append(SignOffPlan(asked, note))
            plan.fields["latest_report"] = plan.reports[-1].text
            plans.append(plan)
    return plans


def _money(value: float) -> Decimal:
    """An amount in 10,000 yuan, rounded to a tenth."""
    return Decimal(str(round(value, 1)))


def _projects(spec: LedgerSpec, rng: random.Random, cal: DemoCalendar) -> list[ItemPlan]:
    """52 key projects with the year's planned investment, money in place and spent, dates.

    Amounts are the year's (年度计划投资), in 10,000 yuan. The projects in
    :data:`PROJECTS_DUE` were planned to be finished by the as-of date (all but one on time);
    so are those whose planned completion has passed by the as-of date (a few of them late).
    """
    today = cal.today
    plans: list[ItemPlan] = []
    for name, unit, continuing in PROJECTS:
        planned = _money(rng.choice((3, 5, 8, 12, 20, 30, 50)) * 1000 * rng.uniform(0.8, 1.25))
        if continuing:
            planned_start = _between(rng, cal.day(5, 1, years=-2), cal.day(6, 30, years=-1))
        elif name in PROJECTS_STARTING_LATER:
            planned_start = _between(rng, today + timedelta(days=14), today + timedelta(days=60))
        else:
            latest = min(cal.day(7, 10), today - timedelta(days=8))
            planned_start = _between(rng, cal.day(4, 10), latest)
        if name in PROJECTS_DUE:
            earliest = 20 if name == PROJECT_LATE else 3
            planned_completion = _between(
                rng, today - timedelta(days=48), today - timedelta(days=earliest)
            )
        else:
            planned_completion = rng.choice(
                (cal.day(10, 31), cal.day(11, 30), cal.day(6, 30, years=1),
                 cal.day(10, 31, years=1), cal.day(10, 31, years=2))
            )  # fmt: skip
            planned_completion = max(planned_completion, planned_start + timedelta(days=120))
        plan = ItemPlan(str(len(plans) + 1), name, _codes(unit)[0], planned_start,
                        planned_completion)  # fmt: skip
        started = name not in PROJECTS_NOT_STARTED and planned_start <= today
        actual_start = (
            min(planned_start + timedelta(days=rng.randint(-5, 12)), cal.yesterday)
            if started
            else None
        )
        plan.fields.update(
            planned_investment=planned,
            planned_start=planned_start,
            planned_completion=planned_completion,
            actual_start=actual_start,
            measures="实行项目包保责任制，专班跟踪服务，每周调度资金和进度",
        )
        if started and planned_completion <= today - timedelta(days=3):
            late = name == PROJECT_LATE or (name not in PROJECTS_DUE and rng.random() < 0.15)
            finished = (
                min(planned_completion + timedelta(days=12), today - timedelta(days=4))
                if late
                else planned_completion - timedelta(days=rng.randint(0, 10))
            )
            plan.fields.update(
                funds_in_place=planned, investment_completed=planned, actual_completion=finished
            )
            how = "completed" if late else rng.choice(("signed_off", "signed_off", "pending"))
            _close(plan, rng, PROJECT_WORDS, cal, on=finished, how=how)
        elif not started:
            plan.fields.update(  # money is raised before ground is broken
                funds_in_place=_money(float(planned) * rng.uniform(0.5, 0.8)),
                investment_completed=Decimal(0),
            )
            plan.status, plan.progress = NOT_STARTED, 0
            if planned_start <= today:
                plan.reports.append(
                    ReportPlan(today - timedelta(days=9), 0, "用地手续尚未办结，未能按期开工")
                )
                plan.fields["latest_report"] = plan.reports[-1].text
        else:
            invested = rng.uniform(0.6, 0.9) if continuing else rng.uniform(0.4, 0.8)
            plan.fields.update(
                funds_in_place=_money(float(planned) * max(invested, rng.uniform(0.85, 1.0))),
                investment_completed=_money(float(planned) * invested),
            )
            progress = min(95, max(5, _round5(invested * 100)))
            plan.status, plan.progress = IN_PROGRESS, progress
            lagging = _behind(progress, planned_start, planned_completion, today)
            _reports(plan, rng, PROJECT_WORDS, cal, until=today - timedelta(days=8),
                     percent=progress, pending_last=rng.random() < 0.25,
                     lagging=lagging)  # fmt: skip
            plan.fields["latest_report"] = plan.reports[-1].text
        plans.append(plan)
    return plans


def _low_rough_poor(
    spec: LedgerSpec, rng: random.Random, assessed: Sequence[str], cal: DemoCalendar
) -> list[ItemPlan]:
    """179 problems, one in every assessed unit and 79 more, all solved and signed off."""
    extra_pool = [c for c in assessed if c.count("-") == 2 or c in _codes(
        "YSHJJ ZRZYJ RSJ YBJ GJJ GAJ ZJJ SCJGJ MZJ CGJ XC LH AN FLX")]  # fmt: skip
    units = list(assessed) + rng.sample(extra_pool * 2, spec.count - len(assessed))
    first, last = cal.day(3, 1), min(cal.day(6, 10), cal.today - timedelta(days=35))
    plans: list[ItemPlan] = []
    for unit in sorted(units, key=list(assessed).index):
        title, symptom, rectification = rng.choice(LOW_ROUGH_POOR)
        found = _between(rng, first, last)
        plan = ItemPlan(str(len(plans) + 1), title, unit, found, found + timedelta(days=30))
        plan.fields.update(symptom=symptom, rectification=rectification)
        solved = found + timedelta(days=rng.randint(5, 28))
        _close(plan, rng, PROBLEM_WORDS, cal, on=solved, how="signed_off")
        plan.fields["latest_report"] = plan.reports[-1].text
        plans.append(plan)
    return plans


def _study_problems(spec: LedgerSpec, rng: random.Random, cal: DemoCalendar) -> list[ItemPlan]:
    """116 problems under the seminar's three questions; 64 carry a measure of their own, the
    others are rectified together with the first problem of the same root cause."""
    rows: list[tuple[int, str, str, str, int]] = []  # question, problem, unit, measure, root
    for root, (question, problem, units, measure) in enumerate(STUDY_PROBLEMS):
        rows += [(question, problem, unit, measure, root) for unit in _codes(units)]
    assert len(rows) == spec.count == 116, len(rows)  # 剖析问题116个
    firsts = {root: index for index, (*_r, root) in reversed(list(enumerate(rows)))}
    others = [i for i in range(len(rows)) if i not in firsts.values()]
    measured = set(firsts.values()) | set(rng.sample(others, STUDY_MEASURES - len(firsts)))
    seminar = cal.workday(*STUDY_DAY)
    deadlines = (cal.day(6, 30), cal.day(9, 30), cal.day(12, 31))
    plans: list[ItemPlan] = []
    for index, (question, problem, unit, measure, root) in enumerate(rows):
        deadline = rng.choice(deadlines)
        plan = ItemPlan(str(index + 1), problem, unit, seminar, deadline)
        plan.fields["symptom"] = f"【{STUDY_QUESTIONS[question]}】{problem}"
        if index in measured:
            plan.fields["rectification"] = measure
            plan.measures.append((measure, deadline, False))
        else:
            lead = firsts[root] + 1
            plan.fields["rectification"] = f"与第{lead}项问题合并整改，整改措施见第{lead}项"
        scenario = _scenario_for(deadline, rng, cal)
        if scenario in ("ext_refused", "ext_approved", "ext_pending"):
            scenario = "on_track" if deadline > cal.today else "overdue"
        _live(plan, rng, PROBLEM_WORDS, scenario, cal)
        if plan.measures and plan.status in (COMPLETED, SIGNED_OFF):
            plan.measures[0] = (measure, deadline, True)
        plans.append(plan)
    return plans


def _hard_problems(spec: LedgerSpec, rng: random.Random, cal: DemoCalendar) -> list[ItemPlan]:
    """39 hard problems with 117 measures; the hospital and the high school are solved."""
    today = cal.today
    plans: list[ItemPlan] = []
    planned = cal.workday(*HARD_DAY)
    deadlines = (cal.day(6, 30), cal.day(9, 30), cal.day(12, 31), cal.day(6, 30, years=1))
    for title, unit, first, second, count in HARD_PROBLEMS:
        deadline = rng.choices(deadlines, weights=(5, 10, 16, 8))[0]
        if title in HARD_PROBLEMS_SOLVED:
            deadline = deadlines[0]
        plan = ItemPlan(str(len(plans) + 1), title, _codes(unit)[0], planned, deadline)
        texts = [first, second, *HARD_MEASURES][:count]
        if count > 2:  # the concrete measures first, then the way of working
            texts = [HARD_MEASURES[0], first, second, *HARD_MEASURES[1:]][:count]
        plan.fields["measures"] = "；".join(texts)
        if title in HARD_PROBLEMS_SOLVED:
            scenario = "done"
        else:
            scenario = _scenario_for(deadline, rng, cal)
            if scenario in ("done", "not_started") and deadline > today:
                scenario = "on_track"
        _live(plan, rng, TASK_WORDS, scenario, cal)
        span = (deadline - planned).days
        for order, text in enumerate(texts, start=1):
            due = planned + timedelta(days=span * order // len(texts))
            done = plan.status in (COMPLETED, SIGNED_OFF) or (
                due < today and plan.progress >= 100 * order // (len(texts) + 1)
            )
            plan.measures.append((text, due, done))
        plans.append(plan)
    return plans


def _commitments(spec: LedgerSpec, rng: random.Random, cal: DemoCalendar) -> list[ItemPlan]:
    """20 public commitments, due at the end of the year."""
    made, due = cal.workday(*COMMITMENT_DAY), cal.day(12, 31)
    plans: list[ItemPlan] = []
    for unit, text in COMMITMENTS:
        plan = ItemPlan(str(len(plans) + 1), f"承诺：{text}", _codes(unit)[0], made, due)
        plan.fields["measures"] = "主要领导在“能力作风专栏”公开承诺，每季度向社会公开兑现情况"
        scenario = _pick(rng, (("on_track", 14), ("lag", 3), ("done", 2), ("pending", 1)))
        _live(plan, rng, TASK_WORDS, scenario, cal)
        plans.append(plan)
    return plans


def ledger_plans(spec: LedgerSpec, assessed: Sequence[str], cal: DemoCalendar) -> list[ItemPlan]:
    """Every item of one ledger as it stands on the calendar's as-of date (the same every run
    for the same date)."""
    rng = random.Random(f"{RANDOM_SEED}:{spec.title}")
    plans: list[ItemPlan]
    if spec.kind == KT:
        plans = _key_tasks(spec, rng, cal)
    elif spec.kind == PETITION:
        plans = _petitions(spec, rng, cal)
    elif spec.kind == PROJECT:
        plans = _projects(spec, rng, cal)
    elif spec.kind == HARD:
        plans = _hard_problems(spec, rng, cal)
    elif spec.kind == COMMITMENT:
        plans = _commitments(spec, rng, cal)
    elif spec.title.startswith("“低粗差”"):
        plans = _low_rough_poor(spec, rng, assessed, cal)
    else:
        plans = _study_problems(spec, rng, cal)
    for plan in plans:  # the item shows the last report that still stands
        standing = [r for r in plan.reports if r.review != RETURNED]
        if standing and not plan.fields.get("latest_report"):
            plan.fields["latest_report"] = standing[-1].text
    return plans


# ---------------------------------------------------------------------------------------------
# Writing it
# ---------------------------------------------------------------------------------------------


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF saying ``text`` (ASCII), small and valid, for demo evidence."""
    stream = f"BT /F1 20 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass(frozen=True)
class DemoFile:
    """A demo evidence file, stored once and shared by many evidence rows."""

    name: str
    original_name: str
    content: bytes
    content_type: str = "application/pdf"


DEMO_FILES = (
    DemoFile("evidence/demo/completion-report.pdf", "完成情况报告.pdf",
             _minimal_pdf("Demo evidence: completion report")),
    DemoFile("evidence/demo/acceptance-record.pdf", "验收记录.pdf",
             _minimal_pdf("Demo evidence: acceptance record")),
    DemoFile("evidence/demo/progress-notes.pdf", "工作推进情况.pdf",
             _minimal_pdf("Demo evidence: progress notes")),
)  # fmt: skip


def _store_demo_files() -> None:
    """Put the demo evidence files in storage unless they are there already."""
    for demo_file in DEMO_FILES:
        if not default_storage.exists(demo_file.name):
            default_storage.save(demo_file.name, ContentFile(demo_file.content))


@contextmanager
def _own_timestamps(*models: type[Model]) -> Iterator[None]:
    """Let ``bulk_create`` keep the timestamps of the plans.

    ``auto_now``/``auto_now_add`` would stamp every row with the moment of seeding, so a
    report "made in May" would read as made on the day of seeding. They are switched off
    for the duration of the block only; the seed runs in one thread (a management command).
    """
    stamped = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in stamped]
    for f in stamped:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _light_policy(world: DemoWorld) -> None:
    """The campaign's light thresholds, the common defaults (3 days, 20 points)."""
    campaign = campaign_of(world)
    if not LightPolicy.objects.filter(campaign=campaign).exists():
        policy = LightPolicy(campaign=campaign)
        policy.full_clean()
        policy.save()
        world.note(LightPolicy)


def _areas_and_ledgers(world: DemoWorld) -> dict[str, Ledger]:
    """The 6 areas and 20 ledgers, found by name and title or created through the services.

    Documents named in descriptions carry the year they were issued (the campaign's launch).
    """
    campaign = campaign_of(world)
    areas = {a.name: a for a in Area.objects.filter(campaign=campaign)}
    for order, name in enumerate(AREAS, start=1):
        if name not in areas:
            areas[name] = area_get_or_create(
                actor=None, campaign=campaign, name=name, sort_order=order * 10
            )
            world.note(Area)
    ledgers = {x.title: x for x in Ledger.objects.filter(campaign=campaign)}
    forces = {f.name: f for f in campaign.task_forces.all()} if len(ledgers) < len(LEDGERS) else {}
    for order, spec in enumerate(LEDGERS, start=1):
        if spec.title not in ledgers:
            ledgers[spec.title] = ledger_create(
                actor=None,
                campaign=campaign,
                area=areas[spec.area],
                kind=spec.kind,
                title=spec.title,
                owner_unit=world.units[spec.owner],
                task_force=forces[spec.task_force] if spec.task_force else None,
                description=spec.description.format(year=world.calendar.start.year),
                sort_order=order * 10,
            )
            world.note(Ledger)
    return ledgers


def _meetings(world: DemoWorld) -> dict[str, ReviewMeeting]:
    """The review meetings, by key; their decisions are created with the other items.

    A meeting is found by its title: when the campaign is young its day depends on the
    as-of date, and a re-run on another day must find it all the same.
    """
    campaign = campaign_of(world)
    days = meeting_days(world.calendar)
    existing = {m.title: m for m in ReviewMeeting.objects.filter(campaign=campaign)}
    meetings: dict[str, ReviewMeeting] = {}
    for spec in MEETINGS:
        meeting = existing.get(spec.title)
        if meeting is None:
            attending = [world.units[code] for code in _codes(spec.attending)]
            meeting = meeting_create(
                actor=None,
                campaign=campaign,
                kind=spec.kind,
                title=spec.title,
                date=days[spec.key],
                host_unit=world.units[spec.host],
                chair=world.users[spec.chair],
                attending_units=attending,
                minutes=spec.minutes,
            )
            world.note(ReviewMeeting)
        meetings[spec.key] = meeting
    return meetings


@dataclass
class _Batch:
    """Rows to bulk-create after the items, in dependency order."""

    milestones: list[Milestone] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    reports: list[tuple[ProgressReport, bool]] = field(default_factory=list)
    signoffs: list[SignOffRequest] = field(default_factory=list)
    extensions: list[ExtensionRequest] = field(default_factory=list)


Moments = list[tuple[datetime, datetime | None]]


@dataclass
class _Timeline:
    """When each thing in an item's life happened, at office hours: every decision after
    what it decides, the item made before anything happened to it and updated with the last."""

    reports: Moments  # (made, reviewed)
    signoffs: Moments  # (asked, decided)
    extensions: Moments  # (asked, decided)
    created: datetime
    updated: datetime
    signed_off: datetime | None
    accepted_on: date | None  # the day the figure that counts was accepted


def _timeline(plan: ItemPlan, key: tuple[str, str], cal: DemoCalendar) -> _Timeline:
    """The moments of ``plan`` (``key``: ledger title and item number salt the minutes)."""

    def after(day: date, earlier: datetime, *salt: object) -> datetime:
        return max(cal.at(day, *key, *salt), earlier + timedelta(minutes=30))

    reports: Moments = []
    for index, r in enumerate(plan.reports):
        made = cal.at(r.day, *key, "report", index)
        reviewed = None
        if r.review != PENDING:
            reviewed = after(min(r.day + timedelta(days=1), cal.yesterday), made, "review", index)
        reports.append((made, reviewed))
    signoffs: Moments = []
    for index, s in enumerate(plan.signoffs):
        asked = cal.at(s.day, *key, "signoff", index)
        signoffs.append((asked, after(s.decided, asked, "decided", index) if s.decided else None))
    extensions: Moments = []
    for index, e in enumerate(plan.extensions):
        asked = cal.at(e.day, *key, "extension", index)
        decided = after(e.decided, asked, "ext-decided", index) if e.decided else None
        extensions.append((asked, decided))
    moments = [m for pair in (*reports, *signoffs, *extensions) for m in pair if m is not None]
    created = min([cal.at(plan.entered(cal), *key, "created"), *moments])
    signed = [d for s, (_a, d) in zip(plan.signoffs, signoffs, strict=True) if s.status == ACCEPTED]
    accepted = [
        (r.day, reviewed)
        for r, (_m, reviewed) in zip(plan.reports, reports, strict=True)
        if r.review == ACCEPTED and reviewed is not None
    ]
    return _Timeline(
        reports=reports,
        signoffs=signoffs,
        extensions=extensions,
        created=created,
        updated=max([created, *moments]),
        signed_off=signed[-1] if signed else None,
        accepted_on=max(accepted, key=lambda pair: pair[0])[1].date() if accepted else None,
    )


def _item(
    plan: ItemPlan,
    ledger: Ledger,
    timeline: _Timeline,
    *,
    unit: Unit,
    chain: ResponsibilityChain | None,
    meeting: ReviewMeeting | None,
    office: User,
) -> services.NewItem:
    """The item of a plan as the creation service takes it, standing where the review
    workflow would have left it: a report still waiting shows as pending beside the last
    accepted figure (which alone counts), a sign-off asked and not yet verified marks the
    item as waiting."""
    fields = dict(plan.fields)
    status, progress = plan.status, plan.progress
    pending = [r for r in plan.reports if r.review == PENDING]
    if pending:
        waiting = max(pending, key=lambda r: r.day)
        fields["pending_progress"] = waiting.percent
    if pending and status in (NOT_STARTED, IN_PROGRESS, COMPLETED):
        accepted = [r for r in plan.reports if r.review == ACCEPTED and r.day <= waiting.day]
        standing = max(accepted, key=lambda r: r.day) if accepted else None
        progress = standing.percent if standing else 0
        status = services.status_for_progress(progress, IN_PROGRESS)
        fields["latest_report"] = standing.text if standing else ""
    return services.NewItem(
        unit=unit,
        title=plan.title,
        start_date=plan.start,
        deadline=plan.deadline,
        code=plan.code,
        chain=chain,
        source_meeting=meeting,
        fields={
            **fields,
            "status": status,
            "progress": progress,
            "progress_accepted_on": timeline.accepted_on,
            "signoff_pending": any(s.status == PENDING for s in plan.signoffs),
            "signed_off_at": timeline.signed_off if plan.signed_off else None,
            "signed_off_by": office if plan.signed_off else None,
            "created_at": timeline.created,
            "updated_at": timeline.updated,
        },
    )


def _children(
    plan: ItemPlan,
    item: LedgerItem,
    timeline: _Timeline,
    people: tuple[User, User],
    batch: _Batch,
) -> None:
    """Queue the item's milestones, measures, reports, sign-off and extension requests;
    ``people``: the unit's liaison, who asks, and the office, which decides."""
    liaison, office = people
    for order, (title, deadline, done_on) in enumerate(plan.milestones):
        batch.milestones.append(
            Milestone(item=item, title=title, deadline=deadline, done_on=done_on, sort_order=order)
        )
    for order, (text, due, done) in enumerate(plan.measures):
        batch.measures.append(
            Measure(item=item, text=text, deadline=due, done=done, sort_order=order)
        )
    # The accepted figure when each report was made, walking the reports in date order.
    previous: dict[int, int] = {}
    accepted = 0
    for index in sorted(range(len(plan.reports)), key=lambda i: plan.reports[i].day):
        previous[index] = accepted
        if plan.reports[index].review == ACCEPTED:
            accepted = plan.reports[index].percent
    for index, (r, (made, reviewed)) in enumerate(zip(plan.reports, timeline.reports, strict=True)):
        report = ProgressReport(
            item=item,
            reporter=liaison,
            text=r.text,
            percent=r.percent,
            previous_percent=previous[index],
            lower_reason="按核查结果更正" if r.percent < previous[index] else "",
            created_at=made,
            review_status=r.review,
            reviewed_by=office if reviewed else None,
            reviewed_at=reviewed,
            return_reason=r.reason,
        )
        batch.reports.append((report, r.evidence))
    for s, (asked, decided) in zip(plan.signoffs, timeline.signoffs, strict=True):
        batch.signoffs.append(
            SignOffRequest(
                item=item,
                requested_by=liaison,
                requested_at=asked,
                note=s.note,
                status=s.status,
                decided_by=office if decided else None,
                decided_at=decided,
                reason=s.reason,
            )
        )
    for e, (asked, decided) in zip(plan.extensions, timeline.extensions, strict=True):
        batch.extensions.append(
            ExtensionRequest(
                item=item,
                requested_by=liaison,
                requested_at=asked,
                reason=e.reason,
                old_deadline=e.old,
                new_deadline=e.new,
                status=e.status,
                decided_by=office if decided else None,
                decided_at=decided,
                decision_note=e.note,
            )
        )


def _evidence(batch: _Batch) -> list[Evidence]:
    """One demo file behind every sign-off request and some progress reports."""
    rows: list[Evidence] = []
    for request in batch.signoffs:
        demo_file = DEMO_FILES[request.item.pk % 2]
        rows.append(
            Evidence(
                item=request.item,
                signoff=request,
                file=demo_file.name,
                original_name=demo_file.original_name,
                content_type=demo_file.content_type,
                size=len(demo_file.content),
                uploaded_by=request.requested_by,
                uploaded_at=request.requested_at,
            )
        )
    for report, with_evidence in batch.reports:
        if with_evidence:
            demo_file = DEMO_FILES[2]
            rows.append(
                Evidence(
                    item=report.item,
                    report=report,
                    file=demo_file.name,
                    original_name=demo_file.original_name,
                    content_type=demo_file.content_type,
                    size=len(demo_file.content),
                    uploaded_by=report.reporter,
                    uploaded_at=report.created_at,
                )
            )
    return rows


def build_ledgers(world: DemoWorld) -> None:
    """The city's 6 areas, 20 ledgers, their items and everything hanging from them."""
    cal, part = world.calendar, world.part(CampaignDemo)
    _light_policy(world)
    ledgers = _areas_and_ledgers(world)
    meetings = _meetings(world)
    existing = set(
        LedgerItem.objects.filter(ledger__in=list(ledgers.values())).values_list(
            "ledger_id", "code"
        )
    )
    office = world.users[OFFICE]
    todo: list[tuple[Ledger, list[tuple[ItemPlan, _Timeline]], list[services.NewItem]]] = []
    for spec in LEDGERS:
        ledger = ledgers[spec.title]
        force = spec.chain_force
        plans, specs = [], []
        for plan in ledger_plans(spec, ASSESSED_CODES, cal):
            if (ledger.pk, plan.code) in existing:
                continue
            timeline = _timeline(plan, (ledger.title, plan.code), cal)
            plans.append((plan, timeline))
            specs.append(
                _item(
                    plan,
                    ledger,
                    timeline,
                    unit=world.units[plan.unit],
                    # A county's or township's item carries the county's share where it has one.
                    chain=part.chain_for(force, plan.unit) if force else None,
                    meeting=meetings[plan.meeting] if plan.meeting else None,
                    office=office,
                )
            )
        if plans:
            todo.append((ledger, plans, specs))
    if not todo:
        return
    batch = _Batch()
    new: list[tuple[tuple[ItemPlan, _Timeline], LedgerItem]] = []
    with _own_timestamps(LedgerItem, ProgressReport, SignOffRequest, ExtensionRequest, Evidence):
        # The one creation service, as the system itself (the demo's own dates, sign-offs
        # and review marks are the system's to write).
        for ledger, plans, specs in todo:
            items = services.ledger_items_bulk_create(actor=None, ledger=ledger, specs=specs)
            new.extend(zip(plans, items, strict=True))
        for (plan, timeline), item in new:
            liaison = world.users[LIAISONS[plan.unit]]
            _children(plan, item, timeline, (liaison, office), batch)
        Milestone.objects.bulk_create(batch.milestones, batch_size=1000)
        Measure.objects.bulk_create(batch.measures, batch_size=1000)
        ProgressReport.objects.bulk_create([r for r, _e in batch.reports], batch_size=1000)
        SignOffRequest.objects.bulk_create(batch.signoffs, batch_size=1000)
        ExtensionRequest.objects.bulk_create(batch.extensions, batch_size=1000)
        evidence = _evidence(batch)
        if evidence:
            _store_demo_files()
        Evidence.objects.bulk_create(evidence, batch_size=1000)
    for model, count in (
        (LedgerItem, len(new)),
        (Milestone, len(batch.milestones)),
        (Measure, len(batch.measures)),
        (ProgressReport, len(batch.reports)),
        (SignOffRequest, len(batch.signoffs)),
        (ExtensionRequest, len(batch.extensions)),
        (Evidence, len(evidence)),
    ):
        if count:
            world.note(model, count)


STEPS: tuple[Step, ...] = (build_ledgers,)
