"""The built book, opened in a real browser: headless Debian Chromium driven by Selenium.

Runs when the book has been built (``_build/html/index.html`` exists) or when ``TLCOURSE_BROWSER=1`` asks for it
(then a missing book, browser or driver is a failure, not a skip). ``make test`` runs it after the strict book
build. Nothing here downloads a browser: Chromium and its driver come from Debian (``apt-get install chromium
chromium-driver``), and axe-core, the accessibility engine, from the npm registry into a cache outside the
repository (``$TLCOURSE_NPM_DIR``, default ``~/.cache/tlcourse/npm``).

The book is served by a real HTTP server on 127.0.0.1; every page is checked for: it renders, its images load,
no console errors, no request leaves 127.0.0.1, and axe-core finds no serious or critical violation. The sidebar
navigation and the search page are exercised by clicking and typing. Screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("TLCOURSE_BOOK_HTML", "") or ROOT / "_build" / "html")   # the built book
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("TLCOURSE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TLCOURSE_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE_VERSION = "4.14.1"
REQUESTED = os.environ.get("TLCOURSE_BROWSER", "").strip().lower() in ("1", "true", "yes", "on")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1280,900"]


def _why_not() -> str | None:
    if not (HTML / "index.html").is_file():
        return f"no built book at {HTML} (run `make book-strict` first, or set TLCOURSE_BROWSER=1 to require it)"
    for path, hint in ((CHROMIUM, "apt-get install chromium"), (CHROMEDRIVER, "apt-get install chromium-driver")):
        if not Path(path).is_file():
            return f"{path} is missing ({hint})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


_reason = _why_not()
if _reason and REQUESTED:
    raise RuntimeError(f"TLCOURSE_BROWSER=1 but the browser test cannot run: {_reason}")
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


def _pages() -> list[str]:
    """Every page of the table of contents, as a path under _build/html (from _toc.yml, in order)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [f + ".html" for f in files]


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def axe_source() -> str:
    base = Path(os.environ.get("TLCOURSE_NPM_DIR", "") or Path.home() / ".cache" / "tlcourse" / "npm")
    prefix = base / f"axe-core-{AXE_VERSION}"         # one folder per package, as book/_ext/offline_assets.py
    pkg = prefix / "node_modules" / "axe-core"
    manifest = pkg / "package.json"
    if not (manifest.is_file() and json.loads(manifest.read_text()).get("version") == AXE_VERSION):
        npm = shutil.which("npm")
        assert npm, f"axe-core {AXE_VERSION} is not in {prefix} and npm is not installed (apt-get install npm)"
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund",
                               f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm install axe-core@{AXE_VERSION} failed:\n{done.stderr[-2000:]}"
    return (pkg / "axe.min.js").read_text()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _open(browser, url: str):
    browser.get(url)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # Mermaid draws its diagrams after the page has loaded: wait until every diagram has an SVG.
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('pre.mermaid, div.mermaid')].every(e => e.querySelector('svg'))"))


def _console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e.get("level") == "SEVERE"]


@pytest.mark.parametrize("page", _pages())
def test_page_renders_with_images_no_errors_and_no_outside_requests(browser, server, page):
    _open(browser, f"{server}/{page}")
    name = page.replace("/", "_").removesuffix(".html")
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    title = browser.execute_script("return document.querySelector('main h1, article h1')?.textContent || ''")
    assert title.strip(), f"{page}: no <h1> title rendered"
    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{page}: images that did not load: {broken}"
    outside = [u for u in browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
        if urlparse(u).hostname not in ("127.0.0.1", None) and not u.startswith(("data:", "blob:"))]
    assert not outside, f"{page}: requests that leave the book's own server: {outside}"
    errors = _console_errors(browser)
    assert not errors, f"{page}: console errors: {errors}"


def test_every_lesson_and_the_results_page_are_in_the_book():
    pages = _pages()
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    missing = [n for n in lessons if f"notebooks/{n.removesuffix('.ipynb')}.html" not in pages]
    assert not missing, f"lessons missing from _toc.yml: {missing}"
    assert "results.html" in pages
    numbers = [int(Path(p).name[:2]) for p in pages if p.startswith("notebooks/")]
    assert numbers == sorted(numbers), f"lessons out of order in the table of contents: {numbers}"


def test_sidebar_navigation_reaches_a_lesson(browser, server):
    from selenium.webdriver.common.by import By

    _open(browser, f"{server}/book/intro.html")
    link = browser.find_element(By.CSS_SELECTOR, "nav.bd-docs-nav a[href*='05_mobilenetv2_cats_dogs']")
    link.click()
    _open(browser, browser.current_url)
    assert browser.current_url.endswith("notebooks/05_mobilenetv2_cats_dogs.html")
    assert browser.title.startswith("Lesson 5"), browser.title
    browser.save_screenshot(str(SHOTS / "navigation_lesson5.png"))


def test_search_page_finds_a_word(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, f"{server}/search.html?q=BatchNormalization")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li"))
    hits = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")
    assert any("05_mobilenetv2_cats_dogs" in (h.get_attribute("href") or "") for h in hits), \
        [h.get_attribute("href") for h in hits]
    browser.save_screenshot(str(SHOTS / "search.png"))
    assert not _console_errors(browser)


@pytest.mark.parametrize("page", _pages())
def test_axe_finds_no_serious_or_critical_violation(browser, server, axe_source, page):
    _open(browser, f"{server}/{page}")
    browser.execute_script(axe_source)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — e.g. {[n['target'] for n in v['nodes'][:3]]}"
           for v in result if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{page}: axe-core violations:\n" + "\n".join(bad)


def _page_text(path: Path) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style") and self.skip > 0

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "".join(parser.parts)


def test_the_lessons_show_no_course_machinery_and_no_tensorflow_log_lines():
    """The rendered lessons (text of _build/html/notebooks/*.html): no nbval markers, save calls, Colab installs or
    TensorFlow INFO/WARNING lines, and at most 16 run.record/run.timer/assert in all lessons (the ones that teach)."""
    pages = sorted((HTML / "notebooks").glob("[0-9][0-9]_*.html"))
    assert pages, f"no lesson pages under {HTML / 'notebooks'}"
    counts = {}
    for page in pages:
        text = _page_text(page)
        counts[page.stem] = {k: text.count(k) for k in ("NBVAL_CHECK_OUTPUT", "run.save(", "%pip install",
                                                        "INFO:tensorflow", "WARNING:", "run.record(", "run.timer(",
                                                        "assert ")}
    shown = {k: sum(c[k] for c in counts.values()) for k in next(iter(counts.values()))}
    for key in ("NBVAL_CHECK_OUTPUT", "run.save(", "%pip install", "INFO:tensorflow", "WARNING:"):
        assert shown[key] == 0, (key, {p: c[key] for p, c in counts.items() if c[key]})
    assert shown["run.record("] + shown["run.timer("] + shown["assert "] <= 16, counts
