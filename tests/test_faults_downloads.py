"""Faults in downloads and caches, with a real HTTP server on 127.0.0.1 that injects them.

Every fault must end in a verified file or an AssetError that names the URL, the expected path and what to
do; it must never leave a partial or corrupt file where the cache (or a later run) would use it; and the next
try, once the fault clears, must succeed. Only the registry entries are test data: the code under test is
tlcourse.assets as the lessons use it, talking HTTP to a real server through real sockets (a second server plays
Zenodo's API, whose md5 checks a download). Each fault is recorded in the session's fault log (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tlcourse import assets
from tlcourse.assets import Asset, AssetError

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = random.Random(6).randbytes(256 * 1024)  # big enough to be cut mid-body, small enough to be quick
HTML = b"<!DOCTYPE html><html><body>Please log in to the Wi-Fi to continue.</body></html>"


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("pets/cats/a.bin", PAYLOAD[:100_000])
        zf.writestr("pets/dogs/b.bin", PAYLOAD[100_000:200_000])
    return buf.getvalue()


ZIP = _zip_bytes()
H5 = b"\x89HDF\r\n\x1a\n" + PAYLOAD[:50_000]  # starts like a real HDF5 file (what the format check looks at)


# --------------------------------------------------------------------------- the server

class FaultServer:
    """A real HTTP server in a daemon thread. ``files`` maps URL paths to bytes; ``faults`` maps a path to a
    fault name (see ``Handler.do_GET``); ``hits`` counts GET requests per path. Every wait is bounded."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.hits: Counter = Counter()
        self.stopping = threading.Event()
        self.gate = threading.Event()  # the "gated" fault holds the body until the test opens the gate
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def _head(self, length: int | None, ctype="application/octet-stream"):
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                if length is not None:
                    self.send_header("Content-Length", str(length))
                self.send_header("Connection", "close")
                self.end_headers()

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                body = server.files.get(path)
                fault = server.faults.get(path, "ok")
                if body is None or fault == "404":
                    return self.send_error(404, "Not Found")
                if fault == "500" or (fault == "500-once" and server.hits[path] == 1):
                    return self.send_error(500, "Internal Server Error")
                if fault == "redirect-loop":
                    self.send_response(302)
                    self.send_header("Location", path)
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                if fault == "reset-before-response":
                    return self._reset()
                if fault == "slow-headers":  # answers nothing until long after the client's timeout
                    server.stopping.wait(4)
                    return
                if fault == "html":  # a captive portal answering 200 with a login page
                    self._head(len(HTML), "text/html")
                    return self.wfile.write(HTML)
                if fault == "corrupt":
                    bad = bytearray(body)
                    for i in range(0, len(bad), 4096):
                        bad[i] ^= 0xFF
                    self._head(len(bad))
                    return self.wfile.write(bytes(bad))
                half = len(body) // 2
                if fault == "drop-mid-body":  # connection reset (RST) after half the body
                    self._head(len(body))
                    self.wfile.write(body[:half])
                    self.wfile.flush()
                    return self._reset()
                if fault == "truncated":  # honest Content-Length, but the body stops half way (clean close)
                    self._head(len(body))
                    return self.wfile.write(body[:half])
                if fault == "truncated-no-length":  # no Content-Length: only the checksum/size can tell
                    self._head(None)
                    return self.wfile.write(body[:half])
                if fault == "stall-mid-body":  # half the body, then silence beyond the client's timeout
                    self._head(len(body))
                    self.wfile.write(body[:half])
                    self.wfile.flush()
                    server.stopping.wait(4)
                    return
                if fault == "gated":  # half the body, then wait for the test to open the gate
                    self._head(len(body))
                    self.wfile.write(body[:half])
                    self.wfile.flush()
                    server.gate.wait(30)
                    with contextlib.suppress(OSError):
                        self.wfile.write(body[half:])
                    return
                self._head(len(body))
                self.wfile.write(body)

            def _reset(self):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.stopping.set()
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    srv = FaultServer()
    yield srv
    srv.close()


