"""Plots and model tables used by several lessons."""

from __future__ import annotations

import numpy as np

__all__ = ["history_frame", "plot_history", "show_images", "plot_confusion", "param_table"]


def _as_history_dict(h) -> tuple[list[int], dict]:
    """(epochs, metrics) of a keras History, or of a plain dict of metric lists."""
    if hasattr(h, "history"):
        hist = h.history
        epochs = list(getattr(h, "epoch", range(len(next(iter(hist.values()), [])))))
    elif isinstance(h, dict):
        hist = h
        epochs = list(range(len(next(iter(hist.values()), []))))
    else:
        raise TypeError("Expected a keras History (what model.fit returns) or a dict of lists, got "
                        f"{type(h).__name__}.")
    return epochs, hist


def history_frame(*histories, names=None):
    """One long table (run, epoch, metric, split, value) of one or more training histories."""
    import pandas as pd

    names = list(names) if names is not None else [f"run {i + 1}" for i in range(len(histories))]
    if len(names) != len(histories):
        raise ValueError(f"Got {len(histories)} histories but {len(names)} names.")
    rows = []
    for name, h in zip(names, histories, strict=True):
        epochs, hist = _as_history_dict(h)
        for key, values in hist.items():
            split = "validation" if key.startswith("val_") else "train"
            metric = key[4:] if key.startswith("val_") else key
            if metric == "learning_rate":
                continue
            for e, v in zip(epochs, values, strict=False):
                rows.append({"run": name, "epoch": e + 1, "metric": metric, "split": split, "value": float(v)})
    return pd.DataFrame(rows)


