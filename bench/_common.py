"""What the ledger benchmarks share: Django set-up, a database of their own, the data, and
the measuring (wall time, Python heap peak, resident memory peak).

The benchmarks run against a database created for them (``nlzf_bench`` by default, next to
the one ``DATABASE_URL`` names), created the way Django creates test databases from the
migrated template (config/migrated_template.py), and
dropped afterwards unless ``--keep`` is given (a kept database is reused, data and all).
The world is the demo city (``seed_demo``); the benchmark items are bulk-created in ledgers
of their own, spread over the demo's 100 units with the campaign's chains.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DB_NAME", "nlzf_bench")
BENCH_AREA = "项目建设"
BENCH_LEDGER = "基准测试台账{part}"
BATCH = 5000

if TYPE_CHECKING:
    from accounts.models import User
    from campaign.models import Campaign
    from tasks_ledger.models import Ledger


def setup_django() -> None:
    """Django with the project's settings (production-like ``base`` unless told), evidence
    files of the demo in a temporary directory, and test-client hosts allowed."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="nlzf-bench-media-"))
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's "testserver" host, in-memory mail


def arguments(description: str, default_sizes: Sequence[int]) -> argparse.Namespace:
    """Command-line options shared by the benchmarks."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(default_sizes),
        help="numbers of items (default: %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each (best is kept)")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args()


@contextmanager
def bench_database(*, keep: bool = False) -> Iterator[str]:
    """A database of the benchmark's own, created and migrated, dropped at the end."""
    from django.conf import settings
    from django.db import connection

    from config.migrated_template import ensure_template

    started = time.perf_counter()
    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = BENCH_DB
    # A copy of the migrated template (built once per set of migrations): Django's migrate
    # on it then has nothing to do, ~3 s instead of ~55 s from an empty database.
    test["TEMPLATE"] = ensure_template(settings.DATABASES["default"])
    original = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=keep
    )
    print(f"database {BENCH_DB} ready in {time.perf_counter() - started:.1f} s", flush=True)
    try:
        yield BENCH_DB
    finally:
        if keep:
            print(f"database {BENCH_DB} kept")
        else:
            connection.creation.destroy_test_db(original, verbosity=0)
            print(f"database {BENCH_DB} dropped")


@dataclass
class World:
    """The demo city's campaign and the campaign office's account."""

    campaign: Campaign
    office: User


def world() -> World:
    """The demo city (seeded if missing; a second run finds it and writes nothing)."""
    from accounts.demo import seed_demo
    from accounts.models import User
    from campaign.demo import campaign_of

    started = time.perf_counter()
    built = seed_demo()
    print(f"demo world ready in {time.perf_counter() - started:.1f} s", flush=True)
    return World(campaign=campaign_of(built), office=User.objects.get(username="office"))


# Words the generated tasks are made of, so titles and keywords look like the real ones.
VERBS = ("推进", "落实", "完善", "开展", "加快", "深化", "健全", "提升")
OBJECTS = (
    "重点项目建设",
    "营商环境优化",
    "老旧小区改造",
    "政务服务“一网通办”",
    "信访积案化解",
    "农村人居环境整治",
    "招商引资项目落地",
    "冰雪旅游提档升级",
    "执法司法规范化",
    "机关作风整治",
)


