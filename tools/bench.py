"""`make bench`: what the course costs on this machine, and how close its input pipelines run to the hardware.

    python tools/bench.py [--parts lessons,throughput,caching,knobs] [--out book/bench]

Parts (all of them by default):

lessons     every lesson in the quick profile, each in a fresh kernel: wall time and peak memory (the kernel and
            the processes it starts, sampled every 0.2 s).
throughput  each backbone at its lesson's resolution: images per second through the lesson's own input pipeline vs
            the same model on a batch already in memory (warm, median of repeats), as a ratio; FLOPs per image
            counted from the model's graph; achieved GFLOP/s against this machine's measured matmul peak.
caching     per backbone: an epoch of a head on cached features vs an epoch that runs the frozen base, and the
            one-off feature extraction, as ratios.
knobs       one backbone (lesson 5's MobileNetV2 at 160×160): intra/inter-op threads (each in a fresh process),
            batch size, XLA (``jit_compile``) for inference and for a training step, and tf.data's autotuning
            (on, the default, or off) over many passes: how often a pass runs at half speed.

Writes ``bench.json`` (every number), ``bench.md`` (the tables the book's results page includes) and ``bench.png``
(a chart) to ``--out``. Backbones carry random weights here: the arithmetic, and so the speed, is the same as with
ImageNet weights, and the bench then needs no weights file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import functools
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("lessons", "throughput", "caching", "knobs")
TARGETS = {"pipeline_ratio_min": 0.95, "caching_ratio_min": 20.0, "lesson_seconds_max": 120.0}


@dataclass
class Settings:
    """How much each measurement does. ``--smoke`` (the tests) shrinks it to seconds."""
    batch: int = 32
    batches: int = 8          # batches per timed pass
    repeats: int = 5          # timed passes; the median is reported
    cache_images: int = 512   # images in the caching comparison (16 batches)
    matmul_sizes: tuple = (1024, 2048, 4096)
    batch_sizes: tuple = (1, 8, 32, 64)
    threads: tuple = ((1, 1), (1, 2), (2, 1), (2, 2), (0, 0))   # (intra, inter); 0 = TensorFlow's choice
    autotune_passes: int = 20  # passes per way of feeding in the autotuning comparison
    backbones: tuple = field(default_factory=lambda: tuple(BACKBONES))   # every backbone of the lesson manifest
    lessons: tuple = ()       # empty: every notebooks/[0-9]*.ipynb
    knobs_backbone: str = "MobileNetV2"   # the knobs part's model (lesson 5's); --smoke takes the cheapest


SMOKE = dict(batch=8, batches=2, repeats=3, cache_images=32, matmul_sizes=(256,), batch_sizes=(1, 8),
             threads=((1, 1), (0, 0)), backbones=("MobileNet_025",), autotune_passes=3,
             knobs_backbone="MobileNet_025")


@dataclass
class Backbone:
    """One backbone as its lesson uses it: resolution, the data the lesson feeds it, and how."""
    key: str
    app: str                      # keras.applications constructor
    size: int                     # the lesson's resolution
    lesson: str
    source: str                   # "cifar10" (32×32), "dollar_street" (64×64), "cats_dogs" (JPEG folders or arrays)
    pipeline: str                 # "in_model", "map" or "folder_cached": see PIPELINES
    preprocess: str               # keras.applications module whose preprocess_input the lesson uses
    kwargs: dict = field(default_factory=dict)
    note: str = ""

    @property
    def label(self) -> str:
        name = "MobileNet α=0.25" if self.app == "MobileNet" else self.app
        return f"{name} {self.size}×{self.size}" + (f" ({self.note})" if self.note else "")

    @property
    def input_size(self) -> int:
        return {"cifar10": 32, "dollar_street": 64}.get(self.source, self.size)


def _backbones() -> dict[str, Backbone]:
    """Each lesson's backbones as the lesson manifest declares them (src/tlcourse/lessons.yml, `backbones:`), in
    lesson order; a backbone several lessons use is declared by one and named by the others (its key only)."""
    from tlcourse import lessons

    users: dict[str, list[str]] = {}
    declared = {}
    for lesson in lessons.load():
        for b in lesson.backbones:
            users.setdefault(b.key, []).append(str(lesson.number))
            if b.app:
                declared[b.key] = b
    return {key: Backbone(key, b.app, b.size, ", ".join(users[key]), b.data, b.pipeline, b.preprocess,
                          dict(b.kwargs), b.note) for key, b in declared.items()}


BACKBONES = _backbones()
PIPELINES = {
    "in_model": "uint8 arrays in memory → batches → a model that resizes (if needed) and runs preprocess_input "
                "itself: lesson 3 (CIFAR-10 photos; at 32×32 the bench leaves out the lesson's Resizing(32, 32), "
                "which changes no pixel), lesson 4 (Dollar Street 64×64, or its announced CIFAR-10 "
                "stand-in; Resizing(160, pad_to_aspect_ratio=True)), lessons 5 and 8 (cats and dogs decoded to "
                "224×224 uint8 arrays)",
    "map": "uint8 arrays → from_tensor_slices → batch → map(resize, preprocess_input) → prefetch: how lesson 3 "
           "extracted its features before `make bench` showed the cost",
    "folder_cached": "cats_and_dogs_filtered JPEGs → image_dataset_from_directory → unbatch → assert_cardinality → "
                     "cache → shuffle → batch → prefetch, as lessons 5 and 6 build it; warm = after the first pass "
                     "filled the cache",
}


# --------------------------------------------------------------------------- small tools

def log(*args):
    print("[bench]", *args, flush=True)


def median_rate(fn, n_images: int, repeats: int) -> tuple[float, list[float]]:
    """Images per second of ``fn`` (which processes ``n_images``): median of ``repeats`` timed calls."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        rates.append(n_images / (time.perf_counter() - t0))
    return statistics.median(rates), [round(r, 2) for r in rates]


