"""tlcourse.plots with real Keras models and histories."""

import keras
import matplotlib
import numpy as np
import pytest

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