@pytest.fixture
def net(tmp_path, monkeypatch, server):
    """Online, no mirror, a private cache, a 1 s timeout, a private copy of the registry."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TLCOURSE_DATA", str(cache))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "0")
    monkeypatch.setenv("TLCOURSE_TIMEOUT", "1")
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.setattr(assets, "ASSETS", dict(assets.ASSETS))
    return cache


def serve(server, name: str, body: bytes, *, checksum=True, size=True, filename=None) -> Asset:
    """Register asset ``name`` served by ``server`` at /<name> (course cache, folder rel/)."""
    path = f"/{name}"
    server.files[path] = body
    a = Asset(name=name, url=server.url(path), filename=filename or f"rel/{name}",
              size=len(body) if size else None, licence="test", source="test",
              sha256=hashlib.sha256(body).hexdigest() if checksum else None)
    assets.ASSETS[name] = a
    return a


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def leftovers(folder: Path, keep: set[Path]) -> list[str]:
    """Files in the cache other than lock files and ``keep``: partial downloads, stray temporaries."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and not p.name.endswith(".lock") and p not in keep)


def assert_clear_error(err: AssetError, a: Asset) -> str:
    msg = str(err)
    assert a.url in msg, msg
    assert str(assets.locate(a)) in msg, msg
    assert "What to do" in msg, msg
    return msg


# --------------------------------------------------------------------------- one test per network fault

NETWORK_FAULTS = {
    # fault: (body, checksum?, size?, expected words in the message or None if the fetch must succeed,
    #         requests the server should see during the faulty fetch)
    "404": (PAYLOAD, True, True, "HTTP 404", 1),
    "500": (PAYLOAD, True, True, "HTTP 500", 2),
    "500-once": (PAYLOAD, True, True, None, 2),
    "redirect-loop": (PAYLOAD, True, True, "redirect", None),
    "reset-before-response": (PAYLOAD, True, True, "connection", 2),
    "drop-mid-body": (PAYLOAD, True, True, "connection", 2),
    "truncated": (PAYLOAD, True, True, "truncated", 2),
    "truncated-no-length": (PAYLOAD, True, True, "failed verification", 1),
    "truncated-no-length-zip-size-only": (ZIP, False, True, "registry says", 1),
    "truncated-no-length-zip-no-size": (ZIP, False, False, "not a complete zip", 1),
    "corrupt": (PAYLOAD, True, True, "failed verification", 1),
    "html": (PAYLOAD, True, True, "failed verification", 1),
    "html-h5-no-checksum": (H5, False, False, "not an HDF5 file", 1),
    "slow-headers": (PAYLOAD, True, True, "did not answer within 1 s", 2),
    "stall-mid-body": (PAYLOAD, True, True, "did not answer within 1 s", 2),
}
_SERVER_FAULT = {"truncated-no-length-zip-size-only": "truncated-no-length",
                 "truncated-no-length-zip-no-size": "truncated-no-length", "html-h5-no-checksum": "html"}


@pytest.mark.parametrize("fault", list(NETWORK_FAULTS))
def test_network_fault(fault, server, net, fault_log):
    body, checksum, size, expect, requests = NETWORK_FAULTS[fault]
    ext = ".zip" if body is ZIP else ".h5" if body is H5 else ".bin"
    with fault_log.trial(f"download: {fault}") as st:
        # A good file fetched earlier sits in the same cache folder: a fault must never touch it.
        bystander = assets.fetch(serve(server, "bystander.bin", PAYLOAD[::-1]).name, progress=False)
        before = sha(bystander)

        a = serve(server, f"{fault}{ext}", body, checksum=checksum, size=size)
        server.faults[f"/{a.name}"] = _SERVER_FAULT.get(fault, fault)
        target = assets.locate(a)
        t0 = time.monotonic()
        if expect is None:
            path = assets.fetch(a.name, progress=False)  # a transient fault: the retry fixes it
            assert path.read_bytes() == body
            st["outcome"] = "verified file (retried)"
        else:
            try:
                got = assets.fetch(a.name, progress=False)
            except AssetError as exc:
                err = exc
            else:  # accepted: count it as a corrupted file if it is not the real content
                st["corrupt"] = int(got.read_bytes() != body)
                pytest.fail(f"the fault was not detected; the cache now holds {'a corrupt' if st['corrupt'] else 'a'} "
                            f"file {got}")
            msg = assert_clear_error(err, a)
            assert expect.lower() in msg.lower(), msg
            st["outcome"], st["detail"] = "clear AssetError", msg.splitlines()[0]
            assert not target.exists(), "a failed fetch must not leave the target in the cache"
        elapsed = time.monotonic() - t0
        assert elapsed < 8, f"the fault took {elapsed:.1f} s to report: a timeout is not applied"
        if requests is not None:
            assert server.hits[f"/{a.name}"] == requests
        if expect is not None:
            assert leftovers(net, {bystander}) == [], "no partial or temporary file may stay behind"
        st["lost"] = int(not bystander.exists() or sha(bystander) != before)

        # The fault clears: the next try succeeds and leaves one verified copy.
        server.faults.pop(f"/{a.name}")
        path = assets.fetch(a.name, progress=False)
        assert path == target and path.read_bytes() == body
        recorded = target.parent / ".tlcourse-hashes" / f"{target.name}.sha256"  # assets without a checksum
        assert leftovers(net, {bystander, target, recorded}) == []
        st["lost"] += int(sha(bystander) != before)
        assert st["lost"] == 0


