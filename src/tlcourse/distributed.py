"""A small local cluster for ``tf.distribute``: several worker processes on 127.0.0.1.

``MultiWorkerMirroredStrategy`` needs one process per worker, each told the whole cluster and its own place in it
through the ``TF_CONFIG`` environment variable. On a course laptop the "machines" are processes on 127.0.0.1::

    with tlcourse.distributed.LocalCluster("train.py", n_workers=2, args=["--epochs", "3"]) as cluster:
        print(cluster.tf_config(0))       # what worker 0 is told
        cluster.wait()                     # until every worker exits (bounded by ``timeout``)
    cluster.show_logs()                    # the workers' output, one prefix per worker

Each worker gets a free port on 127.0.0.1, its own ``TF_CONFIG``, and a log file (stdout and stderr). The cluster
is stopped (SIGTERM, then SIGKILL) when the ``with`` block ends, also on an exception or a keyboard interrupt, when
its time limit is reached (a watchdog enforces it even if nobody waits), and when the Python process exits. On
Linux the workers are also killed if the notebook's kernel dies. ``cluster.kill(i)`` kills one worker on purpose,
to show what a lost machine does to training.

Devices. :func:`plan_devices` chooses the devices of a one-machine ``MirroredStrategy`` from the machine's physical
devices (one replica per GPU; one GPU or the CPU split into two logical devices), and :func:`apply_device_plan`
sets up the split before TensorFlow initialises its devices. On a machine with GPUs, :func:`worker_environments`
gives every worker its share: its own GPU (``CUDA_VISIBLE_DEVICES``) when there is one per worker, else a shared
GPU with memory growth and a memory limit (``TLCOURSE_GPU_MEMORY_LIMIT_MB``, which the worker script applies).
``LocalCluster`` passes these variables to its workers.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LocalCluster", "ClusterError", "free_ports", "cluster_spec", "tf_config", "DevicePlan", "plan_devices",
           "apply_device_plan", "worker_environments", "describe_environment", "GPU_MEMORY_LIMIT_ENV"]

# The memory (MB) one worker may use of a GPU it shares with other workers; the worker script applies it with
# tf.config.set_logical_device_configuration before TensorFlow initialises the GPU (TensorFlow has no variable for it).
GPU_MEMORY_LIMIT_ENV = "TLCOURSE_GPU_MEMORY_LIMIT_MB"

_LIVE: "weakref.WeakSet[LocalCluster]" = weakref.WeakSet()


class ClusterError(RuntimeError):
    """A worker failed, did not finish in time, or never printed what we waited for (the message has its log)."""


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct TCP ports that are free on ``host`` right now (the OS chooses them)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n={n!r}: ask for at least one port, e.g. free_ports(2).")
    sockets = []
    try:
        for _ in range(n):  # keep every socket open until all are chosen, so the OS gives distinct ports
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_spec(ports: list[int], host: str = "127.0.0.1") -> dict:
    """The ``cluster`` part of ``TF_CONFIG``: every worker's address."""
    return {"worker": [f"{host}:{port}" for port in ports]}


def tf_config(ports: list[int], index: int, host: str = "127.0.0.1") -> dict:
    """The ``TF_CONFIG`` of worker ``index``: the whole cluster, and this process's own task.

    With only ``worker`` tasks (no ``chief`` task), worker 0 is the chief: it saves checkpoints and the model."""
    if not 0 <= index < len(ports):
        raise ValueError(f"index={index}: this cluster has workers 0..{len(ports) - 1}.")
    return {"cluster": cluster_spec(ports, host), "task": {"type": "worker", "index": index}}


# ------------------------------------------------------------------ devices
def _kind_and_name(device) -> tuple[str, str]:
    """(device type, name) of a device description: a ``tf.config.PhysicalDevice``, a dict with ``name`` (and
    ``device_type``), or a name such as ``"/physical_device:GPU:0"``."""
    if isinstance(device, str):
        name, kind = device, None
    elif isinstance(device, dict):
        name, kind = device.get("name", ""), device.get("device_type")
    else:
        name, kind = getattr(device, "name", ""), getattr(device, "device_type", None)
    if not kind:
        match = re.search(r"([A-Z_]+):\d+$", str(name))
        kind = match.group(1) if match else ""
    return str(kind).upper(), str(name)


