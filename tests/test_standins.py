"""tlcourse.standins: synthetic glyphs, seeded splits (real TensorFlow for the learnability check), and image
folders written from arrays (real JPEG files)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tlcourse import standins

EMNIST_BALANCED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"


def test_glyphs_shapes_balance_and_determinism():
    x, y = standins.glyphs("AB7q", 5, seed=3)
    assert x.shape == (20, 28, 28) and x.dtype == np.uint8
    assert y.shape == (20,) and y.dtype == np.uint8
    assert np.bincount(y).tolist() == [5, 5, 5, 5]
    assert len(set(y[:8].tolist())) > 1, "labels are shuffled, not in blocks"
    x2, y2 = standins.glyphs("AB7q", 5, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = standins.glyphs("AB7q", 5, seed=4)
    assert not np.array_equal(x, x3)
    # white strokes on a dark background, like MNIST/EMNIST
    assert x.max() > 200 and np.median(x) < 40
    assert standins.glyphs("A", 2, seed=0, size=32)[0].shape == (2, 32, 32)


def test_glyphs_vary_within_a_class_and_differ_between_classes():
    x, y = standins.glyphs("IO", 30, seed=0)
    ones, rounds = x[y == 0].astype(float), x[y == 1].astype(float)
    assert not any(np.array_equal(ones[0], other) for other in ones[1:]), "every sample is a new variation"
    within = np.abs(ones[:15].mean(0) - ones[15:].mean(0)).mean()
    between = np.abs(ones.mean(0) - rounds.mean(0)).mean()
    assert between > 2 * within


def test_glyph_template_rejects_strings():
    with pytest.raises(ValueError, match="one character"):
        standins.glyph_template("AB")
    with pytest.raises(ValueError):
        standins.glyphs("", 3)


def test_glyphs_are_learnable_by_a_small_keras_model():
    """The stand-in must have structure a model can learn (far above the 1/47 chance level)."""
    import keras

    x, y = standins.glyphs(EMNIST_BALANCED, 40, seed=1)
    xt, yt = standins.glyphs(EMNIST_BALANCED, 10, seed=2)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Rescaling(1 / 255),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(47, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    acc = model.evaluate(xt, yt, verbose=0, return_dict=True)["accuracy"]
    assert acc > 0.25, f"test accuracy {acc:.3f} (chance 0.021)"


def test_stratified_split_keeps_class_shares():
    labels = np.repeat([0, 1, 2], [500, 300, 200])
    train, test = standins.stratified_split(labels, 100, seed=0)
    assert len(test) == 100 and len(train) == 900
    assert np.bincount(labels[test]).tolist() == [50, 30, 20]
    assert set(train).isdisjoint(test) and sorted(np.concatenate([train, test]).tolist()) == list(range(1000))
    again = standins.stratified_split(labels, 100, seed=0)
    np.testing.assert_array_equal(test, again[1])
    assert not np.array_equal(test, standins.stratified_split(labels, 100, seed=1)[1])
    # uneven remainders still add up to n_test
    assert len(standins.stratified_split(np.repeat([0, 1, 2], [7, 5, 3]), 4, seed=0)[1]) == 4
    with pytest.raises(ValueError):
        standins.stratified_split(labels, 0)


def test_balanced_subset_counts():
    assert np.bincount(np.repeat([0, 1, 2, 3], 50)[standins.balanced_subset(np.repeat([0, 1, 2, 3], 50), 40)]
                       ).tolist() == [10, 10, 10, 10]
    labels = np.repeat([0, 1, 2, 3], [100, 100, 100, 5])
    idx = standins.balanced_subset(labels, 16, seed=0)
    assert np.bincount(labels[idx]).tolist() == [4, 4, 4, 4]
    idx = standins.balanced_subset(labels, 60, seed=0)   # class 3 has only 5: the others fill up
    counts = np.bincount(labels[idx])
    assert len(idx) == 60 and len(set(idx.tolist())) == 60 and counts[3] == 5 and counts[:3].min() >= 18
    np.testing.assert_array_equal(idx, standins.balanced_subset(labels, 60, seed=0))
    assert sorted(standins.balanced_subset(labels, None).tolist()) == list(range(len(labels)))
    with pytest.raises(ValueError):
        standins.balanced_subset(labels, 0)


# --------------------------------------------------------------------------- write_image_folders

def _counts(folder: Path) -> dict:
    return {p.name: len(list(p.glob("*.jpg"))) for p in sorted(folder.iterdir()) if p.is_dir()}


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
