"""tlcourse.exercises: every check passes a right answer, fails a typical wrong one with its message, and answers
bad input (missing, placeholder, wrong type) with a clear message instead of a traceback. Real Keras objects."""

import json
from pathlib import Path

import numpy as np
import pytest

from tlcourse import exercises

ROOT = Path(__file__).resolve().parents[1]


def _verdict(lesson, number, **answers):
    v = exercises.evaluate(lesson, number, **answers)
    text = str(v)
    assert text.startswith(f"Lesson {lesson}, challenge {number}")
    return v.ok, text


def _dense():
    import keras
    m = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(name="flatten"),
                          keras.layers.Dense(8, activation="relu", name="hidden_8"),
                          keras.layers.Dense(4, activation="relu", name="hidden_4"),
                          keras.layers.Dense(10, activation="softmax", name="digits")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.fixture
def mnist_like():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (200, 28, 28)).astype("float32")
    y = (x[:, :14].mean(axis=(1, 2)) > x[:, 14:].mean(axis=(1, 2))).astype("int64")   # learnable
    return x, y


def test_bad_input_is_a_message_not_a_traceback(monkeypatch, capsys):
    ok, text = _verdict("01", 1, checkpoint=..., history=None)
    assert not ok and "`kept_epoch` is missing" in text and "still a placeholder" in text
    ok, text = _verdict("01", 1, checkpoint=3, history=4, kept_epoch=1)
    assert not ok and "should be a keras.callbacks.ModelCheckpoint, but it is a int" in text
    with pytest.raises(KeyError, match="Checked challenges"):
        exercises.evaluate("01", 9)
    # check() prints; with TLCOURSE_STRICT_CHECKS=1 (the course's tests) a wrong answer raises
    monkeypatch.delenv("TLCOURSE_STRICT_CHECKS", raising=False)
    exercises.check("05", 2, rescale=...)
    assert "✗" in capsys.readouterr().out
    monkeypatch.setenv("TLCOURSE_STRICT_CHECKS", "1")
    with pytest.raises(exercises.ExerciseFailed):
        exercises.check("05", 2, rescale=...)


def test_hints_come_one_at_a_time_then_point_to_the_solution(capsys):
    exercises._hints_given.clear()
    n = len(exercises.CHALLENGES[("05", 2)].hints)
    for i in range(n):
        exercises.hint("05", 2)
        assert f"Hint {i + 1} of {n}" in capsys.readouterr().out
    exercises.hint("05", 2)
    assert "No more hints" in capsys.readouterr().out


def test_01_1_best_epoch(tmp_path, mnist_like):
    import keras
    x, y = mnist_like
    path = tmp_path / "best.keras"
    best = keras.callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    history = _dense().fit(x, y, validation_split=0.2, epochs=3, callbacks=[best], verbose=0)
    kept = int(np.argmin(history.history["val_loss"])) + 1
    ok, text = _verdict("01", 1, checkpoint=best, history=history, kept_epoch=kept)
    assert ok, text
    # typical wrong answers: history.epoch's 0-based count, and a checkpoint that saves every epoch
    ok, text = _verdict("01", 1, checkpoint=best, history=history, kept_epoch=kept - 1)
    assert not ok and f"lowest val_loss was at epoch {kept}" in text
    every = keras.callbacks.ModelCheckpoint(str(path), monitor="val_loss")
    ok, text = _verdict("01", 1, checkpoint=every, history=history, kept_epoch=kept)
    assert not ok and "save_best_only=True" in text
    per_epoch = keras.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch:02d}.keras"), save_best_only=True)
    ok, text = _verdict("01", 1, checkpoint=per_epoch, history=history, kept_epoch=kept)
    assert not ok and "without {epoch}" in text


