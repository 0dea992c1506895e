"""tools/book_cache.py: nbval's run of a lesson goes into the book's execution cache (so `make test` executes each
lesson once), and a lesson with a failing cell does not."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A lesson")]
                                  + [nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, path)


def test_nbval_outputs_are_what_the_book_build_finds_in_its_cache(tmp_path):
    from jupyter_cache import get_cache

    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    _notebook(good, "x = 6 * 7", "print('the answer is', x)", "x", "answer = ...   # a challenge's starter cell")
    nb = nbformat.read(good, as_version=4)
    nb.cells[-1].metadata["tags"] = ["nbval-skip", "skip-execution"]       # never run, by nbval or by the book
    nbformat.write(nb, good)
    _notebook(bad, "print('before')", "1 / 0")
    cache_dir = tmp_path / "cache"
    env = dict(os.environ, TLCOURSE_BOOK_CACHE=str(cache_dir),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", "-p", "tools.book_cache", str(good), str(bad)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stdout[-2000:]          # bad.ipynb fails, as it should
    assert "good.ipynb: stored" in proc.stdout and "bad.ipynb: not stored" in proc.stdout, proc.stdout[-2000:]

    cache = get_cache(str(cache_dir))
    record = cache.match_cache_notebook(nbformat.read(good, as_version=4))   # what myst-nb does in cache mode
    _, executed = cache.merge_match_into_notebook(nbformat.read(good, as_version=4))
    assert record.data["executed_by"] == "nbval (make test)"
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code[1].outputs[0]["text"] == "the answer is 42\n"
    assert code[2].outputs[0]["data"]["text/plain"] == "42" and code[2].execution_count == 3
    assert code[3].outputs == [] and code[3].execution_count is None       # the starter cell: stored, not run
    with pytest.raises(KeyError):                              # the failed lesson: the book build executes it
        cache.match_cache_notebook(nbformat.read(bad, as_version=4))
