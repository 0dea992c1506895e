"""Sphinx extension: pages built from the results JSON that the lessons wrote in this build.

Directives:

``results-table``
    For each lesson: a table of the run's facts (profile, device, real or stand-in data and weights, wall times),
    a table of its metrics, a chart of its accuracies, and the published headline figures of the course's anchors,
    quoted as theirs. A run that used a stand-in is labelled so, and its numbers are never drawn next to an anchor.
``lesson-timings``
    Minutes per lesson measured by this build (the lessons' own timers), for the instructor notes.
``course-checks``
    The test suite's own measurements (reliability.json, idempotence.json), for the instructor notes.

Sphinx reads documents in sorted order and myst-nb executes each lesson while reading it: ``results.md`` is read
after ``notebooks/*``, but ``book/instructor_notes.md`` before them. So ``lesson-timings`` and ``course-checks``
leave a placeholder that is filled when the page is written (``doctree-resolved``, after every lesson ran), while
``results-table`` (whose charts Sphinx must collect while reading) is built in place. Both pages are re-read on every
build so they always show the newest results in ``TLCOURSE_RESULTS_DIR`` (default ``_build/results``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

DOCNAMES = ("results", "book/instructor_notes")
CHART_DIR = "_build/results_charts"   # under the book's root; Sphinx copies the images into _images/

# Headline figures of the course's anchors for a full run with real data and weights. They are the anchors'
# numbers, quoted with their source, never this build's: (label, value, source) from the lesson manifest
# (src/tlcourse/lessons.yml, `anchors:`), where each gives the exact sentence it comes from.
def _anchors() -> dict[str, list[tuple[str, float, str]]]:
    from tlcourse import lessons

    return {x.name: [(a.label, a.value, a.citation) for a in x.anchors] for x in lessons.load() if x.anchors}


ANCHORS = _anchors()


def _results_dir(app) -> Path:
    value = os.environ.get("TLCOURSE_RESULTS_DIR", "").strip()
    return Path(value) if value else Path(app.srcdir) / "_build" / "results"


def _load(app) -> tuple[list[dict], dict]:
    folder = _results_dir(app)
    loaded = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            loaded.append((f, json.loads(f.read_text())))
        except (OSError, ValueError):
            continue  # a file being written by another process, or not ours
    lessons = [r for _, r in loaded if isinstance(r, dict) and "lesson" in r and "metrics" in r]
    checks = {f.stem: r for f, r in loaded if f.stem in ("reliability", "idempotence")}
    return lessons, checks


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _table(headers: list[str], rows: list[list[str]], caption: str | None = None) -> nodes.table:
    table = nodes.table()
    if caption:
        table += nodes.title(text=caption)
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


def _uses_standin(r: dict) -> bool:
    return bool(r.get("standins")) or any(not v.get("real", True) for k in ("data", "weights")
                                          for v in r.get(k, {}).values())


def _device(r: dict) -> str:
    dev = r.get("device", {})
    return f"{dev.get('kind')} × {dev.get('count')} ({dev.get('name')})"


def _accuracies(r: dict) -> list[tuple[str, float]]:
    return [(phase, float(ms["accuracy"])) for phase, ms in r.get("metrics", {}).items()
            if isinstance(ms, dict) and isinstance(ms.get("accuracy"), (int, float))]


def _chart(app, r: dict, standin: bool) -> nodes.Node | None:
    """A bar chart of the run's accuracies (PNG), with the anchors' figures drawn only for an all-real full run."""
    accs = _accuracies(r)
    if not accs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    anchors = ANCHORS.get(r["lesson"], []) if (not standin and r.get("profile") == "full") else []
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(accs) + 1.4), dpi=100)
    labels = [p.replace("_", " ") for p, _ in accs]
    ax.barh(labels, [a for _, a in accs], color="#9e9e9e" if standin else "#1f6fb2",
            hatch="//" if standin else None, edgecolor="black", linewidth=0.5)
    for i, (_, a) in enumerate(accs):
        ax.text(min(a, 1.0) + 0.01, i, f"{a:.3f}", va="center", fontsize=9)
    for _label, value, _ in anchors:
        ax.axvline(value, color="#b35806", linestyle="--", linewidth=1)
        ax.text(value, len(accs) - 0.4, f" anchor {value:.0%}", color="#b35806", fontsize=8, rotation=90, va="top")
    ax.set_xlim(0, 1.12)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy")
    kind = "STAND-IN run (not the real experiment)" if standin else "real data and weights"
    ax.set_title(f"{r['lesson']} · profile {r.get('profile')} · {r.get('device', {}).get('kind')} · {kind}",
                 fontsize=9)
    fig.tight_layout()
    out = Path(app.srcdir) / CHART_DIR
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{r['lesson']}.png"
    fig.savefig(path)
    plt.close(fig)
    alt = (f"Bar chart of the accuracies measured by {r['lesson']} in this build ({kind}, profile "
           f"{r.get('profile')}): " + "; ".join(f"{p.replace('_', ' ')} {a:.3f}" for p, a in accs) + ".")
    figure = nodes.figure()
    figure += nodes.image(uri=f"/{CHART_DIR}/{path.name}", alt=alt, candidates={"*": f"{CHART_DIR}/{path.name}"})
    figure += nodes.caption(text=f"Accuracies of {r['lesson']} in this build ({kind}).")
    return figure


class ResultsTable(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        app = env.app
        lessons, _ = _load(app)
        if not lessons:
            return [nodes.paragraph(text=f"No results yet: no lesson has written results to {_results_dir(app)} in "
                                         "this build.")]
        sections = []
        for r in lessons:
            standin = _uses_standin(r)
            section = nodes.section(ids=[nodes.make_id(f"results-{r['lesson']}")])
            section += nodes.title(text=r["lesson"])
            if standin:
                note = nodes.caution()
                note += nodes.paragraph(text=(
                    "This run used an announced offline stand-in (listed below). Its numbers show that the code "
                    "works; they are not the experiment's results and are not comparable with the anchors' figures."))
                section += note
            data = "; ".join(f"{v['description']} ({'real' if v.get('real') else 'STAND-IN'})"
                             for v in r.get("data", {}).values()) or "n/a"
            weights = "; ".join(f"{v['description']} ({'real' if v.get('real') else 'STAND-IN'})"
                                for v in r.get("weights", {}).values()) or "n/a"
            facts = [
                ["run finished", r.get("finished", "?")],
                ["profile", r.get("profile", "?")],
                ["device", _device(r)],
                ["TensorFlow / Keras", f"{r.get('tensorflow')} / {r.get('keras')}"],
                ["network", "offline" if r.get("offline") else "online"],
                ["data", data],
                ["weights", weights],
                ["stand-ins", "; ".join(f"{s['replaces']} → {s['standin']}" for s in r.get("standins", [])) or "none"],
                ["total wall time (s)", _fmt(r.get("total_wall_time_s"))],
            ]
            section += _table(["fact", "value"], facts, caption=f"{r['lesson']}: the run")
            tag = " (stand-in run)" if standin else ""
            rows = [[phase, name, _fmt(v) + tag] for phase, ms in r.get("metrics", {}).items()
                    if isinstance(ms, dict) for name, v in ms.items()]
            rows += [[phase, "wall time (s)", _fmt(t)] for phase, t in r.get("timings_s", {}).items()]
            if rows:
                section += _table(["phase", "measure", "value"], rows, caption=f"{r['lesson']}: measured")
            chart = _chart(app, r, standin)
            if chart is not None:
                section += chart
            anchors = ANCHORS.get(r["lesson"], [])
            if anchors:
                section += _table(["published result (theirs, full run, real data and weights)", "value", "source"],
                                  [[label, f"{value:.1%}", source] for label, value, source in anchors],
                                  caption=f"{r['lesson']}: the anchors' headline figures")
            sections.append(section)
        return sections


class pending_results(nodes.General, nodes.Element):
    """A placeholder for a table filled in when the page is written, after every lesson has run."""


def _placeholder(kind: str) -> list[nodes.Node]:
    return [pending_results(kind=kind)]


def _fill_placeholders(app, doctree, docname):
    for node in list(doctree.findall(pending_results)):
        new = _BUILDERS[node["kind"]](app) or [nodes.paragraph(text="")]
        for part in new:              # read-time ids are assigned already: give the new tables theirs (numfig)
            for table in part.findall(nodes.table):
                if not table["ids"]:
                    doctree.set_id(table)
        node.replace_self(new)


class LessonTimings(Directive):
    """Minutes per lesson measured by this build: the lessons' own timings, not numbers typed by hand."""
    has_content = False

    def run(self):
        return _placeholder("lesson-timings")