def test_01_2_weights_without_architecture(tmp_path):
    import keras
    path = tmp_path / "w.weights.h5"
    _dense().save_weights(path)
    wider = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(name="flatten"),
                              keras.layers.Dense(16, name="hidden_8"), keras.layers.Dense(4, name="hidden_4"),
                              keras.layers.Dense(10, name="digits")])
    with pytest.raises(ValueError) as caught:
        wider.load_weights(path)
    same = _dense()
    same.load_weights(path)
    ok, text = _verdict("01", 2, error=caught.value, model=same, path=path)
    assert ok, text
    ok, text = _verdict("01", 2, error=caught.value, model=_dense(), path=path)    # forgot load_weights
    assert not ok and "call model.load_weights(path)" in text
    ok, text = _verdict("01", 2, error=KeyError("x"), model=same, path=path)
    assert not ok and "raises a ValueError" in text


def _small_base(size=32):
    import keras
    base = keras.applications.MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(size, size, 3))
    base.trainable = False
    return base


def test_03_1_leave_out_preprocess_input():
    import keras
    import tensorflow as tf
    base = _small_base()
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Dense(47, activation="softmax")(
        keras.layers.Flatten()(base(inputs, training=False))))
    pixels = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    raw = tf.data.Dataset.from_tensor_slices((pixels, np.zeros(8, "int64"))).batch(4)
    ok, text = _verdict("03", 1, dataset=raw, model=model, result={"accuracy": 0.5, "loss": 1.0})
    assert ok and "Open part, a model answer" in text, text
    prepared = raw.map(lambda x, y: (keras.applications.resnet50.preprocess_input(x), y))
    ok, text = _verdict("03", 1, dataset=prepared, model=model, result={"accuracy": 0.5})
    assert not ok and "still subtracts ImageNet's means" in text
    ok, text = _verdict("03", 1, dataset=raw.map(lambda x, y: (x / 255, y)), model=model, result={"accuracy": 0.5})
    assert not ok and "divides by 255" in text
    base.trainable = True
    ok, text = _verdict("03", 1, dataset=raw, model=model, result={"accuracy": 0.5})
    assert not ok and "is trainable" in text


def test_03_2_the_broken_solution_of_issue_23_is_caught():
    """The old solution rebuilt the base at the new size but kept the extractor of the old one: 2x2 features at 96."""
    features64 = {"train": np.zeros((10, 2, 2, 2048), "float16")}
    ok, text = _verdict("03", 2, features=features64, info={"hit": False}, size=96)
    assert not ok and "still resizes to the old size" in text
    ok, text = _verdict("03", 2, features={"train": np.zeros((10, 3, 3, 1280))}, info={"hit": False}, size=96)
    assert ok, text


def test_03_3_features_in_the_order_of_the_labels():
    import keras
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 4, 400), rng.integers(0, 4, 100)
    centres = rng.normal(0, 1, (4, 16)).astype("float32")
    feats = {"train": centres[y_train] + rng.normal(0, 0.3, (400, 16)).astype("float32"),
             "test": centres[y_test] + rng.normal(0, 0.3, (100, 16)).astype("float32")}

    def trained_head(train_features):
        keras.utils.set_random_seed(0)
        head = keras.Sequential([keras.Input((16,)), keras.layers.Dense(4, activation="softmax")])
        head.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
        head.fit(train_features, y_train, epochs=20, verbose=0)
        return head

    ok, text = _verdict("03", 3, features=feats, head=trained_head(feats["train"]), labels=(y_train, y_test))
    assert ok, text
    shuffled = dict(feats, train=feats["train"][rng.permutation(400)])      # extracted with shuffle=True
    ok, text = _verdict("03", 3, features=shuffled, head=trained_head(shuffled["train"]), labels=(y_train, y_test))
    assert not ok and "shuffle=True" in text


def test_05_1_swap_the_backbone():
    import keras
    base = keras.applications.MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(224, 224, 3),
                                        pooling="avg")
    base.trainable = False
    inputs = keras.Input((224, 224, 3))
    x = keras.Sequential([keras.layers.RandomFlip("horizontal")], name="data_augmentation")(inputs)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(x)
    x = keras.layers.Dropout(0.2)(base(x, training=False))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    history = _history_of(model, [0, 1], val=0.9)
    ok, text = _verdict("05", 1, model=model, history=history)
    assert ok, text
    base.trainable = True                               # forgot to freeze
    ok, text = _verdict("05", 1, model=model, history=history)
    assert not ok and "MobileNet 0.25 is trainable" in text
    base.trainable = False
    history.on_epoch_end(2, {"accuracy": 0.5, "val_accuracy": 0.5})
    ok, text = _verdict("05", 1, model=model, history=history)
    assert not ok and "far above chance" in text


