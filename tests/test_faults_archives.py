"""Faults in archives: hostile entries (paths leaving the folder, links), truncated and corrupt zip and tar files, a
half-written extraction, and two processes extracting at once. tlcourse.assets.extract must refuse or recover with a
message naming the fix, never write outside its folder, and extract a good copy next. Real archives, real processes;
each fault is recorded in the session's fault log (tests/conftest.py)."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tlcourse import assets
from tlcourse.assets import AssetError


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def make_zip(path: Path, entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so the mode bits below are honoured
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return path


GOOD = {"pets/cats/a.txt": b"meow", "pets/dogs/b.txt": b"woof"}


@pytest.mark.parametrize("kind", ["dotdot", "nested-dotdot", "absolute", "symlink"])
def test_zip_entry_escaping_its_folder_is_refused(kind, tmp_path, fault_log):
    victim = tmp_path / "outside" / "evil.txt"
    name = {"dotdot": "../outside/evil.txt", "nested-dotdot": "pets/../../outside/evil.txt",
            "absolute": str(victim), "symlink": None}[kind]
    archive = tmp_path / "box" / "pets.zip"
    archive.parent.mkdir()
    if kind == "symlink":
        make_zip(archive, GOOD, symlinks={"pets/cats/link": "/etc/passwd"})
    else:
        make_zip(archive, {**GOOD, name: b"pwned"})
    with fault_log.trial(f"archive: zip with a {kind} entry") as st:
        before = files_under(tmp_path)
        with pytest.raises(AssetError, match="Refusing to extract") as err:
            assets.extract(archive)
        assert "delete it" in str(err.value) or "symbolic link" in str(err.value)
        assert not victim.exists()
        assert files_under(tmp_path) - before <= {"box/.pets_extracted.tlcourse.lock"}, "nothing extracted anywhere"
        make_zip(archive, GOOD)  # a good copy replaces it: the next try works
        out = assets.extract(archive)
        assert (out / "pets" / "cats" / "a.txt").read_bytes() == b"meow"
        st["outcome"] = "refused, nothing written; good archive extracted next"


def test_truncated_and_corrupt_zip_are_detected(tmp_path, fault_log):
    rng = random.Random(1)
    entries = {f"pets/{i:03d}.bin": rng.randbytes(20_000) for i in range(20)}
    good = make_zip(tmp_path / "good.zip", entries).read_bytes()
    for fault, data in [("truncated zip", good[: len(good) // 2]),
                        ("zip cut before its central directory", good[:-30]),
                        ("zip with a flipped byte in a member",
                         good[:5000] + bytes([good[5000] ^ 0xFF]) + good[5001:])]:
        archive = tmp_path / "pets.zip"
        archive.write_bytes(data)
        with fault_log.trial(f"archive: {fault}") as st:
            with pytest.raises(AssetError, match="truncated|corrupt|not a zip") as err:
                assets.extract(archive)
            assert "fetch it again" in str(err.value)
            assert not (tmp_path / "pets_extracted").exists()
            assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pets_extracted.") and p.is_dir()]
            archive.write_bytes(good)
            out = assets.extract(archive)
            assert (out / "pets" / "007.bin").read_bytes() == entries["pets/007.bin"]
            archive.write_bytes(data)  # damaged again: the finished extraction of the good copy is not reused
            with pytest.raises(AssetError):
                assets.extract(archive)
            st["lost"] = int(not (out / "pets" / "007.bin").exists())  # the good extraction stays whole
            import shutil
            shutil.rmtree(out)
            st["outcome"] = "clear AssetError; good copy extracted next"


def make_tar(path: Path, members: list[tuple[str, bytes | None, str | None]], mode="w:gz") -> Path:
    """members: (name, data, symlink target)."""
    with tarfile.open(path, mode) as tf_:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tf_.addfile(info)
            else:
                info.size = len(data)
                tf_.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink-out"])
def test_tar_entry_escaping_its_folder_is_refused(kind, tmp_path, fault_log):
    victim = tmp_path / "outside" / "evil.txt"
    member = {"dotdot": ("../outside/evil.txt", b"pwned", None), "absolute": (str(victim), b"pwned", None),
              "symlink-out": ("pets/link", None, "/etc/passwd")}[kind]
    archive = make_tar(tmp_path / "pets.tar.gz", [("pets/a.txt", b"meow", None), member])
    with fault_log.trial(f"archive: tar with a {kind} entry") as st:
        with pytest.raises(AssetError, match="Refusing"):
            assets.extract(archive)
        assert not victim.exists() and not (tmp_path / "pets_extracted").exists()
        make_tar(archive, [("pets/a.txt", b"meow", None)])
        assert (assets.extract(archive) / "pets" / "a.txt").read_bytes() == b"meow"
        st["outcome"] = "refused (tarfile data filter), nothing written"


def test_truncated_tar_is_detected(tmp_path, fault_log):
    rng = random.Random(2)
    archive = make_tar(tmp_path / "pets.tar.gz", [(f"pets/{i}.bin", rng.randbytes(30_000), None) for i in range(10)])
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with fault_log.trial("archive: truncated tar.gz") as st:
        with pytest.raises(AssetError, match="fetch it"):
            assets.extract(archive)
        assert not (tmp_path / "pets_extracted").exists()
        archive.write_bytes(data)
        assert len(list((assets.extract(archive) / "pets").iterdir())) == 10
        st["outcome"] = "clear AssetError; good copy extracted next"


def test_not_an_archive_and_missing_archive(tmp_path):
    page = tmp_path / "pets.zip"
    page.write_bytes(b"<html>Please log in</html>")
    with pytest.raises(AssetError, match="not a zip or tar archive"):
        assets.extract(page)
    with pytest.raises(AssetError, match="Fetch it first"):
        assets.extract(tmp_path / "missing.zip")


def test_new_archive_is_extracted_again(tmp_path):
    archive = make_zip(tmp_path / "pets.zip", {"pets/a.txt": b"v1"})
    out = assets.extract(archive)
    assert files_under(out) == {"pets", "pets/a.txt", ".complete"}
    make_zip(archive, {"pets/a.txt": b"version two"})  # a new copy of the archive (size differs)
    assert (assets.extract(archive) / "pets" / "a.txt").read_bytes() == b"version two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pets.zip", "pets_extracted"]  # nothing left beside it


# --------------------------------------------------------------------------- never delete what the course did not write

def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_extract_never_deletes_a_users_folder_or_its_neighbours(tmp_path, fault_log):
    """extract(zip, dest) into a user's own folder (notes, a model) with a `.project.backup/` and a `.project.lock`
    beside it: refused, naming the files; nothing of the user's is touched; another destination works."""
    archive = make_zip(tmp_path / "pets.zip", GOOD)
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "notes.md").write_text("my notes")
    (project / "models" / "best.keras").write_bytes(b"PK model bytes")
    (tmp_path / ".project.backup").mkdir()
    (tmp_path / ".project.backup" / "notes.md").write_text("yesterday's notes")
    (tmp_path / ".project.lock").write_text("a user's file that merely looks like a lock")
    (tmp_path / ".project.tlcourse-partial-old").mkdir()  # the course's temporary name, but without its marker
    (tmp_path / ".project.tlcourse-partial-old" / "keep.txt").write_text("not the course's")
    before = snapshot(tmp_path)
    with fault_log.trial("archive: extract into a user's folder with a .backup sibling") as st:
        with pytest.raises(AssetError) as err:
            assets.extract(archive, project)
        msg = str(err.value)
        after = snapshot(tmp_path)
        st["lost"] = sum(1 for k, v in before.items() if after.get(k) != v)
        assert st["lost"] == 0, sorted(set(before) - set(after))
        assert str(project) in msg and "notes.md" in msg and "never deletes" in msg and "What to do" in msg, msg
        out = assets.extract(archive, tmp_path / "pets")  # another destination works
        assert (out / "pets" / "cats" / "a.txt").read_bytes() == b"meow"
        st["outcome"] = "refused naming the user's files; nothing deleted"


