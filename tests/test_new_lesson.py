"""`make new-lesson` (tools/new_lesson.py): a lesson created from notebooks/_template.ipynb gets its entry in the
lesson manifest, is listed in the book, the schedule and the README, passes the notebook policy once its references
are saved, and executes (real kernel, real Keras)."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tlcourse import lessons as manifest
from tools import course, nbrefs, new_lesson

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_copy(tmp_path):
    """The files make new-lesson reads and writes, copied (the repository itself is never touched)."""
    (tmp_path / "notebooks").mkdir()
    for rel in ("notebooks/_template.ipynb", "_toc.yml", "README.md", "book/intro.md", str(course.MANIFEST)):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    for lesson in (ROOT / "notebooks").glob("[0-9]*.ipynb"):
        (tmp_path / "notebooks" / lesson.name).write_text("{}")   # only their names matter here
    # a course without lesson 4 (yet): no notebook, no manifest entry, so no row or entry in the views either
    for stub in (tmp_path / "notebooks").glob("04_*.ipynb"):
        stub.unlink()
    manifest.dump([x for x in course.load(tmp_path) if x.number != 4], tmp_path / course.MANIFEST)
    course.sync(tmp_path, only=("readme", "intro", "toc"))
    assert "notebooks/04_" not in (tmp_path / "README.md").read_text()
    return tmp_path


def test_new_lesson_writes_its_entry_and_the_views_list_it_in_order(course_copy):
    path = new_lesson.create("04_densenet_dollar_street", "DenseNet121 on Dollar Street", root=course_copy)
    assert path == course_copy / "notebooks" / "04_densenet_dollar_street.ipynb"
    entry = next(x for x in course.load(course_copy) if x.number == 4)
    assert (entry.name, entry.title, entry.short_title, entry.teaching, entry.exercises) == (
        "04_densenet_dollar_street", "DenseNet121 on Dollar Street", "DenseNet121 on Dollar Street", 30, 15)
    assert [need.asset for need in entry.files] == ["mnist.npz"]          # what the template reads
    assert entry.files[0] == next(n for x in manifest.load() for n in x.files if n.asset == "mnist.npz")
    toc = (course_copy / "_toc.yml").read_text().splitlines()
    files = [line.strip() for line in toc if "file: notebooks/" in line]
    assert files == sorted(files) and "- file: notebooks/04_densenet_dollar_street" in files
    readme = (course_copy / "README.md").read_text()
    row = "| 4 | [DenseNet121 on Dollar Street](notebooks/04_densenet_dollar_street.ipynb) | 30 min | 15 min |"
    assert row in readme and readme.count("| 4 |") == 1
    assert readme.index("| 3 |") < readme.index(row) < readme.index("| 5 |")
    intro = (course_copy / "book" / "intro.md").read_text()
    assert "| 4  | {doc}`DenseNet121 on Dollar Street </notebooks/04_densenet_dollar_street>` | 30 min | 15 min |" \
        in intro
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.startswith("# Lesson 4: DenseNet121 on Dollar Street\n\nTeaching: 30 min · "
                                         "Exercises: 15 min\n\nRun time, measured: not yet")
    assert any('tlcourse.start("04_densenet_dollar_street", PROFILES)' in c.source for c in nb.cells)
    new_lesson.create("99_later", root=course_copy)       # a number after all others goes last
    toc_files = [line.strip() for line in (course_copy / "_toc.yml").read_text().splitlines() if "notebooks/" in line]
    assert toc_files[-1] == "- file: notebooks/99_later"
    assert [x.number for x in course.load(course_copy)][-1] == 99


@pytest.mark.parametrize("name, message", [("8_x", "two digits"), ("08-Something", "two digits"), ("", "two digits"),
                                           ("01_again", "taken by 01_"), ("05_x", "taken by 05_")])
def test_new_lesson_refuses_bad_or_taken_names(course_copy, name, message):
    before = {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()}
    with pytest.raises(new_lesson.LessonError, match=message):
        new_lesson.create(name, root=course_copy)
    assert {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()} == before   # nothing changed


def test_new_lesson_refuses_a_number_the_manifest_has_taken(course_copy):
    (course_copy / "notebooks" / "06_efficientnetb0_food.ipynb").unlink()   # its entry stays in lessons.yml
    with pytest.raises(new_lesson.LessonError, match="Lesson number 06 is taken by 06_efficientnetb0_food"):
        new_lesson.create("06_other", root=course_copy)


def test_new_lesson_refuses_an_existing_notebook(course_copy):
    new_lesson.create("98_something", root=course_copy)
    with pytest.raises(new_lesson.LessonError, match="exists already"):
        new_lesson.create("98_something", root=course_copy)
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "new_lesson.py"), "8"], capture_output=True, text=True)
    assert proc.returncode == 1 and "error: NAME='8'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_lesson_from_the_template_executes_and_passes_the_policy(course_copy, course_env, shared_mirror,
                                                                   monkeypatch):
    """Executed in a real kernel (quick profile, offline, the mirror's real MNIST test images), then the
    reference outputs are kept as `tools/nbrefs.py refresh` keeps them: the policy and anatomy tests pass."""
    from test_course_policy import anatomy_problems

    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_PROFILE", "quick")
    path = new_lesson.create("98_something", root=course_copy)
    nb = nbformat.read(path, as_version=4)
    assert nbrefs.problems(nb), "before its first run, the reference cell has no output"
    nbrefs.refresh(path)
    nb = nbformat.read(path, as_version=4)
    assert nbrefs.problems(nb) == [] and anatomy_problems(nb) == []
    reference = next(c for c in nb.cells if c.cell_type == "code" and nbrefs.is_reference(c))
    assert "one image: (28, 28) float32 | classes: ['0', '1'" in reference.outputs[0]["text"]
    assert (course_env / "results" / "98_something.json").is_file()            # run.save() ran
