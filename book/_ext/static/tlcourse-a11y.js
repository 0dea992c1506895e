// Accessibility fixes for the book's theme (pydata-sphinx-theme via sphinx-book-theme), found by axe-core in
// tests/test_book_browser.py. Each fix keeps what the control does and only corrects its accessible name.
document.addEventListener("DOMContentLoaded", () => {
  // label-content-name-mismatch: the search buttons show "Search Ctrl+K" but were labelled "Search" only.
  // Without aria-label, their accessible name is their visible text.
  document.querySelectorAll(".search-button-field[aria-label]").forEach((b) => b.removeAttribute("aria-label"));
  // label-content-name-mismatch: the colour-mode button is labelled "Color mode", but its icons carry titles
  // ("Light", "Dark", "System Settings") that count as content. The icons are decoration: hide them from
  // assistive technology; the button keeps its label.
  document.querySelectorAll(".theme-switch-button i.theme-switch").forEach((i) => {
    i.setAttribute("aria-hidden", "true");
    i.removeAttribute("title");
  });
});
