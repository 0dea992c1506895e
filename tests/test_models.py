"""tlcourse.models: pretrained weights from the real mirror, lesson 1's network and its copy in the package."""

from pathlib import Path

import nbformat
import numpy as np
import pytest

import tlcourse
from tlcourse import assets, models

ROOT = Path(__file__).resolve().parents[1]


def _run(lesson="unit_models"):
    return tlcourse.Run(lesson, "quick", {}, 0, {"kind": "CPU", "count": 1, "name": "test"})


def test_pretrained_real_weights_from_mirror(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = _run()
    assert models.pretrained(run, "mobilenet_0.25_224_no_top", "MobileNet") == "imagenet"
    assert run.weights["MobileNet"]["real"] is True and not run.standins
    assert models.weights_label(run, "MobileNet") == "ImageNet"
    with pytest.raises(KeyError, match="call tlcourse.models.pretrained"):
        models.weights_label(run, "MobileNetV3")
    # a backbone whose weights are not to be had offline: announced stand-in
    if not assets.keras_file_available("resnet50_no_top"):
        assert models.pretrained(run, "resnet50_no_top", "ResNet50") is None
        assert run.standins[-1]["replaces"] == "ResNet50 ImageNet weights"


@pytest.mark.parametrize("model, preprocess", [
    ("ResNet50", "resnet50"), ("DenseNet121", "densenet"), ("EfficientNetB0", None)])
def test_backbone_substitute_computes_mobilenet_v2_on_the_named_networks_input(course_env, shared_mirror, monkeypatch,
                                                                                model, preprocess):
    """Offline without the named network's weights, backbone() builds MobileNetV2 with the converted ImageNet weights
    behind a fixed conversion of the named network's prepared input: it must compute exactly what MobileNetV2 computes
    on its own preprocess_input, announce itself once, and keep the random weights on record."""
    import keras

    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    registry_name = models.BACKBONES[model][0]
    if assets.keras_file_available(registry_name):
        pytest.skip(f"{model}'s own weights are here: no substitute is built")
    run = _run()
    assert models.pretrained(run, registry_name, model) is None
    constructor = models.backbone(run, model)
    assert constructor is not getattr(keras.applications, model)
    assert models.backbone(run, model) is not None and len(run.standins) == 2      # announced once, not twice
    assert run.weights[model]["kind"] == "network" and run.weights[model]["real"] is True
    assert run.weights[f"{model} (architecture sections)"]["kind"] == "random"
    assert "substitute network" in models.weights_label(run, model)

    pixels = np.random.default_rng(0).uniform(0, 255, (2, 65, 65, 3)).astype("float32")
    prepare = (lambda x: x) if preprocess is None else getattr(keras.applications, preprocess).preprocess_input
    base = constructor(include_top=False, weights=None, input_shape=(65, 65, 3), pooling="avg")
    assert base.name == f"mobilenet_v2_for_{model.lower()}" and base.output_shape == (None, 1280)
    reference = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(65, 65, 3),
                                               pooling="avg")
    reference.load_weights(assets.fetch("mobilenet_v2_1.0_torchvision_no_top"))
    want = reference(keras.applications.mobilenet_v2.preprocess_input(pixels.copy())).numpy()
    got = base(prepare(pixels.copy())).numpy()
    assert np.abs(got - want).max() < 1e-4 * max(1.0, np.abs(want).max())
    # the conversion matters: the raw pixels fed to the same substitute give other features (for every mode but raw)
    if preprocess is not None:
        assert np.abs(base(pixels).numpy() - want).max() > 1e-2
    with pytest.raises(ValueError, match="include_top=False"):
        constructor(include_top=True)


def test_backbone_keeps_kerass_network_when_its_weights_are_here(course_env, shared_mirror, monkeypatch):
    import keras

    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = _run()
    run.used_weights("ResNet50", "ResNet50 ImageNet weights", real=True, kind="keras")   # as pretrained() records it
    assert models.backbone(run, "ResNet50") is keras.applications.ResNet50 and not run.standins
    with pytest.raises(ValueError, match="choose one of"):
        models.backbone(run, "VGG16")


def test_pretrained_rejects_what_is_not_a_weights_file(course_env):
    with pytest.raises(ValueError, match="not a Keras weights file"):
        models.pretrained(_run(), "mnist.npz", "MNIST")
    with pytest.raises(ValueError, match="name the architecture"):
        models.pretrained(_run(), "resnet50_no_top", "")
    with pytest.raises(KeyError, match="Known assets"):
        models.pretrained(_run(), "resnet50", "ResNet50")


