// Behaviour the pages share, kept out of the markup so the Content-Security-Policy
// can refuse every inline script.
// <select data-autosubmit>: choosing an option submits its form (a filter).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
