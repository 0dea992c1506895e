"""tlcourse.datasets: loaders of lessons 2-3 (real emnist package, real Keras), feature cache, lesson 1's model."""

import dataclasses
import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tlcourse
from tlcourse import assets, datasets

EMNIST_BALANCED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"
MAPPING = "".join(f"{i} {ord(c)}\r\n" for i, c in enumerate(EMNIST_BALANCED))


def _run(lesson="unit_datasets"):
    return tlcourse.Run(lesson, "quick", {}, 0, {"kind": "CPU", "count": 1, "name": "test"})


def _idx(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return gzip.compress(header + arr.astype(np.uint8).tobytes())


@pytest.fixture
def offline(course_env, monkeypatch, tmp_path):
    """Offline, with a private (initially empty) mirror and Keras cache is untouched."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    return mirror


def test_parse_mapping():
    assert "".join(datasets.parse_mapping(MAPPING)) == EMNIST_BALANCED
    with pytest.raises(ValueError, match="without gaps"):
        datasets.parse_mapping("0 48\n2 50\n")


def test_emnist_offline_standin_uses_the_mapping(offline, capsys):
    (offline / "emnist").mkdir()
    (offline / "emnist" / "emnist-balanced-mapping.txt").write_text(MAPPING, newline="")
    run = _run()
    (x, y), (xt, yt), classes = datasets.load_emnist(run, n_train=94, n_test=47)
    assert "".join(classes) == EMNIST_BALANCED
    assert x.shape == (94, 28, 28) and xt.shape == (47, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y, minlength=47).tolist() == [2] * 47 and np.bincount(yt, minlength=47).tolist() == [1] * 47
    assert run.standins[-1]["replaces"] == "EMNIST balanced images" and run.data["emnist"]["real"] is False
    assert "STAND-IN" in capsys.readouterr().out


def test_emnist_real_path_reads_the_nist_zip_with_the_emnist_package(offline, monkeypatch):
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


def test_fashion_mnist_offline_from_a_debian_folder(offline, tmp_path):
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
def test_fashion_mnist_debian_package_holds_the_real_data(offline):
    run = _run()
    (x, y), (xt, yt), _ = datasets.load_fashion_mnist(run)
    if "Debian" not in run.data["fashion_mnist"]["description"]:
        pytest.skip("Fashion-MNIST came from Keras's cache")
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10


def test_cifar10_offline_standin_splits_the_mirror_test_set(offline, monkeypatch):
    # a small synthetic file stands for the mirror's: the registry's size and sha256 of the real one must not apply
    real = assets.ASSETS["cifar10-test-jpeg"]
    monkeypatch.setitem(assets.ASSETS, real.name, dataclasses.replace(real, size=None, sha256=None))
    rng = np.random.default_rng(2)
    (offline / "cifar10").mkdir()
    np.savez_compressed(offline / "cifar10" / "cifar10_test_jpeg.npz",
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
    from tlcourse import data
    if data.keras_file_available("cifar-10-python.tar.gz"):
        pytest.skip("the CIFAR-10 archive is cached here")
    (x, y), (xt, yt), classes = datasets.load_cifar10(run, n_train=4000, n_test=1000)
    assert x.shape == (4000, 32, 32, 3) and xt.shape == (1000, 32, 32, 3)
    assert np.bincount(y).tolist() == [400] * 10 and np.bincount(yt).tolist() == [100] * 10
    assert classes == datasets.CIFAR10_CLASSES
    assert len({a.tobytes() for a in x} & {b.tobytes() for b in xt}) == 0   # no image in both splits


def test_cached_arrays_hit_miss_and_keys(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"train": np.arange(6, dtype=np.float16).reshape(2, 3), "test": np.ones((1, 3), np.float16)}

    settings = {"model": "m", "size": 32}
    a, info = datasets.cached_arrays("feat", settings, compute, folder=tmp_path)
    assert not info["hit"] and len(calls) == 1
    b, info2 = datasets.cached_arrays("feat", dict(settings), compute, folder=tmp_path)
    assert info2["hit"] and len(calls) == 1 and info2["compute_seconds"] == pytest.approx(info["seconds"], abs=1e-3)
    np.testing.assert_array_equal(a["train"], b["train"])
    assert b["test"].dtype == np.float16
    # other settings, other key: computed again, the first cache untouched
    datasets.cached_arrays("feat", {**settings, "size": 64}, compute, folder=tmp_path)
    assert len(calls) == 2 and len(list(tmp_path.glob("feat-*.json"))) == 2
    # a damaged cache is not trusted
    meta = Path(info["path"])
    next(tmp_path.glob(f"{meta.stem}.train.npy")).unlink()
    _, info3 = datasets.cached_arrays("feat", settings, compute, folder=tmp_path)
    assert not info3["hit"] and len(calls) == 3
    doc = json.loads(meta.read_text())
    doc["settings"]["size"] = 33
    meta.write_text(json.dumps(doc))
    assert not datasets.cached_arrays("feat", settings, compute, folder=tmp_path)[1]["hit"]
    with pytest.raises(TypeError):
        datasets.cached_arrays("bad", {}, lambda: [1, 2], folder=tmp_path)


def test_mnist_dense_model_rebuilds_then_reuses_then_prefers_lesson1(course_env, shared_mirror, monkeypatch,
                                                                      tmp_path, capsys):
    import keras

    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    path = tmp_path / "artifacts" / "mnist_dense.keras"
    run = _run()
    model = datasets.mnist_dense_model(run, path, epochs=1)
    out = capsys.readouterr().out
    assert "is missing" in out and "Rebuilding" in out
    assert [layer.name for layer in model.layers][-3:] == ["hidden_8", "hidden_4", "digits"]
    assert model.input_shape == (None, 28, 28) and model.count_params() == 6366
    rebuilt = path.with_name("mnist_dense_rebuilt.keras")
    assert rebuilt.exists() and run.metrics["mnist_dense_rebuilt"]["test_accuracy"] > 0.2   # 1 epoch; chance 0.1
    assert "rebuilt" in run.weights["mnist_dense"]["description"]

    run2 = _run()
    again = datasets.mnist_dense_model(run2, path, epochs=1)
    assert "rebuilt by an earlier run" in capsys.readouterr().out
    np.testing.assert_array_equal(again.get_layer("hidden_4").get_weights()[0],
                                  model.get_layer("hidden_4").get_weights()[0])
    assert run2.metrics["mnist_dense_rebuilt"]["test_accuracy"] > 0.2

    # a file at lesson 1's path with another architecture is not used
    other = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, name="digits")])
    other.save(path)
    assert datasets.mnist_dense_model(_run(), path, epochs=1).count_params() == 6366
    # lesson 1's model, when present, is preferred
    model.save(path)
    run3 = _run()
    datasets.mnist_dense_model(run3, path, epochs=1)
    assert "lesson 1's trained MNIST model" in run3.weights["mnist_dense"]["description"]
