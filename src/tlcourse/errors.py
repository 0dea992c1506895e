"""The errors of the course's file machinery (fetching, checksum lists, extraction) and the causes they share: a file
that cannot be read, a local disk that cannot be written. Every message says what to do."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

__all__ = ["AssetError", "AssetMissing", "DISK_FULL", "is_disk_error", "unreadable"]


class AssetError(RuntimeError):
    """A file could not be obtained or verified. The message says what to do."""


class AssetMissing(AssetError):
    """The file is in no cache or mirror and may not be downloaded (offline): the only problem a lesson may
    answer with an announced stand-in."""


DISK_FULL = {errno.ENOSPC, errno.EFBIG} | ({errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())
_DISK_ERRNOS = DISK_FULL | {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST, errno.EISDIR}


def is_disk_error(err: BaseException) -> bool:
    """An error of the local file system (full, read-only, not a folder), not of the network."""
    return type(err).__module__ == "builtins" and isinstance(err, OSError) and err.errno in _DISK_ERRNOS


def unreadable(path: Path, err: OSError, var: str) -> AssetError:
    """A file the course must read but cannot: a folder in its place, or no permission to read it."""
    if err.errno == errno.EISDIR or path.is_dir():
        why, todo = "is a folder, where a file should be (it was left alone)", "move or rename that folder"
    else:
        try:
            st = path.stat()
            owner = f"owner uid {st.st_uid}, mode {stat.filemode(st.st_mode)}"
        except OSError:
            owner = "its folder cannot be entered"
        why = f"cannot be read: {err.strerror or err} ({owner})"
        todo = f"ask its owner to make it readable by everyone (chmod a+r {str(path)!r})"
    return AssetError(f"{path} {why}.\nWhat to do: {todo}, or set {var} to a folder of your own; then run the cell "
                      "again.")