def test_05_2_rescaling():
    import keras
    ok, text = _verdict("05", 2, rescale=keras.layers.Rescaling(1 / 127.5, offset=-1))
    assert ok, text
    ok, text = _verdict("05", 2, rescale=keras.layers.Rescaling(1 / 255))
    assert not ok and "preprocess_input gives" in text


def test_05_3_how_deep():
    import keras
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(96, 96, 3))
    model = keras.Model(base.input, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(base.output)))

    def unfreeze(start, freeze_bn=True):
        base.trainable = True
        for layer in base.layers[:start]:
            layer.trainable = False
        for layer in base.layers[start:]:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = not freeze_bn          # (set explicitly: Keras keeps a layer's own False)
        model.compile(optimizer="adam", loss="mse")

    unfreeze(120)
    ok, text = _verdict("05", 3, base=base, start=120, model=model)
    assert ok, text
    unfreeze(120, freeze_bn=False)
    ok, text = _verdict("05", 3, base=base, start=120, model=model)
    assert not ok and "BatchNormalization layers train" in text
    for layer in base.layers[:120]:
        layer.trainable = True                           # forgot to freeze the early layers
    ok, text = _verdict("05", 3, base=base, start=120, model=model)
    assert not ok and "before layer 120 still train" in text
    # Keras's own pitfall: base.trainable = True on a base that is trainable already is a no-op, so after the
    # run from layer 120, "from layer 50" leaves layers 50-119 frozen
    unfreeze(120)
    unfreeze(50)
    ok, text = _verdict("05", 3, base=base, start=50, model=model)
    assert not ok and "changes nothing when the base is trainable already" in text


def test_every_checked_challenge_has_a_starter_and_a_solution_in_its_lesson():
    """The lesson runs the solution with the same check a student calls: a broken solution fails make test."""
    for lesson, number in exercises.CHALLENGES:
        path = next((ROOT / "notebooks").glob(f"{lesson}_*.ipynb"))
        cells = json.loads(path.read_text())["cells"]
        call = f'tlcourse.exercises.check("{lesson}", {number},'
        tagged = {tuple(c["metadata"].get("tags", [])) for c in cells if call in "".join(c["source"])}
        assert ("nbval-skip", "skip-execution") in tagged, f"{path.name}: no starter cell for challenge {number}"
        assert ("solution", "hide-input") in tagged, f"{path.name}: no run solution for challenge {number}"


def test_02_1_head_one_layer_earlier():
    import keras
    base = _dense()
    base.trainable = False
    model = keras.Model(base.inputs, keras.layers.Dense(47)(base.get_layer("hidden_8").output))
    ok, text = _verdict("02", 1, model=model, accuracy=0.2, chance=1 / 47)
    assert ok and "423" in text, text
    on4 = keras.Model(base.inputs, keras.layers.Dense(47)(base.get_layer("hidden_4").output))
    ok, text = _verdict("02", 1, model=on4, accuracy=0.2, chance=1 / 47)
    assert not ok and "reads 4 features" in text
    base.trainable = True                                   # forgot to freeze the copy
    ok, text = _verdict("02", 1, model=model, accuracy=0.2, chance=1 / 47)
    assert not ok and "freeze the copy" in text
    base.trainable = False
    ok, text = _verdict("02", 1, model=model, accuracy=0.02, chance=1 / 47)
    assert not ok and "was the model trained" in text


def test_02_2_learning_rates():
    ok, text = _verdict("02", 2, results={1e-4: 0.5, 1e-3: 0.6, 1e-2: 0.4}, jumps={1e-4: 0.0, 1e-3: 0.1, 1e-2: 0.9})
    assert ok and "best 0.001" in text and "model answer" in text, text
    ok, text = _verdict("02", 2, results={1e-4: 0.5, 1e-3: 0.6}, jumps={1e-4: 0.0, 1e-3: 0.1, 1e-2: 0.9})
    assert not ok and "needs exactly 1e-4, 1e-3 and 1e-2" in text
    ok, text = _verdict("02", 2, results={1e-4: 50, 1e-3: 60, 1e-2: 40}, jumps={1e-4: 0, 1e-3: 0, 1e-2: 0})
    assert not ok and "not accuracies" in text


