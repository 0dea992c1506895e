"""Pretrained weights, and the models that several lessons share.

- :func:`pretrained`            ``"imagenet"`` for a ``keras.applications`` constructor; offline with the file
                                missing only, an announced substitute (real ImageNet weights converted from
                                another framework) or stand-in (the same architecture, random weights)
- :func:`backbone`              the ``keras.applications`` constructor of a lesson's network; offline without its
                                ImageNet weights only, an announced substitute network with real ImageNet features
                                (MobileNetV2 converted from torchvision) that takes the same prepared input
- :func:`weights_label`         a short label of the weights behind a model's numbers, for printed results
- :func:`mnist_dense`           lesson 1's network (a copy: lesson 1 defines it in its own cell; a test proves that
                                both build the same configuration)
- :func:`mnist_dense_model`     lesson 1's trained model for lesson 2, rebuilt (announced) when lesson 1 has not run
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from . import assets, datasets
from .files import atomic_write
from .registry import SUBSTITUTES

__all__ = ["pretrained", "backbone", "weights_label", "mnist_dense", "mnist_dense_model", "MNIST_DENSE_LAYERS"]


def pretrained(run, name: str, model: str) -> str | None:
    """The ``weights=`` argument of a ``keras.applications`` constructor for the weights file ``name`` (a registry
    name, e.g. ``"resnet50_no_top"``); ``model`` names the architecture in announcements and results.

    - ``"imagenet"`` when Keras's own file can be had (cache, mirror or download);
    - offline only, with Keras's file missing: the path of real ImageNet weights for the same architecture from
      another source (``registry.SUBSTITUTES``, e.g. torchvision's MobileNetV2 converted), announced as such;
    - offline only, with neither: ``None`` (random weights), announced as a stand-in.
    """
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"pretrained(model={model!r}): name the architecture, e.g. 'ResNet50'.")
    asset = assets.get(name)
    if not asset.cache == "keras/models":
        raise ValueError(f"pretrained(name={name!r}): {name!r} is not a Keras weights file. Use the registry name "
                         "of the weights, e.g. 'resnet50_no_top' (python -m tlcourse list shows them).")
    if assets.keras_file_available(name):
        run.used_weights(model, f"{model} ImageNet weights ({asset.filename})", real=True,
                         source=str(assets.locate(asset)), kind="keras")
        return "imagenet"
    path = None
    if name in SUBSTITUTES:
        with contextlib.suppress(assets.AssetMissing):
            path = assets.fetch(SUBSTITUTES[name])
    if path is not None:
        run.standin(f"{path.name}, real ImageNet weights for the same architecture trained by torchvision and "
                    "converted to Keras", f"Keras's {model} ImageNet weights ({asset.filename})",
                    "Keras's file is not in the cache or the mirror. The features are real ImageNet features from "
                    "another training run, so results differ a little from those with Keras's weights.")
        run.used_weights(model, f"{model} ImageNet weights converted from torchvision ({path.name}), an offline "
                         "substitute for Keras's file", real=True, source=str(path), kind="substitute")
        return str(path)
    run.standin("random initial weights (weights=None)", f"{model} ImageNet weights",
                f"{asset.filename} is not in the cache or the mirror.")
    run.used_weights(model, f"{model} with random weights (stand-in)", real=False, kind="random")
    return None


WEIGHTS_LABELS = {"keras": "ImageNet", "substitute": "ImageNet, converted from torchvision: offline substitute",
                  "network": "MobileNetV2's ImageNet features: offline substitute network",
                  "random": "random weights: stand-in"}

# The networks :func:`backbone` can replace offline: their registry file, and how their ``preprocess_input`` (or,
# for EfficientNet, nothing: it takes pixels 0-255) prepares the pixels, from keras/src/applications/imagenet_utils.py.
BACKBONES = {
    "ResNet50": ("resnet50_no_top", "caffe"),        # RGB -> BGR, minus ImageNet's mean per channel, 0-255 scale
    "DenseNet121": ("densenet121_no_top", "torch"),  # / 255, minus ImageNet's mean, divided by its std per channel
    "EfficientNetB0": ("efficientnetb0_no_top", "raw"),   # pixels 0-255 (the model rescales them itself)
}
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _to_mobilenet_v2_input(mode: str, name: str):
    """A fixed layer that turns inputs prepared the way ``mode`` prepares them into MobileNetV2's (pixels / 127.5 - 1),
    exactly. Weight-free ``Rescaling`` where a scale and offset per channel do it; for "caffe", whose channels are in
    BGR order, a 1x1 convolution with fixed weights that also puts them back in RGB order."""
    import keras
    import numpy as np

    if mode == "raw":
        return keras.layers.Rescaling(1 / 127.5, offset=-1.0, name=name)
    if mode == "torch":       # pixels / 255 = x * std + mean, so pixels / 127.5 - 1 = 2 std x + 2 mean - 1
        return keras.layers.Rescaling([2 * s for s in _TORCH_STD], offset=[2 * m - 1 for m in _TORCH_MEAN], name=name)
    kernel = np.zeros((1, 1, 3, 3), "float32")     # caffe: RGB channel c is BGR channel 2 - c plus its mean
    for c in range(3):
        kernel[0, 0, 2 - c, c] = 1 / 127.5
    bias = np.array([_CAFFE_MEAN_BGR[2 - c] / 127.5 - 1 for c in range(3)], "float32")
    layer = keras.layers.Conv2D(3, 1, name=name, trainable=False)
    layer.build((None, None, None, 3))
    layer.set_weights([kernel, bias])
    return layer


def backbone(run, model: str):
    """The constructor of ``model`` (``"ResNet50"``, ``"DenseNet121"`` or ``"EfficientNetB0"``), for the sections of
    a lesson that train on its features.

    When :func:`pretrained` found ``model``'s ImageNet weights, this is ``keras.applications.<model>`` itself.
    Offline without them, random features would teach nothing, so it returns a function with the same arguments
    (``include_top=False``, ``input_shape``, ``input_tensor``, ``pooling``, ``weights`` ignored) that builds an
    announced substitute: MobileNetV2 with real ImageNet weights (torchvision's, converted), behind a fixed layer
    that converts ``model``'s prepared input into MobileNetV2's. The lesson's pipeline stays exactly as written;
    only the network, its parameter count and its number of features (1,280) change, and
    :func:`weights_label` names the substitute next to every number."""
    import keras

    if model not in BACKBONES:
        raise ValueError(f"backbone(model={model!r}): choose one of {', '.join(BACKBONES)}.")
    registry_name, mode = BACKBONES[model]
    if model not in run.weights:
        pretrained(run, registry_name, model)
    constructor = getattr(keras.applications, model)
    if run.weights[model].get("kind") not in ("random", "network"):
        return constructor
    try:
        path = assets.fetch("mobilenet_v2_1.0_torchvision_no_top")
    except assets.AssetMissing:
        return constructor                # nothing better offline: the random-weights stand-in, announced already
    if run.weights[model]["kind"] == "random":     # announced once per run; the random weights stay on record
        run.weights[f"{model} (architecture sections)"] = run.weights[model]
        run.standin(f"MobileNetV2 with real ImageNet weights ({path.name}, torchvision's, converted), fed {model}'s "
                    "prepared input through a fixed conversion layer", f"{model} with random weights",
                    f"{model}'s ImageNet weights are missing, and random features teach nothing. {model}'s "
                    "architecture, parameter counts and preprocessing stay its own; the numbers of the sections that "
                    "train on its features come from MobileNetV2.")
        run.used_weights(model, f"MobileNetV2 with ImageNet weights converted from torchvision ({path.name}), an "
                         f"offline substitute network for {model}", real=True, source=str(path), kind="network")

    def substitute(*, include_top=False, weights=None, input_tensor=None, input_shape=None, pooling=None, **kwargs):
        if include_top or kwargs:
            raise ValueError(f"The offline substitute for {model} supports include_top=False, input_shape, "
                             f"input_tensor and pooling only (got include_top={include_top}, {sorted(kwargs)}).")
        inputs = keras.Input(input_shape) if input_tensor is None else input_tensor
        prepared = _to_mobilenet_v2_input(mode, f"{model.lower()}_input_to_mobilenet_v2")(inputs)
        net = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=prepared,
                                             pooling=pooling)
        # The weights file fits MobileNetV2 on its own input: load it there, then copy layer by layer (MobileNetV2
        # names every layer that holds weights), so the substitute stays one flat model like Keras's networks.
        loaded = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=net.input_shape[1:]
                                                if None not in net.input_shape[1:3] else (None, None, 3))
        loaded.load_weights(path)
        for layer in loaded.layers:
            if layer.weights:
                net.get_layer(layer.name).set_weights(layer.get_weights())
        sources = keras.utils.get_source_inputs(inputs)    # a single input, not a list of one: callers pass a tensor
        return keras.Model(sources[0] if len(sources) == 1 else sources, net.output,
                           name=f"mobilenet_v2_for_{model.lower()}")

    return substitute


def weights_label(run, model: str) -> str:
    """A short label for the weights behind ``model``'s numbers in this run (:func:`pretrained`, :func:`backbone`),
    for printed results and tables, e.g. "ImageNet" or "random weights: stand-in"."""
    entry = run.weights.get(model)
    if entry is None or entry.get("kind") not in WEIGHTS_LABELS:
        raise KeyError(f"no weights recorded for {model!r}: call tlcourse.models.pretrained(run, <file>, {model!r}) "
                       "first, with the same model name.")
    return WEIGHTS_LABELS[entry["kind"]]


# --------------------------------------------------------------------------- lesson 1's network

MNIST_DENSE_LAYERS = ("hidden_8", "hidden_4", "digits")


def mnist_dense():
    """Lesson 1's network, compiled: ``keras.Input((28, 28))`` → Flatten → Dense(8) ``hidden_8`` → Dense(4)
    ``hidden_4`` → Dense(10, softmax) ``digits``. Lesson 1 defines it in its ``build_model`` cell, which
    students read; this copy serves lesson 2 when lesson 1 has not run (tests/test_models.py proves both build
    the same configuration, layer by layer)."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(8, activation="relu", name="hidden_8"),
            keras.layers.Dense(4, activation="relu", name="hidden_4"),
            keras.layers.Dense(10, activation="softmax", name="digits"),
        ],
        name="mnist_dense",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _is_mnist_dense(model) -> bool:
    names = [layer.name for layer in model.layers]
    return (all(n in names for n in MNIST_DENSE_LAYERS) and tuple(model.input_shape) == (None, 28, 28)
            and tuple(model.output_shape) == (None, 10))


def mnist_dense_model(run, path: str | os.PathLike = "artifacts/mnist_dense.keras", epochs: int = 5):
    """Lesson 1's trained MNIST model (:func:`mnist_dense`, trained on pixels scaled to [0, 1]).

    Loads ``path`` when lesson 1 saved it. Otherwise (lesson 1 not run, e.g. on Colab) it says so and rebuilds the
    same model, trained for ``epochs`` epochs on MNIST (:func:`tlcourse.datasets.load_mnist`), saved next to
    ``path`` as ``*_rebuilt.keras`` so a second run reuses it. Either way the source is recorded in the results."""
    import keras

    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"mnist_dense_model(epochs={epochs!r}): give a positive number of epochs, e.g. epochs=5.")
    path = Path(path)
    rebuilt = path.with_name(f"{path.stem}_rebuilt.keras")
    if path.exists():
        model = keras.models.load_model(path)
        if _is_mnist_dense(model):
            print(f"Loaded lesson 1's model from {path}")
            run.used_weights("mnist_dense", f"lesson 1's trained MNIST model ({path})", real=True, source=str(path))
            return model
        print(f"{path} does not have lesson 1's architecture (layers {', '.join(MNIST_DENSE_LAYERS)}); "
              "using a rebuilt copy instead.")
    info_path = rebuilt.with_suffix(".json")
    if rebuilt.exists():
        model = keras.models.load_model(rebuilt)
        if _is_mnist_dense(model):
            print(f"Lesson 1's model {path} is missing: using the copy rebuilt by an earlier run ({rebuilt}).")
            info = json.loads(info_path.read_text()) if info_path.exists() else {}
            run.used_weights("mnist_dense", f"lesson 1's MNIST model rebuilt by tlcourse ({rebuilt})",
                             real=bool(info.get("real_data", False)), source=str(rebuilt))
            run.record("mnist_dense_rebuilt", **{k: v for k, v in info.items() if k != "real_data"})
            return model
    print(f"Lesson 1's saved model {path} is missing (lesson 1 has not been run here). Rebuilding it now: the same "
          f"architecture, trained on MNIST for {epochs} epochs by tlcourse.models.mnist_dense_model.")
    (x_train, y_train), (x_test, y_test), _ = datasets.load_mnist(run)
    x_train, x_test = x_train.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    model = mnist_dense()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1, verbose=2)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Rebuilt MNIST model: test accuracy {acc:.3f} (test loss {loss:.3f})")
    rebuilt.parent.mkdir(parents=True, exist_ok=True)
    model.save(rebuilt)
    real = bool(run.data.get("mnist", {}).get("real", False))
    info = {"test_accuracy": float(acc), "test_loss": float(loss), "epochs": epochs, "real_data": real}
    with atomic_write(info_path, "w") as (f, _):
        json.dump(info, f)
    run.used_weights("mnist_dense", f"lesson 1's MNIST model rebuilt by tlcourse ({rebuilt})", real=real,
                     source=str(rebuilt))
    run.record("mnist_dense_rebuilt", test_accuracy=acc, test_loss=loss, epochs=epochs)
    return model
