"""Small file helpers shared by the package: write a file so that readers see the old or the new content, never
half of it; take turns with other processes on one file; find the file that stands where a folder should be."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["atomic_copy", "atomic_write", "file_in_the_way", "lock", "remove_stale_parts", "umask"]


def umask() -> int:
    """The process's umask (read without changing it where Linux shows it in /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike, mode: str = "wb", *, suffix: str = ".part"):
    """Yield ``(file, tmp_path)`` of a temporary file next to ``target``.

    When the block ends, the file is flushed to disk and renamed onto ``target`` in one step (``os.replace``);
    if the block raises, the temporary file is deleted and ``target`` is left as it was. ``mode`` is ``"wb"`` or
    ``"w"`` (text, UTF-8). The file gets the permissions any new file gets (``0o666`` less the umask), not the
    ``0o600`` of a temporary file, so a shared cache or mirror stays readable by the others.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write(mode={mode!r}): use 'wb' for bytes or 'w' for text.")
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    try:
        os.chmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as out:
            yield out, Path(tmp)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_copy(src: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy ``src`` onto ``target`` with :func:`atomic_write`: readers see the old or the whole new file."""
    with atomic_write(target) as (out, _), open(src, "rb") as inp:
        shutil.copyfileobj(inp, out, 1 << 20)


def remove_stale_parts(target: Path) -> None:
    """Delete the temporary files :func:`atomic_write` left next to ``target`` when its process was killed (a kernel
    restart mid-download). Call it only while holding :func:`lock` on ``target``, so no live writer of ours owns
    them."""
    with contextlib.suppress(OSError):
        for part in target.parent.glob(f".{target.name}.*.part"):
            with contextlib.suppress(OSError):
                part.unlink()


@contextlib.contextmanager
def lock(target: Path, doing: str = "fetching"):
    """An exclusive lock per target path (filelock's ``FileLock``), so two processes working on one file take turns;
    the one that waits says so once. The lock file (``.NAME.tlcourse.lock``) is removed when the holder is done.
    Yields False without locking where no lock file can be made (a read-only folder, a file system without locks);
    the atomic rename still protects the file then."""
    from filelock import FileLock, Timeout

    path = target.parent / f".{target.name}.tlcourse.lock"
    held = FileLock(path, fallback_to_soft=False)  # a soft lock's file is its lock: it must not be removed early
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            held.acquire(blocking=False)
        except Timeout:
            print(f"Waiting for another process that is {doing} {target.name} ...", flush=True)
            held.acquire()
    except OSError:
        locked = False
    else:
        locked = True
    if not locked:
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):  # removed while held: a waiter that then locks it sees it gone, tries anew
            path.unlink()
        held.release()


def file_in_the_way(path: Path) -> Path | None:
    """The file at ``path`` or at the nearest of its parents that exists, if that is not a folder: what stops
    ``path`` from being (made) a folder."""
    for p in [path, *path.parents]:
        if p.exists():
            return None if p.is_dir() else p
    return None
