"""Write data/README.md from the asset registry (src/tlcourse/registry.py): `python tools/data_readme.py`."""

from pathlib import Path

from tlcourse import assets

HEADER = """# data/: the course's download cache

This folder is the course's download cache (everything but this README is git-ignored; set `TLCOURSE_DATA` to use
another folder). Keras-managed files (keras.applications weights, keras.datasets) stay in Keras's own cache,
`$KERAS_HOME` (default `~/.keras`), under `models/` and `datasets/`.

Every file is fetched by `tlcourse.assets.fetch(name)`: a verified cache hit (a file saved there by hand is checked
the same way), else a copy from the offline mirror (`TLCOURSE_MIRROR`), else a download by pooch with a progress bar
(unless `TLCOURSE_OFFLINE=1`), verified and renamed into place atomically. Every copy, on every path, is checked
against its size and the best checksum known: the publisher's (for a Zenodo `doi:` URL, the md5 Zenodo publishes),
else the course's own (column "checksum", marked "course"), else the mirror's `SHA256SUMS`, else the sha256 of the
first copy obtained, recorded in `.tlcourse-hashes/` next to the file (any better evidence outranks it). A copy that
fails is never deleted: it is moved to `<cache folder>_quarantine/` and the message says where.
`python -m tlcourse mirror DIR` (or `make mirror`) downloads all of them into DIR, in the layout shown in the
"mirror path" column, and writes `DIR/SHA256SUMS`.

This file is generated from the registry by `python tools/data_readme.py`; the tests check that it is current.

"""


def _checksum(a) -> str:
    if a.checksum:
        return f"{a.checksum[0]} `{a.checksum[1]}`" + (" (course)" if a.hash_from == "registry" else "")
    if a.url and a.url.startswith("doi:10.5281/zenodo."):
        return "md5 published by Zenodo (read from the record)"
    return "none published (first copy recorded)"


def render() -> str:
    rows = ["| name | URL | size (bytes) | checksum | licence | source | mirror path |",
            "|---|---|---:|---|---|---|---|"]
    notes = []
    for a in assets.ASSETS.values():
        size = f"{a.size:,}" if a.size else "unknown"
        size += "".join(f"; also {s:,} ({what})" for s, _, what in a.known_copies)
        url = a.url or "none: offline mirror only"
        rows.append(f"| `{a.name}` | {url} | {size} | {_checksum(a)} | {a.licence} | {a.source} | `{a.mirror_path}` |")
        if a.note:
            notes.append(f"- `{a.name}`: {a.note}")
    return HEADER + "\n".join(rows) + "\n" + ("\n## Notes\n\n" + "\n".join(notes) + "\n" if notes else "")


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "data" / "README.md"
    out.write_text(render())
    print(f"wrote {out}")
