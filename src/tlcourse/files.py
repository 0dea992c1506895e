"""Small file helpers shared by the package: write a file so that readers see the old or the new content, never
half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "umask"]


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