def test_02_3_wide_network():
    import keras

    def net(a, b):
        return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(a),
                                 keras.layers.Dense(b), keras.layers.Dense(47)])
    ok, text = _verdict("02", 3, model=net(64, 32), accuracy=0.6, baseline=0.2)
    assert ok, text
    ok, text = _verdict("02", 3, model=net(8, 4), accuracy=0.6, baseline=0.2)
    assert not ok and "should be 64 and 32" in text
    ok, text = _verdict("02", 3, model=net(64, 32), accuracy=0.1, baseline=0.2)
    assert not ok and "not above the 4-unit baseline" in text


def _history_of(model, epochs, val=0.5):
    import keras
    history = keras.callbacks.History()
    history.set_model(model)
    history.on_train_begin()
    for epoch in epochs:                                 # what fit(initial_epoch=...) records, epoch by epoch
        history.on_epoch_end(epoch, {"accuracy": val, "val_accuracy": val})
    return history


def test_06_1_twenty_layers_and_the_epoch_off_by_one():
    import keras
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(96, 96, 3))
    base.trainable = True
    for layer in base.layers[:-20]:
        layer.trainable = False
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    ok, text = _verdict("06", 1, base=base, history=_history_of(base, [3, 4]), feature_extraction_epochs=3)
    assert ok and "continued at epoch 4" in text, text
    # the seed's initial_epoch=history.epoch[-1]: one epoch too early
    ok, text = _verdict("06", 1, base=base, history=_history_of(base, [2, 3, 4]), feature_extraction_epochs=3)
    assert not ok and "initial_epoch=history.epoch[-1] is one too small" in text
    for layer in base.layers[:-30]:
        layer.trainable = True                           # unfroze too much
    ok, text = _verdict("06", 1, base=base, history=_history_of(base, [3, 4]), feature_extraction_epochs=3)
    assert not ok and "before the last 20 still train" in text


def test_06_2_one_percent(tmp_path):
    import keras
    for c in range(10):
        (tmp_path / f"class{c}").mkdir()
        for k in range(7):
            (tmp_path / f"class{c}" / f"{k}.jpg").write_bytes(b"")
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(inputs)))
    ok, text = _verdict("06", 2, train_dir=tmp_path, history=_history_of(model, [0, 1, 2]), model=model)
    assert ok, text
    divided = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(
        keras.layers.Rescaling(1 / 255)(inputs))))
    ok, text = _verdict("06", 2, train_dir=tmp_path, history=_history_of(model, [0, 1, 2]), model=divided)
    assert not ok and "EfficientNet takes pixels 0-255" in text
    (tmp_path / "class0" / "extra.jpg").write_bytes(b"")
    ok, text = _verdict("06", 2, train_dir=tmp_path, history=_history_of(model, [0, 1, 2]), model=model)
    assert not ok and "7 per class" in text


def _densenet_like():
    """Lesson 4's model shape on a small frozen base: upscale, base with pooling='max', the episode's head."""
    import keras
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.Resizing(96, 96)(inputs)
    base = keras.applications.MobileNet(alpha=0.25, include_top=False, pooling="max", weights=None, input_tensor=x,
                                        input_shape=(96, 96, 3))
    base.trainable = False
    out = keras.layers.Flatten(name="flatten")(base.output)
    out = keras.layers.BatchNormalization()(out)
    out = keras.layers.Dense(50, activation="relu")(out)
    out = keras.layers.Dense(10)(keras.layers.Dropout(0.5)(out))
    return keras.Model(inputs, out), base


