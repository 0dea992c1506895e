// Accessibility fixes for the book's theme (pydata-sphinx-theme via sphinx-book-theme) and extensions, found by
// axe-core in tests/test_book_browser.py. Each fix keeps what the control does and only corrects its semantics.
function tlcourseA11yFixes() {
  // label-content-name-mismatch: the search buttons show "Search Ctrl+K" but were labelled "Search" only.
  // Without aria-label, their accessible name is their visible text.
  document.querySelectorAll(".search-button-field[aria-label]").forEach((b) => b.removeAttribute("aria-label"));
  // label-content-name-mismatch: the colour-mode button's icons carry titles ("Light", "Dark", ...) that did not
  // match its label "Color mode". The icons are decoration; the button gets its name from a hidden text instead.
  document.querySelectorAll(".theme-switch-button").forEach((b) => {
    b.querySelectorAll("i").forEach((i) => { i.setAttribute("aria-hidden", "true"); i.removeAttribute("title"); });
    if (!b.querySelector(".tlcourse-sr-only")) {
      const label = document.createElement("span");
      label.className = "tlcourse-sr-only";
      label.textContent = b.getAttribute("aria-label") || "Color mode";
      b.appendChild(label);
    }
    b.removeAttribute("aria-label");
  });
  // label-content-name-mismatch: drop-down toggles (<summary>) labelled "Toggle hidden content" while showing
  // other text ("Solution", "Show code cell source"): their visible text is the better name.
  document.querySelectorAll("summary[aria-label]").forEach((s) => {
    if (s.textContent.trim()) s.removeAttribute("aria-label");
  });
  // aria-required-children: sphinxcontrib-bibtex marks the bibliography role="list" but its entries
  // role="doc-biblioentry" (deprecated in ARIA 1.2); a list needs list items.
  document.querySelectorAll(".citation-list[role='list'] > [role='doc-biblioentry']").forEach((e) => {
    e.setAttribute("role", "listitem");
  });
}
document.addEventListener("DOMContentLoaded", tlcourseA11yFixes);
window.addEventListener("load", tlcourseA11yFixes);   // again, after the theme's and extensions' own scripts
