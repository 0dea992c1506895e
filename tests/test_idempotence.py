"""Every lesson runs twice in a row in the SAME kernel without errors (issue 6), and the models lessons save
reload with ``safe_mode=True``.

Students re-run cells and "Run All" again in JupyterLab; a lesson must overwrite its own saved files on purpose
and never assume a clean folder or a fresh kernel. A second run in a NEW kernel is already covered by
``make test``: nbval executes every lesson in a new kernel (the strict book build renders that run's outputs
from its cache, tools/book_cache.py); after them ``make test`` runs :func:`test_saved_models_reload_safely` (no
execution), which fails when a lesson that ran did not save the models its code saves.

Cost: each lesson executes twice here, about 2x its quick-profile time (see the report in
_build/results/idempotence.json), which does not fit in the ``make test`` budget (each lesson at most twice) on
top of nbval and the book build. So it is opt-in, ``make test-rerun``, or:

    TLCOURSE_IDEMPOTENCE=1 pytest tests/test_idempotence.py                        # every lesson
    TLCOURSE_IDEMPOTENCE=01_save_load_resume pytest tests/test_idempotence.py      # some lessons (comma list)
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import time
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest

from tlcourse.runtime import results_dir
from tools import nbrefs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))   # not _template.ipynb
ARTIFACTS = ROOT / "notebooks" / "artifacts"                    # lessons run in notebooks/ and save models here
CELL_TIMEOUT = 1800  # seconds, as nbval in `make test`


def selected(path: Path) -> bool:
    value = os.environ.get("TLCOURSE_IDEMPOTENCE", "").strip()
    if value.lower() in {"1", "all", "true", "yes"}:
        return True
    return path.stem in {v.strip() for v in value.split(",") if v.strip()}


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def _record(lesson: str, entry: dict) -> None:
    from tlcourse.files import atomic_write

    out = results_dir()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "idempotence.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[lesson] = entry
    with atomic_write(path, "w") as (f, _):
        json.dump(data, f, indent=2)


def load_safely(model_path: Path):
    """Reload a lesson's ``.keras`` file with ``safe_mode=True`` and the Keras that wrote it: Keras 3, or
    ``tf_keras`` (Keras 2) for the files lesson 8's multi-worker chief saves (its ``metadata.json`` says which)."""
    import keras

    loader = keras
    with zipfile.ZipFile(model_path) as archive:
        if json.loads(archive.read("metadata.json"))["keras_version"].startswith("2."):
            import tf_keras as loader
    return loader.models.load_model(model_path, safe_mode=True, compile=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_twice_in_one_kernel(path):
    if not selected(path):
        pytest.skip("opt-in (about 2x the lesson's run time): set TLCOURSE_IDEMPOTENCE=1 or "
                    f"TLCOURSE_IDEMPOTENCE={path.stem}")
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.time()
    seconds, references = [], []
    with client.setup_kernel():
        for attempt in (1, 2):
            t0 = time.monotonic()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                cell.outputs = []
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as err:
                    pytest.fail(f"{path.name}: run {attempt} in the same kernel failed in cell {index}:\n"
                                f"{cell.source[:300]}\n{str(err)[-2000:]}")
            seconds.append(round(time.monotonic() - t0, 1))
            references.append([_stdout(c) for c in nb.cells if c.cell_type == "code" and nbrefs.is_reference(c)])

    changed = [i for i, (a, b) in enumerate(zip(*references, strict=True)) if a != b]
    if changed:  # not an error (nbval compares in a fresh kernel), but worth knowing
        warnings.warn(f"{path.name}: {len(changed)} reference cell(s) print differently on a second run in the "
                      "same kernel (e.g. Keras layer names without name=... get a suffix)", stacklevel=1)

    # The models the lesson (re)wrote still reload safely.

    saved = [p for p in (path.parent / "artifacts").glob("**/*.keras") if p.stat().st_mtime >= started]
    for model_path in saved:
        load_safely(model_path)
    _record(path.stem, {"seconds_run_1": seconds[0], "seconds_run_2": seconds[1],
                        "profile": os.environ.get("TLCOURSE_PROFILE", ""),
                        "reference_cells_changed_on_rerun": changed, "keras_files_reloaded_safely": len(saved)})
    print(f"{path.name}: run 1 {seconds[0]} s, run 2 {seconds[1]} s in the same kernel; "
          f"{len(saved)} .keras file(s) reload with safe_mode=True")


def saved_models(source: str) -> set[str]:
    """The ``.keras`` files under ``artifacts/`` that a cell's code saves: the first argument of ``<model>.save(...)``
    or of ``ModelCheckpoint(...)``, written as a string, as ``Path("...")``, or as a name the cell gave one of those."""
    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Path" \
                and len(node.args) == 1:
            return text(node.args[0])
        return None

    tree = ast.parse(source)
    names = {t.id: text(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and \
                getattr(node.func, "attr", getattr(node.func, "id", "")) in ("save", "ModelCheckpoint"):
            first = node.args[0]
            path = names.get(first.id) if isinstance(first, ast.Name) else text(first)
            if path and path.startswith("artifacts/") and path.endswith(".keras"):
                found.add(path)
    return found


def lesson_saves(path: Path) -> set[str]:
    from IPython.core.inputtransformer2 import TransformerManager

    to_python = TransformerManager().transform_cell   # %magics and !commands become plain Python calls
    nb = nbformat.read(path, as_version=4)
    return set().union(*(saved_models(to_python(c.source)) for c in nb.cells if c.cell_type == "code"))


def lessons_run_here() -> dict[str, float]:
    """The lessons whose results JSON is in the results folder (each execution writes it after every cell), with the
    time their last run started (seconds since the epoch)."""
    ran = {}
    for path in NOTEBOOKS:
        results = results_dir() / f"{path.stem}.json"
        if results.is_file():
            saved = json.loads(results.read_text())
            finished = dt.datetime.fromisoformat(saved["finished"]).timestamp()
            ran[path.stem] = finished - float(saved["total_wall_time_s"])
    return ran


def test_saved_models_finds_what_the_lessons_save():
    cell = ('model.save("artifacts/a.keras")\np = Path("artifacts/b.keras")\nmodel.save(p)\n'
            'cb = keras.callbacks.ModelCheckpoint("artifacts/best.keras", save_best_only=True)\n'
            'keras.models.load_model("artifacts/c.keras")\nmodel.save(f"{tmp}/d.keras")\nnp.save("artifacts/e.npy", x)')
    assert saved_models(cell) == {"artifacts/a.keras", "artifacts/b.keras", "artifacts/best.keras"}
    by_lesson = {p.stem[:2]: lesson_saves(p) for p in NOTEBOOKS}
    assert by_lesson["01"] >= {"artifacts/mnist_dense.keras"}, "lesson 1 saves the model lesson 2 loads"
    assert sum(len(v) > 0 for v in by_lesson.values()) >= 4, by_lesson


def test_saved_models_reload_safely():
    """Every .keras file the lessons saved (notebooks/artifacts/, after nbval and the book build) reloads with
    ``safe_mode=True``, which refuses Lambda layers and arbitrary code: what a student's reload will do. Each lesson
    that ran here (its results JSON is in the results folder) must have saved, during that run, every model its code
    saves; with no lesson run here (a fresh checkout, ``make unit``) there is nothing to check."""
    ran = lessons_run_here()
    if not ran:
        pytest.skip(f"no lesson has run here: no lesson's results JSON in {results_dir()} (make test runs this after "
                    "nbval and the book build)")
    problems = []
    for path in NOTEBOOKS:
        if path.stem not in ran:
            continue
        started = dt.datetime.fromtimestamp(ran[path.stem]).isoformat(timespec="seconds")
        for rel in sorted(lesson_saves(path)):
            model_path = path.parent / rel
            if not model_path.is_file():
                problems.append(f"{path.stem} ran (its last run started {started}) but {model_path} is missing")
            elif model_path.stat().st_mtime < ran[path.stem] - 2:
                problems.append(f"{path.stem}'s last run (started {started}) did not write {model_path}")
    assert not problems, ("the lessons did not save their models: " + "; ".join(problems) + ". Run those lessons to "
                          f"the end (or delete their results JSON in {results_dir()})")
    saved = sorted(ARTIFACTS.glob("**/*.keras"))
    if not saved:
        pytest.skip(f"the lessons that ran here ({', '.join(sorted(ran))}) save no model")
    for model_path in saved:
        load_safely(model_path)
    print(f"{len(saved)} .keras file(s) reload with safe_mode=True: {', '.join(p.name for p in saved)}")
