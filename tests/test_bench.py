"""`make bench` (tools/bench.py): its FLOP counter is exact on layers whose cost is known, its pipelines are still
the lessons' pipelines, and a tiny run of every part writes a JSON, a markdown table and a chart with real numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tlcourse import lessons
from tools import bench

ROOT = Path(__file__).resolve().parents[1]


def _code(lesson: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_flops_are_counted_exactly_for_dense_and_conv_layers():
    import keras

    dense = keras.Sequential([keras.Input((3, 4, 5)), keras.layers.Flatten(), keras.layers.Dense(7)])
    assert bench.flops_per_image(dense, (3, 4, 5)) == 2 * 60 * 7 + 7            # multiply-adds, then the bias
    conv = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same", use_bias=False)])
    assert bench.flops_per_image(conv, (8, 8, 3)) == 2 * 3 * 3 * 3 * 4 * 8 * 8


@pytest.mark.parametrize("lesson, chain", [(x.name, x.pipeline) for x in lessons.load() if x.pipeline],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_the_bench_pipelines_are_still_the_lessons_pipelines(lesson, chain):
    """The bench re-builds each lesson's input pipeline; the lesson manifest (src/tlcourse/lessons.yml, `pipeline:`)
    lists the steps it relies on, in order. If a lesson changes its own, this fails: change tools/bench.py's
    `pipeline()` and the lesson's `pipeline:` with it."""
    code = _code(lesson)
    position = 0
    for step in chain:
        found = re.compile(step).search(code, position)
        assert found, (f"{lesson} no longer has {step!r} after position {position}: update tools/bench.py and the "
                       "lesson's pipeline: in src/tlcourse/lessons.yml")
        position = found.end()
    assert any(str(int(lesson[:2])) in b.lesson.split(", ") for b in bench.BACKBONES.values()), \
        f"{lesson} has a bench pipeline but no backbone in the lesson manifest"


def test_every_backbone_runs_through_the_pipeline_its_lesson_uses():
    declaring = [x.name for x in lessons.load() if any(b.app for b in x.backbones)]
    assert declaring and all(x.pipeline for x in lessons.load() if x.name in declaring), \
        "a lesson that declares a bench backbone lists its input pipeline's steps (pipeline:) in lessons.yml"
    kinds = {key: (b.source, b.pipeline) for key, b in bench.BACKBONES.items()}
    assert kinds["ResNet50"] == ("cifar10", "in_model") and kinds["DenseNet121"] == ("dollar_street", "in_model")
    assert kinds["MobileNetV2"] == kinds["EfficientNetB0"] == ("cats_dogs", "folder_cached")
    assert kinds["MobileNet_025"] == ("cats_dogs", "in_model")          # lessons 5 and 8: uint8 arrays in memory
    assert "uint8" in _code("08_distributed_training") and "as_arrays" in _code("05_mobilenetv2_cats_dogs")


def test_a_missed_target_and_a_failed_lesson_are_reported_as_such():
    data = {"machine": {"date": "2026-01-01T00:00:00", "device": {"kind": "CPU", "count": 2, "name": "x"},
                        "tensorflow": "t", "keras": "k"},
            "lessons": [{"lesson": "01_a", "seconds": 200.0, "peak_memory_mb": 2048, "error": None,
                         "seconds_met": False},
                        {"lesson": "02_b", "seconds": 3.0, "peak_memory_mb": 100, "error": "CellExecutionError: x",
                         "seconds_met": False}]}
    text = bench.markdown(data)
    assert "| 01_a | 200 s | 2.00 GiB | ✗ missed |" in text
    assert "✗ error: CellExecutionError: x" in text


@pytest.mark.skipif(not os.environ.get("TLCOURSE_MIRROR"), reason="needs the course's files (TLCOURSE_MIRROR)")
def test_a_tiny_bench_of_every_part_writes_json_table_and_chart(tmp_path):
    from PIL import Image

    env = dict(os.environ, TLCOURSE_RESULTS_DIR=str(tmp_path / "results"), TLCOURSE_PROFILE="quick")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "bench.py"), "--smoke", "--out", str(tmp_path),
                           "--lessons", "01_save_load_resume"], capture_output=True, text=True, env=env,
                          timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((tmp_path / "bench.json").read_text())
    assert set(data["parts"]) == set(bench.PARTS)
    lesson = data["lessons"][0]
    assert lesson["lesson"] == "01_save_load_resume" and lesson["error"] is None
    assert lesson["seconds"] > 1 and lesson["peak_memory_mb"] > 100      # a kernel with TensorFlow loaded
    assert (tmp_path / "results" / "01_save_load_resume.json").exists()  # the lesson ran, in the given results dir
    real = json.loads((tmp_path / "results" / "01_save_load_resume.json").read_text())["real"]
    assert lesson["standins"] is (not real)                              # read from the results JSON it wrote
    row = data["throughput"][0]
    assert row["images_per_s_model_alone"] > 0 and row["images_per_s_pipeline"] > 0
    assert row["pipeline_ratio"] == pytest.approx(row["images_per_s_pipeline"] / row["images_per_s_model_alone"],
                                                  abs=1e-3)
    assert 70e6 < row["flops_per_image"] < 100e6        # MobileNet α=0.25 at 224: about 84 M (42 M multiply-adds)
    assert data["matmul"]["peak_gflops"] > 0
    cache = data["caching"][0]
    assert cache["epoch_s_cached_features"] < cache["epoch_s_frozen_base"]
    knobs = data["knobs"]
    assert {(r["intra_op"], r["inter_op"]) for r in knobs["threads"]} == {(1, 1), (0, 0)}
    assert [r["jit_compile"] for r in knobs["xla"]] == [False, True]
    assert [len(r["rates"]) for r in knobs["autotune"]] == [3] * 5
    assert all(0 <= r["slow_passes"] <= 3 and r["min_images_per_s"] > 0 for r in knobs["autotune"])
    text = (tmp_path / "bench.md").read_text()
    for heading in ("Each lesson", "input pipeline vs the model alone", "Feature caching", "Threads, batch size"):
        assert heading in text
    with Image.open(tmp_path / "bench.png") as image:
        assert image.size[0] > 800
