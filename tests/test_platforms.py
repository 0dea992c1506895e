"""The student install resolves, from binary wheels only, on every platform book/setup.md says works.

The student install is the package with its extras `pinned` and `lab` (`pip install -e ".[pinned,lab]"`), for
CPython 3.11. It is resolved here for manylinux x86_64, macOS arm64 and Windows x86_64 with uv (the `test` extra
pins it), because `pip install --dry-run --platform ...` picks wheels for the target platform but evaluates
environment markers for the RUNNING interpreter: run on Linux, it asks for tensorflow-text on Windows too, whose
marker says `platform_system != 'Windows'`. uv evaluates the markers for the target (`--python-platform`).

The resolves query PyPI (package metadata only, a few seconds with uv's cache, all run in parallel). When PyPI cannot
be reached the tests are skipped, with the reason; with TLCOURSE_REQUIRE_NETWORK=1 they fail instead (set it where
a skipped check must not pass unnoticed). TLCOURSE_OFFLINE is about the course's data files and does not apply.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.pins import requirements

ROOT = Path(__file__).resolve().parents[1]
PYTHON = "3.11"
INDEX = "https://pypi.org/simple/"
STUDENT = ("pinned", "lab")
# The platforms setup.md says the course installs on: pytest id -> (uv's --python-platform, the markers' values).
# manylinux_2_28: glibc 2.28 or later. macOS: the oldest release setup.md names, 12 (TensorFlow's wheel is
# macosx_12_0_arm64), set with MACOSX_DEPLOYMENT_TARGET (uv's default is 13).
MACOS = "12.0"
PLATFORMS = {
    "manylinux-x86_64": ("x86_64-manylinux_2_28", {"platform_system": "Linux", "sys_platform": "linux",
                                                   "platform_machine": "x86_64"}),
    "macos-arm64": ("aarch64-apple-darwin", {"platform_system": "Darwin", "sys_platform": "darwin",
                                             "platform_machine": "arm64"}),
    "win-amd64": ("x86_64-pc-windows-msvc", {"platform_system": "Windows", "sys_platform": "win32",
                                             "platform_machine": "AMD64", "os_name": "nt"}),
}
# Maintainers' tools: a student install must pull none of them (issue 25).
MAINTAINER_TOOLS = {"jupyter-book", "ruff", "selenium", "pytest", "nbval", "sphinxcontrib-mermaid", "uv"}


def uv_binary() -> str | None:
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    return find_uv_bin()


def unavailable(reason: str):
    if os.environ.get("TLCOURSE_REQUIRE_NETWORK") == "1":
        pytest.fail(f"{reason} (TLCOURSE_REQUIRE_NETWORK=1: the platform resolves must run)")
    pytest.skip(reason)


def pypi_reachable(timeout: float = 10) -> str | None:
    """None when PyPI's simple index answers, else why not."""
    try:
        with urllib.request.urlopen(urllib.request.Request(INDEX + "pip/", method="HEAD"), timeout=timeout):
            return None
    except OSError as e:
        return f"{INDEX} cannot be reached ({e})"


def compile_args(platform: str, extras=STUDENT, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    args = ["pip", "compile", "--quiet", "--no-header", "--no-annotate", "--no-config", "--index-url", INDEX,
            "--python-version", PYTHON, "--python-platform", platform, "--only-binary", ":all:", str(pyproject)]
    for extra in extras:
        args += ["--extra", extra]
    return args


def resolve(uv: str, args: list[str]) -> dict:
    """Run one `uv pip compile`: {'ok', 'packages' (name -> version), 'error', 'seconds'}."""
    start = time.monotonic()
    env = {**os.environ, "MACOSX_DEPLOYMENT_TARGET": MACOS}
    out = subprocess.run([uv, *args], capture_output=True, text=True, timeout=300, env=env)
    packages = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)$", out.stdout, flags=re.M))
    return {"ok": out.returncode == 0, "packages": {canonicalize_name(k): v for k, v in packages.items()},
            "error": out.stderr.strip(), "seconds": time.monotonic() - start}


def unresolvable(error: str) -> str:
    """The package uv names first as the reason a resolve failed ('Because tensorflow-text==2.21.1 has no wheels')."""
    found = re.search(r"Because (?:only |there (?:is|are) no versions? of )?([A-Za-z0-9._-]+?)"
                      r"(?:[=<>!~]=?|\[| has| was| depends|$)", error, flags=re.M)
    return found.group(1) if found else "?"


