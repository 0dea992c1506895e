"""book/_ext/results_table.py in a real (small) Sphinx build: the instructor notes' lesson table is filled even though
Sphinx reads that page before the lessons run."""

import json
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_lesson_table_is_filled_although_its_page_is_read_before_the_lessons(tmp_path, monkeypatch):
    sphinx_app = pytest.importorskip("sphinx.application")
    src, results = tmp_path / "src", tmp_path / "results"
    src.mkdir()
    monkeypatch.setenv("TLCOURSE_RESULTS_DIR", str(results))
    # `a_notes` sorts before `z_lesson`, as book/instructor_notes before notebooks/*. Reading z_lesson writes the
    # results JSON, as myst-nb's execution of a lesson does in the real build.
    (src / "conf.py").write_text(textwrap.dedent(f"""
        import json, os, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / "book" / "_ext")!r})
        extensions = ["results_table"]

        def run_the_lesson(app, docname, source):
            if docname == "z_lesson":
                out = Path(os.environ["TLCOURSE_RESULTS_DIR"])
                out.mkdir(exist_ok=True)
                (out / "99_demo_lesson.json").write_text(json.dumps({{
                    "lesson": "99_demo_lesson", "profile": "quick", "metrics": {{}}, "standins": [],
                    "device": {{"kind": "CPU", "name": "test CPU", "count": 1}}, "total_wall_time_s": 90,
                    "timings_s": {{"train": 42.0}}}}))

        def setup(app):
            app.connect("source-read", run_the_lesson)
        """))
    (src / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   a_notes\n   z_lesson\n")
    (src / "a_notes.rst").write_text("Notes\n=====\n\n.. lesson-timings::\n\n.. course-checks::\n")
    (src / "z_lesson.rst").write_text("Lesson\n======\n\nText.\n")
    app = sphinx_app.Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                            status=None, warning=None, freshenv=True, warningiserror=True)   # as the -W build
    app.build()
    html = (tmp_path / "html" / "a_notes.html").read_text()
    assert "99_demo_lesson" in html and "train 42 s" in html and "1.5" in html   # 90 s = 1.5 minutes
    assert "No lesson has written results" not in html
    assert "No test-suite measurements" in html            # no reliability.json: said so, not an empty table
    assert json.loads((results / "99_demo_lesson.json").read_text())["lesson"] == "99_demo_lesson"
