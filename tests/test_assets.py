"""tlcourse.assets: registry, fetch order (cache → mirror → download), verification, extraction, mirrors."""

import hashlib
import io
import zipfile

import pytest

from tlcourse import assets
from tlcourse.assets import Asset, AssetError


def _sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def registry(monkeypatch):
    """Register test assets (course cache) next to the real ones."""
    reg = dict(assets.ASSETS)
    monkeypatch.setattr(assets, "ASSETS", reg)

    def add(name, payload: bytes, **kw):
        kw.setdefault("sha256", _sha256(payload))
        a = Asset(name=name, url="http://127.0.0.1:9/never-used", filename=f"t/{name}", size=len(payload),
                  licence="test", source="test", **kw)
        reg[name] = a
        return a

    return add


def test_unknown_asset_names_the_known_ones():
    with pytest.raises(KeyError, match="Known assets:.*mnist.npz"):
        assets.get("mnist.zip")
    with pytest.raises(KeyError, match="Known assets") as err:
        assets.fetch("mnist")
    assert "Add new files to tlcourse.assets.ASSETS" in str(err.value)
    with pytest.raises(KeyError, match="Known assets"):
        assets.get(3)


def test_keras_file_available_is_only_for_keras_managed_files(course_env):
    with pytest.raises(ValueError, match="keras_file_available|Keras-managed|fetch"):
        assets.keras_file_available("mnist-test-images")


def test_mirror_copy_is_verified_and_cached(course_env, registry, monkeypatch):
    payload = b"real bytes " * 100
    a = registry("good.bin", payload)
    mirror = course_env / "mirror"
    (mirror / "t").mkdir(parents=True)
    (mirror / "t" / "good.bin").write_bytes(payload)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    path = assets.fetch("good.bin", progress=False)
    assert path == assets.locate(a) and path.read_bytes() == payload
    # Second call: a verified cache hit even when the mirror has gone away.
    (mirror / "t" / "good.bin").unlink()
    assert assets.fetch("good.bin", progress=False).read_bytes() == payload


def test_corrupt_mirror_copy_is_refused(course_env, registry, monkeypatch):
    registry("bad.bin", b"the genuine content")
    mirror = course_env / "mirror"
    (mirror / "t").mkdir(parents=True)
    (mirror / "t" / "bad.bin").write_bytes(b"something else entirely")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    with pytest.raises(AssetError, match="failed verification"):
        assets.fetch("bad.bin", progress=False)
    assert not assets.locate(assets.get("bad.bin")).exists()


def test_corrupt_cache_is_replaced_from_mirror(course_env, registry, monkeypatch):
    payload = b"x" * 1000
    a = registry("c.bin", payload)
    target = assets.locate(a)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x" * 999 + b"y")  # same size, wrong content
    mirror = course_env / "mirror"
    (mirror / "t").mkdir(parents=True)
    (mirror / "t" / "c.bin").write_bytes(payload)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    with pytest.warns(UserWarning, match="failed verification"):
        assert assets.fetch("c.bin", progress=False).read_bytes() == payload


def test_a_known_copy_of_another_size_is_accepted(course_env, registry, monkeypatch):
    """A registry entry's known copies (e.g. the mirror's rebuilt cats-and-dogs archive, smaller than Google's) are
    accepted by size and sha256; a file of that size with other bytes is not."""
    published, rebuilt = b"the publisher's archive" * 40, b"the same files, packed again" * 30
    a = registry("k.zip", published, sha256=None,
                 known_copies=((len(rebuilt), _sha256(rebuilt), "a rebuilt archive of the same files"),))
    mirror = course_env / "mirror"
    (mirror / "t").mkdir(parents=True)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    (mirror / "t" / "k.zip").write_bytes(rebuilt[:-1] + b"!")          # the rebuilt copy's size, other bytes
    with pytest.raises(AssetError, match="failed verification.*content is damaged"):
        assets.fetch("k.zip", progress=False)
    (mirror / "t" / "k.zip").write_bytes(rebuilt)
    path = assets.fetch("k.zip", progress=False)
    assert path == assets.locate(a) and path.read_bytes() == rebuilt


def test_offline_and_missing_says_what_to_do(course_env, registry, monkeypatch):
    a = registry("missing.bin", b"abc")
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    with pytest.raises(AssetError) as err:
        assets.fetch("missing.bin", progress=False)
    msg = str(err.value)
    assert a.url in msg and str(assets.locate(a)) in msg and "TLCOURSE_MIRROR" in msg
    assert "TLCOURSE_OFFLINE=1" not in msg.split("What to do")[1], "offline already: do not advise going offline"


def test_asset_without_checksum_uses_the_mirror_sums(course_env, registry, monkeypatch):
    payload = b"no publisher checksum"
    registry("tofu.bin", payload, sha256=None)
    mirror = course_env / "mirror"
    (mirror / "t").mkdir(parents=True)
    (mirror / "t" / "tofu.bin").write_bytes(b"tampered")
    (mirror / "SHA256SUMS").write_text(f"{_sha256(payload)}  t/tofu.bin\n")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    with pytest.raises(AssetError, match="failed verification"):
        assets.fetch("tofu.bin", progress=False)
    (mirror / "t" / "tofu.bin").write_bytes(payload)
    path = assets.fetch("tofu.bin", progress=False)
    assert path.read_bytes() == payload
    # the hash is recorded, so a later change of the cached copy is noticed
    path.write_bytes(b"changed later")
    with pytest.warns(UserWarning, match="failed verification"):
        assert assets.fetch("tofu.bin", progress=False).read_bytes() == payload


