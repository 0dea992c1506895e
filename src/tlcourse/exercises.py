"""Checks for the lessons' challenges: an answer is tested by its result, not by its code.

    tlcourse.exercises.check("01", 1, checkpoint=best, history=history, kept_epoch=3)   # ✓ right, ✗ wrong: look at …
    tlcourse.exercises.hint("01", 1)                                                    # one more hint at each call

A check never shows a traceback from inside the course: a missing name, a placeholder left as ``...`` or an answer
of the wrong type is reported as such. Open questions (there is no single right result) say so and print a model
answer. The course's tests run every lesson's solution cells with ``TLCOURSE_STRICT_CHECKS=1``: then a wrong
answer raises :class:`ExerciseFailed`, so a broken solution fails ``make test``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Callable

__all__ = ["check", "hint", "evaluate", "Verdict", "ExerciseFailed", "CHALLENGES"]


class ExerciseFailed(AssertionError):
    """A checked answer is wrong (raised only with ``TLCOURSE_STRICT_CHECKS=1``, as in the course's tests)."""


class Wrong(Exception):
    """Raised by a checker: the message says what is wrong and what to look at."""


@dataclasses.dataclass
class Verdict:
    ok: bool
    lines: list[str]

    def __str__(self) -> str:
        return "\n".join(self.lines)


@dataclasses.dataclass(frozen=True)
class Challenge:
    title: str
    needs: dict[str, str]                  # name -> what to give (for the message when it is missing)
    hints: tuple[str, ...]
    checker: Callable[..., list[str]] | None = None   # returns the ✓ lines, raises Wrong
    model_answer: str | None = None        # open questions: what a good answer says


CHALLENGES: dict[tuple[str, int], Challenge] = {}
_hints_given: dict[tuple[str, int], int] = {}


def _register(lesson: str, number: int, title: str, needs: dict[str, str], hints, model_answer=None):
    def decorate(fn):
        CHALLENGES[(lesson, number)] = Challenge(title, needs, tuple(hints), fn, model_answer)
        return fn
    return decorate


def _challenge(lesson, number) -> Challenge:
    key = (str(lesson).zfill(2), number)
    if key not in CHALLENGES:
        known = ", ".join(f'("{a}", {b})' for a, b in sorted(CHALLENGES))
        raise KeyError(f"No checked challenge {key[0]}/{number}. Checked challenges: {known}.")
    return CHALLENGES[key]


def evaluate(lesson: str, number: int, **answers) -> Verdict:
    """The verdict on an answer, without printing it (``check`` prints it)."""
    ch = _challenge(lesson, number)
    head = f"Lesson {str(lesson).zfill(2)}, challenge {number} ({ch.title}):"
    problems = [f"✗ `{n}` is missing: pass it as check(..., {n}=...), {ch.needs[n]}." for n in ch.needs
                if n not in answers]
    problems += [f"✗ `{n}` is still a placeholder: replace the `...` with {ch.needs[n]}." for n in ch.needs
                 if n in answers and (answers[n] is Ellipsis or answers[n] is None)]
    if problems:
        return Verdict(False, [head] + problems)
    try:
        good = ch.checker(**{n: answers[n] for n in ch.needs})
    except Wrong as err:
        return Verdict(False, [head, f"✗ {err}", f'  (tlcourse.exercises.hint("{str(lesson).zfill(2)}", {number}) '
                                                "gives a hint)"])
    lines = [head] + [f"✓ {line}" for line in good]
    if ch.model_answer:
        lines.append(f"Open part, a model answer: {ch.model_answer}")
    return Verdict(True, lines)


def check(lesson: str, number: int, **answers) -> None:
    """Check an answer and print the verdict. With ``TLCOURSE_STRICT_CHECKS=1`` a wrong answer raises."""
    verdict = evaluate(lesson, number, **answers)
    print(verdict)
    if not verdict.ok and os.environ.get("TLCOURSE_STRICT_CHECKS") == "1":
        raise ExerciseFailed(str(verdict))


def hint(lesson: str, number: int) -> None:
    """Print the next hint of a challenge (the first at the first call, and so on)."""
    ch = _challenge(lesson, number)
    key = (str(lesson).zfill(2), number)
    i = _hints_given.get(key, 0)
    if i >= len(ch.hints):
        print(f"No more hints for challenge {number}: the solution is in the lesson, in the cell after this one "
              "(collapsed in JupyterLab, a dropdown in the book).")
        return
    _hints_given[key] = i + 1
    print(f"Hint {i + 1} of {len(ch.hints)}: {ch.hints[i]}")


# --------------------------------------------------------------------------- small tools for the checkers

def _is(value, kind, name: str, what: str):
    if not isinstance(value, kind):
        raise Wrong(f"`{name}` should be {what}, but it is a {type(value).__name__}.")
    return value


def _model(value, name="model"):
    import keras
    return _is(value, keras.Model, name, "a Keras model")


def _history(value, name="history"):
    import keras
    _is(value, keras.callbacks.History, name, "the History that fit() returns")
    if not value.history:
        raise Wrong(f"`{name}` holds no epochs: pass what fit() returned after training.")
    return value


def _trainable(model) -> int:
    return int(sum(math.prod(v.shape) for v in model.trainable_weights))


def _frozen_base(model, name="model"):
    """The sub-model of ``model`` that is a frozen pretrained base (the nested Functional model)."""
    import keras
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model) and len(layer.layers) > 20]
    if not nested:
        raise Wrong(f"`{name}` has no pretrained base inside it: call the base on the inputs, "
                    "x = base(x, training=False), and build the model from those layers.")
    return nested[0]


