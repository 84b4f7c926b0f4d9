// The จปฐ. page's map: the households with a GPS point, red where they fail the chosen indicator and
// green where they meet it, over the shipped province outlines (basemap.js; tiles only when reachable).
(function () {
  "use strict";
  var map = null, layer = null;
  function draw() {
    var box = document.getElementById("report-map"), pick = document.getElementById("map-indicator");
    if (!box || !pick || typeof L === "undefined" || !window.ChumchonMap) { return; }
    if (!map) { map = ChumchonMap.create(box, { preferCanvas: true }); L.control.scale().addTo(map); }
    var url = box.getAttribute("data-url");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "indicator=" + encodeURIComponent(pick.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (layer) { map.removeLayer(layer); }
        layer = L.layerGroup().addTo(map);
        var bounds = [];
        data.points.slice().reverse().forEach(function (p) {  // failing ones last: drawn on top
          L.circleMarker([p[0], p[1]], { radius: p[2] ? 4 : 6, weight: 1, color: p[2] ? "#2e7d32" : "#c62828",
                                         fillOpacity: 0.8 }).addTo(layer);
          bounds.push([p[0], p[1]]);
        });
        if (bounds.length) { map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] }); }
        else { map.setView([13.75, 100.5], 5); }
        document.getElementById("map-counts").textContent = data.failing + " / " + (data.failing + data.meeting);
        box.setAttribute("data-failing", String(data.failing));
        box.classList.add("drawn");
      });
  }
  function start() {
    var pick = document.getElementById("map-indicator");
    if (pick) { pick.addEventListener("change", draw); }
    draw();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
