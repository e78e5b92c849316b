"""Demo data, the campaign's section: the city campaign of the city report (``seeds/000_…``).

:func:`accounts.demo.seed_demo` runs :data:`STEPS` after the accounts section (units and
people) and before the ledgers; each step takes the one :class:`~accounts.demo.DemoWorld`
and keeps what it builds in the world's :class:`CampaignDemo` part.

What comes from the report, and what is invented:

- From the report: 10 task forces and 4 special working groups ("1+9" measures, 10 工作专班
  + 4 专项工作组, names taken from the areas the report lists), 10 supervision groups and 1
  special supervision group (10个督查指导组和1个专项督导组), the "two levels, five posts" chain
  (两级五岗) and the four phases of the campaign. The two levels are the city and its
  counties: the city's chain of a task force area, and for the areas that fall to the
  counties (:data:`COUNTY_CHAIN_FORCES`) each county's own chain for its share, with the
  county's principal leader and leader in charge, linked to the city's.
- Invented, because the report withholds or never gives them: the phase dates (moved to the
  as-of date by :class:`~accounts.demo.DemoCalendar`), the implementation plan's document
  number, who leads which group, and the names of the people this section adds. Numbers the
  report writes as "XX" or "**" are never invented here.

The campaign is named after its real year (``2026年“能力作风建设年”活动`` when seeded in
2026; ``2026—2027年…`` when, seeded early in 2027, it was launched in the autumn of 2026).
A campaign seeded on an earlier day is found by that name, or as the demo campaign under
way on the as-of date, and its calendar is kept: a re-run on another day writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from accounts.demo import (
    CITY,
    CITY_DEPARTMENTS,
    COUNTIES,
    COUNTY_LEADER_UNIT,
    COUNTY_SECRETARIES,
    COUNTY_UNITS,
    LIAISON_PERSONAS,
    LIAISONS,
    LIC,
    NAMES_DRAWN,
    UNIT_SPECS,
    DemoCalendar,
    DemoWorld,
    PersonSpec,
    Step,
    county_of,
    display_width,
    ensure_people,
    name_book,
    slug,
)
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User

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

# ---------------------------------------------------------------------------------------------
# The campaign
# ---------------------------------------------------------------------------------------------

#: The campaign's name after its years; a re-run finds it by this name.
NAME_SUFFIX = "年“能力作风建设年”活动"


def campaign_name(calendar: DemoCalendar) -> str:
    """The demo campaign's name after the year it runs in (``2026年“能力作风建设年”活动``),
    or both years when it was launched the year before it ends (``2026—2027年…``)."""
    first, last = calendar.start.year, calendar.end.year
    return f"{first}{NAME_SUFFIX}" if first == last else f"{first}—{last}{NAME_SUFFIX}"


def campaign_description(calendar: DemoCalendar) -> str:
    """The campaign's description; the implementation plan carries its document number of
    the year it was issued (at the launch)."""
    return (
        "深入贯彻全省机关能力作风建设年要求部署，按照“四个体系”工作机制，围绕“1+9”综合性举措，"
        f"制定《全市机关“能力作风建设年”活动实施方案》（龙办发〔{calendar.start.year}〕3号），"
        "配套10个工作子《方案》，以思想破冰引领发展突围，以比学赶超点燃奋斗激情，"
        "以亮点实绩凝聚奋进力量。"
    )


# Each phase as (kind, first day, last day, goals), days as (month, day) of the report's year;
# the launch begins with the campaign (a working day).
# fmt: off
PHASES: tuple[tuple[str, tuple[int, int], tuple[int, int], str], ...] = (
    (PhaseKind.LAUNCH, (2, 15), (4, 30),
     "制定实施方案和工作子方案，成立工作专班、专项工作组和督查指导组；"
     "纳入专项考核评价的单位量化任务目标、挂图作战、专项跟踪推进。"),
    (PhaseKind.LOOK_BACK, (5, 1), (6, 30),
     "对照清单台账回头看，开展第一季度考评并公开晾晒、全市通报，整改“低粗差”问题。"),
    (PhaseKind.CONSOLIDATE, (7, 1), (10, 31),
     "以“亮相、亮丑、亮剑”巩固成果，持续整治作风顽疾，健全“四个体系”长效机制。"),
    (PhaseKind.EVALUATE, (11, 1), (12, 31),
     "通过日常考核、年度考核、第三方评估考核、公众考核，评出优秀、良好、一般、差4个等次。"),
)
# fmt: on


def phase_dates(calendar: DemoCalendar) -> list[tuple[str, date, date]]:
    """The phases' kinds and dates in the demo's calendar."""
    dates = []
    for index, (kind, first, last, _goals) in enumerate(PHASES):
        start = calendar.start if index == 0 else calendar.day(*first)
        dates.append((kind, start, calendar.day(*last)))
    return dates


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
# People of the campaign
# ---------------------------------------------------------------------------------------------

SUPERVISION_PERSONAS = {("01", "leader"): "supervisor", ("01", "member1"): "inspector"}


def county_deputy(code: str) -> str:
    """Username of a county's leader in charge of the campaign (its chains' 揽责)."""
    return f"{slug(code)}_deputy"


def _people() -> list[PersonSpec]:
    """The people the campaign adds, in a fixed order (the name book depends on it): each
    task force's responsible person in its lead department, the supervision groups' leaders
    and members, and each county's leader in charge of the campaign."""
    people: list[PersonSpec] = []
    next_name = name_book(skip=NAMES_DRAWN)
    for force in TASK_FORCES:
        username, title = force.responsible
        people.append(PersonSpec(username, next_name(), ((force.lead_department, LIC, title),)))
    for group in GROUPS:
        leader, members = group_usernames(group.key)
        for username in (leader, *members):
            # Their reach comes from the groups they belong to, not from a post or role.
            people.append(PersonSpec(username, next_name()))
    for code, _name, short, _townships in COUNTIES:
        title = "副区长" if short.endswith("区") else "副县长"
        people.append(PersonSpec(county_deputy(code), next_name(), ((code, LIC, title),)))
    return people