def _index(name: str) -> int:
    match = re.search(r":(\d+)$", name)
    if not match:
        raise ValueError(f"{name!r}: expected a device name ending in its index, e.g. '/physical_device:GPU:0'.")
    return int(match.group(1))


@dataclass(frozen=True)
class DevicePlan:
    """The devices a one-machine ``MirroredStrategy`` uses (see :func:`plan_devices`)."""

    kind: str                          # "GPU" or "CPU": where the replicas run
    devices: tuple[str, ...]           # the logical devices, for tf.distribute.MirroredStrategy(plan.devices)
    physical: tuple[str, ...]          # the physical devices they come from
    split: str | None = None           # the physical device shown as several logical ones, if any
    memory_limit_mb: int | None = None  # of each logical GPU split from one GPU

    @property
    def replicas(self) -> int:
        return len(self.devices)

    @property
    def label(self) -> str:
        """A few words for tables: ``2 logical CPUs``, ``2 logical GPUs on 1 GPU``, ``4 GPUs``."""
        if self.split is None:
            return f"{self.replicas} {self.kind}s"
        if self.kind == "GPU":
            return f"{self.replicas} logical GPUs on 1 GPU"
        return f"{self.replicas} logical {self.kind}s"

    def __str__(self) -> str:
        if self.split is None:
            return (f"{self.replicas} replicas, one per GPU: {', '.join(self.devices)} "
                    f"(physical {', '.join(self.physical)}, memory growth on)")
        if self.kind == "GPU":
            return (f"{self.replicas} replicas on {self.replicas} logical GPUs split from the one GPU {self.split} "
                    f"({self.memory_limit_mb} MB each, memory growth on): {', '.join(self.devices)}")
        return (f"{self.replicas} replicas on {self.replicas} logical CPUs split from {self.split} (no GPU; they share "
                f"the same cores): {', '.join(self.devices)}")


def plan_devices(physical, replicas_from_one: int = 2, memory_limit_mb: int = 1024) -> DevicePlan:
    """Choose the devices of a one-machine ``MirroredStrategy`` from ``physical`` (e.g.
    ``tf.config.list_physical_devices()``, or plain names such as ``"/physical_device:GPU:0"``). Pure: it only reads
    the list. Apply the plan with :func:`apply_device_plan` before TensorFlow initialises its devices.

    - 2 or more GPUs: one replica per GPU (``/gpu:0``, ``/gpu:1``, ...).
    - 1 GPU: ``replicas_from_one`` logical GPUs split from it, ``memory_limit_mb`` each. Two replicas run the same
      code path as two GPUs (the all-reduce, one slice of the batch each) and leave the rest of the GPU's memory
      to the cluster's workers; they are not faster than one GPU.
    - No GPU: the first CPU split into ``replicas_from_one`` logical CPUs (they share the same cores).
    """
    if not isinstance(replicas_from_one, int) or replicas_from_one < 2:
        raise ValueError(f"replicas_from_one={replicas_from_one!r}: split one device into 2 or more logical ones.")
    if not isinstance(memory_limit_mb, int) or memory_limit_mb < 1:
        raise ValueError(f"memory_limit_mb={memory_limit_mb!r}: give each logical GPU a limit in MB, e.g. 1024.")
    described = [_kind_and_name(d) for d in physical]
    gpus = [name for kind, name in described if kind == "GPU"]
    cpus = [name for kind, name in described if kind == "CPU"]
    if len(gpus) >= 2:
        return DevicePlan("GPU", tuple(f"/gpu:{i}" for i in range(len(gpus))), tuple(gpus))
    if len(gpus) == 1:
        return DevicePlan("GPU", tuple(f"/gpu:{i}" for i in range(replicas_from_one)), (gpus[0],), split=gpus[0],
                          memory_limit_mb=memory_limit_mb)
    if not cpus:
        raise ValueError(f"No CPU and no GPU among {[name for _, name in described]}: pass every physical device, "
                         "e.g. tf.config.list_physical_devices().")
    return DevicePlan("CPU", tuple(f"/cpu:{i}" for i in range(replicas_from_one)), (cpus[0],), split=cpus[0])


