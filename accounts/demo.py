"""Demo data, the lowest section: the skeleton every app's demo builds on, and the city's
organisation and people, from the city report (``seeds/000_…``).

``python manage.py seed_demo`` calls :func:`seed_demo`, which runs the demo section of every
installed app that has one (its ``demo`` module's :data:`STEPS`), in ``INSTALLED_APPS`` order:
accounts (units, people), campaign (the campaign, task forces, groups, chains), tasks_ledger
(ledgers and items), and so on. Every step takes the one :class:`DemoWorld`, which carries
the as-of date (:class:`DemoCalendar`) and what lower sections built; a section reads what
lower apps built and never imports a higher app (``tests/test_demo_layers.py`` holds that).

**The as-of date.** The report describes a campaign of 2022. The demo moves that calendar
by whole months (:class:`DemoCalendar`) so that on the as-of date (by default today) the
campaign is under way with at least its first quarter behind it: by whole years when the
date lies after mid-May; earlier in the year, the campaign was launched months before, in
the previous year or in January. A month's last day stays a month's last day, days people
act on fall on working days, and titles and document numbers carry the campaign's real
years. The sections then build their rows as they stand on that date;
nothing is dated after it.

What comes from the report, and what is invented, for this section:

- From the report: the province (it names 六个龙江, so 黑龙江省) and the 100 units under
  special assessment (纳入专项考核评价的100家单位).
- Invented, because the report withholds or never gives them: the city's name (written
  "**市" in the report, so we call it 龙兴市, a fictional name), every person's name, the
  units' names and codes.

Every row is created through the services (``actor=None``, the system) and only when its
natural key (unit code, username...) is missing: a second run finds everything in place and
writes nothing, so it adds no history either. Rows that exist are left as they are, so edits
made on the platform survive a re-run; that includes passwords: ``DEMO_PASSWORD`` applies to
accounts this run creates.
"""

from __future__ import annotations

import calendar as _calendar
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, cast

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from .history import command_context
from .models import Membership, Post, Role, RoleAssignment, Unit, UnitKind, UnitLevel, User
from .services import membership_add, role_assign, unit_create

# Passes Django's validators (length, not common, not numeric). Override with DEMO_PASSWORD.
DEFAULT_DEMO_PASSWORD = "Demo-nlzf-2022"  # noqa: S105 - a documented demo password
COMMAND = "seed_demo"

# ---------------------------------------------------------------------------------------------
# The calendar: the report's year moved to the as-of date
# ---------------------------------------------------------------------------------------------

#: The year of the report; every section writes its dates in it and the calendar moves them.
BASE_YEAR = 2022
#: The campaign in the report's year: launched in mid-February, run to the year's end (the
#: report gives no dates; these are plausible for a campaign launched early in the year).
BASE_START, BASE_END = date(BASE_YEAR, 2, 15), date(BASE_YEAR, 12, 31)