PEOPLE = _people()

# ---------------------------------------------------------------------------------------------
# The builders
# ---------------------------------------------------------------------------------------------


@dataclass
class CampaignDemo:
    """The campaign's part of the demo world, keyed by natural key."""

    campaign: Campaign | None = None
    task_forces: dict[str, TaskForce] = field(default_factory=dict)
    groups: dict[str, SupervisionGroup] = field(default_factory=dict)
    chains: dict[str, ResponsibilityChain] = field(default_factory=dict)
    # (task force name, county code) -> the county's chain for its share of the city's.
    county_chains: dict[tuple[str, str], ResponsibilityChain] = field(default_factory=dict)

    def chain_for(self, force: str, unit_code: str) -> ResponsibilityChain:
        """The chain an item of a task force's area carries: its county's share when the
        unit lies in a county that has one, else the city's chain."""
        county = county_of(unit_code)
        if county is not None and (force, county) in self.county_chains:
            return self.county_chains[(force, county)]
        return self.chains[TASK_FORCE_SPECS[force].subject]


def campaign_of(world: DemoWorld) -> Campaign:
    """The demo campaign (built by :func:`build_campaign`)."""
    campaign = world.part(CampaignDemo).campaign
    assert campaign is not None, "build_campaign runs first"
    return campaign


def build_campaign_people(world: DemoWorld) -> None:
    """The task forces' responsible people, the groups' people and the counties' deputies."""
    ensure_people(world, PEOPLE)


def _existing_campaign(world: DemoWorld) -> Campaign | None:
    """The demo campaign of the as-of date's calendar, or one seeded on an earlier day that
    is under way on the as-of date (its calendar may differ: it is kept)."""
    city, as_of = world.units[CITY], world.as_of
    found = Campaign.objects.filter(owner_unit=city, name=campaign_name(world.calendar))
    under_way = Campaign.objects.filter(
        owner_unit=city, name__endswith=NAME_SUFFIX, start_date__lte=as_of, end_date__gte=as_of
    )
    return found.first() or under_way.order_by("-start_date").first()


def build_campaign(world: DemoWorld) -> None:
    """The city's campaign with its four phases, dated by the world's calendar.

    A campaign found from an earlier run keeps its dates, and the world takes its calendar,
    so that the sections above find their rows where that run put them.
    """
    campaign = _existing_campaign(world)
    if campaign is not None:
        world.calendar = DemoCalendar.starting(campaign.start_date, world.as_of)
    else:
        calendar = world.calendar
        campaign = campaign_create(
            actor=None,
            owner_unit=world.units[CITY],
            name=campaign_name(calendar),
            year=calendar.year,
            start_date=calendar.start,
            end_date=calendar.end,
            status=CampaignStatus.ACTIVE,
            description=campaign_description(calendar),
            phases=phase_dates(calendar),
        )
        # campaign_create takes no goals; set them on the phases it has just made.
        goals = {kind: text for kind, _start, _end, text in PHASES}
        for phase in campaign.phases.all():
            phase.goals = goals[phase.kind]
            phase.save(update_fields=["goals", "order"])
        world.note(Campaign)
    world.part(CampaignDemo).campaign = campaign