def apply_device_plan(plan: DevicePlan) -> None:
    """Set up ``plan``'s devices in this process's TensorFlow: split the device of ``plan.split`` into logical ones
    (with a memory limit each on a GPU) and switch on memory growth, so that TensorFlow does not take all of a GPU's
    memory (the cluster's workers may need it). Must run before TensorFlow initialises its devices (the first
    tensor, model or strategy does); afterwards TensorFlow raises ``RuntimeError``."""
    import tensorflow as tf

    by_name = {d.name: d for d in tf.config.list_physical_devices()}
    missing = [name for name in plan.physical if name not in by_name]
    if missing:
        raise ValueError(f"{missing} are not devices of this TensorFlow (it has {sorted(by_name)}); make the plan "
                         "from tf.config.list_physical_devices() in this process.")
    if plan.split is None:
        for name in plan.physical:
            tf.config.experimental.set_memory_growth(by_name[name], True)
        return
    if plan.kind == "GPU":
        # No set_memory_growth with logical GPUs: TensorFlow refuses both on one device ("Cannot set memory growth on
        # device when virtual devices configured", tensorflow/python/eager/context.py, set_memory_growth). The GPU
        # allocator reads this variable when it starts instead (TensorFlow's GPU guide, "Limiting GPU memory growth"),
        # so each logical GPU grows up to its limit instead of taking it all at once.
        os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
        config = tf.config.LogicalDeviceConfiguration(memory_limit=plan.memory_limit_mb)
    else:
        config = tf.config.LogicalDeviceConfiguration()
    tf.config.set_logical_device_configuration(by_name[plan.split], [config] * plan.replicas)


def _cuda_id(name: str, visible: str | None) -> str:
    """The ``CUDA_VISIBLE_DEVICES`` entry of TensorFlow's GPU ``name`` in a process whose own setting is
    ``visible`` (TensorFlow numbers only the GPUs it sees: its GPU:0 is the first entry of ``visible``)."""
    index = _index(name)
    entries = [v.strip() for v in (visible or "").split(",") if v.strip()]
    if visible is None or not visible.strip():
        return str(index)
    if index >= len(entries):
        raise ValueError(f"{name}: this process sees only CUDA_VISIBLE_DEVICES={visible!r}.")
    return entries[index]


