"""Data sets and pretrained weights, real when they can be had, announced stand-ins offline otherwise."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from . import assets

__all__ = ["keras_file_available", "pretrained", "load_mnist", "read_idx"]


def keras_file_available(name: str) -> bool:
    """Make sure the Keras-managed asset ``name`` is in Keras's cache, where Keras looks for it: already there,
    copied from the mirror, or downloaded (all verified). Returns False only offline, when the file is missing;
    online, a failed download raises the :class:`~tlcourse.assets.AssetError` that says what to do."""
    asset = assets.get(name)
    if not asset.cache.startswith("keras/"):
        raise ValueError(f"{name!r} is not a Keras-managed file; use tlcourse.assets.fetch({name!r}).")
    try:
        assets.fetch(name, progress=True)
        return True
    except assets.AssetError:
        if assets.is_offline():
            return False
        raise


def pretrained(run, name: str, model: str) -> str | None:
    """``"imagenet"`` when the weights file ``name`` can be had, else (offline only) ``None`` with an announced
    stand-in: the same architecture with random weights."""
    if keras_file_available(name):
        run.used_weights(model, f"{model} ImageNet weights ({assets.get(name).filename})", real=True,
                         source=str(assets.locate(assets.get(name))))
        return "imagenet"
    run.standin("random initial weights (weights=None)", f"{model} ImageNet weights",
                f"{assets.get(name).filename} is not in the cache or the mirror.")
    run.used_weights(model, f"{model} with random weights (stand-in)", real=False)
    return None


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST/EMNIST format), gzipped or not, into a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number).")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(dims)):,} values, found {data.size:,}.")
    return data.reshape(dims)


def load_mnist(run, n_train: int | None = None, n_test: int | None = None):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``, uint8 images 28×28, labels 0–9.

    Real data comes from ``keras.datasets.mnist.load_data()``. Offline without ``mnist.npz``, the stand-in is
    the real MNIST *test* set, shuffled with a fixed seed and split 8,000 for training / 2,000 for testing (announced and recorded).
    ``n_train``/``n_test`` take the first N examples (the quick profile's subsets).
    """
    import keras

    for what, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{what}={value!r}: give a positive number of examples (e.g. {what}=8000), or None "
                             "for all of them; set it per profile in PROFILES.")
    if keras_file_available("mnist.npz"):
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        run.used_data("mnist", "MNIST 60,000 train / 10,000 test (keras.datasets)", real=True)
    else:
        images = read_idx(assets.fetch("mnist-test-images"))
        labels = read_idx(assets.fetch("mnist-test-labels"))
        order = np.random.default_rng(0).permutation(len(labels))  # a fixed shuffle mixes both test writers
        train, test = order[:8000], order[8000:]
        x_train, y_train, x_test, y_test = images[train], labels[train], images[test], labels[test]
        run.standin("the real MNIST test set split 8,000 train / 2,000 test", "MNIST 60,000 training images",
                    "mnist.npz is not in the cache or the mirror.")
        run.used_data("mnist", "MNIST test set split 8,000/2,000 (real images, stand-in split)", real=False)
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    if n_test is not None:
        x_test, y_test = x_test[:n_test], y_test[:n_test]
    print(f"MNIST: train {x_train.shape} {x_train.dtype}, test {x_test.shape} {x_test.dtype}")
    return (x_train, y_train), (x_test, y_test)
