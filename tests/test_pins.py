"""pyproject.toml's install groups stay consistent, the conda files install them, and this environment matches.

The layout (issue 25): `[project] dependencies` are ranges of what the lessons import; the extra `pinned` holds the
versions tested together, one per dependency, each inside its range; `lab` (JupyterLab) and `gpu` are for students;
`book`, `test`, `lint` hold the maintainers' tools, pinned exactly, and `dev` is all of them. environment.yml installs
the student set `.[pinned,lab]` and environment-gpu.yml adds `gpu`; the versions live in pyproject.toml only.
"""

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tools.pins import EXTRAS, PROJECT, exact, pins, requirements

ROOT = Path(__file__).resolve().parents[1]
STUDENT_EXTRAS = {"pinned", "lab", "gpu"}
MAINTAINER_EXTRAS = {"book", "test", "lint"}
# The environment files and the extras each one installs (after `-e .`).
ENVIRONMENTS = {"environment.yml": ("tlcourse", "pinned,lab"),
                "environment-gpu.yml": ("tlcourse-gpu", "pinned,lab,gpu")}


def included(group: str) -> set[str]:
    """The extras a group names through tlcourse[...], itself included."""
    found = {group}
    for r in (Requirement(s) for s in EXTRAS[group]):
        if canonicalize_name(r.name) == "tlcourse":
            for extra in r.extras:
                found |= included(extra)
    return found


def test_extras_are_the_agreed_groups():
    assert set(EXTRAS) == STUDENT_EXTRAS | MAINTAINER_EXTRAS | {"dev"}, sorted(EXTRAS)
    assert included("lab") == {"lab", "pinned"}, "lab installs the tested pins with JupyterLab"
    assert included("dev") == {"dev", "pinned", "lab"} | MAINTAINER_EXTRAS, "dev is every group but gpu"


def test_every_extra_pins_exactly():
    loose = [f"{g}: {r}" for g in EXTRAS for r in requirements(g) if exact(r) is None]
    assert not loose, f"pin these exactly in pyproject.toml: {loose}"


def test_base_dependencies_are_ranges_and_pinned_gives_each_its_tested_version():
    base = {canonicalize_name(r.name): r for r in requirements("base")}
    pinned = {canonicalize_name(r.name): r for r in requirements("pinned")}
    assert not [n for n, r in base.items() if r.marker], "a base dependency with a marker: put the marker on its pin"
    assert set(base) <= set(pinned), f"no tested version in the extra pinned for {sorted(set(base) - set(pinned))}"
    outside = {n: f"{exact(pinned[n])} not in {r.specifier}" for n, r in base.items()
               if not r.specifier.contains(exact(pinned[n]), prereleases=True)}
    assert not outside, f"a pin outside its base range (pip could not install .[pinned]): {outside}"
    extra = set(pinned) - set(base)
    assert extra == {"tensorflow-text"}, (
        f"pinned has {sorted(extra)} beyond the base dependencies: the lessons import them, so list them in "
        "[project] dependencies too (tensorflow-text only pins what keras-hub requires)")
    assert str(pinned["tensorflow-text"].marker) == "platform_system != \"Windows\"", (
        "tensorflow-text: the marker keras-hub 0.32 puts on it (no Windows wheel)")


def test_a_package_pinned_twice_has_one_version():
    seen: dict[str, set[str]] = {}
    for g in EXTRAS:
        for r in requirements(g):
            seen.setdefault(canonicalize_name(r.name), set()).add(exact(r))
    twice = {n: v for n, v in seen.items() if len(v) > 1}
    assert not twice, f"pinned differently in two extras: {twice}"


def test_tensorflow_family_shares_one_minor():
    """tf-keras 2.N, tensorflow-text 2.N and tensorboard 2.N each require TensorFlow 2.N."""
    p = pins(["pinned"])
    minor = p["tensorflow"].split(".")[:2]
    off = {n: p[n] for n in ("tf-keras", "tensorflow-text", "tensorboard") if p[n].split(".")[:2] != minor}
    assert not off, f"TensorFlow is {p['tensorflow']}: {off} must share its minor version"
    gpu = {canonicalize_name(r.name): exact(r) for r in requirements("gpu")}
    assert gpu == {"tensorflow": p["tensorflow"]}, "the gpu extra installs the pinned TensorFlow with CUDA"


def test_numpy_stays_below_2_4_for_emnist():
    base = {canonicalize_name(r.name): r for r in requirements("base")}
    assert not base["numpy"].specifier.contains("2.4.0"), "emnist 0.0 fails to load on numpy 2.4: keep numpy < 2.4"
    major, minor = map(int, pins(["pinned"])["numpy"].split(".")[:2])
    assert (major, minor) < (2, 4), "emnist 0.0 fails to load on numpy 2.4: keep numpy 2.3.x"


def test_students_get_no_maintainer_tools():
    tools = set(pins(MAINTAINER_EXTRAS)) - set(pins(STUDENT_EXTRAS | {"base"}))
    assert {"pytest", "nbval", "ruff", "jupyter-book", "selenium"} <= tools
    leaked = {"pytest", "nbval", "ruff", "jupyter-book", "selenium", "sphinxcontrib-mermaid", "uv"} & set(
        pins(STUDENT_EXTRAS | {"base"}))
    assert not leaked, f"maintainers' tools in a student group: {sorted(leaked)}"


def environment(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_environment_file_installs_the_student_extras(name):
    env = environment(name)
    env_name, extras = ENVIRONMENTS[name]
    assert env["name"] == env_name
    assert env["channels"] == ["conda-forge"]
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip == [[f"-e .[{extras}]"]], (
        f"{name}: pip installs exactly `-e .[{extras}]` (the versions live in pyproject.toml only)")
    assert set(extras.split(",")) <= set(EXTRAS)


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_environment_python_is_supported_and_tested(name):
    from test_platforms import PYTHON

    conda = [d for d in environment(name)["dependencies"] if isinstance(d, str)]
    assert f"python={PYTHON}" in conda, f"{name}: python={PYTHON}, the version tests/test_platforms.py resolves for"
    assert SpecifierSet(PROJECT["requires-python"]).contains(f"{PYTHON}.0")


def test_environment_files_differ_only_in_name_and_gpu():
    (a, _), (b, _) = [(environment(n), n) for n in ENVIRONMENTS]
    strip = lambda env: [d for d in env["dependencies"] if isinstance(d, str)]  # noqa: E731
    assert strip(a) == strip(b) and a["channels"] == b["channels"]


# This environment (the maintainers': .[dev], or a student's .[pinned,lab]) has the pinned versions of what it has.
INSTALLED_GROUPS = sorted(included("dev") - {"dev"})
APPLICABLE = {canonicalize_name(r.name): exact(r) for g in INSTALLED_GROUPS for r in requirements(g)
              if r.marker is None or r.marker.evaluate()}


@pytest.mark.parametrize("name", sorted(APPLICABLE))
def test_installed_version_matches_pin(name):
    try:
        installed = version(name)
    except PackageNotFoundError:
        if name in pins(MAINTAINER_EXTRAS) and name not in pins(STUDENT_EXTRAS):
            pytest.skip(f"{name} is not installed (a maintainers' tool: pip install -e '.[dev]')")
        raise
    assert installed == APPLICABLE[name], (
        f"{name} {installed} is installed, pyproject.toml pins {APPLICABLE[name]}: "
        f"{sys.executable} -m pip install -e '.[dev]'")
