"""Checks that catch bad inputs and bad files early, with messages that say what to do.

- :func:`scan_image_folder` finds unreadable files in an image-dataset folder *before* training (the full
  Kaggle cats-vs-dogs set has empty and non-image ``.jpg`` files; Keras would stop mid-epoch on them),
  names them, and reports, quarantines or deletes them.
- :func:`load_array` loads ``.npy`` / ``.npz`` files safely: ``allow_pickle=False``, so a file cannot run code
  when it is loaded, and a clear message for files holding Python objects or cut short.
- :func:`format_problem` says why a downloaded file is not what its name says (a damaged zip, a truncated
  ``.npy``, an error page saved as ``.h5``), for files no checksum vouches for.
- :func:`check_images` and :func:`check_labels` validate arrays given to the course's helpers.

Models are loaded with Keras itself: ``keras.models.load_model(path)`` runs with ``safe_mode=True`` by default,
which refuses Lambda layers; the course's models have none, so they reload safely.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

__all__ = ["FolderScan", "scan_image_folder", "IMAGE_EXTENSIONS", "load_array", "format_problem", "check_images",
           "check_labels"]

# The extensions keras.utils.image_dataset_from_directory reads; it ignores every other file.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF87a": "GIF", b"GIF89a": "GIF", b"BM": "BMP"}
_ACTIONS = ("report", "quarantine", "delete", "raise")


# --------------------------------------------------------------------------- image folders

def _shown(path: os.PathLike | str) -> str:
    """A path as text that any terminal can print: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclasses.dataclass
class FolderScan:
    """What :func:`scan_image_folder` found. ``bad`` lists (path, reason) of the unreadable files."""

    folder: Path
    images: int = 0
    bad: list[tuple[Path, str]] = dataclasses.field(default_factory=list)
    ignored: list[Path] = dataclasses.field(default_factory=list)
    classes: dict[str, int] = dataclasses.field(default_factory=dict)
    action: str = "report"
    moved_to: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every image file can be decoded (after a quarantine or delete, it is True again)."""
        return not self.bad or self.action in ("quarantine", "delete")

    def summary(self, limit: int = 20) -> str:
        per_class = ", ".join(f"{k} {v:,}" for k, v in self.classes.items())
        lines = [f"Scanned {_shown(self.folder)}: {self.images:,} readable images"
                 + (f" ({per_class})" if per_class else "")
                 + (f"; {len(self.ignored):,} non-image files ignored (Keras skips them too)" if self.ignored else "")
                 + "."]
        if self.bad:
            done = {"report": "NOT removed: training on this folder will fail; call again with "
                              "action='quarantine' (or remove them by hand)",
                    "quarantine": f"moved to {_shown(self.moved_to or '')}",
                    "delete": "deleted",
                    "raise": "found"}[self.action]
            lines.append(f"{len(self.bad):,} unreadable image file(s) {done}:")
            for path, why in self.bad[:limit]:
                lines.append(f"  - {_shown(path.relative_to(self.folder))}: {why}")
            if len(self.bad) > limit:
                lines.append(f"  ... and {len(self.bad) - limit:,} more (see .bad)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _image_problem(path: Path, decoder: str) -> str | None:
    """Why ``path`` cannot be used as a training image, or None if it decodes."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return ("its name is not valid UTF-8 text (saved by another system?): TensorFlow cannot open it; rename it "
                "with letters that are UTF-8")
    try:
        size = path.stat().st_size
        if size == 0:
            return "empty file (0 bytes)"
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    if not any(head.startswith(m) for m in _MAGIC):
        return f"not a JPEG, PNG, GIF or BMP image (it starts with {head[:8]!r})"
    if decoder == "tf":
        import tensorflow as tf

        try:
            tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as err:
            return f"TensorFlow cannot decode it ({err.message.strip().splitlines()[-1]})"
        return None
    from PIL import Image

    try:
        with Image.open(path) as im:
            if im.format == "JPEG":  # decode at 1/8 scale: every byte is still read, about 2x faster
                im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except Image.DecompressionBombError as err:
        return f"image too large to decode safely ({err})"
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        return f"cannot be decoded ({err})"
    return None


