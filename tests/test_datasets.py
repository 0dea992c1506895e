"""tlcourse.datasets: every loader follows one contract (real emnist package, real Keras, real mirror files).

Dollar Street: small real .npy files through a private mirror, refusal of pickled files, an online failure (a real
HTTP server on 127.0.0.1) that must not turn into a stand-in, and the offline stand-in built from the shared mirror's
CIFAR-10 photos. Food-10: the real archive path (real zip archives, real JPEG decoding by Keras), the offline
stand-in, subsets and unreadable files.
"""

import dataclasses
import gzip
import http.server
import io
import socket
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tlcourse
from tlcourse import assets, datasets

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
    if assets.keras_file_available("cifar-10-python.tar.gz"):
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
    (tmp_path / "bad.idx").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="magic"):
        datasets.read_idx(tmp_path / "bad.idx")


def test_mnist_standin_is_the_real_test_set(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = _run()
    if assets.keras_file_available("mnist.npz"):
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


def test_load_mnist_checks_its_arguments_before_using_the_run(course_env):
    for bad in (0, -5, "8000", 2.5, True):
        with pytest.raises(ValueError, match="positive number of examples"):
            datasets.load_mnist(None, n_train=bad)


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


# --------------------------------------------------------------------------- Dollar Street

PARTS = [(split, part) for split in ("train", "test") for part in ("images", "labels")]


def _write_dollar_street(mirror, n_train=40, n_test=20, seed=0, override=None):
    """Small files in the Zenodo layout: int32 images (n, 64, 64, 3) with values 0-255, int64 labels 0-9."""
    rng = np.random.default_rng(seed)
    arrays = {
        ("train", "images"): rng.integers(0, 256, size=(n_train, 64, 64, 3)).astype(np.int32),
        ("train", "labels"): np.arange(n_train) % 10,
        ("test", "images"): rng.integers(0, 256, size=(n_test, 64, 64, 3)).astype(np.int32),
        ("test", "labels"): np.arange(n_test) % 10,
    }
    arrays.update(override or {})
    for (split, part), array in arrays.items():
        path = mirror / assets.get(f"dollar-street-{split}-{part}").mirror_path
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, array, allow_pickle=isinstance(array, np.ndarray) and array.dtype == object)
    return arrays


def test_dollar_street_real_files_are_read_checked_and_converted(offline_mirror):
    arrays = _write_dollar_street(offline_mirror)
    run = _run()
    (x, y), (xt, yt), classes = datasets.load_dollar_street(run)
    assert classes == datasets.DOLLAR_STREET_CLASSES and len(classes) == 10
    assert x.shape == (40, 64, 64, 3) and xt.shape == (20, 64, 64, 3)
    assert x.dtype == np.uint8 and y.dtype == np.uint8 and y.shape == (40,)
    np.testing.assert_array_equal(x, arrays[("train", "images")].astype(np.uint8))   # same pixels, same order
    np.testing.assert_array_equal(yt, arrays[("test", "labels")])
    assert run.standins == [] and run.data["dollar_street"]["real"] is True
    # the files went through the course's cache (copied from the mirror)
    assert assets.locate(assets.get("dollar-street-train-images")).is_file()


def test_dollar_street_subsets_are_class_balanced_and_seeded(offline_mirror):
    _write_dollar_street(offline_mirror)
    (x, y), (xt, yt), _ = datasets.load_dollar_street(_run(), n_train=20, n_test=10, seed=3)
    assert np.bincount(y, minlength=10).tolist() == [2] * 10 and np.bincount(yt, minlength=10).tolist() == [1] * 10
    (x2, y2), _, _ = datasets.load_dollar_street(_run(), n_train=20, n_test=10, seed=3)
    np.testing.assert_array_equal(x, x2)


def test_dollar_street_pickled_npy_is_refused(offline_mirror):
    labels = np.empty(40, dtype=object)
    labels[:] = [str(i % 10) for i in range(40)]
    _write_dollar_street(offline_mirror, override={("train", "labels"): labels})
    with pytest.raises(ValueError, match="Python objects"):
        datasets.load_dollar_street(_run())


