"""pytest plugin: the lessons nbval executed go into the book's execution cache, so `make test` runs each lesson once.

Loaded by the Makefile's test target (``-p tools.book_cache``) and switched on by ``TLCOURSE_BOOK_CACHE``, the book's
cache folder (``_build/.jupyter_cache``, as ``execute.cache`` in ``_config.yml``). When every cell of a lesson passed
under nbval, the lesson with the outputs nbval received from the kernel is stored in that jupyter-cache, the same
way myst-nb stores a notebook it executed itself. The strict book build that follows (``execute_notebooks: cache``)
then finds each lesson's code in the cache and renders those outputs instead of executing it a second time. A lesson
with a failed or missing cell, or one skipped other than by its nbval-skip tag, is not stored, so the book build
executes it and fails on its own.

The cache matches a notebook by its code cells' source (jupyter-cache's hash), so an edited lesson is executed again.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

_said: list[str] = []          # what was stored or not, printed at the end of the run
_runs: dict[str, dict] = {}     # notebook path -> {"nb", "outputs": {code cell number: outputs}, "ok", "start"}


def _cache_dir() -> Path | None:
    value = os.environ.get("TLCOURSE_BOOK_CACHE", "").strip()
    return Path(value) if value else None


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num") and hasattr(item.parent, "nb")


def pytest_runtest_setup(item):
    if _cache_dir() and _is_cell(item):
        _runs.setdefault(str(item.parent.path), {"nb": item.parent.nb, "outputs": {}, "ok": True, "start": time.time()})


def pytest_runtest_makereport(item, call):
    if not (_cache_dir() and _is_cell(item)) or call.when != "call":
        return
    run = _runs.get(str(item.parent.path))
    if run is None:
        return
    if call.excinfo is not None and call.excinfo.typename == "Skipped" and \
            "nbval-skip" in item.cell.metadata.get("tags", []):
        return                                   # a starter cell: never run (store() gives it no outputs)
    if call.excinfo is not None or item.test_outputs is None:
        run["ok"] = False
        return
    run["outputs"][item.cell_num] = copy.deepcopy(item.test_outputs)


def pytest_runtest_teardown(item, nextitem):
    if not (_cache_dir() and _is_cell(item)):
        return
    if nextitem is not None and getattr(nextitem, "parent", None) is item.parent:
        return                                   # not the lesson's last cell yet
    path = str(item.parent.path)
    run = _runs.pop(path, None)
    if run is not None:
        store(Path(path), run)


def store(path: Path, run: dict) -> bool:
    """Put the executed lesson into the book's cache; False (and nothing stored) unless every code cell passed."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    nb = copy.deepcopy(run["nb"])
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    # Cells tagged nbval-skip (the challenges' starter cells, also tagged skip-execution for the book) never run:
    # they are stored without outputs, as the book would leave them.
    skipped = {n for n, i in enumerate(code) if "nbval-skip" in nb.cells[i].metadata.get("tags", [])}
    for n in skipped:
        run["outputs"].setdefault(n, [])
    if not run["ok"] or sorted(run["outputs"]) != list(range(len(code))):   # nbval numbers the code cells
        _said.append(f"{path.name}: not stored (a cell failed, was skipped or did not run); the book build will "
                     "execute it")
        return False
    for number, i in enumerate(code):
        count = None if number in skipped else number + 1
        cell = nb.cells[i]
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict(o) for o in run["outputs"][number]]
        for o in cell.outputs:
            if o.output_type == "execute_result":
                o.execution_count = count
    nbformat.validate(nb)
    cache = get_cache(str(_cache_dir()))
    record = cache.cache_notebook_bundle(
        CacheBundleIn(nb, str(path.resolve()), data={"execution_seconds": round(time.time() - run["start"], 1),
                                                      "executed_by": "nbval (make test)"}),
        check_validity=False, overwrite=True)
    _said.append(f"{path.name}: stored the outputs nbval received (cache record {record.pk})")
    return True


def pytest_terminal_summary(terminalreporter):
    if _said:
        terminalreporter.section(f"book cache: {_cache_dir()}")
        for line in _said:
            terminalreporter.write_line(line)