def scan_image_folder(folder: str | os.PathLike, *, action: str = "report",
                      quarantine: str | os.PathLike | None = None, decoder: str = "pil",
                      workers: int | None = None, verbose: bool = True) -> FolderScan:
    """Decode every image file under ``folder`` (the layout of ``keras.utils.image_dataset_from_directory``:
    one subfolder per class) and find the ones that cannot be used: empty files, files that are not images
    although named ``.jpg``, truncated or corrupt images.

    ``action``: ``"report"`` (default) only names them; ``"quarantine"`` moves them to ``quarantine`` (default:
    a ``<folder>_quarantine`` folder next to ``folder``, outside the dataset) keeping their relative paths;
    ``"delete"`` deletes them; ``"raise"`` raises ``ValueError`` naming them. Files whose extension Keras does
    not read are listed in ``.ignored`` and left alone. ``decoder="tf"`` decodes with TensorFlow, exactly as
    Keras will (slower); the default uses Pillow. Prints a summary unless ``verbose=False``; returns a
    :class:`FolderScan`. Running it again after a quarantine finds nothing more to do.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder. Pass the folder that holds one subfolder per class "
                                 "(e.g. the path tlcourse.assets.extract(...) returned, plus 'train').")
    if action not in _ACTIONS:
        raise ValueError(f"action={action!r} is not one of {', '.join(map(repr, _ACTIONS))}.")
    if decoder not in ("pil", "tf"):
        raise ValueError(f"decoder={decoder!r}: use 'pil' (fast) or 'tf' (exactly what Keras does).")
    folder = folder.resolve()
    qdir = Path(quarantine) if quarantine is not None else folder.with_name(folder.name + "_quarantine")
    qdir = qdir.resolve()
    if action == "quarantine" and qdir.is_relative_to(folder):
        raise ValueError(f"The quarantine folder {qdir} is inside {folder}: Keras would read it as one more "
                         "class. Choose a folder outside the dataset.")

    files, ignored = [], []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            (files if path.suffix.lower() in IMAGE_EXTENSIONS else ignored).append(path)

    workers = workers or min(4, os.cpu_count() or 1)
    if workers > 1 and decoder == "pil":  # Pillow releases the GIL while decoding
        with ThreadPoolExecutor(workers) as pool:
            problems = list(pool.map(lambda p: _image_problem(p, decoder), files))
    else:
        problems = [_image_problem(p, decoder) for p in files]

    scan = FolderScan(folder=folder, ignored=ignored, action=action)
    for path, problem in zip(files, problems, strict=True):
        if problem:
            scan.bad.append((path, problem))
            continue
        scan.images += 1
        rel = path.relative_to(folder)
        if len(rel.parts) > 1:
            scan.classes[rel.parts[0]] = scan.classes.get(rel.parts[0], 0) + 1

    if scan.bad and action == "raise":
        raise ValueError(scan.summary() + "\nWhat to do: call scan_image_folder(folder, action='quarantine') "
                                          "to move them out of the dataset, or remove them by hand.")
    if scan.bad and action == "quarantine":
        scan.moved_to = qdir
        for path, _ in scan.bad:
            out = qdir / path.relative_to(folder)
            out.parent.mkdir(parents=True, exist_ok=True)
            n = 1
            while out.exists():  # never overwrite an earlier quarantined file
                out = out.with_name(f"{path.stem}.{n}{path.suffix}")
                n += 1
            shutil.move(str(path), str(out))
    elif scan.bad and action == "delete":
        for path, _ in scan.bad:
            path.unlink()
    if verbose:
        print(scan.summary())
    return scan


# --------------------------------------------------------------------------- safe loading

def load_array(path: str | os.PathLike):
    """Load a ``.npy`` file (returns an array) or a ``.npz`` file (returns a dict of arrays) with
    ``allow_pickle=False``: a file holding Python objects is refused, because unpickling can run code."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. Fetch it first (tlcourse.assets.fetch) or check the path.")
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                return {key: data[key] for key in data.files}
        return data
    except ValueError as err:
        if "allow_pickle" in str(err) or "pickled" in str(err):
            raise ValueError(
                f"{path} holds Python objects (pickled data or an array of dtype=object). Loading them could run "
                "arbitrary code, so the course refuses them (np.load(..., allow_pickle=False)). Re-save the data "
                "as plain numeric arrays, e.g. np.savez(path, x=x.astype('uint8'), y=y.astype('int64')); load it "
                "with allow_pickle=True only if you made the file yourself.") from err
        raise ValueError(f"{path} is truncated or corrupt ({err}). Delete it and fetch it again.") from err
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"{path} is truncated or corrupt ({err}). Delete it and fetch it again.") from err


