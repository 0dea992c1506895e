"""Sphinx extension: serve the book's JavaScript from the book itself, so that no page needs the internet.

By default sphinxcontrib-mermaid loads mermaid.js, and Sphinx loads MathJax, from a CDN. This extension gets the
npm packages ``mermaid`` and ``mathjax`` (pinned below; mermaid at the version sphinxcontrib-mermaid 2.1.1 expects)
into a cache outside the repository (``$TLCOURSE_NPM_DIR``, default ``~/.cache/tlcourse/npm``, one folder per
package and version) with ``npm install`` when they are not there yet. It copies the files the pages load (no
source maps) into ``_build/offline_static/``, adds that folder to ``html_static_path``, and points
``mermaid_use_local`` and ``mathjax_path`` at the copies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

MERMAID_VERSION = "11.12.1"
MATHJAX_VERSION = "3.2.2"
logger = logging.getLogger(__name__)


def npm_dir() -> Path:
    value = os.environ.get("TLCOURSE_NPM_DIR", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "tlcourse" / "npm"


def npm_package(name: str, version: str) -> Path:
    """The folder of npm package ``name@version`` in the cache, installed with ``npm install`` if missing."""
    prefix = npm_dir() / f"{name}-{version}"
    folder = prefix / "node_modules" / name
    manifest = folder / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("version") == version:
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            f"The book needs the npm package {name}@{version} (served locally, so pages work offline), and it is "
            f"not in {prefix}. Install Node.js/npm (e.g. `apt-get install npm`) and build again, or run "
            f"`npm install --prefix {prefix} {name}@{version}` on a machine with access to the npm registry.")
    prefix.mkdir(parents=True, exist_ok=True)
    logger.info(f"[offline_assets] npm install {name}@{version} into {prefix}")
    done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund",
                           f"{name}@{version}"], capture_output=True, text=True)
    if done.returncode != 0 or not manifest.is_file():
        raise ExtensionError(f"`npm install {name}@{version}` failed (exit {done.returncode}):\n"
                             f"{done.stderr[-2000:]}\nCheck the connection to the npm registry, or set "
                             "TLCOURSE_NPM_DIR to a folder where the package is installed.")
    return folder


def _copy(src: Path, dst: Path, pattern: str = "*") -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.glob(pattern):
        if f.is_file() and not f.name.endswith(".map"):
            shutil.copy2(f, dst / f.name)


def _stage(app) -> None:
    staging = Path(app.outdir).parent / "offline_static"
    if staging.exists():
        shutil.rmtree(staging)
    mermaid = npm_package("mermaid", MERMAID_VERSION)
    _copy(mermaid / "dist", staging / "mermaid", "mermaid.esm.min.mjs")
    _copy(mermaid / "dist" / "chunks" / "mermaid.esm.min", staging / "mermaid" / "chunks" / "mermaid.esm.min")
    _copy(mermaid, staging / "mermaid", "LICENSE")
    mathjax = npm_package("mathjax", MATHJAX_VERSION)
    es5 = mathjax / "es5"
    target = staging / "mathjax"
    shutil.copytree(es5, target, ignore=shutil.ignore_patterns("*.map", "sre", "*-speech.js"))
    _copy(mathjax, target, "LICENSE")
    _copy(Path(__file__).parent / "static", staging)        # the course's own fixes (tlcourse-a11y.js/.css)
    app.config.html_static_path = list(app.config.html_static_path) + [str(staging)]
    app.config.mermaid_use_local = "mermaid/mermaid.esm.min.mjs"
    app.config.mathjax_path = "mathjax/tex-mml-chtml.js"


def _builder_inited(app) -> None:
    if app.builder.format == "html":
        _stage(app)


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated inline scripts: sphinx-thebe 0.3.1 adds its inline configuration script at every
    env-before-read-docs, which Jupyter Book fires more than once (at different priorities, so Sphinx's own
    de-duplication keeps both), and pages declared `const THEBE_JS_URL` twice: a SyntaxError in the browser
    console. Runs first among the html-page-context handlers (Sphinx stops at the first that returns a value)."""
    seen, unique = set(), []
    for script in list(context.get("script_files", [])):
        body = getattr(script, "attributes", {}).get("body")
        key = ("body", body) if body else ("file", str(getattr(script, "filename", script)))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = unique          # in place: handlers after this one (sphinxcontrib-mermaid) still add to it


def setup(app):
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _dedupe_scripts, priority=1)
    app.add_js_file("tlcourse-a11y.js")
    app.add_css_file("tlcourse-a11y.css")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
