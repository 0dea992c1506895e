"""Shared fixtures. Tests use real TensorFlow/Keras and real files; nothing of Keras is mocked."""

import atexit
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]


def _isolate_keras_cache() -> None:
    """No test reads or writes the user's ~/.keras: unless KERAS_HOME is set (CI sets a fresh one), point it at a
    folder of this test session, seeded with the mirror's genuine Keras files when TLCOURSE_MIRROR is set.
    Keras reads KERAS_HOME once, when it is imported, so this runs before any test module imports Keras."""
    if os.environ.get("KERAS_HOME"):
        return
    home = Path(tempfile.mkdtemp(prefix="tlcourse-tests-")) / "keras"
    mirror = os.environ.get("TLCOURSE_MIRROR", "").strip()
    for kind in ("models", "datasets"):
        (home / kind).mkdir(parents=True)
        source = Path(mirror).expanduser() / "keras" / kind if mirror else None
        if kind == "models" and source is not None and source.is_dir():
            for f in source.iterdir():
                if f.is_file():
                    shutil.copy2(f, home / kind / f.name)
    os.environ["KERAS_HOME"] = str(home)
    atexit.register(shutil.rmtree, home.parent, ignore_errors=True)


_isolate_keras_cache()


@pytest.fixture
def course_env(tmp_path, monkeypatch):
    """A private course cache and results folder; the mirror (if any) and offline flag are kept from CI."""
    data = tmp_path / "data"
    results = tmp_path / "results"
    monkeypatch.setenv("TLCOURSE_DATA", str(data))
    monkeypatch.setenv("TLCOURSE_RESULTS_DIR", str(results))
    return tmp_path


@pytest.fixture
def offline_mirror(course_env, monkeypatch, tmp_path):
    """Offline, with a private, initially empty mirror (and the private course cache of ``course_env``)."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    return mirror


@pytest.fixture
def shared_mirror():
    """The real offline mirror CI points TLCOURSE_MIRROR at; tests that need it are skipped without it."""
    value = os.environ.get("TLCOURSE_MIRROR")
    if not value or not Path(value).is_dir():
        pytest.skip("TLCOURSE_MIRROR is not set to a mirror folder (CI sets it to ../shared/mirror)")
    return Path(value)


# --------------------------------------------------------------------------- reliability fault log
class FaultLog:
    """Faults injected by the tests (tests/test_faults_*.py, and the broken files of test_checks.py and
    test_safe_loading.py) and how each ended; written to _build/results/reliability.json, whose totals the
    instructor notes show (book/_ext/results_table.py), and summarised at the end of the pytest run."""

    def __init__(self):
        self.entries: list[dict] = []
        self.written = None

    def add(self, fault: str, *, survived: bool, outcome: str, lost_or_corrupted: int = 0, detail: str = "",
            corrupt: int = 0):
        self.entries.append({"fault": fault, "survived": bool(survived), "outcome": outcome,
                             "lost_or_corrupted": int(lost_or_corrupted), "corrupt_accepted": int(corrupt),
                             "detail": detail[:500]})

    @contextlib.contextmanager
    def trial(self, fault: str):
        """Record one injected fault and how it ended. The test fills ``state``: ``outcome``, ``detail``, and
        ``lost`` (good files lost; older tests count corrupt files accepted here too) and ``corrupt`` (corrupt files
        accepted); an exception records the fault as not survived."""
        state = {"outcome": "", "lost": 0, "corrupt": 0, "detail": ""}
        try:
            yield state
        except BaseException as exc:
            self.add(fault, survived=False, outcome=f"test failed: {type(exc).__name__}", detail=str(exc),
                     lost_or_corrupted=state["lost"] + state["corrupt"], corrupt=state["corrupt"])
            raise
        bad = state["lost"] + state["corrupt"]
        self.add(fault, survived=bad == 0, outcome=state["outcome"], detail=state["detail"], lost_or_corrupted=bad,
                 corrupt=state["corrupt"])

    def totals(self) -> dict:
        return {"faults_tried": len(self.entries),
                "faults_survived": sum(e["survived"] for e in self.entries),
                "files_lost_or_corrupted": sum(e["lost_or_corrupted"] for e in self.entries),
                "files_lost": sum(e["lost_or_corrupted"] - e["corrupt_accepted"] for e in self.entries),
                "corrupt_accepted": sum(e["corrupt_accepted"] for e in self.entries)}


_FAULT_LOG = FaultLog()


@pytest.fixture(scope="session")
def fault_log():
    yield _FAULT_LOG
    if _FAULT_LOG.entries:
        import json

        from tlcourse.runtime import results_dir

        out = results_dir()
        out.mkdir(parents=True, exist_ok=True)
        _FAULT_LOG.written = out / "reliability.json"
        _FAULT_LOG.written.write_text(json.dumps({**_FAULT_LOG.totals(), "faults": _FAULT_LOG.entries}, indent=2))


def pytest_terminal_summary(terminalreporter):
    if _FAULT_LOG.entries:
        t = _FAULT_LOG.totals()
        terminalreporter.write_line(f"reliability: {t['faults_tried']} faults tried, {t['faults_survived']} "
                                    f"survived, {t['files_lost_or_corrupted']} files lost or corrupted "
                                    f"({t['files_lost']} lost, {t['corrupt_accepted']} corrupt accepted) "
                                    f"(details: {_FAULT_LOG.written})")
