"""Loaders of the data sets of lessons 2 and 3, a disk cache for computed features, and lesson 1's model.

- :func:`load_emnist`         EMNIST balanced (47 classes) with the ``emnist`` package, through the course's assets;
                              offline without the NIST zip: synthetic glyphs (announced stand-in)
- :func:`emnist_classes`      the 47 characters of EMNIST balanced, from its mapping file
- :func:`load_fashion_mnist`  Fashion-MNIST: keras.datasets, or offline Debian's ``dataset-fashion-mnist`` (real both ways)
- :func:`load_cifar10`        CIFAR-10: keras.datasets; offline the real test set split 8,000/2,000 (announced stand-in)
- :func:`cached_arrays`       compute arrays once (e.g. bottleneck features), keep them as .npy with a settings key
- :func:`mnist_dense_model`   lesson 1's saved MNIST model, rebuilt (announced) when lesson 1 has not been run

Each loader returns ``(x_train, y_train), (x_test, y_test), class_names`` with uint8 images and uint8 labels
(0 … n_classes-1, shape ``(n,)``); ``n_train``/``n_test`` take a class-balanced, seeded subset.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

from . import assets, data, standins

__all__ = ["EMNIST_MAPPING_MEMBER", "FASHION_MNIST_CLASSES", "CIFAR10_CLASSES", "DEBIAN_FASHION_MNIST",
           "parse_mapping", "emnist_classes", "load_emnist", "load_fashion_mnist", "load_cifar10",
           "cached_arrays", "mnist_dense_model"]

EMNIST_MAPPING_MEMBER = "gzip/emnist-balanced-mapping.txt"
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_FASHION_PARTS = ("train-images", "train-labels", "t10k-images", "t10k-labels")


def _subset(x, y, n, seed):
    if n is None or n >= len(y):
        return x, y
    idx = standins.balanced_subset(y, n, seed)
    return x[idx], y[idx]


def _summary(name, x_train, y_train, x_test, y_test, classes):
    print(f"{name}: train {x_train.shape} {x_train.dtype}, test {x_test.shape} {x_test.dtype}, "
          f"{len(classes)} classes")


# --------------------------------------------------------------------------- EMNIST

def parse_mapping(text: str) -> list[str]:
    """The characters of an EMNIST mapping file (lines ``label character-code``), in label order."""
    pairs = []
    for line in text.splitlines():
        if line.strip():
            label, code = line.split()
            pairs.append((int(label), chr(int(code))))
    pairs.sort()
    if [label for label, _ in pairs] != list(range(len(pairs))):
        raise ValueError("The mapping's labels are not 0, 1, 2, … without gaps: is it an EMNIST mapping file?")
    return [char for _, char in pairs]


def emnist_classes(zip_path: str | os.PathLike | None = None) -> list[str]:
    """The 47 characters of EMNIST balanced (digits, upper case, and the 11 lower-case letters that do not look
    like their capitals). Read from inside the NIST zip when given, else from the mapping file asset."""
    if zip_path is not None:
        with zipfile.ZipFile(zip_path) as zf:
            text = zf.read(EMNIST_MAPPING_MEMBER).decode("ascii")
    else:
        text = assets.fetch("emnist-balanced-mapping").read_text(encoding="ascii")
    return parse_mapping(text)


def load_emnist(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """EMNIST balanced: ``(x_train, y_train), (x_test, y_test), class_names`` (47 classes, 28×28 uint8).

    The NIST zip (``emnist.zip`` asset: cache, mirror or download, verified) is read with the ``emnist`` package
    as ``emnist.extract_training_samples("balanced")``; the package already transposes the images (NIST stored
    them column by column), so they come out upright. Offline without the zip the stand-in is
    :func:`tlcourse.standins.glyphs`: synthetic images of the same 47 characters, class balanced (announced).
    """
    try:
        zip_path = assets.fetch("emnist.zip")
    except assets.AssetError:
        if not assets.is_offline():
            raise
        zip_path = None
    if zip_path is not None:
        import emnist

        emnist.CACHE_FILE_PATH = str(zip_path)
        with warnings.catch_warnings():  # emnist 0.0 converts 1-element arrays with int(): deprecated in NumPy 2
            warnings.simplefilter("ignore", DeprecationWarning)
            x_train, y_train = emnist.extract_training_samples("balanced")
            x_test, y_test = emnist.extract_test_samples("balanced")
        classes = emnist_classes(zip_path)
        run.used_data("emnist", f"EMNIST balanced {len(y_train):,} train / {len(y_test):,} test (NIST, emnist package)",
                      real=True, source=str(zip_path))
        x_train, y_train = _subset(x_train, y_train.astype(np.uint8), n_train, seed)
        x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1)
    else:
        classes = emnist_classes()
        per_train = -(-(n_train or 2400 * len(classes)) // len(classes))
        per_test = -(-(n_test or 400 * len(classes)) // len(classes))
        run.standin("synthetic 47-class glyphs (tlcourse.standins.glyphs: each class's character drawn with a font, "
                    "randomly shifted, scaled, rotated, sheared, thickened, blurred and noised)",
                    "EMNIST balanced images", "emnist.zip (NIST, 536 MB) is not in the cache or the mirror.")
        x_train, y_train = standins.glyphs(classes, per_train, seed=seed)
        x_test, y_test = standins.glyphs(classes, per_test, seed=seed + 1)
        x_train, y_train = x_train[:n_train], y_train[:n_train]
        x_test, y_test = x_test[:n_test], y_test[:n_test]
        run.used_data("emnist", f"synthetic glyphs of the 47 EMNIST balanced characters, {len(y_train):,} train / "
                      f"{len(y_test):,} test (stand-in)", real=False, source="tlcourse.standins.glyphs")
    _summary("EMNIST balanced", x_train, y_train, x_test, y_test, classes)
    return (x_train, y_train), (x_test, y_test), classes


# --------------------------------------------------------------------------- Fashion-MNIST

def load_fashion_mnist(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0,
                       debian_dir: str | os.PathLike = DEBIAN_FASHION_MNIST):
    """Fashion-MNIST: ``(x_train, y_train), (x_test, y_test), class_names`` (10 classes, 28×28 uint8).

    Real data both ways: ``keras.datasets.fashion_mnist.load_data()`` when its files are in Keras's cache, the
    mirror or can be downloaded; offline otherwise Debian's package ``dataset-fashion-mnist`` (the same 70,000
    images, ``apt-get install dataset-fashion-mnist``)."""
    import keras

    debian_dir = Path(debian_dir)
    debian_files = [debian_dir / f"{part}-idx{1 if 'labels' in part else 3}-ubyte.gz" for part in _FASHION_PARTS]
    if all(data.keras_file_available(f"fashion-mnist-{part}") for part in _FASHION_PARTS):
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        run.used_data("fashion_mnist", "Fashion-MNIST 60,000 train / 10,000 test (keras.datasets)", real=True)
        print("Fashion-MNIST from keras.datasets.fashion_mnist")
    elif all(f.is_file() for f in debian_files):
        x_train, y_train, x_test, y_test = (data.read_idx(f) for f in debian_files)
        if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
            raise ValueError(f"The Fashion-MNIST files in {debian_dir} have unexpected shapes.")
        run.used_data("fashion_mnist", "Fashion-MNIST 60,000 train / 10,000 test (Debian dataset-fashion-mnist)",
                      real=True, source=str(debian_dir))
        print(f"Fashion-MNIST from Debian's dataset-fashion-mnist package ({debian_dir}): the real images, "
              "read offline")
    else:
        raise assets.AssetError(
            "Fashion-MNIST is not available: offline, not in Keras's cache or the mirror, and Debian's package is "
            f"not installed ({debian_dir} is missing). Go online (keras.datasets downloads it), or run "
            "`sudo apt-get install dataset-fashion-mnist`.")
    x_train, y_train = _subset(x_train, y_train.astype(np.uint8), n_train, seed)
    x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1)
    _summary("Fashion-MNIST", x_train, y_train, x_test, y_test, FASHION_MNIST_CLASSES)
    return (x_train, y_train), (x_test, y_test), list(FASHION_MNIST_CLASSES)


# --------------------------------------------------------------------------- CIFAR-10

def load_cifar10(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """CIFAR-10: ``(x_train, y_train), (x_test, y_test), class_names`` (10 classes, 32×32×3 uint8, labels ``(n,)``).

    Real data from ``keras.datasets.cifar10.load_data()``. Offline without its archive the stand-in is the real
    CIFAR-10 *test* set (the mirror's JPEG-decoded copy) split 8,000 train / 2,000 test, stratified and seeded
    (announced)."""
    import keras

    if data.keras_file_available("cifar-10-python.tar.gz"):
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
        y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)
        run.used_data("cifar10", "CIFAR-10 50,000 train / 10,000 test (keras.datasets)", real=True)
        classes = list(CIFAR10_CLASSES)
    else:
        path = assets.fetch("cifar10-test-jpeg")
        with np.load(path, allow_pickle=False) as npz:
            images, labels = npz["x_test"], npz["y_test"].reshape(-1)
            classes = [str(c) for c in npz["class_names"]]
        train, test = standins.stratified_split(labels, len(labels) // 5, seed=0)  # 8,000 / 2,000
        x_train, y_train, x_test, y_test = images[train], labels[train], images[test], labels[test]
        split = f"{len(train):,} train / {len(test):,} test"
        run.standin(f"the real CIFAR-10 test set (JPEG-decoded copy) split {split}, stratified",
                    "CIFAR-10 50,000 training images", "cifar-10-python.tar.gz is not in the cache or the mirror.")
        run.used_data("cifar10", f"CIFAR-10 test set split {split} (real images, stand-in split)", real=False,
                      source=str(path))
    x_train, y_train = _subset(x_train, y_train.astype(np.uint8), n_train, seed)
    x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1)
    _summary("CIFAR-10", x_train, y_train, x_test, y_test, classes)
    return (x_train, y_train), (x_test, y_test), classes


# --------------------------------------------------------------------------- cache of computed arrays

def _settings_key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _save_npy_atomic(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            np.save(f, array)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def cached_arrays(name: str, settings: dict, compute, folder: str | os.PathLike = "artifacts"):
    """Return ``(arrays, info)``: the dict of NumPy arrays that ``compute()`` returns, computed once and kept in
    ``folder`` as ``<name>-<key>.<array>.npy`` with a JSON sidecar ``<name>-<key>.json``.

    ``key`` is a hash of ``settings`` (everything the arrays depend on: model, weights, image size, data source,
    subset sizes …), so changed settings never reuse a wrong cache; the sidecar repeats the settings and is
    checked too. ``info`` says whether it was a cache ``hit``, the ``seconds`` this call took, and
    ``compute_seconds``, how long computing took when the cache was made."""
    folder = Path(folder)
    key = _settings_key(settings)
    stem = f"{name}-{key}"
    meta_path = folder / f"{stem}.json"
    settings_json = json.loads(json.dumps(settings, sort_keys=True, default=str))
    t0 = time.perf_counter()
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("settings") != settings_json:
                raise ValueError("settings differ")
            arrays = {k: np.load(folder / f"{stem}.{k}.npy", allow_pickle=False) for k in meta["arrays"]}
            for k, spec in meta["arrays"].items():
                if list(arrays[k].shape) != spec["shape"] or str(arrays[k].dtype) != spec["dtype"]:
                    raise ValueError(f"{k} has shape {arrays[k].shape}, expected {spec['shape']}")
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
            print(f"Cache {meta_path} is unusable ({err}); computing again.")
        else:
            seconds = time.perf_counter() - t0
            print(f"Cache hit: loaded {', '.join(f'{k} {v.shape}' for k, v in arrays.items())} from {folder}/{stem}.* "
                  f"in {seconds:.2f} s (computing them took {meta['compute_seconds']:.1f} s on {meta['created']}).")
            return arrays, {"hit": True, "seconds": seconds, "compute_seconds": meta["compute_seconds"],
                            "path": str(meta_path)}
    print(f"Cache miss: computing {name} (settings key {key}) …")
    arrays = compute()
    if not isinstance(arrays, dict) or not all(isinstance(v, np.ndarray) for v in arrays.values()):
        raise TypeError("compute() must return a dict of NumPy arrays, e.g. {'train': ..., 'test': ...}.")
    seconds = time.perf_counter() - t0
    folder.mkdir(parents=True, exist_ok=True)
    for k, v in arrays.items():
        _save_npy_atomic(folder / f"{stem}.{k}.npy", v)
    meta = {"name": name, "key": key, "settings": settings_json, "compute_seconds": round(seconds, 3),
            "created": _dt.datetime.now().isoformat(timespec="seconds"),
            "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}}
    tmp = meta_path.with_name(f".{meta_path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, meta_path)  # written last: a cache without its sidecar is never used
    size = sum(v.nbytes for v in arrays.values()) / 2 ** 20
    print(f"Computed in {seconds:.1f} s; saved {size:.1f} MiB to {folder}/{stem}.*")
    return arrays, {"hit": False, "seconds": seconds, "compute_seconds": seconds, "path": str(meta_path)}


# --------------------------------------------------------------------------- lesson 1's model

_MNIST_DENSE_LAYERS = ("hidden_8", "hidden_4", "digits")


def _is_mnist_dense(model) -> bool:
    names = [layer.name for layer in model.layers]
    return (all(n in names for n in _MNIST_DENSE_LAYERS) and tuple(model.input_shape) == (None, 28, 28)
            and tuple(model.output_shape) == (None, 10))


def mnist_dense_model(run, path: str | os.PathLike = "artifacts/mnist_dense.keras", epochs: int = 5):
    """Lesson 1's trained MNIST model (``keras.Input((28, 28))`` → Flatten → Dense(8) "hidden_8" → Dense(4)
    "hidden_4" → Dense(10) "digits", trained on pixels scaled to [0, 1]).

    Loads ``path`` when lesson 1 saved it. Otherwise (lesson 1 not run, e.g. on Colab) it says so and rebuilds the
    same model, trained for ``epochs`` epochs on MNIST (:func:`tlcourse.data.load_mnist`), saved next to ``path``
    as ``*_rebuilt.keras`` so a second run reuses it. Either way the source is recorded in the results."""
    import keras

    path = Path(path)
    rebuilt = path.with_name(f"{path.stem}_rebuilt.keras")
    if path.exists():
        model = keras.models.load_model(path)
        if _is_mnist_dense(model):
            print(f"Loaded lesson 1's model from {path}")
            run.used_weights("mnist_dense", f"lesson 1's trained MNIST model ({path})", real=True, source=str(path))
            return model
        print(f"{path} does not have lesson 1's architecture (layers {', '.join(_MNIST_DENSE_LAYERS)}); "
              "using a rebuilt copy instead.")
    if rebuilt.exists():
        model = keras.models.load_model(rebuilt)
        if _is_mnist_dense(model):
            print(f"Lesson 1's model {path} is missing: using the copy rebuilt by an earlier run ({rebuilt}).")
            info = json.loads(rebuilt.with_suffix(".json").read_text()) if rebuilt.with_suffix(".json").exists() else {}
            run.used_weights("mnist_dense", f"lesson 1's MNIST model rebuilt by tlcourse ({rebuilt})",
                             real=bool(info.get("real_data", False)), source=str(rebuilt))
            run.record("mnist_dense_rebuilt", **{k: v for k, v in info.items() if k != "real_data"})
            return model
    print(f"Lesson 1's saved model {path} is missing (lesson 1 has not been run here). Rebuilding it now: the same "
          f"architecture, trained on MNIST for {epochs} epochs by tlcourse.datasets.mnist_dense_model.")
    (x_train, y_train), (x_test, y_test) = data.load_mnist(run)
    x_train, x_test = x_train.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    inputs = keras.Input((28, 28), name="pixels")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = keras.layers.Dense(8, activation="relu", name="hidden_8")(x)
    x = keras.layers.Dense(4, activation="relu", name="hidden_4")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="digits")(x)
    model = keras.Model(inputs, outputs, name="mnist_dense")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1, verbose=2)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Rebuilt MNIST model: test accuracy {acc:.3f} (test loss {loss:.3f})")
    rebuilt.parent.mkdir(parents=True, exist_ok=True)
    model.save(rebuilt)
    real = bool(run.data.get("mnist", {}).get("real", False))
    info = {"test_accuracy": float(acc), "test_loss": float(loss), "epochs": epochs, "real_data": real}
    rebuilt.with_suffix(".json").write_text(json.dumps(info))
    run.used_weights("mnist_dense", f"lesson 1's MNIST model rebuilt by tlcourse ({rebuilt})", real=real,
                     source=str(rebuilt))
    run.record("mnist_dense_rebuilt", test_accuracy=acc, test_loss=loss, epochs=epochs)
    return model


# --------------------------------------------------------------------------- 10 food classes, 10% (lesson 6)

FOOD10_PER_CLASS = {"train": 75, "test": 250}


def _image_files(folder: Path) -> tuple[list[Path], np.ndarray, list[str]]:
    """The image files of a folder with one subfolder per class, sorted; their labels; the class names."""
    from .checks import IMAGE_EXTENSIONS

    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    files, labels = [], []
    for k, name in enumerate(classes):
        for path in sorted((folder / name).iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
                files.append(path)
                labels.append(k)
    return files, np.asarray(labels, dtype=int), classes


def folder_subset(folder: str | os.PathLike, n: int | None, seed: int = 0,
                  dest: str | os.PathLike | None = None) -> Path:
    """A class-balanced, seeded subset of ``n`` images of an image folder (one subfolder per class), as a folder of
    its own with the same layout (files hard-linked where possible, else copied). ``n=None`` or ``n`` at least the
    number of images returns ``folder`` itself. The subset is chosen with :func:`tlcourse.standins.balanced_subset`,
    built in a temporary folder and renamed into place; a complete subset with the same settings is reused. The
    default ``dest`` is ``<folder>_n<n>_seed<seed>`` next to ``folder``."""
    import shutil
    import tempfile

    folder = Path(folder)
    files, labels, classes = _image_files(folder)
    if n is None or n >= len(files):
        return folder
    dest = Path(dest) if dest is not None else folder.with_name(f"{folder.name}_n{n}_seed{seed}")
    chosen = sorted(standins.balanced_subset(labels, n, seed).tolist())
    settings = {"source": str(folder.resolve()), "n": int(n), "seed": int(seed),
                "files": [str(files[i].relative_to(folder)) for i in chosen]}
    try:
        if json.loads((dest / ".complete").read_text()) == settings:
            return dest
    except (OSError, ValueError):
        pass
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        for name in classes:
            (tmp / name).mkdir()
        for rel in settings["files"]:
            try:
                os.link(folder / rel, tmp / rel)
            except OSError:
                shutil.copy2(folder / rel, tmp / rel)
        (tmp / ".complete").write_text(json.dumps(settings))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _food10_root(extracted: Path) -> Path:
    """The folder holding ``train/`` and ``test/`` inside the extracted archive."""
    for candidate in (extracted / "10_food_classes_10_percent", extracted):
        if (candidate / "train").is_dir() and (candidate / "test").is_dir():
            return candidate
    raise assets.AssetError(f"{extracted} has no train/ and test/ folders: the archive is not the 10 food classes "
                            "data set. Delete it and the extracted folder, then run the cell again.")


def load_food10(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """10 food classes of Food-101, 10% of their images (Zero to Mastery's ``10_food_classes_10_percent``):
    ``(train_dir, test_dir, class_names)``, two folders with one subfolder per class (750 training and 2,500 test
    JPEGs, 75 and 250 per class) and the class names in the order Keras numbers them (alphabetical).

    The zip comes through the course's assets (cache → mirror → download, sha256 of the first copy recorded) and
    is extracted safely. Every image is decoded once first (:func:`tlcourse.checks.scan_image_folder`), so an
    unreadable file is named before training, not in the middle of an epoch. Offline without the zip, the stand-in
    is the same layout written as JPEG files from real photos: the 10 classes of the mirror's CIFAR-10 test set
    (32×32 pixels), 75 training and 250 test photos per class, disjoint and seeded (announced and recorded).
    ``n_train``/``n_test`` give a class-balanced, seeded subset (:func:`folder_subset`).
    """
    from . import checks

    for what, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{what}={value!r}: give a positive number of images (e.g. {what}=200), or None for "
                             f"all of them; set it per profile in PROFILES.")
    missing = getattr(assets, "AssetMissing", assets.AssetError)
    try:
        zip_path = assets.fetch("food-10-percent")
    except missing:
        if not assets.is_offline():
            raise
        zip_path = None
    if zip_path is not None:
        root = _food10_root(assets.extract(zip_path))
        description = "10_food_classes_10_percent (Food-101 subset, Zero to Mastery): 750 train / 2,500 test JPEGs"
        real, source = True, str(zip_path)
    else:
        npz_path = assets.fetch("cifar10-test-jpeg")
        with np.load(npz_path, allow_pickle=False) as npz:
            images, labels = npz["x_test"], npz["y_test"].reshape(-1)
            classes = [str(c) for c in npz["class_names"]]
        root = standins.write_image_folders(assets.cache_dir() / "standins" / "food10_cifar10", images, labels,
                                            classes, FOOD10_PER_CLASS, seed=0, source=assets.get("cifar10-test-jpeg").filename)
        run.standin("real photos of the 10 CIFAR-10 classes (the mirror's CIFAR-10 test set, 32×32 pixels) written "
                    "as JPEG folders in the same layout, 75 train / 250 test per class",
                    "10_food_classes_10_percent (Food-101 photos)",
                    "10_food_classes_10_percent.zip is not in the cache or the mirror.")
        description = "CIFAR-10 test photos as image folders, 750 train / 2,500 test (stand-in for the food images)"
        real, source = False, str(root)
    for split in ("train", "test"):
        checks.scan_image_folder(root / split, action="raise")
    train_dir = folder_subset(root / "train", n_train, seed)
    test_dir = folder_subset(root / "test", n_test, seed + 1)
    class_names = sorted(p.name for p in train_dir.iterdir() if p.is_dir())
    n_tr, n_te = len(_image_files(train_dir)[0]), len(_image_files(test_dir)[0])
    run.used_data("food10", f"{description}; used {n_tr:,} train / {n_te:,} test", real=real, source=source)
    print(f"{'Food-101, 10 classes, 10%' if real else 'Stand-in (CIFAR-10 photos)'}: train {n_tr:,} images in "
          f"{train_dir}, test {n_te:,} images in {test_dir}, {len(class_names)} classes")
    return train_dir, test_dir, class_names


__all__ += ["FOOD10_PER_CLASS", "folder_subset", "load_food10"]