def test_a_file_added_to_an_extraction_survives_a_new_archive(tmp_path, fault_log):
    """With the default destination, a student's file inside the extracted folder (and an extracted file they
    edited) is kept when a new copy of the archive is extracted: refused, with what to do; once moved, it works."""
    archive = make_zip(tmp_path / "pets.zip", GOOD)
    out = assets.extract(archive)
    (out / "pets" / "my_notes.txt").write_text("cats are better")
    with fault_log.trial("archive: a student's file in the extraction, archive fetched again") as st:
        make_zip(archive, {**GOOD, "pets/cats/c.txt": b"purr"})
        with pytest.raises(AssetError, match="my_notes.txt") as err:
            assets.extract(archive)
        st["lost"] = int((out / "pets" / "my_notes.txt").read_text() != "cats are better")
        assert "What to do" in str(err.value)
        (out / "pets" / "my_notes.txt").rename(tmp_path / "my_notes.txt")
        (out / "pets" / "cats" / "a.txt").write_bytes(b"edited by the student")
        with pytest.raises(AssetError, match="a.txt"):
            assets.extract(archive)
        assert (out / "pets" / "cats" / "a.txt").read_bytes() == b"edited by the student"
        (out / "pets" / "cats" / "a.txt").unlink()
        assert (assets.extract(archive) / "pets" / "cats" / "c.txt").read_bytes() == b"purr"
        st["outcome"] = "refused naming the student's file; extracted once it was moved"


