"""tlcourse.start / Run: profiles, seeds, banner, stand-ins, results JSON."""

import json

import numpy as np
import pytest

import tlcourse
from tlcourse import runtime

PROFILES = {"quick": {"epochs": 1, "n": 10}, "full": {"epochs": 5, "n": None}}


def test_default_profile_follows_the_device_and_banner(course_env, monkeypatch, capsys):
    monkeypatch.delenv("TLCOURSE_PROFILE", raising=False)
    run = tlcourse.start("unit_lesson", PROFILES, seed=7)
    out = capsys.readouterr().out
    device = runtime.detect_device()           # CPU on the course's CI, GPU on a GPU machine
    expected = "full" if device["kind"] == "GPU" else "quick"
    assert run.device["kind"] == device["kind"] and run.profile == expected
    assert run.params.epochs == PROFILES[expected]["epochs"]
    assert "TensorFlow 2.21.0" in out and "Keras 3.15.1" in out and f"profile {expected}" in out and "seed 7" in out
    assert run.describe_device() in out


def test_keras_cache_is_not_the_users(tmp_path):
    """tests/conftest.py isolates Keras's cache: no test reads or writes ~/.keras."""
    import os
    from pathlib import Path

    import keras
    from keras.src.backend import config

    from tlcourse import assets

    users = (Path.home() / ".keras").resolve()
    keras_cache = Path(config.keras_home()).resolve()
    assert keras_cache != users and users not in keras_cache.parents
    assert keras_cache == Path(os.environ["KERAS_HOME"]).resolve() == assets.keras_home().resolve()
    # what keras.utils.get_file would write lands in that folder too
    source = tmp_path / "tiny.txt"
    source.write_text("x")
    got = Path(keras.utils.get_file("tlcourse_unit_tiny.txt", source.as_uri())).resolve()
    assert keras_cache in got.parents
    got.unlink()


def test_profile_from_environment(course_env, monkeypatch):
    monkeypatch.setenv("TLCOURSE_PROFILE", "full")
    assert tlcourse.start("unit_lesson", PROFILES).params.epochs == 5
    monkeypatch.setenv("TLCOURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="quick, full"):
        tlcourse.start("unit_lesson", PROFILES)


def test_profiles_must_name_both(course_env):
    with pytest.raises(ValueError, match="exactly the keys"):
        tlcourse.start("unit_lesson", {"quick": {}})


def test_start_rejects_wrong_inputs(course_env):
    profiles = {"quick": {"epochs": 1}, "full": {"epochs": 2}}
    with pytest.raises(ValueError, match="file name"):
        tlcourse.start("../../etc/evil", profiles)  # would name a results file outside the results folder
    with pytest.raises(ValueError, match="dict of the lesson's knobs"):
        tlcourse.start("lesson", {"quick": 3, "full": {"epochs": 2}})
    with pytest.raises(ValueError, match="non-negative integer"):
        tlcourse.start("lesson", profiles, seed=-1)


def test_seed_makes_keras_deterministic(course_env):
    import keras

    def draw():
        tlcourse.start("unit_lesson", PROFILES, seed=3)
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return np.array(layer.kernel), np.random.rand(3)

    (k1, r1), (k2, r2) = draw(), draw()
    np.testing.assert_array_equal(k1, k2)
    np.testing.assert_array_equal(r1, r2)


def test_standin_only_offline(course_env, monkeypatch, capsys):
    monkeypatch.delenv("TLCOURSE_OFFLINE", raising=False)
    run = tlcourse.start("unit_lesson", PROFILES)
    with pytest.raises(RuntimeError, match="only for"):
        run.standin("noise", "real data", "test")
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = tlcourse.start("unit_lesson", PROFILES)
    run.standin("noise", "real data", "because")
    assert "STAND-IN" in capsys.readouterr().out


def test_results_json(course_env, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_PROFILE", "quick")
    run = tlcourse.start("unit_lesson", PROFILES)
    run.standin("subset", "full data", "offline")
    run.used_data("digits", "a subset", real=False)
    with run.timer("train"):
        pass
    run.record("test", accuracy=np.float32(0.5), loss=1.25, epochs=3)
    path = run.save()
    assert path == course_env / "results" / "unit_lesson.json"
    saved = json.loads(path.read_text())
    assert saved["metrics"]["test"] == {"accuracy": 0.5, "loss": 1.25, "epochs": 3}
    assert saved["real"] is False and saved["standins"][0]["replaces"] == "full data"
    assert saved["profile"] == "quick" and "train" in saved["timings_s"]
    assert saved["device"]["kind"] == runtime.detect_device()["kind"]
    assert saved["keras"] == "3.15.1" and saved["offline"] is True




def test_notebook_saves_after_every_cell_and_times_the_cell_before(course_env):
    """In a kernel, start() installs hooks: the results JSON exists without a save cell, and run.took() records
    the wall time of the cell run just before it. Re-running the set-up cell replaces the hooks (one save each)."""
    import nbformat
    from nbclient import NotebookClient

    cells = ['import time, tlcourse\nrun = tlcourse.start("hooked", {"quick": {}, "full": {}})',
             "time.sleep(0.4)",
             'run.took("sleep")',
             'print(round(run.timings["sleep"], 1))',
             'run = tlcourse.start("hooked", {"quick": {}, "full": {}})\n'
             'import IPython\nprint(len(IPython.get_ipython().events.callbacks["post_run_cell"]))']
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert nb.cells[2].outputs == []                                    # a bookkeeping cell shows nothing
    assert nb.cells[3].outputs[0]["text"].strip() in {"0.4", "0.5"}
    saved = json.loads((course_env / "results" / "hooked.json").read_text())   # written by the hook, no save()
    assert saved["lesson"] == "hooked"
    assert nb.cells[4].outputs[-1]["text"].splitlines()[-1] == "1"      # the first run's hook was replaced, not added


def test_took_outside_a_notebook_says_what_to_do(course_env):
    run = tlcourse.start("unit_lesson", PROFILES)
    with pytest.raises(RuntimeError, match="run.timer"):
        run.took("train")


def test_in_a_kernel_tensorflow_logs_no_info_lines_after_start(course_env, tmp_path):
    """TensorFlow's logger prints INFO to stdout in Jupyter (tf_logging.py, interactive shell); start() sets WARNING."""
    import nbformat
    from nbclient import NotebookClient

    def save(name):
        return f"tf.saved_model.save(tf.Module(), {str(tmp_path / name)!r})"

    cells = ["import tensorflow as tf, tlcourse", save("before"),                 # before start(): INFO lines
             'run = tlcourse.start("logs", {"quick": {}, "full": {}})', save("after")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()

    def text(cell):
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    assert "INFO:tensorflow" in text(nb.cells[1])          # TensorFlow's default in a kernel
    assert "INFO:tensorflow" not in text(nb.cells[3])
