// Thai date picker: every <input type="date"> becomes three lists — วัน, เดือน (Thai month names),
// ปี พ.ศ. — instead of the browser's mm/dd/yyyy. The original input stays in the form, hidden, and
// carries the ISO date (yyyy-mm-dd) the server reads; without JavaScript it is the browser's own
// date input. English pages get English month names and Christian-era years.
(function () {
  "use strict";
  var TH = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
            "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];
  var EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December"];
  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function picker(input) {
    var thai = document.documentElement.lang !== "en";
    var era = thai ? 543 : 0;
    var box = document.createElement("span");
    box.className = "thai-date";
    var day = document.createElement("select"), month = document.createElement("select"), year = document.createElement("select");
    day.setAttribute("aria-label", thai ? "วัน" : "Day");
    month.setAttribute("aria-label", thai ? "เดือน" : "Month");
    year.setAttribute("aria-label", thai ? "ปี พ.ศ." : "Year");
    option(day, "", thai ? "วัน" : "Day");
    for (var d = 1; d <= 31; d++) { option(day, String(d), String(d)); }
    option(month, "", thai ? "เดือน" : "Month");
    (thai ? TH : EN).forEach(function (name, i) { option(month, String(i + 1), name); });
    option(year, "", thai ? "ปี พ.ศ." : "Year");
    var now = new Date().getFullYear();
    for (var y = now + 1; y >= 2000; y--) { option(year, String(y), String(y + era)); }
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.value);
    if (m) { year.value = String(+m[1]); month.value = String(+m[2]); day.value = String(+m[3]); }
    function update() {
      if (!day.value || !month.value || !year.value) { input.value = ""; return; }
      var y = +year.value, mo = +month.value;
      var last = new Date(y, mo, 0).getDate();  // 31 มกราคม, 28/29 กุมภาพันธ์ …
      if (+day.value > last) { day.value = String(last); }
      input.value = y + "-" + pad(mo) + "-" + pad(+day.value);
    }
    [day, month, year].forEach(function (s) { s.addEventListener("change", update); box.appendChild(s); });
    input.type = "hidden";
    input.setAttribute("data-thai-date", "on");
    input.parentNode.insertBefore(box, input.nextSibling);
  }
  function all() {
    var inputs = document.querySelectorAll('input[type="date"]');
    for (var i = 0; i < inputs.length; i++) { picker(inputs[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", all); } else { all(); }
})();