def plot_history(*histories, names=None, metrics=None, join=False, title=None):
    """Learning curves with seaborn.

    ``join=False`` compares separate runs (one colour per run). ``join=True`` treats the histories as
    consecutive phases of one training (e.g. resumed training or fine-tuning, fitted with
    ``initial_epoch=len(history.epoch)``) and draws a dashed line where each later phase starts.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    df = history_frame(*histories, names=names)
    if df.empty:
        raise ValueError("The histories are empty: did model.fit run for at least one epoch?")
    metrics = list(metrics) if metrics else list(dict.fromkeys(df["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        part = df[df["metric"] == metric]
        if join:
            sns.lineplot(data=part, x="epoch", y="value", style="split", marker="o", ax=ax, color="C0")
            for name in list(dict.fromkeys(part["run"]))[1:]:
                first = part.loc[part["run"] == name, "epoch"].min()
                ax.axvline(first - 0.5, color="grey", ls="--")
                ax.annotate(f"{name} starts", (first - 0.5, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(3, -12), textcoords="offset points", fontsize=8, color="grey")
        else:
            sns.lineplot(data=part, x="epoch", y="value", hue="run", style="split", marker="o", ax=ax)
        ax.set_title(metric)
        ax.set_ylabel(metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
    # One legend, outside the last panel, so that it never hides a curve.
    for ax in axes[0][:-1]:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if axes[0][-1].get_legend() is not None:
        sns.move_legend(axes[0][-1], "upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_images(images):
    from .checks import check_images

    images = check_images(images)  # shape (n, h, w[, 1|3]) and a numeric dtype, or a message naming the fix
    if images.dtype.kind == "f" and images.max(initial=0) > 1.0:
        images = np.clip(images / 255.0, 0, 1)  # floats in 0-255 (e.g. after a cast): scale for display
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    return images


def show_images(images, labels=None, class_names=None, n=9, predictions=None, cols=None):
    """A grid of the first ``n`` images with their labels (and predictions, red where wrong)."""
    import matplotlib.pyplot as plt

    from .checks import check_labels

    images = _check_images(images)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r}: give the number of images to show, a positive integer (e.g. n=9).")
    n = min(n, len(images))
    n_classes = len(class_names) if class_names is not None else None
    for what, values in (("labels", labels), ("predictions", predictions)):
        if values is not None:
            checked = check_labels(values, n_classes, name=what)
            if len(checked) < n:
                raise ValueError(f"{what} has {len(checked)} entries for {n} images: pass one per image "
                                 f"(the same slice as the images, e.g. {what}[:{n}]).")
    if predictions is not None and labels is None:
        raise ValueError("predictions need the true labels too: show_images(images, labels, class_names, "
                         "predictions=...).")
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.1 * rows), squeeze=False)

    def name(i):
        return class_names[int(i)] if class_names is not None else str(int(i))

    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(images[k], cmap="gray" if images.ndim == 3 else None)
        if labels is not None:
            text, colour = name(np.asarray(labels)[k]), "black"
            if predictions is not None:
                pred = np.asarray(predictions)[k]
                text = f"{name(pred)}\n(true: {text})"
                colour = "green" if int(pred) == int(np.asarray(labels)[k]) else "red"
            ax.set_title(text, fontsize=9, color=colour)
    fig.tight_layout()
    return fig


def plot_confusion(y_true, y_pred, class_names, probabilities=None, images=None, worst=6, normalize=True):
    """Confusion matrix heatmap; with ``images`` and ``probabilities``, also the most confident mistakes."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .checks import check_labels

    if class_names is None or len(class_names) < 2:
        raise ValueError("class_names must list every class (at least two), e.g. class_names=train_ds.class_names.")
    k = len(class_names)
    y_true = check_labels(y_true, k, name="y_true")
    y_pred = check_labels(y_pred, k, name="y_pred")  # probabilities are refused with the argmax hint
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}: predict on exactly the "
                         "examples whose labels you pass (same order, same subset).")
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    size = max(4.0, 0.45 * k)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    sns.heatmap(shown, annot=k <= 12, fmt=".2f" if normalize else "d", cmap="Blues", cbar=True,
                xticklabels=class_names, yticklabels=class_names, ax=ax, vmin=0)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix" + (" (each row sums to 1)" if normalize else ""))
    fig.tight_layout()
    wrong = np.flatnonzero(y_true != y_pred)
    if images is not None and probabilities is not None and wrong.size and worst:
        conf = np.asarray(probabilities).reshape(len(y_true), -1).max(axis=1)
        order = wrong[np.argsort(-conf[wrong])][:worst]
        show_images(np.asarray(images)[order], y_true[order], class_names, n=len(order),
                    predictions=y_pred[order], cols=min(len(order), 6))
        plt.gcf().suptitle("Most confident mistakes", y=1.0, va="bottom")  # above the two-line titles
    return cm


def param_table(*models, names=None):
    """Total / trainable / non-trainable parameter counts of one or more Keras models, as a table."""
    import pandas as pd

    def count(weights):
        return int(sum(np.prod(w.shape) for w in weights))

    if not models:
        raise TypeError("param_table needs at least one Keras model: param_table(model) or "
                        "param_table(model_a, model_b, names=['a', 'b']).")
    for m in models:
        if not hasattr(m, "trainable_weights"):
            raise TypeError(f"param_table expects Keras models, got {type(m).__name__}.")
    names = list(names) if names is not None else [m.name for m in models]
    if len(names) != len(models):
        raise ValueError(f"Got {len(models)} models but {len(names)} names: give one name per model.")
    if len(set(names)) != len(names):
        raise ValueError(f"Two models have the same name ({', '.join(names)}); a reloaded model keeps the name "
                         "of the original. Pass names=[...] to tell them apart.")
    data = {}
    for name, m in zip(names, models, strict=True):
        if not hasattr(m, "trainable_weights"):
            raise TypeError(f"param_table expects Keras models, got {type(m).__name__}.")
        data[name] = {"total": count(m.weights), "trainable": count(m.trainable_weights),
                      "non-trainable": count(m.non_trainable_weights)}
    return pd.DataFrame(data).T[["total", "trainable", "non-trainable"]]
