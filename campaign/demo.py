"""Demo data: the city campaign of the city report (``seeds/000_…``), built from its figures.

``python manage.py seed_demo`` calls :func:`seed_demo`. The world is built by a list of
steps (:data:`STEPS`), each a function taking the :class:`DemoWorld` built so far; later
issues add ledgers, assessments and notices by appending their own steps.

What comes from the report, and what is invented:

- From the report: the province (it names 六个龙江, so 黑龙江省), 100 units under special
  assessment (纳入专项考核评价的100家单位), 10 task forces and 4 special working groups
  ("1+9" measures, 10 工作专班 + 4 专项工作组, names taken from the areas the report lists),
  10 supervision groups and 1 special supervision group (10个督查指导组和1个专项督导组),
  the "two levels, five posts" chain (两级五岗) and the four phases of the campaign. The two
  levels are the city and its counties: the city's chain of a task force area, and for the
  areas that fall to the counties (:data:`COUNTY_CHAIN_FORCES`) each county's own chain for
  its share, with the county's principal leader and leader in charge, linked to the city's.
- Invented, because the report withholds or never gives them: the city's name (written
  "**市" in the report, so we call it 龙兴市, a fictional name), every person's name, the
  units' names and codes, the phase dates, who leads which group. Numbers the report writes
  as "XX" or "**" are never invented here.

Every row is created through the services (``actor=None``, the system) and only when its
natural key (unit code, username, campaign name, task force or group name, chain subject) is
missing: a second run finds everything in place and writes nothing, so it adds no history
either. Rows that exist are left as they are, so edits made on the platform survive a re-run;
that includes passwords: ``DEMO_PASSWORD`` applies to accounts this run creates.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from accounts.history import command_context
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Membership, Post, Role, RoleAssignment, Unit, UnitKind, UnitLevel, User
from accounts.services import membership_add, role_assign, unit_create

from .models import (
    Campaign,
    CampaignStatus,
    PhaseKind,
    ResponsibilityChain,
    SupervisionGroup,
    SupervisionGroupKind,
    TaskForce,
    TaskForceKind,
)
from .services import campaign_create, chain_create, supervision_group_create, task_force_create

# Passes Django's validators (length, not common, not numeric). Override with DEMO_PASSWORD.
DEFAULT_DEMO_PASSWORD = "Demo-nlzf-2022"  # noqa: S105 - a documented demo password
COMMAND = "seed_demo"

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

# Named personas among the generated unit people (username in place of the generated one).
COUNTY_LEADER_UNIT = "LX-XC"
LIAISON_PERSONAS = {
    "LX-XC": "county_liaison",
    "LX-FGW": "dept_liaison",
    "LX-XC-07": "township_liaison",  # 兴城区红旗镇
}
SUPERVISION_PERSONAS = {("01", "leader"): "supervisor", ("01", "member1"): "inspector"}

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


def _name_book(reserved: Iterable[str]) -> Callable[[], str]:
    """A deterministic supply of distinct, plausible Chinese names (same order every run)."""
    taken = set(reserved)
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

    return next_name


def _slug(code: str) -> str:
    """Username part of a unit code: ``LX-XC-07`` -> ``xc07``."""
    return code.lower().removeprefix("lx-").replace("-", "")


# ---------------------------------------------------------------------------------------------
# Campaign, task forces, chains
# ---------------------------------------------------------------------------------------------

CAMPAIGN_NAME = "2022年“能力作风建设年”活动"
CAMPAIGN_YEAR = 2022
# The report gives no dates; these are plausible for a campaign launched early in 2022.
CAMPAIGN_START, CAMPAIGN_END = date(2022, 2, 15), date(2022, 12, 31)
CAMPAIGN_DESCRIPTION = (
    "深入贯彻全省机关能力作风建设年要求部署，按照“四个体系”工作机制，围绕“1+9”综合性举措，"
    "制定《全市机关“能力作风建设年”活动实施方案》，配套10个工作子《方案》，"
    "以思想破冰引领发展突围，以比学赶超点燃奋斗激情，以亮点实绩凝聚奋进力量。"
)
# fmt: off
PHASES: tuple[tuple[str, date, date, str], ...] = (
    (PhaseKind.LAUNCH, date(2022, 2, 15), date(2022, 4, 30),
     "制定实施方案和工作子方案，成立工作专班、专项工作组和督查指导组；"
     "纳入专项考核评价的单位量化任务目标、挂图作战、专项跟踪推进。"),
    (PhaseKind.LOOK_BACK, date(2022, 5, 1), date(2022, 6, 30),
     "对照清单台账回头看，开展第一季度考评并公开晾晒、全市通报，整改“低粗差”问题。"),
    (PhaseKind.CONSOLIDATE, date(2022, 7, 1), date(2022, 10, 31),
     "以“亮相、亮丑、亮剑”巩固成果，持续整治作风顽疾，健全“四个体系”长效机制。"),
    (PhaseKind.EVALUATE, date(2022, 11, 1), date(2022, 12, 31),
     "通过日常考核、年度考核、第三方评估考核、公众考核，评出优秀、良好、一般、差4个等次。"),
)
# fmt: on


@dataclass(frozen=True)
class TaskForceSpec:
    """A task force and the responsibility chain for its area (unit: the city)."""

    name: str
    kind: str
    area: str
    leader: str  # username of a city leader in charge; also the chain's leader in charge
    principal: str  # username of the city principal leader who answers overall (统责)
    lead_department: str
    cooperating: tuple[str, ...]
    subject: str
    responsible: tuple[str, str]  # username, job title in the lead department


WORK = TaskForceKind.WORK_FORCE
SPECIAL = TaskForceKind.SPECIAL_GROUP

# 10 工作专班 and 4 专项工作组; names and subjects come from the areas the report names.
# fmt: off
TASK_FORCES: tuple[TaskForceSpec, ...] = (
    TaskForceSpec(
        "经济指标调度工作专班", WORK, "经济运行", "official", "mayor", "LX-FGW",
        ("LX-TJJ", "LX-CZJ", "LX-GXJ", "LX-SWJ", "LX-NYJ"),
        "主要经济指标调度，确保各项主要经济指标实现“双过半”", ("fgw_deputy", "副主任"),
    ),
    TaskForceSpec(
        "项目建设推进工作专班", WORK, "项目建设", "vice_mayor_industry", "mayor", "LX-FGW",
        ("LX-ZRZYJ", "LX-ZJJ", "LX-STHJJ", "LX-YSHJJ", "LX-TCJ"),
        "省市重点项目资金到位率、投资完成率、按期竣工率调度推进", ("fgw_deputy2", "副主任"),
    ),
    TaskForceSpec(
        "城市整治提升工作专班", WORK, "城市整治", "vice_mayor_urban", "mayor", "LX-CGJ",
        ("LX-ZJJ", "LX-ZRZYJ", "LX-GAJ", "LX-XC", "LX-LH"),
        "拆违治乱和城市清新行动，清理私搭乱建，新增城区绿化", ("cgj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "数字经济工作专班", WORK, "数字经济", "vice_mayor_industry", "mayor", "LX-GXJ",
        ("LX-DSJ", "LX-FGW", "LX-KJJ", "LX-YSHJJ"),
        "推进智慧城市建设和城市公共服务平台项目", ("gxj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "冰雪经济工作专班", WORK, "冰雪经济", "vice_mayor_culture", "mayor", "LX-WGLJ",
        ("LX-TYJ", "LX-SWJ", "LX-JTJ", "LX-LCJ"),
        "发展冰雪旅游、冰雪体育和冰雪装备产业", ("wglj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "营商环境工作专班", WORK, "营商环境", "official", "mayor", "LX-YSHJJ",
        ("LX-SCJGJ", "LX-ZRZYJ", "LX-ZJJ", "LX-SFJ", "LX-ZFB"),
        "落实《优化营商环境专项行动方案》，深化“放管服”改革，推进“审批承诺制”“拿地即开工”",
        ("yshjj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "信访工作专班", WORK, "信访化解", "vice_mayor_security", "secretary", "LX-XFJ",
        ("LX-GAJ", "LX-ZJJ", "LX-RSJ", "LX-SFJ", "LX-ZFW"),
        "上级交办重点领域信访案件化解，清单台账动态更新", ("xfj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "招商引资工作专班", WORK, "招商引资", "vice_mayor_industry", "mayor", "LX-TCJ",
        ("LX-SWJ", "LX-FGW", "LX-GXJ", "LX-ZRZYJ"),
        "围绕“4+N”产业体系对接大集团大企业，推动产业项目签约落地", ("tcj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "民生工程工作专班", WORK, "民生保障", "vice_mayor_urban", "mayor", "LX-ZJJ",
        ("LX-CZJ", "LX-MZJ", "LX-WJW", "LX-JYJ", "LX-CTJT"),
        "实施民生工程，推进老旧小区改造和燃气入户项目", ("zjj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "环保督察整改工作专班", WORK, "生态环境", "vice_mayor_culture", "mayor", "LX-STHJJ",
        ("LX-ZRZYJ", "LX-SWUJ", "LX-NYJ", "LX-LCJ", "LX-ZJJ"),
        "生态环境保护督察反馈问题整改", ("sthjj_deputy", "副局长"),
    ),
    TaskForceSpec(
        "不良作风整治专项工作组", SPECIAL, "作风整治", "discipline_secretary", "secretary",
        "LX-JWJW", ("LX-ZZB", "LX-JGGW", "LX-XCB", "LX-RMT"),
        "整治有诺不践、联村包企不实、“走流程”变“走秀”、“口会而实不至”等作风顽疾",
        ("jwjw_deputy", "副书记"),
    ),
    TaskForceSpec(
        "执法司法服务提升攻坚专项工作组", SPECIAL, "执法司法", "politics_law_secretary",
        "secretary", "LX-ZFW", ("LX-GAJ", "LX-SFJ", "LX-FY", "LX-JCY"),
        "执法司法服务提升攻坚，解决群众反映强烈的执法司法问题", ("zfw_deputy", "副书记"),
    ),
    TaskForceSpec(
        "机关工作质效提升专项工作组", SPECIAL, "机关效能", "organisation_head", "secretary",
        "LX-ZZB", ("LX-JGGW", "LX-BB", "LX-DX", "LX-JGSW"),
        "开展“业务大讲堂”，提升机关干部能力素质和工作质效", ("zzb_deputy", "副部长"),
    ),
    TaskForceSpec(
        "重大决策部署督办落实专项工作组", SPECIAL, "督办落实", "secretary_general", "secretary",
        "LX-SWB", ("LX-ZFB", "LX-ZYS", "LX-XSB"),
        "重大决策部署督办落实，建立清单台账，明确牵头领导、责任部门、整改措施、完成时限",
        ("swb_deputy", "副主任"),
    ),
)
# fmt: on
assert sum(t.kind == WORK for t in TASK_FORCES) == 10  # 10个工作专班
assert sum(t.kind == SPECIAL for t in TASK_FORCES) == 4  # 4个专项工作组

# The areas whose ledgers fall to the counties in every county: each county answers for its
# share with a chain of its own under the city's (the second of the two levels, 两级).
COUNTY_CHAIN_FORCES: tuple[str, ...] = (
    "项目建设推进工作专班",
    "招商引资工作专班",
    "营商环境工作专班",
    "信访工作专班",
)
TASK_FORCE_SPECS = {t.name: t for t in TASK_FORCES}
assert set(COUNTY_CHAIN_FORCES) <= set(TASK_FORCE_SPECS)


def county_chain_subject(force: str, county: str) -> str:
    """The subject of a county's chain for its share of a task force's city chain."""
    short = UNIT_SPECS[county].short_name
    return f"{TASK_FORCE_SPECS[force].subject}（{short}）"


def county_of(code: str) -> str | None:
    """The county a unit lies in (itself for a county), or None for city-level units."""
    spec = UNIT_SPECS[code]
    if spec.level == UnitLevel.COUNTY:
        return code
    if spec.level == UnitLevel.TOWNSHIP:
        return spec.parent
    return None


# ---------------------------------------------------------------------------------------------
# Supervision groups
# ---------------------------------------------------------------------------------------------

GROUP_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
SPECIAL_GROUP_NAME = "营商环境专项督导组"
# The special group follows up the window-service units behind the business environment.
# fmt: off
SPECIAL_GROUP_UNITS = (
    "LX-YSHJJ", "LX-SCJGJ", "LX-ZRZYJ", "LX-ZJJ", "LX-RSJ", "LX-YBJ", "LX-GJJ", "LX-GAJ",
    "LX-JTJ", "LX-SWJT", "LX-RLGS",
)
# fmt: on


@dataclass(frozen=True)
class GroupSpec:
    """A supervision group: ``key`` names its people (``sg<key>_leader``...)."""

    key: str
    name: str
    kind: str
    units: tuple[str, ...]


def _split(items: tuple[str, ...], parts: int) -> list[tuple[str, ...]]:
    """Split into ``parts`` consecutive runs whose sizes differ by at most one."""
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index >= parts - extra else 0)
        runs.append(items[start:end])
        start = end
    return runs


def _group_plan() -> tuple[GroupSpec, ...]:
    """Groups 1-4 each cover one county with its townships; 5-10 share the city departments.

    Every unit under special assessment falls to exactly one inspection group.
    """
    runs = [
        tuple(u.code for u in COUNTY_UNITS if u.code == code or u.parent == code)
        for code, *_rest in COUNTIES
    ]
    runs += _split(tuple(u.code for u in CITY_DEPARTMENTS), 10 - len(COUNTIES))
    groups = [
        GroupSpec(
            f"{i:02d}", f"第{GROUP_NUMERALS[i - 1]}督查指导组", SupervisionGroupKind.INSPECTION, run
        )
        for i, run in enumerate(runs, start=1)
    ]
    groups.append(
        GroupSpec("zx", SPECIAL_GROUP_NAME, SupervisionGroupKind.SPECIAL, SPECIAL_GROUP_UNITS)
    )
    return tuple(groups)


GROUPS = _group_plan()
assert sum(g.kind == SupervisionGroupKind.INSPECTION for g in GROUPS) == 10  # 10个督查指导组
assert sum(g.kind == SupervisionGroupKind.SPECIAL for g in GROUPS) == 1  # 1个专项督导组
MEMBERS_PER_GROUP = 2


def group_usernames(key: str) -> tuple[str, tuple[str, ...]]:
    """The leader's and the members' usernames of the group with this key."""
    roles = [f"member{n}" for n in range(1, MEMBERS_PER_GROUP + 1)]
    leader = SUPERVISION_PERSONAS.get((key, "leader"), f"sg{key}_leader")
    members = tuple(SUPERVISION_PERSONAS.get((key, role), f"sg{key}_{role}") for role in roles)
    return leader, members


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


@dataclass
class DemoWorld:
    """What the steps have built or found so far, keyed by natural key."""

    password_hash: str
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    campaign: Campaign | None = None
    task_forces: dict[str, TaskForce] = field(default_factory=dict)
    groups: dict[str, SupervisionGroup] = field(default_factory=dict)
    chains: dict[str, ResponsibilityChain] = field(default_factory=dict)
    # (task force name, county code) -> the county's chain for its share of the city's.
    county_chains: dict[tuple[str, str], ResponsibilityChain] = field(default_factory=dict)
    created: Counter[str] = field(default_factory=Counter)

    def note(self, model: type[Model], count: int = 1) -> None:
        """Count rows created, by model, for the summary."""
        self.created[str(model._meta.verbose_name_plural)] += count

    def chain_for(self, force: str, unit_code: str) -> ResponsibilityChain:
        """The chain an item of a task force's area carries: its county's share when the
        unit lies in a county that has one, else the city's chain."""
        county = county_of(unit_code)
        if county is not None and (force, county) in self.county_chains:
            return self.county_chains[(force, county)]
        return self.chains[TASK_FORCE_SPECS[force].subject]


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


