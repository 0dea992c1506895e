"""The course's Keras callbacks, and reading back what they wrote.

- :func:`tensorboard`   a ``keras.callbacks.TensorBoard`` writing to ``logs/<experiment>/<YYYYmmdd-HHMMSS>``: one
                        timestamped folder per experiment and run, so TensorBoard can compare runs side by side
- :func:`read_scalars`  the scalars of a TensorBoard log folder (loss, accuracy, learning rate per epoch) as a
                        table, read from the event files with TensorBoard's own ``EventAccumulator``

Open the logs in JupyterLab with ``%load_ext tensorboard`` and ``%tensorboard --logdir logs``, or in a terminal
with ``tensorboard --logdir logs``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

__all__ = ["tensorboard", "read_scalars"]


def tensorboard(run, experiment: str, logs: str | os.PathLike = "logs", **kwargs):
    """A ``keras.callbacks.TensorBoard`` callback that writes to ``<logs>/<experiment>/<timestamp>/``.

    ``experiment`` names what is trained (e.g. ``"feature_extraction"``); every call makes a new timestamped folder
    (``YYYYmmdd-HHMMSS``, with ``-2``, ``-3`` … added if that second is already taken), so runs never mix. The
    folder is printed and recorded in the run's results (``run.metrics["tensorboard"][experiment]``); the callback
    keeps it as ``callback.log_dir``. Further keyword arguments go to ``keras.callbacks.TensorBoard`` (e.g.
    ``histogram_freq=1``)."""
    import keras

    if not isinstance(experiment, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", experiment):
        raise ValueError(f"experiment={experiment!r}: use letters, digits, '_', '-' or '.', e.g. "
                         "'feature_extraction'; it becomes a folder name under the logs folder.")
    base = Path(logs) / experiment
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir, n = base / stamp, 1
    while log_dir.exists():
        n += 1
        log_dir = base / f"{stamp}-{n}"
    try:
        log_dir.mkdir(parents=True)
    except OSError as err:
        raise OSError(f"Cannot create the TensorBoard folder {log_dir} ({err.strerror or err}). Pass logs= a "
                      "folder you can write to.") from err
    print(f"TensorBoard logs of {experiment!r}: {log_dir}")
    run.record("tensorboard", **{experiment: str(log_dir)})
    return keras.callbacks.TensorBoard(log_dir=str(log_dir), **kwargs)


def read_scalars(log_dir: str | os.PathLike, per_epoch: bool = True):
    """The scalars logged under ``log_dir`` (a folder :func:`tensorboard` made, or any Keras TensorBoard folder), read
    from the event files with TensorBoard's own ``EventAccumulator``, as a pandas table.

    ``per_epoch=True`` (default): the values Keras logs once per epoch (tags ``epoch_loss``, ``epoch_accuracy``,
    ``epoch_learning_rate`` …), with columns ``split`` (``train`` / ``validation``, the subfolders Keras writes),
    ``metric`` (the tag without ``epoch_``), ``epoch`` (counted from 1, as ``fit`` prints it) and ``value``.
    ``per_epoch=False``: every scalar tag as written, with columns ``split``, ``tag``, ``step``, ``value`` (Keras also
    logs ``evaluation_*_vs_iterations``, whose step is the optimizer's iteration count, not the epoch).
    Keras 3 writes scalars as summary tensors; both those and TF1-style scalar summaries are read.
    Raises ``FileNotFoundError`` when the folder holds no event file (was the callback passed to ``fit``?)."""
    import pandas as pd
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    log_dir = Path(log_dir)
    event_files = sorted(log_dir.rglob("events.out.tfevents.*")) if log_dir.is_dir() else []
    if not event_files:
        raise FileNotFoundError(f"No TensorBoard event files under {log_dir}: was the callback passed to "
                                "model.fit(..., callbacks=[...]) and did fit() run at least one epoch?")
    rows = []
    for folder in sorted({f.parent for f in event_files}):
        acc = event_accumulator.EventAccumulator(str(folder), size_guidance={event_accumulator.TENSORS: 0,
                                                                              event_accumulator.SCALARS: 0})
        acc.Reload()
        split = folder.relative_to(log_dir).as_posix() if folder != log_dir else "."
        tags = acc.Tags()
        for tag in tags.get("tensors", []):
            if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
                continue  # e.g. the model's config, which Keras logs as a text tensor
            for event in acc.Tensors(tag):
                rows.append((split, tag, event.step, float(tensor_util.make_ndarray(event.tensor_proto))))
        for tag in tags.get("scalars", []):  # summaries written the TF1 way
            rows.extend((split, tag, e.step, float(e.value)) for e in acc.Scalars(tag))
    table = pd.DataFrame(rows, columns=["split", "tag", "step", "value"])
    table = table.sort_values(["split", "tag", "step"], kind="stable").reset_index(drop=True)
    if not per_epoch:
        return table
    table = table[table["tag"].str.startswith("epoch_")]
    return pd.DataFrame({"split": table["split"], "metric": table["tag"].str.removeprefix("epoch_"),
                         "epoch": table["step"] + 1, "value": table["value"]}).reset_index(drop=True)
