"""A whole province on one machine: the data ``python manage.py seed_scale`` loads on top of
the demo (``seed_demo``), for benchmarks and load tests at the size of a real customer.

What it builds, under the demo's province (黑龙江省) and beside its city (龙兴市):

- **Units** (:func:`plan_units`, :func:`load_units`): the province's own organs and
  departments (省直部门), and new prefecture-level cities (the demo city counts as one of
  the 13), each with its Party committee, government, departments, counties (县、区) and under
  each county its departments and townships (乡镇、街道). Paths are laid out as treebeard
  lays them (``Unit.objects.find_problems()`` finds none), siblings in ``sort_order``. City, county
  and township names are invented, like the demo city's.
- **People** (:func:`load_people`): a liaison (联络员) for every assessed unit, a principal
  leader and a leader in charge for the province, each city and each county, the province's
  office, assessor and supervision groups; all with the demo password.
- **The provincial campaign** (:func:`build_campaign`): a two-year campaign owned by the
  province, its phases, light policy, areas, task forces, one supervision group per city
  (and one for the provincial departments), one ledger per city (and for the provincial
  departments) and kind, and the responsibility chains (两级五岗) of province, cities and
  counties, each county's linked to its city's and each city's to the province's.
- **Ledger items** (:func:`load_items`) with kinds, dates around the as-of date and states
  as a kept ledger has them: about 10 % open past their deadline (red), most of what fell
  due signed off, what is due later under way; accepted progress reports behind the
  progress figures and some reports awaiting review.
- **Notices** (:func:`load_notices`): the four kinds (四单) on overdue matters, escalated
  one from the other, numbered per kind and year after the demo's (``NoticeCounter`` moves
  on, so the next one issued through the services takes the next number).
- **Assessments** (:func:`load_assessments`): a scheme per year with 30 indicators and six
  categories, and published quarterly rounds scored for every assessed unit, their results
  computed by :func:`assessments.results.round_compute`, shown on the public ranking.
- **Storage**: the items stored in the order of their units (:func:`items_in_unit_order`),
  as a kept ledger's are.

**Speed.** Big tables are loaded with PostgreSQL ``COPY`` from an in-memory buffer per batch,
with ids taken from each table's sequence beforehand so rows can point at each other. The
COPY column list is the model's concrete fields: a column this loader does not know (one a
later migration adds) is filled with the field's default. Everything runs in one
transaction (all or nothing). The history triggers (django-pghistory) are switched off for
the bulk load only (:func:`triggers_off`, which says why not ``pgtrigger.ignore``): unique
and check constraints stay on, and the foreign keys are checked in bulk after the load.
Small setup rows (the campaign, its ledgers, schemes and rounds) go through the ORM with
history on. The stored lights and item counts (:mod:`tasks_ledger.lights`) are recomputed
once at the end, and the database VACUUMed and ANALYZEd.

Deterministic: the same ``seed`` and as-of date give the same data.
"""

# The SQL here is built from our own table and column names; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import io
import json
import random
import time as _time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import import_module
from typing import Any

import pghistory.trigger
import pgtrigger
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, models, transaction
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

from accountability.models import (
    EscalationPolicy,
    Notice,
    NoticeCounter,
    NoticeKind,
    NoticePerson,
    NoticeStatus,
    number_format,
)
from accounts.demo import (
    ASSESSED_CODES,
    DEFAULT_DEMO_PASSWORD,
    GIVEN_NAMES,
    GOVERNMENT_DEPARTMENTS,
    PARTY_DEPARTMENTS,
    SURNAMES,
    UNIT_SPECS,
)
from accounts.history import command_context
from accounts.jurisdiction import jurisdictions_changed
from accounts.models import Membership, Post, Role, RoleAssignment, Unit, UnitKind, UnitLevel, User
from assessments.models import (
    CategoryMember,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    Grade,
    GradeBand,
    Indicator,
    IndicatorGroup,
    Result,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    SchemeStatus,
    ScoreEntry,
    Source,
    UnitCategory,
)
from assessments.results import round_compute
from tasks_ledger.models import (
    LIGHT_RANK,
    OPEN_STATUSES,
    Area,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    Light,
    LightPolicy,
    ProgressReport,
    ReviewStatus,
    ThreeList,
)

from .models import (
    Campaign,
    CampaignPhase,
    CampaignStatus,
    ChainCooperation,
    PhaseKind,
    ResponsibilityChain,
    SupervisionGroup,
    SupervisionGroupKind,
    SupervisionGroupMember,
    SupervisionGroupUnit,
    TaskForce,
    TaskForceKind,
)

PROVINCE = "HL"
PROVINCE_NAME = "黑龙江省"
OFFICE_UNIT = "HL-NLZF"
ASSESSMENT_UNIT = "HL-KHB"
CAMPAIGN_SUFFIX = "年全省机关“能力作风建设年”活动"
COMMAND = "seed_scale"

#: The province's accounts to sign in as (printed at the end).
OFFICE_USER = "prov_office"
ASSESSOR_USER = "prov_assessor"
OFFICIAL_USER = "prov_official"
SECRETARY_USER = "prov_secretary"
DEPUTY_USER = "prov_deputy"
COUNTY_LIAISON_USER = "prov_county_liaison"


@dataclass(frozen=True)
class Sizes:
    """How big a province to build. ``units`` counts the units this command adds (the demo's
    ~110 come on top); ``cities`` counts the demo city too."""

    units: int = 4900
    cities: int = 13
    items: int = 1_000_000
    notices: int = 100_000
    rounds: int = 4
    batch: int = 50_000
    seed: int = 2026
    as_of: date | None = None


class AlreadySeeded(Exception):
    """The province is there already (a second run would duplicate it)."""


class NotAllowed(Exception):
    """The database user may not switch the triggers off for the load."""


class DemoMissing(Exception):
    """``seed_demo`` has not run on this database."""


# ---------------------------------------------------------------------------------------------
# COPY
# ---------------------------------------------------------------------------------------------

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value)


def _default_for(model: type[models.Model], column: models.Field[Any, Any], now: datetime) -> str:
    """What an unknown column of ``model`` gets: the field's default, ``now`` for automatic
    timestamps, NULL when allowed; a column with none of these is refused (the loader must
    be taught its value)."""
    if column.has_default():
        return text(column.get_default())
    if getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False):
        return text(now)
    if column.null:
        return NULL
    if column.empty_strings_allowed:
        return ""
    raise RuntimeError(
        f"{model._meta.label}.{column.name} has no default: teach campaign/scale.py its value"
    )


class Copier:
    """COPY rows into one model's table, in batches. Rows are sequences of values in COPY
    text format for ``columns`` (attnames); the model's other concrete columns (but an
    automatic primary key not given) get their defaults."""

    def __init__(
        self, model: type[models.Model], columns: Sequence[str], *, now: datetime, batch: int
    ) -> None:
        self.model = model
        self.batch = batch
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(by_attname)
        if unknown:
            raise RuntimeError(f"{model._meta.label} has no columns {sorted(unknown)}")
        pk = model._meta.pk
        # Columns left out: those given, an automatic key, and those the database fills.
        others = [
            f
            for name, f in by_attname.items()
            if name not in columns
            and not (f is pk and isinstance(f, models.AutoField))
            and getattr(f, "db_default", NOT_PROVIDED) is NOT_PROVIDED
            and not getattr(f, "generated", False)  # a GeneratedField: PostgreSQL computes it
        ]
        self.suffix = "".join("\t" + _default_for(model, f, now) for f in others)
        names = [str(by_attname[c].column) for c in columns] + [str(f.column) for f in others]
        quote = connection.ops.quote_name
        self.sql = (
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        )
        self.buffer = io.StringIO()
        self.pending = 0
        self.count = 0

    def add(self, row: Sequence[str]) -> None:
        """One row of text values (see :func:`text`)."""
        self.buffer.write("\t".join(row))
        self.buffer.write(self.suffix)
        self.buffer.write("\n")
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    def add_values(self, row: Sequence[Any]) -> None:
        """One row of Python values."""
        self.add([text(v) for v in row])

    def flush(self) -> None:
        """Send what is buffered."""
        if not self.pending:
            return
        self.buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(self.sql, self.buffer)
        self.count += self.pending
        self.pending = 0
        self.buffer = io.StringIO()