def _fine_tuned_from(base, start: int, before: str, freeze: str) -> int:
    """Check a base unfrozen for fine-tuning from layer ``start`` on: nothing ``before`` it trains, no
    BatchNormalization layer trains, every other layer with weights from ``start`` on does. Returns how many do."""
    import keras
    early = [layer.name for layer in base.layers[:start] if layer.trainable and layer.weights]
    if early:
        raise Wrong(f"{len(early)} layers {before} still train (e.g. {early[0]}): freeze {freeze}.")
    bn = [layer.name for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)
          and layer.trainable]
    if bn:
        raise Wrong(f"{len(bn)} BatchNormalization layers train (e.g. {bn[0]}): set their trainable to False.")
    late = [layer for layer in base.layers[start:] if layer.weights
            and not isinstance(layer, keras.layers.BatchNormalization)]
    frozen = [layer.name for layer in late if not layer.trainable]
    if not late or frozen:
        raise Wrong(f"{len(frozen)} layers from layer {start} on do not train (e.g. {frozen[0] if frozen else '-'}). "
                    "base.trainable = True changes nothing when the base is trainable already, so layers frozen by "
                    "an earlier run stay frozen: set layer.trainable = True for those layers (not "
                    "BatchNormalization), or base.trainable = False and then True.")
    return len(late)


# --------------------------------------------------------------------------- lesson 1

@_register("01", 1, "keep only the best epoch",
           {"checkpoint": "the ModelCheckpoint callback you trained with",
            "history": "the History of that training",
            "kept_epoch": "the number of the epoch the file holds (1 for the first)"},
           ["ModelCheckpoint writes one file when the file name has no {epoch} in it.",
            "monitor='val_loss' and save_best_only=True: the file is overwritten only when the validation loss "
            "improves.",
            "The epoch kept is the one with the lowest val_loss: np.argmin(history.history['val_loss']) + 1."])
def _check_01_1(checkpoint, history, kept_epoch):
    import keras
    import numpy as np
    _is(checkpoint, keras.callbacks.ModelCheckpoint, "checkpoint", "a keras.callbacks.ModelCheckpoint")
    _history(history)
    good = []
    if "{epoch" in checkpoint.filepath or not str(checkpoint.filepath).endswith(".keras"):
        raise Wrong(f"the checkpoint writes {checkpoint.filepath!r}: give one file name ending in .keras, "
                    "without {epoch}, e.g. 'artifacts/best.keras'.")
    if checkpoint.monitor != "val_loss":
        raise Wrong(f"the checkpoint watches {checkpoint.monitor!r}: watch the validation loss, monitor='val_loss'.")
    if not checkpoint.save_best_only:
        raise Wrong("the checkpoint saves at every epoch, so the file holds the last one: pass save_best_only=True.")
    good.append(f"one file, {checkpoint.filepath}, overwritten only when val_loss improves")
    path = Path(checkpoint.filepath)
    if not path.exists():
        raise Wrong(f"{path} does not exist: train with callbacks=[checkpoint] so that it writes the file.")
    keras.models.load_model(path)
    good.append(f"{path} reloads with keras.models.load_model")
    best = int(np.argmin(history.history["val_loss"])) + 1
    if kept_epoch != best:
        hint = " (history.epoch counts from 0: add 1)" if kept_epoch == best - 1 else ""
        raise Wrong(f"kept_epoch is {kept_epoch!r}, but the lowest val_loss was at epoch {best}{hint}.")
    good.append(f"epoch {best} of {len(history.history['val_loss'])} is the one kept")
    return good


@_register("01", 2, "weights without their architecture",
           {"error": "the exception raised when the file was loaded into the wider model",
            "model": "a build_model() with the file's weights loaded",
            "path": "the path of the .weights.h5 file"},
           ["Catch the error: try: ... except ValueError as err: error = err.",
            "Read the shapes in the message: the file holds the arrays' values and shapes, not the layers.",
            "The same file loads into build_model(), which has the same architecture."],
           model_answer="A .weights.h5 file stores arrays and their shapes only; the code must rebuild exactly the "
                        "same architecture before load_weights. A .keras file carries the architecture too.")
def _check_01_2(error, model, path):
    import numpy as np
    _is(error, Exception, "error", "the exception you caught (except ValueError as err)")
    if not isinstance(error, ValueError):
        raise Wrong(f"`error` is a {type(error).__name__}; loading weights of other shapes raises a ValueError.")
    text = str(error)
    if "16" not in text or "8" not in text:
        raise Wrong("the error does not mention the shapes 8 and 16: load the file into a model whose hidden_8 "
                    "layer has 16 units.")
    _model(model)
    fresh = type(model).from_config(model.get_config())
    fresh.load_weights(str(path))
    if not all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights(), strict=True)):
        raise Wrong(f"`model` does not hold the weights of {path}: call model.load_weights(path).")
    return ["the wider model refused the file with a ValueError about the shapes (8 against 16)",
            f"build_model() holds exactly the weights of {Path(path).name}"]


# --------------------------------------------------------------------------- lesson 2

@_register("02", 1, "cut one layer earlier",
           {"model": "the model with the new head on hidden_8", "accuracy": "its test accuracy on EMNIST",
            "chance": "the chance level, 1 / len(classes)"},
           ["base.get_layer('hidden_8').output is where the new head reads.",
            "Count before you build: 8 inputs x 47 outputs + 47 biases.",
            "Freeze the copy (base.trainable = False), compile with P.head_lr, train, then evaluate on x_test."])
