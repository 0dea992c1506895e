"""tlcourse.features: the disk cache of computed arrays (real files, atomic writes)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tlcourse import features


def test_cached_arrays_hit_miss_and_keys(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"train": np.arange(6, dtype=np.float16).reshape(2, 3), "test": np.ones((1, 3), np.float16)}

    settings = {"model": "m", "size": 32}
    a, info = features.cached_arrays("feat", settings, compute, folder=tmp_path)
    assert not info["hit"] and len(calls) == 1
    b, info2 = features.cached_arrays("feat", dict(settings), compute, folder=tmp_path)
    assert info2["hit"] and len(calls) == 1 and info2["compute_seconds"] == pytest.approx(info["seconds"], abs=1e-3)
    np.testing.assert_array_equal(a["train"], b["train"])
    assert b["test"].dtype == np.float16
    # other settings, other key: computed again, the first cache untouched
    features.cached_arrays("feat", {**settings, "size": 64}, compute, folder=tmp_path)
    assert len(calls) == 2 and len(list(tmp_path.glob("feat-*.json"))) == 2
    # a damaged cache is not trusted
    meta = Path(info["path"])
    next(tmp_path.glob(f"{meta.stem}.train.npy")).unlink()
    _, info3 = features.cached_arrays("feat", settings, compute, folder=tmp_path)
    assert not info3["hit"] and len(calls) == 3
    doc = json.loads(meta.read_text())
    doc["settings"]["size"] = 33
    meta.write_text(json.dumps(doc))
    assert not features.cached_arrays("feat", settings, compute, folder=tmp_path)[1]["hit"]
    with pytest.raises(TypeError):
        features.cached_arrays("bad", {}, lambda: [1, 2], folder=tmp_path)


def test_cached_arrays_leaves_no_partial_files_and_rejects_bad_input(tmp_path):
    def broken():
        raise RuntimeError("computation failed")

    with pytest.raises(RuntimeError):
        features.cached_arrays("feat", {"a": 1}, broken, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []
    features.cached_arrays("feat", {"a": 1}, lambda: {"x": np.zeros(3)}, folder=tmp_path)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npy"]   # no temporary files left
    with pytest.raises(ValueError, match="file-name-safe"):
        features.cached_arrays("a/b", {}, lambda: {}, folder=tmp_path)
    with pytest.raises(TypeError, match="dict of what the arrays depend on"):
        features.cached_arrays("feat", ["a"], lambda: {}, folder=tmp_path)
    with pytest.raises(TypeError, match="must be a function"):
        features.cached_arrays("feat", {}, None, folder=tmp_path)
