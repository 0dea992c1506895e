"""tlcourse.distributed: real worker processes on 127.0.0.1, real TensorFlow clusters, real kills.

The first tests use plain Python workers (fast, no TensorFlow); the last ones start two TensorFlow workers under
MultiWorkerMirroredStrategy (tf_keras), kill one mid-training and check that BackupAndRestore resumes.
"""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from tlcourse import distributed
from tlcourse.distributed import ClusterError, DevicePlan, LocalCluster


def _gone(pid: int) -> bool:
    """True when no process ``pid`` exists any more (zombies of our own children were reaped by wait())."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as f:  # exists: only a zombie would still count as gone
        return f.read().split(") ", 1)[1].startswith("Z")


def _script(tmp_path, body: str, name: str = "worker.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


# ------------------------------------------------------------------ ports and TF_CONFIG
def test_free_ports_are_distinct_and_bindable():
    ports = distributed.free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    with pytest.raises(ValueError, match="at least one port"):
        distributed.free_ports(0)


def test_tf_config_names_cluster_and_task():
    config = distributed.tf_config([1111, 2222], 1)
    assert config == {"cluster": {"worker": ["127.0.0.1:1111", "127.0.0.1:2222"]},
                      "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="workers 0..1"):
        distributed.tf_config([1111, 2222], 2)


def test_each_worker_gets_its_own_tf_config(tmp_path):
    script = _script(tmp_path, """
        import json, os
        print("CONFIG", os.environ["TF_CONFIG"])
    """)
    with LocalCluster(script, 2, timeout=30, log_dir=tmp_path / "logs") as cluster:
        assert cluster.wait() == [0, 0]
    seen = [json.loads(cluster.logs(i, grep="^CONFIG")[0].split(" ", 1)[1]) for i in range(2)]
    assert [c["task"]["index"] for c in seen] == [0, 1]
    assert seen[0]["cluster"] == seen[1]["cluster"] == cluster.tf_config(0)["cluster"]
    assert len(set(seen[0]["cluster"]["worker"])) == 2


# ------------------------------------------------------------------ devices: the plan of section 4, the workers' share
CPU = {"name": "/physical_device:CPU:0", "device_type": "CPU"}


def _gpus(n):
    return [{"name": f"/physical_device:GPU:{i}", "device_type": "GPU"} for i in range(n)]


def test_device_plan_without_gpu_splits_the_cpu():
    plan = distributed.plan_devices([CPU])
    assert plan == DevicePlan("CPU", ("/cpu:0", "/cpu:1"), ("/physical_device:CPU:0",), split="/physical_device:CPU:0")
    assert plan.replicas == 2 and plan.memory_limit_mb is None and plan.label == "2 logical CPUs"
    assert distributed.plan_devices(["/physical_device:CPU:0"]) == plan      # plain names work too
    assert distributed.plan_devices([CPU], replicas_from_one=4).devices == ("/cpu:0", "/cpu:1", "/cpu:2", "/cpu:3")


def test_device_plan_with_one_gpu_splits_it_with_a_memory_limit():
    plan = distributed.plan_devices([CPU, *_gpus(1)], memory_limit_mb=512)
    assert (plan.kind, plan.devices, plan.split, plan.memory_limit_mb) == (
        "GPU", ("/gpu:0", "/gpu:1"), "/physical_device:GPU:0", 512)
    assert plan.label == "2 logical GPUs on 1 GPU" and "512 MB each" in str(plan)


@pytest.mark.parametrize("n", [2, 4])
def test_device_plan_with_several_gpus_uses_one_replica_per_gpu(n):
    plan = distributed.plan_devices([CPU, *_gpus(n)])
    assert plan.kind == "GPU" and plan.split is None and plan.memory_limit_mb is None
    assert plan.devices == tuple(f"/gpu:{i}" for i in range(n))
    assert plan.physical == tuple(f"/physical_device:GPU:{i}" for i in range(n))
    assert plan.label == f"{n} GPUs"


def test_device_plan_errors():
    with pytest.raises(ValueError, match="No CPU and no GPU"):
        distributed.plan_devices([])
    with pytest.raises(ValueError, match="2 or more"):
        distributed.plan_devices([CPU], replicas_from_one=1)
    with pytest.raises(ValueError, match="limit in MB"):
        distributed.plan_devices([CPU], memory_limit_mb=0)


GROWTH = {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}


def test_worker_environments_without_gpu_add_nothing():
    assert distributed.worker_environments(2, []) == [{}, {}]
    assert distributed.worker_environments(3, [CPU]) == [{}, {}, {}]     # the CPU is not handed out


def test_worker_environments_one_gpu_per_worker():
    assert distributed.worker_environments(2, [CPU, *_gpus(2)]) == [{"CUDA_VISIBLE_DEVICES": "0", **GROWTH},
                                                                   {"CUDA_VISIBLE_DEVICES": "1", **GROWTH}]
    assert [e["CUDA_VISIBLE_DEVICES"] for e in distributed.worker_environments(2, _gpus(4))] == ["0", "1"]
    # The starting process sees only some GPUs: TensorFlow's GPU:i is the i-th entry of its CUDA_VISIBLE_DEVICES.
    assert [e["CUDA_VISIBLE_DEVICES"] for e in distributed.worker_environments(2, _gpus(2), visible="3, 5")] == [
        "3", "5"]
    with pytest.raises(ValueError, match="sees only"):
        distributed.worker_environments(2, _gpus(2), visible="3")


def test_worker_environments_shared_gpu_growth_and_limit():
    shared = {"CUDA_VISIBLE_DEVICES": "0", **GROWTH, distributed.GPU_MEMORY_LIMIT_ENV: "1024"}
    assert distributed.worker_environments(2, _gpus(1)) == [shared, shared]
    three = distributed.worker_environments(3, _gpus(2), memory_limit_mb=2048)
    assert [e["CUDA_VISIBLE_DEVICES"] for e in three] == ["0", "1", "0"]     # in turn
    assert {e[distributed.GPU_MEMORY_LIMIT_ENV] for e in three} == {"2048"}
    assert distributed.worker_environments(2, _gpus(1), memory_limit_mb=None) == [{"CUDA_VISIBLE_DEVICES": ""}] * 2
    assert [distributed.describe_environment(e) for e in three[:2]] == ["GPU 0, at most 2048 MB",
                                                                         "GPU 1, at most 2048 MB"]


ENV_PRINTER = """
    import json, os
    names = ["CUDA_VISIBLE_DEVICES", "TF_FORCE_GPU_ALLOW_GROWTH", "TLCOURSE_GPU_MEMORY_LIMIT_MB"]
    print("ENV", json.dumps({k: os.environ.get(k) for k in names}))
