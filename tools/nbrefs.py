"""Notebook policy for the lessons.

Lessons are committed with every output cleared except the cells tagged ``nbval-check-output`` (nbval's own
cell tag): their outputs are the references that ``pytest --nbval-lax`` compares (deterministic facts only:
shapes, parameter counts, class names). nbval's comment markers (``# NBVAL_CHECK_OUTPUT``) are not used: a
reader of the book would see them.

    python tools/nbrefs.py refresh notebooks/*.ipynb   # execute, then keep only the reference outputs
    python tools/nbrefs.py strip   notebooks/*.ipynb   # keep only reference outputs, without executing
    python tools/nbrefs.py check   notebooks/*.ipynb   # exit 1 if a notebook breaks the policy
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

TAG = "nbval-check-output"
COMMENT_MARKERS = ("NBVAL_CHECK_OUTPUT", "NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")


def is_reference(cell) -> bool:
    return cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])


def strip(nb):
    """Clear outputs of unmarked cells; in marked cells keep stdout and results, drop stderr and metadata."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if is_reference(cell):
            kept = []
            for o in cell.outputs:
                if o.output_type == "stream" and o.name == "stderr":
                    continue
                o.pop("metadata", None) if o.output_type == "stream" else None
                if o.output_type == "stream" and kept and kept[-1].output_type == "stream" \
                        and kept[-1].name == o.name:
                    kept[-1].text += o.text      # one stream, however the kernel happened to flush it
                else:
                    kept.append(o)
            cell.outputs = kept
        else:
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def problems(nb) -> list[str]:
    """Policy violations of one notebook (empty list when it complies)."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        comments = [m for m in COMMENT_MARKERS
                     if any(line.strip().lstrip("#").strip() == m for line in cell.source.splitlines())]
        if comments:
            out.append(f"cell {i}: comment marker {comments[0]}: use nbval's cell tag instead "
                       f"({comments[0].lower().replace('_', '-')})")
        if is_reference(cell):
            if not cell.outputs:
                out.append(f"cell {i}: tagged {TAG} but has no reference output (run `make refresh-refs`)")
            if any(o.output_type == "error" for o in cell.outputs):
                out.append(f"cell {i}: its reference output is an error")
        elif cell.outputs:
            out.append(f"cell {i}: untagged cell with committed outputs (run `python tools/nbrefs.py strip`)")
    return out


def refresh(path: Path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    print(f"executing {path} ...", flush=True)
    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(strip(nb), path)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"refresh", "strip", "check"}:
        print(__doc__)
        return 2
    command, paths = argv[0], [Path(p) for p in argv[1:]]
    bad = 0
    for path in paths:
        if command == "refresh":
            refresh(path)
        elif command == "strip":
            nbformat.write(strip(nbformat.read(path, as_version=4)), path)
        else:
            for p in problems(nbformat.read(path, as_version=4)):
                print(f"{path}: {p}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