def _is_month_end(day: date) -> bool:
    return day.day == _calendar.monthrange(day.year, day.month)[1]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months: a month's last day stays the last day, other days keep
    their number (cut to the month's length). Never reverses the order of two days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, last if _is_month_end(day) else min(day.day, last))


def working_day(day: date) -> date:
    """``day``, or the Friday before when it falls on a weekend (people act on working days)."""
    return day - timedelta(days=max(day.weekday() - 4, 0))


@dataclass(frozen=True)
class DemoCalendar:
    """The report's year moved by ``months`` whole months, seen on ``as_of``.

    Sections write a day of the report's year as ``cal.day(month, day)`` (``years`` for a
    later year) and get the day of the demo campaign; :attr:`today` is the as-of date.
    """

    as_of: date
    months: int

    @classmethod
    def for_date(cls, as_of: date) -> DemoCalendar:
        """The calendar whose campaign is under way on ``as_of`` with at least a quarter of it
        behind: the as-of year's own when that holds, else one that began months earlier."""
        months = (as_of.year - BASE_YEAR) * 12
        while not cls(as_of, months).quarter_behind:
            months -= 1
        return cls(as_of, months)

    @classmethod
    def starting(cls, start: date, as_of: date) -> DemoCalendar:
        """The calendar of a demo campaign seeded earlier, from its start date."""
        return cls(as_of, (start.year - BASE_YEAR) * 12 + start.month - BASE_START.month)

    @property
    def today(self) -> date:
        """The as-of date: rows stand as they were at its start."""
        return self.as_of

    @property
    def yesterday(self) -> date:
        """The last day on which anything happened."""
        return self.as_of - timedelta(days=1)

    def shift(self, day: date) -> date:
        """A day of the report's calendar in the demo's."""
        return add_months(day, self.months)

    def day(self, month: int, day: int, *, years: int = 0) -> date:
        """The demo's day for ``day``/``month`` of the report's year (plus ``years``)."""
        return self.shift(date(BASE_YEAR + years, month, day))

    def workday(self, month: int, day: int, *, years: int = 0) -> date:
        """:meth:`day`, moved back to a Friday when it falls on a weekend."""
        return working_day(self.day(month, day, years=years))

    @property
    def start(self) -> date:
        """The campaign's launch (a working day)."""
        return working_day(self.shift(BASE_START))

    @property
    def end(self) -> date:
        """The campaign's last day."""
        return self.shift(BASE_END)

    @property
    def quarter_behind(self) -> bool:
        """Whether the campaign is under way on the as-of date with a quarter of it behind."""
        return (self.as_of - self.start) >= (self.end - self.start) / 4 and self.as_of <= self.end

    @property
    def year(self) -> int:
        """The campaign's year, for titles: the year it was launched in (as a campaign's
        year must be)."""
        return self.start.year

    def base(self, day: date) -> date:
        """The report's day that the demo shows on ``day`` (the latest one, never later)."""
        found = add_months(day, -self.months)
        while self.shift(found) > day:
            found -= timedelta(days=1)
        return found

    def at(self, day: date, *salt: object) -> datetime:
        """``day`` at an office hour (08:30 to 16:30) that depends only on ``salt``."""
        minutes = zlib.crc32(":".join(map(str, salt)).encode()) % (8 * 60)
        return timezone.make_aware(datetime.combine(day, time(8, 30)) + timedelta(minutes=minutes))


# ---------------------------------------------------------------------------------------------
# The world every section builds on
# ---------------------------------------------------------------------------------------------

Part = TypeVar("Part")


@dataclass
class DemoWorld:
    """What the sections have built or found so far, keyed by natural key.

    A higher app keeps its own section's rows in a :meth:`part` of its own type, so this
    class never needs to know a higher app's models.
    """

    calendar: DemoCalendar
    password_hash: str
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    created: Counter[str] = field(default_factory=Counter)
    parts: dict[type[Any], Any] = field(default_factory=dict)

    @property
    def as_of(self) -> date:
        """The as-of date of the whole demo."""
        return self.calendar.as_of

    def note(self, model: type[Model], count: int = 1) -> None:
        """Count rows created, by model, for the summary."""
        self.created[str(model._meta.verbose_name_plural)] += count

    def part(self, kind: type[Part]) -> Part:
        """A section's own part of the world (made with its defaults on first use)."""
        if kind not in self.parts:
            self.parts[kind] = kind()
        return cast(Part, self.parts[kind])


Step = Callable[[DemoWorld], None]


def demo_modules() -> list[ModuleType]:
    """The ``demo`` module of each of the project's apps, in ``INSTALLED_APPS`` order, which
    lists apps in dependency order: lower apps first."""
    root = Path(settings.BASE_DIR).resolve()
    modules = []
    for config in apps.get_app_configs():
        ours = root in Path(config.path).resolve().parents
        if ours and module_has_submodule(config.module, "demo"):
            modules.append(import_module(f"{config.name}.demo"))
    return modules


def seed_demo(*, as_of: date | None = None, password: str = DEFAULT_DEMO_PASSWORD) -> DemoWorld:
    """Build (or find) the whole demo world as it stands on ``as_of`` (default today), in one
    transaction; history names this command.

    Raises ``ValidationError`` if the password fails Django's validators.
    """
    validate_password(password)
    calendar = DemoCalendar.for_date(as_of or timezone.localdate())
    world = DemoWorld(calendar=calendar, password_hash=make_password(password))
    with transaction.atomic(), command_context(COMMAND):
        for module in demo_modules():
            steps: Sequence[Step] = module.STEPS
            for step in steps:
                step(world)
    return world


def format_summary(world: DemoWorld) -> str:
    """What this run created, or that everything was already in place."""
    if not world.created:
        return _("The demo data is already in place; nothing was changed.")
    parts = _(", ").join(f"{name} {count}" for name, count in world.created.items())
    return _("Demo data created: %(parts)s.") % {"parts": parts}


def display_width(text: str) -> int:
    """Terminal columns a string takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------------------------------------
# The organisation
# ---------------------------------------------------------------------------------------------

PROVINCE = "HL"
# The report withholds the city's name ("**市"); 龙兴市 is fictional.
CITY = "LX"
CITY_PARTY = "LX-SW"  # 中共龙兴市委
CITY_GOVERNMENT = "LX-ZF"  # 龙兴市人民政府
CAMPAIGN_OFFICE_UNIT = "LX-NLZF"  # 能力作风办
ASSESSMENT_OFFICE_UNIT = "LX-KHB"  # 考核办


@dataclass(frozen=True)
class UnitSpec:
    """One unit of the demo tree; ``parent`` is the parent's code."""

    code: str
    name: str
    short_name: str
    level: str
    kind: str
    parent: str | None
    assessed: bool = False


def _city_dept(
    code: str, name: str, short: str, parent: str, kind: str = UnitKind.DEPARTMENT
) -> UnitSpec:
    """A city-level unit under special assessment."""
    return UnitSpec(code, name, short, UnitLevel.CITY, kind, parent, assessed=True)


DEPT = UnitKind.DEPARTMENT
OTHER = UnitKind.OTHER
ENTERPRISE = UnitKind.STATE_ENTERPRISE

# fmt: off
FRAME: tuple[UnitSpec, ...] = (
    UnitSpec(PROVINCE, "黑龙江省", "黑龙江", UnitLevel.PROVINCE, UnitKind.GOVERNMENT, None),
    UnitSpec(CITY, "龙兴市", "", UnitLevel.CITY, UnitKind.GOVERNMENT, PROVINCE),
    UnitSpec(CITY_PARTY, "中共龙兴市委员会", "龙兴市委", UnitLevel.CITY,
             UnitKind.PARTY_COMMITTEE, CITY),
    UnitSpec(CITY_GOVERNMENT, "龙兴市人民政府", "龙兴市政府", UnitLevel.CITY,
             UnitKind.GOVERNMENT, CITY),
    # The offices that run the campaign are not themselves under special assessment.
    UnitSpec(CAMPAIGN_OFFICE_UNIT, "龙兴市机关能力作风建设工作领导小组办公室", "市能力作风办",
             UnitLevel.CITY, DEPT, CITY_PARTY),
    UnitSpec(ASSESSMENT_OFFICE_UNIT, "中共龙兴市委考核工作办公室", "市委考核办",
             UnitLevel.CITY, DEPT, CITY_PARTY),
)
# fmt: on

# Departments of the city Party committee (市委工作部门) and organs close to it.
PARTY_DEPARTMENTS: tuple[UnitSpec, ...] = tuple(
    _city_dept(code, name, short, CITY_PARTY, kind)
    for code, name, short, kind in (
        ("LX-SWB", "中共龙兴市委办公室", "市委办", DEPT),
        ("LX-ZZB", "中共龙兴市委组织部", "市委组织部", DEPT),
        ("LX-XCB", "中共龙兴市委宣传部", "市委宣传部", DEPT),
        ("LX-TZB", "中共龙兴市委统一战线工作部", "市委统战部", DEPT),
        ("LX-ZFW", "中共龙兴市委政法委员会", "市委政法委", DEPT),
        ("LX-ZYS", "中共龙兴市委政策研究室", "市委政研室", DEPT),
        ("LX-BB", "中共龙兴市委机构编制委员会办公室", "市委编办", DEPT),
        ("LX-WXB", "中共龙兴市委网络安全和信息化委员会办公室", "市委网信办", DEPT),
        ("LX-XSB", "中共龙兴市委巡察工作领导小组办公室", "市委巡察办", DEPT),
        ("LX-LGBJ", "中共龙兴市委老干部局", "市委老干部局", DEPT),
        ("LX-JGGW", "中共龙兴市直属机关工作委员会", "市直机关工委", DEPT),
        ("LX-DX", "中共龙兴市委党校", "市委党校", OTHER),
        ("LX-RMT", "龙兴市融媒体中心", "市融媒体中心", OTHER),
    )
)

# Departments of the city government (市政府工作部门) and its service centres.
GOVERNMENT_DEPARTMENTS: tuple[UnitSpec, ...] = tuple(
    _city_dept(code, name, short, CITY_GOVERNMENT, kind)
    for code, name, short, kind in (
        ("LX-ZFB", "龙兴市人民政府办公室", "市政府办", DEPT),
        ("LX-FGW", "龙兴市发展和改革委员会", "市发改委", DEPT),
        ("LX-GXJ", "龙兴市工业和信息化局", "市工信局", DEPT),
        ("LX-JYJ", "龙兴市教育局", "市教育局", DEPT),
        ("LX-KJJ", "龙兴市科学技术局", "市科技局", DEPT),
        ("LX-MZZJ", "龙兴市民族宗教事务局", "市民宗局", DEPT),
        ("LX-GAJ", "龙兴市公安局", "市公安局", DEPT),
        ("LX-MZJ", "龙兴市民政局", "市民政局", DEPT),
        ("LX-SFJ", "龙兴市司法局", "市司法局", DEPT),
        ("LX-CZJ", "龙兴市财政局", "市财政局", DEPT),
        ("LX-RSJ", "龙兴市人力资源和社会保障局", "市人社局", DEPT),
        ("LX-ZRZYJ", "龙兴市自然资源局", "市自然资源局", DEPT),
        ("LX-STHJJ", "龙兴市生态环境局", "市生态环境局", DEPT),
        ("LX-ZJJ", "龙兴市住房和城乡建设局", "市住建局", DEPT),
        ("LX-JTJ", "龙兴市交通运输局", "市交通运输局", DEPT),
        ("LX-SWUJ", "龙兴市水务局", "市水务局", DEPT),
        ("LX-NYJ", "龙兴市农业农村局", "市农业农村局", DEPT),
        ("LX-XCZXJ", "龙兴市乡村振兴局", "市乡村振兴局", DEPT),
        ("LX-SWJ", "龙兴市商务局", "市商务局", DEPT),
        ("LX-WGLJ", "龙兴市文化广电和旅游局", "市文广旅局", DEPT),
        ("LX-WJW", "龙兴市卫生健康委员会", "市卫健委", DEPT),
        ("LX-TYJRJ", "龙兴市退役军人事务局", "市退役军人局", DEPT),
        ("LX-YJJ", "龙兴市应急管理局", "市应急局", DEPT),
        ("LX-SJJ", "龙兴市审计局", "市审计局", DEPT),
        ("LX-GZW", "龙兴市人民政府国有资产监督管理委员会", "市国资委", DEPT),
        ("LX-SCJGJ", "龙兴市市场监督管理局", "市市场监管局", DEPT),
        ("LX-TYJ", "龙兴市体育局", "市体育局", DEPT),
        ("LX-TJJ", "龙兴市统计局", "市统计局", DEPT),
        ("LX-YBJ", "龙兴市医疗保障局", "市医保局", DEPT),
        ("LX-LCJ", "龙兴市林业和草原局", "市林草局", DEPT),
        ("LX-CGJ", "龙兴市城市管理综合执法局", "市城管局", DEPT),
        ("LX-YSHJJ", "龙兴市营商环境建设监督局", "市营商环境局", DEPT),
        ("LX-XFJ", "龙兴市信访局", "市信访局", DEPT),
        ("LX-LSJ", "龙兴市粮食和物资储备局", "市粮储局", DEPT),
        ("LX-TCJ", "龙兴市投资促进局", "市投促局", DEPT),
        ("LX-RFB", "龙兴市人民防空办公室", "市人防办", DEPT),
        ("LX-JGSW", "龙兴市机关事务服务中心", "市机关事务中心", OTHER),
        ("LX-GJJ", "龙兴市住房公积金管理中心", "市公积金中心", OTHER),
        ("LX-DSJ", "龙兴市大数据中心", "市大数据中心", OTHER),
        ("LX-GXS", "龙兴市供销合作社联合社", "市供销社", OTHER),
        ("LX-DAG", "龙兴市档案馆", "市档案馆", OTHER),
    )
)

# Discipline, courts, mass organisations and city-owned enterprises sit directly under the city.
OTHER_CITY_UNITS: tuple[UnitSpec, ...] = tuple(
    _city_dept(code, name, short, CITY, kind)
    for code, name, short, kind in (
        ("LX-JWJW", "中共龙兴市纪律检查委员会 龙兴市监察委员会", "市纪委监委", DEPT),
        ("LX-FY", "龙兴市中级人民法院", "市中级法院", OTHER),
        ("LX-JCY", "龙兴市人民检察院", "市检察院", OTHER),
        ("LX-ZGH", "龙兴市总工会", "市总工会", OTHER),
        ("LX-TSW", "共青团龙兴市委员会", "团市委", OTHER),
        ("LX-FL", "龙兴市妇女联合会", "市妇联", OTHER),
        ("LX-KX", "龙兴市科学技术协会", "市科协", OTHER),
        ("LX-GSL", "龙兴市工商业联合会", "市工商联", OTHER),
        ("LX-CL", "龙兴市残疾人联合会", "市残联", OTHER),
        ("LX-WL", "龙兴市文学艺术界联合会", "市文联", OTHER),
        ("LX-CTJT", "龙兴市城市建设投资集团有限公司", "市城投集团", ENTERPRISE),
        ("LX-SWJT", "龙兴市水务集团有限公司", "市水务集团", ENTERPRISE),
        ("LX-RLGS", "龙兴市热力有限责任公司", "市热力公司", ENTERPRISE),
        ("LX-GJJT", "龙兴市公共交通集团有限公司", "市公交集团", ENTERPRISE),
    )
)

# Counties and districts with their townships and subdistricts (乡镇、街道).
# fmt: off
COUNTIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("LX-XC", "龙兴市兴城区", "兴城区",
     ("兴华街道", "建设街道", "胜利街道", "站前街道", "新兴街道", "东风镇", "红旗镇")),
    ("LX-LH", "龙兴市龙湖区", "龙湖区",
     ("龙湖街道", "湖滨街道", "文化街道", "铁西街道", "永安镇", "长青乡")),
    ("LX-AN", "安宁县", "安宁县",
     ("安宁镇", "太平镇", "兴隆镇", "五星镇", "双河镇", "靠山乡", "民乐乡", "永丰乡")),
    ("LX-FLX", "丰乐县", "丰乐县",
     ("丰乐镇", "新华镇", "三合镇", "前进镇", "东升乡", "丰收乡", "向阳乡")),
)
# fmt: on


