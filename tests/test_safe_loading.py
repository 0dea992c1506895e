"""Models and arrays load safely: Keras's safe_mode refuses a Lambda layer and reloads the course's kind of model,
and no lesson or tlcourse module loads unsafely (np.load without allow_pickle=False, safe_mode=False, Lambda layers,
pickle, a raw extractall). Every .keras file a lesson writes is reloaded with safe_mode=True by
tests/test_idempotence.py; arrays are loaded by tlcourse.checks.load_array (tests/test_checks.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _course_style_model():
    """The shape of the course's transfer-learning models: no Lambda anywhere."""
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Resizing(32, 32, pad_to_aspect_ratio=True)(inputs)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(x)
    base = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.BatchNormalization()], name="base")
    base.trainable = False
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x), name="course_style")


def test_safe_mode_refuses_lambda_and_reloads_course_models(tmp_path, fault_log):
    images = np.random.default_rng(0).uniform(0, 255, (3, 40, 30, 3)).astype("float32")
    model = _course_style_model()
    model.save(tmp_path / "course.keras")
    again = keras.models.load_model(tmp_path / "course.keras", safe_mode=True)
    np.testing.assert_allclose(again.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-5)

    inputs = keras.Input((40, 30, 3))
    lam = keras.Model(inputs, keras.layers.Lambda(lambda t: t / 255.0)(inputs))
    lam.save(tmp_path / "lambda.keras")
    with fault_log.trial("safe loading: .keras model with a Lambda layer"), \
            pytest.raises(ValueError, match="safe_mode"):
        keras.models.load_model(tmp_path / "lambda.keras")  # safe_mode=True is the default


# --------------------------------------------------------------------------- policy: no unsafe loading

def _code_sources():
    """(where, python source) of every code cell of every lesson and every module of tlcourse."""
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    to_python = TransformerManager().transform_cell  # %magics and !commands become plain Python calls
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                yield f"{path.name} cell {i}", to_python(cell.source)
    for path in sorted((ROOT / "src" / "tlcourse").glob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text()


def unsafe_calls(source: str) -> list[str]:
    """Calls that load or extract unsafely: np.load without an explicit allow_pickle=False, allow_pickle=True,
    safe_mode=False, Lambda layers, pickle.load, a raw .extractall() (use tlcourse.assets.extract)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
        for kw in node.keywords:
            if isinstance(kw.value, ast.Constant) and (kw.arg, kw.value.value) in {("allow_pickle", True),
                                                                                  ("safe_mode", False)}:
                found.append(f"{kw.arg}={kw.value.value}")
        if name == "Lambda":
            found.append("Lambda layer")
        if name in ("load", "loads") and isinstance(fn, ast.Attribute) and getattr(fn.value, "id", "") == "pickle":
            found.append("pickle.load")
        if name == "extractall":
            found.append(".extractall()")
        if name == "load" and isinstance(fn, ast.Attribute) and getattr(fn.value, "id", "") in ("np", "numpy"):
            if not any(kw.arg == "allow_pickle" and isinstance(kw.value, ast.Constant) and kw.value.value is False
                       for kw in node.keywords):
                found.append("np.load without allow_pickle=False")
    return found


def test_policy_detector_finds_unsafe_code():
    assert unsafe_calls("np.load(p, allow_pickle=True)") == ["allow_pickle=True", "np.load without allow_pickle=False"]
    assert unsafe_calls("with np.load(p) as z: pass") == ["np.load without allow_pickle=False"]
    assert unsafe_calls("m = keras.models.load_model(p, safe_mode=False)") == ["safe_mode=False"]
    assert unsafe_calls("x = layers.Lambda(lambda t: t / 255)(x)") == ["Lambda layer"]
    assert unsafe_calls("d = pickle.load(f)\nzf.extractall('.')") == ["pickle.load", ".extractall()"]
    assert unsafe_calls("np.load(p, allow_pickle=False)\nkeras.models.load_model(p)\nlayers.Resizing(8, 8)") == []


def test_no_unsafe_loading_in_lessons_or_package():
    """Lessons and tlcourse load arrays with an explicit allow_pickle=False (or tlcourse.checks.load_array),
    models with safe_mode=True (the default), build no Lambda
    layers and extract only through tlcourse.assets.extract. A lesson cell that shows the Lambda pitfall on
    purpose carries the comment '# pitfall'."""
    problems = []
    for where, src in _code_sources():
        try:
            found = unsafe_calls(src)
        except SyntaxError as err:
            problems.append(f"{where}: cannot be parsed ({err})")
            continue
        if where.endswith("src/tlcourse/archives.py"):
            found = [f for f in found if f != ".extractall()"]  # the safe implementation itself
        if found and "# pitfall" in src.lower():
            found = [f for f in found if f not in ("Lambda layer", "safe_mode=False")]
        problems += [f"{where}: {f}" for f in found]
    assert problems == [], ("Fix: np.load(path, allow_pickle=False) or tlcourse.checks.load_array(path); "
                            "keras.layers.Resizing/Rescaling instead of Lambda; tlcourse.assets.extract(archive) "
                            "instead of extractall; keep load_model's default safe_mode=True")
