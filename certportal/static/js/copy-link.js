// Copy buttons: progressive enhancement of a read-only link field.
// Without JavaScript the buttons stay hidden (CSS) and the field can be copied by hand.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentElement.querySelector(".copy-status");
    if (!field) {
      return;
    }
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say("Link copied."); },
        function () { say("Press Ctrl+C (or ⌘C) to copy the selected link."); }
      );
    } else {
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      say(copied ? "Link copied." : "Press Ctrl+C (or ⌘C) to copy the selected link.");
    }
  });
})();
