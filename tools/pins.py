"""pyproject.toml's requirements, read in one place for the tools and tests that need them: tools/standalone.py
(the versions a fresh environment starts with), tests/test_pins.py and tests/test_platforms.py."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS = PROJECT["optional-dependencies"]


def requirements(group: str) -> list[Requirement]:
    """A group's requirements ('base' = [project] dependencies), without the self-references (tlcourse[...])."""
    reqs = [Requirement(r) for r in (PROJECT["dependencies"] if group == "base" else EXTRAS[group])]
    return [r for r in reqs if canonicalize_name(r.name) != "tlcourse"]


def exact(req: Requirement) -> str | None:
    """The version a requirement pins with ``==``, or None."""
    specs = list(req.specifier)
    return specs[0].version if len(specs) == 1 and specs[0].operator == "==" else None


def pins(groups) -> dict[str, str | None]:
    """name -> pinned version (None where a requirement is a range) of every requirement of ``groups``."""
    return {canonicalize_name(r.name): exact(r) for g in groups for r in requirements(g)}
