// Map picker for a new sensor: clicking the map fills in the latitude and longitude fields.
// A static file, so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var element = document.getElementById("location-picker");
  if (!element || typeof L === "undefined") { return; }
  var latInput = document.getElementById("id_" + element.dataset.lat);
  var lonInput = document.getElementById("id_" + element.dataset.lon);
  L.Icon.Default.imagePath = "/static/vendor/leaflet/images/";
  var map = L.map(element);
  L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  var marker = null;
  function place(lat, lon) {
    if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon]).addTo(map); }
  }
  var lat = parseFloat(latInput && latInput.value);
  var lon = parseFloat(lonInput && lonInput.value);
  if (isFinite(lat) && isFinite(lon)) { place(lat, lon); map.setView([lat, lon], 15); } else { map.setView([52.1, 5.3], 7); }
  map.on("click", function (event) {
    var p = event.latlng.wrap();
    latInput.value = p.lat.toFixed(6);
    lonInput.value = p.lng.toFixed(6);
    place(p.lat, p.lng);
  });
  function fromInputs() {
    var a = parseFloat(latInput.value), b = parseFloat(lonInput.value);
    if (isFinite(a) && isFinite(b)) { place(a, b); map.panTo([a, b]); }
  }
  latInput.addEventListener("change", fromInputs);
  lonInput.addEventListener("change", fromInputs);
}());
