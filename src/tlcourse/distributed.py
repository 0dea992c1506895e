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
from pathlib import Path

__all__ = ["LocalCluster", "ClusterError", "free_ports", "cluster_spec", "tf_config"]

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
    """One worker process: its index, port, ``TF_CONFIG``, process and log file."""

    def __init__(self, index: int, port: int, config: dict, log_path: Path):
        self.index, self.port, self.config, self.log_path = index, port, config, log_path
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
    ``log_dir`` (a new temporary folder by default), one file per worker, kept after the cluster stops."""

    def __init__(self, script: str | os.PathLike, n_workers: int = 2, args: list | tuple = (), *,
                 timeout: float = 300, env: dict | None = None, log_dir: str | os.PathLike | None = None,
                 cwd: str | os.PathLike | None = None, python: str | None = None, name: str = "cluster"):
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
            self.workers.append(Worker(i, port, tf_config(ports, i), log_path))
        self.started_at = time.monotonic()
        _LIVE.add(self)
        die_with_parent = _die_with_parent()
        try:
            for w in self.workers:
                env = {**os.environ, **self.extra_env, "TF_CONFIG": json.dumps(w.config), "PYTHONUNBUFFERED": "1"}
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
        print(f"{self.name}: started {self.n_workers} workers on 127.0.0.1 (ports {ports}), time limit "
              f"{self.timeout:.0f} s, logs in {self.log_dir}")
        return self

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

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