def bench_ledgers(w: World, count: int) -> list[Ledger]:
    """Key-task ledgers holding ``count`` benchmark items in all (10,000 in the first, the
    rest in the second), created if missing. History triggers are skipped for the bulk
    insert: they would double the set-up time and the benchmarks read, never write."""
    import pgtrigger

    from accounts.models import Unit
    from campaign.models import ResponsibilityChain
    from tasks_ledger.models import ItemStatus, Ledger, LedgerItem, LedgerKind
    from tasks_ledger.services import area_get_or_create, ledger_create

    area = area_get_or_create(actor=None, campaign=w.campaign, name=BENCH_AREA)
    parts = [min(count, 10_000), max(count - 10_000, 0)]
    city = w.campaign.owner_unit
    units = list(Unit.objects.within(city.path).filter(under_special_assessment=True))
    chains = list(ResponsibilityChain.objects.filter(campaign=w.campaign))
    statuses = [
        (ItemStatus.IN_PROGRESS, 50),
        (ItemStatus.NOT_STARTED, 10),
        (ItemStatus.COMPLETED, 10),
        (ItemStatus.SIGNED_OFF, 27),
        (ItemStatus.SUSPENDED, 3),
    ]
    rng = random.Random(20220718)
    ledgers = []
    inserted = False
    for index, size in enumerate(parts, start=1):
        if not size:
            continue
        name = BENCH_LEDGER.format(part=index)
        ledger = Ledger.objects.filter(campaign=w.campaign, title=name).first()
        if ledger is None:
            ledger = ledger_create(
                actor=None,
                campaign=w.campaign,
                area=area,
                kind=LedgerKind.KEY_TASK,
                title=name,
                owner_unit=w.campaign.owner_unit,
                sort_order=900 + index,
            )
        ledgers.append(ledger)
        have = ledger.items.count()
        if have >= size:
            continue
        started = time.perf_counter()
        today = date.today()
        with pgtrigger.ignore(
            "tasks_ledger.LedgerItem:insert_insert", "tasks_ledger.LedgerItem:update_update"
        ):
            for first in range(have, size, BATCH):
                rows = []
                for number in range(first + 1, min(first + BATCH, size) + 1):
                    status = rng.choices(*zip(*statuses, strict=True))[0]
                    start = today - timedelta(days=rng.randint(30, 400))
                    deadline = start + timedelta(days=rng.randint(20, 500))
                    done = status in (ItemStatus.COMPLETED, ItemStatus.SIGNED_OFF)
                    progress = 100 if done else rng.randrange(0, 100, 5)
                    task = f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}"
                    # A few titles start like a formula, as pasted text sometimes does.
                    title = f"={task}" if number % 997 == 0 else f"{task}（第{number}项）"
                    rows.append(
                        LedgerItem(
                            ledger=ledger,
                            kind=LedgerKind.KEY_TASK,
                            code=str(number),
                            title=title,
                            unit=rng.choice(units),
                            chain=rng.choice(chains),
                            measures=f"明确责任分工，倒排工期，每周调度{task}进展",
                            start_date=start,
                            deadline=deadline,
                            status=status,
                            progress=progress,
                            latest_report="按计划推进，阶段性任务已完成" if progress else "",
                            signed_off_at=(
                                _aware(deadline) if status == ItemStatus.SIGNED_OFF else None
                            ),
                        )
                    )
                LedgerItem.objects.bulk_create(rows, batch_size=BATCH)
        inserted = True
        took = time.perf_counter() - started
        print(f"{size - have:,} items bulk-created in {name} in {took:.1f} s", flush=True)
    if inserted:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as a live database would have
    return ledgers


def _aware(day: date) -> Any:
    """Noon of ``day`` in the project's time zone."""
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(12)))


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall-clock seconds of repeated runs."""

    runs: list[float]

    @property
    def best(self) -> float:
        """The fastest run (least disturbed by everything else on the machine)."""
        return min(self.runs)

    @property
    def median(self) -> float:
        """The median run."""
        return statistics.median(self.runs)


def timed(run: Callable[[], Any], *, repeat: int, collect_each: bool = True) -> tuple[Timing, Any]:
    """Run ``repeat`` times; the timings and the last result.

    With ``collect_each`` (long runs: an export, a sweep) the garbage of one run is
    collected before the next starts, outside the timing. Requests, measured back to back as
    a server serves them, pass False: a full collection walks every object of the process,
    and the request after one ran about 3.5 ms slower (its caches cold), which made a 3.5 ms
    trivial page read 7 ms and every ratio to it look smaller than it is. Their garbage is
    collected once before the first run; a collection that falls inside a run is what the
    best of several runs leaves out."""
    runs = []
    result = None
    gc.collect()
    for _ in range(repeat):
        if collect_each:
            gc.collect()
        started = time.perf_counter()
        result = run()
        runs.append(time.perf_counter() - started)
    return Timing(runs), result


def _status_kb(field: str) -> int | None:
    """A memory figure of this process from /proc (Linux), in KiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the resident-set high-water mark (Linux ``clear_refs`` 5); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


@dataclass
class Memory:
    """Peaks while one run was going: Python heap (tracemalloc) and resident set growth."""

    heap_peak_mib: float
    rss_growth_mib: float | None


