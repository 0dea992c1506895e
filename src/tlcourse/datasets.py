"""Every data set of the course, behind one contract.

``load_<name>(run, n_train=None, n_test=None, seed=0)`` returns ``(train, test, class_names)``:

- array data sets: ``train = (x_train, y_train)``, ``test = (x_test, y_test)``, uint8 images and integer labels
  of shape ``(n,)``;
- image-folder data sets: ``train`` and ``test`` are folders (:class:`~pathlib.Path`), one sub-folder per class,
  ready for ``keras.utils.image_dataset_from_directory``.

``n_train``/``n_test`` take a class-balanced, seeded subset (:func:`tlcourse.standins.balanced_subset`); ``None``
keeps everything. The data are real; only offline (``TLCOURSE_OFFLINE=1``), when a file is in no cache or mirror,
a loader uses a stand-in, announced with ``run.standin`` and recorded with ``run.used_data``. Online nothing is
substituted: a failed download raises the :class:`~tlcourse.assets.AssetError` that says what to do.

- :func:`load_mnist`          MNIST (``keras.datasets``); offline the real test set split 8,000/2,000 (stand-in)
- :func:`load_emnist`         EMNIST balanced (47 classes, ``emnist`` package); offline synthetic glyphs (stand-in)
- :func:`load_fashion_mnist`  Fashion-MNIST: ``keras.datasets``, or offline Debian's ``dataset-fashion-mnist`` (real)
- :func:`load_cifar10`        CIFAR-10 (``keras.datasets``); offline the real test set split 8,000/2,000 (stand-in)
- :func:`load_cats_vs_dogs`   the 3,000 JPEGs of ``cats_and_dogs_filtered.zip`` as train/validation folders

Pretrained weights and lesson 1's model are in :mod:`tlcourse.models`, the feature cache in :mod:`tlcourse.features`.
"""

from __future__ import annotations

import gzip
import json
import numbers
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from . import assets, standins

__all__ = ["EMNIST_MAPPING_MEMBER", "FASHION_MNIST_CLASSES", "CIFAR10_CLASSES", "MNIST_CLASSES",
           "DEBIAN_FASHION_MNIST", "read_idx", "parse_mapping", "emnist_classes", "load_mnist", "load_emnist",
           "load_fashion_mnist", "load_cifar10", "load_cats_vs_dogs", "folder_subset", "DOLLAR_STREET_CLASSES",
           "load_dollar_street", "dollar_street_standin", "FOOD10_PER_CLASS", "load_food10"]

MNIST_CLASSES = [str(d) for d in range(10)]
EMNIST_MAPPING_MEMBER = "gzip/emnist-balanced-mapping.txt"
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_FASHION_PARTS = ("train-images", "train-labels", "t10k-images", "t10k-labels")


# --------------------------------------------------------------------------- the contract's plumbing

def _check_args(loader: str, n_train, n_test, seed) -> None:
    """Clear errors for bad subset sizes or seeds, before anything is downloaded."""
    for what, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None and (not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{loader}({what}={value!r}): give a positive number of examples (a whole number, e.g. "
                             f"{what}=2000), or None for all of them; set it per profile in PROFILES.")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"{loader}(seed={seed!r}): use a non-negative whole number, e.g. seed=0.")


def _offline_missing(err: assets.AssetError) -> bool:
    """True when ``err`` may be answered with a stand-in: the file is in no cache or mirror and may not be downloaded
    (:class:`~tlcourse.assets.AssetMissing`, raised only offline). Every other problem (a damaged copy, a wrong
    setting, a read-only cache) stops with its own message."""
    return isinstance(err, assets.AssetMissing)


def _subset(x, y, n, seed, what="n_train"):
    if n is None or n >= len(y):
        if n is not None and n > len(y):
            print(f"Note: {what}={n:,} asks for more than the {len(y):,} examples available; using all of them.")
        return x, y
    idx = standins.balanced_subset(y, n, seed)
    return x[idx], y[idx]


def _summary(name, x_train, y_train, x_test, y_test, classes):
    print(f"{name}: train {x_train.shape} {x_train.dtype}, test {x_test.shape} {x_test.dtype}, "
          f"{len(classes)} classes")


def read_idx(path: str | os.PathLike) -> np.ndarray:
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


# --------------------------------------------------------------------------- MNIST