def county_deputy(code: str) -> str:
    """Username of a county's leader in charge of the campaign (its chains' 揽责)."""
    return f"{_slug(code)}_deputy"


def _people() -> list[PersonSpec]:
    """Every demo account, in a fixed order (the name book depends on it)."""
    people: list[PersonSpec] = [*CITY_LEADERS, *STAFF_PEOPLE]
    next_name = _name_book(p.name for p in people)

    for code, _name, short, _townships in COUNTIES:
        username = "county_leader" if code == COUNTY_LEADER_UNIT else f"{_slug(code)}_secretary"
        title = "区委书记" if short.endswith("区") else "县委书记"
        people.append(PersonSpec(username, next_name(), ((code, PL, title),)))
    for code in ASSESSED_CODES:
        username = LIAISON_PERSONAS.get(code, f"{_slug(code)}_liaison")
        people.append(PersonSpec(username, next_name(), ((code, LIAISON, "联络员"),)))
    for force in TASK_FORCES:
        username, title = force.responsible
        people.append(PersonSpec(username, next_name(), ((force.lead_department, LIC, title),)))
    for group in GROUPS:
        leader, members = group_usernames(group.key)
        for username in (leader, *members):
            # Their reach comes from the groups they belong to, not from a post or role.
            people.append(PersonSpec(username, next_name()))
    # Added after everyone else, so the names drawn before them stay as they were.
    for code, _name, short, _townships in COUNTIES:
        title = "副区长" if short.endswith("区") else "副县长"
        people.append(PersonSpec(county_deputy(code), next_name(), ((code, LIC, title),)))
    return people


