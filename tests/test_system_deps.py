"""scripts/system_deps.sh, the step `make test` and .ci/run take first: on a machine that
lacks what the browser tests need it installs it, or stops at once with one line saying
what to install. The missing cases are made by hiding programs from the script (a PATH
without them, CHROMIUM_PATH at a file that is not there), never by uninstalling anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system_deps.sh"
BASH = shutil.which("bash") or "/bin/bash"


def run(env: dict[str, str], *, as_nobody: bool = False) -> subprocess.CompletedProcess[str]:
    """The script under ``env`` only (no inherited PATH), optionally as user nobody."""
    command = [BASH, str(SCRIPT)]
    if as_nobody:
        setpriv = shutil.which("setpriv")
        if os.geteuid() != 0 or setpriv is None:
            pytest.skip("needs root and setpriv to run the script as another user")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT
    )


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A temporary folder user nobody can read too (pytest's own is private to root)."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)  # noqa: S103 - user nobody reads it, nothing secret in it
        yield Path(name)


def bin_with(tmp_path: Path, *programs: str) -> str:
    """A PATH holding only these programs of this machine (each that exists)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in programs:
        found = shutil.which(name)
        if found:
            (folder / name).symlink_to(found)
    return str(folder)


def test_a_machine_with_everything_passes_silently() -> None:
    """GIVEN this machine (the suite's own browser tests need the same packages)
    WHEN the check runs THEN it exits 0 and installs nothing."""
    result = run({"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_without_apt_get_it_stops_with_one_line_naming_the_packages(tmp_path: Path) -> None:
    """GIVEN no Chromium where CHROMIUM_PATH points, no font lister and no apt-get
    WHEN `make test` checks THEN it stops at once with one line naming each package and
    the command that installs them."""
    env = {"PATH": bin_with(tmp_path, "msgfmt"), "CHROMIUM_PATH": str(tmp_path / "no-chromium")}
    result = run(env)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "缺少 chromium fonts-noto-cjk：" in lines[0]
    assert "sudo apt-get install chromium fonts-noto-cjk" in lines[0]
    assert f"CHROMIUM_PATH（现为 {tmp_path / 'no-chromium'}）" in lines[0]
    assert "gettext" not in lines[0]  # msgfmt was there


def test_a_user_who_is_not_root_is_told_to_use_sudo(tmp_path: Path) -> None:
    """GIVEN a developer's account (not root) on a Debian machine without Chromium
    WHEN `make test` checks THEN it does not try apt-get but says what to run with sudo."""
    env = {
        "PATH": bin_with(tmp_path, "apt-get", "fc-list", "msgfmt"),
        "CHROMIUM_PATH": str(tmp_path / "no-chromium"),
    }
    result = run(env, as_nobody=True)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "缺少 chromium：请运行 sudo apt-get install chromium" in result.stderr
    assert "installing" not in result.stdout


def test_as_root_it_installs_with_apt_get_and_rechecks(tmp_path: Path) -> None:
    """GIVEN root with apt-get (here a stand-in that records its arguments, so nothing is
    installed) and gettext missing WHEN the check runs THEN it updates the lists, installs
    exactly the missing package, and, still not finding msgfmt, says so in one line."""
    if os.geteuid() != 0:
        pytest.skip("the install path runs as root only")
    folder = Path(bin_with(tmp_path, "fc-list"))
    log = tmp_path / "apt.log"
    apt = folder / "apt-get"
    apt.write_text(f'#!{BASH}\necho "$*" >> {log}\n')
    apt.chmod(0o755)
    result = run({"PATH": str(folder)})
    calls = log.read_text().splitlines()
    assert [call.split()[-1] for call in calls] == ["update", "gettext"]
    assert "install --no-install-recommends gettext" in calls[1]
    assert "installing from Debian: gettext" in result.stdout
    assert result.returncode == 1
    assert "缺少 gettext：请运行 sudo apt-get install gettext" in result.stderr
