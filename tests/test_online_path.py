"""The README's test command on a machine with internet and no mirror: `make test` no longer forces
TLCOURSE_OFFLINE=1, and its pre-flight says how much it will download, then downloads and verifies each file.

No internet here, so the publisher is a real HTTP server on 127.0.0.1 serving the real files (the shared mirror's
copies): the registry rows of lesson 8's two files point at it for the test, everything else is the product's code
path (pooch's download, the checksum and size checks, the cache)."""

from __future__ import annotations

import dataclasses
import functools
import os
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tlcourse import assets, preflight

ROOT = Path(__file__).resolve().parents[1]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def publisher(shared_mirror):
    handler = functools.partial(_Quiet, directory=str(shared_mirror))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_online_without_a_mirror_the_preflight_says_how_much_then_downloads(publisher, tmp_path, monkeypatch, capsys):
    names = [need.asset for need in preflight.LESSON_FILES["08_distributed_training"]]
    for name in names:
        asset = assets.get(name)
        monkeypatch.setitem(assets.ASSETS, name, dataclasses.replace(asset, url=f"{publisher}/{asset.mirror_path}"))
    for var in ("TLCOURSE_OFFLINE", "TLCOURSE_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TLCOURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(assets, "keras_home", lambda: tmp_path / "keras")   # Keras itself may be imported already

    result = preflight.check(["08_distributed_training"], progress=True)
    out, err = capsys.readouterr()
    sizes = {name: assets.get(name).size for name in names}
    assert (f"Pre-flight: 2 files to download, {sum(sizes.values()) / 1e6:,.0f} MB, once (each is verified, then "
            "kept in the cache): ") in out, out
    assert err.count("100%") >= 2, err          # pooch's progress bars, one per file (stderr)
    assert sorted(result["ready"]) == sorted(names) and not result["missing"] and not result["standins"], result
    for name in names:
        copy = assets.locate(assets.get(name))
        assert str(copy).startswith(str(tmp_path)) and copy.is_file()
    text, ok = preflight.summary(result, 1.0)
    assert ok and "(online, no mirror (TLCOURSE_MIRROR unset))" in text and "2 ready" in text, text

    again = preflight.check(["08_distributed_training"], progress=True)   # a second run finds everything cached
    assert "every file is here already; nothing to download" in capsys.readouterr().out
    assert sorted(again["ready"]) == sorted(names)


@pytest.mark.parametrize("setting, expected", [(None, "TLCOURSE_OFFLINE= "), ("1", "TLCOURSE_OFFLINE=1 ")])
def test_make_test_is_offline_only_when_told(setting, expected):
    env = {k: v for k, v in os.environ.items() if k != "TLCOURSE_OFFLINE"}
    if setting:
        env["TLCOURSE_OFFLINE"] = setting
    plan = subprocess.run(["make", "-n", "--no-print-directory", "test"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout
    lines = [line for line in plan.splitlines() if "TLCOURSE_PROFILE=quick" in line]   # every step of TEST_ENV
    assert len(lines) >= 4 and all(expected in line for line in lines), plan
    assert plan.index("-m tlcourse preflight") < plan.index("-m pytest tests"), "the pre-flight comes first"
