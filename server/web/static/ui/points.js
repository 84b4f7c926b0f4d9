// The dashboard's map: every submission's first geopoint, coloured by review state, drawn on a canvas
// (fast with tens of thousands of points) over the Thai province outlines and, when reachable, tiles.
(function () {
  "use strict";
  var COLOURS = { received: "#607d8b", hasIssues: "#ef6c00", needsCorrection: "#8e24aa", edited: "#1565c0", approved: "#2e7d32", rejected: "#c62828" };
  function draw() {
    var box = document.getElementById("points-map");
    if (!box || typeof L === "undefined" || !window.ChumchonMap) { return; }
    fetch(box.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var map = ChumchonMap.create(box, { preferCanvas: true });
        var bounds = [];
        data.points.forEach(function (p) {
          var radius = p[3] > 1 ? Math.min(30, 4 + 3 * Math.log(p[3])) : 5;  // grid cells grow with their count
          L.circleMarker([p[0], p[1]], { radius: radius, weight: 1, color: COLOURS[p[2]] || "#000",
                                         fillOpacity: 0.7 }).addTo(map);
          bounds.push([p[0], p[1]]);
        });
        if (bounds.length) { map.fitBounds(bounds, { maxZoom: 14, padding: [20, 20] }); }
        else { map.setView([13.75, 100.5], 5); }  // Thailand
        L.control.scale().addTo(map);
        box.classList.add("drawn");
        box.setAttribute("data-points", String(data.points.length));
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
