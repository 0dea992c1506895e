"""Synthetic stand-ins, used only offline when a real data set cannot be had (always announced with
``run.standin``).

- :func:`glyphs`            handwriting-like character images (the EMNIST stand-in): each class is drawn from
                            its character with a font, then shifted, scaled, rotated, sheared, thickened,
                            blurred and noised at random, so a model has something real to learn
- :func:`stratified_split`  a seeded train/test split that keeps every class's share (the CIFAR-10 stand-in
                            splits the real CIFAR-10 test set with it)
- :func:`balanced_subset`   the first ``n`` examples of a seeded shuffle, with the same count of every class

Everything is deterministic: the same arguments give the same arrays.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["glyphs", "glyph_template", "stratified_split", "balanced_subset"]

_CANVAS = 56  # glyphs are drawn at twice the output size, then reduced (smoother strokes)


@lru_cache(maxsize=None)
def glyph_template(char: str, thickness: int = 0) -> np.ndarray:
    """The character ``char`` drawn white on black (uint8, 56×56, centred), its strokes widened
    ``thickness`` times by one pixel. Uses Pillow's built-in font, so it needs no font file."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    if len(char) != 1:
        raise ValueError(f"Expected one character, got {char!r}.")
    try:
        font = ImageFont.load_default(size=40)
    except TypeError:  # very old Pillow: bitmap font only
        font = ImageFont.load_default()
    img = Image.new("L", (_CANVAS, _CANVAS), 0)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=font)
    x = (_CANVAS - (right - left)) / 2 - left
    y = (_CANVAS - (bottom - top)) / 2 - top
    draw.text((x, y), char, fill=255, font=font)
    for _ in range(thickness):
        img = img.filter(ImageFilter.MaxFilter(3))
    return np.asarray(img, dtype=np.uint8)


def _affine(rng: np.random.Generator, out: int) -> tuple[float, ...]:
    """A random output→input affine map for ``Image.transform``: rotation, shear, scale, shift."""
    angle = math.radians(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    scale = rng.uniform(0.75, 1.1)           # > 1 makes the glyph bigger
    aspect = rng.uniform(0.8, 1.25)
    sx, sy = scale * aspect ** 0.5, scale / aspect ** 0.5
    dx, dy = rng.uniform(-2.5, 2.5, size=2) * (out / 28)
    # forward map (input centred coords -> output centred coords): R · Shear · S
    cos, sin = math.cos(angle), math.sin(angle)
    fwd = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    fwd = fwd * (out / _CANVAS) * (20 / 28) / 0.55  # the font's glyphs fill ~55% of the canvas: fit ~20 of 28 px
    inv = np.linalg.inv(fwd)
    c_in, c_out = _CANVAS / 2, out / 2
    # input = inv · (output - c_out - shift) + c_in
    offset = np.array([c_in, c_in]) - inv @ np.array([c_out + dx, c_out + dy])
    return (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])


def glyphs(classes, n_per_class: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic handwriting-like images of ``classes`` (a list of single characters, e.g. EMNIST's 47).

    Returns ``(images, labels)``: uint8 images ``(n, size, size)`` white on black like MNIST/EMNIST, and uint8
    labels (the index of the character in ``classes``), ``n_per_class`` of each class, shuffled with ``seed``.
    Each image is its class's character with a random stroke width, rotation (±15°), shear, scale, aspect,
    shift (±2.5 px), blur and pixel noise, so classes overlap a little as handwriting does.
    """
    from PIL import Image, ImageFilter

    classes = list(classes)
    if not classes or n_per_class < 1:
        raise ValueError("Need at least one class and n_per_class >= 1.")
    if len(classes) > 256:
        raise ValueError("At most 256 classes (labels are uint8).")
    rng = np.random.default_rng(seed)
    n = len(classes) * n_per_class
    labels = np.repeat(np.arange(len(classes), dtype=np.uint8), n_per_class)
    labels = labels[rng.permutation(n)]
    images = np.empty((n, size, size), dtype=np.uint8)
    big = 2 * size
    for i, label in enumerate(labels):
        template = glyph_template(classes[label], int(rng.integers(0, 3)))
        img = Image.fromarray(template).transform((big, big), Image.Transform.AFFINE, _affine(rng, big),
                                                  resample=Image.Resampling.BILINEAR)
        img = img.resize((size, size), Image.Resampling.BOX)
        blur = rng.uniform(0.0, 0.9)
        if blur > 0.3:
            img = img.filter(ImageFilter.GaussianBlur(blur))
        arr = np.asarray(img, dtype=np.float32) * rng.uniform(0.75, 1.0)
        arr += rng.normal(0.0, 8.0, arr.shape)
        images[i] = np.clip(arr, 0, 255).astype(np.uint8)
    return images, labels


def stratified_split(labels, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of a seeded split with ``n_test`` test examples, every class in the same
    proportion in both parts (as far as whole examples allow). Both index arrays are shuffled."""
    labels = np.asarray(labels).ravel()
    if not 0 < n_test < len(labels):
        raise ValueError(f"n_test must be between 1 and {len(labels) - 1}, got {n_test}.")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    # largest-remainder allocation of n_test over classes, proportional to their counts
    exact = counts * n_test / len(labels)
    take = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - take), kind="stable")[: n_test - take.sum()]:
        take[k] += 1
    train, test = [], []
    for c, k in zip(classes, take, strict=True):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test.append(idx[:k])
        train.append(idx[k:])
    train, test = np.concatenate(train), np.concatenate(test)
    return rng.permutation(train), rng.permutation(test)