def _lesson1_build_model():
    """Execute lesson 1's own cell that defines ``build_model`` and return that function."""
    import keras

    nb = nbformat.read(ROOT / "notebooks" / "01_save_load_resume.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "def build_model(" in c.source]
    assert len(cells) == 1, "lesson 1 defines its network in one cell, `def build_model():`"
    namespace = {"keras": keras}
    exec(compile(cells[0], "lesson 1: build_model cell", "exec"), namespace)
    return namespace["build_model"]


def test_package_copy_builds_lesson1s_network(capsys):
    lesson, copy = _lesson1_build_model()(), models.mnist_dense()
    capsys.readouterr()
    assert lesson.name == copy.name and type(lesson) is type(copy)
    assert tuple(lesson.input_shape) == tuple(copy.input_shape) == (None, 28, 28)
    assert len(lesson.layers) == len(copy.layers) == 4
    for a, b in zip(lesson.layers, copy.layers, strict=True):
        assert a.get_config() == b.get_config(), f"layer {a.name} differs from the package's {b.name}"
    assert lesson.count_params() == copy.count_params() == 6366
    compiled = [m.get_compile_config() for m in (lesson, copy)]
    for c in compiled:
        c["optimizer"]["config"].pop("name")       # adam_1, adam_2: Keras numbers optimizer instances
    assert compiled[0] == compiled[1]
    # and the proof can fail: a different layer is noticed
    changed = models.mnist_dense()
    changed.get_layer("hidden_4").units = 5
    assert changed.get_layer("hidden_4").get_config() != lesson.get_layer("hidden_4").get_config()


def test_mnist_dense_model_rebuilds_then_reuses_then_prefers_lesson1(course_env, shared_mirror, monkeypatch,
                                                                      tmp_path, capsys):
    import keras

    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    path = tmp_path / "artifacts" / "mnist_dense.keras"
    run = _run()
    model = models.mnist_dense_model(run, path, epochs=1)
    out = capsys.readouterr().out
    assert "is missing" in out and "Rebuilding" in out
    assert [layer.name for layer in model.layers][-3:] == ["hidden_8", "hidden_4", "digits"]
    assert model.input_shape == (None, 28, 28) and model.count_params() == 6366
    rebuilt = path.with_name("mnist_dense_rebuilt.keras")
    assert rebuilt.exists() and run.metrics["mnist_dense_rebuilt"]["test_accuracy"] > 0.2   # 1 epoch; chance 0.1
    assert "rebuilt" in run.weights["mnist_dense"]["description"]

    run2 = _run()
    again = models.mnist_dense_model(run2, path, epochs=1)
    assert "rebuilt by an earlier run" in capsys.readouterr().out
    np.testing.assert_array_equal(again.get_layer("hidden_4").get_weights()[0],
                                  model.get_layer("hidden_4").get_weights()[0])
    assert run2.metrics["mnist_dense_rebuilt"]["test_accuracy"] > 0.2

    # a file at lesson 1's path with another architecture is not used
    other = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, name="digits")])
    other.save(path)
    assert models.mnist_dense_model(_run(), path, epochs=1).count_params() == 6366
    # lesson 1's model, when present, is preferred
    model.save(path)
    run3 = _run()
    models.mnist_dense_model(run3, path, epochs=1)
    assert "lesson 1's trained MNIST model" in run3.weights["mnist_dense"]["description"]


def test_offline_substitute_is_announced_and_holds_real_imagenet_weights(course_env, shared_mirror, monkeypatch):
    """Offline, with Keras's MobileNetV2 file missing, pretrained() gives the converted torchvision weights: announced
    as a substitute (never as Keras's file), and real: 20 real cat photos at 225x225 land on ImageNet's cat classes."""
    import keras

    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    if assets.keras_file_available("mobilenet_v2_1.0_224"):
        pytest.skip("Keras's own MobileNetV2 file is at hand: no substitute is used")
    run = _run()
    weights = models.pretrained(run, "mobilenet_v2_1.0_224", "MobileNetV2")
    assert weights is not None and weights.endswith("from_torchvision.weights.h5")
    assert run.standins[-1]["replaces"] == ("Keras's MobileNetV2 ImageNet weights "
                                            "(mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5)")
    assert "converted from torchvision" in run.weights["MobileNetV2"]["description"]
    assert models.weights_label(run, "MobileNetV2") == "ImageNet, converted from torchvision: offline substitute"
    model = keras.applications.MobileNetV2(weights=weights, input_shape=(225, 225, 3))
    train_dir, _, _ = tlcourse.datasets.load_cats_vs_dogs(run)
    photos = sorted((train_dir / "cats").glob("*.jpg"))[:20]
    x = np.stack([keras.utils.img_to_array(keras.utils.load_img(p, target_size=(225, 225))) for p in photos])
    top1 = model.predict(keras.applications.mobilenet_v2.preprocess_input(x), verbose=0).argmax(axis=1)
    cats = np.isin(top1, np.arange(281, 286))          # ImageNet's domestic and wild cat classes 281-285
    assert cats.sum() >= 15, f"only {cats.sum()} of 20 cat photos classified as cats: {top1}"


def test_without_substitute_file_a_random_standin_is_announced(course_env, offline_mirror):
    """An empty mirror: neither Keras's file nor the substitute, so random weights, announced."""
    run = _run()
    assert models.pretrained(run, "mobilenet_v2_1.0_160_no_top", "MobileNetV2") is None
    assert run.standins[-1]["standin"] == "random initial weights (weights=None)"
    assert run.weights["MobileNetV2"]["real"] is False
    assert models.weights_label(run, "MobileNetV2") == "random weights: stand-in"
