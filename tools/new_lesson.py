"""Start a new lesson from notebooks/_template.ipynb: `make new-lesson NAME=08_distributed_training`.

    python tools/new_lesson.py NAME ["Title of the lesson"]

Copies the template to notebooks/NAME.ipynb (the lesson name in `tlcourse.start`, fresh cell ids) and writes the
lesson's entry in the lesson manifest, src/tlcourse/lessons.yml (title, minutes from the template's header, the
file the template reads); then `tools/course.py sync` renders README.md's lessons table, book/intro.md's schedule,
_toc.yml and the new lesson's header from it. Refuses a malformed NAME, an existing notebook, and a lesson number
already taken. Then prints the next steps.
"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import nbformat

from tlcourse import lessons as manifest

try:
    from tools import course
except ModuleNotFoundError:   # run as a script (python tools/new_lesson.py): tools/ itself is on sys.path
    import course

ROOT = Path(__file__).resolve().parents[1]
NAME_RE = manifest.NAME_RE
TEMPLATE_FILES = ("mnist.npz",)   # what notebooks/_template.ipynb reads (tlcourse.datasets.load_mnist)


class LessonError(ValueError):
    """Why the lesson cannot be created; the message says what to do."""


def _files(lessons: list[manifest.Lesson]) -> tuple[manifest.Need, ...]:
    """The template's files, declared as the course's lessons already declare them (with their stand-ins)."""
    known = {need.asset: need for lesson in lessons for need in lesson.files}
    return tuple(known.get(name, manifest.Need(name)) for name in TEMPLATE_FILES)


def create(name: str, title: str = "", root: Path = ROOT) -> Path:
    """Create the lesson ``name`` under ``root`` and return the notebook's path."""
    if not NAME_RE.fullmatch(name or ""):
        raise LessonError(f"NAME={name!r}: use two digits, an underscore and a topic in lower case with "
                          "underscores, e.g. NAME=08_distributed_training.")
    notebooks = root / "notebooks"
    target = notebooks / f"{name}.ipynb"
    if target.exists():
        raise LessonError(f"{target.relative_to(root)} exists already: choose another NAME (nothing was changed).")
    lessons = course.load(root)
    taken = sorted({p.stem for p in notebooks.glob(f"{name[:2]}_*.ipynb")}
                   | {x.name for x in lessons if x.number == int(name[:2])})
    if taken:
        raise LessonError(f"Lesson number {name[:2]} is taken by {', '.join(taken)}: choose another number.")
    title = title.strip() or name[3:].replace("_", " ").capitalize()
    nb = nbformat.read(notebooks / "_template.ipynb", as_version=4)
    minutes = re.search(r"Teaching: (\d+) min · Exercises: (\d+) min", nb.cells[0].source)
    if not minutes:
        raise LessonError("notebooks/_template.ipynb: its first cell has no 'Teaching: NN min · Exercises: NN min' "
                          "line; put it back (CONTRIBUTING.md, 'Anatomy of a lesson').")
    lesson = manifest.Lesson(name, int(name[:2]), title, title, int(minutes[1]), int(minutes[2]),
                             files=_files(lessons))
    for cell in nb.cells:
        cell.id = uuid.uuid4().hex[:8]
        cell.source = cell.source.replace('"LESSON_NAME"', f'"{name}"')
    nb.cells[0].source = course.header(nb.cells[0].source, lesson, "notebooks/_template.ipynb")
    manifest.dump([*lessons, lesson], root / course.MANIFEST)
    nbformat.write(nb, target)
    course.sync(root, only=("readme", "intro", "toc"))
    return target


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    try:
        path = create(argv[0], argv[1] if len(argv) > 1 else "")
    except (LessonError, manifest.ManifestError, course.ViewError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Created {path.relative_to(ROOT)} and its entry in {course.MANIFEST}; README.md, book/intro.md and "
          "_toc.yml list it.\n"
          "Next steps (CONTRIBUTING.md, 'Adding a lesson'):\n"
          "  1. write the lesson (questions, objectives, sections, challenge, keypoints; replace MNIST);\n"
          f"  2. in {course.MANIFEST}: its title and short title, minutes, the files it needs (`files:`), and its\n"
          "     anchors and bench pipeline if it has them; then python tools/course.py sync;\n"
          f"  3. python tools/nbrefs.py refresh {path.relative_to(ROOT)}   # saves the reference outputs;\n"
          "  4. make test.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
