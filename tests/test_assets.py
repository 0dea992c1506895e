"""tlcourse.assets: registry, fetch order (cache → mirror → download), verification, extraction, mirrors."""

import hashlib
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


def test_registry_entries_are_complete():
    for a in assets.ASSETS.values():
        assert a.name and a.filename and a.licence and a.source, a
        assert a.url is None or a.url.startswith(("https://", "doi:10.5281/zenodo.")), f"{a.name}: use https URLs"
        assert a.hash_from in {"publisher", "registry"}, a.name
        if a.sha256:
            assert len(a.sha256) == 64
        if a.md5:
            assert len(a.md5) == 32
        assert a.cache in {"course", "keras/models", "keras/datasets"}


def test_unknown_asset_names_the_known_ones():
    with pytest.raises(KeyError, match="Known assets:.*mnist.npz"):
        assets.get("mnist.zip")


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


def test_offline_and_missing_says_what_to_do(course_env, registry, monkeypatch):
    a = registry("missing.bin", b"abc")
    monkeypatch.delenv("TLCOURSE_MIRROR", raising=False)
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    with pytest.raises(AssetError) as err:
        assets.fetch("missing.bin", progress=False)
    msg = str(err.value)
    assert a.url in msg and str(assets.locate(a)) in msg and "TLCOURSE_MIRROR" in msg


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


def test_shared_mirror_cats_and_dogs(course_env, shared_mirror, monkeypatch, tmp_path):
    """The real archive from the shared mirror: verified against the mirror's SHA256SUMS, 3,000 JPEGs."""
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
