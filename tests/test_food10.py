"""Lesson 6's data: tlcourse.datasets.load_food10 (real archive path, offline stand-in, subsets, unreadable files)
and tlcourse.standins.write_image_folders. Real files, real zip archives, real JPEG decoding by Keras."""

import dataclasses
import io
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tlcourse
from tlcourse import assets, datasets, standins

FOOD = ["chicken_curry", "chicken_wings", "fried_rice", "grilled_salmon", "hamburger", "ice_cream", "pizza",
        "ramen", "steak", "sushi"]


def _run():
    return tlcourse.Run("unit_food10", "quick", {}, 0, {"kind": "CPU", "count": 1, "name": "test"})


@pytest.fixture
def offline(offline_mirror, monkeypatch):
    """Offline, with a private (initially empty) mirror."""
    mirror = offline_mirror
    # small synthetic files stand for the real ones: the registry's size and checksum of the real files must not apply
    for name in ("food-10-percent", "cifar10-test-jpeg"):
        real = assets.ASSETS[name]
        monkeypatch.setitem(assets.ASSETS, name, dataclasses.replace(real, size=None, sha256=None, md5=None))
    return mirror


def _jpeg(seed: int, size=(40, 30)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG")
    return buf.getvalue()


def _food_zip(path: Path, per_class=(3, 4), broken: str | None = None) -> Path:
    """A small archive with the layout of 10_food_classes_10_percent.zip (a top folder, then train/ and test/)."""
    with zipfile.ZipFile(path, "w") as zf:
        k = 0
        for split, n in zip(("train", "test"), per_class, strict=True):
            for name in FOOD:
                for _ in range(n):
                    zf.writestr(f"10_food_classes_10_percent/{split}/{name}/{k:06d}.jpg", _jpeg(k))
                    k += 1
        if broken:
            zf.writestr(f"10_food_classes_10_percent/{broken}", b"<html>not an image</html>")
    return path


def _fake_cifar_npz(mirror: Path, per_class: int = 325) -> None:
    rng = np.random.default_rng(3)
    (mirror / "cifar10").mkdir(exist_ok=True)
    np.savez_compressed(mirror / "cifar10" / "cifar10_test_jpeg.npz",
                        x_test=rng.integers(0, 255, (10 * per_class, 32, 32, 3), dtype=np.uint8),
                        y_test=np.repeat(np.arange(10, dtype=np.uint8), per_class),
                        class_names=np.array(datasets.CIFAR10_CLASSES))


def _counts(folder: Path) -> dict:
    return {p.name: len(list(p.glob("*.jpg"))) for p in sorted(folder.iterdir()) if p.is_dir()}


# --------------------------------------------------------------------------- standins.write_image_folders

def test_write_image_folders_layout_disjoint_and_deterministic(tmp_path):
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 255, (60, 1, 1, 3), dtype=np.uint8)
    images = np.broadcast_to(colours, (60, 32, 32, 3)).copy()   # flat colours: JPEG keeps them almost exactly
    labels = np.repeat(np.arange(3), 20)
    dest = standins.write_image_folders(tmp_path / "set", images, labels, ["a", "b", "c"], {"train": 4, "test": 10},
                                        seed=1)
    assert _counts(dest / "train") == {"a": 4, "b": 4, "c": 4} and _counts(dest / "test") == {"a": 10, "b": 10, "c": 10}
    train = {p.name for p in (dest / "train").rglob("*.jpg")}
    test = {p.name for p in (dest / "test").rglob("*.jpg")}
    assert train.isdisjoint(test)
    # every file is a real JPEG of its source row, in its class's folder
    for path in (dest / "test" / "b").glob("*.jpg"):
        row = int(path.stem.split("_")[1])
        assert labels[row] == 1
        decoded = np.asarray(Image.open(path))
        assert decoded.shape == (32, 32, 3) and np.abs(decoded.astype(int) - images[row]).max() <= 3
    # same settings: reused as it is (no file rewritten); another seed: rebuilt with other photos
    mtimes = {p: p.stat().st_mtime_ns for p in dest.rglob("*.jpg")}
    again = standins.write_image_folders(tmp_path / "set", images, labels, ["a", "b", "c"], {"train": 4, "test": 10},
                                         seed=1)
    assert again == dest and {p: p.stat().st_mtime_ns for p in dest.rglob("*.jpg")} == mtimes
    other = standins.write_image_folders(tmp_path / "set", images, labels, ["a", "b", "c"], {"train": 4, "test": 10},
                                         seed=2)
    assert {p.name for p in (other / "train").rglob("*.jpg")} != train
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_write_image_folders_is_atomic_and_checks_its_inputs(tmp_path, monkeypatch):
    images = np.zeros((20, 8, 8, 3), dtype=np.uint8)
    labels = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match="needs 12 photos"):
        standins.write_image_folders(tmp_path / "x", images, labels, ["a", "b"], {"train": 4, "test": 8})
    with pytest.raises(ValueError, match="uint8 RGB"):
        standins.write_image_folders(tmp_path / "x", images[..., 0], labels, ["a", "b"], {"train": 1})
    # a failure half way (here: the disk refuses the 5th file) leaves neither the folder nor a temporary one
    calls = {"n": 0}
    real_save = Image.Image.save

    def failing_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="No space"):
        standins.write_image_folders(tmp_path / "x", images, labels, ["a", "b"], {"train": 3, "test": 3})
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- folder_subset