def _county_units() -> tuple[UnitSpec, ...]:
    specs: list[UnitSpec] = []
    for code, name, short, townships in COUNTIES:
        specs.append(UnitSpec(code, name, short, UnitLevel.COUNTY, UnitKind.GOVERNMENT, CITY, True))
        for index, township in enumerate(townships, start=1):
            specs.append(
                UnitSpec(
                    f"{code}-{index:02d}",
                    f"{short}{township}",
                    township,
                    UnitLevel.TOWNSHIP,
                    UnitKind.TOWNSHIP,
                    code,
                    True,
                )
            )
    return tuple(specs)


COUNTY_UNITS = _county_units()
CITY_DEPARTMENTS = PARTY_DEPARTMENTS + GOVERNMENT_DEPARTMENTS + OTHER_CITY_UNITS
# Parents come before children; siblings in this order get rising sort orders.
UNITS: tuple[UnitSpec, ...] = (
    FRAME[:4]
    + COUNTY_UNITS
    + FRAME[4:]
    + PARTY_DEPARTMENTS
    + GOVERNMENT_DEPARTMENTS
    + OTHER_CITY_UNITS
)
ASSESSED_CODES: tuple[str, ...] = tuple(u.code for u in COUNTY_UNITS + CITY_DEPARTMENTS)
UNIT_SPECS = {u.code: u for u in UNITS}
# The report: 纳入专项考核评价的100家单位.
assert len(ASSESSED_CODES) == 100, len(ASSESSED_CODES)

# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    """A demo account: posts are (unit code, post, job title), roles are (role, scope code)."""

    username: str
    name: str
    posts: tuple[tuple[str, str, str], ...] = ()
    roles: tuple[tuple[str, str], ...] = ()
    superuser: bool = False


PL, LIC, LIAISON, STAFF = Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE, Post.LIAISON, Post.STAFF


def _city_leader(username: str, name: str, title: str, *extra: tuple[str, str, str]) -> PersonSpec:
    """A member of the city's Party and government leadership.

    City leaders read everything in the city as officials; the official role keeps their
    posts from making them editors (see accounts.jurisdiction).
    """
    post = PL if title in ("市委书记", "市委副书记、市长") else LIC
    return PersonSpec(username, name, ((CITY, post, title), *extra), roles=((Role.OFFICIAL, CITY),))


CITY_LEADERS: tuple[PersonSpec, ...] = (
    _city_leader("secretary", "刘振华", "市委书记", (CITY_PARTY, PL, "市委书记")),
    _city_leader("mayor", "陈立新", "市委副书记、市长", (CITY_GOVERNMENT, PL, "市长")),
    _city_leader("deputy_secretary", "孙德明", "市委副书记"),
    # The demo's "official": a member of the city Party standing committee (市委常委).
    _city_leader(
        "official", "高志远", "市委常委、常务副市长", (CITY_GOVERNMENT, LIC, "常务副市长")
    ),
    _city_leader("discipline_secretary", "郑海涛", "市委常委、市纪委书记、市监委主任"),
    _city_leader("organisation_head", "周雅琴", "市委常委、组织部部长"),
    _city_leader("propaganda_head", "吴国庆", "市委常委、宣传部部长"),
    _city_leader("politics_law_secretary", "何立军", "市委常委、政法委书记"),
    _city_leader("secretary_general", "马晓东", "市委常委、市委秘书长"),
    _city_leader("vice_mayor_industry", "冯继伟", "副市长", (CITY_GOVERNMENT, LIC, "副市长")),
    _city_leader("vice_mayor_urban", "韩淑芬", "副市长", (CITY_GOVERNMENT, LIC, "副市长")),
    _city_leader("vice_mayor_culture", "邓宏伟", "副市长", (CITY_GOVERNMENT, LIC, "副市长")),
    _city_leader(
        "vice_mayor_security", "曹振宇", "副市长、市公安局局长", (CITY_GOVERNMENT, LIC, "副市长")
    ),
)

