"""Start a new lesson from notebooks/_template.ipynb: `make new-lesson NAME=08_distributed_training`.

    python tools/new_lesson.py NAME ["Title of the lesson"]

Copies the template to notebooks/NAME.ipynb (the lesson name in `tlcourse.start`, the title, fresh cell ids), adds
`notebooks/NAME` to the Lessons part of _toc.yml and a row to README.md's lessons table, in number order. Refuses a
malformed NAME, an existing notebook, and a lesson number already taken. Then prints the next steps.
"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NAME_RE = re.compile(r"(?P<num>\d{2})_[a-z0-9]+(?:_[a-z0-9]+)*")


class LessonError(ValueError):
    """Why the lesson cannot be created; the message says what to do."""


def _number(name: str) -> int:
    return int(name[:2])


def add_to_toc(toc: str, name: str) -> str:
    """``toc`` with ``- file: notebooks/<name>`` among the other lessons, in name order."""
    lines = toc.splitlines(keepends=True)
    lesson_lines = [i for i, line in enumerate(lines) if re.match(r"\s*- file: notebooks/\d\d_", line)]
    if not lesson_lines:
        raise LessonError("_toc.yml lists no lesson (- file: notebooks/NN_...): add the first one by hand.")
    indent = re.match(r"\s*", lines[lesson_lines[0]]).group(0)
    entry = f"{indent}- file: notebooks/{name}\n"
    after = [i for i in lesson_lines if lines[i].split("notebooks/", 1)[1].strip() < name]
    at = (after[-1] + 1) if after else lesson_lines[0]
    return "".join(lines[:at] + [entry] + lines[at:])


def add_to_readme(readme: str, name: str, title: str, teaching: str, exercises: str) -> str:
    """``readme`` with a row for lesson ``name`` in the lessons table (replacing a "in preparation" row of the
    same number)."""
    n = _number(name)
    row = f"| {n} | [{title}](notebooks/{name}.ipynb) | {teaching} | {exercises} |\n"
    lines = readme.splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if re.match(r"\|\s*\d+\s*\|", line)]
    if not rows:
        raise LessonError("README.md has no lessons table (rows like '| 1 | [Title](notebooks/...) | ...'); add the "
                          "row by hand.")
    for i in rows:
        if int(lines[i].split("|")[1]) == n:
            if "](notebooks/" in lines[i]:
                raise LessonError(f"README.md already links lesson {n}: {lines[i].strip()}")
            lines[i] = row
            return "".join(lines)
    before = [i for i in rows if int(lines[i].split("|")[1]) < n]
    at = (before[-1] + 1) if before else rows[0]
    return "".join(lines[:at] + [row] + lines[at:])


def create(name: str, title: str = "", root: Path = ROOT) -> Path:
    """Create the lesson ``name`` under ``root`` and return the notebook's path."""
    if not NAME_RE.fullmatch(name or ""):
        raise LessonError(f"NAME={name!r}: use two digits, an underscore and a topic in lower case with "
                          "underscores, e.g. NAME=08_distributed_training.")
    notebooks = root / "notebooks"
    target = notebooks / f"{name}.ipynb"
    if target.exists():
        raise LessonError(f"{target.relative_to(root)} exists already: choose another NAME (nothing was changed).")
    taken = [p.name for p in notebooks.glob(f"{name[:2]}_*.ipynb")]
    if taken:
        raise LessonError(f"Lesson number {name[:2]} is taken by {', '.join(taken)}: choose another number.")
    title = title.strip() or name[3:].replace("_", " ").capitalize()
    nb = nbformat.read(notebooks / "_template.ipynb", as_version=4)
    for cell in nb.cells:
        cell.id = uuid.uuid4().hex[:8]
        cell.source = (cell.source.replace("# Lesson N: TITLE", f"# Lesson {_number(name)}: {title}")
                       .replace('"LESSON_NAME"', f'"{name}"'))
    teaching, exercises = re.search(r"Teaching: (\d+ min) · Exercises: (\d+ min)", nb.cells[0].source).groups()
    toc = add_to_toc((root / "_toc.yml").read_text(encoding="utf-8"), name)
    readme = add_to_readme((root / "README.md").read_text(encoding="utf-8"), name, title, teaching, exercises)
    nbformat.write(nb, target)
    (root / "_toc.yml").write_text(toc, encoding="utf-8")
    (root / "README.md").write_text(readme, encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    try:
        path = create(argv[0], argv[1] if len(argv) > 1 else "")
    except LessonError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Created {path.relative_to(ROOT)}; added it to _toc.yml and to README.md's lessons table.\n"
          "Next steps (CONTRIBUTING.md, 'Adding a lesson'):\n"
          "  1. write the lesson (title, questions, objectives, sections, challenge, keypoints; replace MNIST);\n"
          "  2. declare the files it needs in src/tlcourse/preflight.py (LESSON_FILES);\n"
          f"  3. python tools/nbrefs.py refresh {path.relative_to(ROOT)}   # saves the reference outputs;\n"
          "  4. make test.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