def _lesson_timings(app) -> list[nodes.Node]:
    lessons, _ = _load(app)
    if not lessons:
        return [nodes.paragraph(text="No lesson has written results in this build yet, so there are no "
                                     "measured times to show.")]
    rows = [[r["lesson"], r.get("profile", "?"), _device(r), f"{r.get('total_wall_time_s', 0) / 60:.1f}",
             "; ".join(f"{k} {v:.0f} s" for k, v in r.get("timings_s", {}).items()) or "–",
             "yes" if _uses_standin(r) else "no"] for r in lessons]
    return [_table(["lesson", "profile", "device", "minutes (whole lesson)", "timed steps", "stand-ins"], rows,
                   caption="Lesson run times measured by the build of this book")]


class CourseChecks(Directive):
    """The test suite's own measurements, when `make test` ran in this checkout: download faults, reruns."""
    has_content = False

    def run(self):
        return _placeholder("course-checks")


def _course_checks(app) -> list[nodes.Node]:
    _, checks = _load(app)
    if not checks:
        return [nodes.paragraph(text="No test-suite measurements in this build (they are written by make test: "
                                     "reliability.json and idempotence.json).")]
    out = []
    rel = checks.get("reliability")
    if isinstance(rel, dict) and "faults_tried" in rel:
        out.append(nodes.paragraph(text=(
            f"Download and file faults injected by the tests: {rel['faults_tried']} tried, "
            f"{rel['faults_survived']} survived, {rel['files_lost_or_corrupted']} files lost or corrupted.")))
    idem = checks.get("idempotence")
    if isinstance(idem, dict) and idem:
        rows = [[name, _fmt(v.get("seconds_run_1")), _fmt(v.get("seconds_run_2")), v.get("profile", "?"),
                 str(len(v.get("reference_cells_changed_on_rerun", [])))]
                for name, v in sorted(idem.items()) if isinstance(v, dict)]
        out.append(_table(["lesson", "first run (s)", "second run (s)", "profile", "reference cells changed"],
                          rows, caption="Every lesson run twice in one kernel"))
    return out


_BUILDERS = {"lesson-timings": _lesson_timings, "course-checks": _course_checks}   # what fills each placeholder


def _always_reread(app, env, added, changed, removed):
    return [d for d in DOCNAMES if d in env.found_docs]


def setup(app):
    app.add_directive("results-table", ResultsTable)
    app.add_directive("lesson-timings", LessonTimings)
    app.add_directive("course-checks", CourseChecks)
    app.connect("env-get-outdated", _always_reread)
    app.connect("doctree-resolved", _fill_placeholders)
    return {"version": "0.2", "parallel_read_safe": False, "parallel_write_safe": True}