def test_04_1_inspect():
    model, _ = _densenet_like()
    names = [layer.name for layer in model.layers]
    pool = next(layer.name for layer in model.layers if type(layer).__name__ == "GlobalMaxPooling2D")
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    right = dict(model=model, total=model.count_params(), trainable=trainable, head_start=names.index("flatten"),
                 pooling_layer=pool)
    ok, text = _verdict("04", 1, **right)
    assert ok, text
    ok, text = _verdict("04", 1, **dict(right, trainable=model.count_params()))
    assert not ok and "froze DenseNet121" in text
    ok, text = _verdict("04", 1, **dict(right, head_start=names.index("flatten") + 1))
    assert not ok and "the head starts at 'flatten'" in text
    ok, text = _verdict("04", 1, **dict(right, pooling_layer="flatten"))
    assert not ok and "GlobalMaxPooling2D" in text


def test_04_2_the_episodes_recipe():
    import keras
    model, _ = _densenet_like()
    stopper = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5, restore_best_weights=True)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    x = np.random.default_rng(0).uniform(0, 255, (16, 64, 64, 3)).astype("float32")
    y = np.arange(16) % 10
    history = model.fit(x, y, epochs=1, validation_data=(x, y), callbacks=[stopper], verbose=0)
    ok, text = _verdict("04", 2, model=model, stopper=stopper, history=history)
    assert ok, text
    lazy = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5)
    ok, text = _verdict("04", 2, model=model, stopper=lazy, history=history)
    assert not ok and "restore_best_weights=True" in text
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    ok, text = _verdict("04", 2, model=model, stopper=stopper, history=history)
    assert not ok and "from_logits=True" in text


def test_04_3_plot_function():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import keras
    model, _ = _densenet_like()
    history = _history_of(model, [0, 1, 2])

    def right(h, metrics):
        frame = pd.DataFrame(h.history)
        frame.index = frame.index + 1
        for m in metrics:
            plt.plot(frame.index, frame[m])

    def from_zero(h, metrics):
        for m in metrics:
            plt.plot(range(len(h.epoch)), h.history[m])

    ok, text = _verdict("04", 3, plot_history=right, history=history)
    assert ok, text
    ok, text = _verdict("04", 3, plot_history=from_zero, history=history)
    assert not ok and "count epochs from 1" in text
    ok, text = _verdict("04", 3, plot_history=lambda h, m: None, history=history)
    assert not ok and "one per metric" in text
    assert isinstance(keras.callbacks.History(), keras.callbacks.Callback)


def test_04_4_and_5_other_backbone_and_pooling():
    import keras
    model, base = _densenet_like()
    scratch = keras.models.clone_model(model)         # clone_model keeps trainable=False: unfreeze the copy
    for layer in scratch.layers:
        layer.trainable = True
    ok, text = _verdict("04", 4, base=base, accuracy=0.45, scratch=scratch, baseline=0.2)
    assert ok, text
    ok, text = _verdict("04", 4, base=base, accuracy=0.45, scratch=model, baseline=0.2)   # the frozen copy
    assert not ok and "scratch network is frozen" in text
    ok, text = _verdict("04", 4, base=base, accuracy=0.15, scratch=scratch, baseline=0.2)
    assert not ok and "not above the small CNN" in text
    avg = keras.applications.MobileNet(alpha=0.25, include_top=False, pooling="avg", weights=None,
                                       input_shape=(96, 96, 3))
    feats = {"train": np.zeros((5, 256), "float32")}
    ok, text = _verdict("04", 5, base=avg, features=feats, head_history=_history_of(avg, [0, 1]))
    assert ok, text
    ok, text = _verdict("04", 5, base=base, features=feats, head_history=_history_of(avg, [0, 1]))
    assert not ok and "pass pooling='avg'" in text


