// Behaviour the pages share, kept out of the markup so the Content-Security-Policy
// can refuse every inline script.
// <select data-autosubmit>: choosing an option submits its form (a filter).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});

// A form that came back with errors: its summary, at the top, takes the focus so that
// the eye (and a screen reader) starts there; each entry links to its field.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});

// A link of the error summary (or a shortcut to a form) takes the focus to its field,
// not only the view.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#'], a.jump-to-field");
  const field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  field.focus();
  field.scrollIntoView({ block: "center" });
});

// The main menu on a phone: the button shows and hides it. Without JavaScript the
// button stays hidden and the menu open, so every page is still reachable.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  const topbar = toggle && toggle.closest(".topbar");
  if (!topbar) return;
  toggle.hidden = false;
  topbar.classList.add("nav-collapsible");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    topbar.classList.toggle("nav-open", open);
  });
});

// A table that scrolls sideways inside its card (on a phone) can be scrolled with
// the keyboard too: it takes the focus (tabindex 0) while it overflows.
function focusableWhenScrolling(root) {
  for (const table of root.querySelectorAll(".table.table-grid, .table-scroll")) {
    if (table.scrollWidth > table.clientWidth) table.setAttribute("tabindex", "0");
    else if (table.getAttribute("tabindex") === "0") table.removeAttribute("tabindex");
  }
}
document.addEventListener("DOMContentLoaded", () => focusableWhenScrolling(document));
window.addEventListener("resize", () => focusableWhenScrolling(document));
document.addEventListener("htmx:afterSettle", () => focusableWhenScrolling(document));

// On a phone a table's rows stack (app.css): each cell is labelled with its column's
// name, read from the table's head.
function labelCells(root) {
  for (const table of root.querySelectorAll(".table:not(.table-grid)")) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!heads.length) continue;
    for (const row of table.querySelectorAll("tbody tr")) {
      let column = 0;
      for (const cell of row.children) {
        const name = heads[column];
        const blank = !cell.textContent.trim() && !cell.querySelector("input, select, button");
        if (cell.tagName === "TD" && name && !blank && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", name);
        }
        column += cell.colSpan || 1;
      }
    }
  }
}
document.addEventListener("DOMContentLoaded", () => labelCells(document));
document.addEventListener("htmx:afterSettle", () => labelCells(document));

// Formsets (the handoff's stakeholders and items): "Add a ..." appends an empty row
// in place, numbered on from the last; ticking "Remove" greys the row out until the
// save removes it. Without JavaScript, saving the form adds empty rows instead.
document.addEventListener("DOMContentLoaded", () => {
  for (const set of document.querySelectorAll("[data-formset]")) {
    const prefix = set.dataset.formset;
    const total = set.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = set.querySelector("template[data-empty-row]");
    const rows = set.querySelector(".formset-rows");
    const add = set.querySelector("[data-add-row]");
    if (!total || !template || !rows || !add) continue;
    add.hidden = false;
    const hint = set.closest("section")?.querySelector("[data-no-js]");
    if (hint) hint.remove();
    add.addEventListener("click", () => {
      const index = Number(total.value);
      rows.insertAdjacentHTML(
        "beforeend",
        template.innerHTML.replaceAll("__prefix__", String(index)).replaceAll("__num__", String(index + 1)),
      );
      total.value = String(index + 1);
      const first = rows.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }
});
document.addEventListener("change", (event) => {
  const remove = event.target.closest(".field-remove input[type=checkbox]");
  if (remove) remove.closest("fieldset").classList.toggle("row-removed", remove.checked);
});
