"""A mirror folder's list of checksums, ``SHA256SUMS``: read in every form the common tools write, written as
``sha256sum`` writes it."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from .errors import AssetError, unreadable
from .files import atomic_write

__all__ = ["read_sums", "write_sums"]

# the lines sha256sum (also with --tag, -b, or a ./ prefix), shasum -a 256 (also -U, --tag), BSD sha256, openssl
# dgst [-r], busybox and PowerShell-edited copies (CRLF, a BOM, upper-case hex, backslashes) write
_SUM_GNU = re.compile(r"(?P<esc>\\)?(?P<hex>[0-9A-Fa-f]+) [ *U^]?(?P<name>.+)")
_SUM_TAG = re.compile(r"(?P<esc>\\)?(?P<algo>[A-Za-z0-9-]+) ?\((?P<name>.+)\) ?= ?(?P<hex>[0-9A-Fa-f]+)")
_HEX_ALGOS = {32: "MD5", 40: "SHA-1", 56: "SHA-224", 96: "SHA-384", 128: "SHA-512"}


def _sums_error(sums: Path, where: str, why: str) -> AssetError:
    return AssetError(f"Cannot use {sums}{where}: {why}.\nWhat to do: write one line per file as `sha256sum` does "
                      "('<64 hex digits>  <path inside the mirror>'), e.g. `cd MIRROR && sha256sum path/to/file >> "
                      "SHA256SUMS`, or rebuild the list with `python -m tlcourse mirror MIRROR`.")


def read_sums(mirror: Path) -> dict[str, str]:
    """``{path inside the mirror: sha256}`` from ``mirror/SHA256SUMS`` ({} when there is none). A line that cannot be
    read, or a file that cannot be, raises an AssetError naming the file and the line."""
    sums = mirror / "SHA256SUMS"
    if not sums.exists():
        return {}
    try:
        data = sums.read_bytes()
    except OSError as err:
        raise unreadable(sums, err, "TLCOURSE_MIRROR") from err
    out: dict[str, tuple[str, int]] = {}
    for n, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8").rstrip("\r").lstrip("\ufeff")  # CRLF and a BOM from Windows editors
        except UnicodeDecodeError:
            raise _sums_error(sums, f", line {n}", "it is not UTF-8 text") from None
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _SUM_TAG.fullmatch(line.strip()) or _SUM_GNU.fullmatch(line.strip())
        if not m:
            raise _sums_error(sums, f", line {n}", f"{line[:120]!r} is not a checksum line")
        hexd, name = m["hex"].lower(), m["name"]
        algo = (m.groupdict().get("algo") or "").upper().replace("-", "")
        if len(hexd) != 64 or algo not in ("", "SHA256", "SHA2256"):
            what = algo or _HEX_ALGOS.get(len(hexd), f"{len(hexd)} hex digits")
            raise _sums_error(sums, f", line {n}", f"{what} is not a SHA-256 checksum (64 hex digits)")
        if m["esc"]:  # GNU escapes names holding a backslash or a newline
            name = re.sub(r"\\(.)", lambda e: {"n": "\n", "r": "\r"}.get(e[1], e[1]), name)
        else:
            name = name.replace("\\", "/")  # a list written on Windows
        if os.path.isabs(name):
            for base in (mirror, mirror.resolve()):
                with contextlib.suppress(ValueError):
                    name = Path(name).relative_to(base).as_posix()
        name = re.sub(r"^(\./)+", "", re.sub(r"/+", "/", name))
        if name in out and out[name][0] != hexd:
            raise _sums_error(sums, f", lines {out[name][1]} and {n}", f"two different checksums for {name}")
        out[name] = (hexd, n)
    return {name: h for name, (h, _) in out.items()}


def write_sums(mirror: Path, sums: dict[str, str]) -> None:
    """Replace ``mirror/SHA256SUMS`` in one step with ``sums`` (``{path inside the mirror: sha256}``), sorted."""
    with atomic_write(mirror / "SHA256SUMS", "w") as (f, _):
        f.write("".join(f"{h}  {rel}\n" for rel, h in sorted(sums.items())))