def test_07_1_hub_feature_vector(tmp_path):
    import tensorflow as tf
    import tensorflow_hub as hub
    import tf_keras
    fv = tf_keras.Sequential([tf_keras.Input((224, 224, 3)), tf_keras.layers.GlobalAveragePooling2D(),
                              tf_keras.layers.Dense(8)])                      # a tiny "feature vector" of 8
    tf.saved_model.save(fv, str(tmp_path / "fv"))

    def classifier(trainable):
        return tf_keras.Sequential([tf_keras.Input((224, 224, 3)), hub.KerasLayer(str(tmp_path / "fv"),
                                    trainable=trainable), tf_keras.layers.Dropout(0.2), tf_keras.layers.Dense(1)])

    def history(val):
        h = tf_keras.callbacks.History()
        h.set_model(classifier(False))
        h.on_train_begin()
        h.on_epoch_end(0, {"accuracy": val, "val_accuracy": val})
        return h

    ok, text = _verdict("07", 1, model=classifier(False), history=history(0.85))
    assert ok and "9 trainable parameters" in text, text
    ok, text = _verdict("07", 1, model=classifier(True), history=history(0.85))
    assert not ok and "pass trainable=False" in text
    ok, text = _verdict("07", 1, model=classifier(False), history=history(0.5))
    assert not ok and "far above chance" in text
    import keras
    ok, text = _verdict("07", 1, model=keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]),
                        history=history(0.85))
    assert not ok and "a tf_keras model" in text


def test_08_1_four_replicas():
    right = dict(global_batch=128, steps_per_epoch=8, learning_rate=2e-2, n_train=1024, base_learning_rate=1e-2,
                 base_global_batch=64)
    ok, text = _verdict("08", 1, **right)
    assert ok, text
    ok, text = _verdict("08", 1, **dict(right, global_batch=32))
    assert not ok and "batch of ONE replica" in text
    ok, text = _verdict("08", 1, **dict(right, n_train=1000, steps_per_epoch=7))        # rounded down
    assert not ok and "round up" in text
    ok, text = _verdict("08", 1, **dict(right, learning_rate=1e-2))
    assert not ok and "linear rule" in text


def test_08_2_weights_must_move():
    model = _dense()
    before = model.get_weights()
    ok, text = _verdict("08", 2, mean_loss=0.6, before=before, model=model)
    assert not ok and "the weights did not change" in text
    model.fit(np.zeros((8, 28, 28), "float32"), np.arange(8) % 10, epochs=1, verbose=0)
    ok, text = _verdict("08", 2, mean_loss=0.6, before=before, model=model)
    assert ok and "model answer" in text, text
    ok, text = _verdict("08", 2, mean_loss=float("nan"), before=before, model=model)
    assert not ok and "finite" in text


def test_08_3_three_workers_read_from_a_real_cluster(tmp_path):
    from tlcourse.distributed import LocalCluster
    script = tmp_path / "worker.py"
    script.write_text("import json, os, sys\ntask = json.loads(os.environ['TF_CONFIG'])\n"
                      "n = len(task['cluster']['worker'])\nprint(f\"worker {task['task']['index']}, {n} replicas in "
                      "sync\")\nsys.exit(int(sys.argv[1]) if task['task']['index'] == 2 else 0)\n")
    with LocalCluster(script, 3, ["0"], timeout=60, cwd=tmp_path) as three:
        three.wait()
    ok, text = _verdict("08", 3, cluster=three, replicas=3)
    assert ok, text
    ok, text = _verdict("08", 3, cluster=three, replicas=2)
    assert not ok and "the workers report 3" in text
    with LocalCluster(script, 2, ["0"], timeout=60, cwd=tmp_path) as two:
        two.wait()
    ok, text = _verdict("08", 3, cluster=two, replicas=2)
    assert not ok and "LocalCluster(..., 3, ...)" in text
    with LocalCluster(script, 3, ["3"], timeout=60, cwd=tmp_path) as failing:
        failing.wait(check=False)
    ok, text = _verdict("08", 3, cluster=failing, replicas=3)
    assert not ok and "exit codes" in text
    ok, text = _verdict("08", 3, cluster="cluster", replicas=3)
    assert not ok and "should be the tlcourse.distributed.LocalCluster" in text


def test_every_challenge_of_every_lesson_is_checked():
    """A challenge added to a lesson without a check fails here: each 'Challenge' admonition has its check."""
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        text = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        challenges = text.count(":::{admonition} Challenge")
        checked = sum(1 for lesson, _ in exercises.CHALLENGES if lesson == path.name[:2])
        assert challenges == checked, f"{path.name}: {challenges} challenges, {checked} checks"
