"""Run set-up: the first code cell of every lesson.

``run = tlcourse.start("01-save-load", PROFILES)`` seeds every random generator, finds the device,
chooses the profile, prints one banner line and returns a :class:`Run` that records what the lesson
measured (metrics, wall times, real or stand-in data and weights) and writes it as JSON.

In a notebook the JSON is written after every cell (an IPython ``post_run_cell`` hook), so a lesson needs no
"save" cell and a run stopped half-way still leaves what it measured; in a script, call :meth:`Run.save`.
The same hooks time every cell: ``run.took("train")`` records the wall time of the cell run just before.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import numbers
import os
import platform
import re
import time
from pathlib import Path

from . import assets
from .files import atomic_write

__all__ = ["start", "Run", "PROFILES", "choose_profile", "detect_device", "describe_device", "results_dir"]

PROFILES = ("quick", "full")


def detect_device() -> dict:
    """GPU (with memory growth switched on, so TensorFlow does not grab all its memory) or CPU.

    A GPU already split into logical GPUs (``tlcourse.distributed.apply_device_plan``) is left as it is: TensorFlow
    refuses memory growth on it (ValueError); its logical GPUs have a memory limit each instead."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        if tf.config.get_logical_device_configuration(gpu):
            continue
        with contextlib.suppress(RuntimeError):  # already initialised: growth can no longer change
            tf.config.experimental.set_memory_growth(gpu, True)
    if gpus:
        names = []
        for gpu in gpus:
            details = {}
            with contextlib.suppress(Exception):
                details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name))
        return {"kind": "GPU", "count": len(gpus), "name": ", ".join(names)}
    return {"kind": "CPU", "count": os.cpu_count() or 1, "name": _cpu_name()}


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe_device(device: dict) -> str:
    """``device`` (from :func:`detect_device`) in a few words: ``CPU, 2 cores`` or ``1 × GPU (name)``."""
    if device["kind"] == "GPU":
        return f"{device['count']} × GPU ({device['name']})"
    return f"CPU, {device['count']} cores"


def choose_profile(device_kind: str) -> str:
    """``TLCOURSE_PROFILE`` if set, else ``full`` on a GPU and ``quick`` on a CPU."""
    value = os.environ.get("TLCOURSE_PROFILE", "").strip().lower()
    if value:
        if value not in PROFILES:
            raise ValueError(f"TLCOURSE_PROFILE={value!r} is not a profile. Use one of {', '.join(PROFILES)} "
                             "(quick: minutes on a laptop CPU; full: the real experiment, best on a GPU).")
        return value
    return "full" if device_kind == "GPU" else "quick"


def results_dir() -> Path:
    """``$TLCOURSE_RESULTS_DIR``, default ``_build/results`` of the course checkout (or of the current folder)."""
    value = os.environ.get("TLCOURSE_RESULTS_DIR", "").strip()
    if value:
        return Path(value).expanduser()
    repo = Path(__file__).resolve().parents[2]
    base = repo if (repo / "_toc.yml").exists() else Path.cwd()
    return base / "_build" / "results"


