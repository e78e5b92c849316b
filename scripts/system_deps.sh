#!/usr/bin/env bash
# What the test suite needs from the operating system, checked before `make test` runs
# (and by .ci/run, which calls this same script):
#   chromium        the browser tests (Playwright drives Debian's Chromium; CHROMIUM_PATH
#                   names another binary, as in tests/browser/conftest.py)
#   fonts-noto-cjk  Chinese glyphs in the browser tests' screenshots
#   gettext         msgfmt/xgettext for the translation catalogue
# Everything else (PostgreSQL, Redis, Python packages, npm assets) comes from the
# project's own files. libreoffice-calc-nogui is needed only to regenerate the Excel
# fixtures made by LibreOffice, never by the tests, so it is not checked here.
#
# What is missing is installed with apt-get when this runs as root on a machine that has
# it; otherwise the script stops at once with one line saying what to install.
set -euo pipefail

chromium="${CHROMIUM_PATH:-$(command -v chromium || echo /usr/bin/chromium)}"

missing_packages() {
    local missing=()
    [ -x "$chromium" ] || missing+=(chromium)
    if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
        missing+=(fonts-noto-cjk)
    fi
    command -v msgfmt >/dev/null || missing+=(gettext)
    echo "${missing[*]}"
}

say_what_to_install() {
    local where=""
    if [ -n "${CHROMIUM_PATH:-}" ] && [ ! -x "$CHROMIUM_PATH" ]; then
        where="，或让 CHROMIUM_PATH（现为 $CHROMIUM_PATH）指向 Chromium"
    fi
    echo "缺少 $1：请运行 sudo apt-get install $1$where (make test needs these Debian packages)" >&2
    exit 1
}

missing="$(missing_packages)"
[ -z "$missing" ] && exit 0

if [ "$EUID" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say_what_to_install "$missing"
fi

echo "installing from Debian: $missing"
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -y -qq -o DPkg::Lock::Timeout=300 "$@"; }
apt_get update
# A package left half-configured by an interrupted install is finished first.
# shellcheck disable=SC2086 # one word per package
apt_get install --no-install-recommends $missing >/dev/null \
    || { dpkg --configure -a && apt_get install --no-install-recommends $missing >/dev/null; }

# Installed, yet still not found (CHROMIUM_PATH elsewhere, no CJK font indexed): say so now
# rather than in sixteen failed browser tests.
missing="$(missing_packages)"
[ -z "$missing" ] || say_what_to_install "$missing"