def worker_environments(n_workers: int, gpus=(), memory_limit_mb: int | None = 1024,
                        visible: str | None = None) -> list[dict[str, str]]:
    """The device variables of each of ``n_workers`` workers on a machine with the GPUs ``gpus`` (descriptions as
    for :func:`plan_devices`; other devices are ignored). ``visible`` is the starting process's own
    ``CUDA_VISIBLE_DEVICES``, if set. Pure: it only computes the variables.

    - No GPU: nothing (the workers run on the CPU, as the starting process does).
    - At least one GPU per worker: worker ``i`` sees only GPU ``i`` (``CUDA_VISIBLE_DEVICES``), with memory growth.
    - Fewer GPUs than workers: workers share the GPUs in turn, each with memory growth
      (``TF_FORCE_GPU_ALLOW_GROWTH``) and a limit of ``memory_limit_mb`` that the worker script applies (variable
      ``TLCOURSE_GPU_MEMORY_LIMIT_MB``); with ``memory_limit_mb=None`` they run on the CPU instead
      (``CUDA_VISIBLE_DEVICES=""``).
    """
    if not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers={n_workers!r}: use 1 or more.")
    if memory_limit_mb is not None and (not isinstance(memory_limit_mb, int) or memory_limit_mb < 1):
        raise ValueError(f"memory_limit_mb={memory_limit_mb!r}: a limit in MB, e.g. 1024, or None for CPU only.")
    ids = [_cuda_id(name, visible) for kind, name in map(_kind_and_name, gpus) if kind == "GPU"]
    if not ids:
        return [{} for _ in range(n_workers)]
    growth = {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    if len(ids) >= n_workers:
        return [{"CUDA_VISIBLE_DEVICES": ids[i], **growth} for i in range(n_workers)]
    if memory_limit_mb is None:
        return [{"CUDA_VISIBLE_DEVICES": ""} for _ in range(n_workers)]
    return [{"CUDA_VISIBLE_DEVICES": ids[i % len(ids)], **growth, GPU_MEMORY_LIMIT_ENV: str(memory_limit_mb)}
            for i in range(n_workers)]


def describe_environment(env: dict[str, str]) -> str:
    """One worker's device variables in a few words: ``GPU 1``, ``GPU 0, at most 1024 MB``, ``CPU only``."""
    if "CUDA_VISIBLE_DEVICES" not in env:
        return "the machine's devices"
    if not env["CUDA_VISIBLE_DEVICES"]:
        return "CPU only"
    limit = env.get(GPU_MEMORY_LIMIT_ENV)
    return f"GPU {env['CUDA_VISIBLE_DEVICES']}" + (f", at most {limit} MB" if limit else "")


def _gpus_of_this_process() -> list:
    """The GPUs TensorFlow lists in this process if it is imported already (listing them does not initialise
    them), else none: the cluster helper does not import TensorFlow itself."""
    tf = sys.modules.get("tensorflow")
    config = getattr(tf, "config", None)
    if config is None:
        return []
    return list(config.list_physical_devices("GPU"))


def _die_with_parent():
    """A ``preexec_fn`` that makes a worker receive SIGKILL when its parent dies (Linux ``prctl``), or None.

    libc is looked up here, in the parent: the function the child runs between fork and exec only makes the call
    (importing in that window can deadlock a parent with many threads, such as a kernel running TensorFlow)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return functools.partial(prctl, 1, signal.SIGKILL)   # PR_SET_PDEATHSIG = 1


class Worker:
    """One worker process: its index, port, ``TF_CONFIG``, device variables, process and log file."""

    def __init__(self, index: int, port: int, config: dict, log_path: Path, device_env: dict | None = None):
        self.index, self.port, self.config, self.log_path = index, port, config, log_path
        self.device_env = dict(device_env or {})   # CUDA_VISIBLE_DEVICES etc. (see worker_environments)
        self.process: subprocess.Popen | None = None
        self.killed = False

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def status(self) -> str:
        code = self.returncode
        if self.process is None:
            return "not started"
        if code is None:
            return "running"
        if self.killed:
            return f"killed on purpose (exit {code})"
        return "finished (exit 0)" if code == 0 else f"failed (exit {code})"


class LocalCluster:
    """Start ``n_workers`` copies of ``script`` on 127.0.0.1, each with its own ``TF_CONFIG``.

    ``args`` are passed to every worker; ``env`` adds environment variables; ``timeout`` (seconds) bounds the
    whole run: at the limit every worker is stopped and :meth:`wait` raises :class:`ClusterError`. Logs go to
    ``log_dir`` (a new temporary folder by default), one file per worker, kept after the cluster stops.

    ``gpus`` are the GPUs to share between the workers (default: those TensorFlow lists in this process, if it is
    imported; none otherwise); each worker gets the variables :func:`worker_environments` gives it (its own GPU, or
    a shared one with at most ``gpu_memory_limit_mb``; ``None``: CPU only). Variables in ``env`` take precedence."""

    def __init__(self, script: str | os.PathLike, n_workers: int = 2, args: list | tuple = (), *,
                 timeout: float = 300, env: dict | None = None, log_dir: str | os.PathLike | None = None,
                 cwd: str | os.PathLike | None = None, python: str | None = None, name: str = "cluster",
                 gpus=None, gpu_memory_limit_mb: int | None = 1024):
        self.script = Path(script)
        if not self.script.is_file():
            raise FileNotFoundError(f"Worker script {self.script} does not exist: write it first (the lesson does "
                                    "it with %%writefile) or give the right path.")
        if not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"n_workers={n_workers!r}: use 1 or more (2 shows a real cluster).")
        if not timeout or timeout <= 0:
            raise ValueError(f"timeout={timeout!r}: give the run a time limit in seconds, e.g. timeout=300.")
        self.n_workers, self.args, self.timeout, self.name = n_workers, [str(a) for a in args], float(timeout), name
        self.extra_env = {k: str(v) for k, v in (env or {}).items()}
        self.gpus = list(_gpus_of_this_process() if gpus is None else gpus)
        self.device_envs = worker_environments(n_workers, self.gpus, gpu_memory_limit_mb,
                                               visible=os.environ.get("CUDA_VISIBLE_DEVICES"))
        self.cwd = Path(cwd) if cwd else Path.cwd()
        self.python = python or sys.executable
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix=f"tlcourse-{name}-"))
        self.workers: list[Worker] = []
        self.started_at: float | None = None
        self.timed_out = False
        self._watchdog: threading.Timer | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ set-up
    def tf_config(self, index: int) -> dict:
        """The ``TF_CONFIG`` worker ``index`` gets (available once the cluster is started)."""
        return self.workers[index].config

    def start(self) -> "LocalCluster":
        if self.workers:
            raise ClusterError(f"{self.name} was already started; make a new LocalCluster to run again.")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        ports = free_ports(self.n_workers)
        for i, port in enumerate(ports):
            log_path = self.log_dir / f"worker{i}.log"
            log_path.unlink(missing_ok=True)
            self.workers.append(Worker(i, port, tf_config(ports, i), log_path, self.device_envs[i]))
        self.started_at = time.monotonic()
        _LIVE.add(self)
        die_with_parent = _die_with_parent()
        try:
            for w in self.workers:
                env = {**os.environ, **w.device_env, **self.extra_env, "TF_CONFIG": json.dumps(w.config),
                       "PYTHONUNBUFFERED": "1"}
                with open(w.log_path, "wb") as log:
                    w.process = subprocess.Popen(
                        [self.python, str(self.script), *self.args], cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                        preexec_fn=die_with_parent)
        except BaseException:
            self.stop()
            raise
        self._watchdog = threading.Timer(self.timeout, self._on_timeout)
        self._watchdog.daemon = True
        self._watchdog.start()
        ports = ", ".join(str(w.port) for w in self.workers)
        devices = ""
        if self.gpus:
            devices = ", devices: " + ", ".join(f"worker {w.index} {describe_environment(w.device_env)}"
                                                for w in self.workers)
        print(f"{self.name}: started {self.n_workers} workers on 127.0.0.1 (ports {ports}){devices}, time limit "
              f"{self.timeout:.0f} s, logs in {self.log_dir}")
        return self

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def devices(self) -> list[str]:
        """What each worker runs on, in a few words: ``CPU``, ``GPU 1``, ``GPU 0, at most 1024 MB``."""
        return [describe_environment(env) if self.gpus else "CPU" for env in self.device_envs]

    # ------------------------------------------------------------------ running
    def remaining(self) -> float:
        return max(0.0, self.timeout - (time.monotonic() - self.started_at)) if self.started_at else self.timeout

    def _on_timeout(self) -> None:
        if any(w.alive for w in self.workers):
            self.timed_out = True
            self.stop()

    def wait(self, check: bool = True) -> list[int]:
        """Wait until every worker has exited (within the time limit) and return their exit codes.

        With ``check=True``, raise :class:`ClusterError` (with the end of each failed worker's log) when the time
        limit is reached or a worker that was not killed on purpose failed."""
        self._require_started()
        while any(w.alive for w in self.workers) and self.remaining() > 0:
            time.sleep(0.2)
        self._on_timeout()                       # still running: the time limit is reached
        codes = [w.process.wait() for w in self.workers]
        if check:
            if self.timed_out:
                raise ClusterError(f"{self.name} did not finish within its time limit of {self.timeout:.0f} s; the "
                                   f"workers were stopped.\n{self._tails()}\nGive it a larger timeout= or less work.")
            failed = [w for w in self.workers if w.returncode != 0 and not w.killed]
            if failed:
                raise ClusterError(f"{self.name}: worker(s) {', '.join(str(w.index) for w in failed)} failed.\n"
                                   f"{self._tails(failed)}")
        return codes

    def wait_for(self, pattern: str, worker: int = 0, timeout: float | None = None) -> re.Match:
        """Wait until worker ``worker``'s log matches the regular expression ``pattern``; return the match.

        Raises :class:`ClusterError` if the worker exits first or nothing matches within ``timeout`` seconds (at
        most the cluster's remaining time)."""
        self._require_started()
        w = self.workers[worker]
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + min(timeout if timeout is not None else self.timeout, self.remaining())
        while True:
            match = regex.search(w.log())
            if match:
                return match
            if not w.alive:
                raise ClusterError(f"worker {worker} exited ({w.status()}) before its log matched {pattern!r}.\n"
                                   f"{self._tails([w])}")
            if time.monotonic() > deadline:
                raise ClusterError(f"worker {worker}'s log did not match {pattern!r} in time.\n{self._tails([w])}")
            time.sleep(0.05)

    def kill(self, worker: int) -> None:
        """Kill worker ``worker`` at once (SIGKILL), as if its machine had lost power."""
        self._require_started()
        w = self.workers[worker]
        if w.alive:
            w.killed = True
            self._signal(w, signal.SIGKILL)
            w.process.wait()
            print(f"{self.name}: killed worker {worker} (pid {w.process.pid}) on purpose")

    def stop(self, grace: float = 5.0) -> None:
        """Stop every worker still running: SIGTERM, then SIGKILL after ``grace`` seconds. Safe to call twice."""
        with self._lock:
            if self._watchdog is not None:
                self._watchdog.cancel()
            running = [w for w in self.workers if w.alive]
            for w in running:
                self._signal(w, signal.SIGTERM)
            deadline = time.monotonic() + grace
            for w in running:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    w.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            for w in self.workers:
                if w.process is not None:
                    self._signal(w, signal.SIGKILL)  # the worker and anything it started (its process group)
                    w.process.wait()
            _LIVE.discard(self)

    @staticmethod
    def _signal(w: Worker, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(w.process.pid, sig)  # start_new_session=True: the group id is the worker's pid

    def _require_started(self) -> None:
        if not self.workers:
            raise ClusterError(f"{self.name} is not started: use `with LocalCluster(...) as cluster:`.")

    # ------------------------------------------------------------------ logs
    def _tails(self, workers: list[Worker] | None = None, lines: int = 25) -> str:
        parts = []
        for w in workers or self.workers:
            tail = "\n".join(w.log().splitlines()[-lines:])
            parts.append(f"--- worker {w.index} ({w.status()}), last {lines} lines of {w.log_path}:\n{tail}")
        return "\n".join(parts)

    def logs(self, worker: int, grep: str | None = None) -> list[str]:
        """The lines of worker ``worker``'s log (only those matching the regular expression ``grep``, if given)."""
        lines = self.workers[worker].log().splitlines()
        return [line for line in lines if re.search(grep, line)] if grep else lines

    def show_logs(self, grep: str | None = None, last: int | None = None) -> None:
        """Print every worker's log (or its lines matching ``grep``, or its ``last`` lines), prefixed per worker."""
        for w in self.workers:
            lines = self.logs(w.index, grep)
            if last is not None:
                lines = lines[-last:]
            print(f"── worker {w.index} · {w.status()} · TF_CONFIG task {json.dumps(w.config['task'])}")
            for line in lines:
                print(f"[worker {w.index}] {line}")


@atexit.register
def _stop_all() -> None:
    for cluster in list(_LIVE):
        with contextlib.suppress(Exception):
            cluster.stop(grace=1.0)
