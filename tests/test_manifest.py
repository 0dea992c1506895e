"""The lesson manifest (src/tlcourse/lessons.yml): every view of it is current, a stale view is found and rewritten,
a malformed entry says what is wrong, and every anchor quotes its source exactly."""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from tlcourse import lessons, preflight
from tools import bench, course

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"      # the texts the course was designed from, next to the checkout
LESSONS = lessons.load()
VIEWS = ["README.md", "book/intro.md", "_toc.yml", "_config.yml", str(course.MANIFEST),
         *(f"notebooks/{p.name}" for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")))]


@pytest.fixture
def course_copy(tmp_path):
    """The manifest and every view of it, copied (the repository itself is never touched)."""
    for rel in VIEWS:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_every_view_is_current():
    stale = course.stale(ROOT)
    assert not stale, f"stale views of the lesson manifest: {stale}; run python tools/course.py sync"


def test_every_notebook_has_an_entry_and_every_entry_a_notebook():
    assert [x.name for x in LESSONS] == sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))


def test_the_committed_manifest_is_as_the_tools_write_it(tmp_path):
    """`times` and `new-lesson` rewrite the file: the committed text is already in that form, so they change only
    what they mean to change."""
    assert lessons.dump(LESSONS, tmp_path / "lessons.yml") == lessons.PATH.read_text(encoding="utf-8")


def test_a_stale_view_is_listed_and_sync_rewrites_only_it(course_copy):
    originals = {rel: (course_copy / rel).read_bytes() for rel in VIEWS}
    readme = course_copy / "README.md"
    readme.write_text(readme.read_text().replace("| 35 min | 20 min |", "| 36 min | 20 min |", 1))
    intro = course_copy / "book" / "intro.md"
    intro.write_text(intro.read_text().replace("(EMNIST 32×32 and CIFAR-10", "(EMNIST, CIFAR-10"))
    toc = course_copy / "_toc.yml"
    toc.write_text("".join(line for line in toc.read_text().splitlines(True) if "notebooks/07_" not in line))
    path = course_copy / "notebooks" / f"{LESSONS[4].name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = re.sub(r"quick profile [\d.]+ min", "quick profile 0.1 min", nb.cells[0].source)
    nb.cells[-1].source += "\n(another helper's edit of a later cell)"
    nbformat.write(nb, path)
    edited = nb.cells[-1].source

    stale = ["README.md", "book/intro.md", "_toc.yml", f"notebooks/{path.name}"]
    assert course.stale(course_copy) == stale
    assert course.main(["check", "--root", str(course_copy)]) == 1
    assert course.sync(course_copy) == stale
    assert course.stale(course_copy) == []
    for rel in VIEWS:                                   # everything else is as it was, byte for byte
        if rel != f"notebooks/{path.name}":
            assert (course_copy / rel).read_bytes() == originals[rel], rel
    after = nbformat.read(path, as_version=4)
    assert after.cells[-1].source == edited           # only the first cell of a lesson is rendered
    assert after.cells[0].source == nbformat.read(ROOT / "notebooks" / path.name, as_version=4).cells[0].source


def test_the_install_cells_come_from_the_one_repository_address(course_copy):
    url = course.repository(ROOT)
    assert url.startswith("https://github.com/") and course.stale(course_copy) == []
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):   # the address is in every lesson's cell
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if course.INSTALL_MARK in c.source]
        assert cells == [course.install_cell(url)] and f'"git+{url}"' in cells[0], path.name
    setup = (ROOT / "book" / "setup.md").read_text()      # the set-up page shows the same cell, as it is
    assert textwrap.indent(course.install_cell(url), "   ", lambda line: line.strip()) in setup
    config = course_copy / "_config.yml"
    config.write_text(config.read_text().replace(url, "https://github.com/tlcourse/moved-elsewhere"))
    lessons_on_disk = [f"notebooks/{p.name}" for p in sorted((course_copy / "notebooks").glob("*.ipynb"))]
    found = course.stale(course_copy)
    assert lessons_on_disk and all(rel in found for rel in lessons_on_disk), found
    course.sync(course_copy)
    assert course.stale(course_copy) == []
    path = course_copy / lessons_on_disk[0]
    assert "git+https://github.com/tlcourse/moved-elsewhere" in path.read_text()
    readme = course_copy / "README.md"                 # a page naming the old address is a problem sync cannot fix
    readme.write_text(readme.read_text() + f"\ngit clone {url}\n")
    assert course.stale(course_copy) == [f"README.md names the course's repository as {url}, not "
                                         "https://github.com/tlcourse/moved-elsewhere (_config.yml's repository: url:)"]