class Params(dict):
    """The knobs of one profile: a dict whose keys also read as attributes (``P.epochs``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"No parameter {key!r}; this profile has {', '.join(self)}") from None


class Run:
    """What one execution of a lesson did. Create it with :func:`start`."""

    def __init__(self, lesson: str, profile: str, params: dict, seed: int, device: dict):
        self.lesson, self.profile, self.seed, self.device = lesson, profile, seed, device
        self.params = Params(params)
        self.offline = assets.is_offline()
        self.mirror = assets.mirror_dir()
        self.standins: list[dict] = []
        self.data: dict[str, dict] = {}
        self.weights: dict[str, dict] = {}
        self.metrics: dict[str, dict] = {}
        self.timings: dict[str, float] = {}
        self._t0 = time.perf_counter()
        self._cell_start: float | None = None
        self._cell_seconds: list[float] = []     # wall time of each finished cell, in order (notebooks only)

    # ---------------------------------------------------------------- provenance
    def standin(self, what: str, replaces: str, reason: str) -> None:
        """Announce and record a stand-in (only ever used offline, where the real asset is missing)."""
        if not self.offline:
            raise RuntimeError(f"Refusing a stand-in for {replaces!r} while online: stand-ins are only for "
                               "TLCOURSE_OFFLINE=1. Fix the download instead.")
        entry = {"replaces": replaces, "standin": what, "reason": reason}
        self.standins.append(entry)
        print(f"⚠ STAND-IN (offline): {replaces} → {what}. {reason} "
              "Numbers below are not those of the real experiment.")

    def used_data(self, key: str, description: str, *, real: bool, source: str = "") -> None:
        self.data[key] = {"description": description, "real": real, "source": source}

    def used_weights(self, key: str, description: str, *, real: bool, source: str = "", kind: str = "") -> None:
        """Record the weights behind ``key``; ``kind`` (from ``models.pretrained``): "keras", "substitute", "random"."""
        self.weights[key] = {"description": description, "real": real, "source": source, "kind": kind}

    # ---------------------------------------------------------------- measurements
    def record(self, phase: str, **metrics) -> None:
        """Record metrics of a phase (e.g. ``run.record("test", accuracy=0.97)``). Returns nothing, so that a
        notebook cell ending with it shows no output."""
        clean = {k: (float(v) if hasattr(v, "__float__") and not isinstance(v, (bool, int)) else v)
                 for k, v in metrics.items()}
        self.metrics.setdefault(phase, {}).update(clean)

    @contextlib.contextmanager
    def timer(self, phase: str):
        """``with run.timer("train"):`` measures wall time, prints and records it."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = round(time.perf_counter() - t, 3)
            print(f"⏱ {phase}: {self.timings[phase]:.1f} s wall time ({self.describe_device()}, "
                  f"profile {self.profile})")

    def took(self, phase: str) -> None:
        """Record the wall time of the cell that ran before this one as ``phase``, in seconds (notebooks: the hooks
        :func:`start` installs time every cell). Lessons call it in a hidden bookkeeping cell right after the timed
        one; it returns nothing, so that cell shows no output."""
        if len(self._cell_seconds) < 1:
            raise RuntimeError("run.took() times the cell run before it, in a notebook started with "
                               "tlcourse.start(); in a script use `with run.timer(...):`.")
        self.timings[phase] = round(self._cell_seconds[-1], 3)

    # ---------------------------------------------------------------- notebook hooks
    def _pre_run_cell(self, *_):
        self._cell_start = time.perf_counter()

    def _post_run_cell(self, *_):
        if self._cell_start is not None:
            self._cell_seconds.append(time.perf_counter() - self._cell_start)
            self._cell_start = None
        with contextlib.suppress(OSError):     # best effort: a read-only results folder must not break a lesson
            self.save(quiet=True)

    # ---------------------------------------------------------------- reporting
    def describe_device(self) -> str:
        return describe_device(self.device)

    def banner(self) -> str:
        import keras
        import tensorflow as tf

        if self.offline:
            net = f"offline, mirror {self.mirror}" if self.mirror else "offline, no mirror"
        else:
            net = f"online, mirror {self.mirror}" if self.mirror else "online"
        return (f"tlcourse · {self.lesson} · TensorFlow {tf.__version__} · Keras {keras.__version__} · "
                f"{self.describe_device()} · profile {self.profile} · "
                f"seed {self.seed} · {net}")

    def as_dict(self) -> dict:
        import keras
        import tensorflow as tf

        return {
            "lesson": self.lesson, "profile": self.profile, "params": dict(self.params), "seed": self.seed,
            "device": self.device, "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "offline": self.offline, "mirror": str(self.mirror) if self.mirror else None,
            "data": self.data, "weights": self.weights, "standins": self.standins,
            "real": not self.standins, "metrics": self.metrics, "timings_s": self.timings,
            "total_wall_time_s": round(time.perf_counter() - self._t0, 3),
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }

    def save(self, quiet: bool = False) -> Path:
        """Write the results JSON to ``results_dir()/<lesson>.json`` (atomically) and return its path. In a
        notebook this happens after every cell; call it yourself in a script."""
        out = results_dir()
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.lesson}.json"
        with atomic_write(path, "w") as (f, _):
            json.dump(self.as_dict(), f, indent=2, default=str)
        if not quiet:
            print(f"Results of this run written to {path}")
        return path


_hooked: list = []     # the (event, callback) pairs of the run whose hooks are installed in this kernel


def _install_hooks(run: Run) -> None:
    """Time every cell and save the results after each one, for ``run`` only (a re-run of the set-up cell
    replaces the previous run's hooks). Outside IPython (a script, the bench's workers) nothing is installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    for event, callback in _hooked:
        with contextlib.suppress(ValueError):
            shell.events.unregister(event, callback)
    _hooked[:] = [("pre_run_cell", run._pre_run_cell), ("post_run_cell", run._post_run_cell)]
    for event, callback in _hooked:
        shell.events.register(event, callback)


def start(lesson: str, profiles: dict[str, dict], seed: int = 42) -> Run:
    """Set up a lesson: seeds, device, profile; print the banner; return the :class:`Run`.

    ``profiles`` maps ``"quick"`` and ``"full"`` to the lesson's knobs (epochs, subset sizes, batch size).
    """
    if not isinstance(profiles, dict) or set(profiles) != set(PROFILES):
        found = sorted(map(str, profiles)) if isinstance(profiles, dict) else type(profiles).__name__
        raise ValueError(f"profiles must be a dict with exactly the keys {PROFILES} (found {found}), e.g. "
                         "{'quick': dict(epochs=2), 'full': dict(epochs=10)}")
    for name, knobs in profiles.items():
        if not isinstance(knobs, dict):
            raise ValueError(f"profiles[{name!r}] must be a dict of the lesson's knobs, e.g. dict(epochs=2), "
                             f"got {type(knobs).__name__}.")
    if not isinstance(lesson, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", lesson):
        raise ValueError(f"lesson={lesson!r}: use the notebook's file name without .ipynb (letters, digits, "
                         "'_', '-', '.'), e.g. '01_save_load_resume'; it names the results file.")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r}: use a non-negative integer, e.g. seed=42.")
    import keras
    import tensorflow as tf

    # In Jupyter, TensorFlow's Python logger prints INFO messages to stdout ("INFO:tensorflow:Assets written to ...",
    # every step of tf.distribute's set-up): tensorflow/python/platform/tf_logging.py sets level INFO when it finds an
    # interactive shell. Outside Jupyter its level is WARNING; lessons get the same. Warnings and errors still show.
    tf.get_logger().setLevel("WARNING")
    device = detect_device()
    profile = choose_profile(device["kind"])
    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow generators in one call
    run = Run(lesson, profile, profiles[profile], seed, device)
    _install_hooks(run)
    print(run.banner())
    print("Parameters:", ", ".join(f"{k}={v}" for k, v in run.params.items()))
    return run
