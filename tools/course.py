"""The views of the lesson manifest (src/tlcourse/lessons.yml): render them, check them, record measured times.

    python tools/course.py sync     # rewrite every view from the manifest
    python tools/course.py check    # list the stale views; exit 1 if there is one (run by `make check`)
    python tools/course.py times [--bench book/bench]   # copy the measured run times into the manifest

The views: README.md's lessons table, book/intro.md's schedule (its lesson rows), _toc.yml's lesson entries, the
header of each lesson (the first cell of notebooks/NN_name.ipynb: its title line, its "Teaching:" line and its
"Run time, measured:" line) and each notebook's install cell (Colab, or a lesson opened on its own), which installs
the course's package from the repository named once, in _config.yml (`repository: url:`). `check` also fails when
a page or notebook names the course's repository at another address. Nothing else in those files is touched.
`times` reads book/bench/bench.json (`make bench`, quick profile) and book/bench/full_profile.json
(`make test-full`); the bench only measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

import nbformat

from tlcourse import lessons as manifest
from tlcourse.runtime import describe_device

ROOT = Path(__file__).resolve().parents[1]

MANIFEST = Path("src/tlcourse/lessons.yml")
RUN_TIME = "Run time, measured:"
LESSON_ROW = re.compile(r"\|\s*\d+\s*\|")
TOC_LESSON = re.compile(r"(?P<indent>\s*)- file: notebooks/\d\d_")


INSTALL_MARK = 'find_spec("tlcourse")'
REPO_MENTION = re.compile(r"https://github\.com/(?:tlcourse/[\w.-]+|[\w.-]+/transfer-learning-tensorflow)")


class ViewError(ValueError):
    """A view cannot be rendered (e.g. its table is missing); the message says where and what to do."""


def load(root: Path = ROOT) -> list[manifest.Lesson]:
    return manifest.load(root / MANIFEST)


# --------------------------------------------------------------------------- rendering

def _replace_rows(text: str, rows: list[str], where: str, first: re.Pattern = LESSON_ROW) -> str:
    """``text`` with its block of lines matching ``first`` (contiguous, possibly after other lines of the same
    table) replaced by ``rows``."""
    lines = text.splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if first.match(line)]
    if not found:
        raise ViewError(f"{where} has no lesson rows to replace: put back the lesson table (or lesson entries), "
                        "then run python tools/course.py sync.")
    start, end = found[0], found[-1] + 1
    if end - start != len(found):
        raise ViewError(f"{where}: its lesson rows are not one block (lines {start + 1}-{end}); put them together.")
    return "".join(lines[:start] + [row + "\n" for row in rows] + lines[end:])


def readme(text: str, lessons: list[manifest.Lesson]) -> str:
    rows = [f"| {x.number} | [{x.title}](notebooks/{x.name}.ipynb) | {x.teaching} min | {x.exercises} min |"
            for x in lessons]
    return _replace_rows(text, rows, "README.md")


def intro(text: str, lessons: list[manifest.Lesson]) -> str:
    # a {doc} role's text cannot hold backticks
    rows = [f"| {x.number:<2} | {{doc}}`{x.title.replace('`', '')} </notebooks/{x.name}>` | {x.teaching} min | "
            f"{x.exercises} min |" for x in lessons]
    return _replace_rows(text, rows, "book/intro.md")


def toc(text: str, lessons: list[manifest.Lesson]) -> str:
    first = next((m for m in map(TOC_LESSON.match, text.splitlines()) if m), None)
    indent = first.group("indent") if first else "      "
    return _replace_rows(text, [f"{indent}- file: notebooks/{x.name}" for x in lessons], "_toc.yml", TOC_LESSON)


def _minutes(minutes: float) -> str:
    return f"{minutes:.1f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def run_time_line(lesson: manifest.Lesson) -> str:
    """What the lesson says about its own run time: each measurement with its device and date."""
    parts = []
    for profile in manifest.PROFILES:
        t = lesson.measured.get(profile)
        if t:
            standins = ", offline stand-ins" if t.standins else ""
            parts.append(f"{profile} profile {_minutes(t.minutes)} ({t.device}{standins}, {t.date})")
    if not parts:
        return f"{RUN_TIME} not yet (`make bench`, `make test-full`)"
    full = lesson.measured.get("full")
    if not (full and "GPU" in full.device):
        parts.append("on a GPU: not measured yet")
    return f"{RUN_TIME} " + " · ".join(parts) + " ([details](../results.md))"


def header(source: str, lesson: manifest.Lesson, where: str = "") -> str:
    """The first cell of the lesson's notebook with its title, Teaching and Run-time lines rendered: the title,
    then "Teaching: ...", a blank line, the run-time line, a blank line, the rest of the cell as it was."""
    lines = source.splitlines()
    teaching = next((i for i, line in enumerate(lines) if line.startswith("Teaching:")), None)
    if not lines or not lines[0].startswith("# ") or teaching is None:
        raise ViewError(f"{where or lesson.name}: its first cell must start with '# Lesson N: title' and have a "
                        "'Teaching: NN min · Exercises: NN min' line (CONTRIBUTING.md, 'Anatomy of a lesson').")
    rest = [line for line in lines[teaching + 1:] if not line.startswith(RUN_TIME)]
    while rest and rest[0] == "":
        rest.pop(0)
    return "\n".join([f"# Lesson {lesson.number}: {lesson.short_title}", *lines[1:teaching],
                      f"Teaching: {lesson.teaching} min · Exercises: {lesson.exercises} min", "",
                      run_time_line(lesson), "", *rest])


def repository(root: Path = ROOT) -> str:
    """The course's repository address: _config.yml's ``repository: url:``, the one place it is written."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    url = (config.get("repository") or {}).get("url")
    if not url:
        raise ViewError("_config.yml has no 'repository: url:'; the install cells and the launch buttons need it.")
    return url.rstrip("/")


