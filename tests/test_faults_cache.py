"""Faults in the caches, the mirror and the settings: no damaged file is ever accepted, no good file is ever deleted,
no error is disguised as a missing file.

Real files (the mirror's genuine MobileNet weights and EMNIST mapping, where CI provides them), real Keras in child
processes (Keras reads KERAS_HOME once, at import), a real read-only bind mount in a private mount namespace. Each
fault is recorded in the session's fault log (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tlcourse import assets, datasets
from tlcourse.assets import Asset, AssetError, AssetMissing

H5 = "mobilenet_2_5_224_tf_no_top.h5"
RNG = random.Random(10)
SHARED_MIRROR = os.environ.get("TLCOURSE_MIRROR")  # read before any fixture unsets it


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Offline, no mirror, a private course cache, a private copy of the registry."""
    monkeypatch.setenv("TLCOURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    monkeypatch.setattr(assets, "ASSETS", dict(assets.ASSETS))
    return tmp_path


def register(name: str, payload: bytes | None = None, **kw) -> Asset:
    kw.setdefault("size", len(payload) if payload is not None else None)
    a = Asset(name=name, url=kw.pop("url", f"https://example.invalid/{name}"), filename=f"t/{name}",
              licence="test", source="test", **kw)
    assets.ASSETS[name] = a
    return a


def mirror_with(root: Path, files: dict[str, bytes], sums: bool) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    if sums:
        (root / "SHA256SUMS").write_text("".join(f"{_sha(d)}  {rel}\n" for rel, d in files.items()))
    return root


def flip(data: bytes, n: int = 3) -> bytes:
    bad = bytearray(data)
    for i in range(n):
        bad[len(bad) // 3 + 997 * i] ^= 0x20
    return bytes(bad)


def zip_of(entries: dict[str, bytes], level: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", level) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def quarantined(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.rglob("*") if p.is_file() and "_quarantine" in str(p.relative_to(tmp)))


def shared_file(rel: str) -> bytes:
    mirror = SHARED_MIRROR
    if not mirror or not (Path(mirror) / rel).is_file():
        pytest.skip(f"needs the shared mirror's {rel} (CI sets TLCOURSE_MIRROR)")
    return (Path(mirror) / rel).read_bytes()


# --------------------------------------------------------------------------- child processes

_CHILD = """
import json, sys
from tlcourse import assets
out = {}
try:
    get = assets.fetch if sys.argv[3] == "fetch" else assets.keras_weights
    out["path"] = str(get(sys.argv[1]))
    if sys.argv[2] == "keras" and out["path"] != "None":
        import keras
        m = keras.applications.MobileNet(alpha=0.25, include_top=False, weights="imagenet", input_shape=(224, 224, 3))
        out["params"] = int(m.count_params())
except assets.AssetError as err:
    out["error"], out["type"] = str(err), type(err).__name__
print("RESULT " + json.dumps(out), flush=True)
"""


def child(env: dict, name="mobilenet_0.25_224_no_top", keras=False, ro: Path | None = None, how="weights") -> dict:
    """Run ``keras_weights(name)`` (``how="fetch"``: ``fetch(name)``; ``keras=True``: then build MobileNet with
    ImageNet weights) in a child process with ``env``. With ``ro``, KERAS_HOME is a read-only bind mount of ``ro`` in
    a private mount namespace whose /tmp/.keras (Keras's fallback cache) is a private tmpfs; the rest of /tmp stays
    visible, since the virtual environment or the clone may live there."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("TLCOURSE_")}
    full.update({"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", "TLCOURSE_OFFLINE": "1", **env})
    cmd = [sys.executable, "-c", _CHILD, name, "keras" if keras else "-", how]
    if ro is not None:
        shell = ('set -e; mount --make-rprivate /; mount -t tmpfs tmpfs /srv; mkdir /srv/keras /srv/mirror; '
                 'mount --bind -o ro "$RO" /srv/keras; [ -z "$TLCOURSE_MIRROR" ] || '
                 'mount --bind "$TLCOURSE_MIRROR" /srv/mirror; '
                 'mkdir -p /tmp/.keras; mount -t tmpfs tmpfs /tmp/.keras; '
                 '[ -z "$TLCOURSE_MIRROR" ] || export TLCOURSE_MIRROR=/srv/mirror; exec "$@"')
        full.update({"RO": str(ro), "KERAS_HOME": "/srv/keras"})
        cmd = ["unshare", "-m", "sh", "-c", shell, "sh", *cmd]
    r = subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=600)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"child failed (rc {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return {**json.loads(lines[-1][7:]), "stdout": r.stdout}


def can_mount_ro(tmp: Path) -> bool:
    d = tmp / "probe"
    d.mkdir(exist_ok=True)
    r = subprocess.run(["unshare", "-m", "sh", "-c", f'mount --bind -o ro "{d}" "{d}" && ! touch "{d}/x" 2>/dev/null'],
                       capture_output=True)
    return r.returncode == 0


# --------------------------------------------------------------------------- every path checks size and hash

def test_half_h5_placed_by_hand_is_refused_and_kept(tmp_path, fault_log):
    """The first half of the genuine MobileNet .h5 saved by hand in KERAS_HOME/models is refused (size
    and sha256), moved to a quarantine folder (not deleted), and with the genuine file Keras builds the model."""
    genuine = shared_file(f"keras/models/{H5}")
    kh = tmp_path / "keras"
    (kh / "models").mkdir(parents=True)
    (kh / "models" / H5).write_bytes(genuine[: len(genuine) // 2])
    with fault_log.trial("by hand: first half of the MobileNet .h5 in KERAS_HOME/models") as st:
        got = child({"KERAS_HOME": str(kh)}, how="fetch")
        st["corrupt"] = int("path" in got)  # accepted: a corrupt file would reach Keras
        assert got.get("type") == "AssetError", got
        assert "size 1,054,070 bytes, the registry says 2,108,140" in got["error"], got["error"]
        kept = quarantined(tmp_path)
        assert len(kept) == 1 and kept[0].read_bytes() == genuine[: len(genuine) // 2]
        assert str(kept[0]) in got["error"]  # says where it went
        st["outcome"] = "refused, moved to quarantine, clear AssetError"
    (kh / "models" / H5).write_bytes(genuine)  # the user saves the genuine file: real Keras loads it offline
    got = child({"KERAS_HOME": str(kh)}, keras=True)
    assert got["path"] == str(kh / "models" / H5) and got["params"] == 218_544, got


def test_half_emnist_mapping_is_refused(offline, monkeypatch, fault_log):
    """Half of the EMNIST mapping file in the cache is refused (emnist_classes would return 25 classes)."""
    genuine = shared_file("emnist/emnist-balanced-mapping.txt")
    assert len(datasets.parse_mapping(genuine.decode("ascii"))) == 47
    target = assets.locate(assets.get("emnist-balanced-mapping"))
    target.parent.mkdir(parents=True)
    target.write_bytes(genuine[:164])
    with fault_log.trial("by hand: half of the EMNIST mapping in the cache") as st:
        try:
            classes = datasets.emnist_classes()
            st["corrupt"] = 1
            pytest.fail(f"accepted: {len(classes)} classes")
        except AssetError as err:
            assert not isinstance(err, AssetMissing) and "size 164 bytes" in str(err), err
        mirror = mirror_with(offline / "mirror", {"emnist/emnist-balanced-mapping.txt": genuine}, sums=False)
        monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
        assert len(datasets.emnist_classes()) == 47  # the quarantined half made room for the genuine file
        assert [p.read_bytes() for p in quarantined(offline)] == [genuine[:164]]
        st["outcome"] = "refused and quarantined; genuine copy from the mirror next"


# --------------------------------------------------------------------------- a first-seen hash never wins

def test_first_seen_hash_never_outranks_the_mirror(offline, monkeypatch, fault_log):
    """A corrupt copy (3 flipped bytes) from a mirror without SHA256SUMS is recorded first-seen; a later
    run with the genuine mirror (with SHA256SUMS) replaces it instead of keeping it."""
    genuine = b"\x89HDF\r\n\x1a\n" + RNG.randbytes(60_000)
    register("weights.h5", genuine)  # a known size, no checksum anywhere: like MobileNetV2 1.0 160
    bad = mirror_with(offline / "bad mirror", {"t/weights.h5": flip(genuine)}, sums=False)
    good = mirror_with(offline / "good mirror", {"t/weights.h5": genuine}, sums=True)
    with fault_log.trial("first-seen: corrupt copy recorded, then the genuine mirror") as st:
        monkeypatch.setenv("TLCOURSE_MIRROR", str(bad))
        with pytest.warns(UserWarning, match="recorded"):
            assets.fetch("weights.h5", progress=False)  # nothing can tell it is corrupt yet
        monkeypatch.setenv("TLCOURSE_MIRROR", str(good))
        with pytest.warns(UserWarning, match="either the file or the mirror's SHA256SUMS may be wrong"):
            path = assets.fetch("weights.h5", progress=False)
        st["corrupt"] = int(path.read_bytes() != genuine)
        assert path.read_bytes() == genuine
        assert [p.read_bytes() for p in quarantined(offline)] == [flip(genuine)]
        monkeypatch.delenv("TLCOURSE_MIRROR")
        assert assets.fetch("weights.h5", progress=False).read_bytes() == genuine  # now vouched for by the mirror
        st["outcome"] = "corrupt first-seen copy quarantined, genuine mirror copy kept"


def test_first_seen_hash_is_cleared_with_its_file(offline, monkeypatch, fault_log):
    """A recorded first-seen hash goes when its file goes; a valid copy a user then saves at
    the expected path (the error message's advice) is accepted, never deleted."""
    first = zip_of({"pets/a.txt": b"meow"})
    other = zip_of({"pets/a.txt": b"meow"}, zipfile.ZIP_DEFLATED)  # the same content, packed differently
    a = register("pets.zip", None)
    target = assets.locate(a)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror_with(offline / "mirror", {"t/pets.zip": first}, sums=False)))
    with pytest.warns(UserWarning, match="recorded"):
        assets.fetch("pets.zip", progress=False)  # no checksum anywhere: its sha256 is recorded first-seen
    monkeypatch.delenv("TLCOURSE_MIRROR")
    with fault_log.trial("first-seen: damaged cached zip, then a valid copy saved by hand") as st:
        target.write_bytes(first[:-40])  # damaged (cut)
        with pytest.warns(UserWarning, match="failed verification"), pytest.raises(AssetError) as err:
            assets.fetch("pets.zip", progress=False)
        assert not isinstance(err.value, AssetMissing), "a damaged file is not an absent one"
        assert "damaged copy in the cache" in str(err.value) and "was moved to" in str(err.value)
        assert [p.read_bytes() for p in quarantined(offline)] == [first[:-40]]
        target.write_bytes(other)  # the user follows the advice
        with pytest.warns(UserWarning, match="recorded"):
            path = assets.fetch("pets.zip", progress=False)
        st["lost"] = int(not target.exists() or target.read_bytes() != other)
        assert path == target and path.read_bytes() == other
        assert (assets.extract(path) / "pets" / "a.txt").read_bytes() == b"meow"
        st["outcome"] = "damaged copy quarantined, record cleared, the user's valid copy accepted"


# --------------------------------------------------------------------------- never delete what a user placed

def test_wrong_file_placed_by_hand_is_moved_not_deleted(offline, fault_log):
    payload = RNG.randbytes(5000)
    a = register("data.bin", payload, sha256=_sha(payload))
    target = assets.locate(a)
    target.parent.mkdir(parents=True)
    mine = b"the user's own notes, saved here by mistake"
    target.write_bytes(mine)
    with fault_log.trial("by hand: an unrelated file at the expected path") as st:
        with pytest.warns(UserWarning, match="moved to"), pytest.raises(AssetError) as err:
            assets.fetch("data.bin", progress=False)
        kept = quarantined(offline)
        st["lost"] = int([p.read_bytes() for p in kept] != [mine])
        assert str(kept[0]) in str(err.value)
        st["outcome"] = "moved to quarantine, the message says where"


# --------------------------------------------------------------------------- only "absent" is a stand-in

def test_only_an_absent_file_becomes_a_stand_in(tmp_path, fault_log):
    """Offline, keras_weights() returns None only when the file is absent; a corrupt mirror file and a
    KERAS_HOME below a regular file raise their own AssetError."""
    genuine = shared_file(f"keras/models/{H5}")
    with fault_log.trial("offline: weights absent (the one stand-in case)") as st:
        got = child({"KERAS_HOME": str(tmp_path / "k1")})
        assert got == {"path": "None", "stdout": got["stdout"]}
        st["outcome"] = "None (announced stand-in)"
    mirror = mirror_with(tmp_path / "mirror", {f"keras/models/{H5}": flip(genuine)}, sums=False)
    with fault_log.trial("offline: corrupt weights in the mirror") as st:
        got = child({"KERAS_HOME": str(tmp_path / "k2"), "TLCOURSE_MIRROR": str(mirror)})
        st["corrupt"] = int("path" in got and got["path"] != "None")
        assert got.get("type") == "AssetError" and "mirror copy" in got["error"], got
        assert not (tmp_path / "k2" / "models" / H5).exists()
        st["outcome"] = "AssetError naming the mirror copy, not a stand-in"
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with fault_log.trial("offline: KERAS_HOME below a regular file") as st:
        got = child({"KERAS_HOME": str(blocker / "keras")})
        assert got.get("type") == "AssetError" and "KERAS_HOME" in got["error"] and "is a file" in got["error"], got
        assert blocker.read_text() == "not a folder"
        st["outcome"] = "AssetError naming the setting"


def test_read_only_keras_home(tmp_path, fault_log):
    """With a real read-only bind mount: without the file (the mirror has it) the error says the folder is
    read-only; holding the verified file, Keras (which then reads /tmp/.keras) builds the model."""
    if not can_mount_ro(tmp_path):
        pytest.skip("no private mount namespace here (needs CAP_SYS_ADMIN): cannot make a read-only mount")
    genuine = shared_file(f"keras/models/{H5}")
    mirror = mirror_with(tmp_path / "mirror", {f"keras/models/{H5}": genuine}, sums=True)
    empty = tmp_path / "empty keras"
    (empty / "models").mkdir(parents=True)
    with fault_log.trial("offline: read-only KERAS_HOME without the file") as st:
        got = child({"TLCOURSE_MIRROR": str(mirror)}, ro=empty)
        assert got.get("type") == "AssetError" and "read-only" in got["error"] and "KERAS_HOME" in got["error"], got
        st["outcome"] = "AssetError naming the read-only setting, not a stand-in"
    full = tmp_path / "full keras"
    (full / "models").mkdir(parents=True)
    (full / "models" / H5).write_bytes(genuine)
    with fault_log.trial("offline: read-only KERAS_HOME holding the verified file, real Keras") as st:
        got = child({}, keras=True, ro=full)
        assert got.get("params") == 218_544, got
        assert got["path"] == f"/tmp/.keras/models/{H5}" and "is read-only" in got["stdout"], got
        assert (full / "models" / H5).read_bytes() == genuine
        st["outcome"] = "verified copy handed to Keras's fallback folder; the model built offline"


# --------------------------------------------------------------------------- wrong settings

def test_wrong_settings_are_named(offline, monkeypatch, fault_log):
    register("s.bin", b"abc", sha256=_sha(b"abc"))
    afile = offline / "a file"
    afile.write_text("x")
    for var, value, words in [("TLCOURSE_MIRROR", offline / "no such folder", "does not exist"),
                              ("TLCOURSE_MIRROR", afile, "is a file"),
                              ("TLCOURSE_DATA", afile, "is a file")]:
        monkeypatch.setenv(var, str(value))
        with fault_log.trial(f"setting: {var} {words}") as st:
            with pytest.raises(AssetError) as err:
                assets.fetch("s.bin", progress=False)
            assert not isinstance(err.value, AssetMissing)
            assert f"{var}={value}" in str(err.value) and words in str(err.value), err.value
            st["outcome"] = "AssetError naming the setting"
        monkeypatch.delenv(var)
    with pytest.raises(KeyError, match="Did you mean 'mnist.npz'"):
        assets.get("mnist.npy")
    with pytest.raises(KeyError, match="Did you mean 'cats_and_dogs_filtered.zip'"):
        assets.fetch("cats_and_dogs_filtered")


# --------------------------------------------------------------------------- quarantine: never overwritten, reported

def test_quarantine_never_overwrites_and_is_reported(offline, fault_log):
    """Three rejected copies moved aside within a second are all kept; preflight says where and how big the
    quarantine is, and `python -m tlcourse quarantine --empty` empties it."""
    from tlcourse import preflight

    payload = RNG.randbytes(5000)
    a = register("q.bin", payload, sha256=_sha(payload))
    target = assets.locate(a)
    target.parent.mkdir(parents=True)
    bad = [b"first bad copy", b"second bad copy", b"third bad copy"]
    with fault_log.trial("quarantine: three rejected copies within one second") as st:
        for data in bad:
            target.write_bytes(data)
            with pytest.warns(UserWarning, match="moved to"), pytest.raises(AssetError):
                assets.fetch("q.bin", progress=False)
        kept = sorted(p.read_bytes() for p in quarantined(offline))
        st["lost"] = len(set(bad) - set(kept))
        assert kept == sorted(bad)
        st["outcome"] = "each rejected copy kept in its own folder"
    q = offline / "data_quarantine"
    assert (q, 3, sum(map(len, bad))) in assets.quarantines()
    text, _ = preflight.summary({"ready": [], "standins": [], "missing": []}, 0.1)
    assert f"quarantine: {q} holds 3 rejected copies" in text and "python -m tlcourse quarantine --empty" in text, text
    env = {**os.environ, "KERAS_HOME": str(offline / "keras")}
    r = subprocess.run([sys.executable, "-m", "tlcourse", "quarantine"], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and str(q) in r.stdout and "3 file(s)" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "tlcourse", "quarantine", "--empty"], env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0 and f"deleted: {q}" in r.stdout and not q.exists(), r.stdout + r.stderr


# --------------------------------------------------------------------------- an unverified copy is no reference

def test_a_truncated_npy_saved_by_hand_never_blocks_the_complete_one(offline, fault_log):
    """Half of a Dollar Street-shaped .npy saved by hand is refused (its header announces more bytes), not recorded;
    the complete file saved next is accepted."""
    import numpy as np

    arr = np.random.default_rng(0).integers(0, 255, (878, 64, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    np.save(buf, arr)
    full = buf.getvalue()
    target = assets.locate(assets.get("dollar-street-train-images"))
    target.parent.mkdir(parents=True)
    target.write_bytes(full[: len(full) // 2])
    with fault_log.trial("by hand: truncated Dollar Street .npy, then the complete file") as st:
        try:
            assets.fetch("dollar-street-train-images", progress=False)
            st["corrupt"] = 1  # a truncated array accepted
            pytest.fail("the truncated .npy was accepted")
        except AssetError as err:
            assert not isinstance(err, AssetMissing) and "truncated .npy" in str(err), err
        target.write_bytes(full)
        with pytest.warns(UserWarning, match="recorded"):
            path = assets.fetch("dollar-street-train-images", progress=False)
        st["lost"] += int(path.read_bytes() != full)
        assert path == target and path.read_bytes() == full
        buf = io.BytesIO()
        np.save(buf, arr[::-1].copy())
        genuine = buf.getvalue()  # the genuine file saved over a copy that only its format vouched for
        target.write_bytes(genuine)
        with pytest.warns(UserWarning, match="recorded"):  # a copy saved by hand is never the reference
            assert assets.fetch("dollar-street-train-images", progress=False).read_bytes() == genuine
        assert [p.read_bytes() for p in quarantined(offline)] == [full[: len(full) // 2]]  # kept, not deleted
        st["outcome"] = "truncated copy refused (header vs size); the complete copy accepted"


def _zip_of_size(size: int, seed: int) -> bytes:
    name = "cats_and_dogs_filtered/vectorize.py"
    data = random.Random(seed).randbytes(size - 98 - 2 * len(name))  # one stored entry: 98 + 2 * len(name) bytes
    out = zip_of({name: data})
    assert len(out) == size
    return out


def test_a_valid_zip_of_the_registry_size_saved_by_hand_is_kept_with_the_mirror_set(tmp_path, monkeypatch,
                                                                                      fault_log):
    """Google's cats archive (its size, no published checksum) saved by hand while the classroom mirror (which
    lists the sha256 of its own rebuilt archive) is set: accepted, not quarantined; the same with flipped bytes is
    refused (its CRCs) and the mirror's copy is used."""
    mirror = Path(SHARED_MIRROR or "/nonexistent")
    if not (mirror / "keras" / "datasets" / "cats_and_dogs_filtered.zip").is_file():
        pytest.skip("needs the shared mirror's cats_and_dogs_filtered.zip")
    a = assets.get("cats_and_dogs_filtered.zip")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setattr(assets, "keras_home", lambda: tmp_path / "keras")
    target = assets.locate(a)
    target.parent.mkdir(parents=True)
    by_hand = _zip_of_size(a.size, 1)
    target.write_bytes(by_hand)
    with fault_log.trial("by hand: a valid zip of the registry's size, classroom mirror set") as st:
        path = assets.fetch(a.name, progress=False)
        st["lost"] = int(path.read_bytes() != by_hand)
        assert path == target and path.read_bytes() == by_hand and quarantined(tmp_path) == []
        st["outcome"] = "accepted (the mirror's list speaks of its own copy), nothing quarantined"
    target.write_bytes(flip(by_hand))
    with fault_log.trial("by hand: that zip with 3 flipped bytes, classroom mirror set") as st:
        with pytest.warns(UserWarning, match="bad CRC"):
            path = assets.fetch(a.name, progress=False)
        st["corrupt"] = int(path.read_bytes() == flip(by_hand))
        assert assets.file_hash(path) == a.known_copies[0][1]
        assert [p.read_bytes() == flip(by_hand) for p in quarantined(tmp_path)] == [True]
        st["outcome"] = "refused (bad CRC), quarantined; the mirror's known copy used"
