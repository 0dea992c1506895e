"""tlcourse.registry: every entry of the table of remote files is complete and well formed."""

from tlcourse import assets


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