PEOPLE = _people()
LIAISONS = {code: p.username for p in PEOPLE for code, post, _t in p.posts if post == LIAISON}
COUNTY_SECRETARIES = {
    code: p.username
    for p in PEOPLE
    for code, post, _t in p.posts
    if post == PL and UNIT_SPECS[code].level == UnitLevel.COUNTY
}


def build_people(world: DemoWorld) -> None:
    """Accounts, posts and roles. One password hash serves every new account (hashing is slow)."""
    usernames = [p.username for p in PEOPLE]
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
    for person in PEOPLE:
        user = users.get(person.username)
        if user is None:
            user = User(
                username=person.username,
                name=person.name,
                password=world.password_hash,
                is_staff=person.superuser,
                is_superuser=person.superuser,
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


def build_campaign(world: DemoWorld) -> None:
    """The city's campaign with its four phases."""
    city = world.units[CITY]
    campaign = Campaign.objects.filter(owner_unit=city, name=CAMPAIGN_NAME).first()
    if campaign is None:
        campaign = campaign_create(
            actor=None,
            owner_unit=city,
            name=CAMPAIGN_NAME,
            year=CAMPAIGN_YEAR,
            start_date=CAMPAIGN_START,
            end_date=CAMPAIGN_END,
            status=CampaignStatus.ACTIVE,
            description=CAMPAIGN_DESCRIPTION,
            phases=[(kind, start, end) for kind, start, end, _goals in PHASES],
        )
        # campaign_create takes no goals; set them on the phases it has just made.
        goals = {kind: text for kind, _start, _end, text in PHASES}
        for phase in campaign.phases.all():
            phase.goals = goals[phase.kind]
            phase.save(update_fields=["goals", "order"])
        world.note(Campaign)
    world.campaign = campaign


def _liaison(world: DemoWorld, code: str) -> User | None:
    """The liaison of an assessed unit (None for units without one)."""
    username = LIAISONS.get(code)
    return world.users[username] if username else None


def build_task_forces(world: DemoWorld) -> None:
    """Ten work forces and four special working groups, with member units and people."""
    assert world.campaign is not None
    existing = {t.name: t for t in world.campaign.task_forces.all()}
    for order, spec in enumerate(TASK_FORCES, start=1):
        force = existing.get(spec.name)
        if force is None:
            codes = (spec.lead_department, *spec.cooperating)
            members = [world.users[spec.responsible[0]]]
            members += [u for u in (_liaison(world, c) for c in codes) if u is not None]
            force = task_force_create(
                actor=None,
                campaign=world.campaign,
                name=spec.name,
                kind=spec.kind,
                area=spec.area,
                leader=world.users[spec.leader],
                member_units=[world.units[c] for c in codes],
                members=members,
                sort_order=order * 10,
            )
            world.note(TaskForce)
        world.task_forces[spec.name] = force


def build_supervision_groups(world: DemoWorld) -> None:
    """Ten inspection groups covering every assessed unit once, and one special group."""
    assert world.campaign is not None
    existing = {g.name: g for g in world.campaign.supervision_groups.all()}
    for order, spec in enumerate(GROUPS, start=1):
        group = existing.get(spec.name)
        if group is None:
            leader, members = group_usernames(spec.key)
            group = supervision_group_create(
                actor=None,
                campaign=world.campaign,
                name=spec.name,
                kind=spec.kind,
                leader=world.users[leader],
                members=[world.users[username] for username in members],
                assigned_units=[world.units[c] for c in spec.units],
                sort_order=order * 10,
            )
            world.note(SupervisionGroup)
        world.groups[spec.key] = group


def build_chains(world: DemoWorld) -> None:
    """One responsibility chain (两级五岗) per task force area, owned by the city, and under
    it each county's chain for its share of the areas in :data:`COUNTY_CHAIN_FORCES`.

    A county's chain: its principal leader (the Party secretary) answers overall, its leader in
    charge takes it on, the county leads with its townships cooperating, and its liaison is
    the responsible person.
    """
    assert world.campaign is not None
    counties = [code for code, *_rest in COUNTIES]
    subjects = [t.subject for t in TASK_FORCES]
    subjects += [county_chain_subject(f, c) for f in COUNTY_CHAIN_FORCES for c in counties]
    existing = {
        c.subject: c
        for c in ResponsibilityChain.objects.filter(campaign=world.campaign, subject__in=subjects)
    }
    for spec in TASK_FORCES:
        chain = existing.get(spec.subject)
        if chain is None:
            chain = chain_create(
                actor=None,
                subject=spec.subject,
                unit=world.units[CITY],
                principal_leader=world.users[spec.principal],
                leader_in_charge=world.users[spec.leader],
                lead_department=world.units[spec.lead_department],
                responsible_person=world.users[spec.responsible[0]],
                cooperating_departments=[world.units[c] for c in spec.cooperating],
                campaign=world.campaign,
                task_force=world.task_forces[spec.name],
            )
            world.note(ResponsibilityChain)
        world.chains[spec.subject] = chain
    for force in COUNTY_CHAIN_FORCES:
        for county in counties:
            subject = county_chain_subject(force, county)
            chain = existing.get(subject)
            if chain is None:
                unit = world.units[county]
                chain = chain_create(
                    actor=None,
                    subject=subject,
                    unit=unit,
                    principal_leader=world.users[COUNTY_SECRETARIES[county]],
                    leader_in_charge=world.users[county_deputy(county)],
                    lead_department=unit,
                    responsible_person=world.users[LIAISONS[county]],
                    cooperating_departments=[
                        world.units[u.code] for u in COUNTY_UNITS if u.parent == county
                    ],
                    campaign=world.campaign,
                    task_force=world.task_forces[force],
                    parent=world.chains[TASK_FORCE_SPECS[force].subject],
                )
                world.note(ResponsibilityChain)
            world.county_chains[(force, county)] = chain


def build_ledgers(world: DemoWorld) -> None:
    """The city's 20 ledgers in 6 areas with their items (see :mod:`tasks_ledger.demo`)."""
    # Imported here: tasks_ledger.demo reads this module's tables.
    from tasks_ledger.demo import build_ledgers as build

    build(world)


# Later sections (ledgers, assessments, notices) append their steps here, in order.
STEPS: list[Callable[[DemoWorld], None]] = [
    build_units,
    build_people,
    build_campaign,
    build_task_forces,
    build_supervision_groups,
    build_chains,
    build_ledgers,
]


def seed_demo(*, password: str = DEFAULT_DEMO_PASSWORD) -> DemoWorld:
    """Build (or find) the whole demo world in one transaction; history names this command.

    Raises ``ValidationError`` if the password fails Django's validators.
    """
    validate_password(password)
    world = DemoWorld(password_hash=make_password(password))
    with transaction.atomic(), command_context(COMMAND):
        for step in STEPS:
            step(world)
    return world


# ---------------------------------------------------------------------------------------------
# The logins table
# ---------------------------------------------------------------------------------------------


# The accounts the logins table lists, one per role or post a tester will want to try.
PERSONAS = (
    "admin", "office", "supervisor", "inspector", "assessor", "evaluator", "official",
    "county_leader", "county_liaison", "dept_liaison", "township_liaison",
)  # fmt: skip


@dataclass(frozen=True)
class Login:
    """One row of the printed logins table."""

    username: str
    name: str
    role: str
    units: int
    sees: str


def _post_of(user: User) -> str:
    """The user's first post as "unit title" (a city leader's title alone says it all)."""
    membership = user.memberships.select_related("unit").order_by("unit__path").first()
    if membership is None:
        return ""
    if membership.unit.code == CITY:
        return membership.title
    return f"{membership.unit.display_name} {membership.title}"


def demo_logins(world: DemoWorld) -> list[Login]:
    """The persona accounts, what each holds and what each will see."""
    city = world.units[CITY].display_name
    first = world.groups["01"]
    county = world.units[COUNTY_LEADER_UNIT].display_name

    def row(username: str, role: str, sees: str) -> Login:
        user = world.users[username]
        j = jurisdiction_for(User.objects.get(pk=user.pk))
        count = Unit.objects.count() if j.is_global else j.units().count()
        return Login(username, user.name, role, count, sees)

    liaison_unit = {v: world.units[k].display_name for k, v in LIAISON_PERSONAS.items()}
    return [
        row("admin", _("system administrator (superuser)"), _("everything, and the admin site")),
        row(
            "office",
            _post_of(world.users["office"]),
            _("manages all of %(city)s: campaign, task forces, supervision groups, chains")
            % {"city": city},
        ),
        row(
            "supervisor",
            _("leader of %(group)s") % {"group": first.name},
            _("the units assigned to %(group)s") % {"group": first.name},
        ),
        row(
            "inspector",
            _("member of %(group)s") % {"group": first.name},
            _("the units assigned to %(group)s") % {"group": first.name},
        ),
        row(
            "assessor",
            _post_of(world.users["assessor"]),
            _("all of %(city)s: assessment rounds, scores, rankings") % {"city": city},
        ),
        row(
            "evaluator",
            _("third-party evaluator from an outside body"),
            _("all of %(city)s: enters third-party scores") % {"city": city},
        ),
        row(
            "official",
            _post_of(world.users["official"]),
            _("all of %(city)s, read only: dashboards and rankings") % {"city": city},
        ),
        row(
            "county_leader",
            _post_of(world.users["county_leader"]),
            _("%(unit)s and everything under it") % {"unit": county},
        ),
        row(
            "county_liaison",
            _post_of(world.users["county_liaison"]),
            _("%(unit)s and everything under it; keeps its ledgers") % {"unit": county},
        ),
        row(
            "dept_liaison",
            _post_of(world.users["dept_liaison"]),
            _("%(unit)s only; keeps its ledgers") % {"unit": liaison_unit["dept_liaison"]},
        ),
        row(
            "township_liaison",
            _post_of(world.users["township_liaison"]),
            _("%(unit)s only; keeps its ledgers") % {"unit": liaison_unit["township_liaison"]},
        ),
    ]


def _width(text: str) -> int:
    """Terminal columns a string takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_logins(logins: list[Login], *, password: str) -> str:
    """The logins as an aligned plain-text table, with the shared password underneath."""
    header = (_("Username"), _("Name"), _("Role / post"), _("Units seen"), _("What they see"))
    rows = [header] + [(x.username, x.name, x.role, str(x.units), x.sees) for x in logins]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for index, r in enumerate(rows):
        cells = [_pad(cell, w) for cell, w in zip(r[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, r[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * _width(r[-1]))
    lines.append("")
    lines.append(
        _(
            "Password of every demo account: %(password)s (set DEMO_PASSWORD to choose another; "
            "accounts that already exist keep theirs)."
        )
        % {"password": password}
    )
    lines.append(
        _("Every unit's liaison and leader can log in too, e.g. %(examples)s.")
        % {"examples": "zjj_liaison, an01_liaison, an_secretary, mayor"}
    )
    from tasks_ledger.demo import DEMO_TODAY  # imported here: it reads this module's tables

    lines.append(
        _(
            "The ledgers are a snapshot of %(date)s: what was still open then is overdue (red) "
            "today."
        )
        % {"date": DEMO_TODAY.isoformat()}
    )
    return "\n".join(lines)


def format_summary(world: DemoWorld) -> str:
    """What this run created, or that everything was already in place."""
    if not world.created:
        return _("The demo data is already in place; nothing was changed.")
    parts = _(", ").join(f"{name} {count}" for name, count in world.created.items())
    return _("Demo data created: %(parts)s.") % {"parts": parts}
