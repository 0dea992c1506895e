"""tlcourse.datasets: every loader follows one contract (real emnist package, real Keras, real mirror files)."""

import dataclasses
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tlcourse
from tlcourse import assets, datasets, models

EMNIST_BALANCED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"
MAPPING = "".join(f"{i} {ord(c)}\r\n" for i, c in enumerate(EMNIST_BALANCED))


def _run(lesson="unit_datasets"):
    return tlcourse.Run(lesson, "quick", {}, 0, {"kind": "CPU", "count": 1, "name": "test"})


def _idx(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return gzip.compress(header + arr.astype(np.uint8).tobytes())


def test_parse_mapping():
    assert "".join(datasets.parse_mapping(MAPPING)) == EMNIST_BALANCED
    with pytest.raises(ValueError, match="without gaps"):
        datasets.parse_mapping("0 48\n2 50\n")


def test_emnist_offline_standin_uses_the_mapping(offline_mirror, capsys):
    (offline_mirror / "emnist").mkdir()
    (offline_mirror / "emnist" / "emnist-balanced-mapping.txt").write_text(MAPPING, newline="")
    run = _run()
    (x, y), (xt, yt), classes = datasets.load_emnist(run, n_train=94, n_test=47)
    assert "".join(classes) == EMNIST_BALANCED
    assert x.shape == (94, 28, 28) and xt.shape == (47, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y, minlength=47).tolist() == [2] * 47 and np.bincount(yt, minlength=47).tolist() == [1] * 47
    assert run.standins[-1]["replaces"] == "EMNIST balanced images" and run.data["emnist"]["real"] is False
    assert "STAND-IN" in capsys.readouterr().out
    (x, y), _, _ = datasets.load_emnist(_run(), n_train=100, n_test=47)   # not a multiple of 47: still balanced
    assert len(y) == 100 and set(np.bincount(y, minlength=47).tolist()) == {2, 3}


def test_emnist_real_path_reads_the_nist_zip_with_the_emnist_package(offline_mirror, monkeypatch):
    """A small archive in NIST's layout, read by the real `emnist` package: images come out upright."""
    monkeypatch.setitem(assets.ASSETS, "emnist.zip",
                        dataclasses.replace(assets.get("emnist.zip"), size=None, md5=None))
    rng = np.random.default_rng(0)
    upright = rng.integers(0, 255, size=(47 * 3, 28, 28), dtype=np.uint8)
    upright[:, 0, :] = 255                      # a full top row: easy to tell from a transposed image
    labels = np.repeat(np.arange(47, dtype=np.uint8), 3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for usage in ("train", "test"):
            # NIST stores every image transposed
            zf.writestr(f"gzip/emnist-balanced-{usage}-images-idx3-ubyte.gz", _idx(upright.swapaxes(1, 2)))
            zf.writestr(f"gzip/emnist-balanced-{usage}-labels-idx1-ubyte.gz", _idx(labels))
        zf.writestr(datasets.EMNIST_MAPPING_MEMBER, MAPPING)
    target = assets.locate(assets.get("emnist.zip"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buf.getvalue())

    run = _run()
    (x, y), (xt, yt), classes = datasets.load_emnist(run, n_train=94)
    assert "".join(classes) == EMNIST_BALANCED
    assert x.shape == (94, 28, 28) and xt.shape == (141, 28, 28)
    assert np.bincount(y, minlength=47).tolist() == [2] * 47          # class-balanced subset
    assert (x[:, 0, :] == 255).all() and (xt[:, 0, :] == 255).all()   # upright again
    assert run.data["emnist"]["real"] is True and not run.standins
    import emnist
    assert emnist.CACHE_FILE_PATH == str(target)


def _write_fashion(folder: Path, n_train=40, n_test=20):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {"train-images-idx3-ubyte.gz": rng.integers(0, 255, (n_train, 28, 28)),
             "train-labels-idx1-ubyte.gz": np.arange(n_train) % 10,
             "t10k-images-idx3-ubyte.gz": rng.integers(0, 255, (n_test, 28, 28)),
             "t10k-labels-idx1-ubyte.gz": np.arange(n_test) % 10}
    for name, arr in parts.items():
        (folder / name).write_bytes(_idx(np.asarray(arr)))


def test_fashion_mnist_offline_from_a_debian_folder(offline_mirror, tmp_path):
    import keras  # noqa: F401  (Keras's cache must not hold the files for this test)
    if all(assets.locate(assets.get(f"fashion-mnist-{p}")).exists() for p in datasets._FASHION_PARTS):
        pytest.skip("Fashion-MNIST is in Keras's cache here")
    _write_fashion(tmp_path / "debian")
    run = _run()
    (x, y), (xt, yt), classes = datasets.load_fashion_mnist(run, n_train=20, debian_dir=tmp_path / "debian")
    assert x.shape == (20, 28, 28) and xt.shape == (20, 28, 28) and classes[9] == "Ankle boot"
    assert np.bincount(y).tolist() == [2] * 10
    assert run.data["fashion_mnist"]["real"] is True and not run.standins
    with pytest.raises(assets.AssetError, match="apt-get install dataset-fashion-mnist"):
        datasets.load_fashion_mnist(run, debian_dir=tmp_path / "nowhere")


@pytest.mark.skipif(not datasets.DEBIAN_FASHION_MNIST.is_dir(), reason="Debian's dataset-fashion-mnist not installed")
def test_fashion_mnist_debian_package_holds_the_real_data(offline_mirror):
    run = _run()
    (x, y), (xt, yt), _ = datasets.load_fashion_mnist(run)
    if "Debian" not in run.data["fashion_mnist"]["description"]:
        pytest.skip("Fashion-MNIST came from Keras's cache")
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10


def test_cifar10_offline_standin_splits_the_mirror_test_set(offline_mirror, monkeypatch):
    # a small synthetic file stands for the mirror's: the registry's size and sha256 of the real one must not apply
    real = assets.ASSETS["cifar10-test-jpeg"]
    monkeypatch.setitem(assets.ASSETS, real.name, dataclasses.replace(real, size=None, sha256=None))
    rng = np.random.default_rng(2)
    (offline_mirror / "cifar10").mkdir()
    np.savez_compressed(offline_mirror / "cifar10" / "cifar10_test_jpeg.npz",
                        x_test=rng.integers(0, 255, (100, 32, 32, 3), dtype=np.uint8),
                        y_test=np.repeat(np.arange(10, dtype=np.uint8), 10),
                        class_names=np.array(datasets.CIFAR10_CLASSES))
    run = _run()
    (x, y), (xt, yt), classes = datasets.load_cifar10(run)
    assert x.shape == (80, 32, 32, 3) and xt.shape == (20, 32, 32, 3) and y.shape == (80,)
    assert np.bincount(yt).tolist() == [2] * 10 and classes == datasets.CIFAR10_CLASSES
    assert run.standins[-1]["replaces"] == "CIFAR-10 50,000 training images"
    assert "80 train / 20 test" in run.data["cifar10"]["description"]


def test_cifar10_standin_with_the_real_mirror(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = _run()
    if models.keras_file_available("cifar-10-python.tar.gz"):
        pytest.skip("the CIFAR-10 archive is cached here")
    (x, y), (xt, yt), classes = datasets.load_cifar10(run, n_train=4000, n_test=1000)
    assert x.shape == (4000, 32, 32, 3) and xt.shape == (1000, 32, 32, 3)
    assert np.bincount(y).tolist() == [400] * 10 and np.bincount(yt).tolist() == [100] * 10
    assert classes == datasets.CIFAR10_CLASSES
    assert len({a.tobytes() for a in x} & {b.tobytes() for b in xt}) == 0   # no image in both splits


def test_read_idx_round_trip_and_truncation(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(_idx(arr))
    np.testing.assert_array_equal(datasets.read_idx(path), arr)
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    path.write_bytes(gzip.compress(header + arr.tobytes()[:-5]))
    with pytest.raises(ValueError, match="truncated"):
        datasets.read_idx(path)


def test_mnist_standin_is_the_real_test_set(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = _run()
    if models.keras_file_available("mnist.npz"):
        pytest.skip("mnist.npz is cached here, so no stand-in is used")
    (x, y), (xt, yt), classes = datasets.load_mnist(run)
    assert x.shape == (8000, 28, 28) and xt.shape == (2000, 28, 28) and x.dtype == np.uint8 and y.shape == (8000,)
    assert classes == [str(d) for d in range(10)]
    assert run.standins and run.data["mnist"]["real"] is False
    assert set(np.unique(y)) == set(range(10)) and min(np.bincount(yt)) > 150  # every digit in both splits
    # the 10,000 real test images, none shared between the two splits
    assert len({a.tobytes() for a in x} & {b.tobytes() for b in xt}) == 0
    # subsets follow the contract: class-balanced and seeded
    (xs, ys), (xts, yts), _ = datasets.load_mnist(_run(), n_train=1000, n_test=200, seed=3)
    assert np.bincount(ys).tolist() == [100] * 10 and np.bincount(yts).tolist() == [20] * 10
    (xs2, _), _, _ = datasets.load_mnist(_run(), n_train=1000, n_test=200, seed=3)
    np.testing.assert_array_equal(xs, xs2)


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_emnist, datasets.load_fashion_mnist,
                                    datasets.load_cifar10, datasets.load_cats_vs_dogs], ids=lambda f: f.__name__)
def test_loaders_reject_bad_subset_sizes_and_seeds_before_any_work(loader, offline_mirror):
    for bad in (0, -1, 2.5, "100", True):
        with pytest.raises(ValueError, match=r"n_train=.*positive number of examples"):
            loader(_run(), n_train=bad)
        with pytest.raises(ValueError, match=r"n_test=.*positive number of examples"):
            loader(_run(), n_test=bad)
    with pytest.raises(ValueError, match="seed=-1"):
        loader(_run(), seed=-1)


def _cats_zip(folder: Path, per_class=(6, 4)) -> Path:
    """A small archive with the layout of cats_and_dogs_filtered.zip (real JPEG files written by Pillow)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    out = folder / "cats_and_dogs_filtered.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for split, n in zip(("train", "validation"), per_class, strict=True):
            for cls in ("cats", "dogs"):
                for i in range(n):
                    zf.writestr(f"cats_and_dogs_filtered/{split}/{cls}/{cls[:-1]}.{i}.jpg", jpeg)
    return out


def test_cats_vs_dogs_folders_and_balanced_subsets(offline_mirror, monkeypatch):
    # the registry entry, kept in the course cache of this test (a private folder) instead of Keras's cache
    monkeypatch.setitem(assets.ASSETS, "cats_and_dogs_filtered.zip",
                        dataclasses.replace(assets.get("cats_and_dogs_filtered.zip"), size=None, cache="course"))
    _cats_zip(offline_mirror)
    run = _run()
    train, test, classes = datasets.load_cats_vs_dogs(run)
    assert classes == ["cats", "dogs"] and train.name == "train" and test.name == "validation"
    assert [len(list((train / c).glob("*.jpg"))) for c in classes] == [6, 6]
    assert "12 train / 8 validation" in run.data["cats_and_dogs"]["description"]
    assert run.data["cats_and_dogs"]["real"] is True and not run.standins
    train_s, test_s, _ = datasets.load_cats_vs_dogs(_run(), n_train=4, n_test=2, seed=1)
    assert [len(list((train_s / c).glob("*.jpg"))) for c in classes] == [2, 2]
    assert [len(list((test_s / c).glob("*.jpg"))) for c in classes] == [1, 1]
    again, _, _ = datasets.load_cats_vs_dogs(_run(), n_train=4, n_test=2, seed=1)
    assert sorted(p.name for p in again.rglob("*.jpg")) == sorted(p.name for p in train_s.rglob("*.jpg"))
    other, _, _ = datasets.load_cats_vs_dogs(_run(), n_train=4, seed=2)
    assert other != train_s and len(list(other.rglob("*.jpg"))) == 4


def test_cats_vs_dogs_with_the_real_mirror(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    train, test, classes = datasets.load_cats_vs_dogs(_run())
    assert classes == ["cats", "dogs"]
    assert [len(list((train / c).glob("*.jpg"))) for c in classes] == [1000, 1000]
    assert [len(list((test / c).glob("*.jpg"))) for c in classes] == [500, 500]