def test_an_edit_of_the_manifest_makes_its_views_stale(course_copy):
    path = course_copy / course.MANIFEST
    data = yaml.safe_load(path.read_text())
    entry = next(e for e in data["lessons"] if e["name"] == "02_emnist_head_swap")
    entry["teaching"], entry["short_title"] = 40, "A new heading"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert course.stale(course_copy) == ["README.md", "book/intro.md", "notebooks/02_emnist_head_swap.ipynb"]
    course.sync(course_copy)
    assert "| 2 | [Head swap onto EMNIST (balanced, 47 classes)](notebooks/02_emnist_head_swap.ipynb) | 40 min | " \
           "20 min |" in (course_copy / "README.md").read_text()
    head = nbformat.read(course_copy / "notebooks/02_emnist_head_swap.ipynb", as_version=4).cells[0].source
    assert head.startswith("# Lesson 2: A new heading\n\nTeaching: 40 min · Exercises: 20 min\n\nRun time, measured: ")


def _entry(**change):
    entry = {"name": "09_new_topic", "number": 9, "title": "A title", "short_title": "Short", "teaching": 30,
             "exercises": 15, "files": [{"asset": "mnist.npz"}]}
    return {**entry, **change}


@pytest.mark.parametrize("entry, message", [
    (_entry(teaching="35 min"), r"lesson entry 1 \(09_new_topic\): 'teaching' must be a whole number of minutes"),
    (_entry(teachng=30), r"unknown key\(s\) 'teachng'"),
    ({k: v for k, v in _entry().items() if k != "title"}, r"missing 'title'"),
    (_entry(number=8), r"'number' is 8 but the name starts with 09"),
    (_entry(name="9_topic"), r"'name' '9_topic' must be two digits"),
    (_entry(files=[{"asset": "mnist.npzz"}]), r"files\[0\]: 'mnist.npzz' is not a registry name"),
    (_entry(anchors=[{"label": "x", "value": 88.58, "quote": "q", "source": "https://example.org", "title": "t",
                      "place": "p"}]), r"anchors\[0\]: 'value' must be a fraction between 0 and 1"),
    (_entry(anchors=[{"label": "x", "value": 0.5, "quote": "q", "source": "the blog", "title": "t", "place": "p"}]),
     r"'source' must be a seed file name like 002_d8a33cc0f52ffd52.txt or a URL"),
    (_entry(backbones=[{"key": "NoSuchNet"}]), r"backbone 'NoSuchNet' is not declared in full by any lesson"),
    (_entry(backbones=[{"key": "X", "app": "ResNet50", "size": 32}]), r"gives app, size but not all of"),
    (_entry(measured={"fast": {"minutes": 1, "device": "CPU, 2 cores", "date": "2026-01-01"}}),
     r"unknown profile\(s\) fast"),
    (_entry(measured={"quick": {"minutes": "one", "device": "CPU, 2 cores", "date": "2026-01-01"}}),
     r"measured\.quick: 'minutes' must be a number"),
])
def test_a_malformed_entry_is_a_clear_error(entry, message):
    with pytest.raises(lessons.ManifestError, match=message):
        lessons.parse({"lessons": [entry]})


