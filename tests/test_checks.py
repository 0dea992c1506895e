"""tlcourse.checks: scanning image folders for broken files (real JPEGs, broken files named .jpg, real Keras training
after quarantine) and loading arrays safely (pickled, truncated and missing files). Faults are recorded in the
session's fault log (tests/conftest.py)."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tlcourse import assets, checks


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


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
        history = model.fit(ds, epochs=1, verbose=0, shuffle=False)   # a Dataset: fit() cannot shuffle it
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


# --------------------------------------------------------------------------- arrays

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