def _check_02_1(model, accuracy, chance):
    _model(model)
    head = model.layers[-1]
    if not head.weights or tuple(head.weights[0].shape)[0] != 8:
        width = tuple(head.weights[0].shape)[0] if head.weights else "no"
        raise Wrong(f"the new head reads {width} features: build it on base.get_layer('hidden_8').output (8 units).")
    if _trainable(model) != 8 * head.weights[0].shape[1] + head.weights[0].shape[1]:
        raise Wrong(f"{_trainable(model):,} trainable parameters: only the new head may train, so freeze the copy "
                    "(base.trainable = False) before building the model.")
    if not accuracy > 2 * chance:
        raise Wrong(f"test accuracy {accuracy:.3f} is near chance ({chance:.3f}): was the model trained?")
    return [f"a new head on hidden_8: {_trainable(model)} trainable parameters (8 x 47 + 47 = 423 for EMNIST)",
            f"test accuracy {accuracy:.3f} (chance {chance:.3f})"]


@_register("02", 2, "how low is \"low\"?",
           {"results": "a dict {learning rate: test accuracy} for 1e-4, 1e-3 and 1e-2",
            "jumps": "a dict {learning rate: val_loss right after unfreezing minus val_loss before}"},
           ["train_head_then_finetune reads P.finetune_lr: set P['finetune_lr'] = lr before each call.",
            "Before: phase1.history['val_loss'][-1]; right after: phase2.history['val_loss'][0].",
            "Restore the lesson's P['finetune_lr'] afterwards."],
           model_answer="Too low and the old weights hardly move, so the result stays near head-only; too high and "
                        "the first updates wreck what the frozen layers knew (the validation loss jumps right "
                        "after unfreezing). Big pretrained networks have a narrow window, hence 10-100x lower "
                        "fine-tuning rates than for the head.")
def _check_02_2(results, jumps):
    _is(results, dict, "results", "a dict {learning rate: test accuracy}")
    _is(jumps, dict, "jumps", "a dict {learning rate: val_loss jump}")
    want = {1e-4, 1e-3, 1e-2}
    for name, d in (("results", results), ("jumps", jumps)):
        if set(d) != want:
            raise Wrong(f"`{name}` has the learning rates {sorted(d)}; it needs exactly 1e-4, 1e-3 and 1e-2.")
    bad = {lr: a for lr, a in results.items() if not 0 <= a <= 1}
    if bad:
        raise Wrong(f"these are not accuracies between 0 and 1: {bad}.")
    best = max(results, key=results.get)
    return [f"test accuracy {', '.join(f'{lr:g}: {a:.3f}' for lr, a in sorted(results.items()))}; best {best:g}",
            "val_loss change right after unfreezing: " + ", ".join(f"{lr:g}: {j:+.3f}" for lr, j in
                                                                     sorted(jumps.items()))]


@_register("02", 3, "is it the features or the bottleneck?",
           {"model": "the from-scratch model with hidden layers of 64 and 32 units",
            "accuracy": "its test accuracy", "baseline": "the 4-unit from-scratch model's test accuracy"},
           ["Copy the from-scratch network with Dense(64) and Dense(32) instead of Dense(8) and Dense(4).",
            "Every layer trains: nothing is frozen or loaded from lesson 1.",
            "Same data, epochs and batch size as the baseline, so the comparison is fair."],
           model_answer="The wide network is far more accurate than all 4-unit models: the 4-number bottleneck, "
                        "not the data or the recipe, limits the head-only model. Transfer can only pass on what "
                        "the old features hold.")