def install_cell(url: str) -> str:
    """The code cell that installs the course's package where it is missing (Colab, a lesson on its own).
    TLCOURSE_INSTALL_FROM (a file:// or git+ URL) replaces the repository, for tests (tools/standalone.py)."""
    return "\n".join([
        "import importlib.util",
        "import os",
        "",
        f"if importlib.util.{INSTALL_MARK} is None:  # on Colab, or a lesson opened on its own",
        f'    source = os.environ.get("TLCOURSE_INSTALL_FROM", "git+{url}")',
        '    %pip install --quiet --report tlcourse-install.json "tlcourse @ {source}"',
        "    importlib.invalidate_caches()",
        "    import tlcourse.installed  # if this fails, pip could not install the package: its message is above",
        "    tlcourse.installed.report(\"tlcourse-install.json\")  # what pip installed; stops if a restart is needed",
    ])


# --------------------------------------------------------------------------- the views of a checkout

@dataclasses.dataclass
class View:
    path: Path          # relative to the root
    current: str        # the file's text (for a notebook: its first cell)
    rendered: str

    @property
    def stale(self) -> bool:
        return self.current != self.rendered


def views(root: Path = ROOT, only: tuple[str, ...] = ()) -> tuple[list[View], list[str]]:
    """Every view rendered from the manifest under ``root`` (or those of ``only``: "readme", "intro", "toc",
    "notebooks"), and the problems found on the way (a notebook without an entry, an entry without a notebook)."""
    lessons = load(root)
    out, problems = [], []
    texts = {"readme": ("README.md", readme), "intro": ("book/intro.md", intro), "toc": ("_toc.yml", toc)}
    for key, (rel, render) in texts.items():
        if not only or key in only:
            text = (root / rel).read_text(encoding="utf-8")
            out.append(View(Path(rel), text, render(text, lessons)))
    names = {x.name for x in lessons}
    on_disk = sorted(p.stem for p in (root / "notebooks").glob("[0-9]*.ipynb"))
    problems += [f"notebooks/{n}.ipynb has no entry in {MANIFEST} (add one: see CONTRIBUTING.md, 'Adding a lesson')"
                 for n in on_disk if n not in names]
    problems += [f"{MANIFEST} lists {n}, but notebooks/{n}.ipynb does not exist" for n in sorted(names - set(on_disk))]
    if not only or "notebooks" in only:
        for lesson in lessons:
            rel = Path("notebooks") / f"{lesson.name}.ipynb"
            if (root / rel).exists():
                cell = nbformat.read(root / rel, as_version=4).cells[0].source
                out.append(View(rel, cell, header(cell, lesson, str(rel))))
    if not only or "install" in only:
        url = repository(root)
        for path in sorted((root / "notebooks").glob("*.ipynb")):
            rel = path.relative_to(root)
            cells = [c for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "code" and INSTALL_MARK in c.source]
            if len(cells) != 1:
                problems.append(f"{rel} has {len(cells)} install cells ({INSTALL_MARK}); it needs exactly one")
            else:
                out.append(View(rel, cells[0].source, install_cell(url)))
        problems += [f"{rel} names the course's repository as {found}, not {url} (_config.yml's repository: url:)"
                     for rel, found in _repo_mentions(root) if found != url]
    return out, problems