def test_two_entries_with_one_name_and_a_broken_file_are_clear_errors(tmp_path, capsys):
    with pytest.raises(lessons.ManifestError, match="09_new_topic and 09_new_topic have the same name"):
        lessons.parse({"lessons": [_entry(), _entry()]})
    with pytest.raises(lessons.ManifestError, match="top-level key 'lessons'"):
        lessons.parse([_entry()])
    (tmp_path / course.MANIFEST).parent.mkdir(parents=True)
    (tmp_path / course.MANIFEST).write_text("lessons:\n- name: 01_x\n  number: [1\n")
    assert course.main(["check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not valid YAML" in err and "Traceback" not in err


def test_every_anchor_value_is_in_its_quoted_sentence():
    """The figure is the one the quoted sentence gives (96% is '~96%', 88.82% is 'val_accuracy: 0.8882')."""
    for lesson in LESSONS:
        for a in lesson.anchors:
            forms = {f"{a.value * 100:g}%", f"{a.value:g}"}
            assert any(form in a.quote for form in forms), (lesson.name, a.value, a.quote)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed texts at {SEEDS}")
def test_every_seed_quote_is_verbatim_in_its_seed_file():
    seeded = [(x.name, a) for x in LESSONS for a in x.anchors if a.seed]
    assert seeded, "no anchor quotes a seed file"
    for name, a in seeded:
        path = SEEDS / a.source
        assert path.is_file(), f"{name}: anchor source {a.source} is not a file of {SEEDS}"
        assert a.quote in path.read_text(encoding="utf-8"), f"{name}: not found verbatim in {a.source}: {a.quote!r}"


def test_the_manifest_times_are_those_of_book_bench(course_copy):
    """The run times in the manifest are the measurements in book/bench (make bench, make test-full)."""
    shutil.copytree(ROOT / "book" / "bench", course_copy / "book" / "bench", dirs_exist_ok=True)
    assert course.times(course_copy) == [], "run python tools/course.py times, then sync"


def test_times_copies_each_measurement_with_its_device_and_date(course_copy):
    bench_dir = course_copy / "measured"
    bench_dir.mkdir()
    machine = {"device": {"kind": "CPU", "count": 4, "name": "x"}, "date": "2027-02-03T10:00:00"}
    (bench_dir / "bench.json").write_text(json.dumps({"machine": machine, "lessons": [
        {"lesson": "01_save_load_resume", "seconds": 150.0, "error": None, "standins": True},
        {"lesson": "02_emnist_head_swap", "seconds": 9.0, "error": "CellExecutionError: x"}]}))
    (bench_dir / "full_profile.json").write_text(json.dumps({
        "offline": False, "date": "2027-02-04", "device_info": {"kind": "GPU", "count": 1, "name": "T4"},
        "lessons": {"01_save_load_resume": {"seconds": 6000.0, "failed": 0, "data": [{"real": True}]}}}))
    before = {x.name: x.measured for x in course.load(course_copy)}
    assert course.times(course_copy, bench_dir) == ["01_save_load_resume"]
    after = {x.name: x for x in course.load(course_copy)}
    assert after["02_emnist_head_swap"].measured == before["02_emnist_head_swap"]   # a failed run keeps its time
    assert course.run_time_line(after["01_save_load_resume"]) == (
        "Run time, measured: quick profile 2.5 min (CPU, 4 cores, offline stand-ins, 2027-02-03) · full profile "
        "1.7 h (1 × GPU (T4), 2027-02-04) ([details](../results.md))")
    assert course.stale(course_copy) == ["notebooks/01_save_load_resume.ipynb"]


def test_the_other_views_are_read_from_the_manifest():
    assert preflight.LESSON_FILES == {x.name: x.files for x in LESSONS}
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        import results_table
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))
    assert results_table.ANCHORS == {x.name: [(a.label, a.value, a.citation) for a in x.anchors]
                                     for x in LESSONS if x.anchors}
    declared = [b.key for x in LESSONS for b in x.backbones if b.app]
    assert list(bench.BACKBONES) == declared and bench.Settings().backbones == tuple(declared)
    assert bench.BACKBONES["MobileNet_025"].lesson == "5, 8"          # declared by lesson 5, named by lesson 8


def test_the_manifest_is_package_data():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[tool.setuptools.package-data]\ntlcourse = ["lessons.yml"]' in pyproject
    assert lessons.PATH == ROOT / course.MANIFEST or lessons.PATH.read_bytes() == (ROOT / course.MANIFEST).read_bytes()
