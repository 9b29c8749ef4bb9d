// The city page's choropleth: neighbourhood polygons coloured by active sensors per 10,000
// residents. The data (json_script) holds counts per neighbourhood only, never sensor points.
(function () {
  "use strict";
  var element = document.getElementById("choropleth");
  if (!element || typeof L === "undefined") { return; }
  var source = document.getElementById(element.dataset.source);
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  // Classes on a fixed scale, so two cities' maps read the same way.
  var breaks = [0, 1, 5, 10, 25];
  var colours = ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d"];
  function colour(value) {
    if (value === null || value === undefined) { return "#bdbdbd"; }
    if (value === 0) { return colours[0]; }
    for (var i = breaks.length - 1; i >= 0; i--) {
      if (value >= breaks[i]) { return colours[i + 1]; }
    }
    return colours[0];
  }
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map);
  var layer = L.geoJSON(data, {
    style: function (feature) {
      return { color: "#333", weight: 1, fillOpacity: 0.7, fillColor: colour(feature.properties.per_10k) };
    },
    onEachFeature: function (feature, shape) {
      var p = feature.properties || {};
      var box = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = p.name || p.code || "";
      box.appendChild(title);
      var line = document.createElement("div");
      if (p.sensors === null || p.sensors === undefined) {
        line.textContent = element.dataset.labelUnknown;
      } else {
        line.textContent = p.sensors + " " + element.dataset.labelSensors + " · " +
          (p.per_10k === null ? element.dataset.labelUnknown : p.per_10k.toFixed(1)) + " " +
          element.dataset.labelPer10k;
      }
      box.appendChild(line);
      shape.bindPopup(box);
    }
  }).addTo(map);
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "map-legend");
    // CSSOM, not a style attribute: allowed by the strict Content-Security-Policy.
    box.style.background = "#fff";
    box.style.padding = "4px 8px";
    box.style.lineHeight = "1.4";
    var title = document.createElement("strong");
    title.textContent = element.dataset.labelPer10k;
    box.appendChild(title);
    var classes = [[colours[0], "0"]];
    breaks.forEach(function (b, i) {
      var upper = breaks[i + 1];
      classes.push([colours[i + 1], upper === undefined ? "≥ " + b : (b === 0 ? "> 0" : b) + "–" + upper]);
    });
    classes.push(["#bdbdbd", element.dataset.labelUnknown]);
    classes.forEach(function (c) {
      var row = document.createElement("div");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = c[0];
      swatch.style.display = "inline-block";
      swatch.style.width = "14px";
      swatch.style.height = "10px";
      swatch.style.border = "1px solid #333";
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(" " + c[1]));
      box.appendChild(row);
    });
    return box;
  };
  legend.addTo(map);
  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  } else {
    map.setView([52.1, 5.3], 6);
  }
}());