def test_folder_subset_is_balanced_seeded_and_reused(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / "src" / name).mkdir(parents=True)
        for i in range(10):
            (tmp_path / "src" / name / f"{i}.jpg").write_bytes(_jpeg(i))
    (tmp_path / "src" / "a" / "notes.txt").write_text("ignored, as Keras ignores it")
    src = tmp_path / "src"
    assert datasets.folder_subset(src, None) == src and datasets.folder_subset(src, 30) == src
    sub = datasets.folder_subset(src, 6, seed=0)
    assert sub == tmp_path / "src_n6_seed0" and _counts(sub) == {"a": 2, "b": 2, "c": 2}
    picked = sorted(p.relative_to(sub).as_posix() for p in sub.rglob("*.jpg"))
    again = datasets.folder_subset(src, 6, seed=0)
    assert sorted(p.relative_to(sub).as_posix() for p in again.rglob("*.jpg")) == picked
    other = datasets.folder_subset(src, 6, seed=1)
    assert sorted(p.relative_to(other).as_posix() for p in other.rglob("*.jpg")) != picked
    for p in sub.rglob("*.jpg"):
        assert p.read_bytes() == (src / p.relative_to(sub)).read_bytes()


# --------------------------------------------------------------------------- load_food10

def test_food10_real_archive_from_the_mirror(offline):
    _food_zip(offline / "10_food_classes_10_percent.zip")
    run = _run()
    train_dir, test_dir, classes = datasets.load_food10(run)
    assert classes == FOOD and not run.standins and run.data["food10"]["real"] is True
    assert _counts(train_dir) == dict.fromkeys(FOOD, 3) and _counts(test_dir) == dict.fromkeys(FOOD, 4)
    # subsets: class balanced, seeded, drawn from the same folders
    run = _run()
    sub_train, sub_test, classes = datasets.load_food10(run, n_train=20, n_test=10, seed=0)
    assert _counts(sub_train) == dict.fromkeys(FOOD, 2) and _counts(sub_test) == dict.fromkeys(FOOD, 1)
    assert sub_train.parent == train_dir.parent and "used 20 train / 10 test" in run.data["food10"]["description"]
    # Keras reads the folders with the class names in the same order
    import keras
    ds = keras.utils.image_dataset_from_directory(sub_train, label_mode="categorical", image_size=(32, 32),
                                                  verbose=False)
    assert ds.class_names == classes and ds.element_spec[1].shape.as_list() == [None, 10]


def test_food10_names_an_unreadable_file_before_training(offline):
    _food_zip(offline / "10_food_classes_10_percent.zip", broken="train/pizza/broken.jpg")
    with pytest.raises(ValueError, match=r"pizza/broken\.jpg.*not a JPEG"):
        datasets.load_food10(_run())


def test_food10_offline_standin_from_cifar10_photos(offline, capsys):
    _fake_cifar_npz(offline)
    run = _run()
    train_dir, test_dir, classes = datasets.load_food10(run, n_train=30, n_test=20)
    assert classes == datasets.CIFAR10_CLASSES
    assert _counts(train_dir) == dict.fromkeys(classes, 3) and _counts(test_dir) == dict.fromkeys(classes, 2)
    full = train_dir.parent
    assert _counts(full / "train") == dict.fromkeys(classes, 75)
    assert _counts(full / "test") == dict.fromkeys(classes, 250)
    assert full.is_relative_to(assets.cache_dir())
    assert run.standins[-1]["replaces"] == "10_food_classes_10_percent (Food-101 photos)"
    assert run.data["food10"]["real"] is False
    assert "STAND-IN" in capsys.readouterr().out


def test_food10_online_failure_is_not_replaced_by_a_standin(course_env, monkeypatch):
    """Online, a download that fails raises the course's error: no stand-in is ever used online."""
    monkeypatch.delenv("TLCOURSE_OFFLINE", raising=False)
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(assets.ASSETS, "food-10-percent",
                        dataclasses.replace(assets.get("food-10-percent"), url=f"http://127.0.0.1:{port}/food.zip"))
    run = _run()
    with pytest.raises(assets.AssetError, match="refused the connection"):
        datasets.load_food10(run)
    assert not run.standins


def test_food10_rejects_bad_subset_sizes(offline):
    with pytest.raises(ValueError, match="n_train=0"):
        datasets.load_food10(_run(), n_train=0)
    with pytest.raises(ValueError, match="n_test"):
        datasets.load_food10(_run(), n_test=2.5)


def test_food10_standin_with_the_real_mirror(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = _run()
    train_dir, test_dir, classes = datasets.load_food10(run)
    if run.data["food10"]["real"]:
        pytest.skip("the food archive is in the cache or the mirror here")
    assert classes == datasets.CIFAR10_CLASSES
    assert _counts(train_dir) == dict.fromkeys(classes, 75) and _counts(test_dir) == dict.fromkeys(classes, 250)
    train_rows = {p.stem for p in train_dir.rglob("*.jpg")}
    assert train_rows.isdisjoint({p.stem for p in test_dir.rglob("*.jpg")})   # no photo in both splits
    assert np.asarray(Image.open(next(train_dir.rglob("*.jpg")))).shape == (32, 32, 3)
