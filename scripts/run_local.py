#!/usr/bin/env python
"""`make run`: the whole platform on this machine, with nothing else running.

Starts an embedded PostgreSQL and Redis (see scripts/services.py), migrates, builds the
demo data as it stands today (``seed_demo`` without ``--as-of``: the campaign under way,
the ledgers as they would be today), then runs Django's development server on
http://127.0.0.1:8000, a Celery worker and Celery beat. Ctrl-C (SIGINT) or SIGTERM stops
every process it started, in reverse.

Ports can be moved with NLZF_PORT (8000), NLZF_PG_PORT (55432) and NLZF_REDIS_PORT (56379);
data lives in .local/run/ and survives restarts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import (
    die_with_parent,
    embedded_services,
    port_open,
    stop_process,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".local" / "run"
LOGS = WORK / "logs"
PYTHON = sys.executable


class Stop(Exception):
    """Raised from the signal handler to leave the main loop."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGINT/SIGTERM into Stop, once: the shutdown itself is not interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stop(signal.Signals(signum).name)


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    """Run one manage.py command to completion; return its output when captured."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def start(name: str, args: list[str], env: dict[str, str], *, log: bool) -> subprocess.Popen[bytes]:
    """Start a long-running child in its own process group (so one signal reaches its pool)."""
    out = open(LOGS / f"{name}.log", "ab") if log else None  # noqa: SIM115
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT if log else None,
        start_new_session=True,
        preexec_fn=die_with_parent,  # no orphans even if this script is killed outright
    )
    if out is not None:
        out.close()
    return proc


def main() -> int:
    """Bring everything up, wait for Ctrl-C or a child's death, bring everything down."""
    port = int(os.environ.get("NLZF_PORT", "8000"))
    pg_port = int(os.environ.get("NLZF_PG_PORT", "55432"))
    redis_port = int(os.environ.get("NLZF_REDIS_PORT", "56379"))
    if port_open("127.0.0.1", port):
        print(f"port {port} is already in use; set NLZF_PORT to use another", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    LOGS.mkdir(parents=True, exist_ok=True)
    children: dict[str, subprocess.Popen[bytes]] = {}
    status = 0
    try:
        with embedded_services(WORK, pg_port=pg_port, redis_port=redis_port) as services:
            env = {**os.environ, **services, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
            try:
                manage(env, "migrate", "--noinput", "-v", "0")
                logins = seed(env)
                celery = [PYTHON, "-m", "celery", "-A", "config"]
                children["worker"] = start(
                    "worker", [*celery, "worker", "-l", "info", "--concurrency", "2"], env, log=True
                )
                children["beat"] = start(
                    "beat",
                    [*celery, "beat", "-l", "info", "-s", str(WORK / "celerybeat-schedule")],
                    env,
                    log=True,
                )
                children["web"] = start(
                    "web", [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"], env, log=False
                )
                wait_for_port(port, children["web"], "Django", timeout=120)
                banner(port, logins, services)
                while True:
                    for name, proc in children.items():
                        if proc.poll() is not None:
                            print(
                                f"{name} exited with code {proc.returncode}; stopping everything",
                                file=sys.stderr,
                            )
                            status = 1
                            raise Stop(name)
                    time.sleep(0.5)
            except Stop:
                pass
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                print("\nstopping Django, the Celery worker and beat ...", flush=True)
                for proc in reversed(children.values()):
                    stop_process(proc)
                print("stopping Redis and PostgreSQL ...", flush=True)
    except Stop:
        pass  # a signal while the services were still starting: they are stopped already
    except (subprocess.CalledProcessError, RuntimeError) as error:
        print(f"make run failed: {error}", file=sys.stderr)
        return 1
    print("all stopped.", flush=True)
    return status


def seed(env: dict[str, str]) -> str:
    """Build the demo data (idempotent) and return what seed_demo printed: the logins."""
    commands = manage(env, "help", "--commands", capture=True).split()
    if "seed_demo" not in commands:
        print("seed_demo is not available yet: starting without demo data", flush=True)
        return ""
    print("building the demo data as it stands today (seed_demo) ...", flush=True)
    return manage(env, "seed_demo", capture=True)


def banner(port: int, logins: str, services: dict[str, str]) -> None:
    """Tell the person at the terminal where to go and how to log in."""
    line = "=" * 72
    print(f"\n{line}\n  能力作风建设平台 is running at  http://127.0.0.1:{port}/\n{line}")
    if logins.strip():
        print(logins.rstrip())
        print(line)
    print(f"  PostgreSQL  {services['DATABASE_URL']}")
    print(f"  Redis       {services['REDIS_URL']}")
    print(f"  worker and beat logs in {LOGS.relative_to(ROOT)}/")
    print(f"  press Ctrl-C to stop everything\n{line}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