def _liaison(world: DemoWorld, code: str) -> User | None:
    """The liaison of an assessed unit (None for units without one)."""
    username = LIAISONS.get(code)
    return world.users[username] if username else None


def build_task_forces(world: DemoWorld) -> None:
    """Ten work forces and four special working groups, with member units and people."""
    part = world.part(CampaignDemo)
    campaign = campaign_of(world)
    existing = {t.name: t for t in campaign.task_forces.all()}
    for order, spec in enumerate(TASK_FORCES, start=1):
        force = existing.get(spec.name)
        if force is None:
            codes = (spec.lead_department, *spec.cooperating)
            members = [world.users[spec.responsible[0]]]
            members += [u for u in (_liaison(world, c) for c in codes) if u is not None]
            force = task_force_create(
                actor=None,
                campaign=campaign,
                name=spec.name,
                kind=spec.kind,
                area=spec.area,
                leader=world.users[spec.leader],
                member_units=[world.units[c] for c in codes],
                members=members,
                sort_order=order * 10,
            )
            world.note(TaskForce)
        part.task_forces[spec.name] = force


def build_supervision_groups(world: DemoWorld) -> None:
    """Ten inspection groups covering every assessed unit once, and one special group."""
    part = world.part(CampaignDemo)
    campaign = campaign_of(world)
    existing = {g.name: g for g in campaign.supervision_groups.all()}
    for order, spec in enumerate(GROUPS, start=1):
        group = existing.get(spec.name)
        if group is None:
            leader, members = group_usernames(spec.key)
            group = supervision_group_create(
                actor=None,
                campaign=campaign,
                name=spec.name,
                kind=spec.kind,
                leader=world.users[leader],
                members=[world.users[username] for username in members],
                assigned_units=[world.units[c] for c in spec.units],
                sort_order=order * 10,
            )
            world.note(SupervisionGroup)
        part.groups[spec.key] = group


def build_chains(world: DemoWorld) -> None:
    """One responsibility chain (两级五岗) per task force area, owned by the city, and under
    it each county's chain for its share of the areas in :data:`COUNTY_CHAIN_FORCES`.

    A county's chain: its principal leader (the Party secretary) answers overall, its leader in
    charge takes it on, the county leads with its townships cooperating, and its liaison is
    the responsible person.
    """
    part = world.part(CampaignDemo)
    campaign = campaign_of(world)
    counties = [code for code, *_rest in COUNTIES]
    subjects = [t.subject for t in TASK_FORCES]
    subjects += [county_chain_subject(f, c) for f in COUNTY_CHAIN_FORCES for c in counties]
    existing = {
        c.subject: c
        for c in ResponsibilityChain.objects.filter(campaign=campaign, subject__in=subjects)
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
                campaign=campaign,
                task_force=part.task_forces[spec.name],
            )
            world.note(ResponsibilityChain)
        part.chains[spec.subject] = chain
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
                    campaign=campaign,
                    task_force=part.task_forces[force],
                    parent=part.chains[TASK_FORCE_SPECS[force].subject],
                )
                world.note(ResponsibilityChain)
            part.county_chains[(force, county)] = chain


STEPS: tuple[Step, ...] = (
    build_campaign_people,
    build_campaign,
    build_task_forces,
    build_supervision_groups,
    build_chains,
)


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
    first = world.part(CampaignDemo).groups["01"]
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


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def format_logins(logins: list[Login], *, password: str, calendar: DemoCalendar) -> str:
    """The logins as an aligned plain-text table, with the shared password underneath."""
    header = (_("Username"), _("Name"), _("Role / post"), _("Units seen"), _("What they see"))
    rows = [header] + [(x.username, x.name, x.role, str(x.units), x.sees) for x in logins]
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for index, r in enumerate(rows):
        cells = [_pad(cell, w) for cell, w in zip(r[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, r[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * display_width(r[-1]))
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
    lines.append(
        _(
            "The demo campaign runs from %(start)s to %(end)s. Everything stands as it did "
            "when %(date)s began; from then on, what nobody updates turns yellow and red as "
            "the days pass."
        )
        % {
            "start": calendar.start.isoformat(),
            "end": calendar.end.isoformat(),
            "date": calendar.as_of.isoformat(),
        }
    )
    return "\n".join(lines)