@contextmanager
def indexes_deferred(
    say: Callable[[str], None], loaded: Sequence[type[models.Model]]
) -> Iterator[None]:
    """The plain (non-unique) indexes of the ``loaded`` tables dropped for what runs inside
    and built again afterwards from their own definitions, in this transaction: building an
    index once is much faster than updating it for every row (the item table has a dozen,
    one of them a GIN index of bigrams). Primary keys and unique indexes stay, so uniqueness
    is enforced throughout. The schema is the same afterwards, index names included."""
    found: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in loaded:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary
                """,
                [connection.ops.quote_name(model._meta.db_table)],
            )
            found += cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name}")
    yield
    began = _time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in found:
            cursor.execute(definition)
    say(f"  {len(found)} indexes of the loaded tables built in {_time.monotonic() - began:.1f} s")


def items_in_unit_order() -> None:
    """Rewrite the item table in the order of its units (``CLUSTER`` by ``unit, chain``).

    Items drawn at random put each of a county's 7,000 on a table page of its own, and a
    county's keyword search read 6,500 pages (110 ms) where it reads 500 (8 ms) in unit
    order. A live table is written far more by unit than at random (a unit's workbook
    imported, a unit's liaison adding items), an update stays on its page while the page has
    room (the table's fillfactor, migration 0019), and the same ``CLUSTER`` restores the
    order after years of writes (the README's "Deploying for a province")."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"CLUSTER {connection.ops.quote_name(LedgerItem._meta.db_table)} "
            "USING item_unit_chain_idx"
        )


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Take ``count`` ids from the table's sequence at once; the first one."""
    if count <= 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = int(cursor.fetchone()[0])
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def history_trigger_count() -> int:
    """How many django-pghistory triggers the project installs."""
    return sum(
        1
        for _model, trigger in pgtrigger.registered()
        if isinstance(trigger, pghistory.trigger.Event)
    )


def dangling_foreign_keys(loaded: Iterable[type[models.Model]]) -> list[str]:
    """Foreign keys of the loaded tables that point at no row, one anti-join per key (what
    the per-row foreign-key triggers would have refused)."""
    quote = connection.ops.quote_name
    problems = []
    with connection.cursor() as cursor:
        for model in loaded:
            for column in model._meta.concrete_fields:
                if not isinstance(column, models.ForeignKey):
                    continue
                target = column.target_field
                sql = (
                    f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} c "
                    f"WHERE c.{quote(str(column.column))} IS NOT NULL AND NOT EXISTS ("
                    f"SELECT 1 FROM {quote(target.model._meta.db_table)} p "
                    f"WHERE p.{quote(str(target.column))} = c.{quote(str(column.column))})"
                )
                cursor.execute(sql)
                count = cursor.fetchone()[0]
                if count:
                    problems.append(f"{model._meta.label}.{column.name}: {count}")
    return problems


@contextmanager
def triggers_off(
    say: Callable[[str], None], loaded: Sequence[type[models.Model]]
) -> Iterator[None]:
    """Triggers off for what runs inside, in this transaction only
    (``SET LOCAL session_replication_role = replica``): the history triggers
    (django-pghistory) and the per-row foreign-key checks. Unique and check constraints stay
    on (they are not triggers); the foreign keys of the ``loaded`` tables are checked
    afterwards, all rows at once, and the transaction fails if one points nowhere.

    Measured on 100,000 score entries (2 cores): 7.8 s with the triggers, 4.1 s with
    ``pgtrigger.ignore`` (each row's history trigger still runs to find it is ignored, and
    each foreign key is still checked row by row), 1.1 s with this.
    """
    say(
        f"History triggers off for the bulk load ({history_trigger_count()} django-pghistory "
        "triggers; session_replication_role = replica, this transaction only; foreign keys "
        "are checked in bulk afterwards, unique and check constraints stay on)."
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError as error:
        raise NotAllowed(
            "Switching the triggers off needs a PostgreSQL superuser (or, from PostgreSQL 15, "
            "GRANT SET ON PARAMETER session_replication_role): " + str(error).strip()
        ) from error
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
    say("History triggers back on.")
    problems = dangling_foreign_keys(loaded)
    if problems:
        raise RuntimeError("Foreign keys pointing nowhere: " + "; ".join(problems))
    say(f"Foreign keys of {len(loaded)} loaded tables checked: none points nowhere.")


# ---------------------------------------------------------------------------------------------
# Calendar helpers
# ---------------------------------------------------------------------------------------------


class Clock:
    """Dates and office-hour moments as COPY text, cached per day."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.zone = timezone.get_current_timezone()
        self._days: dict[date, tuple[str, str]] = {}

    def day(self, day: date) -> str:
        return self._day(day)[0]

    def _day(self, day: date) -> tuple[str, str]:
        found = self._days.get(day)
        if found is None:
            moment = datetime.combine(day, time(12), tzinfo=self.zone)
            offset = moment.isoformat()[19:]
            found = (day.isoformat(), offset)
            self._days[day] = found
        return found

    def moment(self, day: date) -> str:
        """``day`` at a random office-hour minute (08:30 to 17:29)."""
        iso, offset = self._day(day)
        minute = self.rng.randrange(540)
        return f"{iso} {8 + (30 + minute) // 60:02d}:{(30 + minute) % 60:02d}:00{offset}"

    def aware(self, day: date, hour: int = 9) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=self.zone)


def working_day(day: date) -> date:
    """The day, or the Friday before a weekend day."""
    return day - timedelta(days=max(day.weekday() - 4, 0))


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

# Invented cities (the demo city 龙兴市 is invented too).
CITY_NAMES: tuple[tuple[str, str], ...] = (
    ("ST", "松涛"), ("NY", "嫩原"), ("XG", "雪岗"), ("QL", "青岚"), ("HJ", "寒江"),
    ("BH", "白桦"), ("LH", "林海"), ("XH", "兴湖"), ("WL", "乌岭"), ("MF", "穆丰"),
    ("LI", "黎河"), ("AY", "安岳"), ("BS", "北穗"), ("DS", "东塬"), ("JC", "鉴川"),
    ("YS", "云杉"), ("TH", "桃河"), ("FY", "枫垭"), ("CL", "澄岭"), ("XS", "星沙"),
)  # fmt: skip
PLACE_CHARS = (
    "安平兴和宁丰泰康永庆福瑞长青东西南新华民乐红星胜利光明建团结富裕太三合双河五常宝金银清白"
    "松柳桦榆杨岭山湖源川沟屯甸"
)
COUNTY_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("发展和改革局", "发改局"), ("教育局", "教育局"), ("公安局", "公安局"), ("民政局", "民政局"),
    ("司法局", "司法局"), ("财政局", "财政局"), ("人力资源和社会保障局", "人社局"),
    ("自然资源局", "自然资源局"), ("住房和城乡建设局", "住建局"), ("交通运输局", "交通局"),
    ("水务局", "水务局"), ("农业农村局", "农业农村局"), ("商务局", "商务局"),
    ("文化广电和旅游局", "文旅局"), ("卫生健康局", "卫健局"), ("应急管理局", "应急局"),
    ("审计局", "审计局"), ("市场监督管理局", "市场监管局"), ("信访局", "信访局"),
    ("医疗保障局", "医保局"),
)  # fmt: skip

#: Assessment categories, by a unit's role in the province.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("prov_dept", "省直部门"),
    ("city", "市（地）"),
    ("city_dept", "市直部门"),
    ("county", "县（市、区）"),
    ("county_dept", "县直部门"),
    ("township", "乡镇（街道）"),
)
#: How many items a unit of each role keeps, relative to a township.
ITEM_WEIGHTS = {
    "prov_dept": 3.0,
    "city": 4.0,
    "city_dept": 2.0,
    "county": 3.0,
    "county_dept": 1.2,
    "township": 1.0,
}


@dataclass
class UnitNode:
    """A unit to add (or, for the tree's existing parts, one found)."""

    code: str
    name: str
    short: str
    level: str
    kind: str
    role: str = ""  # a category key, or "" for a unit not assessed (the frame)
    city: str = ""  # code of the city (or province) whose ledgers hold its items
    county: str = ""  # code of its county, if any
    children: list[UnitNode] = field(default_factory=list)
    id: int = 0
    path: str = ""
    existing: bool = False


def _split(total: int, parts: int) -> list[int]:
    """``total`` shared into ``parts`` as evenly as whole numbers allow."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _from_city_spec(
    name: str, short: str, old: str, new_long: str, new_short: str
) -> tuple[str, str]:
    """A city department of the demo renamed for another body (市 -> 省, 龙兴市 -> X市)."""
    return name.replace(old, new_long), short.replace("市", new_short, 1)


def plan_units(sizes: Sizes, rng: random.Random) -> tuple[list[UnitNode], list[UnitNode]]:
    """The units to add under the province: its organs and departments, and the new cities
    with their subtrees, exactly ``sizes.units`` of them. Returns (province children, all
    new nodes in tree order)."""
    new_cities = sizes.cities - 1
    if new_cities < 1 or new_cities > len(CITY_NAMES):
        raise ValueError(f"cities: from 2 to {len(CITY_NAMES) + 1}")
    city_specs = PARTY_DEPARTMENTS + GOVERNMENT_DEPARTMENTS
    prov_depts = _clamp(sizes.units // 100, 1, len(city_specs))
    rest = sizes.units - 4 - prov_depts
    budgets = _split(rest, new_cities)
    if min(budgets) < 6:
        raise ValueError("units: too few for that many cities (at least 6 a city and 5 more)")

    def node(code: str, name: str, short: str, level: str, kind: str, **kw: Any) -> UnitNode:
        return UnitNode(code, name, short, level, kind, **kw)

    sw = node("HL-SW", "中共黑龙江省委员会", "省委", UnitLevel.PROVINCE, UnitKind.PARTY_COMMITTEE)
    zf = node("HL-ZF", "黑龙江省人民政府", "省政府", UnitLevel.PROVINCE, UnitKind.GOVERNMENT)
    sw.children.append(
        node(OFFICE_UNIT, "黑龙江省机关能力作风建设工作领导小组办公室", "省能力作风办",
             UnitLevel.PROVINCE, UnitKind.DEPARTMENT)
    )  # fmt: skip
    sw.children.append(
        node(ASSESSMENT_UNIT, "中共黑龙江省委考核工作办公室", "省委考核办",
             UnitLevel.PROVINCE, UnitKind.DEPARTMENT)
    )  # fmt: skip
    for spec in city_specs[:prov_depts]:
        name, short = _from_city_spec(spec.name, spec.short_name, "龙兴市", "黑龙江省", "省")
        parent = sw if (spec.parent or "").endswith("-SW") else zf
        parent.children.append(
            node("HL" + spec.code[2:], name, short, UnitLevel.PROVINCE, spec.kind,
                 role="prov_dept", city=PROVINCE)
        )  # fmt: skip
    top = [sw, zf]

    used_names: set[str] = set()

    def place(suffix: str) -> str:
        for _attempt in range(50):
            name = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS)
            if name[0] != name[1] and name + suffix not in used_names:
                used_names.add(name + suffix)
                return name
        return name

    for (code, short_city), budget in zip(CITY_NAMES, budgets, strict=False):
        city_name = short_city + "市"
        city = node(
            code, city_name, "", UnitLevel.CITY, UnitKind.GOVERNMENT, role="city", city=code
        )
        csw = node(f"{code}-SW", f"中共{city_name}委员会", f"{city_name}委", UnitLevel.CITY,
                   UnitKind.PARTY_COMMITTEE)  # fmt: skip
        czf = node(f"{code}-ZF", f"{city_name}人民政府", f"{city_name}政府", UnitLevel.CITY,
                   UnitKind.GOVERNMENT)  # fmt: skip
        city_depts = _clamp(budget // 10, 1, len(city_specs))
        counties = _clamp(round(budget / 40), 1, 12)
        for spec in city_specs[:city_depts]:
            name, short = _from_city_spec(spec.name, spec.short_name, "龙兴市", city_name, "市")
            parent = csw if (spec.parent or "").endswith("-SW") else czf
            parent.children.append(
                node(code + spec.code[2:], name, short, UnitLevel.CITY, spec.kind,
                     role="city_dept", city=code)
            )  # fmt: skip
        city.children += [csw, czf]
        for index, size in enumerate(_split(budget - 3 - city_depts, counties), start=1):
            district = index <= 2
            county_short = place("区" if district else "县") + ("区" if district else "县")
            county_code = f"{code}-C{index:02d}"
            county = node(
                county_code,
                (city_name + county_short) if district else county_short,
                county_short,
                UnitLevel.COUNTY,
                UnitKind.GOVERNMENT,
                role="county",
                city=code,
                county=county_code,
            )
            depts = min(len(COUNTY_DEPARTMENTS), (size - 1) * 55 // 100)
            townships = size - 1 - depts
            for d in range(depts):
                full, short = COUNTY_DEPARTMENTS[d]
                county.children.append(
                    node(f"{county_code}-D{d + 1:02d}", county_short + full, county_short + short,
                         UnitLevel.COUNTY, UnitKind.DEPARTMENT, role="county_dept", city=code,
                         county=county_code)
                )  # fmt: skip
            for t in range(townships):
                suffix = "街道" if district and t % 2 == 0 else ("镇" if t % 3 else "乡")
                town = place(suffix) + suffix
                county.children.append(
                    node(f"{county_code}-T{t + 1:02d}", county_short + town, town,
                         UnitLevel.TOWNSHIP, UnitKind.TOWNSHIP, role="township", city=code,
                         county=county_code)
                )  # fmt: skip
            city.children.append(county)
        top.append(city)

    ordered: list[UnitNode] = []

    def walk(n: UnitNode) -> None:
        ordered.append(n)
        for c in n.children:
            walk(c)

    for n in top:
        walk(n)
    assert len(ordered) == sizes.units, (len(ordered), sizes.units)
    return top, ordered


def load_units(top: list[UnitNode], ordered: list[UnitNode], *, now: datetime, batch: int) -> Unit:
    """COPY the planned units under the province with treebeard's paths; the province's
    child count moves on. Returns the province."""
    province = Unit.objects.get(code=PROVINCE)
    siblings = Unit.objects.filter(path__startswith=province.path, depth=province.depth + 1)
    last_order = max((u.sort_order for u in siblings), default=0)
    first = reserve_ids(Unit, len(ordered))
    for offset, n in enumerate(ordered):
        n.id = first + offset
    copier = Copier(
        Unit,
        ["id", "path", "depth", "numchild", "code", "name", "short_name", "level", "kind",
         "sort_order", "under_special_assessment", "is_active"],
        now=now,
        batch=batch,
    )  # fmt: skip

    def place(
        children: list[UnitNode], parent_path: str, depth: int, start: int, order: int
    ) -> None:
        for index, n in enumerate(children):
            n.path = Unit._get_path(parent_path, depth, start + index)
            copier.add(
                [str(n.id), n.path, str(depth), str(len(n.children)), n.code, n.name, n.short,
                 n.level, n.kind, str(order + 10 * (index + 1)), "t" if n.role else "f", "t"]
            )  # fmt: skip
            place(n.children, n.path, depth + 1, 1, 0)

    place(top, province.path, province.depth + 1, province.numchild + 1, last_order)
    copier.flush()
    Unit.objects.filter(pk=province.pk).update(numchild=province.numchild + len(top))
    return province


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------


@dataclass
class People:
    """Who is who in the province: user ids by role and unit."""

    password_hash: str
    liaison: dict[int, int] = field(default_factory=dict)  # unit id -> liaison user id
    principal: dict[int, int] = field(default_factory=dict)  # unit id -> principal leader
    deputy: dict[int, int] = field(default_factory=dict)  # unit id -> leader in charge
    named: dict[str, int] = field(default_factory=dict)  # username -> id of province accounts
    logins: list[tuple[str, str]] = field(default_factory=list)  # username, what it is
    created: int = 0  # accounts made


def _name_supply(rng: random.Random) -> Callable[[], str]:
    def next_name() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)

    return next_name


def _user_slug(code: str) -> str:
    """Username part of a unit code, apart from the demo's: ``ST-C03-T07`` -> ``hl_st_c03_t07``."""
    slug = code.lower().replace("-", "_")
    return slug if slug.startswith("hl") else "hl_" + slug


def load_people(
    ordered: list[UnitNode],
    units_by_code: dict[str, UnitNode],
    *,
    rng: random.Random,
    now: datetime,
    joined: datetime,
    batch: int,
    password: str,
) -> People:
    """Accounts, posts and roles: a liaison for each assessed unit (the demo's units keep
    theirs), leaders for the province, cities and counties (the demo's are found), the
    province's office, assessor, official and a liaison of a big county."""
    people = People(password_hash=make_password(password))
    next_name = _name_supply(rng)
    # The demo's posts that the province reuses.
    books: dict[str, dict[int, int]] = {
        Post.LIAISON: people.liaison,
        Post.PRINCIPAL_LEADER: people.principal,
        Post.LEADER_IN_CHARGE: people.deputy,
    }
    for user_id, unit_id, post in Membership.objects.filter(post__in=list(books)).values_list(
        "user_id", "unit_id", "post"
    ):
        books[post].setdefault(unit_id, user_id)

    biggest = max(
        (n for n in ordered if n.role == "county"), key=lambda n: len(n.children), default=None
    )
    wanted: list[tuple[str, str, int, str, str]] = []  # username, name, unit, post, title
    for n in units_by_code.values():
        slug = _user_slug(n.code)
        if n.role and n.id not in people.liaison:
            username = COUNTY_LIAISON_USER if n is biggest else f"{slug}_liaison"
            wanted.append((username, next_name(), n.id, Post.LIAISON, "联络员"))
    chain_units = [units_by_code[PROVINCE]] + [
        n for n in units_by_code.values() if n.role in ("city", "county")
    ]
    for n in chain_units:
        slug = _user_slug(n.code)
        if n.level == UnitLevel.PROVINCE:
            leader, deputy = ("省委书记", SECRETARY_USER), ("副省长", DEPUTY_USER)
        elif n.level == UnitLevel.CITY:
            leader, deputy = ("市委书记", f"{slug}_secretary"), ("副市长", f"{slug}_deputy")
        else:
            word = "区" if n.short.endswith("区") else "县"
            leader, deputy = (
                (f"{word}委书记", f"{slug}_secretary"),
                (f"副{word}长", f"{slug}_deputy"),
            )
        if n.id not in people.principal:
            wanted.append((leader[1], next_name(), n.id, Post.PRINCIPAL_LEADER, leader[0]))
        if n.id not in people.deputy:
            wanted.append((deputy[1], next_name(), n.id, Post.LEADER_IN_CHARGE, deputy[0]))
    office = units_by_code[OFFICE_UNIT].id
    assessment = units_by_code[ASSESSMENT_UNIT].id
    wanted += [
        (OFFICE_USER, next_name(), office, Post.STAFF, "综合协调处处长"),
        (ASSESSOR_USER, next_name(), assessment, Post.STAFF, "考核处处长"),
        (OFFICIAL_USER, next_name(), office, Post.LEADER_IN_CHARGE, "省能力作风办主任"),
    ]
    group_count = sum(1 for n in units_by_code.values() if n.role == "city") + 1
    for g in range(1, group_count + 1):
        wanted.append((f"prov_sg{g:02d}_leader", next_name(), office, Post.STAFF, "督查组组长"))
        wanted.append((f"prov_sg{g:02d}_member", next_name(), office, Post.STAFF, "督查组成员"))

    taken = set(
        User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", flat=True)
    )
    if taken:
        raise AlreadySeeded(f"accounts exist already: {', '.join(sorted(taken)[:5])}")
    first = reserve_ids(User, len(wanted))
    users = Copier(
        User,
        ["id", "username", "name", "password", "is_active", "is_staff", "is_superuser",
         "date_joined"],
        now=now,
        batch=batch,
    )  # fmt: skip
    posts = Copier(Membership, ["user_id", "unit_id", "post", "title"], now=now, batch=batch)
    joined_text = text(joined)
    for offset, (username, name, unit_id, post, title) in enumerate(wanted):
        user_id = first + offset
        users.add([str(user_id), username, name, people.password_hash, "t", "f", "f", joined_text])
        posts.add([str(user_id), str(unit_id), post, title])
        if post == Post.LIAISON:
            people.liaison[unit_id] = user_id
        elif post == Post.PRINCIPAL_LEADER:
            people.principal[unit_id] = user_id
        elif post == Post.LEADER_IN_CHARGE and username != OFFICIAL_USER:
            people.deputy[unit_id] = user_id
        if username.startswith("prov_"):
            people.named[username] = user_id
    users.flush()
    posts.flush()

    province = units_by_code[PROVINCE].id
    roles = [
        (OFFICE_USER, Role.CAMPAIGN_OFFICE, province),
        (ASSESSOR_USER, Role.ASSESSMENT_OFFICE, province),
        (OFFICIAL_USER, Role.OFFICIAL, province),
        (SECRETARY_USER, Role.OFFICIAL, province),
        (DEPUTY_USER, Role.OFFICIAL, province),
    ]
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user_id=people.named[u], role=r, scope_id=s) for u, r, s in roles
    )
    people.logins = [
        (OFFICE_USER, "campaign office over the whole province (sees and runs everything)"),
        (ASSESSOR_USER, "assessment office over the province"),
        (OFFICIAL_USER, "provincial official, read only"),
        (COUNTY_LIAISON_USER, f"liaison of {biggest.name if biggest else '-'} (a big county)"),
        ("prov_sg01_leader", "leader of a provincial supervision group"),
    ]
    people.created = len(wanted)
    return people


# ---------------------------------------------------------------------------------------------
# The campaign, its ledgers and chains
# ---------------------------------------------------------------------------------------------

#: Ledger kinds with their share of items, the area they fall in and the ledger's title.
KINDS: tuple[tuple[str, float, str, str], ...] = (
    (LedgerKind.KEY_TASK, 0.45, "重点任务推进", "重点任务台账"),
    (LedgerKind.PROBLEM, 0.25, "问题整改落实", "问题整改清单台账"),
    (LedgerKind.HARD_PROBLEM, 0.05, "攻坚破难", "攻坚难题台账"),
    (LedgerKind.COMMITMENT, 0.08, "公开承诺践诺", "公开承诺事项台账"),
    (LedgerKind.PETITION, 0.10, "信访积案化解", "信访积案化解台账"),
    (LedgerKind.KEY_PROJECT, 0.07, "项目建设", "重点项目台账"),
)


@dataclass
class World:
    """What the later parts need from the earlier ones."""

    campaign: Campaign
    as_of: date
    start: date
    end: date
    units: dict[str, UnitNode]
    units_by_id: dict[int, UnitNode]
    people: People
    ledgers: dict[tuple[str, str], int] = field(default_factory=dict)  # (city code, kind)
    chains: dict[tuple[str, str], int] = field(default_factory=dict)  # (unit code, kind)
    groups: dict[str, int] = field(default_factory=dict)  # city code (or HL) -> group id
    group_people: dict[int, tuple[int, int]] = field(default_factory=dict)  # leader, member
    red_items: list[tuple[int, int, date, str]] = field(default_factory=list)
    late_items: list[tuple[int, int, date, str, date]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def chinese_number(n: int) -> str:
    """1 to 99 in Chinese numerals (一, 十一, 二十三)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones or not head else "")


def campaign_name(as_of: date) -> str:
    return f"{as_of.year - 1}—{as_of.year}{CAMPAIGN_SUFFIX}"


def build_campaign(world: World) -> None:
    """The provincial campaign (through the ORM, with history): phases, policies, areas,
    task forces, supervision groups and ledgers."""
    campaign = world.campaign
    start, end = world.start, world.end
    span = (end - start).days
    for index, kind in enumerate(PhaseKind.values):
        first = start + timedelta(days=span * index // 4)
        last = start + timedelta(days=span * (index + 1) // 4 - 1) if index < 3 else end
        phase = CampaignPhase(campaign=campaign, kind=kind, start_date=first, end_date=last)
        phase.full_clean()
        phase.save()
    LightPolicy.objects.create(campaign=campaign)
    EscalationPolicy.objects.create(campaign=campaign)
    people = world.people
    province = world.units[PROVINCE]
    office = world.units[OFFICE_UNIT]
    areas = {}
    forces = {}
    for order, (kind, _share, area_name, _title) in enumerate(KINDS, start=1):
        areas[kind] = Area.objects.create(campaign=campaign, name=area_name, sort_order=order)
        forces[kind] = TaskForce.objects.create(
            campaign=campaign,
            name=f"{area_name}工作专班",
            kind=TaskForceKind.WORK_FORCE,
            area=area_name,
            leader_id=people.principal[province.id],
            sort_order=order,
        )
    cities = [n for n in world.units.values() if n.role == "city"]
    owners = [(PROVINCE, "省直部门", office.id)] + [(c.code, c.name, c.id) for c in cities]
    ledgers = []
    for _city_code, label, owner in owners:
        for order, (kind, _share, _area, title) in enumerate(KINDS, start=1):
            ledgers.append(
                Ledger(
                    campaign=campaign,
                    area=areas[kind],
                    kind=kind,
                    title=f"{label}{title}",
                    owner_unit_id=owner,
                    task_force=forces[kind],
                    sort_order=order,
                )
            )
    Ledger.objects.bulk_create(ledgers)
    for ledger, (city_code, _label, _owner) in zip(
        ledgers, [o for o in owners for _k in KINDS], strict=True
    ):
        world.ledgers[(city_code, ledger.kind)] = ledger.pk
    # A supervision group per city, and one for the provincial departments.
    groups = []
    for index, (_city_code, label, _owner) in enumerate(owners, start=1):
        name = f"省第{chinese_number(index)}督查指导组（{label}）"
        groups.append(
            SupervisionGroup(
                campaign=campaign,
                name=name,
                kind=SupervisionGroupKind.INSPECTION,
                leader_id=people.named[f"prov_sg{index:02d}_leader"],
                sort_order=index,
            )
        )
    SupervisionGroup.objects.bulk_create(groups)
    links = []
    covered = []
    for index, (group, (city_code, _label, _owner)) in enumerate(
        zip(groups, owners, strict=True), 1
    ):
        world.groups[city_code] = group.pk
        leader = people.named[f"prov_sg{index:02d}_leader"]
        member = people.named[f"prov_sg{index:02d}_member"]
        world.group_people[group.pk] = (leader, member)
        links.append(SupervisionGroupMember(group=group, user_id=member))
        if city_code == PROVINCE:
            covered += [
                SupervisionGroupUnit(group=group, unit_id=n.id)
                for n in world.units.values()
                if n.role == "prov_dept"
            ]
        else:
            covered.append(SupervisionGroupUnit(group=group, unit_id=world.units[city_code].id))
    SupervisionGroupMember._default_manager.bulk_create(links)
    SupervisionGroupUnit._default_manager.bulk_create(covered)
    world.counts["ledgers"] = len(ledgers)


def load_chains(world: World, *, now: datetime, batch: int) -> None:
    """The two-level chains (两级五岗) of every area: the province's, each city's (linked to
    the province's) and each county's (linked to its city's), with cooperating departments."""
    people = world.people
    province = world.units[PROVINCE]
    office = world.units[OFFICE_UNIT]
    cities = [n for n in world.units.values() if n.role == "city"]
    counties = [n for n in world.units.values() if n.role == "county"]
    count = len(KINDS) * (1 + len(cities) + len(counties))
    first = reserve_ids(ResponsibilityChain, count)
    chains = Copier(
        ResponsibilityChain,
        ["id", "parent_id", "campaign_id", "subject", "unit_id", "principal_leader_id",
         "leader_in_charge_id", "lead_department_id", "responsible_person_id"],
        now=now,
        batch=batch,
    )  # fmt: skip
    cooperation = Copier(ChainCooperation, ["chain_id", "unit_id"], now=now, batch=batch)
    campaign = str(world.campaign.pk)
    next_id = first
    children_of: dict[int, list[UnitNode]] = defaultdict(list)
    for n in world.units.values():
        if n.role in ("county_dept", "township") and n.county:
            children_of[world.units[n.county].id].append(n)
    for kind, _share, area, _title in KINDS:
        province_chain = next_id
        next_id += 1
        chains.add_values(
            [province_chain, None, campaign, f"全省{area}", province.id,
             people.principal[province.id], people.deputy[province.id], office.id,
             people.named[OFFICE_USER]]
        )  # fmt: skip
        world.chains[(PROVINCE, kind)] = province_chain
        for city in cities:
            city_chain = next_id
            next_id += 1
            chains.add_values(
                [city_chain, province_chain, campaign, f"{city.name}{area}", city.id,
                 people.principal[city.id], people.deputy[city.id], city.id,
                 people.liaison[city.id]]
            )  # fmt: skip
            world.chains[(city.code, kind)] = city_chain
        for county in counties:
            if county.city not in world.units:
                continue
            chain = next_id
            next_id += 1
            chains.add_values(
                [chain, world.chains[(county.city, kind)], campaign, f"{county.name}{area}",
                 county.id, people.principal[county.id], people.deputy[county.id], county.id,
                 people.liaison[county.id]]
            )  # fmt: skip
            world.chains[(county.code, kind)] = chain
            depts = [c for c in children_of[county.id] if c.role == "county_dept"]
            for dept in depts[:3]:
                cooperation.add_values([chain, dept.id])
    chains.flush()
    cooperation.flush()
    world.counts["responsibility chains"] = chains.count


# ---------------------------------------------------------------------------------------------
# Ledger items and progress reports
# ---------------------------------------------------------------------------------------------

TASK_TOPICS = (
    "优化营商环境", "数字政府建设", "政务服务“一网通办”", "机关作风整顿", "乡村振兴",
    "重点项目建设", "生态环境保护", "安全生产专项整治", "城市更新", "民营经济发展",
    "基层治理能力提升", "招商引资", "黑土地保护", "“放管服”改革", "粮食安全",
    "冰雪经济发展", "老旧小区改造", "农村人居环境整治", "就业创业服务", "医疗服务提升",
)  # fmt: skip
TASK_ACTIONS = (
    "专项行动", "三年行动计划年度任务", "重点任务推进", "工作方案落实", "攻坚行动",
    "提质增效行动", "制度机制建设", "督导检查整改",
)  # fmt: skip
PROBLEMS = (
    ("办事窗口服务态度生硬，群众反映“门难进、脸难看”",
     "开展窗口服务规范化培训，建立服务评价回访制度"),
    ("涉企检查频次过多，企业负担重", "推行“综合查一次”，制定年度检查计划并公开"),
    ("项目审批环节多、时限长", "压减审批环节，推行并联审批和承诺制"),
    ("会议文件多，基层负担重", "精简会议文件，严控督查检查考核事项"),
    ("政策落实“最后一公里”不畅", "建立政策直达机制，开展政策落实情况专项督查"),
    ("干部担当作为不够，遇事推绕拖", "建立首问负责和限时办结制度，实行问责倒查"),
)  # fmt: skip
HARD = ("历史遗留产权办证", "棚户区改造回迁安置", "企业欠薪清理", "烂尾楼盘处置",
        "供热管网老化改造", "农村饮水安全巩固")  # fmt: skip
PROMISES = ("企业开办一日办结", "工程建设项目审批60个工作日内办结", "群众诉求24小时内响应",
            "涉企政策免申即享", "不动产登记3个工作日办结")  # fmt: skip
PETITION_ISSUES = ("拖欠工程款", "房屋征收补偿", "土地承包经营权纠纷", "小区物业管理",
                   "社保待遇核定", "农民工工资")  # fmt: skip
PETITION_SOURCES = ("国家信访局交办", "省信访局交办", "省领导批示件", "国家信访信息系统网上转送",
                    "省长信箱转办")  # fmt: skip
PROJECT_KINDS = ("绿色食品产业园", "生物基新材料产业园", "现代物流园区", "农产品精深加工",
                 "新能源装备制造", "冷链仓储中心", "智慧供热改造",
                 "污水处理厂提标改造")  # fmt: skip
REPORT_TEXTS = ("已召开专题会议研究部署，制定推进方案。", "按计划推进，完成阶段性目标。",
                "已完成主体工作，正在组织验收。", "已全部完成，材料已报送。",
                "协调解决了推进中的难点问题，进度加快。")  # fmt: skip


def _titles(kind: str, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    """A pool of plausible titles (and the kind's own fields) for items of ``kind``."""
    pool: list[tuple[str, dict[str, str]]] = []
    for _index in range(240):
        place = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS)
        if kind == LedgerKind.KEY_TASK:
            pool.append((f"{rng.choice(TASK_TOPICS)}{rng.choice(TASK_ACTIONS)}", {}))
        elif kind == LedgerKind.PROBLEM:
            symptom, fix = rng.choice(PROBLEMS)
            pool.append((symptom, {"symptom": symptom + "。", "rectification": fix + "。"}))
        elif kind == LedgerKind.HARD_PROBLEM:
            pool.append((f"{place}{rng.choice(HARD)}问题", {}))
        elif kind == LedgerKind.COMMITMENT:
            pool.append((f"承诺：{rng.choice(PROMISES)}", {}))
        elif kind == LedgerKind.PETITION:
            issue = rng.choice(PETITION_ISSUES)
            pool.append(
                (
                    f"{rng.choice(SURNAMES)}某某反映{issue}问题",
                    {
                        "petition_source": rng.choice(PETITION_SOURCES),
                        "petitioner_demand": f"要求解决{issue}问题。",
                    },
                )
            )
        else:
            pool.append((f"{place}{rng.choice(PROJECT_KINDS)}项目", {}))
    return pool


ITEM_COLUMNS = (
    "id", "ledger_id", "kind", "code", "title", "unit_id", "chain_id", "measures",
    "start_date", "deadline", "status", "progress", "latest_report", "progress_accepted_on",
    "pending_progress", "signoff_pending", "symptom", "rectification", "petition_source",
    "petitioner_demand", "handling_result", "planned_investment", "funds_in_place",
    "investment_completed", "planned_start", "actual_start", "planned_completion",
    "actual_completion", "signed_off_at", "signed_off_by_id", "version", "created_at",
    "updated_at",
)  # fmt: skip
REPORT_COLUMNS = (
    "item_id", "reporter_id", "text", "percent", "previous_percent", "created_at",
    "review_status", "reviewed_by_id", "reviewed_at",
    "unit_id",  # the item's (the trigger that sets it is off for the load)
)  # fmt: skip


def _next_code(ledger_ids: Iterable[int]) -> dict[int, int]:
    """The highest numeric item code in each ledger (0 when empty)."""
    found = dict.fromkeys(ledger_ids, 0)
    for ledger_id, top in (
        LedgerItem.objects.filter(ledger_id__in=found, code__regex=r"^\d{1,9}$")
        .values("ledger_id")
        .annotate(top=models.Max(models.functions.Cast("code", models.IntegerField())))
        .values_list("ledger_id", "top")
    ):
        found[ledger_id] = top or 0
    return found


def load_items(
    world: World, sizes: Sizes, rng: random.Random, clock: Clock, *, now: datetime
) -> None:
    """The ledger items, with their accepted and pending progress reports, in one pass."""
    today = world.as_of
    start = world.start
    people = world.people
    office = str(people.named[OFFICE_USER])
    units = [n for n in world.units.values() if n.role]
    weights = []
    total = 0.0
    for n in units:
        total += ITEM_WEIGHTS[n.role]
        weights.append(total)
    kinds = [k[0] for k in KINDS]
    kind_weights = []
    running = 0.0
    for k in KINDS:
        running += k[1]
        kind_weights.append(running)
    pools = {kind: _titles(kind, rng) for kind in kinds}
    codes = _next_code(world.ledgers.values())
    first = reserve_ids(LedgerItem, sizes.items)
    # The stored light, tab and area order (tasks_ledger.lights), when the project keeps
    # them, written as its refresh would so that the refresh after the load rewrites nothing.
    stored = set(STORED_LIGHT_COLUMNS) <= {f.attname for f in LedgerItem._meta.concrete_fields}
    policy = LightPolicy.objects.get(campaign=world.campaign)
    area_order = dict(
        Ledger.objects.filter(campaign=world.campaign).values_list("kind", "area__sort_order")
    )
    columns = ITEM_COLUMNS + (STORED_LIGHT_COLUMNS if stored else ())
    items = Copier(LedgerItem, columns, now=now, batch=sizes.batch)
    # Reports are sent right after each batch of items (they point at them), never before.
    reports = Copier(ProgressReport, REPORT_COLUMNS, now=now, batch=sizes.batch * 10)
    campaign_days = (today - start).days
    unit_cache: dict[int, tuple[str, str, str, str]] = {}
    red_target = 0.10

    for offset in range(sizes.items):
        item_id = first + offset
        unit = units[_bisect(weights, rng.random() * total)]
        kind = kinds[_bisect(kind_weights, rng.random() * running)]
        cached = unit_cache.get(unit.id)
        if cached is None:
            chain_owner = unit.county or (unit.city if unit.role != "prov_dept" else PROVINCE)
            if unit.role == "county":
                chain_owner = unit.code
            liaison = people.liaison.get(unit.id)
            cached = (str(unit.id), chain_owner, unit.city, str(liaison) if liaison else office)
            unit_cache[unit.id] = cached
        unit_text, chain_owner, city, reporter = cached
        ledger = world.ledgers[(city, kind)]
        codes[ledger] += 1
        chain = world.chains.get((chain_owner, kind))
        title, extra = rng.choice(pools[kind])

        roll = rng.random()
        deadline: date | None
        signed_at = None
        progress_on: date | None = None
        pending = None
        if roll < 0.02:  # long-term (长期坚持)
            begin = start + timedelta(days=rng.randrange(max(campaign_days - 30, 1)))
            deadline = None
            status = ItemStatus.IN_PROGRESS
            progress = rng.randrange(20, 90, 5)
            progress_on = today - timedelta(days=int(rng.expovariate(1 / 20)) + 1)
            if progress_on < begin:
                progress_on = None
        elif roll < 0.04:  # set aside
            begin = start + timedelta(days=rng.randrange(max(campaign_days - 30, 1)))
            deadline = begin + timedelta(days=rng.randrange(60, 300))
            status = ItemStatus.SUSPENDED if roll < 0.03 else ItemStatus.CANCELLED
            progress = rng.randrange(0, 60, 5)
        elif roll < 0.04 + red_target:  # open past its deadline: red
            late = int(rng.expovariate(1 / 35)) + 1
            deadline = today - timedelta(days=min(late, campaign_days - 20))
            begin = max(start, deadline - timedelta(days=rng.randrange(30, 240)))
            status = ItemStatus.IN_PROGRESS if rng.random() < 0.9 else ItemStatus.NOT_STARTED
            progress = rng.randrange(10, 95, 5) if status == ItemStatus.IN_PROGRESS else 0
        else:
            begin = start + timedelta(days=rng.randrange(max(campaign_days - 7, 1)))
            deadline = begin + timedelta(days=rng.randrange(20, 420))
            if deadline < today:  # fell due: closed
                status = ItemStatus.SIGNED_OFF if rng.random() < 0.88 else ItemStatus.COMPLETED
                progress = 100
            else:
                elapsed = (today - begin).days / max((deadline - begin).days, 1)
                pick = rng.random()
                if pick < 0.06 and (today - begin).days < 30:
                    status, progress = ItemStatus.NOT_STARTED, 0
                elif pick < 0.13:
                    status, progress = ItemStatus.COMPLETED, 100
                elif pick < 0.16:
                    status, progress = ItemStatus.SIGNED_OFF, 100
                else:
                    status = ItemStatus.IN_PROGRESS
                    lag = 30 if pick > 0.9 else 0  # a few behind schedule: yellow
                    progress = _clamp(int(elapsed * 100) - lag + rng.randrange(-10, 15), 5, 95)
                    progress -= progress % 5
        last_event = begin
        done_day = None
        if status in (ItemStatus.SIGNED_OFF, ItemStatus.COMPLETED):
            due = deadline or today
            span = max((min(due, today - timedelta(days=1)) - begin).days, 1)
            done_day = begin + timedelta(days=rng.randrange(span // 2, span + 1))
            if deadline is not None and deadline < today and rng.random() < 0.12:
                done_day = min(
                    deadline + timedelta(days=rng.randrange(3, 40)), today - timedelta(days=1)
                )
            done_day = max(done_day, begin)
            last_event = done_day
            if status == ItemStatus.SIGNED_OFF:
                signed_day = min(
                    done_day + timedelta(days=rng.randrange(1, 8)), today - timedelta(days=1)
                )
                signed_day = max(signed_day, begin)
                signed_at = clock.moment(signed_day)
                last_event = signed_day
                if deadline is not None and signed_day > deadline:
                    world.late_items.append((item_id, unit.id, deadline, title, signed_day))
        elif status in OPEN_STATUSES and deadline is not None and deadline < today:
            world.red_items.append((item_id, unit.id, deadline, title))

        # Reports: the latest accepted one behind the progress figure; some await review.
        report_text = ""
        if progress > 0 and status != ItemStatus.CANCELLED and rng.random() < 0.55:
            day_span = max(((done_day or today - timedelta(days=1)) - begin).days, 0)
            report_day = begin + timedelta(days=rng.randrange(day_span + 1)) if day_span else begin
            if done_day:
                report_day = done_day
            elif deadline is None and progress_on is not None:
                report_day = progress_on
            report_day = min(report_day, today - timedelta(days=1))
            if report_day >= begin:
                report_text = rng.choice(REPORT_TEXTS)
                reported = clock.moment(report_day)
                reviewed = clock.moment(
                    min(report_day + timedelta(days=1), today - timedelta(days=1))
                )
                reports.add(
                    [str(item_id), reporter, report_text, str(progress), "0", reported,
                     ReviewStatus.ACCEPTED, office, reviewed, unit_text]
                )  # fmt: skip
                if deadline is not None or progress_on is None:
                    progress_on = report_day
                last_event = max(last_event, report_day)
        if status in (ItemStatus.IN_PROGRESS, ItemStatus.NOT_STARTED) and rng.random() < 0.05:
            pending = min(progress + 10, 100)
            pend_day = today - timedelta(days=rng.randrange(1, 6))
            if pend_day >= begin:
                reports.add(
                    [str(item_id), reporter, rng.choice(REPORT_TEXTS), str(pending),
                     str(progress), clock.moment(pend_day), ReviewStatus.PENDING, NULL, NULL,
                     unit_text]
                )  # fmt: skip
                last_event = max(last_event, pend_day)
            else:
                pending = None

        investment = ["\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N"]
        if kind == LedgerKind.KEY_PROJECT:
            planned = rng.randrange(500, 60000)
            share = progress / 100
            investment = [
                f"{planned}.00",
                f"{int(planned * min(1.0, share + 0.2))}.00",
                f"{int(planned * share)}.00",
                clock.day(begin),
                clock.day(begin + timedelta(days=rng.randrange(0, 20))) if progress else NULL,
                clock.day(deadline) if deadline else NULL,
                clock.day(done_day) if done_day else NULL,
            ]
        handling = ""
        if kind == LedgerKind.PETITION and done_day:
            handling = "已依法依规答复，信访人表示认可。"
        created = clock.moment(begin)
        kept = (
            [*stored_light(status, begin, deadline, progress, progress_on, today, policy),
             str(area_order[kind])]
            if stored
            else []
        )  # fmt: skip
        items.add(
            [
                str(item_id), str(ledger), kind, str(codes[ledger]), title, unit_text,
                str(chain) if chain else NULL,
                "明确责任分工，制定推进计划，定期调度。" if kind == LedgerKind.KEY_TASK else "",
                clock.day(begin), clock.day(deadline) if deadline else NULL, status,
                str(progress), report_text, clock.day(progress_on) if progress_on else NULL,
                str(pending) if pending is not None else NULL, "f",
                extra.get("symptom", ""), extra.get("rectification", ""),
                extra.get("petition_source", ""), extra.get("petitioner_demand", ""),
                handling,
                *investment,
                signed_at or NULL, office if signed_at else NULL,
                str(1 + (1 if report_text else 0) + (1 if status != ItemStatus.NOT_STARTED else 0)),
                created, clock.moment(min(last_event, today - timedelta(days=1))),
                *kept,
            ]
        )  # fmt: skip
        if items.count and items.pending == 0:
            reports.flush()  # reports follow their items (constraints checked per statement)
    items.flush()
    reports.flush()
    world.counts["ledger items"] = items.count
    world.counts["progress reports"] = reports.count


STORED_LIGHT_COLUMNS = ("light_rank", "three_list", "area_order")


def stored_light(
    status: str,
    begin: date,
    deadline: date | None,
    progress: int,
    accepted: date | None,
    today: date,
    policy: LightPolicy,
) -> list[str]:
    """An item's light rank and tab, as :func:`tasks_ledger.selectors.with_light` and
    :func:`~tasks_ledger.selectors.three_list_filter` compute them on ``today`` (an item is
    created on its start day, never within the last week here, so never "new")."""
    if status in (ItemStatus.SUSPENDED, ItemStatus.CANCELLED):
        return [str(LIGHT_RANK[Light.NONE]), ThreeList.SET_ASIDE]
    if status == ItemStatus.SIGNED_OFF:
        return [str(LIGHT_RANK[Light.GREEN]), ThreeList.SIGNED_OFF]
    tab = ThreeList.NEW if begin >= today - timedelta(days=7) else ThreeList.IN_PROGRESS
    if status == ItemStatus.COMPLETED:
        light = Light.GREEN
    elif deadline is None:
        quiet = (today - (accepted or begin)).days
        if quiet > policy.long_term_red_days:
            light = Light.RED
        elif quiet > policy.long_term_yellow_days:
            light = Light.YELLOW
        else:
            light = Light.GREEN
    elif deadline < today:
        light = Light.RED
    elif (deadline - today).days < policy.near_deadline_days + 1:
        light = Light.YELLOW
    else:
        span = max((deadline - begin).days, 1)
        elapsed = (today - begin).days
        behind = progress * span < elapsed * 100 - policy.lag_tolerance_percent * span
        light = Light.YELLOW if behind else Light.GREEN
    return [str(LIGHT_RANK[light]), tab]


def _bisect(cumulative: list[float], value: float) -> int:
    from bisect import bisect_right

    return min(bisect_right(cumulative, value), len(cumulative) - 1)


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------

NOTICE_COLUMNS = (
    "id", "campaign_id", "kind", "status", "number", "number_year", "sequence", "group_id",
    "issuing_unit_id", "target_unit_id", "item_id", "subject_title", "facts", "requirements",
    "reply_deadline", "escalated_from_id", "drafted_by_id", "drafted_at", "approved_by_id",
    "approved_at", "issued_by_id", "issued_on", "signed_for_by_id", "signed_for_at", "reply",
    "replied_by_id", "replied_at", "return_reason", "closed_by_id", "closed_at",
)  # fmt: skip
#: Days after the deadline each kind goes out (the escalation policy's rhythm).
NOTICE_DELAYS: dict[str, int] = {
    NoticeKind.REMINDER: 3,
    NoticeKind.SUPERVISION: 17,
    NoticeKind.WARNING: 31,
    NoticeKind.ACCOUNTABILITY: 45,
}
RETURN_REASON = "回复内容空泛，未说明完成时限，请重新回复。"
REQUIREMENTS: dict[str, str] = {
    NoticeKind.REMINDER: "请于回复期限前报送推进情况及完成时限。",
    NoticeKind.SUPERVISION: "请主要负责同志亲自研究，限期完成并书面报告整改落实情况。",
    NoticeKind.WARNING: "请深刻反思，立即整改，逾期未改将提出问责建议。",
    NoticeKind.ACCOUNTABILITY: "建议对相关责任人启动问责程序。",
}


def load_notices(
    world: World, sizes: Sizes, rng: random.Random, clock: Clock, *, now: datetime
) -> None:
    """Notices on overdue matters: a chain of escalations per matter (reminder, supervision
    order, warning, accountability recommendation), each issued some days after the one
    before; closed matters' notices all closed. Numbered per kind and issue year after the
    numbers given already, in issue order."""
    today = world.as_of
    people = world.people
    office = people.named[OFFICE_USER]
    issuer = world.units[OFFICE_UNIT].id
    kinds = list(NoticeKind.values)
    open_matters = [m for m in world.red_items if (today - m[2]).days > NOTICE_DELAYS["reminder"]]
    rng.shuffle(open_matters)
    closed_matters = list(world.late_items)
    rng.shuffle(closed_matters)
    rows: list[dict[str, Any]] = []
    next_id = 0  # ids given after the count is known

    def group_of(unit_id: int) -> int:
        unit = world.units_by_id[unit_id]
        return world.groups.get(unit.city, world.groups[PROVINCE])

    def chain_length(overdue: int) -> int:
        possible = sum(1 for k in kinds if overdue > NOTICE_DELAYS[k])
        wanted = rng.choices((1, 2, 3, 4), weights=(55, 25, 15, 5))[0]
        return max(1, min(possible, wanted))

    def add_matter(
        item: int, unit: int, deadline: date, title: str, closed_on: date | None
    ) -> None:
        nonlocal next_id
        limit = closed_on or today
        length = chain_length((limit - deadline).days)
        if closed_on:
            length = min(length, 2)
        group = group_of(unit)
        leader, member = world.group_people[group]
        liaison = people.liaison.get(unit, office)
        previous = None
        for rank in range(length):
            kind = kinds[rank]
            issued = working_day(deadline + timedelta(days=NOTICE_DELAYS[kind]))
            if issued >= limit:
                break
            last = rank == length - 1
            reply_by = issued + timedelta(days=7 if kind == "reminder" else 5)
            row: dict[str, Any] = {
                "id": next_id,
                "kind": kind,
                "group": group,
                "target": unit,
                "item": item,
                "facts": f"“{title}”已超过完成时限{(issued - deadline).days}天，未按期完成。",
                "requirements": REQUIREMENTS[kind],
                "reply_deadline": reply_by,
                "escalated_from": previous,
                "drafted_by": member,
                "drafted_at": clock.moment(issued - timedelta(days=1 if kind != "reminder" else 0)),
                "approved_by": leader if kind != "reminder" else None,
                "issued_on": issued,
                "issued_by": member,
                "status": NoticeStatus.SIGNED_FOR,
                "signed_for_by": liaison,
                "signed_for_at": clock.moment(
                    min(issued + timedelta(days=1), today - timedelta(days=1))
                ),
                "reply": "",
                "replied": None,
                "closed": None,
                "return_reason": "",
            }
            if closed_on is not None:
                replied = min(reply_by, closed_on)
                row.update(status=NoticeStatus.CLOSED, reply="已按要求完成整改，事项已销号。",
                           replied=replied, closed=closed_on)  # fmt: skip
            elif last:
                age = (today - issued).days
                pick = rng.random()
                if age <= 2:
                    row["status"] = NoticeStatus.ISSUED
                elif pick < 0.03 and kind != "reminder":
                    row["status"] = NoticeStatus.APPROVED if pick < 0.015 else NoticeStatus.DRAFT
                elif pick < 0.40:
                    row["status"] = NoticeStatus.SIGNED_FOR
                elif pick < 0.70:
                    replied = min(
                        issued + timedelta(days=rng.randrange(2, 7)), today - timedelta(days=1)
                    )
                    row.update(status=NoticeStatus.REPLIED, reply="已制定整改措施，正在加紧推进。",
                               replied=replied)  # fmt: skip
                elif pick < 0.80:
                    replied = min(
                        issued + timedelta(days=rng.randrange(2, 5)), today - timedelta(days=1)
                    )
                    row.update(status=NoticeStatus.RETURNED, reply="正在推进。", replied=replied,
                               return_reason=RETURN_REASON)  # fmt: skip
                else:
                    replied = min(
                        issued + timedelta(days=rng.randrange(2, 7)), today - timedelta(days=1)
                    )
                    closed = min(replied + timedelta(days=2), today - timedelta(days=1))
                    row.update(status=NoticeStatus.CLOSED, reply="已说明原因并明确完成时限。",
                               replied=replied, closed=closed)  # fmt: skip
            rows.append(row)
            previous = next_id
            next_id += 1

    for matter in open_matters:
        if len(rows) >= sizes.notices:
            break
        add_matter(*matter, None)
    for late in closed_matters:
        if len(rows) >= sizes.notices:
            break
        item, unit, deadline, title, signed = late
        add_matter(item, unit, deadline, title, signed)
    del rows[sizes.notices :]
    if not rows:
        return
    first = reserve_ids(Notice, len(rows))
    # Numbers: per kind and issue year, after those given already, in issue order.
    counters = {(c.kind, c.year): c.last for c in NoticeCounter.objects.all()}
    numbered = [r for r in rows if r["status"] not in (NoticeStatus.DRAFT, NoticeStatus.APPROVED)]
    numbered.sort(key=lambda r: (r["kind"], r["issued_on"], r["id"]))
    for r in numbered:
        key = (r["kind"], r["issued_on"].year)
        counters[key] = counters.get(key, 0) + 1
        r["sequence"] = counters[key]
    notices = Copier(Notice, NOTICE_COLUMNS, now=now, batch=sizes.batch)
    persons = Copier(NoticePerson, ["notice_id", "user_id"], now=now, batch=sizes.batch)
    campaign = str(world.campaign.pk)
    for r in rows:
        sent = "sequence" in r
        status = r["status"]
        approved = r["approved_by"] and status != NoticeStatus.DRAFT
        year = r["issued_on"].year
        notices.add(
            [
                str(first + r["id"]), campaign, r["kind"], status,
                number_format(r["kind"]).format(year=year, n=r["sequence"]) if sent else "",
                str(year) if sent else NULL, str(r["sequence"]) if sent else NULL,
                str(r["group"]), str(issuer), str(r["target"]), str(r["item"]), "",
                r["facts"], r["requirements"], clock.day(r["reply_deadline"]),
                str(first + r["escalated_from"]) if r["escalated_from"] is not None else NULL,
                str(r["drafted_by"]), r["drafted_at"],
                str(r["approved_by"]) if approved else NULL,
                r["drafted_at"] if approved else NULL,
                str(r["issued_by"]) if sent else NULL, clock.day(r["issued_on"]) if sent else NULL,
                str(r["signed_for_by"]) if sent and status != NoticeStatus.ISSUED else NULL,
                r["signed_for_at"] if sent and status != NoticeStatus.ISSUED else NULL,
                r["reply"], str(r["signed_for_by"]) if r["replied"] else NULL,
                clock.moment(r["replied"]) if r["replied"] else NULL, r["return_reason"],
                str(r["drafted_by"]) if r["closed"] else NULL,
                clock.moment(r["closed"]) if r["closed"] else NULL,
            ]
        )  # fmt: skip
        persons.add([str(first + r["id"]), str(people.liaison.get(r["target"], office))])
    notices.flush()
    persons.flush()
    # The counters move on: the next notice issued through the services takes the next number.
    with connection.cursor() as cursor:
        for (kind, year), last in counters.items():
            cursor.execute(
                f"""INSERT INTO {connection.ops.quote_name(NoticeCounter._meta.db_table)}
                    (kind, year, last) VALUES (%s, %s, %s)
                    ON CONFLICT (kind, year) DO UPDATE SET last = GREATEST(EXCLUDED.last,
                    {connection.ops.quote_name(NoticeCounter._meta.db_table)}.last)""",
                [kind, year, last],
            )
    world.counts["notices"] = notices.count


# ---------------------------------------------------------------------------------------------
# Assessments
# ---------------------------------------------------------------------------------------------

GROUPS = ("比担当看作为", "比效率看速度", "比质量看成效", "比作风看形象")
#: 30 indicators: (source, how many, points each); each source's points add up to 100.
INDICATOR_PLAN: tuple[tuple[str, str, int, tuple[int, ...]], ...] = (
    (Source.DAILY, "RC", 12, (10, 10, 10, 10, 10, 10, 8, 8, 8, 6, 5, 5)),
    (Source.ANNUAL, "ND", 8, (20, 15, 15, 10, 10, 10, 10, 10)),
    (Source.THIRD_PARTY, "DS", 6, (20, 20, 15, 15, 15, 15)),
    (Source.PUBLIC, "GZ", 4, (40, 20, 20, 20)),
)
INDICATOR_NAMES = (
    "重点任务按期完成率", "逾期未完成事项", "督办落实情况", "督查检查发现问题", "台账更新及时性",
    "会议部署落实", "信息报送质量", "营商环境投诉办理", "12345热线办理", "基层减负落实",
    "干部作风建设", "制度机制建设", "年度重点目标任务", "攻坚破难", "创先争优", "改革创新",
    "经验推广", "项目建设", "招商引资", "民生实事", "机关作风第三方评估", "营商环境第三方评价",
    "政务服务体验", "政策落实评估", "企业满意度", "专家评议", "群众满意度", "服务对象评价",
    "网络舆情", "代表委员评议",
)  # fmt: skip
DEDUCTION_REASONS: tuple[tuple[str, str], ...] = (
    ("督查指导组暗访发现，工作日上班时间有干部脱岗、离岗。", "1"),
    ("工作台账更新不及时，进度填报与实际情况不符。", "1.5"),
    ("“走流程”体验发现办事环节多、材料繁，整改不及时。", "2"),
    ("12345热线转办件未在规定时限内办结反馈。", "1"),
    ("报送信息质量不高，两次被退回修改。", "0.5"),
)  # fmt: skip
QUARTER_NAMES = ("一", "二", "三", "四")


def _quarters(as_of: date, start: date, count: int) -> list[tuple[int, int, date, date]]:
    """The last ``count`` quarters whose rounds are published by ``as_of`` (three weeks after
    the quarter ends), oldest first, none before the campaign's start."""
    found: list[tuple[int, int, date, date]] = []
    year, quarter = as_of.year, (as_of.month - 1) // 3 + 1
    while len(found) < count:
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        first = date(year, 3 * quarter - 2, 1)
        last = (date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - timedelta(days=1)
        if last + timedelta(days=21) >= as_of:
            continue
        if last < start:
            break
        found.append((year, quarter, max(first, start), last))
    return list(reversed(found))


def _scheme(world: World, year: int) -> tuple[Scheme, list[Indicator], dict[str, UnitCategory]]:
    scheme = Scheme.objects.create(
        campaign=world.campaign,
        year=year,
        title=f"{year}年度全省机关能力作风建设考核评价方案",
        status=SchemeStatus.IN_USE,
        daily_weight=40,
        annual_weight=30,
        third_party_weight=20,
        public_weight=10,
        tier_count=3,
    )
    groups = [
        IndicatorGroup.objects.create(scheme=scheme, name=name, sort_order=i)
        for i, name in enumerate(GROUPS, start=1)
    ]
    indicators = []
    names = iter(INDICATOR_NAMES)
    order = 0
    for source, prefix, count, points in INDICATOR_PLAN:
        assert len(points) == count and sum(points) == 100
        for index, top in enumerate(points, start=1):
            order += 1
            indicators.append(
                Indicator(
                    scheme=scheme,
                    group=groups[order % len(groups)],
                    code=f"{prefix}{index:02d}",
                    name=next(names),
                    source=source,
                    max_points=top,
                    sort_order=order,
                )
            )
    Indicator.objects.bulk_create(indicators)
    categories = {
        key: UnitCategory.objects.create(scheme=scheme, name=name, sort_order=i)
        for i, (key, name) in enumerate(CATEGORIES, start=1)
    }
    GradeBand.objects.bulk_create(
        [
            GradeBand(scheme=scheme, grade=Grade.EXCELLENT, min_total=90, quota_percent=20),
            GradeBand(scheme=scheme, grade=Grade.GOOD, min_total=80),
            GradeBand(scheme=scheme, grade=Grade.FAIR, min_total=60),
        ]
    )
    return scheme, indicators, categories


def load_assessments(
    world: World, sizes: Sizes, rng: random.Random, clock: Clock, *, now: datetime
) -> list[Round]:
    """Schemes (one per year the rounds fall in), every assessed unit in its category, and
    the rounds: scored for every unit, a few deductions. The rounds are left under review;
    :func:`publish_rounds` computes and publishes them."""
    quarters = _quarters(world.as_of, world.start, sizes.rounds)
    assessor = world.people.named[ASSESSOR_USER]
    assessed = [n for n in world.units.values() if n.role]
    quality = {n.id: rng.uniform(0.62, 0.97) for n in assessed}
    schemes: dict[int, tuple[Scheme, list[Indicator], dict[str, UnitCategory]]] = {}
    rounds: list[Round] = []
    for year, quarter, first, last in quarters:
        if year not in schemes:
            schemes[year] = _scheme(world, year)
            scheme, _indicators, categories = schemes[year]
            members = Copier(
                CategoryMember, ["scheme_id", "category_id", "unit_id"], now=now, batch=sizes.batch
            )
            for n in assessed:
                members.add([str(scheme.pk), str(categories[n.role].pk), str(n.id)])
            members.flush()
        scheme, indicators, _categories = schemes[year]
        round_ = Round.objects.create(
            scheme=scheme,
            kind=RoundKind.QUARTERLY,
            quarter=quarter,
            title=f"{year}年第{QUARTER_NAMES[quarter - 1]}季度",
            period_start=first,
            period_end=last,
            status=RoundStatus.REVIEW,
            appeal_until=working_day(last + timedelta(days=14)),
        )
        scored = clock.moment(working_day(last + timedelta(days=7)))
        scores = Copier(
            ScoreEntry,
            [
                "round_id",
                "unit_id",
                "indicator_id",
                "points",
                "comment",
                "assessor_id",
                "entered_at",
            ],
            now=now,
            batch=sizes.batch,
        )
        tops = [(str(i.pk), float(i.max_points)) for i in indicators]
        round_text, assessor_text = str(round_.pk), str(assessor)
        for n in assessed:
            level = quality[n.id] = min(0.99, max(0.5, quality[n.id] + rng.gauss(0, 0.03)))
            unit_text = str(n.id)
            for pk, top in tops:
                share = min(1.0, max(0.3, level + rng.gauss(0, 0.06)))
                points = round(top * share * 2) / 2
                scores.add([round_text, unit_text, pk, f"{points:.2f}", "", assessor_text, scored])
        scores.flush()
        deductions = Copier(
            Deduction,
            ["round_id", "unit_id", "indicator_id", "points", "reason", "origin", "status",
             "recorded_by_id", "recorded_at"],
            now=now,
            batch=sizes.batch,
        )  # fmt: skip
        inspected = indicators[3]  # 督查检查发现问题
        for n in assessed:
            if rng.random() < 0.15:
                reason, cut = rng.choice(DEDUCTION_REASONS)
                day = first + timedelta(days=rng.randrange(max((last - first).days, 1)))
                deductions.add(
                    [round_text, str(n.id), str(inspected.pk), cut, reason,
                     DeductionOrigin.INSPECTION, DeductionStatus.STANDING, assessor_text,
                     clock.moment(day)]
                )  # fmt: skip
        deductions.flush()
        rounds.append(round_)
        world.counts["score entries"] += scores.count
        world.counts["deductions"] += deductions.count
    return rounds


def publish_rounds(world: World, rounds: list[Round], clock: Clock) -> None:
    """Compute the rounds' results (:func:`assessments.results.round_compute`, oldest first
    so that movements count from the round before) and publish them, with history: frozen,
    numbered circulars after the campaign's, shown on the public ranking."""
    latest = (
        Round.objects.filter(scheme__campaign=world.campaign).aggregate(
            top=models.Max("circular_issue")
        )["top"]
        or 0
    )
    assessor = world.people.named[ASSESSOR_USER]
    for round_ in rounds:
        round_compute(round_=round_)
    world.counts["results"] = Result.objects.filter(round__in=rounds).count()
    for round_ in rounds:
        latest += 1
        day = working_day(round_.period_end + timedelta(days=17))
        round_.status = RoundStatus.PUBLISHED
        round_.published_at = clock.aware(day, 10)
        round_.published_by_id = assessor
        round_.circular_issue = latest
        round_.public = True
        round_.save(
            update_fields=["status", "published_at", "published_by", "circular_issue", "public"]
        )
    world.counts["published rounds"] = len(rounds)


# ---------------------------------------------------------------------------------------------
# The whole load
# ---------------------------------------------------------------------------------------------


def refresh_lights(say: Callable[[str], None], today: date) -> None:
    """The items' stored lights and the per-unit item counts (:mod:`tasks_ledger.lights`),
    recomputed in bulk after the load (the count triggers were off with the others)."""
    try:
        lights = import_module("tasks_ledger.lights")
    except ImportError:  # a project without stored lights
        return
    written = lights.lights_refresh(today=today)
    rows = lights.counts_rebuild()
    say(
        f"Stored lights refreshed ({written:,} items written), item counts rebuilt ({rows:,} rows)."
    )


def check_ready(as_of: date) -> None:
    """Refuse without the demo, or when the province is seeded already."""
    if not Unit.objects.filter(code=PROVINCE).exists() or not Campaign.objects.exists():
        raise DemoMissing("The demo is not there: run `python manage.py seed_demo` first.")
    if (
        Unit.objects.filter(code=OFFICE_UNIT).exists()
        or Campaign.objects.filter(name__endswith=CAMPAIGN_SUFFIX).exists()
    ):
        raise AlreadySeeded(
            "The province is seeded already on this database (its units and campaign exist); "
            "seed_scale runs once per database. Create a fresh database to seed it again."
        )


def seed_scale(sizes: Sizes, *, say: Callable[[str], None] = print) -> World:
    """Build the province (see the module's docstring) in one transaction; ANALYZE after."""
    as_of = sizes.as_of or timezone.localdate()
    check_ready(as_of)
    rng = random.Random(sizes.seed)
    clock = Clock(random.Random(sizes.seed + 1))
    now = timezone.now()
    started = _time.monotonic()

    def step(label: str) -> Callable[[], None]:
        begun = _time.monotonic()

        def done() -> None:
            say(f"  {label}: {_time.monotonic() - begun:.1f} s")

        return done

    top, ordered = plan_units(sizes, rng)
    start = date(as_of.year - 1, 3, 2)
    end = date(as_of.year, 12, 31)
    with transaction.atomic(), command_context(COMMAND):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        campaign = Campaign(
            name=campaign_name(as_of),
            year=start.year,
            start_date=start,
            end_date=end,
            status=CampaignStatus.ACTIVE,
            description="全省机关能力作风建设年活动（规模测试数据，由 seed_scale 生成）。",
        )
        with triggers_off(say, [Unit, User, Membership, RoleAssignment]):
            done = step("units")
            province = load_units(top, ordered, now=now, batch=sizes.batch)
            done()
            existing = {u.code: u for u in Unit.objects.filter(path__startswith=province.path)}
            nodes: dict[str, UnitNode] = {n.code: n for n in ordered}
            for code, unit in existing.items():
                if code in nodes:
                    continue
                role, city, county = "", "", ""
                if code == PROVINCE:
                    role = ""
                elif code in ASSESSED_CODES:
                    spec_level = UNIT_SPECS[code].level
                    roles: dict[str, str] = {
                        UnitLevel.COUNTY: "county",
                        UnitLevel.TOWNSHIP: "township",
                    }
                    role = roles.get(spec_level, "city_dept")
                    city = "LX"
                    if role == "county":
                        county = code
                    elif role == "township":
                        county = UNIT_SPECS[code].parent or ""
                elif code == "LX":
                    role, city = "city", "LX"
                nodes[code] = UnitNode(
                    code, unit.name, unit.short_name, unit.level, unit.kind, role=role,
                    city=city, county=county, id=unit.pk, path=unit.path, existing=True,
                )  # fmt: skip
            done = step("people")
            joined = clock.aware(start - timedelta(days=14))
            people = load_people(
                ordered,
                nodes,
                rng=rng,
                now=now,
                joined=joined,
                batch=sizes.batch,
                password=DEFAULT_DEMO_PASSWORD,
            )
            done()
        # The province owns it (as the demo city owns its own), so every unit under the province
        # takes part: a campaign is seen from its owner and from the units below it.
        campaign.owner_unit_id = nodes[PROVINCE].id
        campaign.full_clean()
        campaign.save()
        world = World(
            campaign=campaign,
            as_of=as_of,
            start=start,
            end=end,
            units=nodes,
            units_by_id={n.id: n for n in nodes.values()},
            people=people,
        )
        world.counts["units"] = len(ordered)
        world.counts["accounts"] = people.created
        done = step("campaign, ledgers, groups")
        build_campaign(world)
        done()
        bulk: list[type[models.Model]] = [
            ResponsibilityChain, ChainCooperation, LedgerItem, ProgressReport, Notice,
            NoticePerson, CategoryMember, ScoreEntry, Deduction,
        ]  # fmt: skip
        with triggers_off(say, bulk), indexes_deferred(say, bulk):
            done = step("chains")
            load_chains(world, now=now, batch=sizes.batch)
            done()
            done = step("ledger items and progress reports")
            load_items(world, sizes, rng, clock, now=now)
            done()
            done = step("notices")
            load_notices(world, sizes, rng, clock, now=now)
            done()
            done = step("assessments")
            rounds = load_assessments(world, sizes, rng, clock, now=now)
            done()
            done = step("stored lights")
            refresh_lights(say, as_of)
            done()
        done = step("results")
        publish_rounds(world, rounds, clock)
        done()
        done = step("items in unit order")
        items_in_unit_order()
        done()
        # Units, posts, roles and groups went in by COPY and bulk_create, past the signals
        # that drop the cached jurisdictions: drop them (again when this commits).
        jurisdictions_changed()
    # Statistics for the planner; outside a transaction also VACUUM, which marks the new
    # pages all-visible so that index-only scans need not visit the table.
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    done = step(statement)
    with connection.cursor() as cursor:
        cursor.execute(statement)
    done()
    say(f"Province seeded in {_time.monotonic() - started:.0f} s.")
    return world


def format_summary(world: World, password: str = DEFAULT_DEMO_PASSWORD) -> str:
    """Counts and the province's logins."""
    lines = ["Created: " + ", ".join(f"{name} {count:,}" for name, count in world.counts.items())]
    lines.append("")
    lines.append(f"Province logins (password {password}):")
    for username, what in world.people.logins:
        lines.append(f"  {username:<22} {what}")
    return "\n".join(lines)
