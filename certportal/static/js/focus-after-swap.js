// Keyboard focus after htmx swaps. When a swap removes the element that had focus, the
// browser drops focus to the document: the next Tab starts from nowhere, or leaves the page,
// and a screen reader says nothing of the change. Focus moves instead to the heading of what
// came in: for a whole page (a boosted link or form), the heading of its main content, as
// after following a skip link; for part of a page, that part's first heading, or the part.
// Without JavaScript there are no swaps, and every page load starts at the top as usual.
(function () {
  "use strict";

  function focusOn(element) {
    if (!element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  document.addEventListener("htmx:after:settle", function (event) {
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) {
      return; // focus is still where the user left it (htmx keeps it on an id'd element)
    }
    var region = event.target;
    if (!(region instanceof Element) || !region.isConnected) {
      return;
    }
    var scope = region === document.body ? document.getElementById("main") || region : region;
    focusOn(scope.querySelector("h1, h2, h3, h4") || scope);
  });
})();
