"""tlcourse.callbacks: TensorBoard folders per experiment, checked with real Keras training and the event files
it writes, read back with TensorBoard's own reader."""

import numpy as np
import pytest

import tlcourse
from tlcourse import callbacks


def _run():
    return tlcourse.Run("unit_callbacks", "quick", {}, 0, {"kind": "CPU", "count": 1, "name": "test"})


def _model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    x = (rng.normal(size=(60, 4)) + y[:, None]).astype("float32")
    return x, np.eye(3, dtype="float32")[y]


def test_one_timestamped_folder_per_experiment_and_call(tmp_path, capsys):
    import keras

    run = _run()
    first = callbacks.tensorboard(run, "feature_extraction", logs=tmp_path / "logs")
    second = callbacks.tensorboard(run, "feature_extraction", logs=tmp_path / "logs")   # same second, new folder
    other = callbacks.tensorboard(run, "fine_tuning", logs=tmp_path / "logs")
    assert isinstance(first, keras.callbacks.TensorBoard)
    dirs = [tmp_path / "logs" / "feature_extraction" / p for p in sorted(
        p.name for p in (tmp_path / "logs" / "feature_extraction").iterdir())]
    assert len(dirs) == 2 and {str(d) for d in dirs} == {first.log_dir, second.log_dir}
    assert all(len(d.name.split("-")[0]) == 8 and d.name.split("-")[1][:6].isdigit() for d in dirs)
    assert other.log_dir.startswith(str(tmp_path / "logs" / "fine_tuning"))
    assert run.metrics["tensorboard"]["fine_tuning"] == other.log_dir
    assert f"TensorBoard logs of 'fine_tuning': {other.log_dir}" in capsys.readouterr().out


def test_logged_scalars_match_the_history_of_a_real_fit(tmp_path):
    model = _model()
    x, y = _data()
    tb = callbacks.tensorboard(_run(), "probe", logs=tmp_path)
    history = model.fit(x, y, epochs=3, batch_size=20, validation_data=(x, y), callbacks=[tb], verbose=0)
    table = callbacks.read_scalars(tb.log_dir)
    assert set(table["split"]) == {"train", "validation"}
    for split, prefix in (("train", ""), ("validation", "val_")):
        for metric in ("loss", "accuracy"):
            logged = table[(table["split"] == split) & (table["metric"] == metric)]
            assert logged["epoch"].tolist() == [1, 2, 3]
            np.testing.assert_allclose(logged["value"], history.history[prefix + metric], rtol=1e-6)
    # continuing with initial_epoch keeps counting epochs in the logs (a new folder for the new phase)
    tb2 = callbacks.tensorboard(_run(), "probe_continued", logs=tmp_path)
    more = model.fit(x, y, epochs=5, initial_epoch=len(history.epoch), batch_size=20, validation_data=(x, y),
                     callbacks=[tb2], verbose=0)
    table2 = callbacks.read_scalars(tb2.log_dir)
    val_loss = table2[(table2["split"] == "validation") & (table2["metric"] == "loss")]
    assert val_loss["epoch"].tolist() == [4, 5]
    np.testing.assert_allclose(val_loss["value"], more.history["val_loss"], rtol=1e-6)
    assert sorted(set(table2["epoch"])) == [4, 5]   # per-epoch tags only
    # every tag as written: Keras also logs evaluation_*_vs_iterations, stepped by optimizer iterations
    raw = callbacks.read_scalars(tb2.log_dir, per_epoch=False)
    assert {"epoch_loss", "epoch_accuracy"} <= set(raw["tag"])
    assert list(raw.columns) == ["split", "tag", "step", "value"]
    iterations = raw[raw["tag"] == "evaluation_loss_vs_iterations"]["step"].tolist()
    assert iterations == [3 * 3 + 3, 3 * 3 + 6]   # 3 batches per epoch, counted since the first fit


def test_read_scalars_says_when_there_is_nothing_to_read(tmp_path):
    with pytest.raises(FileNotFoundError, match="callbacks=\\[...\\]"):
        callbacks.read_scalars(tmp_path)
    with pytest.raises(FileNotFoundError):
        callbacks.read_scalars(tmp_path / "missing")


@pytest.mark.parametrize("bad", ["", "../up", "a b", None])
def test_experiment_names_are_folder_names(tmp_path, bad):
    with pytest.raises(ValueError, match="experiment="):
        callbacks.tensorboard(_run(), bad, logs=tmp_path)
