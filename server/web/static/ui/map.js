// Draws each geopoint answer on a small Leaflet map over the Thai province outlines (basemap.js), with
// tiles when a tile server is configured and reachable: a marker, a scale, and the coordinates.
(function () {
  "use strict";
  function draw() {
    if (typeof L === "undefined" || !window.ChumchonMap) { return; }
    var boxes = document.querySelectorAll(".map[data-lat]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var lat = parseFloat(box.getAttribute("data-lat"));
      var lon = parseFloat(box.getAttribute("data-lon"));
      if (isNaN(lat) || isNaN(lon)) { continue; }
      var map = ChumchonMap.create(box).setView([lat, lon], 13);
      L.circleMarker([lat, lon], { radius: 8, color: "#1b5e20", fillOpacity: 0.8 }).addTo(map);
      L.control.scale().addTo(map);
      box.classList.add("drawn");
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
