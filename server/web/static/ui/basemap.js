// The base of every map: Thai province outlines shipped with Chumchon (drawn offline), and map tiles
// from the configured tile server when the browser can reach it (<meta name="map-tiles">, empty: none).
// A tile server that cannot be reached is dropped after its first failed tile: the outlines remain.
(function () {
  "use strict";
  var outlines = null;  // one fetch of the outlines per page, shared by every map on it
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }
  function provinceName(feature) {
    var p = feature.properties;
    return document.documentElement.lang === "en" ? p.name_en : p.name_th;
  }
  function create(box, options) {
    var map = L.map(box, options || {});
    map.attributionControl.setPrefix(false);
    var tilesUrl = meta("map-tiles");
    if (tilesUrl) {
      var tiles = L.tileLayer(tilesUrl, { maxZoom: 19, attribution: "© OpenStreetMap contributors" });
      tiles.on("tileload", function () { box.setAttribute("data-tiles", "loaded"); });
      tiles.once("tileerror", function () {
        if (box.getAttribute("data-tiles") !== "loaded") {
          map.removeLayer(tiles);
          box.setAttribute("data-tiles", "unreachable");
        }
      });
      tiles.addTo(map);
    } else {
      box.setAttribute("data-tiles", "off");
    }
    var url = meta("map-outlines");
    if (url) {
      outlines = outlines || fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
      outlines.then(function (data) {
        var layer = L.geoJSON(data, {
          interactive: false,
          style: { color: "#5d6d5f", weight: 1, fill: true, fillColor: "#f4f1e6", fillOpacity: tilesUrl ? 0.05 : 0.6 }
        });
        layer.addTo(map);
        layer.bringToBack();
        box.setAttribute("data-outlines", String(data.features.length));
        box.setAttribute("title", "");
        map.on("click", function (e) {  // name the province under a click, without a tile server too
          var hit = null;
          layer.eachLayer(function (l) { if (!hit && l.getBounds().contains(e.latlng) && contains(l, e.latlng)) { hit = l; } });
          if (hit) { L.popup().setLatLng(e.latlng).setContent(escapeText(provinceName(hit.feature))).openOn(map); }
        });
      });
    }
    return map;
  }
  function contains(layer, latlng) {  // ray casting over the polygon's outer rings
    var polys = layer.getLatLngs(), inside = false;
    function ring(points) {
      for (var i = 0, j = points.length - 1; i < points.length; j = i++) {
        var a = points[i], b = points[j];
        if ((a.lat > latlng.lat) !== (b.lat > latlng.lat) &&
            latlng.lng < (b.lng - a.lng) * (latlng.lat - a.lat) / (b.lat - a.lat) + a.lng) { inside = !inside; }
      }
    }
    (function walk(list) {
      if (list.length && list[0] && typeof list[0].lat === "number") { ring(list); return; }
      for (var k = 0; k < list.length; k++) { walk(list[k]); }
    })(polys);
    return inside;
  }
  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  window.ChumchonMap = { create: create };
})();