def explain(platform: str, result: dict) -> str:
    return (f"the student install (.[{','.join(STUDENT)}], CPython {PYTHON}, wheels only) does not resolve for "
            f"{platform}: '{unresolvable(result['error'])}' has no fitting wheel. uv says:\n{result['error']}\n"
            "Put an environment marker on that requirement where it has no wheel, or say in book/setup.md that "
            "the platform is not supported.")


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> dict[str, dict]:
    """Every resolve this module checks, run in parallel: the student install per platform, the GPU install on
    Linux, Intel macOS (expected to fail), and a control that must fail on Windows (tensorflow-text alone)."""
    uv = uv_binary()
    if uv is None:
        unavailable("uv is not installed (pip install -e '.[test]')")
    why = pypi_reachable()
    if why:
        unavailable(why)
    control = tmp_path_factory.mktemp("platforms") / "requirements.in"
    control.write_text("tensorflow-text==2.21.1\n")
    jobs = {name: compile_args(platform) for name, (platform, _) in PLATFORMS.items()}
    jobs["gpu-linux"] = compile_args("x86_64-manylinux_2_28", extras=(*STUDENT, "gpu"))
    jobs["macos-x86_64"] = compile_args("x86_64-apple-darwin")
    jobs["control-win"] = compile_args("x86_64-pc-windows-msvc", extras=(), pyproject=control)
    start = time.monotonic()
    with ThreadPoolExecutor(len(jobs)) as pool:
        results = dict(zip(jobs, pool.map(lambda args: resolve(uv, args), jobs.values()), strict=True))
    print(f"\n{len(jobs)} resolves in parallel: {time.monotonic() - start:.1f} s wall; "
          + ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in results.items()))
    return results


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_student_install_resolves(resolved, name):
    result = resolved[name]
    assert result["ok"], explain(PLATFORMS[name][0], result)


def pinned_requirements() -> list[Requirement]:
    return [r for group in STUDENT for r in requirements(group)]


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_student_install_gets_every_pin(resolved, name):
    """Each pin applies where its marker says, at exactly its version; tensorflow-text only where it has wheels."""
    result = resolved[name]
    if not result["ok"]:
        pytest.skip("does not resolve (test_student_install_resolves says why)")
    environment = {"python_version": PYTHON, "python_full_version": f"{PYTHON}.0", "implementation_name": "cpython",
                   "platform_python_implementation": "CPython", "os_name": "posix", **PLATFORMS[name][1]}
    wrong = {}
    for req in pinned_requirements():
        applies = req.marker is None or req.marker.evaluate(environment)
        (pin,) = [s.version for s in req.specifier]
        got = result["packages"].get(canonicalize_name(req.name))
        if applies and got != pin or not applies and got is not None:
            wrong[req.name] = f"pinned {pin if applies else '(not on this platform)'}, resolved {got}"
    assert not wrong, f"{name}: {wrong}"


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_student_install_pulls_no_maintainer_tools(resolved, name):
    result = resolved[name]
    if not result["ok"]:
        pytest.skip("does not resolve (test_student_install_resolves says why)")
    pulled = MAINTAINER_TOOLS & set(result["packages"])
    assert not pulled, (f"the student install .[{','.join(STUDENT)}] pulls maintainers' tools {sorted(pulled)}: "
                        "move them to the extras book/test/lint")


def test_gpu_install_resolves_on_linux(resolved):
    result = resolved["gpu-linux"]
    assert result["ok"], explain("x86_64-manylinux_2_28 with the gpu extra", result)
    assert any(p.startswith("nvidia-") for p in result["packages"]), "the gpu extra pulls no CUDA libraries"


def test_intel_mac_has_no_tensorflow_wheel(resolved):
    """book/setup.md tells Intel Mac users to use Colab because TensorFlow has no wheel for them: still true?"""
    result = resolved["macos-x86_64"]
    assert not result["ok"], "the student install resolves on Intel macOS now: update book/setup.md's platform table"
    assert unresolvable(result["error"]) == "tensorflow", result["error"]


def test_the_check_sees_a_missing_wheel(resolved):
    """The control: tensorflow-text has no Windows wheel, and the resolve says so by name (so a pass above is real)."""
    result = resolved["control-win"]
    assert not result["ok"]
    assert unresolvable(result["error"]) == "tensorflow-text", result["error"]
