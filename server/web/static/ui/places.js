// Place filters narrow as you choose: picking a province fills the district list from the server
// (places/<kind>.json?parent=CODE) and empties the finer levels; likewise district → subdistrict →
// village. Without JavaScript the same narrowing happens when the filter form is sent.
(function () {
  "use strict";
  var LEVELS = ["province", "district", "subdistrict", "village"];
  function levelSelect(form, kind) { return form.querySelector('select[data-place-kind="' + kind + '"]'); }
  function reset(select) {
    while (select.options.length > 1) { select.remove(1); }  // keep the "any" choice
    select.value = "";
  }
  function fill(select, parent) {
    reset(select);
    select.removeAttribute("data-loaded");
    if (!parent) { return; }
    var url = select.getAttribute("data-place-url") + "?parent=" + encodeURIComponent(parent);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { options: [] }; })
      .then(function (data) {
        data.options.forEach(function (pair) {
          var option = document.createElement("option");
          option.value = pair[0];
          option.textContent = pair[1];
          select.appendChild(option);
        });
        select.setAttribute("data-loaded", String(data.options.length));
      });
  }
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select || !select.matches || !select.matches("select[data-place-kind]")) { return; }
    var level = LEVELS.indexOf(select.getAttribute("data-place-kind"));
    for (var i = level + 1; i < LEVELS.length; i++) {
      var finer = levelSelect(select.form, LEVELS[i]);
      if (!finer) { continue; }
      if (i === level + 1) { fill(finer, select.value); } else { reset(finer); }
    }
  });
})();
