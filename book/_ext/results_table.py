"""Sphinx extension: the ``results-table`` directive renders the results JSON the lessons wrote in this build.

Sphinx reads documents in sorted order, so ``results.md`` (at the book's root) is read after ``notebooks/*``,
i.e. after myst-nb has executed (or taken from the cache) every lesson. The page is re-read on every build so the
table always shows the newest results present in ``TLCOURSE_RESULTS_DIR`` (default ``_build/results``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

DOCNAME = "results"


def _results_dir(app) -> Path:
    value = os.environ.get("TLCOURSE_RESULTS_DIR", "").strip()
    return Path(value) if value else Path(app.srcdir) / "_build" / "results"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _table(headers: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for cells, parent in [(headers, head)] + [(r, body) for r in rows]:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=cell)
            row += entry
        parent += row
    return table


class ResultsTable(Directive):
    has_content = False

    def run(self):
        app = self.state.document.settings.env.app
        folder = _results_dir(app)
        loaded = []
        for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                loaded.append((f, json.loads(f.read_text())))
            except (OSError, ValueError):
                continue  # a file being written by another process, or not ours
        lessons = [r for _, r in loaded if isinstance(r, dict) and "lesson" in r and "metrics" in r]
        checks = {f.stem: r for f, r in loaded if f.stem in ("reliability", "idempotence")}
        out = _checks_section(checks)
        if not lessons:
            return [nodes.paragraph(text=f"No results yet: no lesson has written results to {folder} in this "
                                         "build.")] + out
        lesson_sections = []
        for r in lessons:
            dev = r.get("device", {})
            section = nodes.section(ids=[nodes.make_id(f"results-{r['lesson']}")])
            section += nodes.title(text=r["lesson"])
            data = "; ".join(f"{k}: {v['description']}" for k, v in r.get("data", {}).items()) or "n/a"
            weights = "; ".join(f"{k}: {v['description']}" for k, v in r.get("weights", {}).items()) or "n/a"
            facts = [
                ["run finished", r.get("finished", "?")],
                ["profile", r.get("profile", "?")],
                ["device", f"{dev.get('kind')} × {dev.get('count')} ({dev.get('name')})"],
                ["TensorFlow / Keras", f"{r.get('tensorflow')} / {r.get('keras')}"],
                ["network", "offline" if r.get("offline") else "online"],
                ["data", data],
                ["weights", weights],
                ["stand-ins", "; ".join(f"{s['replaces']} → {s['standin']}" for s in r.get("standins", [])) or "none"],
                ["total wall time (s)", _fmt(r.get("total_wall_time_s"))],
            ]
            section += _table(["", ""], facts)
            rows = [[phase, name, _fmt(v)] for phase, ms in r.get("metrics", {}).items() for name, v in ms.items()]
            rows += [[phase, "wall time (s)", _fmt(t)] for phase, t in r.get("timings_s", {}).items()]
            if rows:
                section += _table(["phase", "measure", "value"], rows)
            lesson_sections.append(section)
        return lesson_sections + out


def _checks_section(checks: dict) -> list:
    """The test suite's own measurements, when `make test` ran in this checkout: download faults, reruns."""
    if not checks:
        return []
    section = nodes.section(ids=["results-course-checks"])
    section += nodes.title(text="Checks of the course itself (make test)")
    rel = checks.get("reliability")
    if isinstance(rel, dict) and "faults_tried" in rel:
        section += nodes.paragraph(text=(
            f"Download and file faults injected by the tests: {rel['faults_tried']} tried, "
            f"{rel['faults_survived']} survived, {rel['files_lost_or_corrupted']} files lost or corrupted."))
    idem = checks.get("idempotence")
    if isinstance(idem, dict) and idem:
        rows = [[name, _fmt(v.get("seconds_run_1")), _fmt(v.get("seconds_run_2")), v.get("profile", "?"),
                 str(len(v.get("reference_cells_changed_on_rerun", [])))]
                for name, v in sorted(idem.items()) if isinstance(v, dict)]
        section += nodes.paragraph(text="Every lesson run twice in one kernel (seconds of wall time):")
        section += _table(["lesson", "first run", "second run", "profile", "reference cells changed"], rows)
    return [section]


def _always_reread(app, env, added, changed, removed):
    return [DOCNAME] if DOCNAME in env.found_docs else []


def setup(app):
    app.add_directive("results-table", ResultsTable)
    app.connect("env-get-outdated", _always_reread)
    return {"version": "0.1", "parallel_read_safe": False, "parallel_write_safe": True}
