"""Extract a zip or tar archive safely: nothing is written outside the destination, a damaged archive is named, a
half-finished extraction is never left in place, and nothing the course did not write is ever deleted."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path

from .errors import DISK_FULL, AssetError, is_disk_error
from .files import file_in_the_way, lock, umask

__all__ = ["extract"]


def _refuse(archive: Path, dest: Path, name: str, why: str = "would be written outside") -> AssetError:
    return AssetError(f"Refusing to extract {archive}: the entry {name!r} {why} {dest}. The archive is damaged or "
                      "malicious; delete it and download it again.")


def _safe_members_zip(zf: zipfile.ZipFile, archive: Path, tmp: Path, dest: Path) -> None:
    root = tmp.resolve()
    for info in zf.infolist():
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or not (root / name).resolve().is_relative_to(root):
            raise _refuse(archive, dest, name)
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise _refuse(archive, dest, name, "is a symbolic link; nothing was written to")


def _safe_members_tar(tf: tarfile.TarFile, archive: Path, dest: Path) -> None:
    for member in tf.getmembers():
        if member.name.startswith(("/", "\\")) or ".." in Path(member.name).parts:
            raise _refuse(archive, dest, member.name)


_STAMP = ".complete"  # in an extraction: the archive it came from and every path the course wrote
_PARTIAL = ".tlcourse-partial"  # name part (and marker file) of a temporary extraction folder


def _archive_stamp(archive: Path) -> dict:
    st = archive.stat()
    return {"archive": archive.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _tree(folder: Path) -> dict[str, list | None]:
    """Every path under ``folder``: files with [size, mtime_ns], folders with None."""
    out = {}
    for p in folder.rglob("*"):
        st = p.lstat()
        out[p.relative_to(folder).as_posix()] = None if p.is_dir() and not p.is_symlink() else \
            [st.st_size, st.st_mtime_ns]
    return out


def _read_stamp(dest: Path) -> dict | None:
    try:
        stamp = json.loads((dest / _STAMP).read_text())
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _extracted_from(dest: Path, archive: Path) -> bool:
    """True when ``dest`` holds a complete extraction of this very archive (same name, size and time)."""
    stamp = _read_stamp(dest)
    return stamp is not None and {k: stamp.get(k) for k in ("archive", "size", "mtime_ns")} == _archive_stamp(archive)


def _not_ours(dest: Path) -> list[str]:
    """Paths in ``dest`` the course did not extract there (or that were changed since): never deleted."""
    written = (_read_stamp(dest) or {}).get("files") or {}
    return sorted(rel for rel, info in _tree(dest).items()
                  if rel != _STAMP and (rel not in written or written[rel] != info))


def extract(archive: str | os.PathLike, dest: str | os.PathLike | None = None) -> Path:
    """Extract a zip or tar archive safely into ``dest`` (default: ``<archive>_extracted/`` next to it,
    the name Keras 3's ``get_file(extract=True)`` uses). Entries that would escape ``dest`` are refused,
    a truncated archive is detected, and a half-finished extraction is never left in place. A complete
    extraction of the same archive is reused; a new copy of the archive is extracted again, replacing the old
    extraction only when it holds nothing but what the course extracted. Nothing else is ever deleted: a ``dest``
    holding other files (a user's folder, a file added to an extraction) is refused with a message naming them."""
    archive = Path(archive)
    if not archive.is_file():
        raise AssetError(f"{archive} does not exist (or is not a file). Fetch it first with "
                         "tlcourse.assets.fetch(name), which returns the path to pass here.")
    dest = Path(dest) if dest is not None else archive.with_name(archive.name.split(".")[0] + "_extracted")
    if _extracted_from(dest, archive):
        return dest
    if (p := file_in_the_way(dest)) is not None:
        raise AssetError(f"Cannot extract {archive} into {dest}: {p} is a file, not a folder (it was left "
                         "alone).\nWhat to do: pass another destination folder, e.g. "
                         f"extract(archive, {str(dest) + '_files'!r}), or move that file away.")
    try:
        with lock(dest, "extracting") as locked:
            return _extract_locked(archive, dest, locked)
    except OSError as err:
        if is_disk_error(err):
            todo = "free some disk space or choose a folder on a disk with enough space" if err.errno in DISK_FULL \
                else "choose a destination folder you can write to"
            raise AssetError(f"Could not extract {archive} into {dest}: {err.strerror or err}"
                             f"{f' ({err.filename})' if err.filename else ''}. Nothing partial was left behind.\n"
                             f"What to do: {todo} (TLCOURSE_DATA / KERAS_HOME), then run the cell again.") from err
        raise


def _extract_locked(archive: Path, dest: Path, locked: bool) -> Path:
    if _extracted_from(dest, archive):  # another process finished it while we waited for the lock
        return dest
    if dest.is_dir() and (foreign := _not_ours(dest)):
        listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise AssetError(f"Not extracting {archive} into {dest}: that folder holds files the course did not extract "
                         f"there ({listed}), and the course never deletes them.\nWhat to do: move those files out "
                         "of the folder, or pass another destination: tlcourse.assets.extract(archive, "
                         f"{str(dest) + '_new'!r}).")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f".{dest.name}{_PARTIAL}-*") if locked else ():  # left by a killed extraction
        if stale.is_dir() and not stale.is_symlink() and (stale / _PARTIAL).is_file():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}{_PARTIAL}-"))
    try:
        (tmp / _PARTIAL).touch()
        work = tmp / "x"
        work.mkdir()
        if zipfile.is_zipfile(archive):
            try:
                with zipfile.ZipFile(archive) as zf:
                    _safe_members_zip(zf, archive, work, dest)
                    bad = zf.testzip()
                    if bad is not None:
                        raise AssetError(f"{archive} is corrupt (bad CRC in {bad!r}); delete it and fetch it again.")
                    zf.extractall(work)
            except (zipfile.BadZipFile, EOFError, zlib.error) as err:
                raise AssetError(f"{archive} is truncated or corrupt ({err}); delete it and fetch it again.") from err
        elif tarfile.is_tarfile(archive):
            try:
                with tarfile.open(archive) as tf:
                    _safe_members_tar(tf, archive, dest)
                    tf.extractall(work, filter="data")  # refuses .., absolute paths, links out, devices
            except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
                raise AssetError(f"Refusing or failing to extract {archive} ({err}); delete it and fetch it "
                                 "again.") from err
        else:
            raise AssetError(f"{archive} is not a zip or tar archive (truncated download?). Delete it and fetch "
                             "it again.")
        work.chmod(0o777 & ~umask())
        (work / _STAMP).write_text(json.dumps({**_archive_stamp(archive), "files": _tree(work)}))
        if dest.is_dir():  # an older extraction holding only what the course wrote: replace it
            os.replace(dest, tmp / "old")
        os.replace(work, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
