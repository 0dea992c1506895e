"""`make new-lesson` (tools/new_lesson.py): a lesson created from notebooks/_template.ipynb is listed in the book
and the README, passes the notebook policy once its references are saved, and executes (real kernel, real Keras)."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import nbrefs, new_lesson

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_copy(tmp_path):
    """The files make new-lesson edits, copied (the repository itself is never touched)."""
    (tmp_path / "notebooks").mkdir()
    for rel in ("notebooks/_template.ipynb", "_toc.yml", "README.md"):
        shutil.copy(ROOT / rel, tmp_path / rel)
    for lesson in (ROOT / "notebooks").glob("[0-9]*.ipynb"):
        (tmp_path / "notebooks" / lesson.name).write_text("{}")   # only their names matter here
    # a course whose lesson 4 is still "in preparation": no notebook, no _toc.yml entry, a placeholder README row
    for stub in (tmp_path / "notebooks").glob("04_*.ipynb"):
        stub.unlink()
    toc = tmp_path / "_toc.yml"
    toc.write_text("".join(line for line in toc.read_text().splitlines(True) if "file: notebooks/04_" not in line))
    readme = tmp_path / "README.md"
    readme.write_text("".join("| 4 | DenseNet121 on Dollar Street 10 — in preparation | 35 min | 20 min |\n"
                              if line.startswith("| 4 |") else line for line in readme.read_text().splitlines(True)))
    return tmp_path


def test_new_lesson_adds_toc_and_readme_rows_in_order(course_copy):
    path = new_lesson.create("04_densenet_dollar_street", "DenseNet121 on Dollar Street", root=course_copy)
    assert path == course_copy / "notebooks" / "04_densenet_dollar_street.ipynb"
    toc = (course_copy / "_toc.yml").read_text().splitlines()
    files = [line.strip() for line in toc if "file: notebooks/" in line]
    assert files == sorted(files) and "- file: notebooks/04_densenet_dollar_street" in files
    readme = (course_copy / "README.md").read_text()
    row = "| 4 | [DenseNet121 on Dollar Street](notebooks/04_densenet_dollar_street.ipynb) | 30 min | 15 min |"
    assert row in readme and "in preparation" not in readme.split(row)[0].splitlines()[-1]
    assert readme.count("| 4 |") == 1                      # the "in preparation" row was replaced
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.startswith("# Lesson 4: DenseNet121 on Dollar Street")
    assert any('tlcourse.start("04_densenet_dollar_street", PROFILES)' in c.source for c in nb.cells)
    new_lesson.create("99_later", root=course_copy)       # a number after all others goes last
    toc_files = [line.strip() for line in (course_copy / "_toc.yml").read_text().splitlines() if "notebooks/" in line]
    assert toc_files[-1] == "- file: notebooks/99_later"


@pytest.mark.parametrize("name, message", [("8_x", "two digits"), ("08-Something", "two digits"), ("", "two digits"),
                                           ("01_again", "taken by 01_"), ("05_x", "taken by 05_")])
def test_new_lesson_refuses_bad_or_taken_names(course_copy, name, message):
    before = {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()}
    with pytest.raises(new_lesson.LessonError, match=message):
        new_lesson.create(name, root=course_copy)
    assert {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()} == before   # nothing changed


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
    reference = next(c for c in nb.cells if c.cell_type == "code" and nbrefs.MARK in c.source)
    assert "one image: (28, 28) float32 | classes: ['0', '1'" in reference.outputs[0]["text"]
    assert (course_env / "results" / "98_something.json").is_file()            # run.save() ran
