"""Write data/README.md from the asset registry (src/tlcourse/assets.py): `python tools/data_readme.py`."""

from pathlib import Path

from tlcourse import assets

HEADER = """# data/: the course's download cache

This folder is the course's download cache (everything but this README is git-ignored; set `TLCOURSE_DATA` to use
another folder). Keras-managed files (keras.applications weights, keras.datasets) stay in Keras's own cache,
`$KERAS_HOME` (default `~/.keras`), under `models/` and `datasets/`.

Every file is fetched by `tlcourse.assets.fetch(name)`: a verified cache hit, else a copy from the offline mirror
(`TLCOURSE_MIRROR`), else a download with a progress bar (unless `TLCOURSE_OFFLINE=1`), verified and renamed into
place atomically. Where the publisher gives no checksum, the sha256 of the first copy obtained is recorded in
`.tlcourse-hashes/` next to the file and later copies are checked against it (a mirror's `SHA256SUMS` is used when
it lists the file). `python -m tlcourse mirror DIR` (or `make mirror`) downloads all of them into DIR, in the layout
shown in the "mirror path" column, and writes `DIR/SHA256SUMS`.

This file is generated from the registry by `python tools/data_readme.py`; the tests check that it is current.

"""


def render() -> str:
    rows = ["| name | URL | size (bytes) | checksum | licence | source | mirror path |",
            "|---|---|---:|---|---|---|---|"]
    notes = []
    for a in assets.ASSETS.values():
        check = f"{a.checksum[0]} `{a.checksum[1]}`" if a.checksum else "none published (first copy recorded)"
        size = f"{a.size:,}" if a.size else "unknown"
        url = a.url or "none: offline mirror only"
        rows.append(f"| `{a.name}` | {url} | {size} | {check} | {a.licence} | {a.source} | `{a.mirror_path}` |")
        if a.note:
            notes.append(f"- `{a.name}`: {a.note}")
    return HEADER + "\n".join(rows) + "\n" + ("\n## Notes\n\n" + "\n".join(notes) + "\n" if notes else "")


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "data" / "README.md"
    out.write_text(render())
    print(f"wrote {out}")
