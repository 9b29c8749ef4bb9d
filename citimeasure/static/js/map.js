// Draws the GeoJSON points of a page (from a json_script element) on a Leaflet map.
// Kept in a static file so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var source = document.getElementById(element.dataset.features);
  var data = source ? JSON.parse(source.textContent) : { type: "FeatureCollection", features: [] };
  L.Icon.Default.imagePath = element.dataset.iconPath || "/static/vendor/leaflet/images/";
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map);
  var layer = L.geoJSON(data, {
    onEachFeature: function (feature, marker) {
      var p = feature.properties || {};
      var box = document.createElement("div");
      var link = document.createElement("a");
      link.href = p.url || "#";
      link.textContent = p.title || "";
      box.appendChild(link);
      if (p.city) { box.appendChild(document.createTextNode(" · " + p.city)); }
      marker.bindPopup(box);
    }
  }).addTo(map);
  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { maxZoom: 11, padding: [20, 20] });
  } else {
    map.setView([52.1, 5.3], 6);
  }
}());
