// Submissions per day on the dashboard: a bar-like uPlot chart from the page's JSON endpoint.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("per-day");
    if (!box || typeof uPlot === "undefined") { return; }
    fetch(box.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var xs = data.days.map(function (d) { return Date.parse(d + "T00:00:00+07:00") / 1000; });
        var day = 86400;
        var xmin = xs.length ? xs[0] - 2 * day : Date.now() / 1000 - 7 * day;
        var xmax = xs.length ? xs[xs.length - 1] + 2 * day : Date.now() / 1000;
        var opts = {
          width: Math.max(300, box.clientWidth), height: 260,
          series: [{}, { label: box.getAttribute("data-label"), stroke: "#1b5e20", fill: "rgba(27,94,32,0.25)",
                         paths: uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined }],
          axes: [{}, { size: 50 }],
          legend: { show: false },
          tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Asia/Bangkok"); },
          scales: {
            x: { time: true, auto: false, range: [xmin, xmax] },
            y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } }
          }
        };
        box.classList.add("drawn");
        box.setAttribute("data-days", String(data.days.length));
        new uPlot(opts, [xs, data.counts], box);
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
