"""Reliability of files (issue 6): hostile or damaged archives, broken images in dataset folders, safe loading
of arrays and models, and helpers that reject wrong inputs with messages naming the fix. Real files, real
TensorFlow/Keras, real processes; nothing is mocked."""

from __future__ import annotations

import ast
import io
import pickle
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import tlcourse
from tlcourse import assets, checks
from tlcourse.assets import AssetError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --------------------------------------------------------------------------- archives

def make_zip(path: Path, entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so the mode bits below are honoured
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return path


GOOD = {"pets/cats/a.txt": b"meow", "pets/dogs/b.txt": b"woof"}


@pytest.mark.parametrize("kind", ["dotdot", "nested-dotdot", "absolute", "symlink"])
def test_zip_entry_escaping_its_folder_is_refused(kind, tmp_path, fault_log):
    victim = tmp_path / "outside" / "evil.txt"
    name = {"dotdot": "../outside/evil.txt", "nested-dotdot": "pets/../../outside/evil.txt",
            "absolute": str(victim), "symlink": None}[kind]
    archive = tmp_path / "box" / "pets.zip"
    archive.parent.mkdir()
    if kind == "symlink":
        make_zip(archive, GOOD, symlinks={"pets/cats/link": "/etc/passwd"})
    else:
        make_zip(archive, {**GOOD, name: b"pwned"})
    with fault_log.trial(f"archive: zip with a {kind} entry") as st:
        before = files_under(tmp_path)
        with pytest.raises(AssetError, match="Refusing to extract") as err:
            assets.extract(archive)
        assert "delete it" in str(err.value) or "symbolic link" in str(err.value)
        assert not victim.exists()
        assert files_under(tmp_path) - before <= {"box/.pets_extracted.lock"}, "nothing extracted anywhere"
        make_zip(archive, GOOD)  # a good copy replaces it: the next try works
        out = assets.extract(archive)
        assert (out / "pets" / "cats" / "a.txt").read_bytes() == b"meow"
        st["outcome"] = "refused, nothing written; good archive extracted next"


def test_truncated_and_corrupt_zip_are_detected(tmp_path, fault_log):
    rng = random.Random(1)
    entries = {f"pets/{i:03d}.bin": rng.randbytes(20_000) for i in range(20)}
    good = make_zip(tmp_path / "good.zip", entries).read_bytes()
    for fault, data in [("truncated zip", good[: len(good) // 2]),
                        ("zip cut before its central directory", good[:-30]),
                        ("zip with a flipped byte in a member",
                         good[:5000] + bytes([good[5000] ^ 0xFF]) + good[5001:])]:
        archive = tmp_path / "pets.zip"
        archive.write_bytes(data)
        with fault_log.trial(f"archive: {fault}") as st:
            with pytest.raises(AssetError, match="truncated|corrupt|not a zip") as err:
                assets.extract(archive)
            assert "fetch it again" in str(err.value)
            assert not (tmp_path / "pets_extracted").exists()
            assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pets_extracted.") and p.is_dir()]
            archive.write_bytes(good)
            out = assets.extract(archive)
            assert (out / "pets" / "007.bin").read_bytes() == entries["pets/007.bin"]
            archive.write_bytes(data)  # damaged again: the finished extraction of the good copy is not reused
            with pytest.raises(AssetError):
                assets.extract(archive)
            st["lost"] = int(not (out / "pets" / "007.bin").exists())  # the good extraction stays whole
            import shutil
            shutil.rmtree(out)
            st["outcome"] = "clear AssetError; good copy extracted next"


def make_tar(path: Path, members: list[tuple[str, bytes | None, str | None]], mode="w:gz") -> Path:
    """members: (name, data, symlink target)."""
    with tarfile.open(path, mode) as tf_:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tf_.addfile(info)
            else:
                info.size = len(data)
                tf_.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink-out"])
def test_tar_entry_escaping_its_folder_is_refused(kind, tmp_path, fault_log):
    victim = tmp_path / "outside" / "evil.txt"
    member = {"dotdot": ("../outside/evil.txt", b"pwned", None), "absolute": (str(victim), b"pwned", None),
              "symlink-out": ("pets/link", None, "/etc/passwd")}[kind]
    archive = make_tar(tmp_path / "pets.tar.gz", [("pets/a.txt", b"meow", None), member])
    with fault_log.trial(f"archive: tar with a {kind} entry") as st:
        with pytest.raises(AssetError, match="Refusing"):
            assets.extract(archive)
        assert not victim.exists() and not (tmp_path / "pets_extracted").exists()
        make_tar(archive, [("pets/a.txt", b"meow", None)])
        assert (assets.extract(archive) / "pets" / "a.txt").read_bytes() == b"meow"
        st["outcome"] = "refused (tarfile data filter), nothing written"


def test_truncated_tar_is_detected(tmp_path, fault_log):
    rng = random.Random(2)
    archive = make_tar(tmp_path / "pets.tar.gz", [(f"pets/{i}.bin", rng.randbytes(30_000), None) for i in range(10)])
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with fault_log.trial("archive: truncated tar.gz") as st:
        with pytest.raises(AssetError, match="fetch it"):
            assets.extract(archive)
        assert not (tmp_path / "pets_extracted").exists()
        archive.write_bytes(data)
        assert len(list((assets.extract(archive) / "pets").iterdir())) == 10
        st["outcome"] = "clear AssetError; good copy extracted next"


def test_not_an_archive_and_missing_archive(tmp_path):
    page = tmp_path / "pets.zip"
    page.write_bytes(b"<html>Please log in</html>")
    with pytest.raises(AssetError, match="not a zip or tar archive"):
        assets.extract(page)
    with pytest.raises(AssetError, match="Fetch it first"):
        assets.extract(tmp_path / "missing.zip")


def test_new_archive_is_extracted_again_and_partial_folder_replaced(tmp_path):
    archive = make_zip(tmp_path / "pets.zip", {"pets/a.txt": b"v1"})
    dest = tmp_path / "pets_extracted"
    dest.mkdir()
    (dest / "half-written.txt").write_text("left by a killed extraction, no .complete marker")
    out = assets.extract(archive)
    assert files_under(out) == {"pets", "pets/a.txt", ".complete"}
    make_zip(archive, {"pets/a.txt": b"version two"})  # a new copy of the archive (size differs)
    assert (assets.extract(archive) / "pets" / "a.txt").read_bytes() == b"version two"


_EXTRACT_SCRIPT = "import sys; from tlcourse import assets; print(assets.extract(sys.argv[1]))"


def test_two_processes_extract_the_same_archive(tmp_path, fault_log):
    rng = random.Random(3)
    entries = {f"pets/{i:03d}.bin": rng.randbytes(50_000) for i in range(200)}
    archive = make_zip(tmp_path / "pets.zip", entries)
    with fault_log.trial("concurrency: two processes extract one archive") as st:
        procs = [subprocess.Popen([sys.executable, "-c", _EXTRACT_SCRIPT, str(archive)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outs.append(out.strip().splitlines()[-1])  # the other one may first say it waits
        assert outs[0] == outs[1] == str(tmp_path / "pets_extracted")
        out = Path(outs[0])
        assert len(list((out / "pets").iterdir())) == 200
        assert (out / "pets" / "123.bin").read_bytes() == entries["pets/123.bin"]
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pets_extracted.") and p.is_dir()]
        st["outcome"] = "one complete folder, no temporary folders left"


# --------------------------------------------------------------------------- image folders

def _jpeg(seed: int, size=(40, 32)) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


BAD_FILES = {"chats/tronqué.jpg": "cannot be decoded", "chiens/notes.jpg": "not a JPEG, PNG, GIF or BMP",
             "chiens/vide.jpeg": "empty file", "chats/._chat 0.jpg": "not a JPEG, PNG, GIF or BMP"}


@pytest.fixture
def image_folder(tmp_path):
    """A dataset folder like the full Kaggle cats-vs-dogs set: real JPEGs, plus broken files named .jpg.
    The path has spaces and accents on purpose."""
    root = tmp_path / "données images" / "train"
    for cls in ("chats", "chiens"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            (root / cls / f"{cls} {i}.jpg").write_bytes(_jpeg(hash((cls, i)) % 1000))
    buf = io.BytesIO()
    Image.fromarray(np.zeros((32, 40, 3), np.uint8)).save(buf, "PNG")
    (root / "chiens" / "actually a png.jpg").write_bytes(buf.getvalue())  # valid: TF decodes by content
    full = _jpeg(99, size=(200, 160))
    (root / "chats" / "tronqué.jpg").write_bytes(full[: len(full) // 2])
    (root / "chiens" / "notes.jpg").write_text("not an image, just a .jpg name")
    (root / "chiens" / "vide.jpeg").write_bytes(b"")
    (root / "chats" / "._chat 0.jpg").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)  # macOS AppleDouble junk
    (root / "chats" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0 windows thumbnail cache")
    return root


def test_scan_names_every_bad_file(image_folder, capsys, fault_log):
    with fault_log.trial("image folder: 4 broken .jpg/.jpeg files found before training") as st:
        scan = checks.scan_image_folder(image_folder)
        out = capsys.readouterr().out
        got = {str(p.relative_to(image_folder)): why for p, why in scan.bad}
        assert set(got) == set(BAD_FILES)
        for rel, words in BAD_FILES.items():
            assert words in got[rel], (rel, got[rel])
            assert rel in out  # named in the message
        assert "NOT removed" in out and "action='quarantine'" in out
        assert scan.images == 13 and scan.classes == {"chats": 6, "chiens": 7}
        assert [p.name for p in scan.ignored] == ["Thumbs.db"]
        assert not scan.ok
        assert all((image_folder / rel).exists() for rel in BAD_FILES), "report only: nothing moved"
        st["outcome"] = "named in the report"


def test_keras_trains_after_quarantine(image_folder, fault_log):
    """The broken files really stop Keras mid-epoch; after scan_image_folder(action='quarantine') the same
    Keras call trains, and a second scan finds nothing more to do."""
    kw = dict(image_size=(32, 32), batch_size=4, shuffle=False, verbose=False)
    ds = keras.utils.image_dataset_from_directory(image_folder, **kw)
    with pytest.raises(tf.errors.InvalidArgumentError):
        for _ in ds:
            pass
    with fault_log.trial("image folder: broken files quarantined, Keras trains") as st:
        scan = checks.scan_image_folder(image_folder, action="quarantine", verbose=False)
        quarantine = image_folder.with_name("train_quarantine")
        assert scan.moved_to == quarantine and scan.ok
        assert files_under(quarantine) >= set(BAD_FILES)
        ds = keras.utils.image_dataset_from_directory(image_folder, **kw)
        assert ds.class_names == ["chats", "chiens"]
        n = sum(int(x.shape[0]) for x, _ in ds)
        assert n == scan.images == 13
        model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 255),
                                  keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(ds, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        again = checks.scan_image_folder(image_folder, action="quarantine", verbose=False)
        assert again.bad == [] and again.images == 13
        st["outcome"] = "quarantined outside the dataset; Keras trained; a second scan is a no-op"


def test_tf_decoder_agrees_with_pillow(image_folder):
    pil = checks.scan_image_folder(image_folder, verbose=False)
    tfd = checks.scan_image_folder(image_folder, decoder="tf", verbose=False)
    assert [p for p, _ in pil.bad] == [p for p, _ in tfd.bad]
    assert pil.images == tfd.images


def test_scan_actions_and_wrong_arguments(image_folder, tmp_path):
    with pytest.raises(ValueError, match="action='quarantine'") as err:
        checks.scan_image_folder(image_folder, action="raise", verbose=False)
    assert "tronqué.jpg" in str(err.value)
    with pytest.raises(ValueError, match="inside"):
        checks.scan_image_folder(image_folder, action="quarantine", quarantine=image_folder / "bad", verbose=False)
    with pytest.raises(ValueError, match="one of"):
        checks.scan_image_folder(image_folder, action="remove", verbose=False)
    with pytest.raises(NotADirectoryError, match="one subfolder per class"):
        checks.scan_image_folder(tmp_path / "nope")
    scan = checks.scan_image_folder(image_folder, action="delete", verbose=False)
    assert len(scan.bad) == 4 and not any((image_folder / rel).exists() for rel in BAD_FILES)
    assert checks.scan_image_folder(image_folder, verbose=False).bad == []


def test_scan_of_the_real_cats_and_dogs_set(shared_mirror, course_env, monkeypatch, tmp_path):
    """The 3,000 real JPEGs of the mirror's cats_and_dogs_filtered.zip all decode (a few seconds)."""
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    out = assets.extract(assets.fetch("cats_and_dogs_filtered.zip", progress=False), tmp_path / "cd")
    scan = checks.scan_image_folder(out / "cats_and_dogs_filtered" / "train", verbose=False)
    assert scan.bad == [] and scan.classes == {"cats": 1000, "dogs": 1000}


# --------------------------------------------------------------------------- safe loading

def test_load_array_plain_and_hostile_files(tmp_path, fault_log):
    np.save(tmp_path / "x.npy", np.arange(6, dtype=np.uint8).reshape(2, 3))
    np.savez(tmp_path / "xy.npz", x=np.ones((2, 2), np.float32), y=np.array([0, 1]))
    assert checks.load_array(tmp_path / "x.npy").shape == (2, 3)
    xy = checks.load_array(tmp_path / "xy.npz")
    assert set(xy) == {"x", "y"} and xy["x"].dtype == np.float32

    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "obj.npz", x=np.arange(3), meta=np.array([object()], dtype=object))
    (tmp_path / "pickle.npy").write_bytes(pickle.dumps({"payload": "could run code"}))
    for name in ("obj.npy", "obj.npz", "pickle.npy"):
        with fault_log.trial(f"safe loading: {name} (Python objects)"), \
                pytest.raises(ValueError, match="allow_pickle=False") as err:
            checks.load_array(tmp_path / name)
        assert "np.savez" in str(err.value)

    raw = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(raw[:-3])
    z = (tmp_path / "xy.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(z[: len(z) // 2])
    for name in ("cut.npy", "cut.npz"):
        with fault_log.trial(f"safe loading: truncated {name}"), pytest.raises(ValueError, match="truncated"):
            checks.load_array(tmp_path / name)
    with pytest.raises(FileNotFoundError, match="Fetch it first"):
        checks.load_array(tmp_path / "missing.npy")


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


# Every .keras file a lesson writes is reloaded with safe_mode=True by tests/test_idempotence.py.


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
        if where.endswith("assets.py"):
            found = [f for f in found if f != ".extractall()"]  # the safe implementation itself
        if found and "# pitfall" in src.lower():
            found = [f for f in found if f not in ("Lambda layer", "safe_mode=False")]
        problems += [f"{where}: {f}" for f in found]
    assert problems == [], ("Fix: np.load(path, allow_pickle=False) or tlcourse.checks.load_array(path); "
                            "keras.layers.Resizing/Rescaling instead of Lambda; tlcourse.assets.extract(archive) "
                            "instead of extractall; keep load_model's default safe_mode=True")


# --------------------------------------------------------------------------- helpers reject wrong inputs

def test_show_images_rejects_wrong_inputs():
    imgs = np.zeros((4, 8, 8), "uint8")
    cases = [
        (dict(images=np.array([["a"] * 8] * 8 * 4).reshape(4, 8, 8)), "must hold numbers"),
        (dict(images=np.zeros((4, 3, 8, 8))), "np.moveaxis"),
        (dict(images=imgs, labels=[0, 1]), "one per image"),
        (dict(images=imgs, labels=[0, 1, 2, 5], class_names=list("abc")), "class names were given"),
        (dict(images=imgs, labels=np.eye(4)), "argmax"),
        (dict(images=imgs, labels=["cat", "dog", "cat", "dog"], class_names=["cat", "dog"]), "class_names.index"),
        (dict(images=imgs, labels=[0, 1, 0, 1], predictions=[[0.2, 0.8]] * 4), "argmax"),
        (dict(images=imgs, n=0), "positive integer"),
        (dict(images=imgs, predictions=[0, 1, 0, 1]), "true labels too"),
    ]
    for kwargs, words in cases:
        with pytest.raises(ValueError, match=re.escape(words)):
            tlcourse.show_images(**kwargs)
    with pytest.raises(TypeError, match="take one batch"):
        tlcourse.show_images(tf.data.Dataset.from_tensor_slices(imgs))


def test_plot_confusion_rejects_wrong_inputs():
    names = ["a", "b", "c"]
    with pytest.raises(ValueError, match="argmax"):
        tlcourse.plot_confusion([0, 1], [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]], names)
    with pytest.raises(ValueError, match="negative"):
        tlcourse.plot_confusion([0, -1], [0, 1], names)
    with pytest.raises(ValueError, match="3 class names"):
        tlcourse.plot_confusion([0, 3], [0, 1], names)
    with pytest.raises(ValueError, match="same order"):
        tlcourse.plot_confusion([0, 1, 2], [0, 1], names)
    with pytest.raises(ValueError, match="sigmoid"):
        tlcourse.plot_confusion([0, 1], [0.3, 0.7], ["a", "b"])
    with pytest.raises(ValueError, match="class_names must list"):
        tlcourse.plot_confusion([0, 1], [0, 1], None)


def test_param_table_rejects_wrong_inputs(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="net")
    model.save(tmp_path / "net.keras")
    reloaded = keras.models.load_model(tmp_path / "net.keras")
    with pytest.raises(ValueError, match="names="):
        tlcourse.param_table(model, reloaded)  # a reloaded model keeps its name
    table = tlcourse.param_table(model, reloaded, names=["original", "reloaded"])
    assert list(table["total"]) == [8, 8]
    with pytest.raises(ValueError, match="one name per model"):
        tlcourse.param_table(model, names=["a", "b"])
    with pytest.raises(TypeError, match="at least one"):
        tlcourse.param_table()
    with pytest.raises(TypeError, match="expects Keras models"):
        tlcourse.param_table(model.fit)


def test_start_rejects_wrong_inputs(course_env):
    profiles = {"quick": {"epochs": 1}, "full": {"epochs": 2}}
    with pytest.raises(ValueError, match="file name"):
        tlcourse.start("../../etc/evil", profiles)  # would name a results file outside the results folder
    with pytest.raises(ValueError, match="dict of the lesson's knobs"):
        tlcourse.start("lesson", {"quick": 3, "full": {"epochs": 2}})
    with pytest.raises(ValueError, match="non-negative integer"):
        tlcourse.start("lesson", profiles, seed=-1)


def test_assets_and_loaders_reject_wrong_inputs(course_env, tmp_path):
    with pytest.raises(KeyError, match="Known assets") as err:
        assets.fetch("mnist")
    assert "Add new files to tlcourse.assets.ASSETS" in str(err.value)
    with pytest.raises(KeyError, match="Known assets"):
        assets.get(3)
    for bad in (0, -5, "8000", 2.5, True):
        with pytest.raises(ValueError, match="positive number of examples"):
            tlcourse.datasets.load_mnist(None, n_train=bad)
    with pytest.raises(ValueError, match="keras_file_available|Keras-managed|fetch"):
        tlcourse.models.keras_file_available("mnist-test-images")
    (tmp_path / "bad.idx").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="magic"):
        tlcourse.datasets.read_idx(tmp_path / "bad.idx")
