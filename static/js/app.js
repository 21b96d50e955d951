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

// A link of the error summary takes the focus to its field, not only the view.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  const field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  field.focus();
  field.scrollIntoView({ block: "center" });
});
