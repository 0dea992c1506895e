"""Faults of shared caches and mirrors: files another user must read, every form of SHA256SUMS, a mirror rebuilt for
a few names, errors that must name their real cause, and the command line's messages.

Permissions are tested for real: the test session runs as root (who ignores file permissions), so the "other user"
is a child process run as ``nobody`` with ``setpriv`` (skipped where that is impossible). Everything else uses real
files, real checksum tools (``sha256sum``, ``shasum``, ``openssl``) and real ``python -m tlcourse`` processes. Each
fault is recorded in the session's fault log (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tlcourse import assets
from tlcourse.assets import Asset, AssetError, AssetMissing

SRC = Path(assets.__file__).resolve().parents[1]  # the tlcourse under test, also in child processes
SHARED_MIRROR = os.environ.get("TLCOURSE_MIRROR")  # read before any fixture unsets it
NOBODY = 65534


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shared_mirror_or_skip() -> Path:
    if not SHARED_MIRROR or not (Path(SHARED_MIRROR) / "SHA256SUMS").is_file():
        pytest.skip("needs the shared mirror (CI sets TLCOURSE_MIRROR)")
    return Path(SHARED_MIRROR)


def can_be_nobody() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


@pytest.fixture
def shared_tmp():
    """A folder every user can enter (pytest's tmp_path is private to root), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="tlcourse-shared-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run_py(code: str, env: dict, *, nobody=False, umask=0o022, args=()) -> subprocess.CompletedProcess:
    """Run ``code`` (or ``-m tlcourse`` when code is None) in a fresh Python, as ``nobody`` if asked."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("TLCOURSE_") and k != "KERAS_HOME"}
    full.update({"PYTHONPATH": f"{SRC}{os.pathsep}{full.get('PYTHONPATH', '')}", "PYTHONUNBUFFERED": "1",
                 "TLCOURSE_OFFLINE": "1", **env})
    cmd = [sys.executable, *(["-m", "tlcourse"] if code is None else ["-c", code]), *args]
    if nobody:
        full["HOME"] = "/nonexistent"
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=300, cwd="/",
                          preexec_fn=lambda: os.umask(umask))


_FETCH = """
import json, sys, warnings
warnings.simplefilter("ignore")
from tlcourse import assets
try:
    print("RESULT " + json.dumps({"path": str(assets.fetch(sys.argv[1], progress=False))}))
except assets.AssetError as err:
    print("RESULT " + json.dumps({"error": str(err), "type": type(err).__name__}))
"""


def fetch_in_child(name: str, env: dict, **kw) -> dict:
    r = run_py(_FETCH, env, args=(name,), **kw)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"child failed (rc {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return json.loads(lines[-1][7:])


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# --------------------------------------------------------------------------- 2. files others must read

def test_a_mirror_and_a_cache_made_by_one_user_are_readable_by_another(shared_tmp, fault_log):
    """The teacher (root, umask 022) builds a mirror with `python -m tlcourse mirror` and fills a shared KERAS_HOME
    and course cache; a student (the real user nobody) then fetches from that mirror and reads that KERAS_HOME."""
    source = shared_mirror_or_skip()
    mirror, keras_home, data = shared_tmp / "mirror", shared_tmp / "keras", shared_tmp / "data"
    teacher = {"TLCOURSE_MIRROR": str(source), "TLCOURSE_DATA": str(data), "KERAS_HOME": str(keras_home)}
    r = run_py(None, teacher, args=("mirror", str(mirror), "mnist-test-labels", "mnist-test-images"))
    assert r.returncode == 0, r.stderr
    r = run_py(None, teacher, args=("fetch", "mobilenet_0.25_224_no_top"))
    assert r.returncode == 0, r.stderr
    written = [mirror / "SHA256SUMS", mirror / "mnist" / "t10k-labels-idx1-ubyte.gz",
               data / "mnist" / "t10k-labels-idx1-ubyte.gz", keras_home / "models" / "mobilenet_2_5_224_tf_no_top.h5"]
    with fault_log.trial("sharing: files written by one user (umask 022) are 0644") as st:
        modes = {str(p.relative_to(shared_tmp)): oct(mode(p)) for p in written}
        assert set(modes.values()) == {"0o644"}, modes
        st["outcome"] = "0644, as the umask asks"
    if not can_be_nobody():
        pytest.skip("not root, or no setpriv: cannot run the second user")
    student = shared_tmp / "student"
    student.mkdir(mode=0o777)
    student.chmod(0o777)
    env = {"TLCOURSE_MIRROR": str(mirror), "TLCOURSE_DATA": str(student / "data"), "KERAS_HOME": str(keras_home)}
    with fault_log.trial("sharing: another user fetches from a mirror made with `tlcourse mirror`") as st:
        got = fetch_in_child("mnist-test-labels", env, nobody=True)
        assert got.get("path") == str(student / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz"), got
        st["outcome"] = "verified copy from the other user's mirror"
    with fault_log.trial("sharing: another user reads a shared KERAS_HOME") as st:
        got = fetch_in_child("mobilenet_0.25_224_no_top", env, nobody=True)
        assert got.get("path") == str(keras_home / "models" / "mobilenet_2_5_224_tf_no_top.h5"), got
        st["outcome"] = "verified file read from the shared KERAS_HOME"


def test_an_extraction_by_one_user_is_readable_by_another(shared_tmp, fault_log):
    import zipfile

    archive = shared_tmp / "pets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pets/cats/a.txt", "meow")
    r = run_py("import sys; from tlcourse import assets; print(assets.extract(sys.argv[1]))", {}, args=(archive,))
    assert r.returncode == 0, r.stderr
    out = Path(r.stdout.strip())
    with fault_log.trial("sharing: an extracted folder is readable by the others") as st:
        assert oct(mode(out)) == "0o755" and oct(mode(out / "pets" / "cats" / "a.txt")) == "0o644"
        if can_be_nobody():
            r = run_py("import sys; print(open(sys.argv[1]).read())", {}, nobody=True,
                       args=(out / "pets" / "cats" / "a.txt",))
            assert r.stdout.strip() == "meow", r.stderr
        st["outcome"] = "0755 folder, 0644 files"


# --------------------------------------------------------------------------- 4. every form of SHA256SUMS

@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Offline, a private course cache, a private mirror folder (TLCOURSE_MIRROR), a private copy of the registry."""
    monkeypatch.setenv("TLCOURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    mirror = tmp_path / "mirror"
    (mirror / "t").mkdir(parents=True)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setattr(assets, "ASSETS", dict(assets.ASSETS))
    return mirror


GENUINE = b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 300


def register(name: str, payload: bytes | None, **kw) -> Asset:
    a = Asset(name=name, url=f"https://example.invalid/{name}", filename=f"t/{name}",
              size=len(payload) if payload is not None else None, licence="test", source="test", **kw)
    assets.ASSETS[name] = a
    return a


def flip(data: bytes) -> bytes:
    bad = bytearray(data)
    for i in range(3):
        bad[len(bad) // 3 + 997 * i] ^= 0x20
    return bytes(bad)


SUM_TOOLS = {
    "sha256sum ./path": ["sha256sum", "./t/w.h5"],
    "sha256sum -b": ["sha256sum", "-b", "t/w.h5"],
    "sha256sum --tag": ["sha256sum", "--tag", "t/w.h5"],
    "sha256sum absolute path": ["sha256sum", "{mirror}/t/w.h5"],
    "shasum -a 256": ["shasum", "-a", "256", "t/w.h5"],
    "shasum -a 256 -U ./path": ["shasum", "-a", "256", "-U", "./t/w.h5"],
    "shasum -a 256 --tag": ["shasum", "-a", "256", "--tag", "t/w.h5"],
    "openssl dgst -sha256": ["openssl", "dgst", "-sha256", "t/w.h5"],
    "openssl dgst -sha256 -r": ["openssl", "dgst", "-sha256", "-r", "./t/w.h5"],
    "edited on Windows (CRLF, BOM, upper case, backslashes)": None,
}


@pytest.mark.parametrize("tool", list(SUM_TOOLS))
def test_every_common_sha256sums_form_is_read(tool, offline, fault_log):
    """SHA256SUMS written by each common tool: a copy with 3 flipped bytes is refused (never recorded first-seen),
    the genuine copy is accepted."""
    cmd = SUM_TOOLS[tool]
    if cmd is not None and shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} is not installed")
    register("w.h5", GENUINE)  # a known size, no checksum anywhere but the mirror's list
    (offline / "t" / "w.h5").write_bytes(GENUINE)
    if cmd is None:
        text = f"\ufeff{_sha(GENUINE).upper()}  t\\w.h5\r\n"
    else:
        r = subprocess.run([c.format(mirror=offline) for c in cmd], cwd=offline, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        text = r.stdout
    (offline / "SHA256SUMS").write_text(f"{_sha(b'other')}  t/other.bin\n{text}", encoding="utf-8")
    (offline / "t" / "w.h5").write_bytes(flip(GENUINE))
    with fault_log.trial(f"SHA256SUMS by {tool}: a copy with flipped bytes") as st:
        try:
            got = assets.fetch("w.h5", progress=False)
            st["corrupt"] = int(got.read_bytes() != GENUINE)
            pytest.fail(f"accepted a corrupt copy; SHA256SUMS was {text!r}")
        except AssetError as err:
            assert "failed verification" in str(err) and _sha(GENUINE) in str(err), err
        (offline / "t" / "w.h5").write_bytes(GENUINE)
        assert assets.fetch("w.h5", progress=False).read_bytes() == GENUINE
        st["outcome"] = "refused against the listed sha256; genuine copy accepted"


@pytest.mark.parametrize("line,words", [
    ("this is not a checksum", "line 2"),
    (f"{hashlib.md5(GENUINE).hexdigest()}  t/w.h5", "MD5 is not a SHA-256"),
    (f"{_sha(b'x')}  ./t/w.h5", "lines 1 and 2"),
])
def test_a_sha256sums_line_the_course_cannot_use_is_named(line, words, offline, fault_log):
    register("w.h5", GENUINE)
    (offline / "t" / "w.h5").write_bytes(flip(GENUINE))
    (offline / "SHA256SUMS").write_bytes(f"{_sha(GENUINE)}  t/w.h5\n{line}\n".encode())
    with fault_log.trial(f"SHA256SUMS with a line it cannot use ({words})") as st:
        try:
            got = assets.fetch("w.h5", progress=False)
            st["corrupt"] = int(got.read_bytes() != GENUINE)
            pytest.fail("a SHA256SUMS with an unusable line was used anyway")
        except AssetError as err:
            msg = str(err)
            assert str(offline / "SHA256SUMS") in msg and words in msg and "What to do" in msg, msg
        st["outcome"] = "AssetError naming the file and the line"


# --------------------------------------------------------------------------- 5. mirroring a few names keeps the rest

def test_mirroring_some_names_keeps_the_other_checksums(shared_tmp, fault_log):
    source = shared_mirror_or_skip()
    mirror = shared_tmp / "mirror"
    env = {"TLCOURSE_MIRROR": str(source), "TLCOURSE_DATA": str(shared_tmp / "data")}
    r = run_py(None, env, args=("mirror", str(mirror), "mnist-test-labels", "emnist-balanced-mapping"))
    assert r.returncode == 0, r.stderr
    (mirror / "extra").mkdir()
    (mirror / "extra" / "notes.txt").write_text("the teacher's own file")
    with open(mirror / "SHA256SUMS", "a") as f:  # added by hand, as sha256sum writes it
        f.write(subprocess.run(["sha256sum", "./extra/notes.txt"], cwd=mirror, capture_output=True, text=True).stdout)
    before = assets.read_sums(mirror)
    with fault_log.trial("mirror: `tlcourse mirror DIR NAME` on an existing mirror") as st:
        r = run_py(None, env, args=("mirror", str(mirror), "mnist-test-labels"))
        assert r.returncode == 0, r.stderr
        after = assets.read_sums(mirror)
        st["lost"] = len(set(before) - set(after))
        assert after == before and set(after) == {"mnist/t10k-labels-idx1-ubyte.gz", "extra/notes.txt",
                                                  "emnist/emnist-balanced-mapping.txt"}, after
        st["outcome"] = "the entry it wrote updated, every other entry kept"


# --------------------------------------------------------------------------- 3. errors that name the real cause

def test_an_unreadable_cached_file_is_named_as_unreadable(shared_tmp, fault_log):
    """A cached file only its owner may read (0600), fetched by another user: 'cannot be read', not 'the cache
    folder cannot be written'; the command line says so too, in one message."""
    if not can_be_nobody():
        pytest.skip("not root, or no setpriv: cannot run the second user")
    data = shared_tmp / "data"
    (data / "mnist").mkdir(parents=True)
    data.chmod(0o777)
    (data / "mnist").chmod(0o777)
    src = shared_mirror_or_skip() / "mnist" / "t10k-labels-idx1-ubyte.gz"
    cached = data / "mnist" / "t10k-labels-idx1-ubyte.gz"
    cached.write_bytes(src.read_bytes())
    cached.chmod(0o600)
    with fault_log.trial("permissions: a cached file the user may not read") as st:
        got = fetch_in_child("mnist-test-labels", {"TLCOURSE_DATA": str(data)}, nobody=True)
        msg = got.get("error", "")
        assert got.get("type") == "AssetError" and "cannot be read" in msg and str(cached) in msg, got
        assert "cannot be written" not in msg and "chmod a+r" in msg, msg
        r = run_py(None, {"TLCOURSE_DATA": str(data)}, nobody=True, args=("fetch", "mnist-test-labels"))
        assert r.returncode == 1 and "cannot be read" in r.stderr and "Traceback" not in r.stderr, r.stderr
        st["lost"] = int(cached.read_bytes() != src.read_bytes())
        st["outcome"] = "AssetError: the file cannot be read (owner, mode, chmod a+r)"


def test_a_folder_where_a_file_should_be(offline, fault_log):
    payload = b"genuine bytes" * 100
    a = register("f.bin", payload, sha256=_sha(payload))
    (offline / "t" / "f.bin").write_bytes(payload)
    target = assets.locate(a)
    (target / "inside").mkdir(parents=True)
    (target / "inside" / "mine.txt").write_text("kept")
    with fault_log.trial("cache: a folder where the cached file should be") as st:
        with pytest.raises(AssetError) as err:
            assets.fetch("f.bin", progress=False)
        assert "is a folder" in str(err.value) and str(target) in str(err.value), err.value
        assert "cannot be written" not in str(err.value)
        st["lost"] = int(not (target / "inside" / "mine.txt").is_file())
        st["outcome"] = "AssetError naming the folder, which is kept"
    (target / "inside" / "mine.txt").unlink()
    (target / "inside").rmdir()
    target.rmdir()
    (offline / "t" / "f.bin").unlink()
    (offline / "t" / "f.bin").mkdir()
    with fault_log.trial("mirror: a folder where the mirror's file should be") as st:
        with pytest.raises(AssetError) as err:
            assets.fetch("f.bin", progress=False)
        assert not isinstance(err.value, AssetMissing), "a broken mirror is not a missing file (no stand-in)"
        assert "is a folder" in str(err.value) and str(offline / "t" / "f.bin") in str(err.value), err.value
        st["outcome"] = "AssetError naming the mirror's folder, not a stand-in"


def test_damaged_cats_zip_is_named_damaged_not_a_size_mismatch(tmp_path, monkeypatch, fault_log):
    source = shared_mirror_or_skip() / "keras" / "datasets" / "cats_and_dogs_filtered.zip"
    if not source.is_file():
        pytest.skip("the shared mirror has no cats_and_dogs_filtered.zip")
    mirror = tmp_path / "mirror"
    (mirror / "keras" / "datasets").mkdir(parents=True)
    (mirror / "keras" / "datasets" / source.name).write_bytes(flip(source.read_bytes()))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setattr(assets, "keras_home", lambda: tmp_path / "keras")
    with fault_log.trial("mirror: cats_and_dogs zip with 3 flipped bytes") as st:
        with pytest.raises(AssetError) as err:
            got = assets.fetch("cats_and_dogs_filtered.zip", progress=False)
            st["corrupt"] = 1
            raise AssertionError(got)
        msg = str(err.value)
        assert "content is damaged" in msg and "registry says" not in msg, msg
        assert not (tmp_path / "keras" / "datasets" / source.name).exists()
        st["outcome"] = "refused: the content is damaged (not a size mismatch)"


def test_a_doi_is_not_offered_as_a_url(offline):
    with pytest.raises(AssetMissing) as err:
        assets.fetch("dollar-street-train-images", progress=False)
    msg = str(err.value)
    assert "URL:           https://zenodo.org/records/10970014/files/train_images.npy?download=1" in msg, msg
    assert "URL:           doi:" not in msg


# --------------------------------------------------------------------------- 9. the command line: one message

def test_the_command_line_never_prints_a_traceback(shared_tmp, fault_log):
    """`python -m tlcourse mirror DIR` into a folder the user may not write (as nobody), and with a SHA256SUMS that is
    a folder: one message and exit 1."""
    source = shared_mirror_or_skip()
    bad = shared_tmp / "sums is a folder"
    (bad / "SHA256SUMS").mkdir(parents=True)
    cases = [("SHA256SUMS is a folder", bad, False, "is a folder")]
    if can_be_nobody():
        (shared_tmp / "teacher's mirror").mkdir()
        cases.append(("mirror folder not writable", shared_tmp / "teacher's mirror", True, "cannot be written"))
    student = shared_tmp / "student"
    student.mkdir()
    student.chmod(0o777)
    for fault, folder, nobody, words in cases:
        with fault_log.trial(f"command line: {fault}") as st:
            r = run_py(None, {"TLCOURSE_MIRROR": str(source), "TLCOURSE_DATA": str(student / "data")},
                       nobody=nobody, args=("mirror", str(folder), "mnist-test-labels"))
            assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
            assert r.stderr.startswith("error: ") and words in r.stderr and str(folder) in r.stderr, r.stderr
            st["outcome"] = "one message, exit 1"


# --------------------------------------------------------------------------- 8. file names that are not UTF-8

_SCAN = """
import sys
from tlcourse import checks
scan = checks.scan_image_folder(sys.argv[1], action="quarantine", workers=1)
print("FLAGGED", len(scan.bad))
"""


def test_non_utf8_file_names_are_flagged_and_printed(tmp_path, fault_log):
    """An image folder with file names in Latin-1 (one an empty file, one a good JPEG), scanned under a strict
    UTF-8 stdout: no crash, both flagged (Keras cannot open either) and moved, names printed with \\\\xNN escapes."""
    from PIL import Image

    folder = tmp_path / "photos"
    (folder / "cats").mkdir(parents=True)
    Image.new("RGB", (8, 8), "red").save(folder / "cats" / "good.jpg")
    cats = os.fsencode(folder / "cats")
    with open(cats + b"/caf\xe9.jpg", "wb") as f:
        f.write((folder / "cats" / "good.jpg").read_bytes())
    open(cats + b"/vide\xe9.jpg", "wb").close()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": f"{SRC}{os.pathsep}"
           f"{os.environ.get('PYTHONPATH', '')}"}
    with fault_log.trial("image folder: file names that are not UTF-8, strict UTF-8 stdout") as st:
        r = subprocess.run([sys.executable, "-c", _SCAN, str(folder)], env=env, capture_output=True, text=True,
                           errors="backslashreplace", timeout=120)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
        assert "FLAGGED 2" in r.stdout and "caf\\xe9.jpg" in r.stdout and "not valid UTF-8" in r.stdout, r.stdout
        moved = sorted(os.listdir(os.fsencode(tmp_path / "photos_quarantine" / "cats")))
        st["lost"] = int(moved != [b"caf\xe9.jpg", b"vide\xe9.jpg"])
        assert sorted(os.listdir(folder / "cats")) == ["good.jpg"], moved
        st["outcome"] = "flagged and moved, printed with escapes"