def balanced_subset(labels, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` examples with (as nearly as possible) the same count of every class, in a seeded
    random order. ``n=None`` or ``n >= len(labels)`` returns a shuffle of all indices."""
    labels = np.asarray(labels).ravel()
    rng = np.random.default_rng(seed)
    if n is None or n >= len(labels):
        return rng.permutation(len(labels))
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    classes = np.unique(labels)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    # round-robin over the classes: class-balanced, and still fine when some classes are small
    chosen, depth = [], 0
    while len(chosen) < n:
        row = [idx[depth] for idx in per_class if depth < len(idx)]
        if not row:
            break
        chosen.extend(rng.permutation(row)[: n - len(chosen)])
        depth += 1
    return rng.permutation(np.array(chosen, dtype=int))


# --------------------------------------------------------------------------- image folders (lesson 6)

def write_image_folders(dest, images, labels, class_names, per_class, seed: int = 0, *, source: str = "",
                        quality: int = 95):
    """Write real photos as an image-folder data set, ``dest/<split>/<class>/*.jpg``, the layout
    ``keras.utils.image_dataset_from_directory`` reads (the lesson 6 stand-in for the food images).

    ``images`` (uint8, ``(n, h, w, 3)``) and ``labels`` (``(n,)``, indices into ``class_names``) are the source
    photos; ``per_class`` maps each split to its number of images per class, e.g. ``{"train": 75, "test": 250}``.
    Each class's photos are shuffled with ``seed`` and dealt out split after split, so the splits never share a
    photo. File names keep the source row (``<class>_<row>.jpg``), so every file can be traced back.

    The folder is built in a temporary folder next to ``dest`` and renamed into place when complete, so ``dest``
    is never half written; a complete folder made with the same settings is reused as it is. Returns ``dest``.
    """
    import json
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from PIL import Image

    dest = Path(dest)
    images = np.asarray(images)
    labels = np.asarray(labels).ravel()
    class_names = [str(c) for c in class_names]
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 RGB photos of shape (n, height, width, 3), got {images.shape} "
                         f"{images.dtype}.")
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels: give one label per image.")
    if not per_class or any(not isinstance(k, int) or k < 1 for k in per_class.values()):
        raise ValueError(f"per_class={per_class!r}: give each split a positive number of images per class, "
                         "e.g. {'train': 75, 'test': 250}.")
    need = sum(per_class.values())
    counts = np.bincount(labels.astype(int), minlength=len(class_names))
    if len(counts) > len(class_names) or counts.min() < need:
        raise ValueError(f"Every class needs {need} photos for {per_class}; the fewest any class has is "
                         f"{int(counts.min())} (labels must be 0 … {len(class_names) - 1}).")
    settings = {"classes": class_names, "per_class": dict(per_class), "seed": int(seed), "source": source,
                "quality": int(quality), "files": need * len(class_names)}

    def complete(folder: Path) -> bool:
        try:
            return json.loads((folder / ".complete").read_text()) == settings
        except (OSError, ValueError):
            return False

    if complete(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        rng = np.random.default_rng(seed)
        for k, name in enumerate(class_names):
            rows = rng.permutation(np.flatnonzero(labels == k))
            start = 0
            for split, n in per_class.items():
                folder = tmp / split / name
                folder.mkdir(parents=True, exist_ok=True)
                for row in rows[start:start + n]:
                    Image.fromarray(images[row]).save(folder / f"{name}_{row:05d}.jpg", quality=quality)
                start += n
        (tmp / ".complete").write_text(json.dumps(settings))
        if dest.exists():
            if complete(dest):  # another process finished the same folder meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
                return dest
            shutil.rmtree(dest)  # incomplete or made with other settings
        try:
            os.replace(tmp, dest)
        except OSError:
            if not complete(dest):
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


__all__ += ["write_image_folders"]