def _check_02_3(model, accuracy, baseline):
    import keras
    _model(model)
    units = [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if units[:2] != [64, 32]:
        raise Wrong(f"the Dense layers have {units} units: the hidden ones should be 64 and 32.")
    if _trainable(model) != model.count_params():
        raise Wrong("part of the model is frozen: a from-scratch model trains every layer.")
    if not accuracy > baseline:
        raise Wrong(f"test accuracy {accuracy:.3f} is not above the 4-unit baseline's {baseline:.3f}: was it trained "
                    "for the same P.epochs?")
    return [f"hidden layers of 64 and 32 units, all {model.count_params():,} parameters trained",
            f"test accuracy {accuracy:.3f} against {baseline:.3f} for the 4-unit network"]


# --------------------------------------------------------------------------- lesson 3

@_register("03", 1, "leave out preprocess_input",
           {"dataset": "the training dataset built without preprocess_input",
            "model": "the model trained on it (a frozen ResNet50 and a new head)",
            "result": "what model.evaluate(..., return_dict=True) returned on the test set"},
           ["Copy emnist_for_resnet50 and delete its preprocess_input line; build the datasets with the copy.",
            "Build the model on the same frozen `base`: only Flatten + Dense(47) train (96,303 parameters).",
            "Train for P.a_epochs epochs and evaluate on the test dataset built the same way."],
           model_answer="Trust the run whose inputs match what the weights were trained on: with ImageNet weights "
                        "(online), preprocess_input's BGR order and mean subtraction. With the offline stand-in "
                        "(random weights) nothing was learned from ImageNet, so the comparison says nothing.")
def _check_03_1(dataset, model, result):
    import tensorflow as tf
    _is(dataset, tf.data.Dataset, "dataset", "a tf.data.Dataset")
    images = next(iter(dataset))[0].numpy()
    if images.min() < 0:
        raise Wrong(f"the pixels reach {images.min():.1f}: the pipeline still subtracts ImageNet's means "
                    "(preprocess_input). Delete that line.")
    if images.max() <= 1.0:
        raise Wrong("the pixels are at most 1: the pipeline divides by 255. Keep the pixels 0-255 as the seed "
                    "fed them (the point is to leave out preprocess_input only).")
    good = [f"the pipeline feeds raw pixels, {images.min():.0f} to {images.max():.0f}, shape {images.shape[1:]}"]
    _model(model)
    base = _frozen_base(model)
    if base.trainable or any(w.trainable for w in base.weights):
        raise Wrong("the ResNet50 inside the model is trainable: use the frozen `base` of section 3.")
    good.append(f"the base is frozen; {_trainable(model):,} trainable parameters in the head")
    _is(result, dict, "result", "the dict of model.evaluate(..., return_dict=True)")
    if "accuracy" not in result or not 0 <= result["accuracy"] <= 1:
        raise Wrong("`result` has no accuracy between 0 and 1: evaluate with return_dict=True.")
    good.append(f"test accuracy without preprocess_input: {result['accuracy']:.3f}")
    return good


@_register("03", 2, "a different size, a different cache",
           {"features": "the arrays cached_arrays returned for the new size",
            "info": "the info dict cached_arrays returned with them",
            "size": "the new SIZE"},
           ["The extractor model holds the old base and the old Resizing: rebuild base_b AND the extractor.",
            "Copy feature_settings with image_size=SIZE (and the subset you used), so the cache key changes.",
            "ResNet50 shrinks an image 32 times: the features of one image are ceil(SIZE/32) x ceil(SIZE/32)."])
def _check_03_2(features, info, size):
    _is(features, dict, "features", "the dict of arrays that cached_arrays returned")
    _is(info, dict, "info", "the info dict that cached_arrays returned")
    if "train" not in features:
        raise Wrong("`features` has no 'train' array: compute {'train': extract_features(...)}.")
    grid = math.ceil(size / 32)
    got = tuple(features["train"].shape[1:3])
    if got != (grid, grid):
        raise Wrong(f"the features are {got[0]}x{got[1]} per image, but at {size}x{size} pixels they must be "
                    f"{grid}x{grid}: the extractor still resizes to the old size. Rebuild `extractor` with the new "
                    "base_b and Resizing(SIZE, SIZE).")
    good = [f"features of {size}x{size} images: {grid}x{grid}x{features['train'].shape[-1]} per image"]
    good.append("computed now (a new cache key)" if not info.get("hit") else
                "loaded from the cache of an earlier run with the same size (the key includes image_size)")
    return good


@_register("03", 3, "cache part A too",
           {"features": "the EMNIST features dict ('train', 'test') from cached_arrays",
            "head": "the head trained on the cached features",
            "labels": "(y_train, y_test)"},
           ["Extract with shuffle=False: the features must stay in the order of y_train.",
            "cached_arrays(name, settings, compute) with compute returning {'train': ..., 'test': ...}.",
            "Flatten + Dense(47) on the features, 10 epochs: each epoch takes a fraction of a second."])
def _check_03_3(features, head, labels):
    import numpy as np
    _is(features, dict, "features", "the dict of arrays that cached_arrays returned")
    _model(head, "head")
    y_train, y_test = labels
    for split, y in (("train", y_train), ("test", y_test)):
        if split not in features or len(features[split]) != len(y):
            raise Wrong(f"features['{split}'] should have one row per image ({len(y)}).")
    probs = np.asarray(head(features["test"][:len(y_test)], training=False))
    accuracy = float(np.mean(probs.argmax(axis=1) == np.asarray(y_test)))
    chance = 1 / probs.shape[1]
    if accuracy < 2 * chance:
        raise Wrong(f"the head's test accuracy is {accuracy:.3f}, about chance ({chance:.3f}): were the training "
                    "features extracted in another order than y_train (shuffle=True)? Or was the head not trained?")
    return [f"{len(y_train):,} training and {len(y_test):,} test feature rows, in the labels' order",
            f"head on cached features: test accuracy {accuracy:.3f} (chance {chance:.3f})"]


# --------------------------------------------------------------------------- lesson 5

@_register("05", 1, "swap the backbone of section 8's model",
           {"model": "the new model (augmentation, preprocess_v1, frozen MobileNet 0.25, Dropout, Dense(1))",
            "history": "the History of its training"},
           ["A new copy of data_augmentation's layers (that one is built for 160x160), then preprocess_v1; the base is "
            "mobilenet_025(weights_v1) with trainable=False.",
            "Call the base with training=False, then Dropout(0.2) and Dense(1): 257 trainable parameters.",
            "Train on 224x224 batches (train_224), for P.initial_epochs epochs, with validation_data."])
def _check_05_1(model, history):
    _model(model)
    _history(history)
    base = _frozen_base(model)
    if "mobilenet" not in base.name or base.count_params() > 400_000:
        raise Wrong(f"the base inside is {base.name} ({base.count_params():,} parameters): use MobileNet 0.25 "
                    "(mobilenet_025(weights_v1)).")
    if any(w.trainable for w in base.weights):
        raise Wrong("MobileNet 0.25 is trainable: set base.trainable = False before compiling.")
    if _trainable(model) != 257:
        raise Wrong(f"{_trainable(model):,} trainable parameters; the head should be Dense(1) on 256 features (257).")
    if tuple(model.input_shape[1:3]) != (224, 224):
        raise Wrong(f"the model takes {model.input_shape[1:3]} images: MobileNet 0.25's weights are for 224x224.")
    if not any("augment" in layer.name or layer.name.startswith("random") for layer in model.layers):
        raise Wrong("no augmentation layer in the model: start with random flips and rotations, as data_augmentation "
                    "does.")
    if "val_accuracy" not in history.history:
        raise Wrong("the History has no val_accuracy: pass validation_data=val_v1 to fit().")
    val = history.history["val_accuracy"][-1]
    if val < 0.7:
        raise Wrong(f"validation accuracy {val:.3f}: with ImageNet features it should be far above chance (0.5). "
                    "Are the pixels prepared with preprocess_v1, and the base called with training=False?")
    return ["augmentation, preprocess_v1, frozen MobileNet 0.25, Dropout and Dense(1): 257 trainable parameters",
            f"validation accuracy after {len(history.epoch)} epochs: {val:.3f}"]


@_register("05", 2, "a Rescaling layer instead of preprocess_input",
           {"rescale": "your keras.layers.Rescaling layer"},
           ["Find a and b with 0 * a + b = -1 and 255 * a + b = 1.",
            "scale=1/127.5, offset=-1."])
def _check_05_2(rescale):
    import keras
    import numpy as np
    _is(rescale, keras.layers.Rescaling, "rescale", "a keras.layers.Rescaling layer")
    pixels = np.array([[0.0, 127.5, 255.0]], "float32")
    got = np.asarray(rescale(pixels))[0]
    want = np.asarray(keras.applications.mobilenet_v2.preprocess_input(pixels.copy()))[0]
    if not np.allclose(got, want, atol=1e-6):
        raise Wrong(f"0, 127.5 and 255 become {np.round(got, 3).tolist()}, but preprocess_input gives "
                    f"{np.round(want, 3).tolist()}.")
    return ["0 -> -1, 127.5 -> 0, 255 -> 1: the same numbers as preprocess_input"]


@_register("05", 3, "how deep to fine-tune?",
           {"base": "the base model you unfroze", "start": "the first layer index that trains (120 or 50)",
            "model": "the model, compiled again after the change"},
           ["base.trainable = True, then layer.trainable = False for base.layers[:start].",
            "Keep every BatchNormalization layer frozen.",
            "Compile again: a change of trainable takes effect at compile()."],
           model_answer="From a later layer, fewer parameters train: faster epochs, later overfitting, less "
                        "adaptation. From an earlier layer, more train: slower epochs, and with 2,000 images the "
                        "validation loss tends to rise sooner.")
def _check_05_3(base, start, model):
    _model(base, "base")
    _model(model)
    _is(start, int, "start", "a layer index (an int)")
    late = _fine_tuned_from(base, start, f"before layer {start}", "base.layers[:start]")
    if not getattr(model, "compiled", False):
        raise Wrong("the model is not compiled: compile it (again) after changing trainable, or fit() ignores the "
                    "change.")
    return [f"layers 0-{start - 1} frozen, {late} layers with weights train from layer {start}, "
            "BatchNormalization frozen", f"trainable parameters: {_trainable(model):,}"]


# --------------------------------------------------------------------------- lesson 6

@_register("06", 1, "fine-tune 20 layers instead of 10",
           {"base": "the base you unfroze (base_20)", "history": "the History of its fine-tuning",
            "feature_extraction_epochs": "how many epochs feature extraction ran: len(history.epoch)"},
           ["Build a new model on a fresh base and load the last feature-extraction checkpoint into it.",
            "base.trainable = True, then freeze base.layers[:-20] and every BatchNormalization layer.",
            "Recompile with learning_rate / 10, and continue with initial_epoch=len(history.epoch)."])
def _check_06_1(base, history, feature_extraction_epochs):
    _model(base, "base")
    _history(history)
    late = _fine_tuned_from(base, len(base.layers) - 20, "before the last 20", "base.layers[:-20]")
    first = history.epoch[0]
    if first == feature_extraction_epochs - 1:
        raise Wrong(f"fine-tuning started at epoch {first + 1}, which feature extraction had already run: "
                    "initial_epoch=history.epoch[-1] is one too small; use initial_epoch=len(history.epoch).")
    if first != feature_extraction_epochs:
        raise Wrong(f"fine-tuning started at epoch {first + 1}; after {feature_extraction_epochs} epochs of feature "
                    "extraction it should start at the next one: initial_epoch=len(history.epoch).")
    return [f"the last 20 layers of the base train ({late} with weights), BatchNormalization frozen",
            f"fine-tuning continued at epoch {first + 1}, right after feature extraction; "
            f"test accuracy {history.history['val_accuracy'][-1]:.3f}"]


@_register("06", 2, "1% of the data",
           {"train_dir": "the folder load_food10 returned for n_train=70", "history": "the History of the training",
            "model": "the model trained on it"},
           ["datasets.load_food10(run, n_train=70, n_test=P.n_test, seed=run.seed) writes 7 photos per class.",
            "Same make_model on a fresh base, same compile, same epochs: only the training folder changes.",
            "EfficientNet takes pixels 0-255: do not divide by 255 on the way."],
           model_answer="Feature extraction (with augmentation) is the right choice with so few photos: fine-tuning "
                        "would have too little data to adapt even the top layers without overfitting.")
def _check_06_2(train_dir, history, model):
    _history(history)
    _model(model)
    folders = [d for d in Path(train_dir).iterdir() if d.is_dir()]
    counts = {d.name: len(list(d.glob("*.jpg"))) for d in folders}
    if len(counts) != 10 or set(counts.values()) != {7}:
        raise Wrong(f"the training folder holds {counts}: 1% of 750 photos is 7 per class, n_train=70.")
    if any(layer.name.startswith("rescaling") or "255" in layer.name for layer in model.layers):
        raise Wrong("the model rescales its input before the base: EfficientNet takes pixels 0-255 and rescales "
                    "them itself.")
    if "val_accuracy" not in history.history:
        raise Wrong("the History has no val_accuracy: pass validation_data=test_data to fit().")
    return ["10 classes of 7 training photos each", f"test accuracy with 1% of the data: "
            f"{history.history['val_accuracy'][-1]:.3f} (after {len(history.epoch)} epochs)"]


# --------------------------------------------------------------------------- lesson 4

@_register("04", 1, "inspect the DenseNet121 model",
           {"model": "the model of section 4", "total": "its number of parameters",
            "trainable": "how many of them train", "head_start": "the index of the head's first layer",
            "pooling_layer": "the name of the layer that pooling='max' added"},
           ["tlcourse.param_table(model) counts both; or model.count_params() and the trainable weights' sizes.",
            "The head starts at the layer named 'flatten': [layer.name for layer in model.layers].index('flatten').",
            "pooling='max' adds a GlobalMaxPooling2D layer right before the head."])
def _check_04_1(model, total, trainable, head_start, pooling_layer):
    import keras
    _model(model)
    if total != model.count_params():
        raise Wrong(f"total is {total!r}; the model has {model.count_params():,} parameters (model.count_params()).")
    if trainable == total:
        raise Wrong("you counted every parameter as trainable: base_model.trainable = False froze DenseNet121, so "
                    "only the head's weights train.")
    if trainable != _trainable(model):
        raise Wrong(f"trainable is {trainable!r}; count only the trainable weights (the param table's column).")
    names = [layer.name for layer in model.layers]
    if head_start != names.index("flatten"):
        raise Wrong(f"layer {head_start} is {names[head_start] if 0 <= head_start < len(names) else 'no layer'}; "
                    "the head starts at 'flatten'.")
    layer = model.get_layer(pooling_layer) if pooling_layer in names else None
    if not isinstance(layer, keras.layers.GlobalMaxPooling2D):
        raise Wrong(f"{pooling_layer!r} is not the GlobalMaxPooling2D layer that pooling='max' added.")
    return [f"{total:,} parameters, {trainable:,} trainable (the head only)",
            f"the head starts at layer {head_start} (flatten); pooling='max' added {pooling_layer!r}"]


@_register("04", 2, "compile and train the model",
           {"model": "the compiled model you trained", "stopper": "your EarlyStopping callback",
            "history": "what fit() returned"},
           ["The last layer outputs logits: SparseCategoricalCrossentropy(from_logits=True).",
            "EarlyStopping(monitor='val_accuracy', patience=5, restore_best_weights=True).",
            "Pass validation_data=(x_val, y_val), or the stopper has nothing to watch."])
def _check_04_2(model, stopper, history):
    import keras
    _model(model)
    _history(history)
    _is(stopper, keras.callbacks.EarlyStopping, "stopper", "a keras.callbacks.EarlyStopping")
    loss = getattr(model, "loss", None)
    if not isinstance(loss, keras.losses.SparseCategoricalCrossentropy) or not loss.get_config().get("from_logits"):
        raise Wrong(f"the loss is {loss!r}: the model outputs logits and the labels are integers, so use "
                    "keras.losses.SparseCategoricalCrossentropy(from_logits=True).")
    if stopper.monitor != "val_accuracy" or stopper.patience != 5:
        raise Wrong(f"the stopper watches {stopper.monitor!r} with patience {stopper.patience}: the episode watches "
                    "'val_accuracy' with patience 5.")
    if not stopper.restore_best_weights:
        raise Wrong("without restore_best_weights=True the model keeps the last epoch's weights, 5 epochs past the "
                    "best one.")
    if "val_accuracy" not in history.history:
        raise Wrong("the History has no val_accuracy: pass validation_data=(x_val, y_val) to fit().")
    return ["Adam, SparseCategoricalCrossentropy(from_logits=True), accuracy",
            "EarlyStopping on val_accuracy, patience 5, best weights restored",
            f"trained {len(history.epoch)} epoch(s) with validation data"]


@_register("04", 3, "plot the learning curves yourself",
           {"plot_history": "your function plot_history(history, metrics)", "history": "a History to plot"},
           ["pd.DataFrame(history.history) has one column per metric.",
            "sns.lineplot(data=frame[metrics]) draws one line per column.",
            "Count epochs from 1: frame.index = frame.index + 1."])
def _check_04_3(plot_history, history):
    import matplotlib.pyplot as plt
    _history(history)
    if not callable(plot_history):
        raise Wrong("`plot_history` should be your function, not its result: pass plot_history, not "
                    "plot_history(...).")
    metrics = [m for m in ("accuracy", "val_accuracy") if m in history.history]
    plt.close("all")
    plot_history(history, metrics)
    lines = [line for ax in plt.gcf().axes for line in ax.get_lines() if len(line.get_xdata()) > 0]
    plt.close("all")
    epochs = len(history.epoch)
    full = [line for line in lines if len(line.get_xdata()) == epochs]
    if len(full) < len(metrics):
        raise Wrong(f"the figure has {len(full)} line(s) of {epochs} points; it needs one per metric "
                    f"({', '.join(metrics)}), one point per epoch.")
    if min(min(line.get_xdata()) for line in full) != 1:
        raise Wrong("the first epoch is drawn at x = 0: count epochs from 1 (frame.index + 1).")
    return [f"{len(full)} lines of {epochs} points, epochs counted from 1"]


@_register("04", 4, "try another pretrained model",
           {"base": "the MobileNet 0.25 base", "accuracy": "the head's test accuracy on its features",
            "scratch": "the same network trained from scratch", "baseline": "the small CNN's test accuracy"},
           ["keras.applications.MobileNet(alpha=0.25, include_top=False, pooling='max', weights=...), 224x224 input.",
            "Its own preprocess_input (pixels to [-1, 1]) goes inside, as for DenseNet121.",
            "From scratch: weights=None and every layer trainable, same head, data and budget."])
def _check_04_4(base, accuracy, scratch, baseline):
    _model(base, "base")
    _model(scratch, "scratch")
    if base.count_params() > 300_000 or tuple(base.input_shape[1:3]) not in ((224, 224), (64, 64)):
        raise Wrong(f"`base` has {base.count_params():,} parameters and input {base.input_shape}: use MobileNet at "
                    "alpha=0.25 on 224x224 images.")
    frozen = [layer.name for layer in scratch.layers if layer.weights and not layer.trainable]
    if frozen or not scratch.trainable:
        raise Wrong(f"part of the scratch network is frozen (e.g. {frozen[0] if frozen else scratch.name}): from "
                    "scratch, every layer trains.")
    if not accuracy > baseline:
        raise Wrong(f"the transfer model's test accuracy {accuracy:.3f} is not above the small CNN's {baseline:.3f}: "
                    "are the pixels prepared with mobilenet.preprocess_input?")
    return [f"MobileNet 0.25 base, {base.count_params():,} parameters; the scratch copy trains all of its weights",
            f"transfer {accuracy:.3f} against the small CNN's {baseline:.3f}"]


@_register("04", 5, "how much does the pooling choice matter?",
           {"base": "the base built with pooling='avg'", "features": "its cached features",
            "head_history": "the History of the head trained on them"},
           ["Build the base again with pooling='avg' (the same upscaling and preprocess_input).",
            "Copy feature_settings with the new model description: the key changes, so the cache computes anew.",
            "The same head (add_head) on the new features, the same fit_like_the_episode."])
def _check_04_5(base, features, head_history):
    import keras
    _model(base, "base")
    _history(head_history, "head_history")
    if not isinstance(base.layers[-1], keras.layers.GlobalAveragePooling2D):
        raise Wrong(f"the base ends with {type(base.layers[-1]).__name__}: pass pooling='avg'.")
    _is(features, dict, "features", "the dict of arrays cached_arrays returned")
    if features["train"].ndim != 2 or features["train"].shape[1] != base.output_shape[-1]:
        raise Wrong(f"the features are shaped {features['train'].shape[1:]}: they must come from the avg base, one "
                    f"vector of {base.output_shape[-1]} per image. Did the cache return the max features (same key)?")
    return [f"pooling='avg': one vector of {base.output_shape[-1]} per image",
            f"best validation accuracy of the head: {max(head_history.history['val_accuracy']):.3f}"]


@_register("04", 6, "a bigger budget for the scratch network",
           {"history": "the History of the longer training", "accuracy": "its test accuracy",
            "seconds": "its wall time"},
           ["keras.models.clone_model(cnn) gives the same architecture with fresh weights.",
            "EarlyStopping(monitor='val_accuracy', patience=10, restore_best_weights=True).",
            "Time it with time.perf_counter() before and after fit()."],
           model_answer="Once the training accuracy keeps rising while the validation accuracy levels off, the "
                        "network memorises its few hundred images and more epochs no longer help; pretrained "
                        "features were paid for once, on ImageNet.")
def _check_04_6(history, accuracy, seconds):
    _history(history)
    train, val = history.history.get("accuracy", []), history.history.get("val_accuracy", [])
    if not val:
        raise Wrong("the History has no val_accuracy: pass validation_data so the early stopper can watch it.")
    if not 0 <= accuracy <= 1:
        raise Wrong(f"accuracy {accuracy!r} is not a test accuracy between 0 and 1.")
    return [f"{len(history.epoch)} epochs in {seconds:.0f} s; best training accuracy {max(train):.3f}, best validation "
            f"accuracy {max(val):.3f}, test accuracy {accuracy:.3f}"]


# --------------------------------------------------------------------------- lesson 7

@_register("07", 1, "a TF Hub feature vector on lesson 5's data",
           {"model": "your tf_keras model (hub.KerasLayer, Dropout(0.2), Dense(1))", "history": "its training"},
           ["Build it with tf_keras, not keras: hub.KerasLayer does not fit into a Keras 3 model (section 3).",
            "hub.KerasLayer(handle, trainable=False): only the Dense(1) head trains, features + 1 parameters.",
            "Images at 224x224 in [0, 1] (image_subset does it), BinaryCrossentropy(from_logits=True)."])
def _check_07_1(model, history):
    import tensorflow_hub as hub
    import tf_keras
    _is(model, tf_keras.Model, "model", "a tf_keras model (tf_keras.Sequential([...]))")
    _is(history, tf_keras.callbacks.History, "history", "the History that fit() returned")
    layers = [layer for layer in model.layers if isinstance(layer, hub.KerasLayer)]
    if not layers:
        raise Wrong("the model has no hub.KerasLayer: put hub.KerasLayer(handle, trainable=False) after the input.")
    if layers[0].trainable:
        raise Wrong("the hub.KerasLayer trains: pass trainable=False, so only the head learns.")
    features = int(model.layers[-1].kernel.shape[0])
    trainable = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    if trainable != features + 1:
        raise Wrong(f"{trainable:,} trainable parameters; a frozen feature vector of {features} with Dense(1) has "
                    f"{features + 1}.")
    val = history.history.get("val_accuracy", [0])[-1]
    if val < 0.7:
        raise Wrong(f"validation accuracy {val:.3f}: ImageNet features should reach far above chance (0.5). Are the "
                    "images in [0, 1] at 224x224, and the loss from_logits=True?")
    return [f"a frozen hub.KerasLayer and Dense(1): {trainable:,} trainable parameters",
            f"validation accuracy {val:.3f} after {len(history.epoch)} epochs"]


# --------------------------------------------------------------------------- lesson 8

@_register("08", 1, "four replicas, the same per-replica batch",
           {"global_batch": "the global batch with 4 replicas of 32", "steps_per_epoch": "steps for one epoch",
            "learning_rate": "the learning rate the linear rule gives", "n_train": "len(x_train)",
            "base_learning_rate": "the lesson's learning rate", "base_global_batch": "the lesson's global batch"},
           ["The global batch is what one step sees: per-replica batch x number of replicas.",
            "An epoch needs ceil(n_train / global_batch) steps: -(-n // b) in Python.",
            "Linear rule: learning rate x (new global batch / old global batch)."])
def _check_08_1(global_batch, steps_per_epoch, learning_rate, n_train, base_learning_rate, base_global_batch):
    if global_batch == 32:
        raise Wrong("32 is the batch of ONE replica; the global batch of a step is 32 x 4 replicas.")
    if global_batch != 128:
        raise Wrong(f"global_batch is {global_batch!r}: 4 replicas of 32 images make {4 * 32}.")
    want = -(-n_train // global_batch)
    if steps_per_epoch != want:
        raise Wrong(f"steps_per_epoch is {steps_per_epoch!r}: {n_train} photos in batches of {global_batch} take "
                    f"{want} steps (round up: the last batch is smaller).")
    lr = base_learning_rate * global_batch / base_global_batch
    if not math.isclose(learning_rate, lr, rel_tol=1e-6):
        raise Wrong(f"learning_rate is {learning_rate!r}; the linear rule scales {base_learning_rate:g} by "
                    f"{global_batch}/{base_global_batch}: {lr:g}.")
    return [f"global batch {global_batch}, {steps_per_epoch} steps an epoch, learning rate {lr:g}"]


@_register("08", 2, "a custom training loop over strategy.run",
           {"mean_loss": "the mean training loss of the epoch", "before": "model_2.get_weights() before the epoch",
            "model": "model_2 after the epoch"},
           ["strategy.experimental_distribute_dataset(train_2) hands each replica its part of every batch.",
            "In the step: per-example losses (reduction='none'), then tf.nn.compute_average_loss(..., "
            "global_batch_size=GLOBAL_BATCH).",
            "strategy.run(step, args=(images, labels)), then strategy.reduce('SUM', ..., axis=None)."],
           model_answer="Each replica divides the sum of its losses by the global batch and the strategy sums the "
                        "replicas' gradients: together, the mean over the global batch, as on one device. Dividing "
                        "by the per-replica batch would multiply the gradients by the number of replicas.")
def _check_08_2(mean_loss, before, model):
    import numpy as np
    _model(model)
    if not math.isfinite(float(mean_loss)) or mean_loss <= 0:
        raise Wrong(f"mean_loss is {mean_loss!r}: a binary cross-entropy is a positive, finite number.")
    after = model.get_weights()
    if len(after) != len(before):
        raise Wrong("`before` does not hold the same model's weights: take model_2.get_weights() before the loop.")
    if all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
        raise Wrong("the weights did not change: does the step call optimizer.apply_gradients, and does the loop "
                    "run strategy.run over the distributed dataset?")
    return [f"one epoch under the strategy: mean training loss {float(mean_loss):.4f}, the weights moved"]


@_register("08", 3, "three workers",
           {"cluster": "the LocalCluster of three workers, after wait()", "replicas": "the replicas in sync"},
           ["LocalCluster('artifacts/mwms_train.py', 3, worker_args('tf_keras', 1), timeout=P.cluster_timeout).",
            "Each worker prints 'N replicas in sync' when it starts.",
            "Nothing in the script changes: TF_CONFIG lists the workers, worker 0 is the chief."],
           model_answer="3 replicas (one CPU device per worker), each worker about a third of every global batch; "
                        "nothing in the script changes. On one laptop it is slower: three processes share two cores.")
def _check_08_3(cluster, replicas):
    import re
    if not hasattr(cluster, "logs") or not hasattr(cluster, "workers"):
        raise Wrong("`cluster` should be the tlcourse.distributed.LocalCluster you ran.")
    if len(cluster.workers) != 3:
        raise Wrong(f"the cluster has {len(cluster.workers)} workers: LocalCluster(..., 3, ...).")
    seen = []
    for w in range(3):
        lines = cluster.logs(w, grep="replicas in sync")
        m = re.search(r"(\d+) replicas in sync", lines[0]) if lines else None
        if not m:
            raise Wrong(f"worker {w} never reported its replicas: did the cluster start (cluster.show_logs())?")
        seen.append(int(m.group(1)))
    if replicas != seen[0]:
        raise Wrong(f"replicas is {replicas!r}, but the workers report {seen[0]} replicas in sync.")
    codes = [w.returncode for w in cluster.workers]
    if any(code != 0 for code in codes):
        raise Wrong(f"the workers ended with exit codes {codes}: read cluster.show_logs().")
    return [f"three workers, {seen[0]} replicas in sync, every worker finished (exit codes {codes})"]