"""


def _seen(cuda, growth=None, limit=None):
    return {"CUDA_VISIBLE_DEVICES": cuda, "TF_FORCE_GPU_ALLOW_GROWTH": growth, "TLCOURSE_GPU_MEMORY_LIMIT_MB": limit}


@pytest.mark.parametrize("n_gpus, expected", [
    (0, [_seen("3,5")] * 2),                                        # inherited from the kernel, nothing added
    (1, [_seen("3", "true", "1024")] * 2),                          # one shared GPU: growth and a limit each
    (2, [_seen("3", "true"), _seen("5", "true")]),                  # a GPU of its own each
])
def test_real_workers_see_the_environment_they_were_given(tmp_path, monkeypatch, capsys, n_gpus, expected):
    """Real processes on this CPU machine, started as if the kernel saw the GPUs 3 and 5 as its GPU:0 and GPU:1."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    monkeypatch.delenv(distributed.GPU_MEMORY_LIMIT_ENV, raising=False)
    script = _script(tmp_path, ENV_PRINTER)
    with LocalCluster(script, 2, timeout=30, log_dir=tmp_path / "logs", gpus=_gpus(n_gpus)) as cluster:
        cluster.wait()
    seen = [json.loads(cluster.logs(i, grep="^ENV")[0].split(" ", 1)[1]) for i in range(2)]
    assert seen == expected
    assert cluster.devices() == (["CPU", "CPU"] if n_gpus == 0 else
                                 [distributed.describe_environment(e) for e in cluster.device_envs])
    assert ("devices: worker 0" in capsys.readouterr().out) == (n_gpus > 0)


def test_env_argument_takes_precedence_over_the_device_share(tmp_path):
    script = _script(tmp_path, ENV_PRINTER)
    with LocalCluster(script, 1, timeout=30, log_dir=tmp_path / "logs", gpus=_gpus(1),
                      env={"CUDA_VISIBLE_DEVICES": ""}) as cluster:
        cluster.wait()
    assert json.loads(cluster.logs(0, grep="^ENV")[0].split(" ", 1)[1])["CUDA_VISIBLE_DEVICES"] == ""