def rates_in_turns(fns, n_images: int, repeats: int):
    """Like :func:`median_rate` for several functions, timed in turns (a, b, a, b, ...) so that a slow spell of the
    machine hits them alike: a ``(median, every rate)`` pair per function."""
    rates = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, rates, strict=True):
            t0 = time.perf_counter()
            fn()
            out.append(n_images / (time.perf_counter() - t0))
    return [(statistics.median(r), [round(v, 2) for v in r]) for r in rates]


def run_batches(forward, batches) -> None:
    """Call ``forward`` on every batch of ``batches`` (tensors in memory, or a tf.data pipeline of ``(images,
    labels)``) and wait for the last result. Whole passes only: tf.data throws a partly read cache away."""
    for item in batches:
        out = forward(item[0] if isinstance(item, tuple) else item)
    out.numpy()


def machine() -> dict:
    import keras
    import tensorflow as tf

    from tlcourse.runtime import detect_device

    dev = detect_device()
    return {"device": dev, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "date": _dt.datetime.now().isoformat(timespec="seconds")}


def flops_per_image(model, input_shape) -> int:
    """Floating-point operations of one forward pass for one image (a multiply-add counts 2), counted by
    TensorFlow's profiler on the model's frozen graph."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2_as_graph

    fn = tf.function(lambda x: model(x, training=False))
    concrete = fn.get_concrete_function(tf.TensorSpec((1, *input_shape), tf.float32))
    _, graph_def = convert_variables_to_constants_v2_as_graph(concrete)
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    tf.get_logger().setLevel("ERROR")               # the v1 profiler's deprecation notices
    with tf.Graph().as_default() as graph, contextlib.redirect_stderr(io.StringIO()):
        tf.graph_util.import_graph_def(graph_def, name="")
        return int(tf.compat.v1.profiler.profile(graph=graph, cmd="op", options=options).total_float_ops)


def matmul_peak(sizes, repeats: int) -> dict:
    """GFLOP/s of a float32 matrix product (the best size's median): what this CPU's cores can do at best."""
    import tensorflow as tf

    matmul = tf.function(lambda a, b: tf.matmul(a, b))
    out = {}
    for n in sizes:
        a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
        matmul(a, b).numpy()
        rate, _ = median_rate(lambda a=a, b=b: matmul(a, b).numpy(), 2 * n ** 3, repeats)
        out[str(n)] = round(rate / 1e9, 1)
    return {"gflops_by_size": out, "peak_gflops": max(out.values())}


# --------------------------------------------------------------------------- the lessons' models and pipelines

def _run():
    import tlcourse

    with contextlib.redirect_stdout(io.StringIO()):
        return tlcourse.start("bench", {"quick": {}, "full": {}})


def build(bb: Backbone, trainable: bool = False):
    """The model the lesson calls on each batch (random weights: the same arithmetic as ImageNet weights)."""
    import keras

    app = getattr(keras.applications, bb.app)
    prep = getattr(keras.applications, bb.preprocess).preprocess_input
    inputs = keras.Input((bb.input_size, bb.input_size, 3))
    x = inputs
    if bb.pipeline == "in_model":                # uint8 pixels in; resizing and preprocessing inside the model
        if bb.input_size != bb.size:
            x = keras.layers.Resizing(bb.size, bb.size, pad_to_aspect_ratio=bb.source == "dollar_street")(x)
        x = prep(x)
    elif bb.pipeline == "folder_cached" and bb.app != "EfficientNetB0":   # EfficientNet rescales inside itself
        x = prep(x)
    base = app(include_top=False, weights=None, input_shape=(bb.size, bb.size, 3), pooling="avg", **bb.kwargs)
    base.trainable = trainable
    return keras.Model(inputs, base(x, training=False), name=f"bench_{bb.key}")


def pipeline(bb: Backbone, run, s: Settings, n_images: int):
    """The lesson's own input pipeline for ``bb``, yielding ``(images, labels)`` batches; and its input shape."""
    import keras
    import numpy as np
    import tensorflow as tf

    from tlcourse import datasets

    shape = (bb.input_size, bb.input_size, 3)
    with contextlib.redirect_stdout(io.StringIO()):
        if bb.source == "cifar10":
            _, (x, y), _ = datasets.load_cifar10(run, n_test=max(n_images, 10), seed=run.seed)
        elif bb.source == "dollar_street":
            (x, y), _, _ = datasets.load_dollar_street(run, seed=run.seed)
        else:
            train_dir, _, _ = datasets.load_cats_vs_dogs(run)
            loaded = keras.utils.image_dataset_from_directory(train_dir, shuffle=True, seed=run.seed,
                                                              batch_size=s.batch, image_size=(bb.size, bb.size),
                                                              verbose=False)
            n_batches = -(-n_images // s.batch)
            files = loaded.take(n_batches)
            if bb.pipeline == "folder_cached":
                n_taken = min(n_batches * s.batch, len(loaded.file_paths))   # as the lessons count
                ds = (files.unbatch().apply(tf.data.experimental.assert_cardinality(n_taken)).cache()
                      .shuffle(n_images, seed=run.seed, reshuffle_each_iteration=True)
                      .batch(s.batch).prefetch(tf.data.AUTOTUNE))
                return ds, shape
            x, y = (np.concatenate(parts) for parts in zip(*[(i.numpy().astype("uint8"), label.numpy())
                                                               for i, label in files], strict=True))
    x, y = x[:n_images], y[:n_images]
    if bb.pipeline == "map":
        prep = getattr(keras.applications, bb.preprocess).preprocess_input

        def to_model(images, labels):
            return prep(tf.image.resize(tf.cast(images, tf.float32), (bb.size, bb.size))), labels

        return (tf.data.Dataset.from_tensor_slices((x, y)).batch(s.batch)
                .map(to_model, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)), shape
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(s.batch), shape


# --------------------------------------------------------------------------- parts

def against_model_alone(model, ds, shape, s: Settings) -> dict:
    """Images per second of ``model`` fed by the pipeline ``ds`` (warm), and fed the same images already in memory
    as tensors; also the first, cold pass. Both timed in turns, medians of ``s.repeats``."""
    import tensorflow as tf

    n = s.batch * s.batches
    forward = tf.function(lambda x: model(x, training=False))
    forward(tf.zeros((s.batch, *shape), ds.element_spec[0].dtype)).numpy()   # trace
    t0 = time.perf_counter()
    run_batches(forward, ds)                                           # first pass: decodes, fills caches
    first = n / (time.perf_counter() - t0)
    in_memory = [tf.identity(images) for images, _ in ds]              # the same images, as tensors in memory
    (alone, alone_all), (piped, piped_all) = rates_in_turns(
        [functools.partial(run_batches, forward, in_memory), functools.partial(run_batches, forward, ds)],
        n, s.repeats)
    return {"first": first, "alone": alone, "alone_all": alone_all, "piped": piped, "piped_all": piped_all}


def part_throughput(s: Settings, run, peak: dict) -> list[dict]:
    import tensorflow as tf

    rows = []
    for key in s.backbones:
        bb = BACKBONES[key]
        log(f"throughput: {bb.label} (lesson {bb.lesson})")
        model = build(bb)
        n = s.batch * s.batches
        ds, shape = pipeline(bb, run, s, n)
        r = against_model_alone(model, ds, shape, s)
        alone, piped = r["alone"], r["piped"]
        only, _ = median_rate(functools.partial(run_batches, tf.identity, ds), n, s.repeats)
        flops = flops_per_image(model, shape)
        gflops = flops * alone / 1e9
        rows.append({"backbone": bb.label, "key": key, "lesson": bb.lesson, "pipeline": bb.pipeline,
                     "images_per_s_model_alone": round(alone, 1), "images_per_s_pipeline": round(piped, 1),
                     "pipeline_ratio": round(piped / alone, 3), "images_per_s_first_pass": round(r["first"], 1),
                     "images_per_s_pipeline_only": round(only, 1), "repeats_model_alone": r["alone_all"],
                     "repeats_pipeline": r["piped_all"], "flops_per_image": flops, "gflops_per_s": round(gflops, 1),
                     "share_of_matmul_peak": round(gflops / peak["peak_gflops"], 3),
                     "pipeline_ratio_met": piped / alone >= TARGETS["pipeline_ratio_min"]})
        log(f"  model alone {alone:.1f} img/s, through the pipeline {piped:.1f} img/s "
            f"(ratio {piped / alone:.3f}), {gflops:.1f} GFLOP/s")
    return rows


def epoch_timer():
    """A Keras callback that keeps the wall time of every epoch in ``.seconds``."""
    import keras

    class EpochTimes(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.t0)

    return EpochTimes()


def part_caching(s: Settings, run) -> list[dict]:
    import keras
    import numpy as np

    import tensorflow as tf

    rows = []
    for key in [k for k in s.backbones if BACKBONES[k].pipeline != "map"]:   # the old-way row: same model
        bb = BACKBONES[key]
        log(f"caching: {bb.label}")
        ds, shape = pipeline(bb, run, s, s.cache_images)
        x = np.concatenate([images.numpy() for images, _ in ds])[:s.cache_images]
        y = np.arange(len(x)) % 10
        base = build(bb)
        head_in = keras.Input(base.output_shape[1:])
        head = keras.Model(head_in, keras.layers.Dense(10)(head_in))
        inputs = keras.Input(shape)
        full = keras.Model(inputs, head(base(inputs)))
        for m in (full, head):
            m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        epochs = s.repeats + 1                       # the first epoch also traces the graph: left out
        full_times = epoch_timer()
        full.fit(x, y, batch_size=s.batch, epochs=epochs, verbose=0, callbacks=[full_times])
        base.predict(x[:s.batch], verbose=0)                                    # warm-up batch
        t0 = time.perf_counter()
        features = base.predict(x, batch_size=s.batch, verbose=0)
        extraction = time.perf_counter() - t0
        t0 = time.perf_counter()                  # the same, with the arrays handed over as a tf.data.Dataset
        base.predict(tf.data.Dataset.from_tensor_slices(x).batch(s.batch), verbose=0)
        extraction_ds = time.perf_counter() - t0
        head_times = epoch_timer()
        head.fit(features, y, batch_size=s.batch, epochs=epochs, verbose=0, callbacks=[head_times])
        full_epoch = statistics.median(full_times.seconds[1:])
        cached_epoch = statistics.median(head_times.seconds[1:])
        ratio = full_epoch / cached_epoch
        rows.append({"backbone": bb.label, "key": key, "images": len(x),
                     "epoch_s_frozen_base": round(full_epoch, 3), "epoch_s_cached_features": round(cached_epoch, 4),
                     "caching_ratio": round(ratio, 1), "extraction_s": round(extraction, 3),
                     "extraction_per_base_epoch": round(extraction / full_epoch, 2),
                     "extraction_s_from_dataset": round(extraction_ds, 3),
                     "caching_ratio_met": ratio >= TARGETS["caching_ratio_min"]})
        log(f"  epoch with the base {full_epoch:.2f} s, on cached features {cached_epoch:.4f} s "
            f"({full_epoch / cached_epoch:.0f}×), extraction {extraction:.2f} s")
    return rows


def _threads_worker(intra: int, inter: int, s: Settings) -> dict:
    """In a fresh process (threads can only be set before TensorFlow starts): model-alone and pipeline rates."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)
    bb = BACKBONES[s.knobs_backbone]
    ds, shape = pipeline(bb, _run(), s, s.batch * s.batches)
    r = against_model_alone(build(bb), ds, shape, s)
    return {"intra_op": intra, "inter_op": inter,
            "images_per_s_model_alone": round(r["alone"], 1), "images_per_s_pipeline": round(r["piped"], 1)}


def part_knobs(s: Settings, run) -> dict:
    import keras
    import tensorflow as tf

    bb = BACKBONES[s.knobs_backbone]
    log(f"knobs: {bb.label}: threads (a fresh process each)")
    threads = []
    for intra, inter in s.threads:
        cmd = [sys.executable, __file__, "--worker", f"{intra},{inter}", "--settings", json.dumps(asdict(s))]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if proc.returncode:
            raise RuntimeError(f"threads worker {intra},{inter} failed:\n{proc.stderr[-3000:]}")
        threads.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        log("  ", threads[-1])
    model = build(bb)
    shape = (bb.size, bb.size, 3)
    batch_rows = []
    log("knobs: batch size")
    forward = tf.function(lambda x: model(x, training=False))
    for b in s.batch_sizes:
        x = tf.random.uniform((b, *shape), 0, 255)
        forward(x).numpy()
        steps = max(1, (s.batch * s.batches) // b)
        rate, _ = median_rate(functools.partial(run_batches, forward, [x] * steps), steps * b, s.repeats)
        batch_rows.append({"batch_size": b, "images_per_s": round(rate, 1)})
        log("  ", batch_rows[-1])
    log("knobs: XLA")
    xla = []
    x = tf.random.uniform((s.batch, *shape), 0, 255)
    y = tf.zeros((s.batch,), tf.int32)
    n = s.batch * s.batches
    for jit in (False, True):
        forward = tf.function(lambda x: model(x, training=False), jit_compile=jit)
        forward(x).numpy()
        infer, _ = median_rate(functools.partial(run_batches, forward, [x] * s.batches), n, s.repeats)
        keras.utils.set_random_seed(0)
        trainee = build(bb, trainable=True)            # a training step through the whole network (fine-tuning)
        net = keras.Model(trainee.input, keras.layers.Dense(2)(trainee.output))
        net.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    jit_compile=jit)
        data = tf.data.Dataset.from_tensors((x, y)).repeat(s.batches)
        times = epoch_timer()
        # XLA on a CPU trains slowly (see the table): 1 warm-up epoch and 2 timed ones keep this part short
        net.fit(data, epochs=min(s.repeats, 2) + 1, verbose=0, callbacks=[times], shuffle=False)
        train = n / statistics.median(times.seconds[1:])
        xla.append({"jit_compile": jit, "images_per_s_inference": round(infer, 1),
                    "images_per_s_training": round(train, 1)})
        log("  ", xla[-1])
    log("knobs: tf.data autotuning")
    autotune = autotuning(model, bb, run, s)
    return {"backbone": bb.label, "threads": threads, "batch_sizes": batch_rows, "xla": xla, "autotune": autotune,
            "keras_jit_compile_auto_on_cpu": "off (keras/src/trainers/trainer.py, _resolve_auto_jit_compile: "
                                             "'Disable XLA on CPU-only machines')"}


SLOW = 0.7   # a pass below 70% of the in-memory median is "slow" (the slow passes seen here run at about 50%)


def autotuning(model, bb: Backbone, run, s: Settings) -> list[dict]:
    """Images per second of every pass (not a median) of ``model`` fed five ways, in turns: the lesson's pipeline
    with tf.data's autotuning on (the default) and off, the same batches as tensors in memory, and Keras's
    ``predict`` on NumPy arrays (Keras builds its own tf.data pipeline, autotuned) and on a ``tf.data.Dataset``
    with autotuning off. A pass slower than ``SLOW`` × the in-memory median counts as slow."""
    import numpy as np
    import tensorflow as tf

    n = s.batch * s.batches
    ds, shape = pipeline(bb, run, s, n)
    off = tf.data.Options()
    off.autotune.enabled = False
    images = np.concatenate([x.numpy() for x, _ in ds])
    forward = tf.function(lambda x: model(x, training=False))
    ways = {
        "lesson's pipeline, autotuning on (default)": functools.partial(run_batches, forward, ds),
        "lesson's pipeline, autotuning off": functools.partial(run_batches, forward, ds.with_options(off)),
        "tensors in memory (no tf.data)": functools.partial(run_batches, forward, [tf.identity(x) for x, _ in ds]),
        "predict(NumPy arrays)": functools.partial(model.predict, images, batch_size=s.batch, verbose=0),
        "predict(tf.data.Dataset, autotuning off)": functools.partial(
            model.predict, tf.data.Dataset.from_tensor_slices(images).batch(s.batch).with_options(off), verbose=0),
    }
    for way in ways.values():                     # warm: traces, fills the cache
        way()
    timed = dict(zip(ways, rates_in_turns(list(ways.values()), n, s.autotune_passes), strict=True))
    reference = timed["tensors in memory (no tf.data)"][0]
    rows = [{"way": name, "passes": len(r), "median_images_per_s": round(median, 1), "min_images_per_s": min(r),
             "slow_passes": sum(v < SLOW * reference for v in r), "rates": r} for name, (median, r) in timed.items()]
    for row in rows:
        log(f"   {row['way']}: median {row['median_images_per_s']}, slowest {row['min_images_per_s']}, "
            f"{row['slow_passes']} of {row['passes']} passes slow")
    return rows


def _used_standins(lesson: str, since: float) -> bool | None:
    """Whether the lesson's run used an offline stand-in, from the results JSON it wrote (None: it wrote none)."""
    from tlcourse.runtime import results_dir

    path = results_dir() / f"{lesson}.json"
    if not path.exists() or path.stat().st_mtime < since:
        return None
    return not json.loads(path.read_text()).get("real", True)


def part_lessons(s: Settings) -> list[dict]:
    import nbclient
    import nbformat
    import psutil

    paths = ([ROOT / "notebooks" / f"{name}.ipynb" for name in s.lessons] if s.lessons
             else sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")))
    # A student's first run: the lessons execute in order in an empty work folder (no saved models, no cached
    # features from an earlier run); downloaded data stay in the course's cache (the network is not the course's
    # cost). The repository's notebooks/artifacts is left alone.
    work = Path(tempfile.mkdtemp(prefix="tlcourse-bench-")) / "notebooks"
    work.mkdir()
    log(f"lessons run in {work}")
    rows = []
    me = psutil.Process()
    for path in paths:
        log(f"lesson {path.stem}: executing in a fresh kernel (quick profile)")
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3",
                                         resources={"metadata": {"path": str(work)}})
        peak, stop = [0], threading.Event()

        def sample(peak=peak, stop=stop):
            while not stop.wait(0.2):
                total = 0
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss
                peak[0] = max(peak[0], total)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0, start, error = time.perf_counter(), time.time(), None
        try:
            client.execute()
        except Exception as err:  # noqa: BLE001 - recorded, and the bench exits non-zero at the end
            error = f"{type(err).__name__}: {str(err).strip().splitlines()[-1][:300] if str(err).strip() else ''}"
        seconds = time.perf_counter() - t0
        stop.set()
        sampler.join()
        rows.append({"lesson": path.stem, "seconds": round(seconds, 1), "peak_memory_mb": round(peak[0] / 2**20),
                     "error": error, "seconds_met": error is None and seconds <= TARGETS["lesson_seconds_max"],
                     "standins": _used_standins(path.stem, since=start)})
        log(f"  {seconds:.1f} s, peak memory {peak[0] / 2**30:.2f} GiB" + (f", FAILED: {error}" if error else ""))
    shutil.rmtree(work.parent, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- report

def _mark(ok: bool) -> str:
    return "✓" if ok else "✗ missed"


def markdown(data: dict) -> str:
    m = data["machine"]
    dev = m["device"]
    out = [f"Measured {m['date'][:10]} by `make bench` on {dev['kind']} ({dev['count']}× {dev['name']}), "
           f"TensorFlow {m['tensorflow']}, Keras {m['keras']}. Lessons in the {data.get('profile', 'quick')} "
           "profile; backbones with random weights (the same arithmetic as ImageNet weights).", ""]
    if "lessons" in data:
        out += ["### Each lesson, quick profile, fresh kernel", "",
                f"| lesson | wall time | peak memory | ≤ {TARGETS['lesson_seconds_max']:.0f} s |",
                "|---|---:|---:|:-:|"]
        for r in data["lessons"]:
            status = f"✗ error: {r['error']}" if r["error"] else _mark(r["seconds_met"])
            out.append(f"| {r['lesson']} | {r['seconds']:.0f} s | {r['peak_memory_mb'] / 1024:.2f} GiB | {status} |")
        out.append("")
    if "throughput" in data:
        p = data["matmul"]
        out += ["### Backbones: the lesson's input pipeline vs the model alone", "",
                f"Matmul peak of this machine: **{p['peak_gflops']} GFLOP/s** (float32, best of sizes "
                f"{', '.join(p['gflops_by_size'])}). Batches of {data['settings']['batch']}, "
                f"{data['settings']['batches']} per pass, median of {data['settings']['repeats']} passes.", "",
                "| backbone (lesson) | GFLOPs per image | model alone, img/s | through the pipeline, img/s | ratio "
                f"(≥ {TARGETS['pipeline_ratio_min']:.0%}) | first pass, img/s | pipeline alone, img/s | GFLOP/s | "
                "share of matmul peak |", "|---|---:|---:|---:|:-:|---:|---:|---:|---:|"]
        for r in data["throughput"]:
            out.append(f"| {r['backbone']} ({r['lesson']}) | {r['flops_per_image'] / 1e9:.3f} | "
                       f"{r['images_per_s_model_alone']:.1f} | {r['images_per_s_pipeline']:.1f} | "
                       f"{r['pipeline_ratio']:.1%} {_mark(r['pipeline_ratio_met'])} | "
                       f"{r['images_per_s_first_pass']:.1f} | {r['images_per_s_pipeline_only']:.0f} | "
                       f"{r['gflops_per_s']:.1f} | {r['share_of_matmul_peak']:.0%} |")
        out += ["", "Pipelines: " + "; ".join(f"*{k}*: {v}" for k, v in PIPELINES.items()) + ".", ""]
    if "caching" in data:
        out += ["### Feature caching: an epoch of the head on cached features vs an epoch through the frozen base", "",
                f"| backbone | images | epoch through the base | epoch on cached features | ratio (≥ "
                f"{TARGETS['caching_ratio_min']:.0f}×) | extracting the features once: `predict(arrays)` | "
                "÷ base epoch | the same, `predict(tf.data.Dataset)` |",
                "|---|---:|---:|---:|:-:|---:|---:|---:|"]
        for r in data["caching"]:
            out.append(f"| {r['backbone']} | {r['images']} | {r['epoch_s_frozen_base']:.2f} s | "
                       f"{r['epoch_s_cached_features'] * 1000:.1f} ms | {r['caching_ratio']:.0f}× "
                       f"{_mark(r['caching_ratio_met'])} | {r['extraction_s']:.2f} s | "
                       f"{r['extraction_per_base_epoch']:.2f} | {r['extraction_s_from_dataset']:.2f} s |")
        out.append("")
    if "knobs" in data:
        k = data["knobs"]
        out += [f"### Threads, batch size, XLA and tf.data autotuning ({k['backbone']}, lesson 5's backbone)", "",
                "| intra-op threads | inter-op threads | model alone, img/s | through the pipeline, img/s |",
                "|---:|---:|---:|---:|"]
        for r in k["threads"]:
            intra, inter = (("TF's choice" if v == 0 else str(v)) for v in (r["intra_op"], r["inter_op"]))
            out.append(f"| {intra} | {inter} | {r['images_per_s_model_alone']:.1f} | "
                       f"{r['images_per_s_pipeline']:.1f} |")
        out += ["", "| batch size | img/s |", "|---:|---:|"]
        out += [f"| {r['batch_size']} | {r['images_per_s']:.1f} |" for r in k["batch_sizes"]]
        out += ["", "| `jit_compile` | inference, img/s | training step (whole network), img/s |", "|---|---:|---:|"]
        out += [f"| {r['jit_compile']} | {r['images_per_s_inference']:.1f} | {r['images_per_s_training']:.1f} |"
                for r in k["xla"]]
        auto = k["keras_jit_compile_auto_on_cpu"]
        out += ["", f"Keras's default `jit_compile=\"auto\"` on a CPU-only machine: {auto}.", ""]
        if k.get("autotune"):
            out += [f"tf.data's autotuning, {k['autotune'][0]['passes']} passes of {data['settings']['batches']} "
                    f"batches each way, in turns (slow: below {SLOW:.0%} of the in-memory median):", "",
                    "| fed by | median img/s | slowest pass, img/s | slow passes |", "|---|---:|---:|---:|"]
            out += [f"| {r['way']} | {r['median_images_per_s']:.1f} | {r['min_images_per_s']:.1f} | "
                    f"{r['slow_passes']} of {r['passes']} |" for r in k["autotune"]]
            out.append("")
    return "\n".join(out) + "\n"


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    panels = [p for p in ("lessons", "throughput", "caching") if p in data]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.8), dpi=100, squeeze=False)
    for ax, part in zip(axes[0], panels, strict=True):
        if part == "lessons":
            rows = data["lessons"]
            ax.barh([r["lesson"][:2] for r in rows], [r["seconds"] for r in rows], color="#1f6fb2")
            ax.axvline(TARGETS["lesson_seconds_max"], color="#b35806", linestyle="--", label="target ≤ 2 min")
            ax.set_xlabel("seconds (quick profile)")
            ax.set_ylabel("lesson")
            ax.set_title("Each lesson, fresh kernel")
            ax.invert_yaxis()
        elif part == "throughput":
            rows = data["throughput"]
            ys = range(len(rows))
            ax.barh([y - 0.2 for y in ys], [r["images_per_s_model_alone"] for r in rows], height=0.4,
                    color="#9e9e9e", label="model alone")
            ax.barh([y + 0.2 for y in ys], [r["images_per_s_pipeline"] for r in rows], height=0.4,
                    color="#1f6fb2", label="through the lesson's pipeline")
            ax.set_yticks(list(ys), [r["backbone"] for r in rows])
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xlabel("images per second (log scale)")
            ax.set_title("Input pipeline vs model alone")
            ax.invert_yaxis()
        else:
            rows = data["caching"]
            ax.barh([r["backbone"] for r in rows], [r["caching_ratio"] for r in rows], color="#1f6fb2")
            ax.axvline(TARGETS["caching_ratio_min"], color="#b35806", linestyle="--", label="target ≥ 20×")
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xlabel("base epoch ÷ cached-features epoch (log)")
            ax.set_title("What caching features saves")
            ax.invert_yaxis()
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, ncol=2, frameon=False)
    dev = data["machine"]["device"]
    fig.suptitle(f"make bench, {dev['kind']} ({dev['count']}× {dev['name']}), {data['machine']['date'][:10]}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    ap.add_argument("--out", help="folder for bench.json/.md/.png (default: book/bench for a run of every part, "
                                  "_build/bench for some parts, so the book keeps its whole run)")
    ap.add_argument("--lessons", default="", help="comma list of lesson names (default: every lesson)")
    ap.add_argument("--smoke", action="store_true", help="tiny settings (seconds): for the tests")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--settings", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        s = Settings(**{k: tuple(map(tuple, v)) if k == "threads" else tuple(v) if isinstance(v, list) else v
                        for k, v in json.loads(args.settings).items()})
        intra, inter = map(int, args.worker.split(","))
        print(json.dumps(_threads_worker(intra, inter, s)))
        return 0
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    s = Settings(**SMOKE) if args.smoke else Settings()
    if args.lessons:
        s.lessons = tuple(n.strip() for n in args.lessons.split(",") if n.strip())
        missing = [n for n in s.lessons if not (ROOT / "notebooks" / f"{n}.ipynb").exists()]
        if missing:
            ap.error(f"no lesson {', '.join(missing)} in notebooks/ (names like 01_save_load_resume)")
    os.environ.setdefault("TLCOURSE_PROFILE", "quick")
    whole = set(parts) == set(PARTS) and not args.lessons and not args.smoke
    out = Path(args.out or ROOT / ("book/bench" if whole else "_build/bench"))
    out.mkdir(parents=True, exist_ok=True)
    data = {"settings": {k: v for k, v in asdict(s).items()}, "targets": TARGETS, "parts": parts,
            "profile": os.environ["TLCOURSE_PROFILE"]}

    def save():                                  # after every part: a later crash loses nothing measured
        data["seconds"] = round(time.perf_counter() - t0, 1)
        (out / "bench.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        (out / "bench.md").write_text(markdown(data))

    t0 = time.perf_counter()
    if "lessons" in parts:                       # first, before this process starts TensorFlow's threads
        data["lessons"] = part_lessons(s)
    data["machine"] = machine()
    save()
    run = _run() if set(parts) & {"throughput", "caching", "knobs"} else None
    if "throughput" in parts:
        log("matmul peak")
        data["matmul"] = matmul_peak(s.matmul_sizes, s.repeats)
        log(f"  {data['matmul']}")
        data["throughput"] = part_throughput(s, run, data["matmul"])
        save()
    if "caching" in parts:
        data["caching"] = part_caching(s, run)
        save()
    if "knobs" in parts:
        data["knobs"] = part_knobs(s, run)
    save()
    chart(data, out / "bench.png")
    log(f"wrote {out / 'bench.json'}, bench.md and bench.png in {data['seconds']:.0f} s")
    failed = [r["lesson"] for r in data.get("lessons", []) if r["error"]]
    if failed:
        log(f"lessons that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
