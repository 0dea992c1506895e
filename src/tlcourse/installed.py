"""What a lesson's set-up cell installed, said in one line, and whether the session must restart.

On Colab, or when a lesson is opened on its own, the first cell installs the course's package with
``%pip install --report tlcourse-install.json "tlcourse @ <the repository>"`` and then calls :func:`report`.
pip may have installed packages the image lacked and replaced some it had (e.g. a Keras older than the course
needs). A package that was already *imported* in the session stays in memory at its old version until the session
restarts, so the next cells would mix versions: :func:`report` then stops the lesson with what to do.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from pathlib import Path

__all__ = ["report", "loaded_elsewhere", "RestartNeeded"]

RESTART = ("Restart the session (Colab: Runtime > Restart session; JupyterLab: Kernel > Restart Kernel), then run "
           "the lesson again from the top: the set-up cell will find the package installed.")


class RestartNeeded(RuntimeError):
    """pip replaced a package this session had already imported."""


def _same(loaded: str, installed: str) -> bool:
    """Whether a module's ``__version__`` names the installed version (pooch says "v1.9.0" for 1.9.0)."""
    try:
        from packaging.version import Version
        return Version(loaded) == Version(installed)
    except Exception:   # no packaging, or a version it cannot parse: compare the text
        return loaded.lstrip("v") == installed.lstrip("v")


def _name(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()   # PEP 503: Foo_Bar.baz and foo-bar-baz are one distribution


def loaded_elsewhere(installed: dict[str, str], modules: dict | None = None) -> list[tuple[str, str, str]]:
    """``(distribution, loaded version, installed version)`` for each distribution of ``installed``
    (name -> version) whose module is already imported (in ``modules``, default ``sys.modules``) at another version."""
    modules = sys.modules if modules is None else modules
    by_dist: dict[str, list[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            by_dist.setdefault(_name(dist), []).append(module)
    out = []
    for dist, version in installed.items():
        for module in by_dist.get(_name(dist), [_name(dist).replace("-", "_")]):
            loaded = getattr(modules.get(module), "__version__", None)
            if isinstance(loaded, str) and not _same(loaded, version):
                out.append((dist, loaded, version))
                break
    return out


def report(path: str | Path = "tlcourse-install.json") -> dict[str, str]:
    """Print one line naming what pip installed (read from its ``--report`` file, which is then deleted) and return
    it as name -> version; raise :class:`RestartNeeded` when one of them was already imported at another version."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"The course's package is installed (pip's report {path} could not be read: {err}).")
        return {}
    path.unlink(missing_ok=True)
    installed = {item["metadata"]["name"]: item["metadata"]["version"] for item in data.get("install", [])}
    if not installed:
        print("pip installed nothing: the course's package and everything it needs were already here.")
        return {}
    others = sorted((k, v) for k, v in installed.items() if k.lower() != "tlcourse")
    listed = ", ".join(f"{name} {version}" for name, version in others)
    print(f"Installed the course's package tlcourse {installed.get('tlcourse', '')}".rstrip()
          + (f" and {len(others)} package{'s' if len(others) != 1 else ''} it needs: {listed}." if others else
             "; everything else it needs was already here."))
    stale = loaded_elsewhere(installed)
    if stale:
        what = "; ".join(f"{dist} {old} is loaded, pip installed {new}" for dist, old, new in stale)
        raise RestartNeeded(f"This session imported packages before pip replaced them ({what}). {RESTART}")
    return installed