def test_build_mirror_round_trip(course_env, registry, monkeypatch):
    payload = b"classroom copy"
    registry("m.bin", payload)
    src = course_env / "src_mirror"
    (src / "t").mkdir(parents=True)
    (src / "t" / "m.bin").write_bytes(payload)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(src))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    out = assets.build_mirror(course_env / "classroom", ["m.bin"], progress=False)
    assert (out / "t" / "m.bin").read_bytes() == payload
    assert (out / "SHA256SUMS").read_text() == f"{_sha256(payload)}  t/m.bin\n"
    # the new folder works as a mirror for a fresh cache
    monkeypatch.setenv("TLCOURSE_MIRROR", str(out))
    monkeypatch.setenv("TLCOURSE_DATA", str(course_env / "fresh"))
    assert assets.fetch("m.bin", progress=False).read_bytes() == payload


def test_extract_zip_returns_extracted_folder(tmp_path):
    archive = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pets/cats/a.txt", "meow")
        zf.writestr("pets/dogs/b.txt", "woof")
    out = assets.extract(archive)
    assert out == tmp_path / "pets_extracted"
    assert (out / "pets" / "cats" / "a.txt").read_text() == "meow"
    assert assets.extract(archive) == out  # idempotent


def test_no_lock_files_are_left_behind(course_env, registry, monkeypatch):
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as zf:
        zf.writestr("pets/a.txt", b"meow")
    payload = payload.getvalue()
    registry("l.zip", payload)
    mirror = course_env / "mirror"
    (mirror / "t").mkdir(parents=True)
    (mirror / "t" / "l.zip").write_bytes(payload)
    (mirror / "SHA256SUMS").write_text(f"{_sha256(payload)}  t/l.zip\n")
    monkeypatch.setenv("TLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    path = assets.fetch("l.zip", progress=False)
    assets.fetch("l.zip", progress=False)
    assets.extract(path)
    assert sorted(p.name for p in (course_env / "data").rglob("*.lock")) == []


def test_shared_mirror_cats_and_dogs(course_env, shared_mirror, monkeypatch, tmp_path):
    """The real archive from the shared mirror: the registry's known copy (68,492,311 bytes, not the 68,606,236 of
    Google's archive), also listed in the mirror's SHA256SUMS; 3,000 JPEGs."""
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    path = assets.fetch("cats_and_dogs_filtered.zip", progress=False)
    out = assets.extract(path, tmp_path / "cats_and_dogs")
    jpgs = list(out.rglob("*.jpg"))
    assert len(jpgs) == 3000
    assert {p.parent.name for p in jpgs} == {"cats", "dogs"}


def test_build_mirror_skips_mirror_only_files(course_env, registry, monkeypatch, capsys):
    """`make mirror` on a machine with internet: files with no public URL are skipped, not an error."""
    payload = b"downloadable"
    registry("d.bin", payload)
    reg = assets.ASSETS
    reg["only-in-mirror"] = Asset(name="only-in-mirror", url=None, filename="t/o.bin", size=None, licence="test",
                                  source="test")
    src = course_env / "src_mirror"
    (src / "t").mkdir(parents=True)
    (src / "t" / "d.bin").write_bytes(payload)
    monkeypatch.setenv("TLCOURSE_MIRROR", str(src))
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setattr(assets, "ASSETS", {k: reg[k] for k in ("d.bin", "only-in-mirror")})
    out = assets.build_mirror(course_env / "classroom", progress=False)
    assert (out / "SHA256SUMS").read_text() == f"{_sha256(payload)}  t/d.bin\n"
    assert "only-in-mirror" in capsys.readouterr().out
    with pytest.raises(AssetError, match="only-in-mirror"):  # asked for by name, its absence is an error
        assets.build_mirror(course_env / "classroom2", ["only-in-mirror"], progress=False)


def test_download_progress_bar_is_a_widget_in_a_notebook(course_env, monkeypatch):
    """In Jupyter, fetch()'s download shows pooch's progress bar (tqdm.auto) as a widget: ipywidgets is installed,
    so no "IProgress not found. Please update jupyter and ipywidgets" warning and no text bar on stderr."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("TLCOURSE_OFFLINE", "0")
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    cell = """
import functools, hashlib, http.server, os, pathlib, tempfile, threading
from tlcourse import assets
from tlcourse.assets import Asset
served = pathlib.Path(tempfile.mkdtemp())
(served / "f.bin").write_bytes(os.urandom(300_000))
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
threading.Thread(target=server.serve_forever, daemon=True).start()
assets.ASSETS["f.bin"] = Asset("f.bin", f"http://127.0.0.1:{server.server_address[1]}/f.bin", "t/f.bin", 300_000,
                               "test", "test", sha256=hashlib.sha256((served / "f.bin").read_bytes()).hexdigest())
path = assets.fetch("f.bin")
server.shutdown()
"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell), nbformat.v4.new_code_cell("print(path)")])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "IProgress not found" not in stderr and "300k/300k" not in stderr, stderr
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), outputs
    assert nb.cells[1].outputs[0]["text"].strip() == str(course_env / "data" / "t" / "f.bin")
