"""Pre-flight check: is every file the lessons need at hand, before the book executes them?

``python -m tlcourse preflight`` (run by ``make book``) goes through :data:`LESSON_FILES`, fetching each file as a
lesson would (cache → mirror → download, through :func:`tlcourse.assets.fetch`). Without internet a lesson would
fail minutes into the build; this check fails within seconds instead, with one short summary: which files are
missing, why, and what to do. Offline (``TLCOURSE_OFFLINE=1``) a missing file that has an announced stand-in is
listed as "stand-in will be used" and does not stop the build.

A lesson declares its files in the lesson manifest, ``src/tlcourse/lessons.yml`` (see CONTRIBUTING.md).
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from pathlib import Path

from . import assets
from .lessons import Need
from .lessons import load as _load_lessons

__all__ = ["Need", "LESSON_FILES", "check", "main"]


# Each lesson's files, from the lesson manifest (src/tlcourse/lessons.yml, `files:` of each lesson).
LESSON_FILES: dict[str, tuple[Need, ...]] = {lesson.name: lesson.files for lesson in _load_lessons()}

# what replaces each file when it is missing (offline): a stand-in, or the same data from a local folder
LESSON_FILE_STANDIN = {need.asset: need.standin or need.local for needs in LESSON_FILES.values() for need in needs}


@contextlib.contextmanager
def _no_downloads():
    old = os.environ.get("TLCOURSE_OFFLINE")
    os.environ["TLCOURSE_OFFLINE"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TLCOURSE_OFFLINE", None)
        else:
            os.environ["TLCOURSE_OFFLINE"] = old


def _reason(err: BaseException, name: str) -> str:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return first.removeprefix(f"Could not get {name!r}: ")


def check(lessons: list[str] | None = None, *, progress: bool = False) -> dict:
    """Fetch what ``lessons`` (default: all of :data:`LESSON_FILES`) need. Returns ``{"ready": [...],
    "standins": [(name, standin, lessons)], "missing": [(name, reason, lessons)]}``.

    Files are looked up locally first (cache, then mirror); then, unless offline, the missing ones are downloaded
    one after the other; after the first failed download the others are not tried (no connection, most likely)."""
    unknown = [name for name in lessons or () if name not in LESSON_FILES]
    if unknown:
        raise KeyError(f"No pre-flight entry for lesson(s) {', '.join(unknown)}; known: {', '.join(LESSON_FILES)}. "
                       "Declare a new lesson's files in src/tlcourse/lessons.yml (its entry's `files:`).")
    users: dict[str, list[str]] = {}
    needs: dict[str, Need] = {}
    for lesson in lessons or list(LESSON_FILES):
        for need in LESSON_FILES[lesson]:
            for name in (need.asset, *need.standin_needs):
                assets.get(name)   # a typo in the table is a KeyError naming the known assets
            users.setdefault(need.asset, []).append(lesson)
            needs.setdefault(need.asset, need)
    offline = assets.is_offline()
    have: dict[str, bool] = {}
    why: dict[str, str] = {}

    def local(name: str) -> bool:
        if name not in have:
            try:
                with _no_downloads(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")   # e.g. "recorded sha256 ...": not news for this summary
                    assets.fetch(name, progress=False)
                have[name] = True
            except assets.AssetError as err:
                have[name] = False
                why[name] = (f"not in the cache{' or the mirror' if assets.mirror_dir() else ' (and no mirror is set)'}"
                             if offline else _reason(err, name))
        return have[name]

    for name in needs:
        local(name)
    if not offline and progress:
        print(download_plan([n for n in needs if not have[n]]), flush=True)
    if not offline:
        dead = None
        for name in [n for n in needs if not have[n]]:
            if dead:
                why[name] = f"not downloaded: the download of {dead} failed just before"
                continue
            try:
                assets.fetch(name, progress=progress, retries=0)
                have[name] = True
            except assets.AssetError as err:
                why[name] = _reason(err, name)
                dead = name
    ready, standins, missing = [], [], []
    for name, need in needs.items():
        if have[name]:
            ready.append(name)
        elif offline and need.local and Path(need.local).is_dir():
            ready.append(name)   # offline, the loader reads the same real data from a local folder (Debian's package)
        elif offline and need.standin and all(local(n) for n in need.standin_needs):
            standins.append((name, need.standin, users[name]))
        else:
            reason = why.get(name, "missing")
            if offline and need.standin:
                gone = [n for n in need.standin_needs if not local(n)]
                reason += f"; its stand-in needs {', '.join(gone)}, missing too"
            missing.append((name, reason, users[name]))
    return {"ready": ready, "standins": standins, "missing": missing}


def download_plan(names: list[str]) -> str:
    """What the pre-flight is about to download, said before it starts: how many files, how many MB, which."""
    if not names:
        return "Pre-flight: every file is here already; nothing to download."
    sizes = {name: assets.get(name).size for name in names}
    known = sum(size for size in sizes.values() if size)
    unknown = [name for name, size in sizes.items() if not size]
    listed = ", ".join(f"{name} ({size / 1e6:,.1f} MB)" if size else f"{name} (size unknown)"
                       for name, size in sizes.items())
    return (f"Pre-flight: {len(names)} file{'s' if len(names) != 1 else ''} to download, "
            f"{known / 1e6:,.0f} MB{' and ' + str(len(unknown)) + ' of unknown size' if unknown else ''}, "
            f"once (each is verified, then kept in the cache): {listed}")


def summary(result: dict, seconds: float) -> tuple[str, bool]:
    """The report printed by ``python -m tlcourse preflight`` and whether the build may go on."""
    lines = []
    n = len(result["ready"]) + len(result["standins"]) + len(result["missing"])
    mirror = assets.mirror_dir()
    where = (f"{'offline' if assets.is_offline() else 'online'}, "
             f"{f'mirror {mirror}' if mirror else 'no mirror (TLCOURSE_MIRROR unset)'}")
    lines.append(f"Pre-flight: {n} files the lessons need ({where}), checked in {seconds:.1f} s: "
                 f"{len(result['ready'])} ready, {len(result['standins'])} with a stand-in, "
                 f"{len(result['missing'])} missing.")
    for name, standin, lessons in result["standins"]:
        lines.append(f"  stand-in will be used: {name} → {standin} ({', '.join(lessons)})")
    for folder, files, size in assets.quarantines():
        lines.append(f"  quarantine: {folder} holds {files} rejected cop{'y' if files == 1 else 'ies'} "
                     f"({size / 1e6:,.1f} MB); empty it with `python -m tlcourse quarantine --empty`")
    if not result["missing"]:
        return "\n".join(lines), True
    lines.append("Missing, so the book cannot be built:")
    for name, reason, lessons in result["missing"]:
        lines.append(f"  - {name} ({', '.join(lessons)}): {reason}")
    no_standin = [name for name, _, _ in result["missing"] if not LESSON_FILE_STANDIN.get(name)]
    lines.append("What to do, one of:")
    lines.append("  - connect to the internet and run the command again (the files are downloaded and verified);")
    lines.append("  - point TLCOURSE_MIRROR at a course mirror (made with `make mirror` on a machine with internet);")
    if assets.is_offline():
        lines.append("  - (TLCOURSE_OFFLINE=1 is set: only the files above without a stand-in stop the build.)")
    else:
        tail = f" ({', '.join(no_standin)} have none: they need the internet or a mirror)" if no_standin else ""
        lines.append("  - set TLCOURSE_OFFLINE=1 to run with announced stand-ins where a lesson has one" + tail + ".")
    return "\n".join(lines), False



def main(lessons: list[str] | None = None) -> int:
    t0 = time.monotonic()
    text, ok = summary(check(lessons, progress=True), time.monotonic() - t0)
    print(text, flush=True)
    return 0 if ok else 1