def _repo_mentions(root: Path):
    """(file, address) for every mention of the course's repository in the pages, notebooks and configuration."""
    files = [root / "README.md", root / "CONTRIBUTING.md", root / "environment.yml", root / "pyproject.toml",
             *sorted((root / "book").glob("*.md")), *sorted((root / "notebooks").glob("*.ipynb"))]
    for path in files:
        if path.exists():
            for match in REPO_MENTION.finditer(path.read_text(encoding="utf-8")):
                yield str(path.relative_to(root)), match[0].removesuffix(".git").rstrip(".")


def stale(root: Path = ROOT) -> list[str]:
    """What ``sync`` would change under ``root``, and what it cannot fix; empty when every view is current."""
    found, problems = views(root)
    return [str(v.path) for v in found if v.stale] + problems


def sync(root: Path = ROOT, only: tuple[str, ...] = ()) -> list[str]:
    """Rewrite the stale views under ``root``; returns their paths. A notebook gets only its first cell rewritten."""
    found, _ = views(root, only)
    for v in found:
        if not v.stale:
            continue
        if v.path.suffix == ".ipynb":
            nb = nbformat.read(root / v.path, as_version=4)
            cell = next((c for c in nb.cells if c.source == v.current), nb.cells[0])
            cell.source = v.rendered
            nbformat.write(nb, root / v.path)
        else:
            (root / v.path).write_text(v.rendered, encoding="utf-8")
    return [str(v.path) for v in found if v.stale]


# --------------------------------------------------------------------------- measured times

def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def times(root: Path = ROOT, bench_dir: Path | None = None) -> list[str]:
    """Copy each lesson's measured run times from ``bench_dir`` (default book/bench) into the manifest: the quick
    profile's from bench.json (a lesson that failed keeps its earlier time), the full profile's from
    full_profile.json. Returns the lessons whose times changed."""
    bench_dir = bench_dir or root / "book" / "bench"
    bench, full = _read(bench_dir / "bench.json"), _read(bench_dir / "full_profile.json")
    measured: dict[str, dict[str, manifest.Timing]] = {}
    for row in (bench or {}).get("lessons", []):
        if not row.get("error"):
            measured.setdefault(row["lesson"], {})["quick"] = manifest.Timing(
                round(row["seconds"] / 60, 1), describe_device(bench["machine"]["device"]),
                bench["machine"]["date"][:10], row.get("standins"))
    for name, row in (full or {}).get("lessons", {}).items():
        if not row.get("failed"):
            standins = bool(full.get("offline")) and any(not d["real"] for d in row.get("data", []))
            measured.setdefault(name, {})["full"] = manifest.Timing(
                round(row["seconds"] / 60, 1), describe_device(full["device_info"]), row.get("date", full["date"]),
                standins)
    lessons, changed = load(root), []
    for i, lesson in enumerate(lessons):
        new = {**lesson.measured, **measured.get(lesson.name, {})}
        if new != lesson.measured:
            lessons[i] = dataclasses.replace(lesson, measured=new)
            changed.append(lesson.name)
    if changed:
        manifest.dump(lessons, root / MANIFEST)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("sync", "check", "times"))
    ap.add_argument("--root", type=Path, default=ROOT, help="the course checkout (default: this one)")
    ap.add_argument("--bench", type=Path, help="times: the folder of bench.json and full_profile.json "
                                               "(default: book/bench)")
    args = ap.parse_args(argv)
    try:
        if args.command == "times":
            changed = times(args.root, args.bench)
            print(f"measured times updated in {MANIFEST} for: {', '.join(changed) or 'none (all current)'}")
        elif args.command == "sync":
            written = sync(args.root)
            print(f"rewritten from {MANIFEST}: {', '.join(written) or 'nothing (every view is current)'}")
            problems = views(args.root)[1]
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            return 1 if problems else 0
        else:
            found = stale(args.root)
            if found:
                print(f"Stale views of {MANIFEST} (run: python tools/course.py sync):\n  " + "\n  ".join(found),
                      file=sys.stderr)
                return 1
            print(f"every view of {MANIFEST} is current")
    except (manifest.ManifestError, ViewError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
