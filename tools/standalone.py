"""Run lessons the way Colab runs them: each notebook alone in an empty folder, in a fresh environment.

    python tools/standalone.py notebooks/01_save_load_resume.ipynb notebooks/05_mobilenetv2_cats_dogs.ipynb

1. A fresh virtual environment gets only what a Colab image brings: the pinned TensorFlow and Keras, and a Jupyter
   kernel (ipykernel). Not this checkout, not its other dependencies.
2. Each lesson is copied alone into an empty folder and run through nbval (the same reference outputs as
   `make test`) in a kernel of that environment, with no PYTHONPATH: its first cell must install the course's package
   itself. TLCOURSE_INSTALL_FROM points that install at a copy of this checkout's files (tracked and new ones, as
   they are on disk), so the code under test is this checkout's, installed the way a student's install does it.
3. Between lessons the course's package is uninstalled again, so every lesson's install cell runs; the packages it
   pulled stay (a second lesson on Colab finds them too).

Offline settings (TLCOURSE_OFFLINE, TLCOURSE_MIRROR) are passed on; the data and Keras caches are fresh. pip needs
PyPI (or a warm pip cache) for the environment and the install. --keep keeps the work folder for a look afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from tools.pins import pins
except ModuleNotFoundError:   # run as a script (python tools/standalone.py): tools/ itself is on sys.path
    from pins import pins

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "tlcourse-standalone"
PREINSTALLED = ("tensorflow", "keras", "ipykernel")   # what a Colab image has before the lesson's first cell


def copy_checkout(dest: Path, root: Path = ROOT) -> Path:
    """The checkout's files as they are on disk (tracked, and new ones git does not ignore), copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = root / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


# Nothing of this checkout may leak into the fresh environment (PYTHONPATH would show pip and the kernel its src/).
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(cmd: list) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, env=CLEAN_ENV)


def fresh_environment(venv: Path) -> Path:
    """A virtual environment with only the pinned TensorFlow, Keras and ipykernel, and its kernel spec."""
    versions = pins(("pinned", "lab"))
    missing = [name for name in PREINSTALLED if name not in versions]
    if missing:
        raise SystemExit(f"pyproject.toml pins no version of {', '.join(missing)}; the fresh environment needs one.")
    run([sys.executable, "-m", "venv", venv])
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run([py, "-m", "pip", "install", "-qq", "--disable-pip-version-check",
         *[f"{name}=={versions[name]}" for name in PREINSTALLED]])
    run([py, "-m", "ipykernel", "install", "--prefix", venv, "--name", KERNEL])
    return py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lessons", nargs="+", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the work folder (its path is printed)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="tlcourse-standalone-"))
    print(f"work folder: {work}", flush=True)
    t0 = time.monotonic()
    failed = []
    try:
        source = copy_checkout(work / "course")
        py = fresh_environment(work / "venv")
        print(f"fresh environment ready in {time.monotonic() - t0:.0f} s", flush=True)
        (work / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
        env = dict(CLEAN_ENV,
                   JUPYTER_PATH=str(work / "venv" / "share" / "jupyter"), TLCOURSE_INSTALL_FROM=source.as_uri(),
                   TLCOURSE_DATA=str(work / "data"), KERAS_HOME=str(work / "keras"),
                   TLCOURSE_STRICT_CHECKS=CLEAN_ENV.get("TLCOURSE_STRICT_CHECKS", "1"))
        for lesson in args.lessons:
            folder = work / lesson.stem
            folder.mkdir()
            shutil.copy2(lesson, folder / lesson.name)
            start = time.monotonic()
            status = subprocess.run(
                [sys.executable, "-m", "pytest", "-c", work / "pytest.ini", "--rootdir", folder, lesson.name,
                 "--nbval-lax", "--nbval-kernel-name", KERNEL, "--nbval-cell-timeout=1800", "-q"],
                cwd=folder, env=env).returncode
            print(f"{lesson.name}: {'passed' if status == 0 else 'FAILED'} on its own in "
                  f"{time.monotonic() - start:.0f} s", flush=True)
            # the environment started without the course's package: the lesson's first cell must have installed it
            where = subprocess.run([py, "-c", "import tlcourse; print(tlcourse.__file__)"], env=CLEAN_ENV, cwd=work,
                                   capture_output=True, text=True).stdout.strip()
            if not where or not Path(where).resolve().is_relative_to((work / "venv").resolve()):
                print(f"{lesson.name}: its first cell did not install the course's package into the fresh "
                      f"environment (tlcourse found at: {where or 'nowhere'})", flush=True)
                status = status or 1
            if status:
                failed.append(lesson.name)
            run([py, "-m", "pip", "uninstall", "--quiet", "--yes", "tlcourse"])
    finally:
        if args.keep or failed:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"standalone: {len(args.lessons) - len(failed)} of {len(args.lessons)} lessons passed, "
          f"{time.monotonic() - t0:.0f} s in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
