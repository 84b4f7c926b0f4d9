// Chumchon web application: small progressive behaviour, no inline scripts (the CSP forbids them).
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  // htmx requests carry the session's CSRF token in a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("print-button")) {
      window.print();
    }
    if (target && target.hasAttribute && target.hasAttribute("data-copy")) {
      // Copy a public link: the clipboard API where the page is secure, else the selection.
      var box = document.getElementById(target.getAttribute("data-copy"));
      if (box) {
        box.select();
        var shown = function () { target.textContent = target.getAttribute("data-copied"); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(box.value).then(shown, function () { document.execCommand("copy"); shown(); });
        } else {
          document.execCommand("copy");
          shown();
        }
      }
    }
    if (target && target.matches && target.matches("input[data-select-all]")) {
      var boxes = document.querySelectorAll("input[name='" + target.getAttribute("data-select-all") + "']");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = target.checked; }
    }
  });
})();