def format_problem(path: str | os.PathLike, filename: str | None = None) -> str | None:
    """Why a file is not what its name (``filename``, default its own) says, or None: a zip decodes (every CRC), a
    .npy holds the bytes its header announces, HDF5 and gzip files start as they should. For downloaded files no
    checksum vouches for."""
    path = Path(path)
    name = (filename or path.name).lower()
    with open(path, "rb") as f:
        head = f.read(16)
    if name.endswith((".zip", ".npz", ".keras")):
        if not zipfile.is_zipfile(path):
            return f"not a complete zip archive (starts with {head[:8]!r}; truncated download?)"
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, EOFError, zlib.error, ValueError) as err:
            return f"a damaged zip archive ({err})"
        return f"a damaged zip archive (bad CRC in {bad!r})" if bad else None
    if name.endswith(".npy"):
        try:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read(f)
                need = f.tell() + (0 if dtype.hasobject else int(np.prod(shape)) * dtype.itemsize)
        except (ValueError, OSError, EOFError) as err:
            return f"not a .npy array file ({err})"
        size = path.stat().st_size
        if not dtype.hasobject and size != need:
            return f"a truncated .npy file: its header announces {shape} {dtype} ({need:,} bytes), it has {size:,}"
    if name.endswith((".h5", ".hdf5")) and not head.startswith(b"\x89HDF\r\n\x1a\n"):
        return f"not an HDF5 file (starts with {head[:8]!r}; an error page saved under its name?)"
    if name.endswith((".gz", ".tgz")) and not head.startswith(b"\x1f\x8b"):
        return f"not a gzip file (starts with {head[:8]!r}; an error page saved under its name?)"
    return None


# --------------------------------------------------------------------------- arrays

def check_images(images, *, name: str = "images") -> np.ndarray:
    """``images`` as an array shaped (n, height, width) or (n, height, width, 1|3) of numbers, or a ValueError
    that says how to fix it."""
    if hasattr(images, "numpy") and not isinstance(images, np.ndarray):
        images = images.numpy()  # a TensorFlow tensor
    if hasattr(images, "take") and hasattr(images, "element_spec"):
        raise TypeError(f"{name} is a tf.data.Dataset; take one batch first: "
                        f"images, labels = next(iter(dataset)).")
    images = np.asarray(images)
    if images.dtype.kind not in "uifb":
        raise ValueError(f"{name} must hold numbers, got dtype {images.dtype}. Convert with "
                         f"np.asarray({name}, dtype='float32') (or 'uint8' for 0-255 pixels).")
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        hint = " For one image, use images[None]." if images.ndim in (2, 3) else ""
        if images.ndim == 4 and images.shape[1] in (1, 3):
            hint = " Channels-first? Use np.moveaxis(images, 1, -1)."
        raise ValueError(f"Expected {name} shaped (n, height, width) or (n, height, width, 1|3), got "
                         f"{images.shape}.{hint}")
    return images


def check_labels(labels, n_classes: int | None = None, *, name: str = "labels") -> np.ndarray:
    """``labels`` as a 1-D int array of class indices in ``[0, n_classes)``, or a ValueError saying how to fix it
    (one-hot rows or probabilities: take ``.argmax(axis=1)``; class names: map them to indices)."""
    if hasattr(labels, "numpy") and not isinstance(labels, np.ndarray):
        labels = labels.numpy()
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"{name} must be one class index per example (shape (n,)), got shape {labels.shape}. "
                         f"One-hot labels or predicted probabilities? Use {name}.argmax(axis=1).")
    if labels.dtype.kind not in "uifb":
        raise ValueError(f"{name} must be class indices (integers), got dtype {labels.dtype}. Map class names to "
                         "indices first, e.g. np.array([class_names.index(c) for c in labels]).")
    if labels.dtype.kind == "f":
        if labels.size and not np.all(np.isfinite(labels) & (labels == np.round(labels))):
            raise ValueError(f"{name} holds non-integer numbers (e.g. {labels[labels != np.round(labels)][:3]}). "
                             "Predicted probabilities? Take the class with (probabilities > 0.5).astype(int) "
                             "for one sigmoid output, or probabilities.argmax(axis=1) for a softmax.")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} has a negative class index ({labels.min()}); class indices start at 0.")
    if n_classes is not None and labels.size and labels.max() >= n_classes:
        raise ValueError(f"{name} goes up to class {labels.max()} but only {n_classes} class names were given. "
                         "Pass every class name (class_names=train_ds.class_names) or check the labels.")
    return labels
