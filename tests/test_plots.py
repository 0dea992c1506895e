"""tlcourse.plots with real Keras models and histories, and the messages for wrong inputs."""

import re

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

import tlcourse

matplotlib.use("Agg")


def tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def test_param_table_counts():
    model = tiny_model()
    table = tlcourse.param_table(model)
    row = table.loc[model.name]
    # Dense 4*3+3=15, BN 4*3=12 (6 trainable gamma/beta, 6 moving stats), Dense 3*2+2=8
    assert (row["total"], row["trainable"], row["non-trainable"]) == (35, 29, 6)
    model.layers[0].trainable = False
    assert tlcourse.param_table(model).loc[model.name, "trainable"] == 14


def test_history_frame_and_joined_plot():
    x, y = np.random.rand(32, 4).astype("float32"), np.random.randint(0, 2, 32)
    model = tiny_model()
    h1 = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    h2 = model.fit(x, y, initial_epoch=len(h1.epoch), epochs=len(h1.epoch) + 2, validation_split=0.25, verbose=0)
    df = tlcourse.plots.history_frame(h1, h2, names=["first", "resumed"])
    assert sorted(df.loc[df["run"] == "resumed", "epoch"].unique()) == [3, 4]
    fig = tlcourse.plot_history(h1, h2, names=["first", "resumed"], join=True)
    assert len(fig.axes) == 2  # loss and accuracy
    assert any(line.get_linestyle() == "--" for line in fig.axes[0].lines)  # the phase marker


def test_show_images_rejects_wrong_shape():
    with pytest.raises(ValueError, match="images\\[None\\]"):
        tlcourse.show_images(np.zeros((28, 28)))  # one image, not a batch
    fig = tlcourse.show_images(np.zeros((4, 28, 28), "uint8"), labels=[0, 1, 2, 3], class_names=list("abcd"))
    assert fig.axes[0].get_title() == "a"


def test_confusion_counts():
    cm = tlcourse.plot_confusion([0, 1, 1, 2], [0, 2, 1, 2], class_names=["a", "b", "c"])
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


# --------------------------------------------------------------------------- wrong inputs

def test_show_images_rejects_wrong_inputs():
    imgs = np.zeros((4, 8, 8), "uint8")
    cases = [
        (dict(images=np.array([["a"] * 8] * 8 * 4).reshape(4, 8, 8)), "must hold numbers"),
        (dict(images=np.zeros((4, 3, 8, 8))), "np.moveaxis"),
        (dict(images=imgs, labels=[0, 1]), "one per image"),
        (dict(images=imgs, labels=[0, 1, 2, 5], class_names=list("abc")), "class names were given"),
        (dict(images=imgs, labels=np.eye(4)), "argmax"),
        (dict(images=imgs, labels=["cat", "dog", "cat", "dog"], class_names=["cat", "dog"]), "class_names.index"),
        (dict(images=imgs, labels=[0, 1, 0, 1], predictions=[[0.2, 0.8]] * 4), "argmax"),
        (dict(images=imgs, n=0), "positive integer"),
        (dict(images=imgs, predictions=[0, 1, 0, 1]), "true labels too"),
    ]
    for kwargs, words in cases:
        with pytest.raises(ValueError, match=re.escape(words)):
            tlcourse.show_images(**kwargs)
    with pytest.raises(TypeError, match="take one batch"):
        tlcourse.show_images(tf.data.Dataset.from_tensor_slices(imgs))


def test_plot_confusion_rejects_wrong_inputs():
    names = ["a", "b", "c"]
    with pytest.raises(ValueError, match="argmax"):
        tlcourse.plot_confusion([0, 1], [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]], names)
    with pytest.raises(ValueError, match="negative"):
        tlcourse.plot_confusion([0, -1], [0, 1], names)
    with pytest.raises(ValueError, match="3 class names"):
        tlcourse.plot_confusion([0, 3], [0, 1], names)
    with pytest.raises(ValueError, match="same order"):
        tlcourse.plot_confusion([0, 1, 2], [0, 1], names)
    with pytest.raises(ValueError, match="sigmoid"):
        tlcourse.plot_confusion([0, 1], [0.3, 0.7], ["a", "b"])
    with pytest.raises(ValueError, match="class_names must list"):
        tlcourse.plot_confusion([0, 1], [0, 1], None)


def test_param_table_rejects_wrong_inputs(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="net")
    model.save(tmp_path / "net.keras")
    reloaded = keras.models.load_model(tmp_path / "net.keras")
    with pytest.raises(ValueError, match="names="):
        tlcourse.param_table(model, reloaded)  # a reloaded model keeps its name
    table = tlcourse.param_table(model, reloaded, names=["original", "reloaded"])
    assert list(table["total"]) == [8, 8]
    with pytest.raises(ValueError, match="one name per model"):
        tlcourse.param_table(model, names=["a", "b"])
    with pytest.raises(TypeError, match="at least one"):
        tlcourse.param_table()
    with pytest.raises(TypeError, match="expects Keras models"):
        tlcourse.param_table(model.fit)
