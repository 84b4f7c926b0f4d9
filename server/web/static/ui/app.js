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
    if (target && target.matches && target.matches("input[data-select-all]")) {
      var boxes = document.querySelectorAll("input[name='" + target.getAttribute("data-select-all") + "']");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = target.checked; }
    }
  });
})();