def heap_peak_mib(run: Callable[[], Any]) -> float:
    """The Python heap's peak above where it stood, during one run (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def rss_growth_mib(run: Callable[[], Any]) -> float | None:
    """How far the resident set rose above its size before one run, in this process.

    The high-water mark is reset first (Linux ``clear_refs``); where that is refused the
    lifetime peak ``ru_maxrss`` is used, an upper bound. In a process that has done the
    same work before, freed memory is reused and the growth reads low: :func:`child_memory`
    measures in a fresh process instead.
    """
    gc.collect()
    before = _status_kb("VmRSS")
    if before is not None and _reset_peak_rss():
        run()
        high = _status_kb("VmHWM")
        return None if high is None else max(high - before, 0) / 1024
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_max) / 1024


def child_memory(script: Path, *arguments: str) -> dict[str, Any]:
    """Run ``script --child ...`` against the benchmark database in a fresh process; the
    JSON it prints last (its memory figures)."""
    env = {**os.environ, "BENCH_CHILD_DB": BENCH_DB}
    done = subprocess.run(
        [sys.executable, str(script), "--child", *arguments],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def setup_child() -> None:
    """Django in a measuring child: the benchmark database as it is, nothing created."""
    setup_django()
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = os.environ["BENCH_CHILD_DB"]


def child_rss(run: Callable[[], Any]) -> dict[str, Any]:
    """In a measuring child: resident size before, high-water mark during one run (MiB)."""
    gc.collect()
    before = _status_kb("VmRSS") or 0
    reset = _reset_peak_rss()
    run()
    high = _status_kb("VmHWM") if reset else None
    if high is None:  # lifetime peak: an upper bound
        high = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(high / 1024, 1),
        "rss_growth_mib": round(max(high - before, 0) / 1024, 1),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    return {
        "date": date.today().isoformat(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round((memory_total_kb() or 0) / 2**20, 1) or None,
        "python": platform.python_version(),
        "postgresql": postgres,
        "settings": os.environ["DJANGO_SETTINGS_MODULE"],
    }


def memory_total_kb() -> int | None:
    """Total memory of the machine (Linux), in KiB."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def report(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, ""]
    for index, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def dump(figures: dict[str, Any]) -> str:
    """The figures as one JSON line."""
    return json.dumps(figures, ensure_ascii=False, default=str)


# ---------------------------------------------------------------------------------------------
# The province (issue 10): a database built once by seed_scale and shared by the benchmarks
# ---------------------------------------------------------------------------------------------

PROVINCE_DB = os.environ.get("PROVINCE_DB_NAME", "nlzf_province")


@dataclass(frozen=True)
class ProvinceSize:
    """The sizes ``seed_scale`` builds (its defaults: the province of issue 10)."""

    units: int = 4900
    cities: int = 13
    items: int = 1_000_000
    notices: int = 100_000
    rounds: int = 4
    seed: int = 2026

    def arguments(self) -> list[str]:
        return [
            f"--units={self.units}",
            f"--cities={self.cities}",
            f"--items={self.items}",
            f"--notices={self.notices}",
            f"--rounds={self.rounds}",
            f"--seed={self.seed}",
        ]


def _database_url(name: str) -> str:
    """The default connection's server, with database ``name``."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _database_exists(name: str) -> bool:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _manage(name: str, *arguments: str) -> None:
    """``manage.py`` on database ``name``, in a process of its own."""
    env = {**os.environ, "DATABASE_URL": _database_url(name)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments], env=env, cwd=ROOT, check=True
    )
    print(f"{name}: manage.py {arguments[0]} in {time.perf_counter() - started:.0f} s", flush=True)


def province_database(size: ProvinceSize | None = None, *, name: str = PROVINCE_DB) -> str:
    """Point Django's default connection at the province database ``name`` and return its
    name: reused when it exists (it is never written here), else created by ``migrate``,
    ``seed_demo`` and ``seed_scale`` at ``size`` (about 10 minutes at full size on 2 cores).

    A database that exists without the province (a build that failed half-way leaves none:
    seed_scale runs in one transaction) is refused: drop it and call again. Benchmarks that
    write must copy it first (``createdb -T nlzf_province …``).
    """
    from django.db import connection

    size = size or ProvinceSize()
    if not _database_exists(name):
        from django.db import connection as default

        with default._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            _manage(name, "migrate", "--verbosity=0")
            _manage(name, "seed_demo")
            _manage(name, "seed_scale", *size.arguments())
        except BaseException:
            with default._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            raise
    connection.close()
    connection.settings_dict["NAME"] = name
    from accounts.models import Unit
    from campaign.scale import OFFICE_UNIT

    if not Unit.objects.filter(code=OFFICE_UNIT).exists():
        raise RuntimeError(f"{name} exists but holds no province: drop it and build it again")
    pending = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--check"],
        env={**os.environ, "DATABASE_URL": _database_url(name)},
        cwd=ROOT,
        capture_output=True,
    )
    if pending.returncode:
        print(f"warning: {name} lacks migrations; run `manage.py migrate` on it", flush=True)
    return name
