// The project page's sensor map: markers at published locations, coloured by the latest
// hourly mean of the chosen quantity on that quantity's scale. Data comes from a
// json_script element (no inline script, so a strict Content-Security-Policy holds).
(function () {
  "use strict";
  function start() {
    var element = document.getElementById("sensor-map");
    var chooser = document.getElementById("sensor-map-quantity");
    if (!element || typeof L === "undefined") { return; }
    var data = JSON.parse(document.getElementById(element.dataset.source).textContent);
    var quantities = {};
    data.quantities.forEach(function (q) { quantities[q.code] = q; });
    var map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map);
    var layer = L.layerGroup().addTo(map);

    function colour(q, value) {
      if (value === undefined || value === null) { return "#999999"; }
      if (!q.bands.length) { return "#4575b4"; }
      for (var i = 0; i < q.bands.length; i++) {
        if (value <= q.bands[i]) { return q.colours[i]; }
      }
      return q.colours[q.bands.length];
    }

    function draw(code) {
      var q = quantities[code];
      layer.clearLayers();
      var bounds = [];
      data.features.features.forEach(function (f) {
        var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        var v = f.properties.latest[code];
        var marker = L.circleMarker(latlng, {
          radius: 8, weight: 1, color: "#333333", fillOpacity: 0.9,
          fillColor: colour(q, v ? v.value : null)
        });
        var box = document.createElement("div");
        var link = document.createElement("a");
        link.href = f.properties.url;
        link.textContent = f.properties.name;
        box.appendChild(link);
        box.appendChild(document.createElement("br"));
        box.appendChild(document.createTextNode(
          v ? q.name + ": " + v.value + " " + q.unit + " (" + element.dataset.hour + " " + v.hour + ")"
            : element.dataset.noValue));
        marker.bindPopup(box);
        marker.bindTooltip(f.properties.name + (v ? ": " + v.value + " " + q.unit : ""));
        marker.addTo(layer);
        bounds.push(latlng);
      });
      document.querySelectorAll(".sensor-map-legend").forEach(function (legend) {
        legend.hidden = legend.dataset.quantity !== code;
      });
      return bounds;
    }

    var bounds = draw(data.chosen);
    if (bounds.length) {
      map.fitBounds(bounds, { maxZoom: 14, padding: [20, 20] });
    } else {
      map.setView([52.1, 5.3], 7);
    }
    if (chooser) {
      chooser.addEventListener("change", function () { draw(chooser.value); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