def test_extract_into_a_file_names_the_file(tmp_path, fault_log):
    archive = make_zip(tmp_path / "pets.zip", GOOD)
    blocker = tmp_path / "pets"
    blocker.write_text("a file where the folder should be")
    with fault_log.trial("archive: destination is a file") as st:
        for dest in (blocker, blocker / "inside"):
            with pytest.raises(AssetError) as err:
                assets.extract(archive, dest)
            msg = str(err.value)
            assert "is a file" in msg and str(blocker) in msg and "disk space" not in msg, msg
        st["lost"] = int(blocker.read_text() != "a file where the folder should be")
        st["outcome"] = "AssetError naming the file, which is kept"


def test_traversal_message_names_the_destination(tmp_path):
    archive = make_zip(tmp_path / "pets.zip", {**GOOD, "../evil.txt": b"x"})
    with pytest.raises(AssetError) as err:
        assets.extract(archive, tmp_path / "out")
    assert f"outside {tmp_path / 'out'}." in str(err.value) and ".out." not in str(err.value), err.value


_EXTRACT_SCRIPT = "import sys; from tlcourse import assets; print(assets.extract(sys.argv[1]))"


def test_two_processes_extract_the_same_archive(tmp_path, fault_log):
    rng = random.Random(3)
    entries = {f"pets/{i:03d}.bin": rng.randbytes(50_000) for i in range(200)}
    archive = make_zip(tmp_path / "pets.zip", entries)
    with fault_log.trial("concurrency: two processes extract one archive") as st:
        procs = [subprocess.Popen([sys.executable, "-c", _EXTRACT_SCRIPT, str(archive)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outs.append(out.strip().splitlines()[-1])  # the other one may first say it waits
        assert outs[0] == outs[1] == str(tmp_path / "pets_extracted")
        out = Path(outs[0])
        assert len(list((out / "pets").iterdir())) == 200
        assert (out / "pets" / "123.bin").read_bytes() == entries["pets/123.bin"]
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pets_extracted.") and p.is_dir()]
        st["outcome"] = "one complete folder, no temporary folders left"
