// The city comparison map: one circle per city at its public centre, its area proportional
// to the active sensors per 10,000 residents (data from the json_script "city-features").
(function () {
  "use strict";
  var element = document.getElementById("cities-map");
  if (!element || typeof L === "undefined") { return; }
  var data = JSON.parse(document.getElementById(element.dataset.source).textContent);
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map);
  var layer = L.geoJSON(data, {
    pointToLayer: function (feature, latlng) {
      var v = feature.properties.sensors_per_10k;
      var radius = v === null || v === undefined ? 4 : 4 + 4 * Math.sqrt(v);
      return L.circleMarker(latlng, {
        radius: Math.min(radius, 40), color: "#045a8d", weight: 1,
        fillColor: v === null || v === undefined ? "#bdbdbd" : "#2b8cbe", fillOpacity: 0.6
      });
    },
    onEachFeature: function (feature, marker) {
      var p = feature.properties || {};
      var box = document.createElement("div");
      var link = document.createElement("a");
      link.href = p.url || "#";
      link.textContent = p.name || "";
      box.appendChild(link);
      var line = document.createElement("div");
      line.textContent = (p.sensors_per_10k === null ? element.dataset.labelUnknown :
        p.sensors_per_10k.toFixed(1)) + " " + element.dataset.labelPer10k;
      box.appendChild(line);
      marker.bindPopup(box);
    }
  }).addTo(map);
  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { maxZoom: 9, padding: [30, 30] });
  } else {
    map.setView([50.5, 5.0], 4);
  }
}());
