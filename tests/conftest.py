"""Shared fixtures. Tests use real TensorFlow/Keras and real files; nothing of Keras is mocked."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_env(tmp_path, monkeypatch):
    """A private course cache and results folder; the mirror (if any) and offline flag are kept from CI."""
    data = tmp_path / "data"
    results = tmp_path / "results"
    monkeypatch.setenv("TLCOURSE_DATA", str(data))
    monkeypatch.setenv("TLCOURSE_RESULTS_DIR", str(results))
    return tmp_path


@pytest.fixture
def shared_mirror():
    """The real offline mirror CI points TLCOURSE_MIRROR at; tests that need it are skipped without it."""
    value = os.environ.get("TLCOURSE_MIRROR")
    if not value or not Path(value).is_dir():
        pytest.skip("TLCOURSE_MIRROR is not set to a mirror folder (CI sets it to ../shared/mirror)")
    return Path(value)