def test_plan_applied_in_real_tensorflow_on_this_cpu(tmp_path):
    """What lesson 8's set-up does, in a fresh process: plan, split, tlcourse.start's device detection, the strategy;
    and a LocalCluster there finds TensorFlow's GPUs (none here) by itself."""
    code = textwrap.dedent("""
        import tensorflow as tf
        from tlcourse import distributed, runtime
        plan = distributed.plan_devices(tf.config.list_physical_devices())
        distributed.apply_device_plan(plan)
        print("DEVICE", runtime.detect_device()["kind"])
        strategy = tf.distribute.MirroredStrategy(plan.devices)
        print("PLAN", plan.kind, plan.label, strategy.num_replicas_in_sync, list(strategy.extended.worker_devices))
        cluster = distributed.LocalCluster(%r, 2)
        print("CLUSTER", cluster.gpus, cluster.device_envs)
    """ % str(_script(tmp_path, "pass\\n")))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env).stdout
    if "DEVICE GPU" in out:
        pytest.skip("this machine has a GPU: the CPU plan does not apply")
    assert "DEVICE CPU" in out, out
    assert "PLAN CPU 2 logical CPUs 2 ['/job:localhost/replica:0/task:0/device:CPU:0', " \
           "'/job:localhost/replica:0/task:0/device:CPU:1']" in out, out
    assert "CLUSTER [] [{}, {}]" in out, out


# ------------------------------------------------------------------ stopping: time limit, exceptions, kill
SLEEPER = """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("child", child.pid, flush=True)
    print("ready", flush=True)
    time.sleep(600)
"""


def test_time_limit_stops_workers_and_their_children(tmp_path):
    script = _script(tmp_path, SLEEPER)
    cluster = LocalCluster(script, 2, timeout=4, log_dir=tmp_path / "logs")
    with cluster:
        children = [int(cluster.wait_for(r"^child (\d+)", worker=i, timeout=20).group(1)) for i in range(2)]
        t = time.monotonic()
        with pytest.raises(ClusterError, match="time limit of 4 s"):
            cluster.wait()
        assert time.monotonic() - t < 10
    pids = [w.process.pid for w in cluster.workers] + children
    time.sleep(0.2)
    assert all(_gone(pid) for pid in pids), "a worker or a process it started is still running"


def test_watchdog_stops_workers_even_if_nobody_waits(tmp_path):
    script = _script(tmp_path, SLEEPER)
    cluster = LocalCluster(script, 1, timeout=2, log_dir=tmp_path / "logs").start()
    try:
        cluster.wait_for("^ready", timeout=20)
        time.sleep(4)
        assert not cluster.workers[0].alive and cluster.timed_out
    finally:
        cluster.stop()


def test_exception_in_block_stops_workers(tmp_path):
    script = _script(tmp_path, SLEEPER)
    with pytest.raises(KeyError):
        with LocalCluster(script, 2, timeout=60, log_dir=tmp_path / "logs") as cluster:
            cluster.wait_for("^ready", worker=1, timeout=20)
            raise KeyError("the cell failed")
    assert all(_gone(w.process.pid) for w in cluster.workers)


def test_kill_one_worker_on_purpose(tmp_path, capsys):
    script = _script(tmp_path, SLEEPER)
    with LocalCluster(script, 2, timeout=60, log_dir=tmp_path / "logs") as cluster:
        cluster.wait_for("^ready", worker=1, timeout=20)
        cluster.kill(1)
        assert not cluster.workers[1].alive and cluster.workers[0].alive
        assert cluster.workers[1].status().startswith("killed on purpose")
    assert "killed worker 1" in capsys.readouterr().out


def test_failed_worker_is_reported_with_its_log(tmp_path):
    script = _script(tmp_path, """
        import os, json
        if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:
            raise SystemExit("worker 1 cannot find its data")
    """)
    with LocalCluster(script, 2, timeout=30, log_dir=tmp_path / "logs") as cluster:
        with pytest.raises(ClusterError, match=r"(?s)worker\(s\) 1 failed.*cannot find its data"):
            cluster.wait()
        assert cluster.wait(check=False) == [0, 1]


def test_wait_for_fails_when_worker_exits_first(tmp_path):
    script = _script(tmp_path, "print('bye')\n")
    with LocalCluster(script, 1, timeout=30, log_dir=tmp_path / "logs") as cluster:
        with pytest.raises(ClusterError, match="exited .* before its log matched"):
            cluster.wait_for("^never printed")