def test_server_down(net, fault_log, tmp_path):
    """Nothing listens on the port (connection refused): a clear message, then success once it is up."""
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    a = Asset(name="down.bin", url=f"http://127.0.0.1:{port}/down.bin", filename="rel/down.bin",
              size=len(PAYLOAD), licence="test", source="test", sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assets.ASSETS[a.name] = a
    with fault_log.trial("download: server down (connection refused)") as st:
        with pytest.raises(AssetError) as err:
            assets.fetch(a.name, progress=False)
        msg = assert_clear_error(err.value, a)
        assert "refused the connection" in msg
        assert leftovers(net, set()) == []
        srv = FaultServer()  # the server comes back (on its own port: update the URL as a publisher would)
        try:
            a2 = serve(srv, "down.bin", PAYLOAD)
            assert assets.fetch(a2.name, progress=False).read_bytes() == PAYLOAD
        finally:
            srv.close()
        st["outcome"] = "clear AssetError, then verified file"


def test_corrupt_cached_copy_and_server_failing(server, net, fault_log):
    """A cached copy that rotted (flipped bytes) is noticed and removed, even when the server fails
    right then; nothing corrupt stays behind and the next try succeeds."""
    a = serve(server, "rot.bin", PAYLOAD)
    with fault_log.trial("cache: corrupt cached copy while the server answers 500") as st:
        target = assets.fetch(a.name, progress=False)
        data = bytearray(target.read_bytes())
        data[1000] ^= 0x01
        target.write_bytes(bytes(data))
        server.faults["/rot.bin"] = "500"
        with pytest.warns(UserWarning, match="failed verification"), pytest.raises(AssetError) as err:
            assets.fetch(a.name, progress=False)
        assert_clear_error(err.value, a)
        assert not target.exists() and leftovers(net, set()) == []
        server.faults.clear()
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
        st["outcome"] = "corrupt copy removed, clear AssetError, then verified file"


def test_cache_hit_needs_no_network(server, net, fault_log):
    """With a verified copy in the cache, a broken server does not matter: no request is even made."""
    a = serve(server, "cached.bin", PAYLOAD)
    with fault_log.trial("download: server broken, verified copy cached") as st:
        assets.fetch(a.name, progress=False)
        server.faults["/cached.bin"] = "500"
        n = server.hits["/cached.bin"]
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
        assert server.hits["/cached.bin"] == n
        st["outcome"] = "verified file from the cache"


# --------------------------------------------------------------------------- processes

_FETCH_SCRIPT = """
import json, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a Jupyter kernel, even if started in background
from tlcourse import assets
from tlcourse.assets import Asset
a = Asset(**json.loads(sys.argv[1]))
assets.ASSETS[a.name] = a
try:
    p = assets.fetch(a.name, progress=False)
    print(json.dumps({"path": str(p)}), flush=True)
except assets.AssetError as err:
    print(json.dumps({"error": str(err)}), flush=True)
"""


def _spawn(a: Asset, extra_env: dict | None = None, preexec=None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-c", _FETCH_SCRIPT, json.dumps(dataclasses.asdict(a))], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec)


def _wait_for(cond, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _parts(folder: Path) -> list[Path]:
    return list(folder.rglob("*.part")) if folder.exists() else []


def test_two_processes_fetch_the_same_asset(server, net, fault_log, monkeypatch):
    """Two real processes fetch one asset at once. The second waits on the lock while the first is
    mid-download; both succeed, the server sends the file once, and one good copy remains."""
    monkeypatch.setenv("TLCOURSE_TIMEOUT", "30")  # the gate holds the body for a while on purpose
    a = serve(server, "shared.bin", PAYLOAD)
    server.faults["/shared.bin"] = "gated"
    with fault_log.trial("concurrency: two processes fetch one asset") as st:
        first = _spawn(a)
        try:
            _wait_for(lambda: server.hits["/shared.bin"] == 1 and _parts(net), 60, "the first download to start")
            second = _spawn(a)
            try:
                ready, _, _ = select.select([second.stdout], [], [], 60)
                assert ready, "the second process said nothing within 60 s"
                line = second.stdout.readline()  # the second process says it waits for the lock
                assert "Waiting for another process" in line, line
                server.gate.set()
                out1, _ = first.communicate(timeout=60)
                out2, err2 = second.communicate(timeout=60)
            finally:
                second.kill()
        finally:
            first.kill()
        p1, p2 = json.loads(out1.strip().splitlines()[-1]), json.loads(out2.strip().splitlines()[-1])
        assert "path" in p1 and "path" in p2, (p1, p2, err2)
        assert p1["path"] == p2["path"] == str(assets.locate(a))
        assert Path(p1["path"]).read_bytes() == PAYLOAD
        assert server.hits["/shared.bin"] == 1, "with the lock, the file is downloaded once"
        assert leftovers(net, {assets.locate(a)}) == []
        st["outcome"] = "both processes got one verified copy; 1 download"


def test_killed_mid_download_leaves_nothing_usable(server, net, fault_log, monkeypatch):
    """kill -9 during a download (a kernel restart, an out-of-memory kill) leaves a .part file that no fetch
    uses; the next fetch removes it and gets a verified copy."""
    monkeypatch.setenv("TLCOURSE_TIMEOUT", "30")
    a = serve(server, "killed.bin", PAYLOAD)
    server.faults["/killed.bin"] = "gated"
    target = assets.locate(a)
    with fault_log.trial("process killed (SIGKILL) mid-download") as st:
        proc = _spawn(a)
        try:
            _wait_for(lambda: _parts(net), 60, "the download to start")
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            proc.kill()
        assert not target.exists() and len(_parts(net)) == 1  # only the dead process's temporary file
        server.faults.clear()
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
        assert _parts(net) == [] and leftovers(net, {target}) == []
        st["outcome"] = "no target written; stale .part removed by the next fetch; verified file"


def test_interrupted_download_cleans_up(server, net, fault_log, monkeypatch):
    """Ctrl-C (SIGINT → KeyboardInterrupt, what Jupyter's 'interrupt kernel' sends) mid-download removes the
    temporary file at once."""
    monkeypatch.setenv("TLCOURSE_TIMEOUT", "30")
    a = serve(server, "interrupted.bin", PAYLOAD)
    server.faults["/interrupted.bin"] = "gated"
    target = assets.locate(a)
    with fault_log.trial("download interrupted (SIGINT / KeyboardInterrupt)") as st:
        proc = _spawn(a)
        try:
            _wait_for(lambda: _parts(net), 60, "the download to start")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        assert "KeyboardInterrupt" in err
        assert not target.exists() and _parts(net) == []
        server.faults.clear()
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
        st["outcome"] = "temporary file removed at once; verified file on the next try"


# --------------------------------------------------------------------------- local disk faults

def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return r.returncode == 0


def _umount(path: Path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_disk_full_enospc(server, net, fault_log, tmp_path, monkeypatch):
    """A real full disk: a 64 KiB tmpfs (needs root; CI runs as root here). Download and mirror copy both
    end in a clear message and leave nothing behind; with space again, the fetch succeeds."""
    small = tmp_path / "small disk"
    if not _mount_tmpfs(small, "size=64k"):
        pytest.skip("cannot mount a small tmpfs here (not root); test_file_size_limit_efbig covers a write error")
    try:
        monkeypatch.setenv("TLCOURSE_DATA", str(small))
        a = serve(server, "big.bin", PAYLOAD)
        with fault_log.trial("disk full (ENOSPC) during download") as st:
            with pytest.raises(AssetError) as err:
                assets.fetch(a.name, progress=False)
            msg = str(err.value)
            assert "disk is full" in msg and str(assets.locate(a)) in msg and "TLCOURSE_DATA" in msg, msg
            assert server.hits["/big.bin"] == 1, "a full disk is not retried like a network error"
            assert leftovers(small, set()) == []
            st["outcome"], st["detail"] = "clear AssetError", msg.splitlines()[0]

        mirror = tmp_path / "mirror"
        (mirror / "rel").mkdir(parents=True)
        (mirror / "rel" / "big.bin").write_bytes(PAYLOAD)
        monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
        with fault_log.trial("disk full (ENOSPC) while copying from the mirror") as st:
            with pytest.raises(AssetError, match="disk is full"):
                assets.fetch(a.name, progress=False)
            assert leftovers(small, set()) == []
            subprocess.run(["mount", "-o", "remount,size=2m", str(small)], check=True)
            assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
            st["outcome"] = "clear AssetError; verified file once space was freed"
    finally:
        _umount(small)


def test_file_size_limit_efbig(server, net, fault_log):
    """A real write error without root: a child process with RLIMIT_FSIZE of 64 KiB gets EFBIG while
    writing the download; it reports a clear message and leaves no partial file."""
    a = serve(server, "limited.bin", PAYLOAD)
    target = assets.locate(a)

    def limit():
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get an EFBIG error instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))

    with fault_log.trial("file-size limit (EFBIG) during download") as st:
        proc = _spawn(a, preexec=limit)
        out, err = proc.communicate(timeout=120)
        result = json.loads(out.strip().splitlines()[-1])
        assert "error" in result, (out, err)
        assert "file-size limit" in result["error"] and str(target) in result["error"]
        assert not target.exists() and leftovers(net, set()) == []
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
        st["outcome"], st["detail"] = "clear AssetError, then verified file", result["error"].splitlines()[0]


def _chmod_stops_writes(tmp: Path) -> bool:
    """False for root with CAP_DAC_OVERRIDE, who writes into a chmod 0o555 folder anyway."""
    import shutil
    import tempfile

    probe = Path(tempfile.mkdtemp(dir=tmp, prefix="chmod-probe-"))
    probe.chmod(0o555)
    try:
        (probe / "x").write_bytes(b"")
        return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)


@contextlib.contextmanager
def read_only_folder(path: Path, files: dict[str, bytes] | None = None):
    """A folder that cannot be written: chmod 0o555 for ordinary users; as root (who ignores permissions)
    a read-only tmpfs mount."""
    path.mkdir(parents=True, exist_ok=True)
    if _chmod_stops_writes(path.parent):
        for rel, data in (files or {}).items():
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / rel).write_bytes(data)
        for p in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
            p.chmod(0o555)
        try:
            yield
        finally:
            for p in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
                p.chmod(0o755)
        return
    if not _mount_tmpfs(path, "size=4m"):
        pytest.skip("running as root (chmod does not stop root) and cannot mount a read-only tmpfs")
    try:
        for rel, data in (files or {}).items():
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / rel).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield
    finally:
        _umount(path)