@pytest.mark.parametrize("override, message", [
    ({("train", "images"): np.zeros((40, 32, 32, 3), np.int32)}, r"expected \(n, 64, 64, 3\)"),
    ({("test", "images"): np.full((20, 64, 64, 3), 300, np.int32)}, "pixels 0-255"),
    ({("train", "labels"): np.arange(40) % 12}, "class 11"),
    ({("test", "labels"): np.arange(19) % 10}, "do not belong together"),
    ({("train", "images"): np.zeros((40, 64, 64, 3), np.float32)}, "integer pixels"),
])
def test_dollar_street_damaged_files_are_named(offline_mirror, override, message):
    _write_dollar_street(offline_mirror, override=override)
    with pytest.raises(ValueError, match=message):
        datasets.load_dollar_street(_run())


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_error(404, "Not Found")

    def log_message(self, *args):
        pass


def test_dollar_street_online_failure_raises_and_never_substitutes(course_env, monkeypatch):
    """Online, a missing file is an error that says what to do: stand-ins are for TLCOURSE_OFFLINE=1 only."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("TLCOURSE_OFFLINE", raising=False)
        monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
        for split, part in PARTS:
            name = f"dollar-street-{split}-{part}"
            monkeypatch.setitem(assets.ASSETS, name, dataclasses.replace(
                assets.get(name), url=f"http://127.0.0.1:{server.server_port}/{split}_{part}.npy"))
        run = _run()
        with pytest.raises(assets.AssetError, match="HTTP 404"):
            datasets.load_dollar_street(run)
        assert run.standins == []
    finally:
        server.shutdown()
        server.server_close()


def test_dollar_street_offline_standin_is_real_cifar10_photos(course_env, shared_mirror, monkeypatch, capsys):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(shared_mirror))
    run = _run()
    (x, y), (xt, yt), classes = datasets.load_dollar_street(run)
    assert classes == datasets.CIFAR10_CLASSES                      # its own class names, not Dollar Street's
    assert x.shape == (878, 64, 64, 3) and xt.shape == (293, 64, 64, 3) and x.dtype == np.uint8
    assert y.dtype == np.uint8 and y.shape == (878,) and yt.shape == (293,)
    assert np.bincount(y, minlength=10).min() >= 87 and np.bincount(y, minlength=10).max() <= 88
    assert np.bincount(yt, minlength=10).min() >= 29 and np.bincount(yt, minlength=10).max() <= 30
    train_keys = {img.tobytes() for img in x}
    assert not any(img.tobytes() in train_keys for img in xt), "train and test share a photo"
    assert x.std() > 30, "real photos vary"
    assert run.standins[-1]["replaces"] == "Dollar Street 10 images" and run.data["dollar_street"]["real"] is False
    assert "STAND-IN" in capsys.readouterr().out
    # the upscaled photo is the CIFAR-10 photo: shrinking it back gives nearly the same pixels
    with np.load(assets.fetch("cifar10-test-jpeg"), allow_pickle=False) as npz:
        originals = npz["x_test"]
    small = x[0].reshape(32, 2, 32, 2, 3).mean(axis=(1, 3))
    assert np.abs(originals.astype(float) - small).mean(axis=(1, 2, 3)).min() < 6
    # seeded: the same call gives the same photos; a subset stays class-balanced
    (x2, _), _, _ = datasets.load_dollar_street(_run())
    np.testing.assert_array_equal(x, x2)
    (xs, ys), (xts, yts), _ = datasets.load_dollar_street(_run(), n_train=100, n_test=50)
    assert np.bincount(ys).tolist() == [10] * 10 and np.bincount(yts).tolist() == [5] * 10


# --------------------------------------------------------------------------- Food-10 and folder_subset

FOOD = ["chicken_curry", "chicken_wings", "fried_rice", "grilled_salmon", "hamburger", "ice_cream", "pizza",
        "ramen", "steak", "sushi"]


@pytest.fixture
def food10_offline(offline_mirror, monkeypatch):
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


def test_food10_real_archive_from_the_mirror(food10_offline):
    _food_zip(food10_offline / "10_food_classes_10_percent.zip")
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


def test_food10_names_an_unreadable_file_before_training(food10_offline):
    _food_zip(food10_offline / "10_food_classes_10_percent.zip", broken="train/pizza/broken.jpg")
    with pytest.raises(ValueError, match=r"pizza/broken\.jpg.*not a JPEG"):
        datasets.load_food10(_run())


def test_food10_offline_standin_from_cifar10_photos(food10_offline, capsys):
    _fake_cifar_npz(food10_offline)
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


def test_food10_rejects_bad_subset_sizes(food10_offline):
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