def test_helpful_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="write it first"):
        LocalCluster(tmp_path / "missing.py")
    script = _script(tmp_path, "pass\n")
    with pytest.raises(ValueError, match="time limit"):
        LocalCluster(script, timeout=0)
    with pytest.raises(ClusterError, match="not started"):
        LocalCluster(script).wait()


# ------------------------------------------------------------------ real TensorFlow: MultiWorkerMirroredStrategy
TF_WORKER = """
    import argparse, json, os, shutil, time
    import numpy as np
    import tensorflow as tf
    import tf_keras

    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--backup-dir")
    parser.add_argument("--model-dir", required=True)
    args = parser.parse_args()

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    chief = task["index"] == 0
    print("replicas", strategy.num_replicas_in_sync, flush=True)
    tf_keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32") > 0).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    with strategy.scope():
        model = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(1)])
        model.compile(tf_keras.optimizers.SGD(0.5), tf_keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[tf_keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])

    class Report(tf_keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(f"epoch {epoch + 1} loss {logs['loss']:.6f}", flush=True)
            time.sleep(0.4)  # leave the test time to kill a worker between two epochs

    callbacks = [Report()]
    if args.backup_dir:
        callbacks.insert(0, tf_keras.callbacks.BackupAndRestore(args.backup_dir))
    model.fit(data, epochs=args.epochs, callbacks=callbacks, verbose=0)
    _, accuracy = model.evaluate(data, verbose=0)
    print(f"final accuracy {accuracy:.4f}", flush=True)
    # Every worker saves (saving may need collective ops); only the chief's copy is kept.
    target = args.model_dir if chief else os.path.join(args.model_dir, f"tmp_worker_{task['index']}")
    os.makedirs(target, exist_ok=True)
    model.save(os.path.join(target, "model.keras"))
    if not chief:
        shutil.rmtree(target)
"""


def _epochs(cluster, worker):
    return [(int(m.group(1)), m.group(2)) for line in cluster.logs(worker)
            if (m := re.match(r"epoch (\d+) loss (\S+)", line))]


def test_two_tensorflow_workers_train_in_step_and_chief_saves(tmp_path):
    script = _script(tmp_path, TF_WORKER)
    models = tmp_path / "models"
    with LocalCluster(script, 2, ["--epochs", "3", "--model-dir", models], timeout=240,
                      log_dir=tmp_path / "logs") as cluster:
        cluster.wait()
    assert cluster.logs(0, grep="^replicas") == ["replicas 2"] == cluster.logs(1, grep="^replicas")
    first, second = _epochs(cluster, 0), _epochs(cluster, 1)
    assert [e for e, _ in first] == [1, 2, 3]
    assert first == second  # one model: the same losses on both workers, to the last printed digit
    assert sorted(p.name for p in models.iterdir()) == ["model.keras"]  # the non-chief's copy was removed


def test_killed_worker_then_restart_resumes_from_backup(tmp_path):
    script = _script(tmp_path, TF_WORKER)
    backup = tmp_path / "backup"
    args = ["--epochs", "6", "--backup-dir", backup, "--model-dir", tmp_path / "models"]
    with LocalCluster(script, 2, args, timeout=240, log_dir=tmp_path / "logs1", name="first") as cluster:
        cluster.wait_for(r"^epoch 2 loss", worker=1, timeout=200)
        cluster.kill(1)
        codes = cluster.wait(check=False)
    assert codes[1] == -9
    assert codes[0] != 0, "the surviving worker should fail: its peer stopped answering"
    done_before = max(e for e, _ in _epochs(cluster, 0))
    assert 2 <= done_before < 6
    assert (backup / "chief").is_dir()

    with LocalCluster(script, 2, args, timeout=240, log_dir=tmp_path / "logs2", name="second") as again:
        again.wait()
    resumed = [e for e, _ in _epochs(again, 0)]
    assert resumed[0] == done_before + 1 and resumed[-1] == 6, resumed  # not from epoch 1
    assert _epochs(again, 0) == _epochs(again, 1)
    assert float(again.logs(0, grep="^final accuracy")[0].split()[-1]) > 0.9
    assert not backup.exists() or not any(backup.rglob("*.index"))  # BackupAndRestore cleans up after success


def test_no_stray_processes_after_the_tests():
    """Every cluster of this module was stopped: none is registered as live, and this test process has no child
    left running (the workers start their own sessions, so they would still be our children)."""
    assert [c.name for c in list(distributed._LIVE)] == []
    children = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat") as f:
                    fields = f.read().rsplit(") ", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                children.append(int(stat))
    assert children == []