def test_read_only_cache(server, net, fault_log, tmp_path, monkeypatch):
    a = serve(server, "ro.bin", PAYLOAD)
    ro = tmp_path / "read-only cache"
    monkeypatch.setenv("TLCOURSE_DATA", str(ro))
    with fault_log.trial("read-only cache folder, file missing") as st:
        with read_only_folder(ro):
            with pytest.raises(AssetError) as err:
                assets.fetch(a.name, progress=False)
            msg = str(err.value)
            assert "not writable" in msg or "cannot be written" in msg, msg
            assert "TLCOURSE_DATA" in msg and str(assets.locate(a)) in msg
            assert server.hits["/ro.bin"] == 0
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD  # writable again: it works
        st["outcome"], st["detail"] = "clear AssetError, then verified file", msg.splitlines()[0]

    ro2 = tmp_path / "shared classroom cache"
    monkeypatch.setenv("TLCOURSE_DATA", str(ro2))
    with fault_log.trial("read-only cache folder holding a verified copy") as st:
        with read_only_folder(ro2, {"rel/ro.bin": PAYLOAD}):
            n = server.hits["/ro.bin"]
            assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
            assert server.hits["/ro.bin"] == n
        st["outcome"] = "verified file read from the read-only cache"


def test_cache_path_under_a_file(server, net, fault_log, tmp_path, monkeypatch):
    """TLCOURSE_DATA pointing below a file (a typo, or a file where a folder should be): a clear message."""
    blocker = tmp_path / "not a folder"
    blocker.write_text("I am a file")
    monkeypatch.setenv("TLCOURSE_DATA", str(blocker / "cache"))
    a = serve(server, "nd.bin", PAYLOAD)
    with fault_log.trial("cache path below a file (ENOTDIR)") as st:
        with pytest.raises(AssetError) as err:
            assets.fetch(a.name, progress=False)
        msg = str(err.value)
        assert "TLCOURSE_DATA" in msg and str(assets.locate(a)) in msg, msg
        assert blocker.read_text() == "I am a file"
        monkeypatch.setenv("TLCOURSE_DATA", str(tmp_path / "cache2"))
        assert assets.fetch(a.name, progress=False).read_bytes() == PAYLOAD
        st["outcome"], st["detail"] = "clear AssetError, then verified file", msg.splitlines()[0]


