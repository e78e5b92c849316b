#!/usr/bin/env python
"""Keep the zh_Hans catalogue current and filled, safely from several shells at once.

    scripts/i18n.py                      # makemessages + compilemessages
    scripts/i18n.py --set pairs.json     # ... and fill msgstr from {"msgid": "译文", ...}
                                         # (a key "context::msgid" targets a pgettext entry)
    scripts/i18n.py --missing            # list msgids that still lack a translation

Everything runs under an exclusive lock on ``locale/.lock`` so parallel edits of the one
catalogue never lose each other's translations.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MANAGE = [sys.executable, str(ROOT / "manage.py")]
IGNORE = [
    "--ignore=.venv/*",
    "--ignore=node_modules/*",
    "--ignore=staticfiles/*",
    "--ignore=bench/*",
]


def main() -> int:
    """Parse arguments, take the lock, update the catalogue."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="pairs", type=Path, help="JSON file of msgid -> msgstr")
    parser.add_argument("--missing", action="store_true", help="list untranslated msgids")
    parser.add_argument("--no-extract", action="store_true", help="skip makemessages")
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    PO.parent.mkdir(parents=True, exist_ok=True)
    with open(ROOT / "locale" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not args.no_extract:
            subprocess.run(
                [
                    *MANAGE,
                    "makemessages",
                    "-l",
                    "zh_Hans",
                    "--no-location",
                    "--no-obsolete",
                    "--no-wrap",
                    *IGNORE,
                ],
                check=True,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        catalogue = polib.pofile(str(PO), wrapwidth=0)
        if args.pairs:
            pairs = json.loads(args.pairs.read_text(encoding="utf-8"))
            by_id = {
                (f"{entry.msgctxt}::" if entry.msgctxt else "") + entry.msgid: entry
                for entry in catalogue
            }
            unknown = [msgid for msgid in pairs if msgid not in by_id]
            for msgid, msgstr in pairs.items():
                entry = by_id.get(msgid)
                if entry is None:
                    continue
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: msgstr}
                else:
                    entry.msgstr = msgstr
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                entry.previous_msgid = entry.previous_msgctxt = entry.previous_msgid_plural = None
            catalogue.metadata["Language"] = "zh_Hans"
            catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
            catalogue.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
            catalogue.save(str(PO))
            if unknown:
                print("not in the catalogue (not marked for translation?):", *unknown, sep="\n  ")
        if args.missing:
            for entry in catalogue.untranslated_entries() + catalogue.fuzzy_entries():
                print(entry.msgid)
        subprocess.run(
            [
                *MANAGE,
                "compilemessages",
                "-l",
                "zh_Hans",
                "--ignore=.venv/*",
                "--ignore=node_modules/*",
            ],
            check=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