STAFF_PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("admin", "林海波", superuser=True),
    PersonSpec(
        "office",
        "孙丽华",
        ((CAMPAIGN_OFFICE_UNIT, STAFF, "综合协调科科长"),),
        roles=((Role.CAMPAIGN_OFFICE, CITY),),
    ),
    PersonSpec(
        "assessor",
        "杨春梅",
        ((ASSESSMENT_OFFICE_UNIT, STAFF, "考核科科长"),),
        roles=((Role.ASSESSMENT_OFFICE, CITY),),
    ),
    # A third-party evaluator works for an outside body, so holds no post in the tree.
    PersonSpec("evaluator", "许文博", roles=((Role.EVALUATOR, CITY),)),
)

RESERVED_NAMES = frozenset(p.name for p in (*CITY_LEADERS, *STAFF_PEOPLE))

# Named personas among the generated unit people (username in place of the generated one).
COUNTY_LEADER_UNIT = "LX-XC"
LIAISON_PERSONAS = {
    "LX-XC": "county_liaison",
    "LX-FGW": "dept_liaison",
    "LX-XC-07": "township_liaison",  # 兴城区红旗镇
}

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石贾夏付方白邹孟秦邱江尹薛闫段雷侯"
)
# fmt: off
GIVEN_NAMES = (
    "志强", "海燕", "丽娟", "建华", "晓光", "玉兰", "永刚", "秀云", "文斌", "雪松", "立群",
    "国栋", "红艳", "宏亮", "淑华", "振东", "婷婷", "俊杰", "桂芝", "明辉", "凤霞", "德胜",
    "艳秋", "长青", "雅静", "继东", "金凤", "树林", "亚楠", "鹏飞", "慧敏", "向东", "丽萍",
    "世杰", "晓燕", "兴旺", "佳琪", "宇航", "冬梅", "春生", "静", "磊", "伟", "丹", "超", "颖",
)
# fmt: on


