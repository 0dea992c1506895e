"""tlcourse.datasets.load_dollar_street: the real files path (small real .npy files through a private mirror),
refusal of pickled files, online failures that must not turn into stand-ins (a real HTTP server on 127.0.0.1),
and the offline stand-in built from the shared mirror's CIFAR-10 photos."""

import dataclasses
import http.server
import threading

import numpy as np
import pytest

import tlcourse
from tlcourse import assets, datasets

PARTS = [(split, part) for split in ("train", "test") for part in ("images", "labels")]


def _run():
    return tlcourse.Run("unit_dollar_street", "quick", {}, 0, {"kind": "CPU", "count": 1, "name": "test"})


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


def test_registry_has_the_four_zenodo_files():
    for split, part in PARTS:
        asset = assets.get(f"dollar-street-{split}-{part}")
        assert asset.url == f"doi:10.5281/zenodo.10970014/{split}_{part}.npy"   # md5 from the Zenodo record
        assert asset.licence == "CC BY 4.0" and asset.filename.endswith(f"{split}_{part}.npy")


def test_real_files_are_read_checked_and_converted(offline_mirror):
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


def test_real_files_subsets_are_class_balanced_and_seeded(offline_mirror):
    _write_dollar_street(offline_mirror)
    (x, y), (xt, yt), _ = datasets.load_dollar_street(_run(), n_train=20, n_test=10, seed=3)
    assert np.bincount(y, minlength=10).tolist() == [2] * 10 and np.bincount(yt, minlength=10).tolist() == [1] * 10
    (x2, y2), _, _ = datasets.load_dollar_street(_run(), n_train=20, n_test=10, seed=3)
    np.testing.assert_array_equal(x, x2)


def test_pickled_npy_is_refused(offline_mirror):
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
def test_damaged_files_are_named(offline_mirror, override, message):
    _write_dollar_street(offline_mirror, override=override)
    with pytest.raises(ValueError, match=message):
        datasets.load_dollar_street(_run())


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_error(404, "Not Found")

    def log_message(self, *args):
        pass


def test_online_failure_raises_and_never_substitutes(course_env, monkeypatch):
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


def test_offline_standin_is_real_cifar10_photos(course_env, shared_mirror, monkeypatch, capsys):
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