def test_spaces_and_non_ascii_paths(server, net, fault_log, tmp_path, monkeypatch):
    """Cache, mirror and extraction folders with spaces, accents and non-Latin letters work end to end."""
    cache = tmp_path / "données d'été" / "my cache 数据"
    mirror = tmp_path / "miroir à jour"
    monkeypatch.setenv("TLCOURSE_DATA", str(cache))
    a = serve(server, "pets.zip", ZIP, filename="jeux de données/pets ü.zip")
    path = assets.fetch(a.name, progress=False)
    assert path == cache / "jeux de données" / "pets ü.zip" and path.read_bytes() == ZIP
    out = assets.extract(path)
    assert (out / "pets" / "cats" / "a.bin").read_bytes() == PAYLOAD[:100_000]
    assert assets.extract(path) == out  # a second call reuses the complete extraction
    # the same file from a mirror with such a path, offline, into a fresh cache
    (mirror / "jeux de données").mkdir(parents=True)
    (mirror / "jeux de données" / "pets ü.zip").write_bytes(ZIP)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_DATA", str(tmp_path / "autre cache é"))
    assert assets.fetch(a.name, progress=False).read_bytes() == ZIP


def test_fetch_from_the_command_line_reports_errors(server, net):
    """`python -m tlcourse fetch NAME` exits 1 with the same message (no traceback) on an unknown name."""
    r = subprocess.run([sys.executable, "-m", "tlcourse", "fetch", "no-such-asset"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and "Known assets" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- Zenodo: the publisher's md5

class ZenodoAPI:
    """A real HTTP server playing Zenodo: GET /api/records/<id> lists the files with md5 and size."""

    def __init__(self, files: dict[str, bytes], record="123", served: dict[str, bytes] | None = None):
        self.hits = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                api.hits += 1
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == f"/api/records/{record}":
                    body = json.dumps({"id": int(record), "files": [
                        {"key": k, "size": len(v), "checksum": "md5:" + hashlib.md5(v).hexdigest(),
                         "links": {"self": f"{base}/api/records/{record}/files/{k}/content"}}
                        for k, v in files.items()]}).encode()
                else:
                    name = self.path.split("/files/")[-1].removesuffix("/content")
                    body = (served or files).get(name)
                    if body is None:
                        return self.send_error(404)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def zenodo_env(tmp_path, monkeypatch):
    """Online (to 127.0.0.1 only), no mirror, a private course cache, a private copy of the registry."""
    monkeypatch.setenv("TLCOURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "0")
    monkeypatch.setenv("TLCOURSE_TIMEOUT", "5")
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.setattr(assets, "ASSETS", dict(assets.ASSETS))
    return tmp_path


def flipped(data: bytes, n: int = 3) -> bytes:
    bad = bytearray(data)
    for i in range(n):
        bad[len(bad) // 3 + 997 * i] ^= 0x20
    return bytes(bad)


def test_zenodo_doi_checks_the_published_md5(zenodo_env, monkeypatch, fault_log):
    data = random.Random(10).randbytes(20_000)
    assets.ASSETS["z.npy"] = Asset(name="z.npy", url="doi:10.5281/zenodo.123/train_images.npy", filename="t/z.npy",
                                   size=None, licence="test", source="test")
    api = ZenodoAPI({"train_images.npy": data}, served={"train_images.npy": flipped(data)})
    monkeypatch.setenv("TLCOURSE_ZENODO_API", api.base)
    try:
        with fault_log.trial("zenodo: served file differs from the record's md5") as st:
            with pytest.raises(AssetError, match="failed verification") as err:
                assets.fetch("z.npy", progress=False)
            assert hashlib.md5(data).hexdigest() in str(err.value)
            assert not assets.locate(assets.get("z.npy")).exists()
            st["outcome"] = "refused against Zenodo's md5"
    finally:
        api.close()
    api = ZenodoAPI({"train_images.npy": data})
    monkeypatch.setenv("TLCOURSE_ZENODO_API", api.base)
    try:
        path = assets.fetch("z.npy", progress=False)
        assert path.read_bytes() == data
    finally:
        api.close()
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")  # later, offline: the copy checked against Zenodo is a cache hit
    assert assets.fetch("z.npy", progress=False).read_bytes() == data
    record = (path.parent / ".tlcourse-hashes" / f"{path.name}.sha256").read_text()
    assert record.split()[:3] == [hashlib.sha256(data).hexdigest(), path.name, "publisher"]