def name_book(*, skip: int = 0) -> Callable[[], str]:
    """A deterministic supply of distinct, plausible Chinese names (same order every run),
    none of them a city leader's or the staff's. ``skip`` passes over names already drawn:
    a higher section's people continue where this section's stop (:data:`NAMES_DRAWN`)."""
    taken = set(RESERVED_NAMES)
    state = {"i": 0}

    def next_name() -> str:
        while True:
            i = state["i"]
            state["i"] += 1
            given = GIVEN_NAMES[(i * 7 + i // len(SURNAMES)) % len(GIVEN_NAMES)]
            name = SURNAMES[i % len(SURNAMES)] + given
            if name not in taken:
                taken.add(name)
                return name

    for _index in range(skip):
        next_name()
    return next_name


def slug(code: str) -> str:
    """Username part of a unit code: ``LX-XC-07`` -> ``xc07``."""
    return code.lower().removeprefix("lx-").replace("-", "")


def _people() -> list[PersonSpec]:
    """The accounts of this section, in a fixed order (the name book depends on it): the
    city's leaders and staff, each county's Party secretary and each assessed unit's liaison."""
    people: list[PersonSpec] = [*CITY_LEADERS, *STAFF_PEOPLE]
    next_name = name_book()
    for code, _name, short, _townships in COUNTIES:
        username = "county_leader" if code == COUNTY_LEADER_UNIT else f"{slug(code)}_secretary"
        title = "区委书记" if short.endswith("区") else "县委书记"
        people.append(PersonSpec(username, next_name(), ((code, PL, title),)))
    for code in ASSESSED_CODES:
        username = LIAISON_PERSONAS.get(code, f"{slug(code)}_liaison")
        people.append(PersonSpec(username, next_name(), ((code, LIAISON, "联络员"),)))
    return people


PEOPLE = _people()
#: Names this section drew from the name book (higher sections skip them).
NAMES_DRAWN = len(PEOPLE) - len(CITY_LEADERS) - len(STAFF_PEOPLE)
LIAISONS = {code: p.username for p in PEOPLE for code, post, _t in p.posts if post == LIAISON}
COUNTY_SECRETARIES = {
    code: p.username
    for p in PEOPLE
    for code, post, _t in p.posts
    if post == PL and UNIT_SPECS[code].level == UnitLevel.COUNTY
}


def county_of(code: str) -> str | None:
    """The county a unit lies in (itself for a county), or None for city-level units."""
    spec = UNIT_SPECS[code]
    if spec.level == UnitLevel.COUNTY:
        return code
    if spec.level == UnitLevel.TOWNSHIP:
        return spec.parent
    return None


# ---------------------------------------------------------------------------------------------
# The builders
# ---------------------------------------------------------------------------------------------


def build_units(world: DemoWorld) -> None:
    """The province, the city, its Party committee and government, and the assessed units."""
    existing = {u.code: u for u in Unit.objects.filter(code__in=UNIT_SPECS)}
    sort_orders: Counter[str | None] = Counter()
    for spec in UNITS:
        sort_orders[spec.parent] += 1
        unit = existing.get(spec.code)
        if unit is None:
            unit = unit_create(
                actor=None,
                parent=world.units[spec.parent] if spec.parent else None,
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                level=spec.level,
                kind=spec.kind,
                # Rising sort orders put each new unit last: no sibling paths are rewritten.
                sort_order=sort_orders[spec.parent] * 10,
                under_special_assessment=spec.assessed,
            )
            world.note(Unit)
        world.units[spec.code] = unit


def ensure_people(world: DemoWorld, people: Iterable[PersonSpec]) -> None:
    """Accounts, posts and roles of ``people``, each made only when missing. One password
    hash serves every new account (hashing is slow); accounts date from two weeks before
    the campaign's launch."""
    people = list(people)
    usernames = [p.username for p in people]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    posts = set(
        Membership.objects.filter(user__username__in=usernames).values_list(
            "user__username", "unit__code", "post"
        )
    )
    roles = set(
        RoleAssignment.objects.filter(user__username__in=usernames).values_list(
            "user__username", "role", "scope__code"
        )
    )
    joined = world.calendar.start - timedelta(days=14)
    for person in people:
        user = users.get(person.username)
        if user is None:
            user = User(
                username=person.username,
                name=person.name,
                password=world.password_hash,
                is_staff=person.superuser,
                is_superuser=person.superuser,
                date_joined=world.calendar.at(joined, "joined", person.username),
            )
            user.full_clean()
            user.save()
            world.note(User)
        world.users[person.username] = user
        for code, post, title in person.posts:
            if (person.username, code, post) not in posts:
                membership_add(
                    actor=None, user=user, unit=world.units[code], post=post, title=title
                )
                world.note(Membership)
        for role, code in person.roles:
            if (person.username, role, code) not in roles:
                role_assign(actor=None, user=user, role=role, scope=world.units[code])
                world.note(RoleAssignment)


def build_people(world: DemoWorld) -> None:
    """The city's leaders and staff, the counties' secretaries and every unit's liaison."""
    ensure_people(world, PEOPLE)


STEPS: tuple[Step, ...] = (build_units, build_people)