def load_mnist(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """MNIST: ``(x_train, y_train), (x_test, y_test), class_names`` (10 digits, 28×28 uint8).

    Real data from ``keras.datasets.mnist.load_data()`` (60,000 / 10,000). Offline without ``mnist.npz`` the
    stand-in is the real MNIST *test* set split 8,000 train / 2,000 test, stratified and seeded (announced)."""
    import keras

    _check_args("load_mnist", n_train, n_test, seed)
    if assets.keras_file_available("mnist.npz"):
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        run.used_data("mnist", "MNIST 60,000 train / 10,000 test (keras.datasets)", real=True)
    else:
        images = read_idx(assets.fetch("mnist-test-images"))
        labels = read_idx(assets.fetch("mnist-test-labels"))
        train, test = standins.stratified_split(labels, len(labels) // 5, seed=0)  # 8,000 / 2,000
        x_train, y_train, x_test, y_test = images[train], labels[train], images[test], labels[test]
        split = f"{len(train):,} train / {len(test):,} test"
        run.standin(f"the real MNIST test set split {split}, stratified", "MNIST 60,000 training images",
                    "mnist.npz is not in the cache or the mirror.")
        run.used_data("mnist", f"MNIST test set split {split} (real images, stand-in split)", real=False)
    x_train, y_train = _subset(x_train, y_train.astype(np.uint8), n_train, seed)
    x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1, "n_test")
    _summary("MNIST", x_train, y_train, x_test, y_test, MNIST_CLASSES)
    return (x_train, y_train), (x_test, y_test), list(MNIST_CLASSES)


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
    _check_args("load_emnist", n_train, n_test, seed)
    try:
        zip_path = assets.fetch("emnist.zip")
    except assets.AssetError as err:
        if not _offline_missing(err):
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
        x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1, "n_test")
    else:
        classes = emnist_classes()
        per_train = -(-(n_train or 2400 * len(classes)) // len(classes))
        per_test = -(-(n_test or 400 * len(classes)) // len(classes))
        run.standin("synthetic 47-class glyphs (tlcourse.standins.glyphs: each class's character drawn with a font, "
                    "randomly shifted, scaled, rotated, sheared, thickened, blurred and noised)",
                    "EMNIST balanced images", "emnist.zip (NIST, 536 MB) is not in the cache or the mirror.")
        x_train, y_train = standins.glyphs(classes, per_train, seed=seed)
        x_test, y_test = standins.glyphs(classes, per_test, seed=seed + 1)
        x_train, y_train = _subset(x_train, y_train, n_train, seed)   # exact sizes, still class-balanced
        x_test, y_test = _subset(x_test, y_test, n_test, seed + 1, "n_test")
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

    _check_args("load_fashion_mnist", n_train, n_test, seed)
    debian_dir = Path(debian_dir)
    debian_files = [debian_dir / f"{part}-idx{1 if 'labels' in part else 3}-ubyte.gz" for part in _FASHION_PARTS]
    if all(assets.keras_file_available(f"fashion-mnist-{part}") for part in _FASHION_PARTS):
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        run.used_data("fashion_mnist", "Fashion-MNIST 60,000 train / 10,000 test (keras.datasets)", real=True)
        print("Fashion-MNIST from keras.datasets.fashion_mnist")
    elif all(f.is_file() for f in debian_files):
        x_train, y_train, x_test, y_test = (read_idx(f) for f in debian_files)
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
    x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1, "n_test")
    _summary("Fashion-MNIST", x_train, y_train, x_test, y_test, FASHION_MNIST_CLASSES)
    return (x_train, y_train), (x_test, y_test), list(FASHION_MNIST_CLASSES)


# --------------------------------------------------------------------------- CIFAR-10

def load_cifar10(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """CIFAR-10: ``(x_train, y_train), (x_test, y_test), class_names`` (10 classes, 32×32×3 uint8, labels ``(n,)``).

    Real data from ``keras.datasets.cifar10.load_data()``. Offline without its archive the stand-in is the real
    CIFAR-10 *test* set (the mirror's JPEG-decoded copy) split 8,000 train / 2,000 test, stratified and seeded
    (announced)."""
    import keras

    _check_args("load_cifar10", n_train, n_test, seed)
    if assets.keras_file_available("cifar-10-python.tar.gz"):
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
    x_test, y_test = _subset(x_test, y_test.astype(np.uint8), n_test, seed + 1, "n_test")
    _summary("CIFAR-10", x_train, y_train, x_test, y_test, classes)
    return (x_train, y_train), (x_test, y_test), classes


# --------------------------------------------------------------------------- cats vs dogs (image folders)

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


def load_cats_vs_dogs(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """Cats vs dogs (``cats_and_dogs_filtered.zip``): ``train_dir, validation_dir, class_names``.

    The archive comes through :func:`tlcourse.assets.fetch` (cache → mirror → download, verified) and is
    extracted safely next to it, as ``<name>_extracted/cats_and_dogs_filtered/{train,validation}/{cats,dogs}``
    (2,000 training and 1,000 validation JPEGs). ``n_train``/``n_test`` give folders of class-balanced, seeded
    subsets (hard links). There is no stand-in: the file is small and in every classroom mirror."""
    _check_args("load_cats_vs_dogs", n_train, n_test, seed)
    zip_path = assets.fetch("cats_and_dogs_filtered.zip")
    root = assets.extract(zip_path) / "cats_and_dogs_filtered"
    train_dir, validation_dir = root / "train", root / "validation"
    if not (train_dir.is_dir() and validation_dir.is_dir()):
        raise assets.AssetError(f"{zip_path} does not hold cats_and_dogs_filtered/train and /validation. Delete "
                                "the file and its _extracted folder, then run the cell again to fetch it anew.")
    class_names = sorted(p.name for p in train_dir.iterdir() if p.is_dir())
    counts = {split: sum(1 for c in class_names for _ in (folder / c).glob("*.jpg"))
              for split, folder in (("train", train_dir), ("validation", validation_dir))}
    run.used_data("cats_and_dogs", f"cats_and_dogs_filtered: {counts['train']:,} train / {counts['validation']:,} "
                  "validation JPEGs (Kaggle Dogs vs. Cats)", real=True, source=str(zip_path))
    if n_train is not None and n_train < counts["train"]:
        train_dir = folder_subset(train_dir, n_train, seed, dest=root.parent / f"subset-train-{n_train}-seed{seed}")
    if n_test is not None and n_test < counts["validation"]:
        validation_dir = folder_subset(validation_dir, n_test, seed + 1,
                                       dest=root.parent / f"subset-validation-{n_test}-seed{seed + 1}")
    print(f"cats vs dogs: {zip_path.name} → train {train_dir.relative_to(root.parent)}, validation "
          f"{validation_dir.relative_to(root.parent)}; classes {class_names}")
    return train_dir, validation_dir, class_names


# --------------------------------------------------------------------------- Dollar Street 10 (lesson 4)

DOLLAR_STREET_CLASSES = ["day bed", "dishrag", "plate", "running shoe", "soap dispenser", "street sign",
                         "table lamp", "tile roof", "toilet seat", "washing machine"]
DOLLAR_STREET_SIZE = (64, 64)
DOLLAR_STREET_COUNTS = (878, 293)  # train / test images of the Zenodo files (the stand-in takes as many)


def _dollar_street_arrays(images: np.ndarray, labels: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one split of the Dollar Street files and return it as uint8 images and uint8 labels ``(n,)``."""
    from .checks import check_labels

    if images.ndim != 4 or images.shape[1:] != DOLLAR_STREET_SIZE + (3,):
        raise ValueError(f"Dollar Street {what} images have shape {images.shape}, expected (n, 64, 64, 3): is the "
                         "file the one from Zenodo record 10970014? Delete it and fetch it again.")
    if images.dtype.kind not in "ui":
        raise ValueError(f"Dollar Street {what} images have dtype {images.dtype}; expected integer pixels 0-255 "
                         "(the Zenodo files store int32). Delete the file and fetch it again.")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise ValueError(f"Dollar Street {what} images hold values from {images.min()} to {images.max()}, expected "
                         "pixels 0-255. Delete the file and fetch it again.")
    labels = check_labels(np.asarray(labels).reshape(-1), len(DOLLAR_STREET_CLASSES), name=f"{what} labels")
    if len(labels) != len(images):
        raise ValueError(f"Dollar Street {what}: {len(images)} images but {len(labels)} labels; the two files do "
                         "not belong together. Delete them and fetch them again.")
    return images.astype(np.uint8), labels.astype(np.uint8)


def dollar_street_standin(n_train: int = DOLLAR_STREET_COUNTS[0], n_test: int = DOLLAR_STREET_COUNTS[1],
                          seed: int = 0):
    """The offline stand-in for Dollar Street 10: real photos of 10 other classes, the mirror's CIFAR-10 test
    photos (asset ``cifar10-test-jpeg``), ``n_train`` + ``n_test`` of them, class-balanced, drawn without overlap
    with ``seed`` and upscaled from 32×32 to 64×64 with Pillow's bicubic filter.

    Returns ``(x_train, y_train), (x_test, y_test), class_names, path`` with CIFAR-10's own class names."""
    from PIL import Image

    path = assets.fetch("cifar10-test-jpeg")
    with np.load(path, allow_pickle=False) as npz:
        images, labels = npz["x_test"], npz["y_test"].reshape(-1).astype(np.uint8)
        classes = [str(c) for c in npz["class_names"]]
    chosen = standins.balanced_subset(labels, n_train + n_test, seed)    # balanced over both parts together
    train, test = standins.stratified_split(labels[chosen], n_test, seed=seed)   # then split, keeping the balance
    train, test = chosen[train], chosen[test]

    def upscale(idx):
        return np.stack([np.asarray(Image.fromarray(images[i]).resize(DOLLAR_STREET_SIZE, Image.Resampling.BICUBIC))
                         for i in idx]).astype(np.uint8)

    return (upscale(train), labels[train]), (upscale(test), labels[test]), classes, path


def load_dollar_street(run, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """Dollar Street 10: ``(x_train, y_train), (x_test, y_test), class_names`` (64×64×3 uint8 images, uint8 labels
    ``(n,)``, 10 classes of household objects photographed in homes of every income level).

    The four ``.npy`` files of Zenodo record 10970014 come through the course's assets (cache, mirror or download,
    verified) and load with ``allow_pickle=False`` (:func:`tlcourse.checks.load_array`); the files store the pixels
    as int32, returned as uint8 after a range check. Offline, and only when the files are missing, the stand-in is
    :func:`dollar_street_standin`: as many real CIFAR-10 test photos (878 train / 293 test), upscaled to 64×64,
    with their own class names (announced and recorded). ``n_train``/``n_test`` take a class-balanced, seeded
    subset."""
    from .checks import load_array

    _check_args("load_dollar_street", n_train, n_test, seed)
    try:
        paths = {f"{split}_{part}": assets.fetch(f"dollar-street-{split}-{part}")
                 for split in ("train", "test") for part in ("images", "labels")}
    except assets.AssetError as err:
        if not _offline_missing(err):
            raise
        paths = None
    if paths is not None:
        x_train, y_train = _dollar_street_arrays(load_array(paths["train_images"]), load_array(paths["train_labels"]),
                                                 "train")
        x_test, y_test = _dollar_street_arrays(load_array(paths["test_images"]), load_array(paths["test_labels"]),
                                               "test")
        classes = list(DOLLAR_STREET_CLASSES)
        run.used_data("dollar_street", f"Dollar Street 10: {len(y_train):,} train / {len(y_test):,} test images "
                      "(Zenodo 10970014)", real=True, source=str(paths["train_images"].parent))
    else:
        n_tr, n_te = DOLLAR_STREET_COUNTS
        (x_train, y_train), (x_test, y_test), classes, path = dollar_street_standin(n_tr, n_te, seed=seed)
        run.standin(f"{n_tr} train / {n_te} test real CIFAR-10 test photos of 10 other classes "
                    f"({', '.join(classes)}), upscaled from 32x32 to 64x64, class-balanced",
                    "Dollar Street 10 images", "the Dollar Street files (Zenodo 10970014) are not in the cache or the "
                    "mirror.")
        run.used_data("dollar_street", f"stand-in: {n_tr} train / {n_te} test CIFAR-10 test photos upscaled to "
                      "64x64, CIFAR-10 class names", real=False, source=str(path))
    x_train, y_train = _subset(x_train, y_train, n_train, seed)
    x_test, y_test = _subset(x_test, y_test, n_test, seed + 1)
    _summary("Dollar Street 10" if paths is not None else "Dollar Street stand-in (CIFAR-10 photos)",
             x_train, y_train, x_test, y_test, classes)
    return (x_train, y_train), (x_test, y_test), classes


# --------------------------------------------------------------------------- 10 food classes, 10% (lesson 6)

FOOD10_PER_CLASS = {"train": 75, "test": 250}


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

    _check_args("load_food10", n_train, n_test, seed)
    try:
        zip_path = assets.fetch("food-10-percent")
    except assets.AssetError as err:
        if not _offline_missing(err):
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
                                            classes, FOOD10_PER_CLASS, seed=0,
                                            source=assets.get("cifar10-test-jpeg").filename)
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

