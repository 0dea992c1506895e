"""Course-wide policies: notebook outputs (nbval references), lesson anatomy, book table of contents, sources."""

from pathlib import Path

import nbformat
import pytest
import yaml

from tlcourse import assets
from tools import nbrefs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))   # lessons; notebooks/_template.ipynb is not one
TEMPLATE = ROOT / "notebooks" / "_template.ipynb"


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_only_in_reference_cells(path):
    assert nbrefs.problems(nbformat.read(path, as_version=4)) == []


def is_bookkeeping(cell) -> bool:
    """A cell of the run's bookkeeping: removed from the book (remove-cell), its input collapsed in JupyterLab."""
    return ("remove-cell" in cell.metadata.get("tags", [])
            and cell.metadata.get("jupyter", {}).get("source_hidden") is True)


def visible_machinery(nb) -> int:
    """run.record( + run.timer( + assert in the cells a reader of the book sees (the issue's measure)."""
    return sum(c.source.count(word) for c in nb.cells if c.cell_type == "code"
               and "remove-cell" not in c.metadata.get("tags", []) for word in ("run.record(", "run.timer(", "assert "))


def test_the_machinery_in_view_stays_within_budget():
    """At most 16 run.record/run.timer/assert in the shown cells of all lessons: the ones that teach."""
    counts = {p.name: visible_machinery(nbformat.read(p, as_version=4)) for p in NOTEBOOKS}
    assert sum(counts.values()) <= 16, counts


def anatomy_problems(nb) -> list[str]:
    """What a lesson lacks of the anatomy CONTRIBUTING.md describes (empty list when complete)."""
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    out = [f"missing {part!r}" for part in ("Questions", "Objectives", "Keypoints", "Teaching:", ":class: dropdown")
           if part not in md]
    setup = next((c for c in code if "tlcourse.start(" in c), "")
    if not ("PROFILES" in setup and '"quick"' in setup and '"full"' in setup):
        out.append("the set-up cell (tlcourse.start) must show the knobs per profile in PROFILES")
    if not any(nbrefs.is_reference(c) for c in nb.cells):
        out.append(f"at least one nbval reference cell (tag {nbrefs.TAG})")
    colab = [c for c in nb.cells if c.cell_type == "code" and "%pip install" in c.source]
    if len(colab) != 1 or "remove-cell" not in colab[0].metadata.get("tags", []):
        out.append("one Colab install cell (%pip install), tagged remove-cell (the book does not show it)")
    for c in nb.cells:
        if c.cell_type == "code" and ("run.record(" in c.source or "run.took(" in c.source) and not is_bookkeeping(c):
            out.append(f"bookkeeping (run.record, run.took) outside a hidden remove-cell cell: {c.source[:60]!r}")
    if any("allow_pickle=True" in c for c in code):
        out.append("allow_pickle=True")
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_anatomy(path):
    assert anatomy_problems(nbformat.read(path, as_version=4)) == []


def test_template_has_the_anatomy_and_stays_out_of_the_book():
    assert anatomy_problems(nbformat.read(TEMPLATE, as_version=4)) == []
    assert "notebooks/_template" not in toc_files()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "notebooks/_template.ipynb" in config["exclude_patterns"]


def test_every_lesson_is_in_the_book():
    listed = set(toc_files())
    for path in NOTEBOOKS:
        assert f"notebooks/{path.stem}" in listed, f"add notebooks/{path.stem} to _toc.yml"
    for f in listed:
        assert any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f"_toc.yml lists missing {f}"


def test_data_readme_names_every_asset():
    text = (ROOT / "data" / "README.md").read_text()
    for a in assets.ASSETS.values():
        assert f"`{a.name}`" in text, f"data/README.md must describe {a.name}"
        if a.url:
            assert a.url in text, f"data/README.md must give the URL of {a.name}"
        if a.checksum:
            assert a.checksum[1] in text, f"data/README.md must give the checksum of {a.name}"


def test_data_readme_is_generated_from_the_registry():
    from tools import data_readme      # imports tlcourse

    assert (ROOT / "data" / "README.md").read_text() == data_readme.render(), "run: python tools/data_readme.py"


def test_each_lesson_states_its_measured_run_time():
    """The first lines of each lesson (title, "Teaching:" and "Run time, measured:") are the ones tools/course.py
    renders from the lesson manifest, whose times come from the measurements in book/bench/ (make bench,
    make test-full; tests/test_manifest.py checks that they are the same)."""
    from tools import course

    found, _ = course.views(ROOT, only=("notebooks",))
    stale = [str(v.path) for v in found if v.stale]
    assert not stale, f"lesson headers not current in {stale}: run python tools/course.py sync"
    assert all(course.RUN_TIME in v.current for v in found)


def test_a_reference_output_is_one_stream_however_the_kernel_flushed_it():
    """nbrefs keeps stdout of reference cells as one output (as nbval compares it) and drops stderr."""
    cell = nbformat.v4.new_code_cell("print('one image:', (28, 28))", metadata={"tags": [nbrefs.TAG]})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="one image:"),
                    nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
                    nbformat.v4.new_output("stream", name="stdout", text=" (28, 28)\n")]
    nb = nbrefs.strip(nbformat.v4.new_notebook(cells=[cell]))
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "one image: (28, 28)\n")]
