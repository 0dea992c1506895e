"""`python -m tlcourse preflight` (run by `make book` before executing lessons): real subprocesses, real files,
no internet (a proxy on a closed local port refuses every download at once, on any machine)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tlcourse import assets, preflight

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))


def _run(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("TLCOURSE_") and k != "KERAS_HOME"}
    dead = "http://127.0.0.1:9"   # the discard port: nothing listens, every connection is refused at once
    base.update(TLCOURSE_DATA=str(tmp_path / "data"), KERAS_HOME=str(tmp_path / "keras"),
                http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead, no_proxy="", NO_PROXY="")
    base.update(env)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "tlcourse", "preflight"], env=base, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    return proc, time.monotonic() - t0


def test_every_lesson_declares_its_files():
    assert sorted(preflight.LESSON_FILES) == LESSONS, "declare each lesson's files in src/tlcourse/lessons.yml"
    for needs in preflight.LESSON_FILES.values():
        for need in needs:
            for name in (need.asset, *need.standin_needs):
                assert name in assets.ASSETS


def test_without_internet_and_mirror_it_stops_within_a_minute_with_one_summary(tmp_path):
    proc, seconds = _run(tmp_path)
    assert proc.returncode == 1 and seconds < 60
    out = proc.stdout
    assert "Traceback" not in out + proc.stderr and len(out.splitlines()) < 26   # the download plan, the summary
    assert re.match(r"Pre-flight: \d+ files to download, [\d,]+ MB and \d+ of unknown size, once", out), out
    assert "Missing, so the book cannot be built:" in out and "refused the connection" in out
    assert "TLCOURSE_MIRROR" in out and "TLCOURSE_OFFLINE=1" in out
    no_standin = re.search(r"\(([^()]*) have none: they need the internet or a mirror\)", out)
    assert no_standin and set(no_standin.group(1).split(", ")) == {"cats_and_dogs_filtered.zip",
                                                                    "mobilenet_0.25_224_no_top"}


def test_offline_without_mirror_names_only_what_has_no_standin_as_blocking(tmp_path):
    proc, seconds = _run(tmp_path, TLCOURSE_OFFLINE="1")
    assert proc.returncode == 1 and seconds < 60
    blocking = proc.stdout.split("Missing, so the book cannot be built:")[1].split("What to do")[0]
    assert "cats_and_dogs_filtered.zip" in blocking and "mobilenet_0.25_224_no_top" in blocking
    assert "stand-in will be used: resnet50_no_top" in proc.stdout   # a stand-in needing no file does not block


def test_offline_with_the_mirror_standins_do_not_stop_the_build(tmp_path, shared_mirror):
    proc, seconds = _run(tmp_path, TLCOURSE_OFFLINE="1", TLCOURSE_MIRROR=str(shared_mirror))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert seconds < 60 and "0 missing" in proc.stdout
    assert "stand-in will be used: resnet50_no_top → ResNet50 with random weights" in proc.stdout
    # the files came from the mirror into the caches, verified, as the lessons will read them
    assert (tmp_path / "keras" / "datasets" / "cats_and_dogs_filtered.zip").is_file()


def test_unknown_lesson_is_a_clear_error(tmp_path):
    with pytest.raises(KeyError, match="Declare a new lesson's files"):
        preflight.check(["99_nothing"])
