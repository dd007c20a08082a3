// Certifications: a certification's name expands its detail in place (htmx loads
// it); choosing the name again collapses it without asking the server. Without JavaScript
// the name is a plain link to the detail page.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest("a.expander");
    if (!link) return;
    const region = document.getElementById(link.getAttribute("aria-controls"));
    if (!region) return;
    if (link.getAttribute("aria-expanded") === "true") {
      // Capture phase: stop htmx from loading the detail again, and the link from navigating.
      event.preventDefault();
      event.stopPropagation();
      region.replaceChildren();
      link.setAttribute("aria-expanded", "false");
    } else {
      link.setAttribute("aria-expanded", "true");
    }
  },
  true,
);
