"""The pins in pyproject.toml and environment.yml stay in step, and the installed versions match them."""

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def pyproject_pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return dict(d.split("==") for d in deps)


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return dict(d.split("==") for d in pip if "==" in d)


def test_every_dependency_is_pinned_exactly():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    loose = [d for d in deps if "==" not in d]
    assert not loose, f"pin these exactly in pyproject.toml: {loose}"


def test_environment_yml_matches_pyproject():
    assert environment_pins() == pyproject_pins()


def test_numpy_stays_below_2_4_for_emnist():
    major, minor = map(int, pyproject_pins()["numpy"].split(".")[:2])
    assert (major, minor) < (2, 4), "emnist 0.0 fails to load on numpy 2.4: keep numpy 2.3.x"


@pytest.mark.parametrize("name", sorted(pyproject_pins()))
def test_installed_version_matches_pin(name):
    assert version(name) == pyproject_pins()[name]
